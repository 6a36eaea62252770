//! The economy's rules on a bare `World`: ownership, stacks, capacity, cooldowns, purchases, and
//! refusals that change nothing.

use super::*;
use arbiter_components::inventory::{EquipSlot, InstanceId, InventoryError, InventoryEvent};
use arbiter_components::items::{ItemKind, ItemSpec};
use arbiter_components::matchmaking::InMatch;
use arbiter_components::player::Health;
use arbiter_components::protocol::ItemRequest;
use arbiter_components::shop::Offer;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::system::RunSystemOnce;
use bevy_ecs::world::World;
use smol_str::SmolStr;

const OWNER: u64 = 9;

/// A consumable cools down 1 s and heals 30.
fn item(id: &str, kind: ItemKind, max_stack: u32) -> ItemSpec {
    let mut item = ItemSpec::new(id, kind, max_stack);
    if kind == ItemKind::Consumable {
        item.cooldown_secs = 1.0;
        item.heal = 30;
    }
    item
}

fn world() -> World {
    let mut world = World::new();
    world.insert_resource(Catalog::with_coins(vec![
        item("rifle", ItemKind::Weapon, 1),
        item("medkit", ItemKind::Consumable, 5),
    ]));
    world.insert_resource(Shop {
        offers: vec![
            Offer {
                id: "rifle_offer".into(),
                item: "rifle".into(),
                qty: 1,
                currency: "coins".into(),
                price: 100,
            },
            Offer {
                id: "medkits".into(),
                item: "medkit".into(),
                qty: 2,
                currency: "coins".into(),
                price: 10,
            },
        ],
    });
    world.insert_resource(EconomySettings {
        inventory_capacity: 2,
        ..EconomySettings::default()
    });
    world.init_resource::<ServerTick>();
    world.init_resource::<TickRate>();
    init_messages(&mut world);
    world
}

/// A player with `coins`, in a match (an empty entity stands in for the match).
fn player(world: &mut World, coins: i64) -> Entity {
    let catalog = world.resource::<Catalog>().clone();
    let mut wallet = Wallet::default();
    if coins > 0 {
        let event = wallet
            .change(&catalog, "coins", coins, "test")
            .expect("credit");
        wallet.apply(&event);
    }
    let entity = world
        .spawn((
            PlayerId(OWNER),
            Inventory::default(),
            wallet,
            ItemCooldowns::default(),
            Health(50),
        ))
        .id();
    let game = world.spawn_empty().id();
    world.entity_mut(entity).insert(InMatch(game));
    entity
}

/// Sends `requests` and runs the rules once; returns what was refused, by reason.
fn run(world: &mut World, player: Entity, requests: &[ItemRequest]) -> Vec<InventoryError> {
    for request in requests {
        world.write_message(ItemRequested {
            player,
            request: request.clone(),
        });
    }
    world.run_system_once(apply_item_requests).expect("runs");
    let refused: Vec<InventoryError> = world
        .resource_mut::<Messages<ItemRefused>>()
        .drain()
        .map(|refusal| refusal.reason)
        .collect();
    world.resource_mut::<Messages<ItemRequested>>().clear();
    refused
}

fn buy(offer: &str) -> ItemRequest {
    ItemRequest::Buy {
        offer: offer.into(),
    }
}

const RIFLE: InstanceId = InstanceId {
    origin: OWNER,
    serial: 0,
};

fn equip_rifle() -> ItemRequest {
    ItemRequest::Equip {
        slot: EquipSlot::Primary,
        item: "rifle".into(),
        instance: Some(RIFLE),
    }
}

#[test]
fn a_purchase_takes_the_price_and_gives_the_item_in_one_step() {
    let mut world = world();
    let player = player(&mut world, 150);
    assert_eq!(run(&mut world, player, &[buy("rifle_offer")]), vec![]);
    let inventory = world.get::<Inventory>(player).expect("inventory");
    assert_eq!(
        inventory.instances().get(&RIFLE).map(SmolStr::as_str),
        Some("rifle")
    );
    assert_eq!(
        world
            .get::<Wallet>(player)
            .expect("wallet")
            .balance("coins"),
        50
    );
    let wallet_events = world
        .resource_mut::<Messages<WalletApplied>>()
        .drain()
        .count();
    let inventory_events: Vec<InventoryEvent> = world
        .resource_mut::<Messages<InventoryApplied>>()
        .drain()
        .map(|applied| applied.event)
        .collect();
    assert_eq!(wallet_events, 1);
    assert!(matches!(
        inventory_events[..],
        [InventoryEvent::ItemBought { .. }]
    ));
}

