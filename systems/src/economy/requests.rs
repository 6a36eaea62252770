//! One system applies every item request of the tick, in the order they arrived (equip, then use,
//! in one tick, works as the player meant).

use super::ledger::Ledger;
use crate::anticheat::CheatEvidence;
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{
    Inventory, InventoryError, InventoryEvent, Wallet, WalletEvent,
};
use arbiter_components::items::Catalog;
use arbiter_components::matchmaking::InMatch;
use arbiter_components::player::{Health, Loading, PlayerId};
use arbiter_components::protocol::ItemRequest;
use arbiter_components::shop::{Shop, purchase_reason};
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_components::trade::TradeLock;
use bevy_ecs::change_detection::Mut;
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{Message, MessageReader, MessageWriter};
use bevy_ecs::query::Has;
use bevy_ecs::system::{Query, Res};
use std::collections::HashMap;

/// A player's item request, decoded from the wire.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ItemRequested {
    pub player: Entity,
    pub request: ItemRequest,
}

/// When each consumable may be used again, by server tick.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemCooldowns {
    ready_at: HashMap<String, u64>,
}

/// Suspicion for asking to use what one does not own or cannot pay for: an honest client never
/// does (it knows its inventory), but a stale view can, so a few are forgiven.
const NOT_OWNED_WEIGHT: f32 = 2.0;

/// What the rules change for one request.
#[derive(Debug, Default)]
struct Applied {
    inventory: Option<InventoryEvent>,
    wallet: Option<WalletEvent>,
}

/// A player as the rules read and change it for item requests.
type Owner<'a> = (
    &'a PlayerId,
    &'a mut Inventory,
    &'a mut Wallet,
    &'a mut ItemCooldowns,
    Option<&'a mut Health>,
    Has<InMatch>,
    Has<Loading>,
    Option<&'a TradeLock>,
);

/// One player of [`Owner`], fetched.
type OwnerItem<'w> = (
    &'w PlayerId,
    Mut<'w, Inventory>,
    Mut<'w, Wallet>,
    Mut<'w, ItemCooldowns>,
    Option<Mut<'w, Health>>,
    bool,
    bool,
    Option<&'w TradeLock>,
);

/// The rules' view of the tick: catalog, shop, capacity, time.
#[derive(Debug, Clone, Copy)]
struct Rules<'a> {
    catalog: &'a Catalog,
    shop: &'a Shop,
    capacity: u32,
    now: u64,
    rate: TickRate,
}

#[expect(
    clippy::too_many_arguments,
    reason = "a system: its parameters are what it reads and writes"
)]
pub fn apply_item_requests(
    mut requests: MessageReader<ItemRequested>,
    catalog: Res<Catalog>,
    shop: Res<Shop>,
    settings: Res<EconomySettings>,
    tick: Res<ServerTick>,
    rate: Res<TickRate>,
    mut players: Query<Owner>,
    mut ledger: Ledger,
    mut evidence: MessageWriter<CheatEvidence>,
) {
    let rules = Rules {
        catalog: &catalog,
        shop: &shop,
        capacity: settings.inventory_capacity,
        now: tick.get(),
        rate: *rate,
    };
    for ItemRequested { player, request } in requests.read() {
        let Ok(mut owner) = players.get_mut(*player) else {
            continue;
        };
        match decide(&rules, &mut owner, request) {
            Ok(applied) => {
                if let Some(event) = applied.wallet {
                    ledger.wallet(*player, &mut owner.2, event);
                }
                if let Some(event) = applied.inventory {
                    ledger.inventory(*player, &mut owner.1, event);
                }
            }
            Err(reason) => {
                if matches!(
                    reason,
                    InventoryError::NotOwned | InventoryError::InsufficientFunds
                ) {
                    evidence.write(CheatEvidence {
                        player: *player,
                        weight: NOT_OWNED_WEIGHT,
                        reason: reason.as_str(),
                    });
                }
                ledger.refuse(*player, request, reason);
            }
        }
    }
}

/// Checks one request; a use also heals and starts the cooldown here (they are not stored).
fn decide(
    rules: &Rules,
    (id, inventory, wallet, cooldowns, health, in_match, loading, lock): &mut OwnerItem<'_>,
    request: &ItemRequest,
) -> Result<Applied, InventoryError> {
    // Until it has loaded, the inventory is a placeholder the stored one will replace.
    if *loading {
        return Err(InventoryError::NotLoaded);
    }
    if lock.is_some_and(|lock| lock.covers(request, rules.shop)) {
        return Err(InventoryError::OfferedInTrade);
    }
    let catalog = rules.catalog;
    let inventory_only = |event| {
        Ok(Applied {
            inventory: Some(event),
            wallet: None,
        })
    };
    match request {
        ItemRequest::Equip {
            slot,
            item,
            instance,
        } => inventory_only(inventory.equip(catalog, *slot, item, *instance)?),
        ItemRequest::Unequip { slot } => inventory_only(inventory.unequip(*slot)?),
        ItemRequest::Discard {
            item,
            qty,
            instance,
        } => inventory_only(inventory.discard(item, *qty, *instance)?),
        ItemRequest::UseItem { item } => {
            let event = inventory.use_one(catalog, item)?;
            let health = health.as_mut().filter(|health| health.is_alive());
            let Some(health) = health else {
                return Err(InventoryError::NotAlive);
            };
            if !*in_match {
                return Err(InventoryError::NotInMatch);
            }
            if cooldowns
                .ready_at
                .get(item)
                .is_some_and(|ready| *ready > rules.now)
            {
                return Err(InventoryError::OnCooldown);
            }
            let spec = catalog.item(item).ok_or(InventoryError::UnknownItem)?;
            let cooldown = (spec.cooldown_secs * rules.rate.hz() as f32).ceil() as u64;
            cooldowns
                .ready_at
                .insert(item.clone(), rules.now + cooldown);
            health.0 = health.0.saturating_add(spec.heal).min(Health::FULL.0);
            inventory_only(event)
        }
        ItemRequest::Buy { offer } => {
            let offer = rules
                .shop
                .offer(offer)
                .ok_or(InventoryError::UnknownOffer)?;
            let price = i64::try_from(offer.price).map_err(|_| InventoryError::Overflow)?;
            let debit =
                wallet.change(catalog, &offer.currency, -price, purchase_reason(&offer.id))?;
            let bought = inventory.buy(
                catalog,
                &offer.id,
                &offer.item,
                offer.qty,
                rules.capacity,
                id.0,
            )?;
            Ok(Applied {
                inventory: Some(bought),
                wallet: Some(debit),
            })
        }
    }
}
