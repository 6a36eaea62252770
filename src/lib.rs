//! # Arbiter
//!
//! An authoritative game server on an ECS (bevy_ecs + bevy_app). This crate is the shell around the
//! rules in `arbiter_systems`: tick runner, config and hot reload, admin HTTP, metrics, shutdown, CLI.
//!
//! ## The tick contract
//!
//! One `App::update` is one tick. [`tick::run_paced`] starts each tick at an absolute deadline
//! (`1 / server.tick_rate_hz` apart), sleeping in between. Within a tick the phases run in this order,
//! as the system sets of [`phase::TickSystems`] (a module of its own, so that every plugin orders
//! itself by phases and none names another's systems):
//!
//! 1. **Config** (`First`, before time advances) — apply a config the watcher thread has already
//!    parsed and validated. An invalid file never reaches the world. A new tick rate applies to this
//!    very tick: [`phase::ConfigSystems`] orders applying the sections before reacting to them.
//! 2. **Receive** (`PreUpdate`) — drain the transport (bounded per tick) with non-blocking reads;
//!    each client message is routed once to its rule's typed request message. Then **Load**: take in
//!    finished async work (loaded players, committed flushes) with `try_recv`.
//! 3. **Simulate** (`FixedUpdate`, exactly one fixed step per tick) — the rules of
//!    `arbiter_systems` (`SimulationPlugins`), ordered by [`arbiter_systems::SimulationSystems`]:
//!    inputs → movement → matchmaking → economy → shots → damage → anti-cheat → match lifecycle.
//!    Add your own rules here.
//! 4. **Settle** (`PostUpdate`) — record the tick's changes on their owners (players, guilds) and
//!    carry out the transfers their fences allow (trades, guild joins and bank moves), so an answer
//!    leaves in the tick its transfer is made. Then **Send** — snapshots and events to clients,
//!    within each connection's budget; then **Publish** (sessions and live matches to the read
//!    side).
//! 5. **Persist** (`PostUpdate`, after Publish) — hand changed state to the async writer. Never
//!    block. Then **Metrics**.
//! 6. **Dispatch** (`Last`) — hand the tick's datagrams, encrypted in Send, to the thread that
//!    sends them: last, so its system calls never take the core from the tick's own work.
//! 7. **Shutdown** (the [`shutdown::Shutdown`] schedule, once) — on SIGINT/SIGTERM or `AppExit`:
//!    stop ticking, run every shutdown step, wait for their work up to
//!    `server.shutdown_timeout_secs`, exit 0 if all completed.
//!
//! Systems never `.await`: async work runs on [`runtime::AsyncRuntime`]'s threads and talks to the
//! world through channels. Schedules run on the single-threaded executor, which costs nanoseconds per
//! system where the multi-threaded one costs microseconds per schedule on a small machine.
//!
//! ## Embedding
//!
//! Depend on `arbiter` alone: [`prelude`] has the plugin group, config loading, the phases, the
//! common components and the bevy types a rule is written with, and the crates themselves are
//! re-exported ([`bevy_ecs`], [`bevy_app`], [`components`], [`systems`], …).
//!
//! ```no_run
//! use arbiter::prelude::*;
//!
//! let loaded = LoadedConfig::load(None, &process_env).expect("valid config");
//! App::new().add_plugins(ServerPlugins::new(loaded)).run();
//! ```
//!
//! With persistence, open the configured store first — anywhere: [`store_commands::open_store`]
//! needs no runtime and no app, and the plugins start the app's [`runtime::AsyncRuntime`] themselves
//! when it has none.
//!
//! ```
//! use arbiter::prelude::*;
//!
//! # fn main() -> anyhow::Result<()> {
//! let mut loaded = LoadedConfig::load(None, &process_env)?;
//! # let data_dir = tempfile::tempdir()?;
//! # loaded.config.server.data_dir = data_dir.path().display().to_string();
//! // `[persistence] shards` (by default one SQLite file in `server.data_dir`), opened and migrated.
//! let store = open_store(&loaded.config)?;
//! let mut app = App::new();
//! app.add_plugins(ServerPlugins::new(loaded).with_persistence(store));
//! # if false {
//! app.run();
//! # }
//! # app.finish();
//! # app.cleanup();
//! # app.update();
//! # assert!(app.world().contains_resource::<arbiter::persistence::PersistenceLink>());
//! # Ok(())
//! # }
//! ```

pub mod admin;
mod background;
pub mod bots;
mod http;
pub mod prelude;

pub use arbiter_client as client;
pub use arbiter_components as components;
pub use arbiter_systems as systems;
pub use bevy_app;
pub use bevy_ecs;
pub use bevy_math;
pub use bevy_time;
mod build_once;
pub mod cli;
pub mod config;
pub mod economy;
mod file_watch;
pub mod fleet;
pub mod guild;
pub mod items;
pub mod maps;
#[cfg(test)]
mod module_graph;
pub mod net;
pub mod persistence;
pub mod phase;
pub mod read;
pub mod rewards;
pub mod runtime;
pub mod serve;
pub mod settings;
pub mod shop;
pub mod shutdown;
pub mod store_commands;
pub mod telemetry;
pub mod tick;
pub mod token;
mod toml_file;
pub use toml_file::{ReadError, TomlError};
pub mod weapons;

