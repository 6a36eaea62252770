//! Operator grants: `arbiter grant` queues once per key and refuses what the catalog lacks; the
//! server applies a grant to an online player within seconds and to an offline one at login, once
//! per key even when the server dies before writing it.

use arbiter::economy::EconomyData;
use arbiter::persistence::{PlayerEvent, Queued, QueuedGrant, Store};
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_testing::databases::{on_postgres, runtime, sqlite_shards};
use arbiter_testing::persisted_app::{log_in, persisted_app_with, step_until, step_until_durable};
use bevy_app::App;
use bevy_ecs::entity::Entity;
use std::path::Path;
use std::process::{Command, Output};

const PLAYER: u64 = 808;

fn grant(key: &str, item: &str, qty: u32) -> QueuedGrant {
    QueuedGrant {
        key: key.into(),
        player_id: PLAYER,
        item: item.into(),
        qty,
        reason: "support ticket 12".into(),
        created_at_ms: 1_800_000_000_000,
    }
}

/// A server on `shards` with the shipped economy, flushing every `flush_secs`.
fn server(shards: &[String], flush_secs: u32) -> (App, Store) {
    let mut config = ServerConfig::default();
    config.persistence.shards = shards.to_vec();
    config.persistence.flush_interval_secs = flush_secs;
    let store = open_store(&config).expect("the store opens and migrates");
    let economy = EconomyData::load(
        &arbiter::weapons::load_weapons(Path::new(arbiter::weapons::WEAPONS_FILE))
            .expect("weapons"),
    )
    .expect("the shipped economy");
    let app = persisted_app_with(config, &store, false, |plugins| {
        plugins.with_economy(economy)
    });
    (app, store)
}

fn coins(app: &App, player: Entity) -> u64 {
    app.world()
        .get::<Wallet>(player)
        .expect("wallet")
        .balance("coins")
}

fn scrap(app: &App, player: Entity) -> u64 {
    app.world()
        .get::<Inventory>(player)
        .expect("inventory")
        .count("scrap")
}

#[test]
fn a_grant_reaches_an_online_player_within_seconds_and_an_offline_one_at_login_once_per_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    online_then_offline(sqlite_shards(&dir, 2));
}

#[test]
fn on_postgres_a_grant_reaches_an_online_player_and_an_offline_one_once_per_key() {
    // The server app runs its own runtime: the test runs on a thread of its own.
    on_postgres(2, |shards| async move {
        std::thread::spawn(move || online_then_offline(shards))
            .join()
            .expect("the grants");
    });
}

fn online_then_offline(shards: Vec<String>) {
    let queries = runtime();
    let (mut app, store) = server(&shards, 1);
    let player = log_in(&mut app, PLAYER);
    step_until(&mut app, 5, |_| false);
    let kit_coins = coins(&app, player);

    // Online: queued while the player plays.
    assert_eq!(
        queries
            .block_on(store.queue_grant(&grant("ticket-12", "coins", 500)))
            .expect("queued"),
        Queued::New
    );
    assert!(
        step_until(&mut app, 2000, |app| coins(app, player) == kit_coins + 500),
        "applied within a few polls"
    );
    assert!(step_until_durable(&mut app, player), "claimed and written");
    // The same key again: nothing more.
    assert_eq!(
        queries
            .block_on(store.queue_grant(&grant("ticket-12", "coins", 500)))
            .expect("answered"),
        Queued::Again
    );
    assert!(matches!(
        queries
            .block_on(store.queue_grant(&grant("ticket-12", "scrap", 1)))
            .expect("answered"),
        Queued::KeyTaken(_)
    ));
    drop(app);

    // Offline: queued while nobody plays; applied at login, the old one not again. (Queued through
    // the new server's store: the old pool may hold connections of the dropped app's runtime.)
    let (mut app, store) = server(&shards, 1);
    queries
        .block_on(store.queue_grant(&grant("ticket-13", "scrap", 7)))
        .expect("queued");
    let player = log_in(&mut app, PLAYER);
    assert!(
        step_until(&mut app, 2000, |app| scrap(app, player) == 7),
        "applied at login"
    );
    step_until(&mut app, 200, |_| false);
    assert_eq!(coins(&app, player), kit_coins + 500, "ticket-12 once");
    assert!(step_until_durable(&mut app, player));
}

