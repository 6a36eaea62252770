//! Persistence: flush throughput (player upserts per second in one shard transaction, 1 k / 10 k /
//! 100 k players) on SQLite and PostgreSQL, a 10 k-player load over 4 shards (and the same players
//! holding 200 items each: goal ≤ 250 ms on PostgreSQL), the recovery of one
//! player from a snapshot and 1,000 events, and the write reduction of write-behind (statements per
//! player change, 1,000 players changing every tick at 60 Hz for 60 s), and tick durations while a
//! 100 k-player flush is in flight.
//!
//! PostgreSQL runs against 127.0.0.1:5432 (fresh databases, dropped afterwards); without it those
//! groups are skipped with a message.

use arbiter::persistence::{
    MatchOutcome, PersistStats, PlayerEvent, PlayerRecord, Progress, ShardBatch, Store, StoredEvent,
};
use arbiter::runtime::AsyncRuntime;
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter_components::player::PlayerId;
use arbiter_testing::databases::{PostgresDatabases, sqlite_shards};
use arbiter_testing::items;
use arbiter_testing::persisted_app::persisted_app;
use bevy_app::App;
use criterion::{BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

fn played(match_id: u64) -> PlayerEvent {
    PlayerEvent::MatchPlayed {
        match_id,
        outcome: MatchOutcome::Win,
        kills: 5,
        deaths: 3,
        rating: 1510.0,
        uncertainty: 420.0,
    }
}

fn open(urls: &[String]) -> Store {
    let mut config = ServerConfig::default();
    config.persistence.shards = urls.to_vec();
    open_store(&config).expect("store opens and migrates")
}

/// Players `1..=count` on `store`, registered and written.
fn populate(runtime: &AsyncRuntime, store: &Store, count: u64) {
    let mut batches = vec![ShardBatch::default(); store.shard_count()];
    for id in 1..=count {
        let mut record = PlayerRecord::new(id);
        let event = PlayerEvent::Registered {
            name: format!("p{id}"),
        };
        record.apply(1, 1, &event);
        let batch = &mut batches[store.shard_of(id)];
        batch.events.push(StoredEvent {
            player_id: id,
            seq: 1,
            at_ms: 1,
            event,
        });
        batch.players.push(record);
    }
    runtime.block_on(async {
        for (shard, batch) in batches.iter().enumerate() {
            store.write(shard, batch).await.expect("populated");
        }
    });
}

/// One shard transaction upserting `size` players, each at a newer version than the last time.
fn flush_throughput(c: &mut Criterion, backend: &str, runtime: &AsyncRuntime, store: &Store) {
    let mut group = c.benchmark_group(format!("flush_{backend}"));
    group.sample_size(10);
    for size in [1_000u64, 10_000, 100_000] {
        // Ids of their own, apart from the other groups' players.
        let mut records: Vec<PlayerRecord> = (1..=size)
            .map(|n| PlayerRecord::new(10_000_000 + n))
            .collect();
        group.throughput(Throughput::Elements(size));
        group.bench_function(BenchmarkId::new("upsert_players", size), |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    for record in &mut records {
                        record.version += 1;
                        record.kills += 1;
                    }
                    let batch = ShardBatch {
                        players: std::mem::take(&mut records),
                        ..ShardBatch::default()
                    };
                    let started = Instant::now();
                    runtime
                        .block_on(store.write(0, &batch))
                        .expect("flush commits");
                    spent += started.elapsed();
                    records = batch.players;
                }
                spent
            });
        });
    }
    group.finish();
}

/// 10 k players over 4 shards in one batch load.
fn sharded_load(c: &mut Criterion, backend: &str, runtime: &AsyncRuntime, store: &Store) {
    populate(runtime, store, 10_000);
    let ids: Vec<u64> = (1..=10_000).collect();
    c.bench_function(&format!("load_10k_over_4_shards_{backend}"), |b| {
        b.iter(|| {
            let loaded = runtime.block_on(store.load_players(black_box(&ids)));
            assert_eq!(loaded.players.len(), 10_000);
            loaded
        });
    });
}

