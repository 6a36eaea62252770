//! The client's copy of what its player owns: the `Inventory` message, then every
//! `InventoryChanged` folded in order — by the same fold as the server's, so the copy cannot drift
//! by a rule of its own. The server's copy is the truth; this one is for showing it and for asking
//! only for what is there.

use arbiter_components::inventory::{InstanceId, Inventory, Wallet};
use arbiter_components::protocol::{InventoryView, ServerMessage};

/// What the player holds, as the server last said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedItems {
    /// Whether the whole inventory has arrived (after `Welcome`).
    pub known: bool,
    pub capacity: u32,
    pub inventory: Inventory,
    pub wallet: Wallet,
}

impl OwnedItems {
    /// Folds `message` in if it is about items; returns whether it was.
    pub fn observe(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::Inventory(view) => self.replace(view),
            ServerMessage::InventoryChanged(delta) => match delta.as_event() {
                Ok(event) => self.inventory.apply(&event),
                Err(event) => {
                    self.wallet.apply(&event);
                }
            },
            _ => return false,
        }
        true
    }

    fn replace(&mut self, view: &InventoryView) {
        let inventory = Inventory::restore(
            view.stacks.iter().cloned(),
            view.instances.iter().cloned().collect(),
            view.loadout.clone(),
            0,
        );
        *self = Self {
            known: true,
            capacity: view.capacity,
            // The server only sends a consistent inventory; one that is not shows as empty.
            inventory: inventory.unwrap_or_default(),
            wallet: Wallet::restore(view.wallet.iter().cloned().collect()),
        };
    }

    /// Units of `item` held.
    pub fn count(&self, item: &str) -> u64 {
        self.inventory.count(item)
    }

    pub fn balance(&self, currency: &str) -> u64 {
        self.wallet.balance(currency)
    }

    /// An instance of `item` held, if any.
    pub fn instance_of(&self, item: &str) -> Option<InstanceId> {
        self.inventory
            .instances()
            .iter()
            .find(|(_, held)| *held == item)
            .map(|(instance, _)| *instance)
    }

    /// Whether an instance of weapon `item` is equipped in `primary` or `secondary`.
    pub fn has_equipped(&self, item: &str) -> bool {
        self.inventory.has_equipped_weapon(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::inventory::Loadout;
    use arbiter_components::protocol::InventoryDelta;

    const RIFLE: InstanceId = InstanceId {
        origin: 3,
        serial: 0,
    };

    #[test]
    fn the_whole_inventory_then_deltas_give_what_the_server_holds() {
        let mut owned = OwnedItems::default();
        assert!(!owned.observe(&ServerMessage::QueueTimedOut));
        assert!(
            owned.observe(&ServerMessage::Inventory(Box::new(InventoryView {
                capacity: 10,
                stacks: vec![("medkit".into(), 2)],
                instances: vec![(RIFLE, "rifle".into())],
                loadout: Loadout {
                    primary: Some(RIFLE),
                    secondary: None,
                    consumable: Some("medkit".into()),
                },
                wallet: vec![("coins".into(), 100)],
            })))
        );
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
        assert_eq!(
            owned.inventory.loadout(),
            &Loadout::default(),
            "nothing left equipped"
        );
        assert_eq!(owned.instance_of("rifle"), None);
    }
}
