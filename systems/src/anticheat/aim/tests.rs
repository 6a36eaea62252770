use super::*;
use crate::economy::mix;
use crate::map::test_map;
use crate::shots::yaw_pitch;

const REACTION_TICKS: u64 = 7;
/// The tick the opponent steps out from behind the wall.
const APPEARS: u64 = 100;

/// Shooter at the origin looking down −Z; a wall 5 m high from x = −2 to 2 at z = −10.
fn walled() -> MapGeometry {
    test_map(
        "walled",
        50.0,
        &[(Vec3::new(-2.0, 0.0, -11.0), Vec3::new(2.0, 5.0, -10.0))],
    )
}

fn history(ticks: std::ops::RangeInclusive<u64>, at: impl Fn(u64) -> Vec3) -> PositionHistory {
    let mut history = PositionHistory::default();
    for tick in ticks {
        history.record(tick, at(tick), 200);
    }
    history
}

/// Behind the wall, then in the open from `APPEARS` on.
fn stepping_out(tick: u64) -> Vec3 {
    if tick < APPEARS {
        Vec3::new(0.0, 0.0, -20.0)
    } else {
        Vec3::new(8.0, 0.0, -20.0)
    }
}

#[test]
fn a_hit_in_the_frames_after_an_opponent_appears_is_an_instant_reaction_and_a_later_one_is_not() {
    let map = walled();
    let shooter = history(0..=200, |_| Vec3::ZERO);
    let target = history(0..=200, stepping_out);
    for claimed in [APPEARS, APPEARS + 3, APPEARS + REACTION_TICKS - 1] {
        assert_eq!(
            instant_reaction(&map, &shooter, &target, claimed, REACTION_TICKS),
            Some(true),
            "claimed {claimed}"
        );
    }
    for claimed in [APPEARS + REACTION_TICKS, APPEARS + 15, APPEARS + 60] {
        assert_eq!(
            instant_reaction(&map, &shooter, &target, claimed, REACTION_TICKS),
            Some(false),
            "claimed {claimed}"
        );
    }
}

#[test]
fn an_opponent_out_of_sight_for_a_tick_or_two_is_not_a_new_target() {
    let map = walled();
    let shooter = history(0..=200, |_| Vec3::ZERO);
    // In the open, except ticks 148 and 149 behind the wall.
    let target = history(0..=200, |tick| {
        if (148..150).contains(&tick) {
            Vec3::new(0.0, 0.0, -20.0)
        } else {
            Vec3::new(8.0, 0.0, -20.0)
        }
    });
    assert_eq!(
        instant_reaction(&map, &shooter, &target, 151, REACTION_TICKS),
        Some(false)
    );
}

#[test]
fn without_the_history_to_tell_or_across_a_spawn_the_reaction_is_unknown() {
    let map = walled();
    let shooter = history(95..=200, |_| Vec3::ZERO);
    let target = history(0..=200, stepping_out);
    assert_eq!(
        instant_reaction(&map, &shooter, &target, APPEARS, REACTION_TICKS),
        None,
        "the shooter's history starts too late"
    );
    let mut respawned = history(0..=200, stepping_out);
    respawned.teleport(APPEARS, stepping_out(APPEARS));
    let shooter = history(0..=200, |_| Vec3::ZERO);
    assert_eq!(
        instant_reaction(&map, &shooter, &respawned, APPEARS + 2, REACTION_TICKS),
        None
    );
}

/// Yaw and pitch that look from `shooter`'s eye at `target`'s chest, as a client computes them.
fn aim_at(shooter: Vec3, target: Vec3) -> (f32, f32) {
    yaw_pitch(target + Vec3::Y * CHEST_HEIGHT_M - (shooter + Vec3::Y * EYE_HEIGHT_M))
}

#[test]
fn aim_offset_is_zero_on_the_chest_line_and_the_angle_off_it_otherwise() {
    let (shooter, feet) = (Vec3::ZERO, Vec3::new(3.0, 0.0, -25.0));
    let (yaw, pitch) = aim_at(shooter, feet);
    assert!(aim_offset_rad(shooter, yaw, pitch, feet) < 1e-6);
    let off = aim_offset_rad(shooter, yaw + 0.002, pitch, feet);
    assert!((off - 0.002).abs() < 1e-4, "{off}");
}