/// 10 k players holding 200 items each (2 M inventory rows) over 4 shards, in one batch load.
fn sharded_load_with_items(
    c: &mut Criterion,
    backend: &str,
    runtime: &AsyncRuntime,
    store: &Store,
) {
    const PLAYERS: u64 = 10_000;
    let catalog = items::materials(200);
    let mut batches = vec![ShardBatch::default(); store.shard_count()];
    for id in 1..=PLAYERS {
        let mut record = PlayerRecord::new(id);
        record.version = 2;
        record.set_part(items::holding_all(&catalog, id));
        let batch = &mut batches[store.shard_of(id)];
        batch.repaired.push(id);
        batch.players.push(record);
    }
    runtime.block_on(async {
        for (shard, batch) in batches.iter().enumerate() {
            store.write(shard, batch).await.expect("populated");
        }
    });
    let ids: Vec<u64> = (1..=PLAYERS).collect();
    let mut group = c.benchmark_group(format!("load_10k_with_200_items_over_4_shards_{backend}"));
    group.sample_size(10);
    group.bench_function("load", |b| {
        // Dropped outside the timing: loaded inventories go into the world at login and are
        // freed at logout, not as part of the load.
        b.iter_with_large_drop(|| {
            let loaded = runtime.block_on(store.load_players(black_box(&ids)));
            assert_eq!(loaded.players.len(), PLAYERS as usize);
            assert!(loaded.players[0].parts.contains_key("inventory"));
            loaded
        });
    });
    group.finish();
}

/// A player whose row is behind its events: rebuilt from its snapshot and 1,000 later events.
fn recovery(c: &mut Criterion, backend: &str, runtime: &AsyncRuntime, store: &Store) {
    const ID: u64 = 5_000_000;
    let mut snapshot = PlayerRecord::new(ID);
    snapshot.apply(1, 1, &PlayerEvent::Registered { name: "r".into() });
    let events: Vec<StoredEvent> = (2..=1001u64)
        .map(|seq| StoredEvent {
            player_id: ID,
            seq,
            at_ms: seq as i64,
            event: played(seq),
        })
        .collect();
    let batch = ShardBatch {
        players: vec![snapshot.clone()],
        events,
        snapshots: vec![snapshot],
        ..ShardBatch::default()
    };
    runtime
        .block_on(store.write(store.shard_of(ID), &batch))
        .expect("history written");
    c.bench_function(
        &format!("recover_one_player_from_snapshot_and_1000_events_{backend}"),
        |b| {
            b.iter(|| {
                let loaded = runtime.block_on(store.load_players(&[ID]));
                assert_eq!(loaded.players[0].version, 1001);
                loaded
            });
        },
    );
}

/// 1,000 players changing every tick at 60 Hz for 60 s through the real server app: how many
/// statements reach the database. Printed once; a count, not a timing.
fn write_reduction(backend: &str, store: &Store) {
    const PLAYERS: u64 = 1_000;
    const TICKS: u64 = 60 * 60;
    let (mut app, players) = app_with_players(store, 1_000_000, PLAYERS, 5);
    // Paced in real time, as the server runs: running faster would let the writer coalesce more.
    let started = Instant::now();
    for tick in 0..TICKS {
        let due = started + Duration::from_secs_f64(tick as f64 / 60.0);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        for player in &players {
            if let Some(mut progress) = app.world_mut().get_mut::<Progress>(*player) {
                progress.record_event(played(tick), tick as i64);
            }
        }
        app.update();
    }
    // The last interval's changes: one more flush.
    tick_until_durable(&mut app, &players);
    let stats = *app.world().resource::<PersistStats>();
    let changes = PLAYERS * TICKS;
    let PersistStats {
        transactions,
        statements,
        player_rows,
        event_rows,
        snapshot_rows,
        ..
    } = stats;
    let _ = writeln!(
        std::io::stdout(),
        "write_reduction_{backend}: {changes} player changes over {TICKS} ticks -> {transactions} \
         transactions, {statements} statements ({player_rows} player upserts, {event_rows} events, \
         {snapshot_rows} snapshots); statements per change {:.6} (reduction {:.4} %), player \
         upserts per change {:.6}; took {:.1} s",
        statements as f64 / changes as f64,
        100.0 * (1.0 - statements as f64 / changes as f64),
        player_rows as f64 / changes as f64,
        started.elapsed().as_secs_f64()
    );
}

