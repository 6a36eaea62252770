//! The inventory and the wallet stored with their player: changed by the rules' events in the server
//! app, written behind the tick in the player's transaction, loaded with the player by a new server,
//! replayed and verified — on SQLite and PostgreSQL.

use arbiter::economy::{audit_economy, economy_parts};
use arbiter::persistence::{Progress, Store, verify_players};
use arbiter::settings::ServerConfig;
use arbiter_components::inventory::{EquipSlot, InstanceId, Inventory, InventoryEvent, Wallet};
use arbiter_components::items::Catalog;
use arbiter_testing::databases::{on_postgres, sqlite_shards};
use arbiter_testing::persisted_app::{log_in, persisted_app, step_until_durable};
use bevy_app::App;
use bevy_ecs::entity::Entity;
use std::path::Path;

const CAPACITY: u32 = 30;
const PLAYER: u64 = 4242;

fn catalog() -> Catalog {
    arbiter::items::load_catalog(
        Path::new(arbiter::items::ITEMS_FILE),
        &arbiter::weapons::load_weapons(Path::new(arbiter::weapons::WEAPONS_FILE))
            .expect("weapons"),
    )
    .expect("the shipped catalog")
}

/// The server app on `shards` with the economy's parts, flushing every 5 s; and its store.
fn server(shards: &[String]) -> (App, Store) {
    let mut config = ServerConfig::default();
    config.persistence.shards = shards.to_vec();
    config.persistence.flush_interval_secs = 5;
    let store = Store::open(shards)
        .expect("the store opens")
        .with_parts(economy_parts());
    arbiter::store_commands::migrate_store(&store).expect("migrations");
    (persisted_app(config, &store, false), store)
}

/// Applies an inventory event made by `make` from the player's inventory, and records it.
fn inventory_change(
    app: &mut App,
    player: Entity,
    make: impl FnOnce(&Inventory) -> InventoryEvent,
) {
    let mut entity = app.world_mut().entity_mut(player);
    let event = make(entity.get::<Inventory>().expect("an inventory"));
    entity
        .get_mut::<Inventory>()
        .expect("inventory")
        .apply(&event);
    entity
        .get_mut::<Progress>()
        .expect("progress")
        .record_part_event::<Inventory>(&event, 1_700_000_000_000)
        .expect("recorded");
}

fn wallet_change(app: &mut App, player: Entity, delta: i64, reason: &str) {
    let catalog = catalog();
    let mut entity = app.world_mut().entity_mut(player);
    let event = entity
        .get::<Wallet>()
        .expect("a wallet")
        .change(&catalog, "coins", delta, reason)
        .expect("allowed");
    entity.get_mut::<Wallet>().expect("wallet").apply(&event);
    entity
        .get_mut::<Progress>()
        .expect("progress")
        .record_part_event::<Wallet>(&event, 1_700_000_000_000)
        .expect("recorded");
}

