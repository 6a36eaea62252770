//! Trades between players: what each side gives, the request to settle a trade both sides have
//! accepted, and how that ended. Settlement moves both sides' items and currency in one system run
//! or not at all.

use crate::inventory::{InstanceId, InventoryError, TradedItems};
use crate::protocol::ItemRequest;
use crate::shop::Shop;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What a player asks of trading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeRequest {
    /// Invites player `player_id` (online, not trading, not in a match) to trade.
    Invite { player_id: u64 },
    /// The invited player's answer to invitation `trade`.
    Respond { trade: u64, accept: bool },
    /// Replaces this side's offer while offers are open: units of stackable items, instances, and
    /// amounts of currencies.
    SetOffer {
        trade: u64,
        stacks: Vec<(String, u32)>,
        instances: Vec<InstanceId>,
        currencies: Vec<(String, u64)>,
    },
    /// Accepts the trade as it stands at `version` (the version the client last saw); the same
    /// accept again changes nothing.
    Accept { trade: u64, version: u32 },
    /// Ends the trade without settling.
    Cancel { trade: u64 },
}

impl TradeRequest {
    /// The trade it is about (none for an invitation, which makes one).
    pub fn trade(&self) -> Option<u64> {
        match self {
            TradeRequest::Invite { .. } => None,
            TradeRequest::Respond { trade, .. }
            | TradeRequest::SetOffer { trade, .. }
            | TradeRequest::Accept { trade, .. }
            | TradeRequest::Cancel { trade } => Some(*trade),
        }
    }
}

/// A player's trade request, decoded from the wire.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TradeRequested {
    pub player: Entity,
    pub request: TradeRequest,
}

/// Why a trade request was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeRefusal {
    /// No player of that id is online.
    NoSuchPlayer,
    /// A player cannot trade with itself.
    SelfTrade,
    /// One of the two is already in a trade.
    Busy,
    /// One of the two is in a match.
    InMatch,
    /// The player is in no trade of that id.
    NoSuchTrade,
    /// Not now: the trade is in another phase (only the invited answers, offers change only while
    /// open, a trade being settled cannot change).
    WrongPhase,
    /// The accept was for an older version of the offers: look again.
    StaleVersion,
    /// An offer holds what the player does not hold or cannot trade.
    Items(InventoryError),
}

impl TradeRefusal {
    /// Its name in metrics, logs and bot reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            TradeRefusal::NoSuchPlayer => "no_such_player",
            TradeRefusal::SelfTrade => "self_trade",
            TradeRefusal::Busy => "busy",
            TradeRefusal::InMatch => "in_match",
            TradeRefusal::NoSuchTrade => "no_such_trade",
            TradeRefusal::WrongPhase => "wrong_phase",
            TradeRefusal::StaleVersion => "stale_version",
            TradeRefusal::Items(error) => error.as_str(),
        }
    }
}

/// A refused trade request.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TradeRefused {
    pub player: Entity,
    pub request: TradeRequest,
    pub reason: TradeRefusal,
}

/// Where a trade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradePhase {
    /// Waiting for the invited player's answer.
    Invited,
    /// Both sides set their offers; any change clears both accepts.
    Offer,
    /// Offers frozen: both accept again to settle, and offered items cannot be used, sold,
    /// discarded or equipped.
    Review,
    /// Being settled.
    Settling,
}

/// Trade `trade` changed: its phase, its version and both offers (side 0 invited side 1).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TradeChanged {
    pub trade: u64,
    pub phase: TradePhase,
    pub version: u32,
    pub sides: [TradeSide; 2],
    pub accepted: [bool; 2],
}

/// Why a trade ended without settling; nothing moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeCancel {
    /// The invited player said no.
    Declined,
    /// The invitation was not answered in time.
    InviteExpired,
    /// Nothing changed for too long.
    Idle,
    /// Side 0 or 1 cancelled it.
    CancelledBy(usize),
    /// A side left.
    Disconnected,
    /// A side entered a match.
    EnteredMatch,
    /// Something offered is no longer held.
    OfferInvalid,
    /// Settlement refused it.
    NotSettled(TradeFailure),
}

