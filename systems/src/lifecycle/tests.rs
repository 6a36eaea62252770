//! The lifecycle on a bare `World`: spawn, go live, end (score and time), respawn.

use super::*;
use crate::map::{Maps, test_map};
use crate::matchmaking::MatchFormed;
use crate::messages::outbound_to;
use arbiter_components::history::PositionHistory;
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::match_events::{MatchCompleted, RatingChanged};
use arbiter_components::matchmaking::{InMatch, Match, MatchState, Rating, Team};
use arbiter_components::messages::Outbound;
use arbiter_components::player::{Health, LeftMatch, MatchTally, PlayerId, Respawning, Stats};
use arbiter_components::protocol::ServerMessage;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::system::RunSystemOnce;
use bevy_ecs::world::World;
use bevy_math::Vec3;

/// 10 ticks per second, 2 s warm-up, 30 s matches to 3 kills, 1 s respawn; map "duel" has one
/// spawn per team at x = ∓40.
fn world() -> World {
    let mut world = World::new();
    let mut maps = Maps::default();
    maps.insert(test_map("duel", 50.0, &[])).expect("one map");
    world.insert_resource(maps);
    world.init_resource::<ServerTick>();
    world.insert_resource(TickRate::new(10));
    world.insert_resource(MatchSettings {
        warmup_secs: 2,
        time_limit_secs: 30,
        score_limit: 3,
        respawn_secs: 1,
    });
    world.init_resource::<Messages<MatchFormed>>();
    world.init_resource::<Messages<Outbound>>();
    world.init_resource::<Messages<MatchCompleted>>();
    world.init_resource::<Messages<RatingChanged>>();
    world
}

fn advance_to(world: &mut World, tick: u64) {
    while world.resource::<ServerTick>().get() < tick {
        world.resource_mut::<ServerTick>().advance();
    }
}

fn player(world: &mut World, game: Entity, id: u64, team: u8) -> Entity {
    world
        .spawn((
            PlayerId(id),
            InMatch(game),
            Team(team),
            Position(Vec3::ONE),
            Velocity(Vec3::X),
            Health(10),
            PositionHistory::default(),
            Rating::default(),
            Stats::default(),
        ))
        .id()
}

/// A 1-vs-1 match formed at tick 0: (match, blue, red).
fn duel(world: &mut World) -> (Entity, Entity, Entity) {
    let found = world.spawn_empty().id();
    let blue = player(world, found, 1, 0);
    let red = player(world, found, 2, 1);
    world
        .entity_mut(found)
        .insert(Match::new(1, 0, "duel".into(), [vec![blue], vec![red]], 0));
    (found, blue, red)
}

#[test]
fn a_formed_match_puts_each_team_on_its_spawn_points_alive_and_still() {
    let mut world = world();
    let (match_entity, blue, red) = duel(&mut world);
    world.write_message(MatchFormed {
        match_entity,
        match_id: 1,
        waits_ticks: vec![0, 0],
        ticket_seats: vec![1, 1],
        rating_span: 0,
        team_imbalance: 0.0,
    });

    world.run_system_once(place_at_spawns).expect("runs");

    assert_eq!(
        world.get::<Position>(blue),
        Some(&Position(Vec3::new(-40.0, 0.0, 0.0)))
    );
    assert_eq!(
        world.get::<Position>(red),
        Some(&Position(Vec3::new(40.0, 0.0, 0.0)))
    );
    assert_eq!(world.get::<Velocity>(red), Some(&Velocity(Vec3::ZERO)));
    assert_eq!(world.get::<Health>(red), Some(&Health::FULL));
    assert_eq!(world.get::<MatchTally>(red), Some(&MatchTally::default()));
}

#[test]
fn warm_up_ends_after_its_time_and_the_match_goes_live_with_everyone_respawned() {
    let mut world = world();
    let (match_entity, blue, _) = duel(&mut world);
    world.get_mut::<Match>(match_entity).expect("match").scores = [2, 0];

    advance_to(&mut world, 19);
    world.run_system_once(go_live).expect("runs");
    assert_eq!(
        world.get::<Match>(match_entity).map(|found| found.state),
        Some(MatchState::Warmup),
        "1.9 s of a 2 s warm-up"
    );

    advance_to(&mut world, 20);
    world.run_system_once(go_live).expect("runs");
    let found = world.get::<Match>(match_entity).expect("match");
    assert_eq!(
        (found.state, found.state_since_tick, found.scores),
        (MatchState::Live, 20, [0, 0]),
        "warm-up kills are forgotten"
    );
    assert_eq!(world.get::<Health>(blue), Some(&Health::FULL));
    assert_eq!(
        outbound_to(&mut world, blue),
        vec![ServerMessage::MatchLive {
            match_id: 1,
            time_limit_secs: 30,
            score_limit: 3
        }]
    );
}

