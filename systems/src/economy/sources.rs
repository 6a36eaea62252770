//! Where items and currencies come from, server-side only: the starter kit of a new player, and a
//! finished match's pay and loot. What does not fit (a full inventory) is skipped and reported.

use super::ledger::Ledger;
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{EquipSlot, Inventory, InventoryError, InventoryEvent, Wallet};
use arbiter_components::items::{Catalog, ItemKind};
use arbiter_components::match_events::MatchCompleted;
use arbiter_components::messages::StarterKitDue;
use arbiter_components::player::{ForfeitsRewards, PlayerId};
use arbiter_components::rewards::{MatchResult, Rewards};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{Message, MessageReader, MessageWriter};
use bevy_ecs::query::Without;
use bevy_ecs::system::{Query, Res};
use std::collections::HashMap;

/// A grant from a source that did not fit; the player did not get it.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GrantSkipped {
    pub player: Entity,
    pub what: String,
    pub reason: InventoryError,
}

type Receiver<'a> = (&'a PlayerId, &'a mut Inventory, &'a mut Wallet);

/// A source's view: catalog and capacity.
struct Source<'a> {
    catalog: &'a Catalog,
    capacity: u32,
}

impl Source<'_> {
    /// Grants `qty` of `item`, equipping it in the first free slot that takes it when `equip`.
    fn item(
        &self,
        ledger: &mut Ledger,
        (player, owner, inventory): (Entity, u64, &mut Inventory),
        (item, qty, equip): (&str, u32, bool),
        reason: &str,
    ) -> Result<(), InventoryError> {
        let event = inventory.grant(self.catalog, item, qty, self.capacity, owner, reason)?;
        let first = match &event {
            InventoryEvent::ItemGranted { instances, .. } => instances.first().copied(),
            _ => None,
        };
        ledger.inventory(player, inventory, event);
        if equip && let Some(slot) = self.free_slot(inventory, item) {
            let equipped = inventory.equip(self.catalog, slot, item, first)?;
            ledger.inventory(player, inventory, equipped);
        }
        Ok(())
    }

    fn free_slot(&self, inventory: &Inventory, item: &str) -> Option<EquipSlot> {
        let loadout = inventory.loadout();
        match self.catalog.item(item)?.kind {
            ItemKind::Weapon if loadout.primary.is_none() => Some(EquipSlot::Primary),
            ItemKind::Weapon if loadout.secondary.is_none() => Some(EquipSlot::Secondary),
            ItemKind::Consumable if loadout.consumable.is_none() => Some(EquipSlot::Consumable),
            _ => None,
        }
    }

    fn currency(
        &self,
        ledger: &mut Ledger,
        player: Entity,
        wallet: &mut Wallet,
        (currency, amount): (&str, u64),
        reason: &str,
    ) -> Result<(), InventoryError> {
        if amount == 0 {
            return Ok(());
        }
        let amount = i64::try_from(amount).map_err(|_| InventoryError::Overflow)?;
        let event = wallet.change(self.catalog, currency, amount, reason)?;
        ledger.wallet(player, wallet, event);
        Ok(())
    }
}

/// Gives each newly registered player the starter kit.
pub fn grant_starter_kits(
    mut registered: MessageReader<StarterKitDue>,
    catalog: Res<Catalog>,
    rewards: Res<Rewards>,
    settings: Res<EconomySettings>,
    mut players: Query<Receiver>,
    mut ledger: Ledger,
    mut skipped: MessageWriter<GrantSkipped>,
) {
    let source = Source {
        catalog: &catalog,
        capacity: settings.inventory_capacity,
    };
    let kit = &rewards.starter_kit;
    for StarterKitDue { player } in registered.read() {
        let Ok((id, mut inventory, mut wallet)) = players.get_mut(*player) else {
            continue;
        };
        for item in &kit.items {
            let granted = source.item(
                &mut ledger,
                (*player, id.0, &mut inventory),
                (&item.item, item.qty, item.equip),
                "starter_kit",
            );
            report(&mut skipped, *player, &item.item, granted);
        }
        for amount in &kit.currencies {
            let granted = source.currency(
                &mut ledger,
                *player,
                &mut wallet,
                (&amount.currency, amount.amount),
                "starter_kit",
            );
            report(&mut skipped, *player, &amount.currency, granted);
        }
    }
}

/// Pays every player on a finished match's scoreboard for its result and kills, and draws its loot
/// (a player kicked by anti-cheat forfeits both).
#[expect(
    clippy::too_many_arguments,
    reason = "a system: its parameters are what it reads and writes"
)]
pub fn pay_match_rewards(
    mut completed: MessageReader<MatchCompleted>,
    catalog: Res<Catalog>,
    rewards: Res<Rewards>,
    settings: Res<EconomySettings>,
    mut players: Query<Receiver, Without<ForfeitsRewards>>,
    entities: Query<(Entity, &PlayerId)>,
    mut ledger: Ledger,
    mut skipped: MessageWriter<GrantSkipped>,
) {
    if completed.is_empty() {
        return;
    }
    let by_id: HashMap<u64, Entity> = entities.iter().map(|(entity, id)| (id.0, entity)).collect();
    let source = Source {
        catalog: &catalog,
        capacity: settings.inventory_capacity,
    };
    for result in completed.read() {
        for line in &result.scoreboard {
            let Some(&player) = by_id.get(&line.player_id) else {
                continue;
            };
            let Ok((_, mut inventory, mut wallet)) = players.get_mut(player) else {
                continue;
            };
            let outcome = match result.winner {
                None => MatchResult::Draw,
                Some(team) if team == line.team => MatchResult::Win,
                Some(_) => MatchResult::Loss,
            };
            let reason = format!("match:{}:{}", result.match_id, outcome.as_str());
            if let Some(pay) = &rewards.match_pay {
                let base = match outcome {
                    MatchResult::Win => pay.win,
                    MatchResult::Loss => pay.loss,
                    MatchResult::Draw => pay.draw,
                };
                let amount =
                    base.saturating_add(pay.per_kill.saturating_mul(u64::from(line.kills)));
                let paid = source.currency(
                    &mut ledger,
                    player,
                    &mut wallet,
                    (&pay.currency, amount),
                    &reason,
                );
                report(&mut skipped, player, &pay.currency, paid);
            }
            let roll = mix(result.match_id, line.player_id);
            if let Some(entry) = rewards.draw_loot(outcome, roll)
                && let Some(item) = &entry.item
            {
                let looted = source.item(
                    &mut ledger,
                    (player, line.player_id, &mut inventory),
                    (item, entry.qty, false),
                    &format!("loot:{}", result.match_id),
                );
                report(&mut skipped, player, item, looted);
            }
        }
    }
}

fn report(
    skipped: &mut MessageWriter<GrantSkipped>,
    player: Entity,
    what: &str,
    granted: Result<(), InventoryError>,
) {
    if let Err(reason) = granted {
        skipped.write(GrantSkipped {
            player,
            what: what.to_owned(),
            reason,
        });
    }
}

/// A well-spread number from a match and a player (splitmix64): each player's loot roll is the
/// same on every replay of the match, and independent of the others'. (Tests draw from it too.)
pub(crate) fn mix(match_id: u64, player_id: u64) -> u64 {
    let mut z = match_id
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(player_id);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
