//! `arbiter migrate`, `arbiter replay --player-id N | --object KIND:ID`, `arbiter verify [--sample N]` and
//! `arbiter rebalance`: the store's operator commands. Each opens the shards of `[persistence]` and migrates them first.

use crate::cli::{GrantArgs, ReplayArgs, VerifyArgs};
use crate::config::{LoadedConfig, process_env};
use crate::economy::{EconomyData, RESERVED_CLAIM_PREFIX};
use crate::guild::audit_players_and_banks;
use crate::items::ITEMS_FILE;
use crate::persistence::{Queued, QueuedGrant, Store, verify_objects, verify_players};
use crate::runtime::AsyncRuntime;
use crate::settings::ServerConfig;
use crate::weapons::{WEAPONS_FILE, load_weapons};
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
    let store = Store::open(&urls)
        .context("persistence.shards")?
        .with_parts(crate::guild::guild_player_parts(
            crate::economy::economy_parts(),
        ))
        .with_objects(crate::guild::guild_objects());
    migrate_store(&store).context("persistence.shards")?;
    Ok(store)
}

/// Completes the transfers a crash left half-written (see [`Store::complete_transfers`]), blocking.
/// Run it before the server takes logins: a transfer it cannot complete is an error, because a
/// player loaded without its leg of a transfer could spend what it already gave.
pub fn complete_transfers(store: &Store) -> anyhow::Result<()> {
    let done = crate::runtime::pool_runtime().block_on(store.complete_transfers());
    if done.open > 0 {
        tracing::info!(
            open = done.open,
            legs_written = done.legs_written,
            "transfers completed across shards"
        );
    }
    if done.left_open.is_empty() {
        return Ok(());
    }
    for (transfer, error) in &done.left_open {
        tracing::error!(transfer, %error, "a transfer cannot be completed");
    }
    anyhow::bail!(
        "{} transfer(s) cannot be completed (first: {}: {}); the server does not start until they can",
        done.left_open.len(),
        done.left_open[0].0,
        done.left_open[0].1
    )
}

/// Applies the migrations to an opened store (with its parts and object kinds), blocking until they
/// are done. The connections it opens live on the process-wide pool runtime, so they stay usable by
/// any app or runtime afterwards. Call it at start-up, not from async code.
pub fn migrate_store(store: &Store) -> Result<(), crate::persistence::StoreError> {
    crate::runtime::pool_runtime().block_on(store.migrate())
}

/// The configured store, migrated, with a runtime to query it; and the config it was read from.
fn open_configured(
    config_path: Option<&Path>,
) -> anyhow::Result<(Store, AsyncRuntime, ServerConfig)> {
    let config = LoadedConfig::load(config_path, &process_env)?.config;
    let store = open_store(&config)?;
    Ok((store, AsyncRuntime::start(), config))
}

/// Queues an operator grant on the player's shard, after checking the item (or currency) and the
/// quantity against the catalog. Exits 0 when queued or already queued under the same key, 2 when
/// the key was used for another grant.
pub fn grant(config_path: Option<&Path>, args: &GrantArgs) -> anyhow::Result<AppExit> {
    let weapons = load_weapons(Path::new(WEAPONS_FILE))?;
    let catalog = EconomyData::load(&weapons)?.catalog;
    if let Some(spec) = catalog.item(&args.item) {
        if spec.stackable && args.qty > spec.max_stack {
            anyhow::bail!(
                "--qty {}: a stack of {} holds at most {}",
                args.qty,
                args.item,
                spec.max_stack
            );
        }
    } else if catalog.currency(&args.item).is_none() {
        anyhow::bail!(
            "--item {:?} is neither an item nor a currency of {ITEMS_FILE}",
            args.item
        );
    }
    if args.reason.trim().is_empty() {
        anyhow::bail!("--reason must say why");
    }
    if let Some(key) = &args.idempotency_key
        && (key.is_empty() || key.starts_with(RESERVED_CLAIM_PREFIX))
    {
        anyhow::bail!(
            "--idempotency-key {key:?}: give a key that is not empty and does not start with {RESERVED_CLAIM_PREFIX:?} (the server's own)"
        );
    }
    let (store, runtime, _) = open_configured(config_path)?;
    let created_at_ms = crate::persistence::now_ms();
    let key = args.idempotency_key.clone().unwrap_or_else(|| {
        format!(
            "cli-{created_at_ms}-{}-{}",
            std::process::id(),
            args.player_id
        )
    });
    let grant = QueuedGrant {
        key: key.clone(),
        player_id: args.player_id,
        item: args.item.clone(),
        qty: args.qty,
        reason: args.reason.clone(),
        created_at_ms,
    };
    let mut out = std::io::stdout().lock();
    match runtime.block_on(store.queue_grant(&grant))? {
        Queued::New => writeln!(
            out,
            "queued grant {key}: {} x {} to player {} on shard {}",
            args.qty,
            args.item,
            args.player_id,
            store.shard_of(args.player_id)
        )?,
        Queued::Again => writeln!(out, "grant {key} was already queued: nothing to do")?,
        Queued::KeyTaken(other) => {
            writeln!(
                out,
                "key {key} was used for another grant ({} x {} to player {}): nothing queued",
                other.qty, other.item, other.player_id
            )?;
            return Ok(AppExit::from_code(2));
        }
    }
    Ok(AppExit::Success)
}

