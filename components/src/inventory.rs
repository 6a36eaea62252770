//! What a player owns: items (stacks and unique instances) with a loadout, and a wallet. Amounts
//! change only through events: a rule checks a request (`grant`, `discard`, `equip`, …), which gives
//! the event to record, then folds it with `apply` — the same fold that replays the stored log.

use crate::items::{Catalog, ItemKind};
use bevy_ecs::component::Component;
use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

mod traded;

pub use traded::{TRADE_REASON_PREFIX, TradedItems, trade_reason};

/// One item instance, unique across all shards and restarts without coordination: the player it
/// was minted for and that player's serial, which only grows and is stored with the inventory (a
/// serial lost in a crash was never durable, so no durable id is ever minted twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct InstanceId {
    pub origin: u64,
    pub serial: u64,
}

/// Where an equipped item sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipSlot {
    /// A weapon instance.
    Primary,
    /// A weapon instance.
    Secondary,
    /// A consumable (by item: its units are interchangeable).
    Consumable,
}

/// What is equipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loadout {
    pub primary: Option<InstanceId>,
    pub secondary: Option<InstanceId>,
    pub consumable: Option<SmolStr>,
}

impl Loadout {
    /// Puts `instance` (weapon slots) or `item` (the consumable slot) in `slot`; an instance sits in
    /// one slot, so equipping it elsewhere moves it.
    pub fn equip(&mut self, slot: EquipSlot, item: &str, instance: Option<InstanceId>) {
        if let Some(instance) = instance {
            self.remove_instance(instance);
        }
        match slot {
            EquipSlot::Primary => self.primary = instance,
            EquipSlot::Secondary => self.secondary = instance,
            EquipSlot::Consumable => self.consumable = Some(item.into()),
        }
    }

    pub fn unequip(&mut self, slot: EquipSlot) {
        match slot {
            EquipSlot::Primary => self.primary = None,
            EquipSlot::Secondary => self.secondary = None,
            EquipSlot::Consumable => self.consumable = None,
        }
    }

    /// Empties the weapon slot that holds `instance` (it is gone).
    pub fn remove_instance(&mut self, instance: InstanceId) {
        for slot in [&mut self.primary, &mut self.secondary] {
            if *slot == Some(instance) {
                *slot = None;
            }
        }
    }

    /// Empties the consumable slot if it holds `item` (none is left).
    pub fn remove_consumable(&mut self, item: &str) {
        if self.consumable.as_deref() == Some(item) {
            self.consumable = None;
        }
    }
}

/// Why a request about items or currency was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum InventoryError {
    #[error("no such item")]
    UnknownItem,
    #[error("no such currency")]
    UnknownCurrency,
    #[error("the quantity must be at least 1 and fit a stack")]
    InvalidQuantity,
    #[error("the stack would exceed the item's max_stack")]
    StackFull,
    #[error("no free slot")]
    InventoryFull,
    #[error("the player does not own that")]
    NotOwned,
    #[error("that item does not go in that slot")]
    WrongSlot,
    #[error("not enough currency")]
    InsufficientFunds,
    #[error("a balance would overflow")]
    Overflow,
    #[error("the item is cooling down")]
    OnCooldown,
    #[error("only a living player uses items")]
    NotAlive,
    #[error("only a player in a match uses items")]
    NotInMatch,
    #[error("no such offer in the shop")]
    UnknownOffer,
    #[error("the player's items are still loading")]
    NotLoaded,
    #[error("that item cannot be traded")]
    NotTradable,
    #[error("it is offered in a trade under review")]
    OfferedInTrade,
}

