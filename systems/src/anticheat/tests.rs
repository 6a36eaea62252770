use super::*;
use bevy_ecs::message::Messages;
use bevy_ecs::system::RunSystemOnce;
use bevy_ecs::world::World;

fn world() -> World {
    let mut world = World::new();
    world.insert_resource(AnticheatSettings::default());
    world.init_resource::<TickRate>();
    world.init_resource::<ServerTick>();
    world.init_resource::<Messages<CheatEvidence>>();
    world.init_resource::<Messages<AntiCheatActed>>();
    world.init_resource::<Messages<KickRequest>>();
    world
}

/// Refusals as the shot rules report them: a line-of-sight or tick refusal weighs 2, out of range 3.
const NO_LINE_OF_SIGHT: (&str, f32) = ("no_line_of_sight", 2.0);
const OUT_OF_RANGE: (&str, f32) = ("out_of_range", 3.0);
const BAD_TICK: (&str, f32) = ("bad_tick", 2.0);

fn refuse(world: &mut World, shooter: Entity, (reason, weight): (&'static str, f32), times: usize) {
    for _ in 0..times {
        world.write_message(CheatEvidence {
            player: shooter,
            weight,
            reason,
        });
    }
}

/// One tick of scoring; each judged shot is seen once, as in the app.
fn step(world: &mut World) {
    world.run_system_once(score_suspicion).expect("runs");
    world.resource_mut::<Messages<CheatEvidence>>().clear();
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

    refuse(&mut world, cheater, NO_LINE_OF_SIGHT, 3);
    step(&mut world);
    assert_eq!(
        actions(&mut world),
        [AntiCheatAction::Warn],
        "score 6 ≥ warn 5"
    );

    refuse(&mut world, cheater, NO_LINE_OF_SIGHT, 3);
    step(&mut world);
    assert_eq!(
        actions(&mut world),
        [AntiCheatAction::Flag],
        "score ≈ 12 ≥ flag 10; warn is not repeated"
    );

    refuse(&mut world, cheater, OUT_OF_RANGE, 4);
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
fn evidence_without_weight_adds_nothing() {
    let mut world = world();
    let honest = world.spawn(Suspicion::default()).id();
    refuse(&mut world, honest, ("not_in_match", 0.0), 50);
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
    refuse(&mut world, unlucky, BAD_TICK, 2);
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
            refuse(&mut world, unlucky, BAD_TICK, 1);
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

#[test]
fn only_players_with_a_score_are_suspects_and_a_score_decayed_to_nothing_is_forgotten() {
    let mut world = world();
    world
        .resource_mut::<AnticheatSettings>()
        .score_half_life_secs = 1;
    let honest = world.spawn(Suspicion::default()).id();
    let unlucky = world.spawn(Suspicion::default()).id();
    refuse(&mut world, unlucky, BAD_TICK, 1);
    step(&mut world);
    assert!(world.get::<Suspected>(unlucky).is_some());
    assert!(world.get::<Suspected>(honest).is_none());
    // 2 halves to below 0.001 in eleven half-lives of 60 steps.
    for _ in 0..11 * 60 {
        step(&mut world);
    }
    let suspicion = world.get::<Suspicion>(unlucky).expect("a player");
    assert_eq!(suspicion.score(), 0.0);
    assert!(world.get::<Suspected>(unlucky).is_none());
    // Suspected again by the next evidence, which is judged as before.
    refuse(&mut world, unlucky, BAD_TICK, 3);
    step(&mut world);
    assert!(world.get::<Suspected>(unlucky).is_some());
    assert_eq!(
        actions(&mut world),
        [AntiCheatAction::Warn],
        "score 6 ≥ warn 5"
    );
}
