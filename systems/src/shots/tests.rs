//! Shots on a bare `World`: the whole path, and parallel judging against sequential judging.

use super::*;
use crate::anticheat::CheatEvidence;
use crate::map::{MapGeometry, Maps, test_map};
use arbiter_components::combat::{Shot, ShotRejection, ShotVerdict};
use arbiter_components::config::AnticheatSettings;
use arbiter_components::history::PositionHistory;
use arbiter_components::inventory::{EquipSlot, Inventory};
use arbiter_components::items::Catalog;
use arbiter_components::matchmaking::{InMatch, Match, Team};
use arbiter_components::messages::Outbound;
use arbiter_components::player::{Health, PlayerId};
use arbiter_components::protocol::{ServerMessage, ShotOutcome};
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::query::With;
use bevy_ecs::system::RunSystemOnce;
use bevy_ecs::world::World;
use bevy_math::Vec3;
use proptest::prelude::*;

const NOW: u64 = 1000;

fn room() -> MapGeometry {
    test_map(
        "room",
        30.0,
        &[(Vec3::new(-1.0, 0.0, -8.0), Vec3::new(1.0, 3.0, 8.0))],
    )
}

fn world() -> World {
    let mut world = World::new();
    let mut tick = ServerTick::default();
    for _ in 0..NOW {
        tick.advance();
    }
    world.insert_resource(tick);
    world.init_resource::<TickRate>();
    world.insert_resource(AnticheatSettings::default());
    world.init_resource::<Weapons>();
    let mut maps = Maps::default();
    maps.insert(room()).expect("one map");
    world.insert_resource(maps);
    world.init_resource::<Messages<FireRequested>>();
    world.init_resource::<Messages<CheatEvidence>>();
    world.init_resource::<Messages<Outbound>>();
    world.init_resource::<Messages<ShotJudged>>();
    world.spawn(Match::new(7, 0, "room".into(), [Vec::new(), Vec::new()], 0));
    world
}

/// A player of match 7 standing still at `feet`, on a 150 ms connection; odd ids on team 1.
fn player(world: &mut World, id: u64, feet: Vec3) -> Entity {
    let mut history = PositionHistory::default();
    for tick in NOW - 40..=NOW {
        history.record(tick, feet, 64);
    }
    let session = Session {
        client_id: id,
        addr: "127.0.0.1:1".parse().expect("literal address"),
        connected_at_tick: 0,
        rtt_ms: 150.0,
        bytes_sent: 0,
    };
    let game = world
        .query_filtered::<Entity, With<Match>>()
        .single(world)
        .expect("the room's match");
    world
        .spawn((
            PlayerId(id),
            InMatch(game),
            Team((id % 2) as u8),
            Health::FULL,
            history,
            session,
            FireState::default(),
        ))
        .id()
}

#[test]
fn fire_becomes_a_judged_shot_and_a_shot_result() {
    let mut world = world();
    let shooter = player(&mut world, 1, Vec3::new(-10.0, 0.0, 15.0));
    let target = player(&mut world, 2, Vec3::new(10.0, 0.0, 15.0));
    assert_eq!(
        fire_once(&mut world, shooter, NOW - 15),
        ShotVerdict::Hit { target, damage: 25 }
    );
    let results: Vec<ServerMessage> = world
        .resource_mut::<Messages<Outbound>>()
        .drain()
        .filter(|outbound| outbound.player == shooter)
        .map(|outbound| outbound.message)
        .collect();
    assert_eq!(
        results,
        vec![ServerMessage::ShotResult {
            client_tick: NOW - 15,
            outcome: ShotOutcome::Hit {
                target: 2,
                damage: 25
            }
        }]
    );
    let mut shots = world.query::<&Shot>();
    assert_eq!(
        shots.iter(&world).count(),
        0,
        "shot entities are gone after judging"
    );
}

/// Fires weapon 0 from `shooter` at chest height straight along +X (yaw −π/2 looks down +X),
/// claiming player 2, through the whole path; returns the verdict.
fn fire_once(world: &mut World, shooter: Entity, client_tick: u64) -> ShotVerdict {
    let pitch = ((1.2 - EYE_HEIGHT_M) / 20.0f32).atan();
    world.write_message(FireRequested {
        player: shooter,
        client_tick,
        yaw: -std::f32::consts::FRAC_PI_2,
        pitch,
        weapon: 0,
        target: Some(2),
    });
    world.run_system_once(spawn_shots).expect("runs");
    // A one-off system reads every buffered request: this one must not be read again.
    world.resource_mut::<Messages<FireRequested>>().clear();
    world.flush();
    world.run_system_once(judge_shots).expect("runs");
    world.run_system_once(apply_shot_verdicts).expect("runs");
    world.flush();
    let verdicts: Vec<ShotVerdict> = world
        .resource_mut::<Messages<ShotJudged>>()
        .drain()
        .map(|judged| judged.verdict)
        .collect();
    let [verdict] = verdicts[..] else {
        panic!("one shot, one verdict: {verdicts:?}");
    };
    verdict
}

