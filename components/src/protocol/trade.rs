//! Trades on the wire: where a trade stands, with both offers named by player id (the server's
//! entities mean nothing to a client), and how it ended.

use crate::inventory::InstanceId;
use crate::items::MAX_ID_LEN;
use crate::trade::{TradeCancel, TradePhase, TradeRequest, TradeSide};
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

/// The most lines (stacks, instances, currencies, each) an offer may list: more than an inventory
/// of the largest configurable capacity can hold is a malformed message, not a big offer.
pub const MAX_OFFER_LINES: usize = 256;

impl TradeRequest {
    /// Whether its ids are of a possible length and its offer of a possible size; anything else
    /// is a malformed message.
    pub fn is_well_formed(&self) -> bool {
        match self {
            TradeRequest::SetOffer {
                stacks,
                instances,
                currencies,
                ..
            } => lines_well_formed(stacks, instances, currencies),
            _ => true,
        }
    }
}

/// Whether lists of items and currencies (a trade offer, a bank move) are of a possible size and
/// their ids of a possible length; anything else is a malformed message.
pub fn lines_well_formed(
    stacks: &[(String, u32)],
    instances: &[InstanceId],
    currencies: &[(String, u64)],
) -> bool {
    let id = |id: &String| !id.is_empty() && id.len() <= MAX_ID_LEN;
    [stacks.len(), instances.len(), currencies.len()]
        .iter()
        .all(|lines| *lines <= MAX_OFFER_LINES)
        && stacks.iter().all(|(item, _)| id(item))
        && currencies.iter().all(|(currency, _)| id(currency))
}

/// What one side offers, as its client sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeOffer {
    pub player_id: u64,
    /// Units of stackable items: `(item, units)`.
    pub stacks: Vec<(SmolStr, u32)>,
    /// Instances: `(id, item)`.
    pub instances: Vec<(InstanceId, SmolStr)>,
    /// `(currency, amount)`.
    pub currencies: Vec<(SmolStr, u64)>,
    /// Whether this side accepted the current version.
    pub accepted: bool,
}

impl TradeOffer {
    pub fn new(player_id: u64, side: &TradeSide, accepted: bool) -> Self {
        Self {
            player_id,
            stacks: side
                .items
                .stacks
                .iter()
                .map(|(item, qty)| (item.clone(), *qty))
                .collect(),
            instances: side
                .items
                .instances
                .iter()
                .map(|(instance, item)| (*instance, item.clone()))
                .collect(),
            currencies: side
                .currencies
                .iter()
                .map(|(currency, amount)| (currency.clone(), *amount))
                .collect(),
            accepted,
        }
    }
}

/// Where a trade stands: sent to both sides on every change. Side 0 invited side 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeView {
    pub trade: u64,
    pub phase: TradePhase,
    /// What an `Accept` must name.
    pub version: u32,
    pub sides: [TradeOffer; 2],
}

/// How a trade ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeOutcome {
    /// Both sides' items and currency moved (their `InventoryChanged` deltas name the trade by
    /// `transfer`, the id it is stored under).
    Settled { transfer: String },
    /// Nothing moved.
    Cancelled(TradeCancel),
}
