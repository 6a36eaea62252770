//! The economy's invariants over what is stored: for every player, per item and per currency, what
//! is held equals what its log granted and bought less what it used, discarded and spent; no
//! balance is negative (a stored negative balance does not decode); the inventory fits its capacity;
//! each operator grant was applied at most once; and every item instance is held by exactly one
//! player across all shards (and by no guild's bank besides: see `guild::audit_players_and_banks`).

use super::grant_claims::GrantClaimEvent;
use crate::persistence::{Store, StoreError};
use arbiter_components::inventory::{InstanceId, Inventory, InventoryEvent, Wallet, WalletEvent};
use serde::Deserialize;
use smol_str::SmolStr;
use std::collections::{BTreeMap, HashMap};

/// A broken economy invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EconomyViolation {
    pub player_id: u64,
    pub problem: String,
}

/// What an audit found: the broken invariants, and what the audited owners hold in total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EconomyAudit {
    pub violations: Vec<EconomyViolation>,
    /// Units of each item and balance of each currency, summed over the owners audited (players;
    /// guild banks too, see `guild::audit_players_and_banks`): what a conservation check across
    /// owners (trades and deposits move, never create) compares.
    pub held: BTreeMap<SmolStr, u128>,
    /// Who holds each item instance (a player's id; 0 for a guild's bank), for the rule that one
    /// owner holds it.
    pub(crate) holders: HashMap<InstanceId, u64>,
}

/// Audits `ids` (all players, for the instance rule to be complete) against an inventory of
/// `capacity` slots; the first database error stops it.
pub async fn audit_economy(
    store: &Store,
    ids: &[u64],
    capacity: u32,
) -> Result<EconomyAudit, StoreError> {
    let mut violations = Vec::new();
    let mut held: BTreeMap<SmolStr, u128> = BTreeMap::new();
    let mut holders: HashMap<InstanceId, u64> = HashMap::new();
    for &player_id in ids {
        let mut loaded = store.load_players(&[player_id]).await;
        if let Some(failure) = loaded.failed.pop() {
            return Err(failure.error);
        }
        let Some(record) = loaded.players.pop() else {
            continue;
        };
        let mut violation = |problem: String| {
            violations.push(EconomyViolation { player_id, problem });
        };
        let (inventory, wallet) = match (record.part::<Inventory>(), record.part::<Wallet>()) {
            (Ok(inventory), Ok(wallet)) => (inventory, wallet),
            (Err(problem), _) | (_, Err(problem)) => {
                violation(format!("stored part does not decode: {problem}"));
                continue;
            }
        };
        let units = inventory
            .stacks()
            .iter()
            .map(|(item, qty)| (item, u64::from(*qty)));
        let instances = inventory.instances().values().map(|item| (item, 1));
        for (id, amount) in units.chain(instances).chain(
            wallet
                .balances()
                .iter()
                .map(|(currency, balance)| (currency, *balance)),
        ) {
            *held.entry(id.clone()).or_default() += u128::from(amount);
        }
        if inventory.slots_used() > capacity {
            violation(format!(
                "uses {} slots of an inventory of {capacity}",
                inventory.slots_used()
            ));
        }
        let flows = Flows::of(&store.events(player_id).await?);
        for key in flows.grants_claimed_twice() {
            violation(format!("grant {key} was applied more than once"));
        }
        for (item, expected) in &flows.items {
            let held = i128::from(inventory.count(item));
            if held != *expected {
                violation(format!(
                    "holds {held} {item}, its log gives {expected} (granted and bought less used and discarded)"
                ));
            }
        }
        for item in inventory
            .stacks()
            .keys()
            .chain(inventory.instances().values())
        {
            if !flows.items.contains_key(item) {
                violation(format!("holds {item} that its log never gave it"));
            }
        }
        for (currency, expected) in &flows.currencies {
            let held = i128::from(wallet.balance(currency));
            if held != *expected {
                violation(format!("holds {held} {currency}, its log gives {expected}"));
            }
        }
        for currency in wallet.balances().keys() {
            if !flows.currencies.contains_key(currency) {
                violation(format!("holds {currency} that its log never gave it"));
            }
        }
        for instance in inventory.instances().keys() {
            if let Some(other) = holders.insert(*instance, player_id) {
                violation(format!(
                    "holds instance {}:{} also held by player {other}",
                    instance.origin, instance.serial
                ));
            }
        }
    }
    Ok(EconomyAudit {
        violations,
        held,
        holders,
    })
}

/// What a player's log says flowed in and out, per item and per currency, and how often each
/// operator grant was claimed.
#[derive(Debug, Default)]
struct Flows {
    items: BTreeMap<SmolStr, i128>,
    currencies: BTreeMap<SmolStr, i128>,
    claims: BTreeMap<String, u32>,
}

impl Flows {
    fn of(events: &[crate::persistence::StoredEvent]) -> Self {
        let mut flows = Self::default();
        for event in events
            .iter()
            .flat_map(|stored| stored.event.part_events(stored.player_id))
        {
            if let Ok(event) = InventoryEvent::deserialize(event.data()) {
                flows.item(&event);
            } else if let Ok(GrantClaimEvent::GrantClaimed { key }) =
                GrantClaimEvent::deserialize(event.data())
            {
                *flows.claims.entry(key).or_default() += 1;
            } else if let Ok(WalletEvent::CurrencyChanged {
                currency, delta, ..
            }) = WalletEvent::deserialize(event.data())
            {
                *flows.currencies.entry(currency).or_default() += i128::from(delta);
            }
        }
        flows
    }

    fn grants_claimed_twice(&self) -> impl Iterator<Item = &String> {
        self.claims
            .iter()
            .filter(|(_, claims)| **claims > 1)
            .map(|(key, _)| key)
    }

    fn item(&mut self, event: &InventoryEvent) {
        if let InventoryEvent::ItemsTraded { gave, got, .. } = event {
            for (items, sign) in [(gave, -1), (got, 1)] {
                for (item, qty) in &items.stacks {
                    *self.items.entry(item.clone()).or_default() += sign * i128::from(*qty);
                }
                for item in items.instances.values() {
                    *self.items.entry(item.clone()).or_default() += sign;
                }
            }
            return;
        }
        let (item, change) = match event {
            InventoryEvent::ItemGranted { item, qty, .. }
            | InventoryEvent::ItemBought { item, qty, .. } => (item, i128::from(*qty)),
            InventoryEvent::ItemUsed { item } => (item, -1),
            InventoryEvent::ItemDiscarded { item, qty, .. } => (item, -i128::from(*qty)),
            InventoryEvent::ItemEquipped { .. }
            | InventoryEvent::ItemUnequipped { .. }
            | InventoryEvent::ItemsTraded { .. } => return,
        };
        *self.items.entry(item.clone()).or_default() += change;
    }
}
