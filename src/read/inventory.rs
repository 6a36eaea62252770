//! A player's items and currencies as the query API shows them: read from the player's stored
//! parts, so they come through the profile cache (and go from it on each committed flush).

use crate::persistence::PlayerRecord;
use arbiter_components::inventory::{InstanceId, Inventory, Wallet};
use serde::{Deserialize, Serialize};

/// A stack of a stackable item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeldStack {
    pub item: String,
    pub qty: u32,
}

/// One instance of an item that is not stackable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeldInstance {
    /// `ORIGIN:SERIAL`: the player it was minted for and its serial; unique across all shards.
    pub id: String,
    pub item: String,
    /// `primary` or `secondary` when equipped.
    pub slot: Option<String>,
}

/// One currency balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeldCurrency {
    pub currency: String,
    pub balance: u64,
}

/// What a player owns, as of its last committed flush.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InventoryReport {
    pub id: u64,
    pub stacks: Vec<HeldStack>,
    pub instances: Vec<HeldInstance>,
    /// The consumable item equipped, if any.
    pub consumable: Option<String>,
    pub wallet: Vec<HeldCurrency>,
}

/// `ORIGIN:SERIAL`, as the query API and the CLI write an instance id.
pub fn instance_text(instance: &InstanceId) -> String {
    format!("{}:{}", instance.origin, instance.serial)
}

impl InventoryReport {
    /// The report of `record`'s stored parts; a part that is absent is empty. `Err` names a part
    /// that does not decode.
    pub fn of(record: &PlayerRecord) -> Result<Self, String> {
        let inventory = record
            .part::<Inventory>()
            .map_err(|error| error.to_string())?;
        let wallet = record.part::<Wallet>().map_err(|error| error.to_string())?;
        let loadout = inventory.loadout();
        let slot = |instance: &InstanceId| {
            if loadout.primary == Some(*instance) {
                Some("primary".to_owned())
            } else if loadout.secondary == Some(*instance) {
                Some("secondary".to_owned())
            } else {
                None
            }
        };
        Ok(Self {
            id: record.id,
            stacks: inventory
                .stacks_in_order()
                .into_iter()
                .map(|(item, qty)| HeldStack {
                    item: item.to_string(),
                    qty,
                })
                .collect(),
            instances: inventory
                .instances()
                .iter()
                .map(|(instance, item)| HeldInstance {
                    id: instance_text(instance),
                    item: item.to_string(),
                    slot: slot(instance),
                })
                .collect(),
            consumable: loadout.consumable.as_ref().map(ToString::to_string),
            wallet: wallet
                .balances()
                .iter()
                .map(|(currency, balance)| HeldCurrency {
                    currency: currency.to_string(),
                    balance: *balance,
                })
                .collect(),
        })
    }
}