#[test]
fn buying_without_money_or_room_changes_nothing_and_counts_as_evidence_when_unpaid() {
    let mut world = world();
    let player = player(&mut world, 50);
    let before = (
        world.get::<Inventory>(player).cloned(),
        world.get::<Wallet>(player).cloned(),
    );
    assert_eq!(
        run(
            &mut world,
            player,
            &[buy("rifle_offer"), buy("no_such_offer")]
        ),
        vec![
            InventoryError::InsufficientFunds,
            InventoryError::UnknownOffer
        ]
    );
    assert_eq!(
        (
            world.get::<Inventory>(player).cloned(),
            world.get::<Wallet>(player).cloned()
        ),
        before,
        "nothing changed"
    );
    assert_eq!(world.resource::<Messages<CheatEvidence>>().len(), 1);

    // Room for two slots: two stacks' worth of medkits fill one, the third purchase overflows it.
    assert_eq!(
        run(
            &mut world,
            player,
            &[buy("medkits"), buy("medkits"), buy("medkits")]
        ),
        vec![InventoryError::StackFull]
    );
    assert_eq!(
        world
            .get::<Inventory>(player)
            .expect("held")
            .count("medkit"),
        4
    );
    assert_eq!(
        world.get::<Wallet>(player).expect("held").balance("coins"),
        30
    );
}

#[test]
fn equip_then_use_in_one_tick_works_in_order_and_the_cooldown_holds() {
    let mut world = world();
    let player = player(&mut world, 200);
    run(&mut world, player, &[buy("medkits"), buy("rifle_offer")]);
    let refused = run(
        &mut world,
        player,
        &[
            equip_rifle(),
            ItemRequest::UseItem {
                item: "medkit".into(),
            },
            ItemRequest::UseItem {
                item: "medkit".into(),
            },
        ],
    );
    assert_eq!(refused, vec![InventoryError::OnCooldown]);
    assert!(
        world
            .get::<Inventory>(player)
            .expect("held")
            .has_equipped_weapon("rifle")
    );
    assert_eq!(
        world.get::<Health>(player),
        Some(&Health(80)),
        "healed once"
    );
    assert_eq!(
        world
            .get::<Inventory>(player)
            .expect("held")
            .count("medkit"),
        1
    );

    // A second later (60 ticks at 60 Hz) the medkit is ready again.
    for _ in 0..60 {
        world.resource_mut::<ServerTick>().advance();
    }
    let use_one = ItemRequest::UseItem {
        item: "medkit".into(),
    };
    assert_eq!(
        run(&mut world, player, std::slice::from_ref(&use_one)),
        vec![]
    );
    assert_eq!(
        world.get::<Health>(player),
        Some(&Health::FULL),
        "never above full"
    );
    assert_eq!(
        run(&mut world, player, &[use_one]),
        vec![InventoryError::NotOwned],
        "none left"
    );
}

#[test]
fn items_are_used_only_alive_and_in_a_match() {
    let mut world = world();
    let player = player(&mut world, 10);
    run(&mut world, player, &[buy("medkits")]);
    let use_one = ItemRequest::UseItem {
        item: "medkit".into(),
    };
    world.entity_mut(player).remove::<InMatch>();
    assert_eq!(
        run(&mut world, player, std::slice::from_ref(&use_one)),
        vec![InventoryError::NotInMatch]
    );
    let game = world.spawn_empty().id();
    world.entity_mut(player).insert((InMatch(game), Health(0)));
    assert_eq!(
        run(&mut world, player, &[use_one]),
        vec![InventoryError::NotAlive]
    );
    assert_eq!(
        world
            .get::<Inventory>(player)
            .expect("held")
            .count("medkit"),
        2
    );
}

#[test]
fn requests_for_what_is_not_owned_are_refused_as_evidence() {
    let mut world = world();
    let player = player(&mut world, 0);
    let refused = run(
        &mut world,
        player,
        &[
            equip_rifle(),
            ItemRequest::Discard {
                item: "medkit".into(),
                qty: 3,
                instance: None,
            },
            ItemRequest::UseItem {
                item: "medkit".into(),
            },
            ItemRequest::Equip {
                slot: EquipSlot::Primary,
                item: "laser".into(),
                instance: None,
            },
        ],
    );
    assert_eq!(
        refused,
        vec![
            InventoryError::NotOwned,
            InventoryError::NotOwned,
            InventoryError::NotOwned,
            InventoryError::UnknownItem
        ]
    );
    assert_eq!(world.resource::<Messages<CheatEvidence>>().len(), 3);
    assert_eq!(world.get::<Inventory>(player), Some(&Inventory::default()));
}
