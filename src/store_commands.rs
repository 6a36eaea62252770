//! `arbiter migrate`, `arbiter replay --player-id N`, `arbiter verify [--sample N]` and
//! `arbiter rebalance`: the store's operator commands. Each opens the shards of `[persistence]` and migrates them first.

use crate::cli::{ReplayArgs, VerifyArgs};
use crate::config::{LoadedConfig, process_env};
use crate::persistence::{Store, verify_players};
use crate::runtime::AsyncRuntime;
use crate::settings::ServerConfig;
use anyhow::Context;
use bevy_app::AppExit;
use std::io::Write;
use std::path::Path;

/// Opens every shard of `[persistence]` (by default one SQLite file in `server.data_dir`) and applies
/// the migrations, blocking until they are done; a shard that is down is an error. Needs no runtime
/// or app: hand the result to `ServerPlugins::with_persistence`.
/// It blocks, so call it at start-up, not from async code.
pub fn open_store(config: &ServerConfig) -> anyhow::Result<Store> {
    let urls = config.persistence.shard_urls(&config.server.data_dir);
    let store = Store::open(&urls).context("persistence.shards")?;
    crate::runtime::pool_runtime()
        .block_on(store.migrate())
        .context("persistence.shards")?;
    Ok(store)
}

fn open_configured(config_path: Option<&Path>) -> anyhow::Result<(Store, AsyncRuntime)> {
    let config = LoadedConfig::load(config_path, &process_env)?.config;
    let store = open_store(&config)?;
    Ok((store, AsyncRuntime::start()))
}

/// Applies the migrations to every shard.
pub fn migrate(config_path: Option<&Path>) -> anyhow::Result<AppExit> {
    let (store, _runtime) = open_configured(config_path)?;
    writeln!(
        std::io::stdout(),
        "migrated {} shard(s): schema up to date",
        store.shard_count()
    )?;
    Ok(AppExit::Success)
}

/// Prints a player's stored row next to what its snapshot and events replay to, as JSON; exits 1
/// when they differ.
pub fn replay(config_path: Option<&Path>, args: &ReplayArgs) -> anyhow::Result<AppExit> {
    let (store, runtime) = open_configured(config_path)?;
    let history = runtime.block_on(store.history(args.player_id))?;
    let matches = history.row.as_ref() == Some(&history.replayed);
    let report = serde_json::json!({
        "player_id": args.player_id,
        "shard": store.shard_of(args.player_id),
        "stored_row": history.row,
        "replayed": history.replayed,
        "snapshot_seq": history.snapshot.as_ref().map(|snapshot| snapshot.version),
        "events_after_snapshot": history.events.len(),
        "matches": matches,
    });
    writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&report)?
    )?;
    Ok(if matches {
        AppExit::Success
    } else {
        AppExit::error()
    })
}

/// Checks the invariant for every player (or a random sample per shard); prints each mismatch and a
/// summary, and exits 1 on any mismatch.
pub fn verify(config_path: Option<&Path>, args: &VerifyArgs) -> anyhow::Result<AppExit> {
    let (store, runtime) = open_configured(config_path)?;
    let ids = runtime.block_on(store.player_ids(args.sample))?;
    let mismatches = runtime.block_on(verify_players(&store, &ids))?;
    let mut out = std::io::stdout().lock();
    for mismatch in &mismatches {
        writeln!(
            out,
            "MISMATCH player {}: stored row {} but history replays to {}",
            mismatch.player_id,
            serde_json::to_string(&mismatch.row)?,
            serde_json::to_string(&mismatch.replayed)?
        )?;
    }
    writeln!(
        out,
        "checked {} player(s) on {} shard(s): {} mismatch(es)",
        ids.len(),
        store.shard_count(),
        mismatches.len()
    )?;
    Ok(if mismatches.is_empty() {
        AppExit::Success
    } else {
        AppExit::error()
    })
}

/// Moves players to their own shard after shards were appended to `[persistence] shards`.
pub fn rebalance(config_path: Option<&Path>) -> anyhow::Result<AppExit> {
    let (store, runtime) = open_configured(config_path)?;
    let moved = runtime.block_on(store.rebalance())?;
    writeln!(
        std::io::stdout(),
        "rebalanced {} shard(s): {moved} player(s) moved to their own shard",
        store.shard_count()
    )?;
    Ok(AppExit::Success)
}
