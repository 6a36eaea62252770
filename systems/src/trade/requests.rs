//! Players' trade requests, in the order they arrived.

use super::{InTrade, NextTradeId, Trade, TradeNews};
use arbiter_components::inventory::{Inventory, InventoryError, Wallet};
use arbiter_components::items::Catalog;
use arbiter_components::matchmaking::InMatch;
use arbiter_components::player::PlayerId;
use arbiter_components::session::AwaitingReconnect;
use arbiter_components::tick::ServerTick;
use arbiter_components::trade::{
    SettleTrade, TradeCancel, TradeLock, TradePhase, TradeRefusal, TradeRefused, TradeRequest,
    TradeRequested, TradeSide,
};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageReader;
use bevy_ecs::query::Has;
use bevy_ecs::system::{Query, Res, ResMut};
use smol_str::SmolStr;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// A player as trading reads it.
type Trader<'a> = (
    Entity,
    &'a PlayerId,
    &'a Inventory,
    &'a Wallet,
    Has<InMatch>,
    Option<&'a InTrade>,
    Has<AwaitingReconnect>,
);

pub fn handle_trade_requests(
    mut requests: MessageReader<TradeRequested>,
    players: Query<Trader>,
    mut trades: Query<&mut Trade>,
    catalog: Res<Catalog>,
    tick: Res<ServerTick>,
    mut next_id: ResMut<NextTradeId>,
    mut news: TradeNews,
) {
    // Trades started this tick: their `InTrade` links arrive with the commands, after this run.
    let mut started: HashSet<Entity> = HashSet::new();
    // Online players by id, gathered once for this run's invitations (none: never gathered).
    let mut online: Option<HashMap<u64, Entity>> = None;
    for TradeRequested { player, request } in requests.read() {
        let result = match request {
            TradeRequest::Invite { player_id } => {
                let online = online.get_or_insert_with(|| {
                    players
                        .iter()
                        .filter(|(.., reconnecting)| !reconnecting)
                        .map(|(entity, id, ..)| (id.0, entity))
                        .collect()
                });
                let to = online.get(player_id).copied();
                invite(*player, to, &players, &mut started).map(|[from, to]| {
                    next_id.0 += 1;
                    let trade = Trade {
                        id: next_id.0,
                        phase: TradePhase::Invited,
                        version: 0,
                        sides: [from, to].map(|player| TradeSide {
                            player,
                            items: Arc::default(),
                            currencies: BTreeMap::new(),
                        }),
                        accepted: [false; 2],
                        changed_at: tick.get(),
                    };
                    news.changed(&trade);
                    let entity = news.commands.spawn(trade).id();
                    news.commands.entity(from).insert(InTrade(entity));
                    news.commands.entity(to).insert(InTrade(entity));
                })
            }
            _ => {
                in_trade(*player, request, &players, &mut trades).and_then(|(entity, mut trade)| {
                    change(
                        *player,
                        request,
                        entity,
                        &mut trade,
                        &players,
                        &catalog,
                        tick.get(),
                        &mut news,
                    )
                })
            }
        };
        if let Err(reason) = result {
            news.refused.write(TradeRefused {
                player: *player,
                request: request.clone(),
                reason,
            });
        }
    }
}

/// The two sides of a new trade, if `from` may invite `to` (the online player of the invited id).
fn invite(
    from: Entity,
    to: Option<Entity>,
    players: &Query<Trader>,
    started: &mut HashSet<Entity>,
) -> Result<[Entity; 2], TradeRefusal> {
    let to = to.ok_or(TradeRefusal::NoSuchPlayer)?;
    if to == from {
        return Err(TradeRefusal::SelfTrade);
    }
    for side in [from, to] {
        let (.., in_match, in_trade, _) =
            players.get(side).map_err(|_| TradeRefusal::NoSuchPlayer)?;
        if in_trade.is_some() || started.contains(&side) {
            return Err(TradeRefusal::Busy);
        }
        if in_match {
            return Err(TradeRefusal::InMatch);
        }
    }
    started.extend([from, to]);
    Ok([from, to])
}

/// The trade `player` is in, if it is the one `request` names.
fn in_trade<'q>(
    player: Entity,
    request: &TradeRequest,
    players: &Query<Trader>,
    trades: &'q mut Query<&mut Trade>,
) -> Result<(Entity, bevy_ecs::change_detection::Mut<'q, Trade>), TradeRefusal> {
    let (.., in_trade, _) = players.get(player).map_err(|_| TradeRefusal::NoSuchTrade)?;
    let entity = in_trade.ok_or(TradeRefusal::NoSuchTrade)?.0;
    let trade = trades
        .get_mut(entity)
        .map_err(|_| TradeRefusal::NoSuchTrade)?;
    match Some(trade.id) == request.trade() {
        true => Ok((entity, trade)),
        false => Err(TradeRefusal::NoSuchTrade),
    }
}

