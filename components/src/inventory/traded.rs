//! Items that change hands in a trade: what one side offers, checked against what it holds, and
//! its whole share of a settled trade (what it gave and got) checked for room and folded as one
//! event, so both sides' changes are one fact each in their logs.

use super::{InstanceId, Inventory, InventoryError, InventoryEvent, instance_list};
use crate::items::Catalog;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How a trade's changes name it, as their reason (`trade:7:12`): they move items and currency
/// between players, and neither create nor destroy any.
#[inline]
pub fn trade_reason(trade: &str) -> SmolStr {
    // Joined, not formatted: a settlement names its trade four times, and this stays inline
    // (no allocation) up to 23 bytes.
    [TRADE_REASON_PREFIX, trade].into_iter().collect()
}

/// The start of a trade's reason.
pub const TRADE_REASON_PREFIX: &str = "trade:";

/// Items moving one way in a trade.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradedItems {
    /// Units of stackable items.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stacks: BTreeMap<SmolStr, u32>,
    /// Instances, each with its item.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "instance_list"
    )]
    pub instances: BTreeMap<InstanceId, SmolStr>,
}

impl TradedItems {
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty() && self.instances.is_empty()
    }
}

impl Inventory {
    /// An offer of `stacks` (item, units) and `instances`, if each is held and tradable; the
    /// instances' items are filled in from what is held.
    pub fn offer(
        &self,
        catalog: &Catalog,
        stacks: &[(String, u32)],
        instances: &[InstanceId],
    ) -> Result<TradedItems, InventoryError> {
        let mut offered = TradedItems::default();
        for (item, qty) in stacks {
            let spec = catalog.item(item).ok_or(InventoryError::UnknownItem)?;
            if !spec.stackable || *qty == 0 {
                return Err(InventoryError::InvalidQuantity);
            }
            let total = offered.stacks.entry(SmolStr::new(item)).or_default();
            *total = total
                .checked_add(*qty)
                .ok_or(InventoryError::InvalidQuantity)?;
        }
        for instance in instances {
            let item = self
                .instances
                .get(instance)
                .ok_or(InventoryError::NotOwned)?;
            offered.instances.insert(*instance, item.clone());
        }
        self.check_offered(catalog, &offered)?;
        Ok(offered)
    }

    /// Whether everything in `offered` is still held and tradable.
    pub fn check_offered(
        &self,
        catalog: &Catalog,
        offered: &TradedItems,
    ) -> Result<(), InventoryError> {
        self.stacks_emptied_by(catalog, offered).map(|_| ())
    }

    /// How many of its stacks giving `offered` empties, if everything in it is still held and
    /// tradable: one lookup per stack serves both.
    fn stacks_emptied_by(
        &self,
        catalog: &Catalog,
        offered: &TradedItems,
    ) -> Result<u32, InventoryError> {
        let items = offered.stacks.keys().chain(offered.instances.values());
        for item in items {
            let spec = catalog.item(item).ok_or(InventoryError::UnknownItem)?;
            if !spec.tradable {
                return Err(InventoryError::NotTradable);
            }
        }
        let mut emptied = 0;
        for (item, qty) in &offered.stacks {
            match self.stacks.get(item) {
                Some(held) if held == qty => emptied += 1,
                Some(held) if held > qty => {}
                _ => return Err(InventoryError::NotOwned),
            }
        }
        let instances_held = offered
            .instances
            .iter()
            .all(|(instance, item)| self.instances.get(instance) == Some(item));
        match instances_held {
            true => Ok(emptied),
            false => Err(InventoryError::NotOwned),
        }
    }

    /// This side's share of settled trade `trade`: it gives `gave` and gets `got`, if it still holds
    /// what it gives and what it gets fits (`capacity` slots, stack limits).
    pub fn trade(
        &self,
        catalog: &Catalog,
        trade: &str,
        gave: &Arc<TradedItems>,
        got: &Arc<TradedItems>,
        capacity: u32,
    ) -> Result<InventoryEvent, InventoryError> {
        let emptied = self.stacks_emptied_by(catalog, gave)?;
        let mut slots = i64::from(self.slots_used()) - i64::from(emptied);
        slots -= gave.instances.len() as i64;
        for (item, qty) in &got.stacks {
            let spec = catalog.item(item).ok_or(InventoryError::UnknownItem)?;
            let kept = self.stacks.get(item).copied().unwrap_or(0)
                - gave.stacks.get(item).copied().unwrap_or(0);
            if u64::from(kept) + u64::from(*qty) > u64::from(spec.max_stack) {
                return Err(InventoryError::StackFull);
            }
            if kept == 0 {
                slots += 1;
            }
        }
        slots += got.instances.len() as i64;
        if slots > i64::from(capacity) {
            return Err(InventoryError::InventoryFull);
        }
        Ok(InventoryEvent::ItemsTraded {
            trade: trade.into(),
            gave: Arc::clone(gave),
            got: Arc::clone(got),
        })
    }

    /// Folds a trade share: what was given goes (unequipped if it was), what was got comes. Got
    /// instances keep their ids, and this inventory's next serial is untouched: they were minted
    /// elsewhere.
    pub(super) fn exchange(&mut self, gave: &TradedItems, got: &TradedItems) {
        for (item, qty) in &gave.stacks {
            self.remove_units(item, *qty);
        }
        for instance in gave.instances.keys() {
            self.instances.remove(instance);
            self.loadout.remove_instance(*instance);
        }
        for (item, qty) in &got.stacks {
            self.add_units(item, *qty);
        }
        for (instance, item) in &got.instances {
            self.instances.insert(*instance, item.clone());
        }
    }
}

#[cfg(test)]
mod tests;