/// The server app with persistence on `store` and `count` registered players (ids after `first_id`)
/// whose changes are not yet flushed.
fn app_with_players(
    store: &Store,
    first_id: u64,
    count: u64,
    flush_interval_secs: u32,
) -> (App, Vec<bevy_ecs::entity::Entity>) {
    let mut config = ServerConfig::default();
    config.server.tick_rate_hz = 60;
    config.persistence.flush_interval_secs = flush_interval_secs;
    let mut app = persisted_app(config, store, false);
    let players = (1..=count)
        .map(|n| {
            let id = first_id + n;
            app.world_mut()
                .spawn((PlayerId(id), Progress::registered(id, format!("w{id}"), 0)))
                .id()
        })
        .collect();
    (app, players)
}

/// Ticks (1 ms apart) until every player's progress is durable; returns each tick's duration.
fn tick_until_durable(app: &mut App, players: &[bevy_ecs::entity::Entity]) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut ticks = Vec::new();
    while !players.iter().all(|player| {
        app.world()
            .get::<Progress>(*player)
            .is_some_and(Progress::is_durable)
    }) {
        assert!(Instant::now() < deadline, "write-behind never caught up");
        let started = Instant::now();
        app.update();
        ticks.push(started.elapsed());
        std::thread::sleep(Duration::from_millis(1));
    }
    ticks
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * share).round() as usize]
}

/// Tick durations while a flush of 100 k players is in flight, against the same app idle: the
/// tick that hands the batch over is reported on its own.
fn ticks_during_big_flush(backend: &str, store: &Store) {
    let (mut app, players) = app_with_players(store, 20_000_000, 100_000, 3600);
    app.update();
    let mut idle: Vec<Duration> = (0..300)
        .map(|_| {
            let started = Instant::now();
            app.update();
            started.elapsed()
        })
        .collect();
    idle.sort();
    app.world_mut()
        .resource_mut::<arbiter::settings::PersistenceSettings>()
        .flush_interval_secs = 1;
    let started = Instant::now();
    let ticks = tick_until_durable(&mut app, &players);
    let flush_took = started.elapsed();
    let _ = writeln!(
        std::io::stdout(),
        "ticks_during_100k_flush_{backend}: the first 12 ticks after the flush fell due (µs): {:?}",
        ticks
            .iter()
            .take(12)
            .map(|tick| tick.as_micros())
            .collect::<Vec<_>>()
    );
    // The first tick past the old interval hands the batch over; the rest run while it is written.
    let handover = ticks.iter().copied().max().unwrap_or_default();
    let mut in_flight: Vec<Duration> = ticks.clone();
    if let Some(index) = in_flight.iter().position(|tick| *tick == handover) {
        in_flight.remove(index);
    }
    in_flight.sort();
    let _ = writeln!(
        std::io::stdout(),
        "ticks_during_100k_flush_{backend}: flush of 100000 players committed in {:.2} s; {} ticks ran meanwhile: p50 {:?}, p99 {:?}, max {:?}; idle ticks p50 {:?}, p99 {:?}; the hand-over tick {:?}",
        flush_took.as_secs_f64(),
        in_flight.len(),
        percentile(&in_flight, 0.5),
        percentile(&in_flight, 0.99),
        in_flight.last().copied().unwrap_or_default(),
        percentile(&idle, 0.5),
        percentile(&idle, 0.99),
        handover
    );
}

/// Every group on one backend, those the command line's filter names (all without one).
fn run_groups(c: &mut Criterion, backend: &str, runtime: &AsyncRuntime, store: &Store) {
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let wanted = |group: &str| {
        let name = format!("{group}_{backend}");
        only.as_deref().is_none_or(|filter| name.contains(filter))
    };
    if wanted("flush") {
        flush_throughput(c, backend, runtime, store);
    }
    if wanted("load_10k_over_4_shards") {
        sharded_load(c, backend, runtime, store);
    }
    if wanted("load_10k_with_200_items_over_4_shards") {
        sharded_load_with_items(c, backend, runtime, store);
    }
    if wanted("recover_one_player_from_snapshot_and_1000_events") {
        recovery(c, backend, runtime, store);
    }
    if wanted("write_reduction") {
        write_reduction(backend, store);
    }
    if wanted("ticks_during_100k_flush") {
        ticks_during_big_flush(backend, store);
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let runtime = AsyncRuntime::start();
    let dir = tempfile::tempdir().expect("temp dir");
    run_groups(&mut c, "sqlite", &runtime, &open(&sqlite_shards(&dir, 4)));
    if let Some(databases) = runtime.block_on(PostgresDatabases::create(4)) {
        run_groups(&mut c, "postgres", &runtime, &open(&databases.urls()));
        runtime.block_on(databases.drop_all());
    }
    c.final_summary();
}