#[test]
fn a_player_with_an_inventory_fires_only_the_weapon_it_has_equipped() {
    let mut world = world();
    let shooter = player(&mut world, 1, Vec3::new(-10.0, 0.0, 15.0));
    let target = player(&mut world, 2, Vec3::new(10.0, 0.0, 15.0));
    world.entity_mut(shooter).insert(Inventory::default());
    assert_eq!(
        fire_once(&mut world, shooter, NOW - 15),
        ShotVerdict::Rejected(ShotRejection::NotOwned)
    );
    let evidence: Vec<CheatEvidence> = world
        .resource_mut::<Messages<CheatEvidence>>()
        .drain()
        .collect();
    assert_eq!(evidence.len(), 1, "firing what one lacks is evidence");
    assert_eq!(evidence[0].reason, "not_owned");

    let catalog = Catalog::for_weapons(&Weapons::default());
    let mut inventory = Inventory::default();
    let granted = inventory
        .grant(&catalog, "rifle", 1, 10, 1, "test")
        .expect("fits");
    inventory.apply(&granted);
    let instance = *inventory.instances().keys().next().expect("one rifle");
    // Held but not equipped: still refused.
    world.entity_mut(shooter).insert(inventory.clone());
    assert_eq!(
        fire_once(&mut world, shooter, NOW - 14),
        ShotVerdict::Rejected(ShotRejection::NotOwned)
    );
    let equipped = inventory
        .equip(&catalog, EquipSlot::Primary, "rifle", Some(instance))
        .expect("a weapon goes in primary");
    inventory.apply(&equipped);
    world.entity_mut(shooter).insert(inventory);
    world.entity_mut(shooter).insert(FireState::default());
    assert_eq!(
        fire_once(&mut world, shooter, NOW - 15),
        ShotVerdict::Hit { target, damage: 25 }
    );
}

#[test]
fn refusals_are_evidence_for_anti_cheat_but_misses_and_lobby_or_death_shots_are_not() {
    let mut world = world();
    let shooter = world.spawn_empty().id();
    for verdict in [
        ShotVerdict::Miss,
        ShotVerdict::Rejected(ShotRejection::NotInMatch),
        ShotVerdict::Rejected(ShotRejection::Dead),
        ShotVerdict::Rejected(ShotRejection::NoLineOfSight),
    ] {
        world.write_message(ShotJudged {
            shot: shooter,
            shooter,
            claimed_tick: 0,
            weapon: 0,
            yaw: 0.0,
            pitch: 0.0,
            verdict,
        });
    }
    world.run_system_once(apply_shot_verdicts).expect("runs");
    let evidence: Vec<CheatEvidence> = world
        .resource_mut::<Messages<CheatEvidence>>()
        .drain()
        .collect();
    assert_eq!(
        evidence,
        [CheatEvidence {
            player: shooter,
            weight: 5.0,
            reason: "no_line_of_sight"
        }]
    );
}

/// Judges `shots` in a fresh world with `threads` rayon threads; returns (claimed tick, verdict) in
/// order.
fn judged_with_threads(
    positions: &[(f32, f32)],
    shots: &[(usize, u64, f32, f32, u8)],
    threads: usize,
) -> Vec<(u64, ShotVerdict)> {
    let mut world = world();
    let players: Vec<Entity> = positions
        .iter()
        .enumerate()
        .map(|(index, (x, z))| player(&mut world, index as u64 + 1, Vec3::new(*x, 0.0, *z)))
        .collect();
    for (shooter, age, yaw, pitch, weapon) in shots {
        world.spawn(Shot {
            shooter: players[*shooter % players.len()],
            claimed_tick: NOW - age,
            yaw: *yaw,
            pitch: *pitch,
            weapon: *weapon,
            claimed_target: Some((*shooter as u64 + 1) % positions.len() as u64 + 1),
        });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| world.run_system_once(judge_shots))
        .expect("runs");
    // Both worlds spawn the same entities in the same order, so entities compare across them.
    world
        .resource_mut::<Messages<ShotJudged>>()
        .drain()
        .map(|judged| (judged.claimed_tick, judged.verdict))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn parallel_judging_equals_sequential_judging(
        positions in proptest::collection::vec((-25.0f32..25.0, -25.0f32..25.0), 2..8),
        shots in proptest::collection::vec((0usize..8, 0u64..40, -3.2f32..3.2, -0.3f32..0.3, 0u8..3), 1..120),
    ) {
        let sequential = judged_with_threads(&positions, &shots, 1);
        let parallel = judged_with_threads(&positions, &shots, 4);
        prop_assert_eq!(sequential.len(), shots.len());
        prop_assert_eq!(sequential, parallel);
    }
}