impl InventoryError {
    /// Its name in metrics and logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            InventoryError::UnknownItem => "unknown_item",
            InventoryError::UnknownCurrency => "unknown_currency",
            InventoryError::InvalidQuantity => "invalid_quantity",
            InventoryError::StackFull => "stack_full",
            InventoryError::InventoryFull => "inventory_full",
            InventoryError::NotOwned => "not_owned",
            InventoryError::WrongSlot => "wrong_slot",
            InventoryError::InsufficientFunds => "insufficient_funds",
            InventoryError::Overflow => "overflow",
            InventoryError::OnCooldown => "on_cooldown",
            InventoryError::NotAlive => "not_alive",
            InventoryError::NotInMatch => "not_in_match",
            InventoryError::UnknownOffer => "unknown_offer",
            InventoryError::NotLoaded => "not_loaded",
            InventoryError::NotTradable => "not_tradable",
            InventoryError::OfferedInTrade => "offered_in_trade",
        }
    }
}

/// A change to an inventory, with its reason: the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InventoryEvent {
    /// Items created for the player (`reason`: starter_kit, match_reward, loot, grant:…).
    ItemGranted {
        item: SmolStr,
        qty: u32,
        /// The minted instances of an item that is not stackable (one per unit).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        instances: Vec<InstanceId>,
        reason: SmolStr,
    },
    /// Items bought from the shop (its price is the wallet's `currency_changed` of the same tick).
    ItemBought {
        offer: SmolStr,
        item: SmolStr,
        qty: u32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        instances: Vec<InstanceId>,
    },
    /// One unit used up (a consumable).
    ItemUsed {
        item: SmolStr,
    },
    /// Units thrown away: `qty` of a stack, or the listed instances.
    ItemDiscarded {
        item: SmolStr,
        qty: u32,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        instances: Vec<InstanceId>,
    },
    /// An instance (weapons) or an item (consumables) put in a slot.
    ItemEquipped {
        slot: EquipSlot,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<InstanceId>,
        item: SmolStr,
    },
    ItemUnequipped {
        slot: EquipSlot,
    },
    /// This side's share of a settled trade: what it gave and what it got.
    /// Shared with the trade that settled (and both sides' other copies): a share is recorded,
    /// applied and told without copying its items.
    ItemsTraded {
        trade: SmolStr,
        gave: Arc<TradedItems>,
        got: Arc<TradedItems>,
    },
}

/// Units held of each stackable item. Hashed: trades, uses and grants look items up in it every
/// tick, and a lookup touches two cache lines where an ordered map of a hundred stacks touches
/// ten. With a fixed seed, as its keys are catalog ids: it lists them in the same order every run.
pub type Stacks = HashMap<SmolStr, u32, FixedState>;

/// A player's items.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Stackable items: units held, one slot per item.
    stacks: Stacks,
    /// Instances: one slot each. A list of `[id, item]` pairs in JSON, whose map keys are text.
    #[serde(with = "instance_list")]
    instances: BTreeMap<InstanceId, SmolStr>,
    loadout: Loadout,
    /// The next serial to mint for this player.
    next_serial: u64,
}

impl Inventory {
    /// An inventory as stored; refused when the loadout names what is not held or a stack is
    /// empty.
    pub fn restore(
        stacks: impl IntoIterator<Item = (SmolStr, u32)>,
        instances: BTreeMap<InstanceId, SmolStr>,
        loadout: Loadout,
        next_serial: u64,
    ) -> Result<Self, String> {
        let stacks: Stacks = stacks.into_iter().collect();
        if let Some((item, _)) = stacks.iter().find(|(_, held)| **held == 0) {
            return Err(format!("an empty stack of {item}"));
        }
        for instance in [loadout.primary, loadout.secondary].into_iter().flatten() {
            if !instances.contains_key(&instance) {
                return Err(format!("equipped instance {instance:?} is not held"));
            }
        }
        if let Some(item) = &loadout.consumable
            && !stacks.contains_key(item)
        {
            return Err(format!("equipped consumable {item} is not held"));
        }
        Ok(Self {
            stacks,
            instances,
            loadout,
            next_serial,
        })
    }

    /// Slots in use: one per stack and one per instance.
    pub fn slots_used(&self) -> u32 {
        u32::try_from(self.stacks.len() + self.instances.len()).unwrap_or(u32::MAX)
    }

    /// The stacks, in no particular order.
    pub fn stacks(&self) -> &Stacks {
        &self.stacks
    }

