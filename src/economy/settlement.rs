//! Settling trades: both sides' items and currency move in one system run or not at all, and each
//! side records the whole trade as one transfer event (see `persistence::store::transfers`).
//!
//! The fence: a trade settles only when neither side has changes waiting for the database. Until
//! then it asks for them to be written now ([`FlushNow`]) and tries again on a later tick; the tick
//! never waits. So each side's leg lands on exactly its stored state, and a crash after one side's
//! shard committed is completed from that shard at the next start.

use super::in_doubt::TradesInDoubt;
use crate::persistence::{FlushNow, PartEvent, Progress, Transfer, TransferLeg, now_ms};
use crate::telemetry::metrics::TRADE_SETTLE_SECONDS;
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{
    Inventory, InventoryError, InventoryEvent, Wallet, WalletEvent, trade_reason,
};
use arbiter_components::items::Catalog;
use arbiter_components::player::PlayerId;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_components::trade::{SettleTrade, TradeFailed, TradeFailure, TradeSettled, TradeSide};
use arbiter_systems::economy::Ledger;
use bevy_ecs::change_detection::Mut;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Query, Res, ResMut, SystemParam};
use smol_str::{SmolStr, format_smolstr};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long a trade waits for its sides' earlier changes to be stored before it is given up.
const FENCE_TIMEOUT_SECS: u32 = 10;

/// Trades waiting at the fence, each with the tick it first asked to settle.
#[derive(Resource, Debug, Default)]
pub struct FencedTrades(Vec<(SettleTrade, u64)>);

/// A side of a trade as settlement reads and changes it.
type Side<'a> = (
    &'a PlayerId,
    &'a mut Inventory,
    &'a mut Wallet,
    Option<&'a mut Progress>,
);

/// One side, fetched.
type SideItem<'w> = (
    &'w PlayerId,
    Mut<'w, Inventory>,
    Mut<'w, Wallet>,
    Option<Mut<'w, Progress>>,
);

/// One side's checked share: its inventory event (none if no items move for it) and its wallet
/// events.
struct Share {
    items: Option<InventoryEvent>,
    currencies: Vec<WalletEvent>,
}

/// Where a settlement's messages go: its outcome, the sides' changes (to their clients), flushes.
#[derive(SystemParam)]
pub struct Announce<'w> {
    settled: MessageWriter<'w, TradeSettled>,
    failed: MessageWriter<'w, TradeFailed>,
    ledger: Ledger<'w>,
    flush: MessageWriter<'w, FlushNow>,
}

/// What a trade is checked against: the catalog and the inventory capacity.
#[derive(SystemParam, Debug)]
pub struct TradeTerms<'w> {
    catalog: Res<'w, Catalog>,
    settings: Res<'w, EconomySettings>,
}

/// The tick, to time trades (and guild joins) out at the fence.
#[derive(SystemParam, Debug)]
pub struct FenceClock<'w> {
    tick: Res<'w, ServerTick>,
    rate: Res<'w, TickRate>,
}

impl FenceClock<'_> {
    pub fn now(&self) -> u64 {
        self.tick.get()
    }

    pub fn ticks_in_secs(&self, secs: u32) -> u64 {
        self.rate.ticks_in_secs(secs)
    }

    pub fn secs_of(&self, ticks: u64) -> f32 {
        self.rate.secs_of(ticks)
    }
}

impl std::fmt::Debug for Announce<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Announce").finish_non_exhaustive()
    }
}

