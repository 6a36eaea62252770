//! The economy's rules in the tick: a purchase (a grant of the bought item plus its price) and a use
//! of a consumable, each through the real system with its messages, by 1,000 players that each hold
//! 100 items. Goal: ≤ 1 µs per grant or use.
//!
//! `cargo bench --bench economy`

use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::Inventory;
use arbiter_components::items::{Catalog, ItemKind, ItemSpec};
use arbiter_components::matchmaking::InMatch;
use arbiter_components::messages::Outbound;
use arbiter_components::player::{Health, PlayerId};
use arbiter_components::protocol::ItemRequest;
use arbiter_components::shop::{Offer, Shop};
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_systems::economy::{
    InventoryApplied, ItemCooldowns, ItemRefused, ItemRequested, WalletApplied,
    apply_item_requests, init_messages,
};
use arbiter_testing::items;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::system::{IntoSystem, System};
use bevy_ecs::world::World;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const PLAYERS: u64 = 1_000;
/// Items each player holds besides the two the bench moves.
const MATERIALS: u32 = 98;

fn catalog() -> Catalog {
    let mut items: Vec<ItemSpec> = (0..MATERIALS)
        .map(|index| ItemSpec::new(&format!("material_{index}"), ItemKind::Material, 1000))
        .collect();
    let mut tonic = ItemSpec::new("tonic", ItemKind::Consumable, 1_000_000);
    tonic.heal = 1;
    items.push(tonic);
    items.push(ItemSpec::new("bolt", ItemKind::Material, 1_000_000));
    Catalog::with_coins(items)
}

/// 1,000 players in a match, each holding 100 stacks and plenty of coins.
fn world() -> (World, Vec<Entity>) {
    let mut world = World::new();
    let catalog = catalog();
    world.insert_resource(Shop {
        offers: vec![Offer {
            id: "bolts".into(),
            item: "bolt".into(),
            qty: 1,
            currency: "coins".into(),
            price: 1,
        }],
    });
    world.insert_resource(EconomySettings {
        inventory_capacity: 200,
        ..EconomySettings::default()
    });
    world.init_resource::<ServerTick>();
    world.init_resource::<TickRate>();
    init_messages(&mut world);
    let game = world.spawn_empty().id();
    let players = (1..=PLAYERS)
        .map(|id| {
            let mut inventory = Inventory::default();
            for item in catalog.items.iter().filter(|item| item.id != "bolt") {
                let qty = if item.id == "tonic" { 900_000 } else { 10 };
                let event = inventory
                    .grant(&catalog, &item.id, qty, 200, id, "bench")
                    .expect("fits");
                inventory.apply(&event);
            }
            let wallet = items::wallet_with(&catalog, "coins", 1_000_000_000);
            world
                .spawn((
                    PlayerId(id),
                    inventory,
                    wallet,
                    ItemCooldowns::default(),
                    Health(50),
                    InMatch(game),
                ))
                .id()
        })
        .collect();
    world.insert_resource(catalog);
    (world, players)
}

fn economy(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("economy");
    group.throughput(Throughput::Elements(PLAYERS));
    for (name, request) in [
        (
            "purchase_per_player",
            ItemRequest::Buy {
                offer: "bolts".into(),
            },
        ),
        (
            "use_per_player",
            ItemRequest::UseItem {
                item: "tonic".into(),
            },
        ),
    ] {
        let (mut world, players) = world();
        let mut system = IntoSystem::into_system(apply_item_requests);
        system.initialize(&mut world);
        let mut tick = 0u64;
        group.bench_function(name, |bencher| {
            bencher.iter(|| {
                // A new tick each time: a use's cooldown (0 s here) never refuses it.
                tick += 1;
                world.resource_mut::<ServerTick>().advance();
                for player in &players {
                    world.write_message(ItemRequested {
                        player: *player,
                        request: request.clone(),
                    });
                }
                system.run((), &mut world).expect("runs");
                world.resource_mut::<Messages<ItemRequested>>().update();
                world.resource_mut::<Messages<InventoryApplied>>().update();
                world.resource_mut::<Messages<WalletApplied>>().update();
                world.resource_mut::<Messages<Outbound>>().update();
            });
        });
        let refused = world.resource::<Messages<ItemRefused>>().len();
        assert_eq!(refused, 0, "{name}: every request applied ({tick} ticks)");
    }
    group.finish();
}

criterion_group!(benches, economy);
criterion_main!(benches);