impl TradeCancel {
    /// Its name in metrics, logs and bot reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            TradeCancel::Declined => "declined",
            TradeCancel::InviteExpired => "invite_expired",
            TradeCancel::Idle => "idle",
            TradeCancel::CancelledBy(_) => "cancelled",
            TradeCancel::Disconnected => "disconnected",
            TradeCancel::EnteredMatch => "entered_match",
            TradeCancel::OfferInvalid => "offer_invalid",
            TradeCancel::NotSettled(_) => "not_settled",
        }
    }
}

/// Trade `trade` ended without settling.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TradeCancelled {
    pub trade: u64,
    pub players: [Entity; 2],
    pub reason: TradeCancel,
}

/// What one side of a trade gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeSide {
    pub player: Entity,
    /// Shared, not copied, by the settlement's events.
    pub items: Arc<TradedItems>,
    /// Amounts by currency.
    pub currencies: BTreeMap<SmolStr, u64>,
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
    pub transfer: SmolStr,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeFailure {
    /// A side left before it settled.
    PlayerGone,
    /// A side no longer holds what it gives, or what it gets does not fit (`side` is 0 or 1).
    Refused { side: usize, reason: InventoryError },
    /// A side's earlier changes did not reach the database in time; the trade waits for nothing
    /// of its sides to be unsaved, so it was given up rather than settled on unsaved state.
    StorageUnavailable,
}

/// On a player whose trade is under review or being settled: what it offered, which its item
/// requests may not touch until the trade ends.
#[derive(bevy_ecs::component::Component, Debug, Clone, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct TradeLock(pub TradeSide);

impl TradeLock {
    /// Whether `request` would use, discard, equip or spend what is offered.
    pub fn covers(&self, request: &ItemRequest, shop: &Shop) -> bool {
        let offered = &self.0.items;
        let item_offered = |item: &String, instance: &Option<InstanceId>| match instance {
            Some(instance) => offered.instances.contains_key(instance),
            None => offered.stacks.contains_key(item.as_str()),
        };
        match request {
            ItemRequest::Equip { item, instance, .. }
            | ItemRequest::Discard { item, instance, .. } => item_offered(item, instance),
            ItemRequest::UseItem { item } => offered.stacks.contains_key(item.as_str()),
            ItemRequest::Unequip { .. } => false,
            ItemRequest::Buy { offer } => shop
                .offer(offer)
                .is_some_and(|offer| self.0.currencies.contains_key(offer.currency.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::EquipSlot;
    use crate::shop::Offer;

    #[test]
    fn a_lock_covers_requests_that_touch_what_is_offered_only() {
        let rifle = InstanceId {
            origin: 1,
            serial: 0,
        };
        let lock = TradeLock(TradeSide {
            player: Entity::PLACEHOLDER,
            items: Arc::new(TradedItems {
                stacks: BTreeMap::from([("medkit".into(), 1)]),
                instances: BTreeMap::from([(rifle, "rifle".into())]),
            }),
            currencies: BTreeMap::from([("coins".into(), 5)]),
        });
        let shop = Shop {
            offers: vec![Offer {
                id: "pistol".into(),
                item: "pistol".into(),
                qty: 1,
                currency: "coins".into(),
                price: 60,
            }],
        };
        let covered = |request: ItemRequest| lock.covers(&request, &shop);
        assert!(covered(ItemRequest::UseItem {
            item: "medkit".into()
        }));
        assert!(covered(ItemRequest::Equip {
            slot: EquipSlot::Primary,
            item: "rifle".into(),
            instance: Some(rifle),
        }));
        assert!(covered(ItemRequest::Discard {
            item: "medkit".into(),
            qty: 1,
            instance: None,
        }));
        assert!(covered(ItemRequest::Buy {
            offer: "pistol".into()
        }));
        assert!(!covered(ItemRequest::UseItem {
            item: "adrenaline".into()
        }));
        assert!(!covered(ItemRequest::Equip {
            slot: EquipSlot::Secondary,
            item: "rifle".into(),
            instance: Some(InstanceId {
                origin: 1,
                serial: 1
            }),
        }));
        assert!(!covered(ItemRequest::Unequip {
            slot: EquipSlot::Primary
        }));
    }
}
