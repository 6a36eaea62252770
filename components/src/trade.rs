//! Trades between players: what each side gives, the request to settle a trade both sides have
//! accepted, and how that ended. Settlement moves both sides' items and currency in one system run
//! or not at all.

use crate::inventory::{InventoryError, TradedItems};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;
use std::collections::BTreeMap;

/// What one side of a trade gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeSide {
    pub player: Entity,
    pub items: TradedItems,
    /// Amounts by currency.
    pub currencies: BTreeMap<String, u64>,
}

/// Both sides accepted trade `trade` as it stands: move what they give, both ways at once.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct SettleTrade {
    pub trade: u64,
    pub sides: [TradeSide; 2],
}

/// Trade `trade` settled: both sides changed in the same tick, stored as transfer `transfer`.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TradeSettled {
    pub trade: u64,
    pub transfer: String,
    pub players: [Entity; 2],
}

/// Trade `trade` did not settle; nothing moved.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TradeFailed {
    pub trade: u64,
    pub players: [Entity; 2],
    pub reason: TradeFailure,
}

/// Why a trade did not settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeFailure {
    /// A side left before it settled.
    PlayerGone,
    /// A side no longer holds what it gives, or what it gets does not fit (`side` is 0 or 1).
    Refused { side: usize, reason: InventoryError },
    /// A side's earlier changes did not reach the database in time; the trade waits for nothing
    /// of its sides to be unsaved, so it was given up rather than settled on unsaved state.
    StorageUnavailable,
}
