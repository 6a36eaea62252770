//! Hot reload of the economy's files (`items.toml`, `shop.toml`, `rewards.toml`): each saved
//! version is loaded and checked on a watch thread — on its own, against the weapons table, and,
//! for the items and currencies it would remove, against what stored players hold — then applied
//! in the tick unless a player in the world holds what it removes. A refused version changes
//! nothing; the error says why.

use super::data::{EconomyData, EconomyFiles};
use super::inventory_part::HELD_ITEMS;
use super::wallet_part::HELD_CURRENCIES;
use crate::file_watch::watch_files;
use crate::persistence::Store;
use crate::telemetry::metrics::ECONOMY_RELOADS_TOTAL;
use arbiter_components::combat::Weapons;
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::items::Catalog;
use arbiter_components::player::PlayerId;
use bevy_ecs::resource::Resource;
use bevy_ecs::world::World;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Saves within this long of each other are one reload.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// Holders named in a refusal, at most.
const HOLDERS_SHOWN: u32 = 5;

/// A loaded and checked version, or why it was refused.
type EconomyReload = Result<EconomyData, String>;

/// The watch of the economy's files and the catalog it checks removals against.
#[derive(Resource)]
pub(super) struct EconomyReloads {
    _watcher: notify::RecommendedWatcher,
    loaded: Mutex<Receiver<EconomyReload>>,
    /// The catalog the tick runs on, shared with the watch thread.
    applied: Arc<RwLock<Catalog>>,
}

impl EconomyReloads {
    pub(super) fn watch(
        files: &EconomyFiles,
        catalog: &Catalog,
        weapons: Weapons,
        store: Option<Store>,
    ) -> notify::Result<Self> {
        let applied = Arc::new(RwLock::new(catalog.clone()));
        let current = applied.clone();
        let owned = files.clone();
        let (watcher, loaded) = watch_files(
            &files.paths(),
            DEBOUNCE,
            "arbiter-economy-watch",
            move || {
                let data =
                    EconomyData::load_from(&owned, &weapons).map_err(|error| error.to_string())?;
                let removed = Removed::between(&read(&current), &data.catalog);
                if let Some(store) = &store {
                    removed.check_stored(store)?;
                }
                Ok(data)
            },
        )?;
        Ok(Self {
            _watcher: watcher,
            loaded: Mutex::new(loaded),
            applied,
        })
    }
}

impl std::fmt::Debug for EconomyReloads {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("EconomyReloads")
            .finish_non_exhaustive()
    }
}

fn read(catalog: &RwLock<Catalog>) -> Catalog {
    catalog
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// What a new catalog drops from the old one.
#[derive(Debug, Default)]
struct Removed {
    items: Vec<String>,
    currencies: Vec<String>,
}

impl Removed {
    fn between(old: &Catalog, new: &Catalog) -> Self {
        Self {
            items: old
                .items
                .iter()
                .filter(|item| new.item(&item.id).is_none())
                .map(|item| item.id.clone())
                .collect(),
            currencies: old
                .currencies
                .iter()
                .filter(|currency| new.currency(&currency.id).is_none())
                .map(|currency| currency.id.clone())
                .collect(),
        }
    }

    /// Refused while a stored player holds any of it (or the databases cannot say).
    fn check_stored(&self, store: &Store) -> Result<(), String> {
        let runtime = crate::runtime::pool_runtime();
        let items = runtime
            .block_on(store.part_owners::<Inventory>(HELD_ITEMS, &self.items, HOLDERS_SHOWN))
            .map_err(|error| format!("cannot check who holds the removed items: {error}"))?;
        let currencies = runtime
            .block_on(store.part_owners::<Wallet>(HELD_CURRENCIES, &self.currencies, HOLDERS_SHOWN))
            .map_err(|error| format!("cannot check who holds the removed currencies: {error}"))?;
        match items.into_iter().chain(currencies).next() {
            Some((player_id, id)) => Err(refusal(&id, player_id)),
            None => Ok(()),
        }
    }

    /// Refused while a player in the world holds any of it (its latest changes may not be stored).
    fn check_world(&self, world: &mut World) -> Result<(), String> {
        let mut players = world.query::<(&PlayerId, &Inventory, &Wallet)>();
        for (player, inventory, wallet) in players.iter(world) {
            if let Some(item) = self.items.iter().find(|item| inventory.count(item) > 0) {
                return Err(refusal(item, player.0));
            }
            if let Some(currency) = self.currencies.iter().find(|id| wallet.balance(id) > 0) {
                return Err(refusal(currency, player.0));
            }
        }
        Ok(())
    }
}

fn refusal(id: &str, player_id: u64) -> String {
    format!(
        "reload refused: it removes {id:?}, which player {player_id} still holds (discard or \
         exchange it first, or keep it in the catalog)"
    )
}

/// Applies each reloaded version the watch thread accepted, unless a player in the world holds
/// what it removes.
pub(super) fn apply_economy_reloads(world: &mut World) {
    loop {
        let next = world
            .resource::<EconomyReloads>()
            .loaded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .try_recv();
        let Ok(reload) = next else {
            return;
        };
        let applied = reload.and_then(|data| {
            Removed::between(world.resource::<Catalog>(), &data.catalog).check_world(world)?;
            Ok(data)
        });
        match applied {
            Ok(data) => {
                *world
                    .resource::<EconomyReloads>()
                    .applied
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = data.catalog.clone();
                tracing::info!(
                    items = data.catalog.items.len(),
                    offers = data.shop.offers.len(),
                    "item catalog, shop and rewards reloaded"
                );
                world.insert_resource(data.catalog);
                world.insert_resource(data.shop);
                world.insert_resource(data.rewards);
                metrics::counter!(ECONOMY_RELOADS_TOTAL, "result" => "ok").increment(1);
            }
            Err(error) => {
                tracing::error!(%error, "economy files not reloaded; the running version stays");
                metrics::counter!(ECONOMY_RELOADS_TOTAL, "result" => "refused").increment(1);
            }
        }
    }
}