fn round_trip(shards: Vec<String>) {
    // One runtime for the test's own queries, alive as long as the connections it opens.
    let runtime = arbiter_testing::databases::runtime();
    let catalog = catalog();
    let (mut app, _) = server(&shards);
    let player = log_in(&mut app, PLAYER);
    assert_eq!(
        app.world().get::<Inventory>(player),
        Some(&Inventory::default())
    );

    wallet_change(&mut app, player, 500, "starter_kit");
    inventory_change(&mut app, player, |held| {
        held.grant(&catalog, "medkit", 3, CAPACITY, PLAYER, "starter_kit")
            .expect("fits")
    });
    wallet_change(&mut app, player, -120, "purchase:rifle");
    inventory_change(&mut app, player, |held| {
        held.buy(&catalog, "rifle_offer", "rifle", 1, CAPACITY, PLAYER)
            .expect("fits")
    });
    let rifle = InstanceId {
        origin: PLAYER,
        serial: 0,
    };
    inventory_change(&mut app, player, |held| {
        held.equip(&catalog, EquipSlot::Primary, "rifle", Some(rifle))
            .expect("owned")
    });
    inventory_change(&mut app, player, |held| {
        held.equip(&catalog, EquipSlot::Consumable, "medkit", None)
            .expect("owned")
    });
    inventory_change(&mut app, player, |held| {
        held.use_one(&catalog, "medkit").expect("held")
    });
    app.update();
    assert!(
        step_until_durable(&mut app, player),
        "written behind the tick"
    );
    let inventory = app.world().get::<Inventory>(player).cloned().expect("held");
    let wallet = app.world().get::<Wallet>(player).cloned().expect("held");
    assert!(inventory.has_equipped_weapon("rifle"));
    assert_eq!(
        (inventory.count("medkit"), wallet.balance("coins")),
        (2, 380)
    );
    drop(app);

    // The new server's store: the old one's pool may hold connections of the dropped app's runtime.
    let (mut app, store) = server(&shards);
    let player = log_in(&mut app, PLAYER);
    assert_eq!(app.world().get::<Inventory>(player), Some(&inventory));
    assert_eq!(app.world().get::<Wallet>(player), Some(&wallet));
    let history = runtime.block_on(store.history(PLAYER)).expect("history");
    let kinds: Vec<&str> = history
        .events
        .iter()
        .map(|event| event.event.kind())
        .collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "currency_changed",
            "item_granted",
            "currency_changed",
            "item_bought",
            "item_equipped",
            "item_equipped",
            "item_used"
        ],
        "every change is an event: the audit log"
    );
    assert_eq!(
        runtime
            .block_on(verify_players(&store, &[PLAYER]))
            .expect("verify"),
        vec![]
    );
    assert_eq!(
        runtime
            .block_on(audit_economy(&store, &[PLAYER]))
            .expect("audit"),
        vec![],
        "held = granted − used − discarded − spent"
    );
}

#[test]
fn an_inventory_and_a_wallet_round_trip_with_their_player_on_sqlite() {
    let dir = tempfile::tempdir().expect("temp dir");
    round_trip(sqlite_shards(&dir, 2));
}

#[test]
fn an_inventory_and_a_wallet_round_trip_with_their_player_on_postgres() {
    // The server app runs its own runtime: the round trip runs on a thread of its own.
    on_postgres(2, |shards| async move {
        std::thread::spawn(move || round_trip(shards))
            .join()
            .expect("the round trip");
    });
}

#[test]
fn the_economy_audit_names_a_duplicated_instance_and_items_no_log_gave() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shards = sqlite_shards(&dir, 1);
    round_trip(shards.clone());
    let (_app, store) = server(&shards);
    let runtime = arbiter_testing::databases::runtime();
    let violations = runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(&shards[0]).await.expect("connects");
        for statement in [
            // A copy of player 4242's rifle, held by player 99 whose log gave it nothing.
            "INSERT INTO players (id, name, rating, uncertainty, kills, deaths, wins, losses, matches, \
             version, updated_at_ms) VALUES (99, 'dupe', 1500, 500, 0, 0, 0, 0, 0, 0, 0)",
            "INSERT INTO inventory_items (owner_id, entry, item, origin, serial, qty, slot) \
             VALUES (99, 'instance', 'rifle', 4242, 0, 1, '')",
            // Medkits out of thin air.
            "UPDATE inventory_items SET qty = 9 WHERE owner_id = 4242 AND entry = 'stack'",
        ] {
            sqlx::query(statement).execute(&pool).await.expect("tamper");
        }
        audit_economy(&store, &[PLAYER, 99]).await.expect("audit")
    });
    let problems: Vec<(u64, &str)> = violations
        .iter()
        .map(|violation| (violation.player_id, violation.problem.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (
                PLAYER,
                "holds 9 medkit, its log gives 2 (granted and bought less used and discarded)"
            ),
            (99, "holds rifle that its log never gave it"),
            (99, "holds instance 4242:0 also held by player 4242"),
        ]
    );
}
