//! `arbiter serve`: load the config, set up logs, build the server app and run it until shutdown.

use crate::ServerPlugins;
use crate::cli::{Role, ServeArgs};
use crate::config::{ConfigSource, LoadedConfig, process_env};
use crate::economy::EconomyData;
use crate::fleet::agones::AgonesSdk;
use crate::fleet::game::GameRolePlugin;
use crate::fleet::matchmaker::MatchmakerRolePlugin;
use crate::maps::{MAPS_DIR, load_maps};
use crate::settings::{FleetSettings, Orchestrator};
use crate::shutdown::SignalPlugin;
use crate::store_commands::{complete_transfers, open_store};
use crate::telemetry::logging;
use crate::weapons::{WEAPONS_FILE, load_weapons};
use anyhow::Context;
use bevy_app::{App, AppExit};
use std::path::Path;

pub fn serve(args: &ServeArgs) -> anyhow::Result<AppExit> {
    let loaded = LoadedConfig::load(args.config.as_deref(), &process_env)?;
    let log_control = logging::init(&loaded.config.log).context("cannot set up logging")?;
    match &loaded.source {
        ConfigSource::File(path) => {
            tracing::info!(path = %path.display(), "config loaded; watching it for changes")
        }
        ConfigSource::Embedded => tracing::info!("config: embedded defaults"),
    }
    tracing::info!(
        role = ?args.role,
        tick_rate_hz = loaded.config.server.tick_rate_hz,
        version = env!("CARGO_PKG_VERSION"),
        "arbiter starting"
    );

    let mut loaded = loaded;
    if args.role == Role::Game && loaded.config.fleet.orchestrator == Orchestrator::Agones {
        let address = agones_address(&loaded.config.fleet)?;
        tracing::info!(%address, "agones: players reach this game server here");
        loaded.config.net.public_addresses = vec![address];
    }
    let loaded_fleet = loaded.config.fleet.clone();
    let store = open_store(&loaded.config)?;
    complete_transfers(&store)?;
    tracing::info!(
        shards = store.shard_count(),
        "player store ready (migrations applied)"
    );
    let mut app = App::new();
    let maps = load_maps(Path::new(MAPS_DIR))?;
    let weapons = load_weapons(Path::new(WEAPONS_FILE))?;
    tracing::info!(maps = ?maps.names().collect::<Vec<_>>(), "maps loaded");
    let economy = EconomyData::load(&weapons)?;
    tracing::info!(
        items = economy.catalog.items.len(),
        offers = economy.shop.offers.len(),
        "item catalog, shop and rewards loaded"
    );
    app.add_plugins(
        ServerPlugins::new(loaded)
            .with_maps(maps)?
            .with_weapons(weapons)
            .with_economy(economy)
            .with_network()?
            .with_admin()?
            .with_persistence(store),
    )
    .add_plugins(SignalPlugin);
    match args.role {
        Role::All => {}
        Role::Matchmaker => {
            app.add_plugins(MatchmakerRolePlugin {
                settings: loaded_fleet,
            });
        }
        Role::Game => {
            if loaded_fleet.lobby_addresses.is_empty() {
                anyhow::bail!(
                    "--role game needs fleet.lobby_addresses: where players go after a match"
                );
            }
            app.add_plugins(GameRolePlugin {
                settings: loaded_fleet,
            });
        }
    }
    if let Some(control) = log_control {
        app.insert_resource(control);
    }
    Ok(app.run())
}

/// How long a game server waits at start for Agones to give it an address.
const AGONES_ADDRESS_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// The address and port Agones opened for players (the token address of this game server).
fn agones_address(fleet: &FleetSettings) -> anyhow::Result<std::net::SocketAddr> {
    let sdk = AgonesSdk::on_port(fleet.agones_sdk_port);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime to ask the Agones SDK")?;
    runtime
        .block_on(sdk.wait_for_address(AGONES_ADDRESS_PATIENCE))
        .context("fleet.orchestrator = \"agones\": cannot learn this game server's address")
}