    /// The stacks by item id: what a player or a client reads.
    pub fn stacks_in_order(&self) -> Vec<(&SmolStr, u32)> {
        let mut stacks: Vec<_> = self.stacks.iter().map(|(item, qty)| (item, *qty)).collect();
        stacks.sort_unstable_by(|one, other| one.0.cmp(other.0));
        stacks
    }

    pub fn instances(&self) -> &BTreeMap<InstanceId, SmolStr> {
        &self.instances
    }

    pub fn loadout(&self) -> &Loadout {
        &self.loadout
    }

    pub fn next_serial(&self) -> u64 {
        self.next_serial
    }

    /// Units of `item` held (stack or instances).
    pub fn count(&self, item: &str) -> u64 {
        let stacked = self.stacks.get(item).copied().map_or(0, u64::from);
        let instances = self.instances.values().filter(|held| *held == item).count();
        stacked + instances as u64
    }

    /// Whether an instance of weapon `item` is equipped.
    pub fn has_equipped_weapon(&self, item: &str) -> bool {
        [self.loadout.primary, self.loadout.secondary]
            .into_iter()
            .flatten()
            .any(|instance| {
                self.instances
                    .get(&instance)
                    .is_some_and(|held| held == item)
            })
    }

    /// Checks that `qty` units of `item` fit (`capacity` slots), and gives the units' instances if
    /// it is not stackable (minted for `owner`).
    fn receive(
        &self,
        catalog: &Catalog,
        item: &str,
        qty: u32,
        capacity: u32,
        owner: u64,
    ) -> Result<Vec<InstanceId>, InventoryError> {
        let spec = catalog.item(item).ok_or(InventoryError::UnknownItem)?;
        if qty == 0 || (spec.stackable && qty > spec.max_stack) {
            return Err(InventoryError::InvalidQuantity);
        }
        if spec.stackable {
            let held = self.stacks.get(item).copied().unwrap_or(0);
            if held.saturating_add(qty) > spec.max_stack {
                return Err(InventoryError::StackFull);
            }
            if held == 0 && self.slots_used() >= capacity {
                return Err(InventoryError::InventoryFull);
            }
            return Ok(Vec::new());
        }
        if u64::from(self.slots_used()) + u64::from(qty) > u64::from(capacity) {
            return Err(InventoryError::InventoryFull);
        }
        Ok((0..u64::from(qty))
            .map(|index| InstanceId {
                origin: owner,
                serial: self.next_serial + index,
            })
            .collect())
    }

    /// A grant of `qty` units of `item` to `owner` for `reason`, if it fits.
    pub fn grant(
        &self,
        catalog: &Catalog,
        item: &str,
        qty: u32,
        capacity: u32,
        owner: u64,
        reason: &str,
    ) -> Result<InventoryEvent, InventoryError> {
        let instances = self.receive(catalog, item, qty, capacity, owner)?;
        Ok(InventoryEvent::ItemGranted {
            item: item.into(),
            qty,
            instances,
            reason: reason.into(),
        })
    }

    /// A purchase of `qty` units of `item` by `owner` through shop offer `offer`, if it fits (the
    /// price is the wallet's to check).
    pub fn buy(
        &self,
        catalog: &Catalog,
        offer: &str,
        item: &str,
        qty: u32,
        capacity: u32,
        owner: u64,
    ) -> Result<InventoryEvent, InventoryError> {
        let instances = self.receive(catalog, item, qty, capacity, owner)?;
        Ok(InventoryEvent::ItemBought {
            offer: offer.into(),
            item: item.into(),
            qty,
            instances,
        })
    }

    /// Using one unit of consumable `item`, if held (cooldown and match state are the rule's).
    pub fn use_one(&self, catalog: &Catalog, item: &str) -> Result<InventoryEvent, InventoryError> {
        let spec = catalog.item(item).ok_or(InventoryError::UnknownItem)?;
        if spec.kind != ItemKind::Consumable {
            return Err(InventoryError::WrongSlot);
        }
        if self.stacks.get(item).copied().unwrap_or(0) == 0 {
            return Err(InventoryError::NotOwned);
        }
        Ok(InventoryEvent::ItemUsed { item: item.into() })
    }