/// Applies a request about an existing trade.
#[expect(
    clippy::too_many_arguments,
    reason = "the request, its trade, and what checking it reads"
)]
fn change(
    player: Entity,
    request: &TradeRequest,
    entity: Entity,
    trade: &mut Trade,
    players: &Query<Trader>,
    catalog: &Catalog,
    now: u64,
    news: &mut TradeNews,
) -> Result<(), TradeRefusal> {
    let side = trade.side_of(player).ok_or(TradeRefusal::NoSuchTrade)?;
    match request {
        TradeRequest::Invite { .. } => return Err(TradeRefusal::WrongPhase),
        TradeRequest::Respond { accept, .. } => {
            if side != 1 || trade.phase != TradePhase::Invited {
                return Err(TradeRefusal::WrongPhase);
            }
            if !accept {
                news.cancel(entity, trade, TradeCancel::Declined);
                return Ok(());
            }
            trade.phase = TradePhase::Offer;
        }
        TradeRequest::SetOffer {
            stacks,
            instances,
            currencies,
            ..
        } => {
            if trade.phase != TradePhase::Offer {
                return Err(TradeRefusal::WrongPhase);
            }
            let (_, _, inventory, wallet, ..) =
                players.get(player).map_err(|_| TradeRefusal::NoSuchTrade)?;
            let items = inventory
                .offer(catalog, stacks, instances)
                .map_err(TradeRefusal::Items)?;
            let currencies = offered_currencies(catalog, wallet, currencies)?;
            trade.sides[side].items = Arc::new(items);
            trade.sides[side].currencies = currencies;
            trade.version += 1;
            trade.accepted = [false; 2];
        }
        TradeRequest::Accept { version, .. } => {
            if !matches!(trade.phase, TradePhase::Offer | TradePhase::Review) {
                return Err(TradeRefusal::WrongPhase);
            }
            if *version != trade.version {
                return Err(TradeRefusal::StaleVersion);
            }
            if trade.accepted[side] {
                return Ok(());
            }
            trade.accepted[side] = true;
            if trade.accepted == [true; 2] {
                advance(trade, news);
            }
        }
        TradeRequest::Cancel { .. } => {
            if trade.phase == TradePhase::Settling {
                return Err(TradeRefusal::WrongPhase);
            }
            news.cancel(entity, trade, TradeCancel::CancelledBy(side));
            return Ok(());
        }
    }
    trade.changed_at = now;
    news.changed(trade);
    Ok(())
}

/// Both accepted: offers freeze for review, or a reviewed trade goes to settlement.
fn advance(trade: &mut Trade, news: &mut TradeNews) {
    trade.accepted = [false; 2];
    if trade.phase == TradePhase::Offer {
        trade.phase = TradePhase::Review;
        trade.version += 1;
        for side in &trade.sides {
            news.commands
                .entity(side.player)
                .insert(TradeLock(side.clone()));
        }
        return;
    }
    trade.phase = TradePhase::Settling;
    news.settle.write(SettleTrade {
        trade: trade.id,
        sides: trade.sides.clone(),
    });
}

/// Offered currency amounts, summed per currency, if each is a currency and held.
fn offered_currencies(
    catalog: &Catalog,
    wallet: &Wallet,
    offered: &[(String, u64)],
) -> Result<BTreeMap<SmolStr, u64>, TradeRefusal> {
    let mut amounts: BTreeMap<SmolStr, u64> = BTreeMap::new();
    for (currency, amount) in offered {
        catalog
            .currency(currency)
            .ok_or(TradeRefusal::Items(InventoryError::UnknownCurrency))?;
        if *amount == 0 {
            return Err(TradeRefusal::Items(InventoryError::InvalidQuantity));
        }
        let total = amounts.entry(SmolStr::new(currency)).or_default();
        *total = total
            .checked_add(*amount)
            .ok_or(TradeRefusal::Items(InventoryError::Overflow))?;
        if *total > wallet.balance(currency) {
            return Err(TradeRefusal::Items(InventoryError::InsufficientFunds));
        }
    }
    Ok(amounts)
}