/// Applies the migrations to every shard.
pub fn migrate(config_path: Option<&Path>) -> anyhow::Result<AppExit> {
    let (store, _runtime, _) = open_configured(config_path)?;
    writeln!(
        std::io::stdout(),
        "migrated {} shard(s): schema up to date",
        store.shard_count()
    )?;
    Ok(AppExit::Success)
}

/// Prints a player's (or a stored object's) stored row next to what its snapshot and events replay
/// to, as JSON; exits 1 when they differ.
pub fn replay(config_path: Option<&Path>, args: &ReplayArgs) -> anyhow::Result<AppExit> {
    let (store, runtime, _) = open_configured(config_path)?;
    let (report, matches) = match (&args.object, args.player_id) {
        (Some(key), _) => {
            let history = runtime.block_on(store.object_history(key))?;
            replay_report(
                serde_json::json!({ "object": key.to_string(), "shard": store.shard_of(key.id) }),
                history.row,
                history.replayed,
                history.snapshot.map(|snapshot| snapshot.version),
                history.events.len(),
            )
        }
        (None, player_id) => {
            let player_id = player_id.context("--player-id or --object")?;
            let history = runtime.block_on(store.history(player_id))?;
            replay_report(
                serde_json::json!({ "player_id": player_id, "shard": store.shard_of(player_id) }),
                history.row,
                history.replayed,
                history.snapshot.map(|snapshot| snapshot.version),
                history.events.len(),
            )
        }
    };
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

/// The replay report of one player or object (`subject` names it): its stored row next to what its
/// history replays to, and whether they are equal.
fn replay_report<R: serde::Serialize + PartialEq>(
    subject: serde_json::Value,
    row: Option<R>,
    replayed: R,
    snapshot_seq: Option<u64>,
    events_after_snapshot: usize,
) -> (serde_json::Value, bool) {
    let matches = row.as_ref() == Some(&replayed);
    let mut report = subject;
    report["stored_row"] = serde_json::json!(row);
    report["replayed"] = serde_json::json!(replayed);
    report["snapshot_seq"] = serde_json::json!(snapshot_seq);
    report["events_after_snapshot"] = serde_json::json!(events_after_snapshot);
    report["matches"] = serde_json::json!(matches);
    (report, matches)
}

/// Checks the invariant for every player (or a random sample per shard) and object, and the
/// economy's (conservation, capacity, grants applied once, instances held once); prints each mismatch and violation and a
/// summary, and exits 1 on any mismatch.
pub fn verify(config_path: Option<&Path>, args: &VerifyArgs) -> anyhow::Result<AppExit> {
    let (store, runtime, config) = open_configured(config_path)?;
    let ids = runtime.block_on(store.player_ids(args.sample))?;
    let mismatches = runtime.block_on(verify_players(&store, &ids))?;
    let keys = runtime.block_on(store.object_keys())?;
    let object_mismatches = runtime.block_on(verify_objects(&store, &keys))?;
    let capacity = config.economy.inventory_capacity;
    let audit = runtime.block_on(audit_players_and_banks(&store, &ids, capacity))?;
    let violations = audit.violations;
    let half_written = runtime.block_on(store.half_written_transfers())?;
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
    for mismatch in &object_mismatches {
        writeln!(
            out,
            "MISMATCH object {}: stored row {} but history replays to {}",
            mismatch.key,
            serde_json::to_string(&mismatch.row)?,
            serde_json::to_string(&mismatch.replayed)?
        )?;
    }
    for violation in &violations {
        writeln!(
            out,
            "ECONOMY player {}: {}",
            violation.player_id, violation.problem
        )?;
    }
    for (transfer, missing) in &half_written {
        writeln!(
            out,
            "TRANSFER {transfer}: no leg stored for {} (the server completes \
             it at its next start; while one runs, a transfer may be between its two commits)",
            missing.join(", ")
        )?;
    }
    let held: Vec<String> = audit
        .held
        .iter()
        .map(|(id, amount)| format!("{id}={amount}"))
        .collect();
    writeln!(out, "held in total: {}", held.join(" "))?;
    writeln!(
        out,
        "checked {} player(s) and {} object(s) on {} shard(s): {} mismatch(es), {} economy \
         violation(s), {} half-written transfer(s)",
        ids.len(),
        keys.len(),
        store.shard_count(),
        mismatches.len() + object_mismatches.len(),
        violations.len(),
        half_written.len()
    )?;
    Ok(
        if mismatches.is_empty()
            && object_mismatches.is_empty()
            && violations.is_empty()
            && half_written.is_empty()
        {
            AppExit::Success
        } else {
            AppExit::error()
        },
    )
}

/// Moves players to their own shard after shards were appended to `[persistence] shards`.
pub fn rebalance(config_path: Option<&Path>) -> anyhow::Result<AppExit> {
    let (store, runtime, _) = open_configured(config_path)?;
    let moved = runtime.block_on(store.rebalance())?;
    writeln!(
        std::io::stdout(),
        "rebalanced {} shard(s): {moved} player(s) moved to their own shard",
        store.shard_count()
    )?;
    Ok(AppExit::Success)
}