    /// Discarding `qty` units of stackable `item`, or the one instance `instance`.
    pub fn discard(
        &self,
        item: &str,
        qty: u32,
        instance: Option<InstanceId>,
    ) -> Result<InventoryEvent, InventoryError> {
        match instance {
            Some(instance) => {
                if self.instances.get(&instance).map(SmolStr::as_str) != Some(item) {
                    return Err(InventoryError::NotOwned);
                }
                Ok(InventoryEvent::ItemDiscarded {
                    item: item.into(),
                    qty: 1,
                    instances: vec![instance],
                })
            }
            None => {
                let held = self.stacks.get(item).copied().unwrap_or(0);
                if qty == 0 {
                    return Err(InventoryError::InvalidQuantity);
                }
                if held < qty {
                    return Err(InventoryError::NotOwned);
                }
                Ok(InventoryEvent::ItemDiscarded {
                    item: item.into(),
                    qty,
                    instances: Vec::new(),
                })
            }
        }
    }

    /// Putting a weapon instance (primary, secondary) or a consumable item (consumable) in `slot`.
    pub fn equip(
        &self,
        catalog: &Catalog,
        slot: EquipSlot,
        item: &str,
        instance: Option<InstanceId>,
    ) -> Result<InventoryEvent, InventoryError> {
        let spec = catalog.item(item).ok_or(InventoryError::UnknownItem)?;
        let fits = match slot {
            EquipSlot::Primary | EquipSlot::Secondary => {
                spec.kind == ItemKind::Weapon && instance.is_some()
            }
            EquipSlot::Consumable => spec.kind == ItemKind::Consumable && instance.is_none(),
        };
        if !fits {
            return Err(InventoryError::WrongSlot);
        }
        let owned = match instance {
            Some(instance) => self.instances.get(&instance).map(SmolStr::as_str) == Some(item),
            None => self.stacks.get(item).copied().unwrap_or(0) > 0,
        };
        if !owned {
            return Err(InventoryError::NotOwned);
        }
        Ok(InventoryEvent::ItemEquipped {
            slot,
            instance,
            item: item.into(),
        })
    }

    /// Emptying `slot` (an empty slot is refused: nothing to record).
    pub fn unequip(&self, slot: EquipSlot) -> Result<InventoryEvent, InventoryError> {
        let equipped = match slot {
            EquipSlot::Primary => self.loadout.primary.is_some(),
            EquipSlot::Secondary => self.loadout.secondary.is_some(),
            EquipSlot::Consumable => self.loadout.consumable.is_some(),
        };
        if !equipped {
            return Err(InventoryError::NotOwned);
        }
        Ok(InventoryEvent::ItemUnequipped { slot })
    }

    /// Folds one event. Events are checked when made; folding trusts them, so a replay of the log
    /// gives exactly the state the rules had.
    pub fn apply(&mut self, event: &InventoryEvent) {
        match event {
            InventoryEvent::ItemGranted {
                item,
                qty,
                instances,
                ..
            }
            | InventoryEvent::ItemBought {
                item,
                qty,
                instances,
                ..
            } => self.add(item, *qty, instances),
            InventoryEvent::ItemUsed { item } => self.remove_units(item, 1),
            InventoryEvent::ItemDiscarded {
                item,
                qty,
                instances,
            } => {
                if instances.is_empty() {
                    self.remove_units(item, *qty);
                }
                for instance in instances {
                    self.instances.remove(instance);
                    self.loadout.remove_instance(*instance);
                }
            }
            InventoryEvent::ItemEquipped {
                slot,
                instance,
                item,
            } => self.loadout.equip(*slot, item, *instance),
            InventoryEvent::ItemUnequipped { slot } => self.loadout.unequip(*slot),
            InventoryEvent::ItemsTraded { gave, got, .. } => self.exchange(gave, got),
        }
    }

