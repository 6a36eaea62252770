//! 1,000 trades settled in one tick through the real settlement system: 2,000 players, each
//! holding 100 stacks, with their stored progress (each side records its transfer event). Each
//! trade moves a stack one way and coins the other. Goal: ≤ 1 ms of tick time for the 1,000.
//!
//! `taskset -c 1 cargo bench --bench trade_settlement`

use arbiter::economy::{FencedTrades, TradesInDoubt, count_trades_in_doubt, settle_trades};
use arbiter::persistence::{FlushNow, PlayerRecord, Progress, SnapshotPolicy};
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{Inventory, TradedItems};
use arbiter_components::items::{Catalog, ItemKind, ItemSpec};
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_components::trade::{SettleTrade, TradeFailed, TradeSettled, TradeSide};
use arbiter_systems::economy::init_messages;
use arbiter_testing::items;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::system::{IntoSystem, System};
use bevy_ecs::world::World;
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TRADES: u64 = 1_000;
const STACKS: u32 = 100;

fn catalog() -> Catalog {
    Catalog::with_coins(
        (0..STACKS)
            .map(|index| ItemSpec {
                tradable: true,
                ..ItemSpec::new(&format!("material_{index}"), ItemKind::Material, 1_000_000)
            })
            .collect(),
    )
}

/// 2,000 players with 100 stacks of 1,000 and plenty of coins, their progress durable.
fn world() -> (World, Vec<Entity>) {
    let mut world = World::new();
    let catalog = catalog();
    world.insert_resource(EconomySettings {
        inventory_capacity: 200,
        ..EconomySettings::default()
    });
    world.init_resource::<ServerTick>();
    world.init_resource::<TickRate>();
    world.init_resource::<FencedTrades>();
    world.init_resource::<TradesInDoubt>();
    init_messages(&mut world);
    for messages in [
        World::init_resource::<Messages<SettleTrade>>,
        World::init_resource::<Messages<TradeSettled>>,
        World::init_resource::<Messages<TradeFailed>>,
        World::init_resource::<Messages<FlushNow>>,
    ] {
        messages(&mut world);
    }
    let players = (1..=2 * TRADES)
        .map(|id| {
            let mut inventory = Inventory::default();
            for item in &catalog.items {
                let event = inventory
                    .grant(&catalog, &item.id, 1_000, 200, id, "bench")
                    .expect("fits");
                inventory.apply(&event);
            }
            let wallet = items::wallet_with(&catalog, "coins", 1_000_000_000);
            let progress = Progress::loaded(PlayerRecord::new(id), 0);
            world
                .spawn((PlayerId(id), inventory, wallet, progress))
                .id()
        })
        .collect();
    world.insert_resource(catalog);
    (world, players)
}

/// Pair `n`: the first gives one unit of a material, the second 5 coins; `back` swaps who gives
/// what, so alternating runs leave every holding as it was (the bench runs any number of times).
fn trades(players: &[Entity], back: bool) -> Vec<SettleTrade> {
    players
        .chunks(2)
        .map(|pair| match back {
            false => [pair[0], pair[1]],
            true => [pair[1], pair[0]],
        })
        .enumerate()
        .map(|(n, pair)| SettleTrade {
            trade: n as u64,
            sides: [
                TradeSide {
                    player: pair[0],
                    items: Arc::new(TradedItems {
                        stacks: BTreeMap::from([(format!("material_{}", n % 100).into(), 1)]),
                        ..TradedItems::default()
                    }),
                    currencies: BTreeMap::new(),
                },
                TradeSide {
                    player: pair[1],
                    items: Arc::default(),
                    currencies: BTreeMap::from([("coins".into(), 5)]),
                },
            ],
        })
        .collect()
}

/// What the writer does between ticks: the recorded transfers become durable.
fn store_everything(world: &mut World) {
    let policy = SnapshotPolicy {
        every_events: u64::MAX,
        interval_ms: i64::MAX,
    };
    let mut progress = world.query::<&mut Progress>();
    for mut progress in progress.iter_mut(world) {
        if progress.take_changes(policy, 0).is_some() {
            let version = progress.record().version;
            progress.confirm_durable(version);
        }
    }
}

fn settlement(criterion: &mut Criterion) {
    let (mut world, players) = world();
    let trades = [trades(&players, false), trades(&players, true)];
    let mut runs = 0usize;
    let mut system = IntoSystem::into_system(settle_trades);
    system.initialize(&mut world);
    let mut count_in_doubt = IntoSystem::into_system(count_trades_in_doubt);
    count_in_doubt.initialize(&mut world);
    criterion.bench_function("settle_1000_trades_in_one_tick", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                for trade in &trades[runs % 2] {
                    world.write_message(trade.clone());
                }
                runs += 1;
                let started = Instant::now();
                system.run((), &mut world).expect("runs");
                spent += started.elapsed();
                let settled = world
                    .resource_mut::<Messages<TradeSettled>>()
                    .drain()
                    .count();
                assert_eq!(settled as u64, TRADES, "every trade settled");
                world.resource_mut::<Messages<SettleTrade>>().update();
                world.resource_mut::<Messages<SettleTrade>>().update();
                world.resource_mut::<Messages<Outbound>>().update();
                world.resource_mut::<Messages<FlushNow>>().update();
                store_everything(&mut world);
                // Stored now: no longer in doubt, as the server's own count (after settlement,
                // each tick) finds.
                count_in_doubt.run((), &mut world).expect("runs");
                assert!(world.resource::<TradesInDoubt>().is_empty());
            }
            spent
        });
    });
}

criterion_group!(benches, settlement);
criterion_main!(benches);
