//! What ends a trade besides its players' requests: timeouts, a side leaving or entering a match,
//! an offer no longer held; and settlement's answer.

use super::{InTrade, Trade, TradeNews, TradeParties};
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::items::Catalog;
use arbiter_components::matchmaking::InMatch;
use arbiter_components::session::AwaitingReconnect;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_components::trade::{TradeCancel, TradeFailed, TradePhase, TradeSettled, TradeSide};
use bevy_ecs::change_detection::{DetectChanges, Ref};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageReader;
use bevy_ecs::query::Has;
use bevy_ecs::system::{Query, Res, SystemParam};

/// The clock and limits trades are timed against.
#[derive(SystemParam, Debug)]
pub struct TradeClock<'w> {
    tick: Res<'w, ServerTick>,
    rate: Res<'w, TickRate>,
    settings: Res<'w, EconomySettings>,
}

/// Cancels each open trade that timed out, lost a side, has a side in a match, or offers what is
/// no longer held. A trade being settled is settlement's to end.
pub fn watch_trades(
    trades: Query<(Entity, &Trade, Option<&TradeParties>)>,
    sides: Query<TradingSide>,
    catalog: Res<Catalog>,
    clock: TradeClock,
    mut news: TradeNews,
) {
    let now = clock.tick.get();
    for (entity, trade, parties) in &trades {
        if trade.phase == TradePhase::Settling {
            continue;
        }
        let limit = match trade.phase {
            TradePhase::Invited => clock.settings.trade_invite_secs,
            _ => clock.settings.trade_idle_secs,
        };
        let gone = parties.is_none_or(|parties| parties.len() < 2)
            || trade.sides.iter().any(|side| {
                sides
                    .get(side.player)
                    .is_ok_and(|(.., reconnecting)| reconnecting)
            });
        let reason = if gone {
            Some(TradeCancel::Disconnected)
        } else if trade.sides.iter().any(|side| {
            sides
                .get(side.player)
                .is_ok_and(|(_, _, in_match, _)| in_match)
        }) {
            Some(TradeCancel::EnteredMatch)
        } else if now.saturating_sub(trade.changed_at) >= clock.rate.ticks_in_secs(limit) {
            Some(match trade.phase {
                TradePhase::Invited => TradeCancel::InviteExpired,
                _ => TradeCancel::Idle,
            })
        } else if !trade
            .sides
            .iter()
            .all(|side| still_held(side, &sides, &catalog))
        {
            Some(TradeCancel::OfferInvalid)
        } else {
            None
        };
        if let Some(reason) = reason {
            news.cancel(entity, trade, reason);
        }
    }
}

/// A trading player as the watch reads it; `Ref`s tell whether its holdings changed since the
/// last tick. A player waiting to reconnect has left, as far as its trade goes.
type TradingSide = (
    Ref<'static, Inventory>,
    Ref<'static, Wallet>,
    Has<InMatch>,
    Has<AwaitingReconnect>,
);

/// Whether `side` still holds all it offers. Checked only when its inventory or wallet changed
/// since the last run (an offer is checked when it is made): most ticks, nothing is re-checked.
fn still_held(side: &TradeSide, sides: &Query<TradingSide>, catalog: &Catalog) -> bool {
    sides.get(side.player).is_ok_and(|(inventory, wallet, ..)| {
        let unchanged = !inventory.is_changed() && !wallet.is_changed();
        unchanged
            || (inventory.check_offered(catalog, &side.items).is_ok()
                && side
                    .currencies
                    .iter()
                    .all(|(currency, amount)| wallet.balance(currency) >= *amount))
    })
}

/// Ends trades that settlement settled or refused (refused: cancelled with its reason).
pub fn finish_trades(
    mut settled: MessageReader<TradeSettled>,
    mut failed: MessageReader<TradeFailed>,
    links: Query<&InTrade>,
    trades: Query<(Entity, &Trade)>,
    mut news: TradeNews,
) {
    let settled = settled
        .read()
        .map(|settled| (settled.trade, settled.players, None));
    let failed = failed
        .read()
        .map(|failed| (failed.trade, failed.players, Some(failed.reason.clone())));
    for (id, players, failure) in settled.chain(failed).collect::<Vec<_>>() {
        // Through a side still linked to it; only when both sides are gone, by a search.
        let linked = players
            .iter()
            .filter_map(|player| links.get(*player).ok())
            .find_map(|link| trades.get(link.0).ok().filter(|(_, trade)| trade.id == id));
        let found = linked.or_else(|| trades.iter().find(|(_, trade)| trade.id == id));
        let Some((entity, trade)) = found else {
            continue;
        };
        match failure {
            None => news.end(entity, trade),
            Some(reason) => news.cancel(entity, trade, TradeCancel::NotSettled(reason)),
        }
    }
}