    fn add(&mut self, item: &str, qty: u32, instances: &[InstanceId]) {
        if instances.is_empty() {
            self.add_units(item, qty);
            return;
        }
        for instance in instances {
            self.instances.insert(*instance, item.into());
            self.next_serial = self.next_serial.max(instance.serial + 1);
        }
    }

    /// Adds units to a stack; the item's id is copied only for a stack not held yet.
    fn add_units(&mut self, item: &str, qty: u32) {
        match self.stacks.get_mut(item) {
            Some(held) => *held = held.saturating_add(qty),
            None => {
                self.stacks.insert(item.into(), qty);
            }
        }
    }

    fn remove_units(&mut self, item: &str, qty: u32) {
        if let Some(held) = self.stacks.get_mut(item) {
            *held = held.saturating_sub(qty);
            if *held == 0 {
                self.stacks.remove(item);
                self.loadout.remove_consumable(item);
            }
        }
    }
}

/// A player's currencies: an integer balance each, never negative.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    balances: BTreeMap<SmolStr, u64>,
}

/// A change to a wallet, with its reason (`match_win`, `purchase:rifle_offer`, `grant:…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WalletEvent {
    CurrencyChanged {
        currency: SmolStr,
        delta: i64,
        reason: SmolStr,
    },
}

impl Wallet {
    /// A wallet as stored; zero balances are dropped.
    pub fn restore(mut balances: BTreeMap<SmolStr, u64>) -> Self {
        balances.retain(|_, balance| *balance > 0);
        Self { balances }
    }

    pub fn balance(&self, currency: &str) -> u64 {
        self.balances.get(currency).copied().unwrap_or(0)
    }

    pub fn balances(&self) -> &BTreeMap<SmolStr, u64> {
        &self.balances
    }

    /// A change of `delta` in `currency` for `reason`, if the balance stays between 0 and
    /// `i64::MAX`. Ids already held as `SmolStr` move into the event without being copied.
    pub fn change(
        &self,
        catalog: &Catalog,
        currency: impl Into<SmolStr>,
        delta: i64,
        reason: impl Into<SmolStr>,
    ) -> Result<WalletEvent, InventoryError> {
        let currency = currency.into();
        catalog
            .currency(&currency)
            .ok_or(InventoryError::UnknownCurrency)?;
        if delta == 0 {
            return Err(InventoryError::InvalidQuantity);
        }
        let balance = i128::from(self.balance(&currency)) + i128::from(delta);
        if balance < 0 {
            return Err(InventoryError::InsufficientFunds);
        }
        if balance > i128::from(i64::MAX) {
            return Err(InventoryError::Overflow);
        }
        Ok(WalletEvent::CurrencyChanged {
            currency,
            delta,
            reason: reason.into(),
        })
    }

    /// Folds one event (checked when made); gives the currency's balance after it, which the
    /// client is told.
    pub fn apply(&mut self, event: &WalletEvent) -> u64 {
        let WalletEvent::CurrencyChanged {
            currency, delta, ..
        } = event;
        match self.balances.get_mut(currency) {
            Some(balance) => {
                *balance = balance.saturating_add_signed(*delta);
                let after = *balance;
                if after == 0 {
                    self.balances.remove(currency);
                }
                after
            }
            None => {
                let balance = 0u64.saturating_add_signed(*delta);
                if balance > 0 {
                    self.balances.insert(currency.clone(), balance);
                }
                balance
            }
        }
    }
}

/// Instances as a list of `(id, item)` pairs.
pub(crate) mod instance_list {
    use super::InstanceId;
    use serde::{Deserialize, Deserializer, Serializer};
    use smol_str::SmolStr;
    use std::collections::BTreeMap;

    pub(crate) fn serialize<S: Serializer>(
        instances: &BTreeMap<InstanceId, SmolStr>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(instances)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<InstanceId, SmolStr>, D::Error> {
        Ok(Vec::<(InstanceId, SmolStr)>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests;
