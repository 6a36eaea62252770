//! The economy in the server: its data as resources, a new player's registration when nothing
//! stores players, and (with persistence) every applied change recorded as the player's event and
//! operator grants delivered from the databases.

use super::data::EconomyData;
use super::grant_delivery::{apply_grants, look_up_grants};
use super::grant_mailbox::GrantMailbox;
use super::in_doubt::{TradesInDoubt, count_trades_in_doubt};
use super::reload::{EconomyReloads, apply_economy_reloads};
use super::settlement::{FencedTrades, settle_trades};
use super::starter_kit::starter_kits_due_at_login;
use crate::config::apply_reloaded_config;
use crate::persistence::{FlushNow, Progress, RecordEvents, Store, now_ms};
use crate::phase::ConfigSystems;
use crate::phase::TickSystems;
use crate::runtime::AsyncRuntime;
use arbiter_components::combat::Weapons;
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::messages::StarterKitDue;
use arbiter_components::player::PlayerId;
use arbiter_components::trade::{SettleTrade, TradeFailed, TradeSettled};
use arbiter_systems::SimulationSystems;
use arbiter_systems::economy::{InventoryApplied, WalletApplied, grant_starter_kits};
use bevy_app::{App, First, FixedUpdate, Plugin, PostUpdate, PreUpdate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::query::Added;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::Query;

/// Puts the catalog, shop and rewards in the world and wires the economy to persistence.
#[derive(Debug)]
pub struct EconomyDataPlugin {
    data: EconomyData,
    /// Where players are stored, if anywhere (else every arrival is new).
    store: Option<Store>,
}

impl EconomyDataPlugin {
    pub fn new(data: EconomyData, store: Option<Store>) -> Self {
        Self { data, store }
    }
}

impl Plugin for EconomyDataPlugin {
    fn build(&self, app: &mut App) {
        let data = self.data.clone();
        if let Some(files) = &data.files {
            let weapons = app
                .world()
                .get_resource::<Weapons>()
                .cloned()
                .unwrap_or_default();
            match EconomyReloads::watch(files, &data.catalog, weapons, self.store.clone()) {
                Ok(reloads) => {
                    app.insert_resource(reloads).add_systems(
                        First,
                        apply_economy_reloads
                            .in_set(ConfigSystems::Apply)
                            .after(apply_reloaded_config),
                    );
                }
                Err(error) => {
                    tracing::error!(%error, "cannot watch the economy's files; hot reload is off");
                }
            }
        }
        app.insert_resource(data.catalog)
            .insert_resource(data.shop)
            .insert_resource(data.rewards)
            .add_message::<StarterKitDue>()
            .add_message::<InventoryApplied>()
            .add_message::<WalletApplied>()
            .add_message::<SettleTrade>()
            .add_message::<TradeSettled>()
            .add_message::<TradeFailed>()
            // Settlement asks for flushes; without persistence nothing reads them.
            .add_message::<FlushNow>()
            .init_resource::<FencedTrades>()
            .init_resource::<TradesInDoubt>();
        if let Some(store) = &self.store {
            let runtime = app
                .world_mut()
                .get_resource_or_init::<AsyncRuntime>()
                .clone();
            app.insert_resource(GrantMailbox::start(store.clone(), &runtime))
                // Trades settle after the tick's other changes are recorded, so the fence sees them.
                .add_systems(
                    PostUpdate,
                    (record_economy_events, settle_trades, count_trades_in_doubt)
                        .chain()
                        .in_set(RecordEvents),
                )
                .add_systems(
                    FixedUpdate,
                    (starter_kits_due_at_login, look_up_grants, apply_grants)
                        .chain()
                        .in_set(SimulationSystems::Economy)
                        .before(grant_starter_kits),
                );
        } else {
            app.add_systems(PreUpdate, register_arrivals.in_set(TickSystems::Load))
                .add_systems(
                    PostUpdate,
                    settle_trades
                        .in_set(RecordEvents)
                        .in_set(TickSystems::Settle),
                );
        }
    }
}

/// Without persistence nobody is stored, so every player that arrives is new.
fn register_arrivals(
    arrivals: Query<Entity, Added<PlayerId>>,
    mut registered: MessageWriter<StarterKitDue>,
) {
    for player in &arrivals {
        registered.write(StarterKitDue { player });
    }
}

/// Records the tick's applied inventory and wallet events on their players, for the next flush.
fn record_economy_events(
    mut inventory: MessageReader<InventoryApplied>,
    mut wallet: MessageReader<WalletApplied>,
    mut players: Query<&mut Progress>,
) {
    let at_ms = now_ms();
    for InventoryApplied { player, event } in inventory.read() {
        if let Ok(mut progress) = players.get_mut(*player) {
            record(progress.record_part_event::<Inventory>(event, at_ms));
        }
    }
    for WalletApplied { player, event } in wallet.read() {
        if let Ok(mut progress) = players.get_mut(*player) {
            record(progress.record_part_event::<Wallet>(event, at_ms));
        }
    }
}

/// An event that does not serialize is a bug in its type; it is logged, never silently lost.
fn record(recorded: Result<(), serde_json::Error>) {
    if let Err(error) = recorded {
        tracing::error!(%error, "an economy event does not serialize; not recorded");
    }
}
