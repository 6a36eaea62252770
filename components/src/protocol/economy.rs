//! Items on the wire: what a client asks of its items, the whole inventory once after `Welcome`,
//! then each change as a delta. Wire types of their own: the stored events are internally tagged
//! JSON, which postcard cannot carry.

use crate::inventory::{
    EquipSlot, InstanceId, Inventory, InventoryError, InventoryEvent, Loadout, TradedItems, Wallet,
    WalletEvent, trade_reason,
};
use crate::items::MAX_ID_LEN;
use crate::shop::purchase_reason;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;

/// What a player asks of its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemRequest {
    /// Put a weapon instance (primary, secondary) or a consumable item (consumable, no instance)
    /// in `slot`.
    Equip {
        slot: EquipSlot,
        item: String,
        instance: Option<InstanceId>,
    },
    Unequip {
        slot: EquipSlot,
    },
    /// Use one unit of a consumable (alive, in a match, not cooling down).
    UseItem {
        item: String,
    },
    /// Throw away `qty` units of a stack, or the one `instance`.
    Discard {
        item: String,
        qty: u32,
        instance: Option<InstanceId>,
    },
    /// Buy shop offer `offer` once.
    Buy {
        offer: String,
    },
}

impl ItemRequest {
    /// Whether its ids are of a length an id can have; anything else is a malformed message.
    pub fn is_well_formed(&self) -> bool {
        let id = |id: &String| !id.is_empty() && id.len() <= MAX_ID_LEN;
        match self {
            ItemRequest::Equip { item, .. }
            | ItemRequest::UseItem { item }
            | ItemRequest::Discard { item, .. } => id(item),
            ItemRequest::Buy { offer } => id(offer),
            ItemRequest::Unequip { .. } => true,
        }
    }
}

/// A player's items and currencies, whole: sent once after `Welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryView {
    /// Slots the inventory has (one per stack, one per instance).
    pub capacity: u32,
    /// Stackable items: `(item, units)`.
    pub stacks: Vec<(SmolStr, u32)>,
    /// Instances: `(id, item)`.
    pub instances: Vec<(InstanceId, SmolStr)>,
    pub loadout: Loadout,
    /// `(currency, balance)`; a currency not listed is at 0.
    pub wallet: Vec<(SmolStr, u64)>,
}

impl InventoryView {
    pub fn new(inventory: &Inventory, wallet: &Wallet, capacity: u32) -> Self {
        Self {
            capacity,
            stacks: inventory
                .stacks_in_order()
                .into_iter()
                .map(|(item, qty)| (item.clone(), qty))
                .collect(),
            instances: inventory
                .instances()
                .iter()
                .map(|(instance, item)| (*instance, item.clone()))
                .collect(),
            loadout: inventory.loadout().clone(),
            wallet: wallet
                .balances()
                .iter()
                .map(|(currency, balance)| (currency.clone(), *balance))
                .collect(),
        }
    }
}

/// One change to a player's items or currencies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InventoryDelta {
    /// `qty` units of `item` received (granted, bought, looted); `instances` lists the minted
    /// instances of an item that is not stackable.
    Added {
        item: SmolStr,
        qty: u32,
        instances: Vec<InstanceId>,
        reason: SmolStr,
    },
    /// `qty` units of `item` gone (used, discarded), or the listed instances.
    Removed {
        item: SmolStr,
        qty: u32,
        instances: Vec<InstanceId>,
        reason: SmolStr,
    },
    Equipped {
        slot: EquipSlot,
        item: SmolStr,
        instance: Option<InstanceId>,
    },
    Unequipped {
        slot: EquipSlot,
    },
    /// `currency` changed by `delta` to `balance`.
    Balance {
        currency: SmolStr,
        delta: i64,
        balance: u64,
        reason: SmolStr,
    },
}

impl InventoryDelta {
    /// The deltas a client sees for an applied inventory event, each given to `tell` (a trade
    /// gives one per item that went and one per item that came).
    pub fn of_item(event: &InventoryEvent, mut tell: impl FnMut(Self)) {
        let delta = match event {
            InventoryEvent::ItemGranted {
                item,
                qty,
                instances,
                reason,
            } => InventoryDelta::Added {
                item: item.clone(),
                qty: *qty,
                instances: instances.clone(),
                reason: reason.clone(),
            },
            InventoryEvent::ItemBought {
                offer,
                item,
                qty,
                instances,
            } => InventoryDelta::Added {
                item: item.clone(),
                qty: *qty,
                instances: instances.clone(),
                reason: purchase_reason(offer),
            },
            InventoryEvent::ItemUsed { item } => InventoryDelta::Removed {
                item: item.clone(),
                qty: 1,
                instances: Vec::new(),
                reason: "used".into(),
            },
            InventoryEvent::ItemDiscarded {
                item,
                qty,
                instances,
            } => InventoryDelta::Removed {
                item: item.clone(),
                qty: *qty,
                instances: instances.clone(),
                reason: "discarded".into(),
            },
            InventoryEvent::ItemEquipped {
                slot,
                instance,
                item,
            } => InventoryDelta::Equipped {
                slot: *slot,
                item: item.clone(),
                instance: *instance,
            },
            InventoryEvent::ItemUnequipped { slot } => InventoryDelta::Unequipped { slot: *slot },
            InventoryEvent::ItemsTraded { trade, gave, got } => {
                let reason = trade_reason(trade);
                let removed = |item, qty, instances| InventoryDelta::Removed {
                    item,
                    qty,
                    instances,
                    reason: reason.clone(),
                };
                let added = |item, qty, instances| InventoryDelta::Added {
                    item,
                    qty,
                    instances,
                    reason: reason.clone(),
                };
                moved(gave, removed, &mut tell);
                moved(got, added, &mut tell);
                return;
            }
        };
        tell(delta);
    }

