//! `arbiter serve`: load the config, set up logs, build the server app and run it until shutdown.

use crate::ServerPlugins;
use crate::cli::{Role, ServeArgs};
use crate::config::{ConfigSource, LoadedConfig, process_env};
use crate::economy::EconomyData;
use crate::fleet::game::GameRolePlugin;
use crate::fleet::matchmaker::MatchmakerRolePlugin;
use crate::maps::{MAPS_DIR, load_maps};
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
