//! Items over real UDP sockets: a client gets its inventory after `Welcome`, buys a weapon, equips
//! it and fires it in a match, while a weapon it does not own is refused; a malformed item request
//! is dropped as malformed; and the client's mirror of its items equals the server's.

use arbiter::net::Sessions;
use arbiter_client::ArbiterClient;
use arbiter_client::inventory::OwnedItems;
use arbiter_components::inventory::{EquipSlot, Inventory, InventoryError, Wallet};
use arbiter_components::matchmaking::{InMatch, Match};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{
    ClientMessage, InventoryDelta, ItemRequest, ServerMessage, ShotOutcome,
};
use arbiter_components::tick::ServerTick;
use arbiter_testing::net::{TestServer, drain};
use bevy_ecs::entity::Entity;
use std::time::Duration;

const PLAYER: u64 = 31;
/// Weapon indexes of the shipped weapons table.
const PISTOL: u8 = 1;
const SHOTGUN: u8 = 2;

fn entity_of(server: &TestServer) -> Entity {
    server
        .app
        .world()
        .resource::<Sessions>()
        .entity_of_player(PlayerId(PLAYER))
        .expect("the player's entity")
}

/// Steps until a message `wanted` arrives (at most `ticks`), folding item messages into `owned`;
/// returns every message seen up to the end of that step.
fn step_until_message(
    server: &mut TestServer,
    client: &mut [ArbiterClient; 1],
    owned: &mut OwnedItems,
    ticks: u32,
    wanted: impl Fn(&ServerMessage) -> bool,
) -> Vec<ServerMessage> {
    let mut seen = Vec::new();
    for _ in 0..ticks {
        server.step(client);
        std::thread::sleep(Duration::from_micros(300));
        let mut done = false;
        for message in drain(&mut client[0]) {
            owned.observe(&message);
            done |= wanted(&message);
            seen.push(message);
        }
        if done {
            return seen;
        }
    }
    panic!("the awaited message never came; saw {seen:?}")
}

fn shot_result(message: &ServerMessage) -> bool {
    matches!(message, ServerMessage::ShotResult { .. })
}

fn fire(server: &TestServer, client: &mut [ArbiterClient; 1], weapon: u8) {
    let tick = server.app.world().resource::<ServerTick>().get();
    client[0].send(&ClientMessage::Fire {
        client_tick: tick - 6,
        yaw: 0.0,
        // At the sky: nothing to hit, so an accepted shot is a miss.
        pitch: 1.4,
        weapon,
        target: None,
    });
}