#[test]
fn perfect_aim_at_the_positions_a_client_was_sent_is_dead_centre_even_at_close_range() {
    // Three metres apart, each almost half a centimetre off the grid, to opposite sides.
    let shooter = Vec3::new(0.0049, 0.0, 0.0);
    let target = Vec3::new(-0.0049, 0.0, -3.0);
    // An aimbot aims at what its snapshot says: both positions rounded to the centimetre.
    let (yaw, pitch) = aim_at(as_sent(shooter), as_sent(target));
    assert!(aim_offset_rad(shooter, yaw, pitch, target) < 1e-5);
    // Against the exact positions the rounding alone would look like human scatter.
    let (exact_yaw, exact_pitch) = aim_at(shooter, target);
    let rounding = (yaw - exact_yaw).hypot(pitch - exact_pitch);
    assert!(rounding > 0.003, "{rounding}");
}

/// The default window of hits.
fn window() -> usize {
    AnticheatSettings::default().aim_window_hits as usize
}

fn record(samples: impl IntoIterator<Item = (bool, f32)>) -> AimRecord {
    let mut record = AimRecord::default();
    for (instant, offset_rad) in samples {
        record.push(
            AimSample {
                instant,
                offset_rad,
            },
            window(),
        );
    }
    record
}

#[test]
fn human_aim_is_never_assessed_as_an_aimbot() {
    let settings = AnticheatSettings::default();
    // A skilled player: offsets of a few milliradians, never an instant reaction, many hits.
    let skilled = record((0..200).map(|hit| (false, 0.001 + (hit % 7) as f32 * 0.0007)));
    assert_eq!(skilled.assess(&settings), None);
}

/// Deterministic normal samples (splitmix64 and Box-Muller), so the test below is the same every run.
fn normals(seed: u64) -> impl FnMut() -> f32 {
    let mut draws = 0;
    let mut uniform = move || {
        draws += 1;
        (mix(seed, draws) >> 11) as f64 / (1u64 << 53) as f64
    };
    move || {
        let radius = (-2.0 * (1.0 - uniform()).ln()).sqrt();
        (radius * (std::f64::consts::TAU * uniform()).cos()) as f32
    }
}

#[test]
fn a_skilled_players_scatter_flags_fewer_than_one_window_in_ten_thousand() {
    // 2 mrad of scatter on each axis, as the `skilled` bots aim, in independent windows of hits;
    // the precision rule alone (never an instant reaction). The defaults expect about one window
    // in 9 million to flag; the rule of 2026-12-04 (4 within 0.5 mrad) about 16 in 100,000.
    let settings = AnticheatSettings::default();
    let mut normal = normals(17);
    let (windows, mut flagged) = (500_000, 0);
    for _ in 0..windows {
        let scattered = record((0..window()).map(|_| {
            let offset_rad = (normal() * 0.002).hypot(normal() * 0.002);
            (false, offset_rad)
        }));
        flagged += usize::from(scattered.assess(&settings).is_some());
    }
    assert!(
        flagged * 10_000 < windows,
        "{flagged} of {windows} windows flagged"
    );
}

#[test]
fn instant_reactions_flag_and_so_do_a_few_dead_centre_hits() {
    let settings = AnticheatSettings::default();
    let quick = record((0..9).map(|hit| (hit % 4 == 0, 0.004)));
    let evidence = quick.assess(&settings).expect("3 instant reactions flag");
    assert!(evidence.contains("3 of the last 9 hits"), "{evidence}");

    let precise = settings.aim_precise_hits as usize;
    let perfect_but_few = record((0..precise - 1).map(|_| (false, 1e-6)));
    assert_eq!(
        perfect_but_few.assess(&settings),
        None,
        "one dead-centre hit short"
    );
    // Among human hits, dead-centre ones count wherever they fall in the window.
    let perfect = record((0..window()).map(|hit| (false, if hit % 2 == 0 { 1e-6 } else { 0.004 })));
    let evidence = perfect
        .assess(&settings)
        .expect("five dead-centre hits of ten");
    assert!(
        evidence.contains("5 within 0.00002 rad of the chest line"),
        "{evidence}"
    );
}

#[test]
fn the_window_keeps_only_the_last_hits() {
    let settings = AnticheatSettings::default();
    let mut old_instants = record((0..3).map(|_| (true, 0.004)));
    for _ in 0..window() {
        old_instants.push(
            AimSample {
                instant: false,
                offset_rad: 0.004,
            },
            window(),
        );
    }
    assert_eq!(old_instants.assess(&settings), None);
}
