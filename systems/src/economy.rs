//! The economy's rules: players' requests about their items and currencies (equip, unequip, use,
//! discard, buy), checked against what they own, the catalog and the shop, and applied as events;
//! and the server-side sources: a new player's starter kit, a finished match's pay and loot.
//! Applied events go out as [`InventoryApplied`] / [`WalletApplied`] (persistence records them,
//! clients are told); refusals as [`ItemRefused`], and a request for what the player does not own
//! or cannot pay for is evidence for anti-cheat.

mod ledger;
mod requests;
mod sources;
#[cfg(test)]
pub(crate) use sources::mix;

pub use ledger::{InventoryApplied, ItemRefused, Ledger, WalletApplied};
pub use requests::{ItemCooldowns, ItemRequested, apply_item_requests};
pub use sources::{GrantSkipped, grant_starter_kits, pay_match_rewards};

use crate::anticheat::CheatEvidence;
use crate::phases::SimulationSystems;
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::items::Catalog;
use arbiter_components::match_events::MatchCompleted;
use arbiter_components::messages::{Outbound, StarterKitDue};
use arbiter_components::player::PlayerId;
use arbiter_components::rewards::Rewards;
use arbiter_components::shop::Shop;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::message::Messages;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::world::World;

/// Starter kits, match rewards and item requests, in that order, in the Economy phase; every
/// player carries an inventory, a wallet and its item cooldowns.
#[derive(Debug, Default)]
pub struct EconomyPlugin;

impl Plugin for EconomyPlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, Inventory>()
            .register_required_components::<PlayerId, Wallet>()
            .register_required_components::<PlayerId, ItemCooldowns>()
            .init_resource::<Catalog>()
            .init_resource::<Shop>()
            .init_resource::<Rewards>()
            .init_resource::<EconomySettings>()
            .init_resource::<ServerTick>()
            .init_resource::<TickRate>()
            .add_message::<ItemRequested>()
            .add_message::<InventoryApplied>()
            .add_message::<WalletApplied>()
            .add_message::<ItemRefused>()
            .add_message::<GrantSkipped>()
            .add_message::<CheatEvidence>()
            .add_message::<StarterKitDue>()
            .add_message::<Outbound>()
            .add_message::<MatchCompleted>()
            .add_systems(
                FixedUpdate,
                (grant_starter_kits, pay_match_rewards, apply_item_requests)
                    .chain()
                    .in_set(SimulationSystems::Economy),
            );
    }
}

/// Registers the economy's messages on a bare `World`: for tests and benches that run its systems
/// without an `App`.
pub fn init_messages(world: &mut World) {
    world.init_resource::<Messages<ItemRequested>>();
    world.init_resource::<Messages<InventoryApplied>>();
    world.init_resource::<Messages<WalletApplied>>();
    world.init_resource::<Messages<ItemRefused>>();
    world.init_resource::<Messages<GrantSkipped>>();
    world.init_resource::<Messages<CheatEvidence>>();
    world.init_resource::<Messages<StarterKitDue>>();
    world.init_resource::<Messages<Outbound>>();
    world.init_resource::<Messages<MatchCompleted>>();
}

#[cfg(test)]
mod tests;
