//! The client's copy of what its player owns: the `Inventory` message, then every
//! `InventoryChanged` folded in order. The server's copy is the truth; this one is for showing it
//! and for asking only for what is there.

use arbiter_components::inventory::{InstanceId, Loadout};
use arbiter_components::protocol::{InventoryDelta, InventoryView, ServerMessage};
use std::collections::BTreeMap;

/// What the player holds, as the server last said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedItems {
    /// Whether the whole inventory has arrived (after `Welcome`).
    pub known: bool,
    pub capacity: u32,
    pub stacks: BTreeMap<String, u32>,
    pub instances: BTreeMap<InstanceId, String>,
    pub loadout: Loadout,
    pub wallet: BTreeMap<String, u64>,
}

impl OwnedItems {
    /// Folds `message` in if it is about items; returns whether it was.
    pub fn observe(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::Inventory(view) => self.replace(view),
            ServerMessage::InventoryChanged(delta) => self.apply(delta),
            _ => return false,
        }
        true
    }

    fn replace(&mut self, view: &InventoryView) {
        *self = Self {
            known: true,
            capacity: view.capacity,
            stacks: view.stacks.iter().cloned().collect(),
            instances: view.instances.iter().cloned().collect(),
            loadout: view.loadout.clone(),
            wallet: view.wallet.iter().cloned().collect(),
        };
    }

    fn apply(&mut self, delta: &InventoryDelta) {
        match delta {
            InventoryDelta::Added {
                item,
                qty,
                instances,
                ..
            } => {
                if instances.is_empty() {
                    *self.stacks.entry(item.clone()).or_default() += qty;
                }
                for instance in instances {
                    self.instances.insert(*instance, item.clone());
                }
            }
            InventoryDelta::Removed {
                item,
                qty,
                instances,
                ..
            } => {
                if instances.is_empty() {
                    let held = self.stacks.entry(item.clone()).or_default();
                    *held = held.saturating_sub(*qty);
                    if *held == 0 {
                        self.stacks.remove(item);
                        self.loadout.remove_consumable(item);
                    }
                }
                for instance in instances {
                    self.instances.remove(instance);
                    self.loadout.remove_instance(*instance);
                }
            }
            InventoryDelta::Equipped {
                slot,
                item,
                instance,
            } => self.loadout.equip(*slot, item, *instance),
            InventoryDelta::Unequipped { slot } => self.loadout.unequip(*slot),
            InventoryDelta::Balance {
                currency, balance, ..
            } => {
                self.wallet.insert(currency.clone(), *balance);
            }
        }
    }

    /// Units of `item` held.
    pub fn count(&self, item: &str) -> u64 {
        let stacked = self.stacks.get(item).copied().map_or(0, u64::from);
        stacked + self.instances.values().filter(|held| *held == item).count() as u64
    }

    pub fn balance(&self, currency: &str) -> u64 {
        self.wallet.get(currency).copied().unwrap_or(0)
    }

    /// An instance of `item` held, if any.
    pub fn instance_of(&self, item: &str) -> Option<InstanceId> {
        self.instances
            .iter()
            .find(|(_, held)| *held == item)
            .map(|(instance, _)| *instance)
    }

    /// The item equipped in `primary` or `secondary` that is `item`.
    pub fn has_equipped(&self, item: &str) -> bool {
        [self.loadout.primary, self.loadout.secondary]
            .into_iter()
            .flatten()
            .any(|instance| {
                self.instances
                    .get(&instance)
                    .is_some_and(|held| held == item)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RIFLE: InstanceId = InstanceId {
        origin: 3,
        serial: 0,
    };

    #[test]
    fn the_whole_inventory_then_deltas_give_what_the_server_holds() {
        let mut owned = OwnedItems::default();
        assert!(!owned.observe(&ServerMessage::QueueTimedOut));
        assert!(owned.observe(&ServerMessage::Inventory(InventoryView {
            capacity: 10,
            stacks: vec![("medkit".into(), 2)],
            instances: vec![(RIFLE, "rifle".into())],
            loadout: Loadout {
                primary: Some(RIFLE),
                secondary: None,
                consumable: Some("medkit".into()),
            },
            wallet: vec![("coins".into(), 100)],
        })));
        assert!(owned.known && owned.has_equipped("rifle"));
        let deltas = [
            InventoryDelta::Balance {
                currency: "coins".into(),
                delta: -60,
                balance: 40,
                reason: "purchase:pistol".into(),
            },
            InventoryDelta::Removed {
                item: "medkit".into(),
                qty: 2,
                instances: vec![],
                reason: "used".into(),
            },
            InventoryDelta::Removed {
                item: "rifle".into(),
                qty: 1,
                instances: vec![RIFLE],
                reason: "discarded".into(),
            },
        ];
        for delta in deltas {
            owned.observe(&ServerMessage::InventoryChanged(delta));
        }
        assert_eq!(owned.balance("coins"), 40);
        assert_eq!(owned.count("medkit"), 0);
        assert_eq!(owned.loadout, Loadout::default(), "nothing left equipped");
        assert_eq!(owned.instance_of("rifle"), None);
    }
}
