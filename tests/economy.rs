//! The inventory and the wallet stored with their player: a new player's starter kit and its
//! requests applied by the rules in the server app, written behind the tick in the player's transaction, loaded with the player by a new server,
//! replayed and verified — on SQLite and PostgreSQL.

use arbiter::economy::{audit_economy, economy_parts};
use arbiter::persistence::{Store, verify_players};
use arbiter::settings::ServerConfig;
use arbiter_components::inventory::{EquipSlot, InstanceId, Inventory, InventoryError, Wallet};
use arbiter_components::protocol::ItemRequest;
use arbiter_systems::economy::{ItemRefused, ItemRequested};
use arbiter_testing::databases::{on_postgres, sqlite_shards};
use arbiter_testing::items::shipped_economy;
use arbiter_testing::persisted_app::{log_in, persisted_app_with, step_until_durable};
use bevy_app::App;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;

const PLAYER: u64 = 4242;
/// The default inventory capacity.
const CAPACITY: u32 = 40;

/// The server app on `shards` with the shipped economy and its parts, flushing every 5 s; and its
/// store.
fn server(shards: &[String]) -> (App, Store) {
    let mut config = ServerConfig::default();
    config.persistence.shards = shards.to_vec();
    config.persistence.flush_interval_secs = 5;
    let store = Store::open(shards)
        .expect("the store opens")
        .with_parts(economy_parts());
    arbiter::store_commands::migrate_store(&store).expect("migrations");
    let app = persisted_app_with(config, &store, false, |plugins| {
        plugins.with_economy(shipped_economy())
    });
    (app, store)
}

/// Sends `requests` from `player` to the rules as the network would, and runs one tick; returns
/// the refusals.
fn request(app: &mut App, player: Entity, requests: &[ItemRequest]) -> Vec<InventoryError> {
    let mut refused = app
        .world_mut()
        .resource_mut::<Messages<ItemRefused>>()
        .get_cursor_current();
    for request in requests {
        app.world_mut().write_message(ItemRequested {
            player,
            request: request.clone(),
        });
    }
    app.update();
    refused
        .read(app.world().resource::<Messages<ItemRefused>>())
        .filter(|refusal| refusal.player == player)
        .map(|refusal| refusal.reason.clone())
        .collect()
}

fn round_trip(shards: Vec<String>) {
    // One runtime for the test's own queries, alive as long as the connections it opens.
    let runtime = arbiter_testing::databases::runtime();
    let (mut app, _) = server(&shards);
    let player = log_in(&mut app, PLAYER);
    app.update();
    let kit = app.world().get::<Inventory>(player).cloned().expect("held");
    assert!(kit.has_equipped_weapon("rifle"), "the starter kit: {kit:?}");
    assert_eq!(kit.count("medkit"), 2);

    assert_eq!(
        request(
            &mut app,
            player,
            &[ItemRequest::Buy {
                offer: "pistol".into()
            }]
        ),
        vec![]
    );
    let pistol = app
        .world()
        .get::<Inventory>(player)
        .and_then(|held| {
            held.instances()
                .iter()
                .find(|(_, item)| *item == "pistol")
                .map(|(instance, _)| *instance)
        })
        .expect("bought");
    assert_eq!(
        pistol,
        InstanceId {
            origin: PLAYER,
            serial: 1
        },
        "the kit's rifle took serial 0"
    );
    let refused = request(
        &mut app,
        player,
        &[
            ItemRequest::Equip {
                slot: EquipSlot::Secondary,
                item: "pistol".into(),
                instance: Some(pistol),
            },
            ItemRequest::Discard {
                item: "medkit".into(),
                qty: 1,
                instance: None,
            },
            // Refused, and nothing changes: more than held, money not there, an unknown item.
            ItemRequest::Discard {
                item: "medkit".into(),
                qty: 5,
                instance: None,
            },
            ItemRequest::Buy {
                offer: "camo_skin".into(),
            },
            ItemRequest::UseItem {
                item: "golden_gun".into(),
            },
        ],
    );
    assert_eq!(
        refused,
        vec![
            InventoryError::NotOwned,
            InventoryError::InsufficientFunds,
            InventoryError::UnknownItem
        ]
    );
    assert!(
        step_until_durable(&mut app, player),
        "written behind the tick"
    );
    let inventory = app.world().get::<Inventory>(player).cloned().expect("held");
    let wallet = app.world().get::<Wallet>(player).cloned().expect("held");
    assert!(inventory.has_equipped_weapon("rifle") && inventory.has_equipped_weapon("pistol"));
    assert_eq!(
        (inventory.count("medkit"), wallet.balance("coins")),
        (1, 140)
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
            "grant_claimed",
            "item_granted",
            "item_equipped",
            "item_granted",
            "item_equipped",
            "currency_changed",
            "item_bought",
            "currency_changed",
            "item_equipped",
            "item_discarded"
        ],
        "every change is an event, a tick's item events before its currency events: the audit log"
    );
    assert_eq!(
        runtime
            .block_on(verify_players(&store, &[PLAYER]))
            .expect("verify"),
        vec![]
    );
    assert_eq!(
        runtime
            .block_on(audit_economy(&store, &[PLAYER], CAPACITY))
            .expect("audit")
            .violations,
        vec![],
        "held = granted − used − discarded − spent"
    );
}

#[test]
fn a_player_stored_before_the_starter_kit_existed_gets_it_once_at_its_next_login() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shards = sqlite_shards(&dir, 1);
    let (app, store) = server(&shards);
    // Stored by an older server: a registered player with no items at all.
    let mut record = arbiter::persistence::PlayerRecord::new(PLAYER);
    let registered = arbiter::persistence::PlayerEvent::Registered {
        name: "veteran".into(),
    };
    record.apply(1, 1_700_000_000_000, &registered);
    let mut batch = arbiter::persistence::ShardBatch::default();
    batch.events.push(arbiter::persistence::StoredEvent {
        player_id: PLAYER,
        seq: 1,
        at_ms: 1_700_000_000_000,
        event: registered,
    });
    batch.players.push(record);
    arbiter_testing::databases::runtime()
        .block_on(store.write(store.shard_of(PLAYER), &batch))
        .expect("stored");
    drop(app);

    for login in 0..2 {
        let (mut app, _) = server(&shards);
        let player = log_in(&mut app, PLAYER);
        app.update();
        let inventory = app.world().get::<Inventory>(player).cloned().expect("held");
        assert!(
            inventory.has_equipped_weapon("rifle"),
            "login {login}: {inventory:?}"
        );
        assert_eq!(inventory.count("rifle"), 1, "login {login}: the kit once");
        assert!(step_until_durable(&mut app, player));
    }
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
            "INSERT INTO inventories (owner_id, next_serial, holdings) \
             VALUES (99, 0, char(10) || 'rifle #4242:0')",
            // Medkits out of thin air.
            "UPDATE inventories SET holdings = \
             replace(holdings, char(10) || 'medkit 1', char(10) || 'medkit 9') WHERE owner_id = 4242",
        ] {
            sqlx::query(statement).execute(&pool).await.expect("tamper");
        }
        audit_economy(&store, &[PLAYER, 99], 2)
            .await
            .expect("audit")
            .violations
    });
    let problems: Vec<(u64, &str)> = violations
        .iter()
        .map(|violation| (violation.player_id, violation.problem.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (PLAYER, "uses 3 slots of an inventory of 2"),
            (
                PLAYER,
                "holds 9 medkit, its log gives 1 (granted and bought less used and discarded)"
            ),
            (99, "holds rifle that its log never gave it"),
            (99, "holds instance 4242:0 also held by player 4242"),
        ]
    );
}
