//! Starter kits and match rewards on a bare `World`.

use super::*;
use arbiter_components::inventory::InventoryEvent;
use arbiter_components::items::ItemSpec;
use arbiter_components::messages::Outbound;
use arbiter_components::protocol::ScoreLine;
use arbiter_components::rewards::{CurrencyAmount, KitItem, LootEntry, MatchPay, StarterKit};
use bevy_ecs::message::Messages;
use bevy_ecs::system::RunSystemOnce;
use bevy_ecs::world::World;

fn world(capacity: u32) -> World {
    let mut world = World::new();
    world.insert_resource(Catalog::with_coins(vec![
        ItemSpec::new("rifle", ItemKind::Weapon, 1),
        ItemSpec::new("pistol", ItemKind::Weapon, 1),
        ItemSpec::new("scrap", ItemKind::Material, 100),
    ]));
    let kit = |item: &str, equip| KitItem {
        item: item.into(),
        qty: 1,
        equip,
    };
    world.insert_resource(Rewards {
        starter_kit: StarterKit {
            items: vec![kit("rifle", true), kit("pistol", true), kit("scrap", false)],
            currencies: vec![CurrencyAmount {
                currency: "coins".into(),
                amount: 100,
            }],
        },
        match_pay: Some(MatchPay {
            currency: "coins".into(),
            win: 50,
            loss: 20,
            draw: 30,
            per_kill: 5,
        }),
        loot: Default::default(),
    });
    world.insert_resource(EconomySettings {
        inventory_capacity: capacity,
        ..EconomySettings::default()
    });
    super::super::init_messages(&mut world);
    world
}

fn player(world: &mut World, id: u64) -> Entity {
    world
        .spawn((PlayerId(id), Inventory::default(), Wallet::default()))
        .id()
}

fn register(world: &mut World, player: Entity) {
    world.write_message(StarterKitDue { player });
    world.run_system_once(grant_starter_kits).expect("runs");
}

fn skipped(world: &mut World) -> Vec<InventoryError> {
    world
        .resource_mut::<Messages<GrantSkipped>>()
        .drain()
        .map(|skip| skip.reason)
        .collect()
}

use super::super::ledger::InventoryApplied;

#[test]
fn a_registered_player_gets_the_kit_with_its_weapons_equipped_and_the_client_is_told() {
    let mut world = world(10);
    let player = player(&mut world, 4);
    register(&mut world, player);
    let inventory = world.get::<Inventory>(player).expect("inventory");
    assert_eq!(inventory.count("rifle"), 1);
    assert_eq!(inventory.count("scrap"), 1);
    assert!(inventory.has_equipped_weapon("rifle"), "primary");
    assert!(inventory.has_equipped_weapon("pistol"), "secondary");
    assert_eq!(
        world
            .get::<Wallet>(player)
            .expect("wallet")
            .balance("coins"),
        100
    );
    let applied: Vec<InventoryEvent> = world
        .resource_mut::<Messages<InventoryApplied>>()
        .drain()
        .map(|applied| applied.event)
        .collect();
    assert_eq!(applied.len(), 5, "three grants and two equips: {applied:?}");
    assert!(matches!(
        &applied[0],
        InventoryEvent::ItemGranted { reason, .. } if reason == "starter_kit"
    ));
    let told = world.resource_mut::<Messages<Outbound>>().drain().count();
    assert_eq!(told, 6, "one InventoryChanged per event, the coins too");
    assert_eq!(skipped(&mut world), vec![]);
}

#[test]
fn a_kit_that_does_not_fit_is_given_in_part_and_the_rest_reported() {
    let mut world = world(2);
    let player = player(&mut world, 4);
    register(&mut world, player);
    let inventory = world.get::<Inventory>(player).expect("inventory");
    assert_eq!(inventory.slots_used(), 2);
    assert_eq!(inventory.count("scrap"), 0);
    assert_eq!(skipped(&mut world), vec![InventoryError::InventoryFull]);
}

fn completed(winner: Option<u8>, lines: &[(u64, u8, u32)]) -> MatchCompleted {
    MatchCompleted {
        match_id: 77,
        mode: 0,
        map: "arena".into(),
        winner,
        scores: [0, 0],
        live_ticks: 100,
        scoreboard: lines
            .iter()
            .map(|&(player_id, team, kills)| ScoreLine {
                player_id,
                team,
                kills,
                deaths: 0,
                rating_before: 1500,
                rating_after: 1500,
            })
            .collect(),
    }
}

#[test]
fn a_finished_match_pays_for_the_result_and_each_kill() {
    let mut world = world(10);
    let winner = player(&mut world, 1);
    let loser = player(&mut world, 2);
    world.write_message(completed(Some(0), &[(1, 0, 3), (2, 1, 1)]));
    world.run_system_once(pay_match_rewards).expect("runs");
    let coins = |world: &World, player| {
        world
            .get::<Wallet>(player)
            .expect("wallet")
            .balance("coins")
    };
    assert_eq!(coins(&world, winner), 50 + 3 * 5);
    assert_eq!(coins(&world, loser), 20 + 5);
    world.resource_mut::<Messages<MatchCompleted>>().clear();
    world.write_message(completed(None, &[(1, 0, 0)]));
    world.run_system_once(pay_match_rewards).expect("runs");
    assert_eq!(coins(&world, winner), 65 + 30, "a draw pays its own amount");
    world.resource_mut::<Messages<MatchCompleted>>().clear();
    world.entity_mut(loser).insert(ForfeitsRewards);
    world.write_message(completed(Some(1), &[(2, 1, 4)]));
    world.run_system_once(pay_match_rewards).expect("runs");
    assert_eq!(
        coins(&world, loser),
        25,
        "a player kicked for cheating forfeits its pay"
    );
}

#[test]
fn loot_is_drawn_per_player_from_the_table_of_its_result_and_repeats_for_a_replay() {
    let mut world = world(10);
    world.resource_mut::<Rewards>().loot.win = vec![LootEntry {
        item: Some("scrap".into()),
        qty: 4,
        weight: 1,
    }];
    world.resource_mut::<Rewards>().loot.loss = vec![LootEntry {
        item: None,
        qty: 1,
        weight: 1,
    }];
    let winner = player(&mut world, 1);
    let loser = player(&mut world, 2);
    world.write_message(completed(Some(1), &[(1, 1, 0), (2, 0, 0)]));
    world.run_system_once(pay_match_rewards).expect("runs");
    assert_eq!(
        world.get::<Inventory>(winner).expect("inv").count("scrap"),
        4
    );
    assert_eq!(
        world.get::<Inventory>(loser).expect("inv").count("scrap"),
        0
    );
    assert_eq!(mix(77, 1), mix(77, 1));
    assert_ne!(mix(77, 1), mix(77, 2));
}
