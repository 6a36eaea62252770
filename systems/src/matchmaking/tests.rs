//! The matchmaking rules on a bare `World`.

use super::*;
use crate::messages::outbound_to;
use arbiter_components::matchmaking::{InMatch, Match, Queued, Rating, Team, Ticket};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::ServerMessage;
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::system::RunSystemOnce;

fn world_with_match_size(match_size: u32) -> World {
    let mut world = World::new();
    world.insert_resource(MatchmakingSettings {
        match_size,
        ..MatchmakingSettings::default()
    });
    world.init_resource::<TickRate>();
    world.init_resource::<ServerTick>();
    world.resource_mut::<ServerTick>().advance();
    world.init_resource::<MatchmakingQueue>();
    world.init_resource::<MatchIds>();
    world.init_resource::<Messages<QueueJoinRequested>>();
    world.init_resource::<Messages<QueueLeaveRequested>>();
    world.init_resource::<Messages<Outbound>>();
    world.init_resource::<Messages<MatchFormed>>();
    world.init_resource::<Messages<TicketTimedOut>>();
    world
}

fn player(world: &mut World, id: u64, rating: i32) -> Entity {
    let session = Session {
        client_id: id,
        addr: "127.0.0.1:1".parse().expect("literal address"),
        connected_at_tick: 0,
        rtt_ms: 0.0,
        bytes_sent: 0,
    };
    world
        .spawn((PlayerId(id), Rating::new(f64::from(rating)), session))
        .id()
}

fn join(world: &mut World, player: Entity) {
    world.write_message(QueueJoinRequested::new(player, 0));
}

fn leave(world: &mut World, player: Entity) {
    world.write_message(QueueLeaveRequested { player });
}

fn step(world: &mut World) {
    world.run_system_once(handle_queue_requests).expect("runs");
    world
        .run_system_once(drop_tickets_of_disconnected)
        .expect("runs");
    world.run_system_once(run_matchmaking).expect("runs");
    world.resource_mut::<Messages<QueueJoinRequested>>().clear();
    world
        .resource_mut::<Messages<QueueLeaveRequested>>()
        .clear();
}

#[test]
fn joining_players_get_a_ticket_then_a_match_with_teams_and_are_told() {
    let mut world = world_with_match_size(2);
    let (alice, bob) = (player(&mut world, 1, 1500), player(&mut world, 2, 1520));
    join(&mut world, alice);
    join(&mut world, alice);
    world.run_system_once(handle_queue_requests).expect("runs");
    world.flush();
    let ticket = world.get::<Queued>(alice).expect("alice queued").ticket;
    assert_eq!(
        world
            .get::<Ticket>(ticket)
            .map(|ticket| ticket.players.clone()),
        Some(vec![alice])
    );
    assert!(
        matches!(
            outbound_to(&mut world, alice).as_slice(),
            [ServerMessage::Error { .. }]
        ),
        "the second JoinQueue is refused"
    );

    join(&mut world, bob);
    step(&mut world);

    let alice_match = world
        .get::<InMatch>(alice)
        .copied()
        .expect("alice in a match");
    assert_eq!(world.get::<InMatch>(bob).copied(), Some(alice_match));
    let teams = (
        world.get::<Team>(alice).copied(),
        world.get::<Team>(bob).copied(),
    );
    assert!(matches!(
        teams,
        (Some(Team(0)), Some(Team(1))) | (Some(Team(1)), Some(Team(0)))
    ));
    assert!(world.get::<Queued>(alice).is_none());
    assert!(
        world.get_entity(ticket).is_err(),
        "the ticket entity is gone"
    );
    let mut matches = world.query::<&Match>();
    assert_eq!(matches.iter(&world).count(), 1);
    let told = outbound_to(&mut world, bob);
    assert!(
        matches!(&told[..], [ServerMessage::MatchFound { teams, .. }] if teams.iter().flatten().count() == 2)
    );
}

#[test]
fn leaving_or_disconnecting_removes_the_ticket() {
    let mut world = world_with_match_size(10);
    let (leaver, dropper) = (player(&mut world, 1, 1500), player(&mut world, 2, 1500));
    join(&mut world, leaver);
    join(&mut world, dropper);
    step(&mut world);
    assert_eq!(world.resource::<MatchmakingQueue>().waiting(), 2);
    let dropped_ticket = world.get::<Queued>(dropper).expect("queued").ticket;

    leave(&mut world, leaver);
    world.entity_mut(dropper).remove::<Session>();
    step(&mut world);

    assert_eq!(world.resource::<MatchmakingQueue>().waiting(), 0);
    assert!(world.get::<Queued>(leaver).is_none());
    assert!(world.get::<Queued>(dropper).is_none());
    assert!(world.get_entity(dropped_ticket).is_err());
}

#[test]
fn a_ticket_that_waits_too_long_is_removed_and_its_player_told() {
    let mut world = world_with_match_size(10);
    let waiter = player(&mut world, 1, 1500);
    join(&mut world, waiter);
    step(&mut world);
    outbound_to(&mut world, waiter);
    let timeout_ticks = 60 * u64::from(MatchmakingSettings::default().timeout_secs);
    for _ in 0..timeout_ticks {
        world.resource_mut::<ServerTick>().advance();
    }

    step(&mut world);

    assert!(world.get::<Queued>(waiter).is_none());
    assert_eq!(
        outbound_to(&mut world, waiter),
        vec![ServerMessage::QueueTimedOut]
    );
    assert_eq!(world.resource::<Messages<TicketTimedOut>>().len(), 1);
}