/// Settles the trades asked for this tick and those waiting at the fence. A trade is copied only
/// when it has to wait.
pub fn settle_trades(
    mut requests: MessageReader<SettleTrade>,
    mut fenced: ResMut<FencedTrades>,
    mut in_doubt: ResMut<TradesInDoubt>,
    mut sides: Query<Side>,
    terms: TradeTerms,
    clock: FenceClock,
    mut announce: Announce,
) {
    let now = clock.tick.get();
    // One reading of the clock for the run: its trades settle in the same tick.
    let at_ms = now_ms();
    let timeout = clock.rate.ticks_in_secs(FENCE_TIMEOUT_SECS);
    let settle_seconds = metrics::histogram!(TRADE_SETTLE_SECONDS);
    let mut settle = |trade: &SettleTrade, since: u64| -> Fence {
        let players = trade.sides.each_ref().map(|side| side.player);
        let fail = |announce: &mut Announce, reason| {
            announce.failed.write(TradeFailed {
                trade: trade.trade,
                players,
                reason,
            });
        };
        let Ok([mut first, mut second]) = sides.get_many_mut(players) else {
            fail(&mut announce, TradeFailure::PlayerGone);
            return Fence::Passed;
        };
        let progress = [&first.3, &second.3].map(Option::as_ref);
        if progress
            .iter()
            .flatten()
            .any(|progress| !progress.is_settled())
        {
            if now.saturating_sub(since) >= timeout {
                fail(&mut announce, TradeFailure::StorageUnavailable);
                return Fence::Passed;
            }
            // Changes already on their way to the database need no second asking.
            for (player, progress) in players.into_iter().zip(progress) {
                if progress.is_some_and(|progress| progress.has_unsaved()) {
                    announce.flush.write(FlushNow(player));
                }
            }
            return Fence::Wait;
        }
        let (catalog, capacity) = (&terms.catalog, terms.settings.inventory_capacity);
        let id = transfer_id(trade, &first);
        let [one, other] = &trade.sides;
        let shares = share(catalog, &id, &first, one, other, capacity)
            .map_err(|reason| TradeFailure::Refused { side: 0, reason })
            .and_then(|first_share| {
                share(catalog, &id, &second, other, one, capacity)
                    .map(|second_share| [first_share, second_share])
                    .map_err(|reason| TradeFailure::Refused { side: 1, reason })
            });
        let shares = match shares {
            Ok(shares) => shares,
            Err(reason) => {
                fail(&mut announce, reason);
                return Fence::Passed;
            }
        };
        for ((side, share), player) in [(&mut first, &shares[0]), (&mut second, &shares[1])]
            .into_iter()
            .zip(players)
        {
            let (_, inventory, wallet, _) = side;
            announce.ledger.transfer_share(
                player,
                (inventory, wallet),
                share.items.as_ref(),
                &share.currencies,
            );
        }
        let owners = [first.0.0, second.0.0];
        let transfer = Arc::new(Transfer {
            id: id.clone(),
            at_ms,
            legs: owners.into_iter().zip(shares).map(leg).collect(),
        });
        let mut recorded = Vec::with_capacity(2);
        for (side, player) in [&mut first, &mut second].into_iter().zip(players) {
            let progress = &mut side.3;
            if let Some(progress) = progress.as_mut() {
                progress.record_transfer(transfer.clone(), transfer.at_ms);
                recorded.push((player, progress.record().version));
                announce.flush.write(FlushNow(player));
            }
        }
        // Without persistence nothing is stored, so nothing is in doubt.
        if let Ok(sides) = <[(Entity, u64); 2]>::try_from(recorded) {
            in_doubt.settled(sides);
        }
        settle_seconds.record(f64::from(clock.rate.secs_of(now.saturating_sub(since))));
        announce.settled.write(TradeSettled {
            trade: trade.trade,
            transfer: id,
            players,
        });
        Fence::Passed
    };
    for (trade, since) in std::mem::take(&mut fenced.0) {
        if settle(&trade, since) == Fence::Wait {
            fenced.0.push((trade, since));
        }
    }
    for trade in requests.read() {
        if settle(trade, now) == Fence::Wait {
            fenced.0.push((trade.clone(), now));
        }
    }
}

/// Whether a trade got past the fence (settled or failed), or waits for its sides' changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fence {
    Passed,
    Wait,
}

