//! Random sequences of item requests through the real rules of a server app, written behind the
//! tick to SQLite: afterwards the stored inventory and wallet equal the world's, the player's row
//! equals its replayed log, and the economy audit (conservation, capacity, instances) is clean.

use arbiter::economy::{EconomyData, audit_economy};
use arbiter::persistence::verify_players;
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter_components::inventory::{EquipSlot, InstanceId, Inventory, Wallet};
use arbiter_components::protocol::ItemRequest;
use arbiter_systems::economy::ItemRequested;
use arbiter_testing::databases::{runtime, sqlite_shards};
use arbiter_testing::items::shipped_economy;
use arbiter_testing::persisted_app::{log_in, persisted_app_with, step_until_durable};
use bevy_app::App;
use bevy_ecs::entity::Entity;
use proptest::prelude::*;

const PLAYER: u64 = 77;
const SLOTS: [EquipSlot; 3] = [
    EquipSlot::Primary,
    EquipSlot::Secondary,
    EquipSlot::Consumable,
];
const ITEMS: [&str; 5] = ["rifle", "pistol", "shotgun", "medkit", "adrenaline"];

/// One request, chosen by numbers and made concrete against what the player holds now.
#[derive(Debug, Clone, Copy)]
struct Op {
    kind: u8,
    pick: u8,
    qty: u32,
}

fn op() -> impl Strategy<Value = Op> {
    (0..6u8, 0..16u8, 1..5u32).prop_map(|(kind, pick, qty)| Op { kind, pick, qty })
}

fn held_instance(inventory: &Inventory, item: &str) -> Option<InstanceId> {
    inventory
        .instances()
        .iter()
        .find(|(_, held)| *held == item)
        .map(|(instance, _)| *instance)
}

fn request(op: Op, inventory: &Inventory, economy: &EconomyData) -> ItemRequest {
    let item = ITEMS[usize::from(op.pick) % ITEMS.len()].to_owned();
    let slot = SLOTS[usize::from(op.pick) % SLOTS.len()];
    match op.kind {
        0 => ItemRequest::Buy {
            offer: economy.shop.offers[usize::from(op.pick) % economy.shop.offers.len()]
                .id
                .clone(),
        },
        1 => ItemRequest::Equip {
            slot,
            instance: held_instance(inventory, &item),
            item,
        },
        2 => ItemRequest::Unequip { slot },
        3 => ItemRequest::Discard {
            item,
            qty: op.qty,
            instance: None,
        },
        4 => ItemRequest::Discard {
            instance: held_instance(inventory, &item),
            item,
            qty: 1,
        },
        _ => ItemRequest::UseItem { item },
    }
}

fn owned(app: &App, player: Entity) -> (Inventory, Wallet) {
    let entity = app.world().entity(player);
    (
        entity.get::<Inventory>().cloned().expect("inventory"),
        entity.get::<Wallet>().cloned().expect("wallet"),
    )
}

fn play(ops: &[Op]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::default();
    config.persistence.shards = sqlite_shards(&dir, 2);
    config.persistence.flush_interval_secs = 1;
    let capacity = config.economy.inventory_capacity;
    let store = open_store(&config).expect("store");
    let economy = shipped_economy();
    let data = economy.clone();
    let mut app = persisted_app_with(config, &store, false, |plugins| plugins.with_economy(data));
    let player = log_in(&mut app, PLAYER);
    app.update();
    for chunk in ops.chunks(3) {
        for op in chunk {
            let (inventory, _) = owned(&app, player);
            let request = request(*op, &inventory, &economy);
            app.world_mut()
                .write_message(ItemRequested { player, request });
        }
        app.update();
    }
    assert!(step_until_durable(&mut app, player), "written behind");
    let (inventory, wallet) = owned(&app, player);
    let queries = runtime();
    let mut loaded = queries.block_on(store.load_players(&[PLAYER]));
    let record = loaded.players.pop().expect("stored");
    let stored_inventory = record
        .part::<Inventory>()
        .expect("the stored inventory decodes");
    let stored_wallet = record.part::<Wallet>().expect("the stored wallet decodes");
    assert_eq!(
        *stored_inventory, inventory,
        "stored inventory = the world's"
    );
    assert_eq!(*stored_wallet, wallet, "stored wallet = the world's");
    assert_eq!(
        queries
            .block_on(verify_players(&store, &[PLAYER]))
            .expect("verify"),
        vec![]
    );
    assert_eq!(
        queries
            .block_on(audit_economy(&store, &[PLAYER], capacity))
            .expect("audit")
            .violations,
        vec![]
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_item_requests_store_what_the_world_holds_and_verify_clean(
        ops in proptest::collection::vec(op(), 1..60)
    ) {
        play(&ops);
    }
}
