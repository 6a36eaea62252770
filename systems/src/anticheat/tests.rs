use super::*;
use bevy_ecs::message::Messages;
use bevy_ecs::system::RunSystemOnce;
use bevy_ecs::world::World;

fn world() -> World {
    let mut world = World::new();
    world.insert_resource(AnticheatSettings::default());
    world.insert_resource(ServerSettings::default());
    world.init_resource::<Messages<ShotJudged>>();
    world.init_resource::<Messages<AntiCheatActed>>();
    world.init_resource::<Messages<KickRequest>>();
    world
}

fn refuse(world: &mut World, shooter: Entity, rejection: ShotRejection, times: usize) {
    for _ in 0..times {
        world.write_message(ShotJudged {
            shot: shooter,
            shooter,
            weapon: 0,
            claimed_tick: 0,
            verdict: ShotVerdict::Rejected(rejection),
        });
    }
}

/// One tick of scoring; each judged shot is seen once, as in the app.
fn step(world: &mut World) {
    world.run_system_once(score_suspicion).expect("runs");
    world.resource_mut::<Messages<ShotJudged>>().clear();
}

fn actions(world: &mut World) -> Vec<AntiCheatAction> {
    world
        .resource_mut::<Messages<AntiCheatActed>>()
        .drain()
        .map(|acted| acted.action)
        .collect()
}

#[test]
fn repeated_refusals_warn_then_flag_then_kick_with_the_evidence() {
    let mut world = world();
    let cheater = world.spawn(Suspicion::default()).id();

    refuse(&mut world, cheater, ShotRejection::NoLineOfSight, 3);
    step(&mut world);
    assert_eq!(
        actions(&mut world),
        [AntiCheatAction::Warn],
        "score 6 ≥ warn 5"
    );

    refuse(&mut world, cheater, ShotRejection::NoLineOfSight, 3);
    step(&mut world);
    assert_eq!(
        actions(&mut world),
        [AntiCheatAction::Flag],
        "score ≈ 12 ≥ flag 10; warn is not repeated"
    );

    refuse(&mut world, cheater, ShotRejection::OutOfRange, 4);
    step(&mut world);
    assert_eq!(actions(&mut world), [AntiCheatAction::Kick]);
    let kicks: Vec<KickRequest> = world
        .resource_mut::<Messages<KickRequest>>()
        .drain()
        .collect();
    assert_eq!(kicks.len(), 1);
    let KickReason::Cheating(reason) = &kicks[0].reason else {
        panic!("kicked for cheating, got {:?}", kicks[0].reason)
    };
    assert!(
        reason.contains("no_line_of_sight") && reason.contains("out_of_range"),
        "{reason}"
    );
}

#[test]
fn misses_hits_and_lobby_shots_add_nothing() {
    let mut world = world();
    let honest = world.spawn(Suspicion::default()).id();
    for verdict in [
        ShotVerdict::Miss,
        ShotVerdict::Rejected(ShotRejection::NotInMatch),
        ShotVerdict::Rejected(ShotRejection::Dead),
    ] {
        for _ in 0..50 {
            world.write_message(ShotJudged {
                shot: honest,
                shooter: honest,
                weapon: 0,
                claimed_tick: 0,
                verdict,
            });
        }
    }
    step(&mut world);
    assert_eq!(
        world.get::<Suspicion>(honest).map(Suspicion::score),
        Some(0.0)
    );
    assert!(actions(&mut world).is_empty());
}

#[test]
fn the_score_halves_every_half_life_so_an_occasional_refusal_never_flags_or_kicks() {
    let mut world = world();
    let unlucky = world.spawn(Suspicion::default()).id();
    refuse(&mut world, unlucky, ShotRejection::BadTick, 2);
    step(&mut world);
    let start = world
        .get::<Suspicion>(unlucky)
        .map_or(0.0, Suspicion::score);
    // One half-life: 30 s at 60 Hz.
    for _ in 0..30 * 60 {
        step(&mut world);
    }
    let after = world
        .get::<Suspicion>(unlucky)
        .map_or(0.0, Suspicion::score);
    assert!((after / start - 0.5).abs() < 0.01, "{start} → {after}");
    // One refused shot every 10 s for ten minutes converges to 2 / (1 − 0.5^(10/30)) ≈ 9.7: it may
    // warn (a log line and a metric), but never flags or kicks.
    world.resource_mut::<Messages<AntiCheatActed>>().clear();
    for second in 0..600 {
        if second % 10 == 0 {
            refuse(&mut world, unlucky, ShotRejection::BadTick, 1);
        }
        for _ in 0..60 {
            step(&mut world);
        }
    }
    let taken = actions(&mut world);
    assert!(
        taken.iter().all(|action| *action == AntiCheatAction::Warn),
        "{taken:?} at score {}",
        world
            .get::<Suspicion>(unlucky)
            .map_or(0.0, Suspicion::score)
    );
}

#[test]
fn speed_hack_signals_count_once_each() {
    let mut world = world();
    let fast = world
        .spawn((Suspicion::default(), InputCadenceAnomalies(2)))
        .id();
    step(&mut world);
    step(&mut world);
    let score = world.get::<Suspicion>(fast).map_or(0.0, Suspicion::score);
    assert!((score - 2.0 * SPEED_HACK_WEIGHT).abs() < 0.01, "{score}");
    assert_eq!(actions(&mut world), [AntiCheatAction::Warn]);
}
