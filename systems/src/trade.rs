//! Trades between players, up to settlement: an invitation, both sides' offers (any change bumps
//! the version and clears both accepts), a review of frozen offers, and both accepts of the
//! version they saw. A trade is an entity of its own, linked to its two players by [`InTrade`];
//! it is cancelled, with a reason to both, when it is declined or left unanswered, goes idle, a
//! side leaves or enters a match, or an offered item is no longer held. Settlement itself (both
//! sides in one system run, durably) is the shell's: it answers [`SettleTrade`] with
//! [`TradeSettled`] or [`TradeFailed`].

mod requests;
mod tell;
mod watch;

pub use requests::handle_trade_requests;
pub use tell::{TradeReports, tell_traders};
pub use watch::{finish_trades, watch_trades};

use crate::phases::SimulationSystems;
use arbiter_components::config::EconomySettings;
use arbiter_components::items::Catalog;
use arbiter_components::messages::Outbound;
use arbiter_components::shop::Shop;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_components::trade::{
    SettleTrade, TradeCancel, TradeCancelled, TradeChanged, TradeFailed, TradeLock, TradePhase,
    TradeRefused, TradeRequested, TradeSettled, TradeSide,
};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Commands, SystemParam};

/// The trade a player is in (one at a time).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(storage = "SparseSet")]
#[relationship(relationship_target = TradeParties)]
pub struct InTrade(pub Entity);

/// On a trade entity: its players, kept in step with their [`InTrade`] by bevy (a side that
/// leaves drops out).
#[derive(Component, Debug, Default, PartialEq, Eq)]
#[relationship_target(relationship = InTrade)]
pub struct TradeParties(Vec<Entity>);

impl TradeParties {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A trade: side 0 invited side 1.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Trade {
    pub id: u64,
    pub phase: TradePhase,
    /// Bumped by every change of an offer and on entering review; an accept names it.
    pub version: u32,
    pub sides: [TradeSide; 2],
    pub accepted: [bool; 2],
    /// The tick of its last change, for the invitation and idle timeouts.
    pub changed_at: u64,
}

impl Trade {
    /// Which side `player` is.
    pub fn side_of(&self, player: Entity) -> Option<usize> {
        self.sides.iter().position(|side| side.player == player)
    }

    pub fn players(&self) -> [Entity; 2] {
        self.sides.each_ref().map(|side| side.player)
    }
}

/// The id the next trade gets (unique while the server runs; a stored trade is named by its
/// transfer id).
#[derive(Resource, Debug, Default)]
pub struct NextTradeId(u64);

/// What the trade rules announce, and the commands that end trades.
#[derive(SystemParam)]
pub struct TradeNews<'w, 's> {
    commands: Commands<'w, 's>,
    changed: MessageWriter<'w, TradeChanged>,
    cancelled: MessageWriter<'w, TradeCancelled>,
    refused: MessageWriter<'w, TradeRefused>,
    settle: MessageWriter<'w, SettleTrade>,
}

impl std::fmt::Debug for TradeNews<'_, '_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("TradeNews").finish_non_exhaustive()
    }
}

impl TradeNews<'_, '_> {
    /// Tells both sides where `trade` stands.
    fn changed(&mut self, trade: &Trade) {
        self.changed.write(TradeChanged {
            trade: trade.id,
            phase: trade.phase,
            version: trade.version,
            sides: trade.sides.clone(),
            accepted: trade.accepted,
        });
    }

    /// Ends `trade` (entity `entity`) without settling; its players leave it and are unlocked.
    fn cancel(&mut self, entity: Entity, trade: &Trade, reason: TradeCancel) {
        self.end(entity, trade);
        self.cancelled.write(TradeCancelled {
            trade: trade.id,
            players: trade.players(),
            reason,
        });
    }

    /// Despawns the trade (its players' `InTrade` go with it) and unlocks its players.
    fn end(&mut self, entity: Entity, trade: &Trade) {
        for player in trade.players() {
            if let Ok(mut player) = self.commands.get_entity(player) {
                player.remove::<TradeLock>();
            }
        }
        self.commands.entity(entity).despawn();
    }
}

/// Invitations, offers, accepts, cancellations and timeouts in the Economy phase, after item
/// requests (an item used this tick invalidates an offer this tick); then the news to clients.
#[derive(Debug, Default)]
pub struct TradePlugin;

impl Plugin for TradePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<NextTradeId>()
            .init_resource::<Catalog>()
            .init_resource::<Shop>()
            .init_resource::<EconomySettings>()
            .init_resource::<ServerTick>()
            .init_resource::<TickRate>()
            .add_message::<TradeRequested>()
            .add_message::<TradeRefused>()
            .add_message::<TradeChanged>()
            .add_message::<TradeCancelled>()
            .add_message::<SettleTrade>()
            .add_message::<TradeSettled>()
            .add_message::<TradeFailed>()
            .add_message::<Outbound>()
            .add_systems(
                FixedUpdate,
                (
                    finish_trades,
                    handle_trade_requests,
                    watch_trades,
                    tell_traders,
                )
                    .chain()
                    .in_set(SimulationSystems::Economy)
                    .after(crate::economy::apply_item_requests),
            );
    }
}

#[cfg(test)]
mod tests;