    /// The event a client folds to follow the server (the inverse of [`Self::of_item`] and
    /// [`Self::of_currency`]: used and discarded units fold alike).
    pub fn as_event(&self) -> Result<InventoryEvent, WalletEvent> {
        Ok(match self.clone() {
            InventoryDelta::Added {
                item,
                qty,
                instances,
                reason,
            } => InventoryEvent::ItemGranted {
                item,
                qty,
                instances,
                reason,
            },
            InventoryDelta::Removed {
                item,
                qty,
                instances,
                ..
            } => InventoryEvent::ItemDiscarded {
                item,
                qty,
                instances,
            },
            InventoryDelta::Equipped {
                slot,
                item,
                instance,
            } => InventoryEvent::ItemEquipped {
                slot,
                instance,
                item,
            },
            InventoryDelta::Unequipped { slot } => InventoryEvent::ItemUnequipped { slot },
            InventoryDelta::Balance {
                currency,
                delta,
                reason,
                ..
            } => {
                return Err(WalletEvent::CurrencyChanged {
                    currency,
                    delta,
                    reason,
                });
            }
        })
    }

    /// The delta a client sees for an applied wallet event, with the balance after it.
    pub fn of_currency(event: &WalletEvent, balance: u64) -> Self {
        let WalletEvent::CurrencyChanged {
            currency,
            delta,
            reason,
        } = event;
        InventoryDelta::Balance {
            currency: currency.clone(),
            delta: *delta,
            balance,
            reason: reason.clone(),
        }
    }
}

/// A refused item request, echoed with its typed reason; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRefusal {
    pub request: ItemRequest,
    pub reason: InventoryError,
}

/// Tells one delta per item of `items`: a stack's units, or an item's instances (grouped by item
/// in a sorted list: a trade of stacks alone allocates nothing here).
fn moved(
    items: &TradedItems,
    delta: impl Fn(SmolStr, u32, Vec<InstanceId>) -> InventoryDelta,
    tell: &mut impl FnMut(InventoryDelta),
) {
    for (item, qty) in &items.stacks {
        tell(delta(item.clone(), *qty, Vec::new()));
    }
    let mut instances: Vec<(&SmolStr, InstanceId)> = items
        .instances
        .iter()
        .map(|(instance, item)| (item, *instance))
        .collect();
    instances.sort_unstable();
    for group in instances.chunk_by(|one, other| one.0 == other.0) {
        let ids: Vec<InstanceId> = group.iter().map(|(_, instance)| *instance).collect();
        let qty = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        tell(delta(group[0].0.clone(), qty, ids));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn id(serial: u64) -> InstanceId {
        InstanceId { origin: 1, serial }
    }

    #[test]
    fn a_trade_share_is_told_as_stacks_then_each_item_s_instances_in_id_order_gave_before_got() {
        let gave = TradedItems {
            stacks: BTreeMap::from([("scrap".into(), 3)]),
            instances: BTreeMap::from([
                (id(2), "rifle".into()),
                (id(3), "pistol".into()),
                (id(1), "rifle".into()),
            ]),
        };
        let got = TradedItems {
            stacks: BTreeMap::from([("wood".into(), 4)]),
            ..TradedItems::default()
        };
        let event = InventoryEvent::ItemsTraded {
            trade: "7:12".into(),
            gave: Arc::new(gave),
            got: Arc::new(got),
        };
        let mut told = Vec::new();
        InventoryDelta::of_item(&event, |delta| told.push(delta));
        let reason = trade_reason("7:12");
        let removed = |item: &str, qty, instances| InventoryDelta::Removed {
            item: item.into(),
            qty,
            instances,
            reason: reason.clone(),
        };
        assert_eq!(
            told,
            [
                removed("scrap", 3, Vec::new()),
                removed("pistol", 1, vec![id(3)]),
                removed("rifle", 2, vec![id(1), id(2)]),
                InventoryDelta::Added {
                    item: "wood".into(),
                    qty: 4,
                    instances: Vec::new(),
                    reason: reason.clone(),
                },
            ]
        );
    }
}