#[test]
fn a_grant_applied_but_not_yet_written_when_the_server_dies_is_applied_once_at_the_next_login() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shards = sqlite_shards(&dir, 1);
    let queries = runtime();
    let (mut app, store) = server(&shards, 1);
    let player = log_in(&mut app, PLAYER);
    assert!(
        step_until_durable(&mut app, player),
        "registered and written"
    );
    let kit_coins = coins(&app, player);
    // No flush from now on: the grant is applied in the world only.
    app.world_mut()
        .resource_mut::<arbiter::settings::PersistenceSettings>()
        .flush_interval_secs = 3600;
    queries
        .block_on(store.queue_grant(&grant("ticket-14", "coins", 40)))
        .expect("queued");
    assert!(step_until(&mut app, 2000, |app| coins(app, player) == kit_coins + 40));
    // The process dies: the app goes without its shutdown flush.
    drop(app);

    // (The new server's store: the old pool may hold connections of the dropped app's runtime.)
    let (mut app, store) = server(&shards, 1);
    let stored = queries.block_on(store.history(PLAYER)).expect("history");
    let claimed = stored.events.iter().any(|stored| {
        matches!(&stored.event, PlayerEvent::Part(event)
            if event.kind() == "grant_claimed" && event.data()["key"] == "ticket-14")
    });
    assert!(!claimed, "the claim was never written");
    let player = log_in(&mut app, PLAYER);
    assert!(step_until(&mut app, 2000, |app| coins(app, player) == kit_coins + 40));
    step_until(&mut app, 200, |_| false);
    assert_eq!(coins(&app, player), kit_coins + 40, "applied once");
    assert!(step_until_durable(&mut app, player));
}

fn arbiter(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("arbiter runs")
}

#[test]
fn arbiter_grant_queues_once_per_key_and_refuses_what_the_catalog_lacks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ndata_dir = {:?}\n",
            dir.path().display().to_string()
        ),
    )
    .expect("config");
    let base = [
        "grant",
        "--player-id",
        "5",
        "--item",
        "medkit",
        "--qty",
        "3",
        "--reason",
        "compensation",
    ];
    fn with_key<'a>(base: &[&'a str], key: &'a str) -> Vec<&'a str> {
        [base, &["--idempotency-key", key]].concat()
    }
    let first = arbiter(&config, &with_key(&base, "outage-7"));
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{stdout}");
    assert!(
        stdout.contains("queued grant outage-7: 3 x medkit to player 5"),
        "{stdout}"
    );
    let again = arbiter(&config, &with_key(&base, "outage-7"));
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already queued"));

    let mut other = with_key(&base, "outage-7");
    other[6] = "2";
    let taken = arbiter(&config, &other);
    assert_eq!(
        taken.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&taken.stdout)
    );
    assert!(String::from_utf8_lossy(&taken.stdout).contains("was used for another grant"));

    let mut unknown = with_key(&base, "outage-8");
    unknown[4] = "golden_gun";
    let refused = arbiter(&config, &unknown);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("neither an item nor a currency"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let mut too_many = with_key(&base, "outage-9");
    too_many[6] = "11";
    let refused = arbiter(&config, &too_many);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("holds at most 10"));
    let zero = arbiter(&config, &[&base[..6], &["0", "--reason", "x"]].concat());
    assert!(!zero.status.success(), "a quantity of 0 is refused");

    // Queued once: the store holds exactly one grant for the player.
    let store = open_store(&{
        let mut settings = ServerConfig::default();
        settings.server.data_dir = dir.path().display().to_string();
        settings
    })
    .expect("the store");
    let queued = runtime().block_on(store.grants_for(5)).expect("grants");
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!((queued[0].item.as_str(), queued[0].qty), ("medkit", 3));
}
