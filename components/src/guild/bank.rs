//! A guild's bank: currencies and items any member deposits and members withdraw by role, each
//! member up to a daily limit of its role. Every deposit and withdrawal is a transfer between the
//! member and the guild (see `arbiter::guild`), so the bank is the fold of those transfers'
//! guild legs.

use crate::inventory::{InstanceId, TradedItems, instance_list};
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::BTreeMap;

/// What a guild's bank holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildBank {
    /// Units of stackable items.
    pub stacks: BTreeMap<SmolStr, u32>,
    /// Instances, each with its item.
    #[serde(with = "instance_list")]
    pub instances: BTreeMap<InstanceId, SmolStr>,
    pub currencies: BTreeMap<SmolStr, u64>,
}

/// Items and currencies moving between a member and the bank.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankMove {
    pub items: TradedItems,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub currencies: BTreeMap<SmolStr, u64>,
}

impl BankMove {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.currencies.is_empty()
    }

    /// What it counts against a daily limit: units of items and currencies together (an
    /// instance is one unit).
    pub fn size(&self) -> u64 {
        let stacks: u64 = self.items.stacks.values().map(|qty| u64::from(*qty)).sum();
        let currencies: u64 = self.currencies.values().sum();
        stacks
            .saturating_add(self.items.instances.len() as u64)
            .saturating_add(currencies)
    }
}

impl GuildBank {
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty() && self.instances.is_empty() && self.currencies.is_empty()
    }

    /// Whether it holds all of `moved`.
    pub fn holds(&self, moved: &BankMove) -> bool {
        let stacks = moved
            .items
            .stacks
            .iter()
            .all(|(item, qty)| self.stacks.get(item).is_some_and(|held| held >= qty));
        let instances = moved
            .items
            .instances
            .iter()
            .all(|(instance, item)| self.instances.get(instance) == Some(item));
        let currencies = moved.currencies.iter().all(|(currency, amount)| {
            self.currencies
                .get(currency)
                .is_some_and(|held| held >= amount)
        });
        stacks && instances && currencies
    }

    /// Whether it holds all of `moved` even without `deposits` (which may yet be undone).
    pub fn holds_without<'a>(
        &self,
        moved: &BankMove,
        deposits: impl IntoIterator<Item = &'a BankMove>,
    ) -> bool {
        let mut left = self.clone();
        for deposit in deposits {
            left.withdraw(deposit);
        }
        left.holds(moved)
    }

    pub(super) fn deposit(&mut self, moved: &BankMove) {
        for (item, qty) in &moved.items.stacks {
            let held = self.stacks.entry(item.clone()).or_default();
            *held = held.saturating_add(*qty);
        }
        for (instance, item) in &moved.items.instances {
            self.instances.insert(*instance, item.clone());
        }
        for (currency, amount) in &moved.currencies {
            let held = self.currencies.entry(currency.clone()).or_default();
            *held = held.saturating_add(*amount);
        }
    }

    /// Takes `moved` out; checked with [`Self::holds`] before.
    pub(super) fn withdraw(&mut self, moved: &BankMove) {
        fn take<K: Ord + Clone, V: Copy + Ord + std::ops::Sub<Output = V> + Default>(
            held: &mut BTreeMap<K, V>,
            key: &K,
            amount: V,
        ) {
            if let Some(value) = held.get_mut(key) {
                *value = *value - amount.min(*value);
                if *value == V::default() {
                    held.remove(key);
                }
            }
        }
        for (item, qty) in &moved.items.stacks {
            take(&mut self.stacks, item, *qty);
        }
        for instance in moved.items.instances.keys() {
            self.instances.remove(instance);
        }
        for (currency, amount) in &moved.currencies {
            take(&mut self.currencies, currency, *amount);
        }
    }
}