use admin::AdminPlugin;
use arbiter_components::combat::Weapons;
use arbiter_systems::SimulationPlugins;
use arbiter_systems::map::Maps;
use bevy_app::{PluginGroup, PluginGroupBuilder};
use config::{ConfigPlugin, LoadedConfig};
use economy::{EconomyData, EconomyDataPlugin};
use guild::GuildStoragePlugin;
use maps::{MapError, MapsPlugin};
use net::{NetPlugin, NetSetupError, NetworkSetup};
use persistence::{PersistencePlugin, Store};
use read::ReadPlugin;
use shutdown::ShutdownPlugin;
use telemetry::TelemetryPlugin;
use tick::TickPlugin;
use weapons::WeaponsPlugin;

/// Everything an Arbiter server is made of. Add it to an `App` and call `run`.
///
/// The game network, the admin endpoint and persistence are included only through
/// [`ServerPlugins::with_network`], [`ServerPlugins::with_admin`] (they bind ports) and
/// [`ServerPlugins::with_persistence`] (it needs databases), and OS signal
/// handling only by adding [`shutdown::SignalPlugin`], so tests and embedders choose.
#[derive(Debug)]
pub struct ServerPlugins {
    config: LoadedConfig,
    maps: Maps,
    weapons: Weapons,
    economy: Option<EconomyData>,
    network: Option<NetPlugin>,
    admin: Option<AdminPlugin>,
    persistence: Option<(ReadPlugin, PersistencePlugin)>,
}

impl ServerPlugins {
    pub fn new(config: LoadedConfig) -> Self {
        Self {
            config,
            maps: Maps::default(),
            weapons: Weapons::default(),
            economy: None,
            network: None,
            admin: None,
            persistence: None,
        }
    }

    /// Uses `maps`, after checking that every map `matchmaking.maps` names is among them.
    pub fn with_maps(mut self, maps: Maps) -> Result<Self, MapError> {
        maps::require_maps(&maps, &self.config.config.matchmaking.maps)?;
        self.maps = maps;
        Ok(self)
    }

    /// Uses `weapons` instead of the built-in rifle.
    pub fn with_weapons(mut self, weapons: Weapons) -> Self {
        self.weapons = weapons;
        self
    }

    /// Uses this catalog, shop and rewards instead of one item per weapon, nothing sold and the
    /// first weapon as the starter kit.
    pub fn with_economy(mut self, economy: EconomyData) -> Self {
        self.economy = Some(economy);
        self
    }

    /// Binds the game socket at `server.bind` and loads (or creates) the token key.
    pub fn with_network(mut self) -> Result<Self, NetSetupError> {
        self.network = Some(NetPlugin::new(NetworkSetup::bind(&self.config.config)?));
        Ok(self)
    }

    /// Loads players from `store` at login, writes their progress behind the tick, and serves the
    /// read side (query API, cache, leaderboards, sessions) from it. `store` must be migrated
    /// already: [`store_commands::open_store`] opens `[persistence] shards` and migrates them.
    ///
    /// Nothing else has to be set up, in no particular order: the store opens without a runtime, and
    /// the plugins use the app's [`runtime::AsyncRuntime`], starting it when the app has none.
    pub fn with_persistence(mut self, store: Store) -> Self {
        self.persistence = Some((
            ReadPlugin::new(store.clone()),
            PersistencePlugin::new(store),
        ));
        self
    }

    /// Binds the HTTP endpoints: admin at `admin.bind`, the query API at `query.bind`.
    pub fn with_admin(mut self) -> std::io::Result<Self> {
        let config = &self.config.config;
        self.admin = Some(AdminPlugin::bind(&config.admin, &config.query)?);
        Ok(self)
    }
}

impl PluginGroup for ServerPlugins {
    fn build(self) -> PluginGroupBuilder {
        let economy = self
            .economy
            .unwrap_or_else(|| EconomyData::for_weapons(&self.weapons));
        let store = self
            .persistence
            .as_ref()
            .map(|(_, persistence)| persistence.store().clone());
        let persistent = store.is_some();
        let mut group = PluginGroupBuilder::start::<Self>()
            .add(TelemetryPlugin)
            .add(ShutdownPlugin)
            .add(ConfigPlugin::new(self.config))
            .add(MapsPlugin(self.maps))
            .add(WeaponsPlugin(self.weapons))
            .add(TickPlugin)
            .add_group(SimulationPlugins)
            .add(EconomyDataPlugin::new(economy, store))
            .add(GuildStoragePlugin::new(persistent));
        // The admin endpoint serves tokens from the network's issuer, so the network comes first.
        if let Some(network) = self.network {
            group = group.add(network);
        }
        // The read side comes before persistence (the writer feeds it) and the admin endpoint
        // (which serves its query API).
        if let Some((read, persistence)) = self.persistence {
            group = group.add(read).add(persistence);
        }
        if let Some(admin) = self.admin {
            group = group.add(admin);
        }
        group
    }
}