fn outcome(messages: &[ServerMessage]) -> ShotOutcome {
    messages
        .iter()
        .find_map(|message| match message {
            ServerMessage::ShotResult { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .expect("a shot result")
}

#[test]
fn a_client_buys_equips_and_fires_a_weapon_while_one_it_lacks_is_refused() {
    let mut server = TestServer::start();
    let mut client = [ArbiterClient::connect(server.token(PLAYER), None).expect("client socket")];
    let mut owned = OwnedItems::default();
    let welcome = step_until_message(&mut server, &mut client, &mut owned, 300, |message| {
        matches!(message, ServerMessage::Inventory(_))
    });
    let events: Vec<&ServerMessage> = welcome
        .iter()
        .filter(|message| !matches!(message, ServerMessage::Snapshot { .. }))
        .collect();
    assert!(
        matches!(
            events.as_slice(),
            [ServerMessage::Welcome { .. }, ServerMessage::Inventory(_)]
        ),
        "Welcome, then the whole inventory (the new player's starter kit in it): {events:?}"
    );
    assert!(owned.has_equipped("rifle"), "{owned:?}");
    let coins = owned.balance("coins");
    assert!(coins >= 60, "the kit pays for a pistol: {owned:?}");

    // Put the player in a match on open ground, so shots are judged.
    let game = server
        .app
        .world_mut()
        .spawn(Match::new(1, 0, "none".into(), [Vec::new(), Vec::new()], 0))
        .id();
    let player = entity_of(&server);
    server
        .app
        .world_mut()
        .entity_mut(player)
        .insert(InMatch(game));
    server.step_until(&mut client, 30, |_, _| false);

    fire(&server, &mut client, SHOTGUN);
    let refused = step_until_message(&mut server, &mut client, &mut owned, 60, shot_result);
    assert_eq!(outcome(&refused), ShotOutcome::Rejected("not_owned".into()));

    client[0].send(&ClientMessage::Item(ItemRequest::Buy {
        offer: "pistol".into(),
    }));
    step_until_message(
        &mut server,
        &mut client,
        &mut owned,
        60,
        |message| matches!(message, ServerMessage::InventoryChanged(InventoryDelta::Added { item, .. }) if item == "pistol"),
    );
    assert_eq!(owned.balance("coins"), coins - 60);
    // Held but not equipped: still refused.
    fire(&server, &mut client, PISTOL);
    let refused = step_until_message(&mut server, &mut client, &mut owned, 60, shot_result);
    assert_eq!(outcome(&refused), ShotOutcome::Rejected("not_owned".into()));

    let pistol = owned.instance_of("pistol").expect("the bought pistol");
    client[0].send(&ClientMessage::Item(ItemRequest::Equip {
        slot: EquipSlot::Secondary,
        item: "pistol".into(),
        instance: Some(pistol),
    }));
    step_until_message(&mut server, &mut client, &mut owned, 60, |message| {
        matches!(
            message,
            ServerMessage::InventoryChanged(InventoryDelta::Equipped { .. })
        )
    });
    // Past the first shot's fire-rate window.
    server.step_until(&mut client, 30, |_, _| false);
    fire(&server, &mut client, PISTOL);
    let fired = step_until_message(&mut server, &mut client, &mut owned, 60, shot_result);
    assert_eq!(
        outcome(&fired),
        ShotOutcome::Miss,
        "the bought weapon fires"
    );

    // Bad input gets a typed refusal and changes nothing.
    for request in [
        ItemRequest::Buy {
            offer: "camo_skin".into(),
        },
        ItemRequest::Discard {
            item: "medkit".into(),
            qty: u32::MAX,
            instance: None,
        },
        ItemRequest::UseItem {
            item: "no_such_item".into(),
        },
    ] {
        client[0].send(&ClientMessage::Item(request));
    }
    let mut refusals = Vec::new();
    while refusals.len() < 3 {
        let seen = step_until_message(&mut server, &mut client, &mut owned, 60, |message| {
            matches!(message, ServerMessage::ItemRefused(_))
        });
        refusals.extend(seen.into_iter().filter_map(|message| match message {
            ServerMessage::ItemRefused(refusal) => Some(refusal.reason),
            _ => None,
        }));
    }
    assert_eq!(
        refusals,
        [
            InventoryError::InsufficientFunds,
            InventoryError::NotOwned,
            InventoryError::UnknownItem
        ]
    );

    // The client's mirror is the server's truth.
    let entity = server.app.world().entity(player);
    let inventory = entity.get::<Inventory>().expect("inventory");
    let wallet = entity.get::<Wallet>().expect("wallet");
    assert_eq!(owned.inventory.stacks(), inventory.stacks());
    assert_eq!(owned.inventory.instances(), inventory.instances());
    assert_eq!(owned.inventory.loadout(), inventory.loadout());
    assert_eq!(owned.wallet.balances(), wallet.balances());
}

#[test]
fn an_item_request_with_an_impossible_id_is_a_malformed_message_and_changes_nothing() {
    let mut server = TestServer::start();
    let mut client = [ArbiterClient::connect(server.token(PLAYER), None).expect("client socket")];
    let mut owned = OwnedItems::default();
    step_until_message(&mut server, &mut client, &mut owned, 300, |message| {
        matches!(message, ServerMessage::Inventory(_))
    });
    server.step_until(&mut client, 30, |_, _| false);
    let before = server
        .app
        .world()
        .entity(entity_of(&server))
        .get::<Inventory>()
        .cloned();
    client[0].send(&ClientMessage::Item(ItemRequest::Buy {
        offer: "x".repeat(65),
    }));
    let mut answered = Vec::new();
    for _ in 0..30 {
        server.step(&mut client);
        std::thread::sleep(Duration::from_micros(300));
        answered.extend(drain(&mut client[0]));
    }
    assert!(
        !answered
            .iter()
            .any(|message| matches!(message, ServerMessage::ItemRefused(_))),
        "dropped before the rules: {answered:?}"
    );
    let malformed = arbiter_testing::http::metric_value(
        &arbiter::telemetry::metrics::prometheus().render(),
        "arbiter_messages_dropped_total{reason=\"malformed\"}",
    );
    assert!(malformed.is_some_and(|count| count >= 1.0), "{malformed:?}");
    let after = server
        .app
        .world()
        .entity(entity_of(&server))
        .get::<Inventory>()
        .cloned();
    assert_eq!(before, after);
}