#[test]
fn reaching_the_score_limit_ends_the_match_rates_it_and_sends_everyone_back_to_the_lobby() {
    let mut world = world();
    let (match_entity, blue, red) = duel(&mut world);
    {
        let mut found = world.get_mut::<Match>(match_entity).expect("match");
        found.state = MatchState::Live;
        found.scores = [2, 1];
    }
    world.entity_mut(blue).insert(MatchTally {
        kills: 2,
        deaths: 1,
    });
    advance_to(&mut world, 50);
    world.run_system_once(end_decided_matches).expect("runs");
    world.flush();
    assert!(world.get::<Match>(match_entity).is_some(), "2 of 3: on");

    world.get_mut::<Match>(match_entity).expect("match").scores = [3, 1];
    world.run_system_once(end_decided_matches).expect("runs");
    world.flush();

    assert!(
        world.get::<Match>(match_entity).is_none(),
        "the match is gone"
    );
    let winner = world.get::<Rating>(blue).expect("rating").value;
    let loser = world.get::<Rating>(red).expect("rating").value;
    assert!(winner > 1500.0 && loser < 1500.0, "{winner} / {loser}");
    assert_eq!(
        world.get::<Stats>(blue),
        Some(&Stats {
            wins: 1,
            matches: 1,
            ..Stats::default()
        })
    );
    assert_eq!(world.get::<Stats>(red).map(|stats| stats.losses), Some(1));
    for player in [blue, red] {
        assert!(
            world.get::<InMatch>(player).is_none(),
            "free to queue again"
        );
        assert!(world.get::<Team>(player).is_none());
        assert_eq!(
            world.get::<LeftMatch>(player),
            Some(&LeftMatch { at_tick: 50 })
        );
    }
    let [
        ServerMessage::MatchEnded {
            match_id: 1,
            winning_team: Some(0),
            scores: [3, 1],
            scoreboard,
        },
    ] = &outbound_to(&mut world, blue)[..]
    else {
        panic!("blue is told the result once");
    };
    assert_eq!(scoreboard.len(), 2);
    assert_eq!((scoreboard[0].player_id, scoreboard[0].kills), (1, 2));
    assert!(scoreboard[0].rating_after > scoreboard[0].rating_before);
    let completed: Vec<MatchCompleted> = world
        .resource_mut::<Messages<MatchCompleted>>()
        .drain()
        .collect();
    assert_eq!(completed.len(), 1);
    assert_eq!(
        (completed[0].winner, completed[0].live_ticks),
        (Some(0), 50)
    );
    let changes = world
        .resource_mut::<Messages<RatingChanged>>()
        .drain()
        .count();
    assert_eq!(changes, 2, "one rating change per player");
}

#[test]
fn the_time_limit_ends_a_match_and_equal_scores_are_a_draw() {
    let mut world = world();
    let (match_entity, blue, _) = duel(&mut world);
    {
        let mut found = world.get_mut::<Match>(match_entity).expect("match");
        found.state = MatchState::Live;
        found.state_since_tick = 10;
        found.scores = [1, 1];
    }
    advance_to(&mut world, 309);
    world.run_system_once(end_decided_matches).expect("runs");
    world.flush();
    assert!(world.get::<Match>(match_entity).is_some(), "29.9 s of 30");

    advance_to(&mut world, 310);
    world.run_system_once(end_decided_matches).expect("runs");
    world.flush();
    assert!(world.get::<Match>(match_entity).is_none());
    assert!(matches!(
        &outbound_to(&mut world, blue)[..],
        [ServerMessage::MatchEnded {
            winning_team: None,
            ..
        }]
    ));
    let stats = world.get::<Stats>(blue).copied().expect("stats");
    assert_eq!((stats.matches, stats.wins, stats.losses), (1, 0, 0));
}

#[test]
fn the_dead_respawn_at_their_teams_spawn_when_their_wait_is_over() {
    let mut world = world();
    let (_, _, red) = duel(&mut world);
    world.entity_mut(red).insert((
        Health(0),
        Respawning {
            died_at_tick: 0,
            at_tick: 10,
        },
    ));
    advance_to(&mut world, 9);
    world.run_system_once(respawn_players).expect("runs");
    world.flush();
    assert_eq!(world.get::<Health>(red), Some(&Health(0)), "still waiting");

    advance_to(&mut world, 10);
    world.run_system_once(respawn_players).expect("runs");
    world.flush();
    assert_eq!(world.get::<Health>(red), Some(&Health::FULL));
    assert_eq!(
        world.get::<Position>(red),
        Some(&Position(Vec3::new(40.0, 0.0, 0.0)))
    );
    assert!(world.get::<Respawning>(red).is_none());
    assert!(
        world
            .get::<PositionHistory>(red)
            .expect("history")
            .teleported_after(9),
        "no rewind across the respawn"
    );
}