/// The first side's next transfer id (unique across shards and restarts); without persistence,
/// the trade's own number.
fn transfer_id(trade: &SettleTrade, first: &SideItem<'_>) -> SmolStr {
    match &first.3 {
        Some(progress) => progress.next_transfer_id(),
        None => format_smolstr!("trade-{}", trade.trade),
    }
}

/// `side`'s checked share: it gives `gives`, gets `gets`.
fn share(
    catalog: &Catalog,
    id: &str,
    side: &SideItem<'_>,
    gives: &TradeSide,
    gets: &TradeSide,
    capacity: u32,
) -> Result<Share, InventoryError> {
    let items = match gives.items.is_empty() && gets.items.is_empty() {
        true => None,
        false => Some(
            side.1
                .trade(catalog, id, &gives.items, &gets.items, capacity)?,
        ),
    };
    let reason = trade_reason(id);
    let currencies = net_changes(&gives.currencies, &gets.currencies)
        .filter(|(_, delta)| *delta != 0)
        .map(|(currency, delta)| {
            let delta = i64::try_from(delta).map_err(|_| InventoryError::Overflow)?;
            side.2
                .change(catalog, currency.clone(), delta, reason.clone())
        })
        .collect::<Result<_, _>>()?;
    Ok(Share { items, currencies })
}

/// Each currency's net change for the side that gives `gives` and gets `gets`, in currency order
/// (a merge of the two sorted maps: nothing is allocated).
fn net_changes<'a>(
    gives: &'a BTreeMap<SmolStr, u64>,
    gets: &'a BTreeMap<SmolStr, u64>,
) -> impl Iterator<Item = (&'a SmolStr, i128)> {
    let (mut gives, mut gets) = (gives.iter().peekable(), gets.iter().peekable());
    std::iter::from_fn(move || {
        let order = match (gives.peek(), gets.peek()) {
            (Some((given, _)), Some((got, _))) => given.cmp(got),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => return None,
        };
        let (given, got) = match order {
            Ordering::Less => (gives.next(), None),
            Ordering::Greater => (None, gets.next()),
            Ordering::Equal => (gives.next(), gets.next()),
        };
        let currency = given.or(got)?.0;
        let amount =
            |side: Option<(&SmolStr, &u64)>| side.map_or(0, |(_, amount)| i128::from(*amount));
        Some((currency, amount(got) - amount(given)))
    })
}

/// A side's leg, as stored: its share's events, turned into JSON by the writer.
fn leg((owner, share): (u64, Share)) -> TransferLeg {
    let items = share.items.into_iter().map(PartEvent::deferred);
    let currencies = share.currencies.into_iter().map(PartEvent::deferred);
    TransferLeg::player(owner, items.chain(currencies).collect())
}

#[cfg(test)]
mod tests {
    use super::net_changes;
    use smol_str::SmolStr;
    use std::collections::BTreeMap;

    fn amounts(pairs: &[(&str, u64)]) -> BTreeMap<SmolStr, u64> {
        pairs
            .iter()
            .map(|(currency, amount)| ((*currency).into(), *amount))
            .collect()
    }

    #[test]
    fn a_currency_given_and_got_nets_out_and_each_other_keeps_its_sign_in_currency_order() {
        let gives = amounts(&[("coins", 5), ("gems", 2), ("tokens", 9)]);
        let gets = amounts(&[("alloy", 1), ("coins", 7), ("tokens", 9)]);
        let changes: Vec<(&str, i128)> = net_changes(&gives, &gets)
            .map(|(currency, delta)| (currency.as_str(), delta))
            .collect();
        assert_eq!(
            changes,
            [("alloy", 1), ("coins", 2), ("gems", -2), ("tokens", 0)]
        );
        assert_eq!(net_changes(&BTreeMap::new(), &BTreeMap::new()).count(), 0);
    }
}
