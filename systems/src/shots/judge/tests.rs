use super::*;
use crate::map::test_map;

const NOW: u64 = 1000;
/// The match entity shooter and target are in.
const MATCH: Entity = Entity::PLACEHOLDER;
const TICK_RATE: u32 = 60;

fn settings() -> AnticheatSettings {
    AnticheatSettings::default()
}

fn rules(settings: &AnticheatSettings) -> Rules<'_> {
    Rules {
        now: NOW,
        rate: TickRate::new(TICK_RATE),
        anticheat: settings,
    }
}

/// `judge` with the default anti-cheat settings, the rifle, at `NOW`.
fn judged(
    shot: &Shot,
    shooter: &Shooter<'_>,
    targets: &[Target<'_>],
    map: Option<&MapGeometry>,
) -> ShotVerdict {
    let settings = settings();
    judge(shot, shooter, targets, map, &rifle(), &rules(&settings))
}

fn rifle() -> WeaponSpec {
    WeaponSpec {
        name: "rifle".into(),
        fire_rate_hz: 10.0,
        damage: 25,
        max_range_m: 100.0,
    }
}

/// A history where the player stood at `at(tick)` for every kept tick.
fn history(at: impl Fn(u64) -> Vec3) -> PositionHistory {
    let mut history = PositionHistory::default();
    for tick in NOW - 40..=NOW {
        history.record(tick, at(tick), 64);
    }
    history
}

fn entity(index: u32) -> Entity {
    Entity::from_raw_u32(index).expect("valid index")
}

/// 150 ms round trip + 100 ms interpolation = 250 ms = 15 ticks at 60 Hz.
const RTT_MS: f32 = 150.0;
const CLAIMED: u64 = NOW - 15;

fn shooter(history: &PositionHistory) -> Shooter<'_> {
    Shooter {
        entity: entity(1),
        in_match: Some(MATCH),
        team: 0,
        died_at_tick: None,
        left_match_at_tick: None,
        history,
        rtt_ms: RTT_MS,
    }
}

fn target(history: &PositionHistory) -> Target<'_> {
    Target {
        entity: entity(2),
        player_id: TARGET_ID,
        in_match: MATCH,
        team: 1,
        alive: true,
        history,
    }
}

/// The aim from `eye` to the chest of a player standing at `feet`.
fn aim_at(eye: Vec3, feet: Vec3) -> (f32, f32) {
    yaw_pitch(feet + Vec3::Y * CHEST_HEIGHT_M - eye)
}

/// The player id of `target`.
const TARGET_ID: u64 = 42;

/// A shot from `eye` at the chest of a player standing at `feet`, claiming to hit `target`.
fn shot_at(eye: Vec3, feet: Vec3, claimed_tick: u64) -> Shot {
    let (yaw, pitch) = aim_at(eye, feet);
    Shot {
        shooter: entity(1),
        claimed_tick,
        yaw,
        pitch,
        weapon: 0,
        claimed_target: Some(TARGET_ID),
    }
}

/// The same shot, with no claim of what it hit.
fn unclaimed(shot: Shot) -> Shot {
    Shot {
        claimed_target: None,
        ..shot
    }
}

const SHOOTER_FEET: Vec3 = Vec3::new(0.0, 0.0, 0.0);
const EYE: Vec3 = Vec3::new(0.0, EYE_HEIGHT_M, 0.0);

#[test]
fn a_shot_at_a_visible_target_in_range_hits() {
    let still = history(|_| SHOOTER_FEET);
    let standing = history(|_| Vec3::new(0.0, 0.0, -20.0));
    let shot = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    let verdict = judged(&shot, &shooter(&still), &[target(&standing)], None);
    assert_eq!(
        verdict,
        ShotVerdict::Hit {
            target: entity(2),
            damage: 25
        }
    );
}

#[test]
fn a_shot_aimed_away_misses() {
    let still = history(|_| SHOOTER_FEET);
    let standing = history(|_| Vec3::new(0.0, 0.0, -20.0));
    let shot = shot_at(EYE, Vec3::new(20.0, 0.0, 0.0), CLAIMED);
    let verdict = judged(&shot, &shooter(&still), &[target(&standing)], None);
    assert_eq!(verdict, ShotVerdict::Miss);
}

#[test]
fn a_shooter_outside_a_match_or_dead_at_the_claimed_tick_is_refused() {
    let still = history(|_| SHOOTER_FEET);
    let standing = history(|_| Vec3::new(0.0, 0.0, -20.0));
    let shot = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    let outside = Shooter {
        in_match: None,
        ..shooter(&still)
    };
    let dead = Shooter {
        died_at_tick: Some(CLAIMED),
        ..shooter(&still)
    };
    let targets = [target(&standing)];
    let verdict = |who: &Shooter<'_>| judged(&shot, who, &targets, None);
    assert_eq!(
        verdict(&outside),
        ShotVerdict::Rejected(ShotRejection::NotInMatch)
    );
    assert_eq!(verdict(&dead), ShotVerdict::Rejected(ShotRejection::Dead));
}

#[test]
fn late_shots_fired_alive_or_in_the_last_match_are_not_held_against_the_shooter() {
    let still = history(|_| SHOOTER_FEET);
    let standing = history(|_| Vec3::new(0.0, 0.0, -20.0));
    let shot = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    let targets = [target(&standing)];
    // Killed after it fired: the shot still lands (a trade).
    let killed_since = Shooter {
        died_at_tick: Some(CLAIMED + 5),
        ..shooter(&still)
    };
    assert!(matches!(
        judged(&shot, &killed_since, &targets, None),
        ShotVerdict::Hit { .. }
    ));
    // Fired in a match that has ended since: a miss.
    let back_in_lobby = Shooter {
        in_match: None,
        left_match_at_tick: Some(CLAIMED + 5),
        ..shooter(&still)
    };
    assert_eq!(
        judged(&shot, &back_in_lobby, &targets, None),
        ShotVerdict::Miss
    );
    // Fired before the shooter itself respawned: that place is gone, a miss.
    let mut respawned = still.clone();
    respawned.teleport(CLAIMED + 5, Vec3::new(30.0, 0.0, 0.0));
    assert_eq!(
        judged(&shot, &shooter(&respawned), &targets, None),
        ShotVerdict::Miss
    );
}

#[test]
fn teammates_neither_block_nor_take_shots() {
    let still = history(|_| SHOOTER_FEET);
    let near = history(|_| Vec3::new(0.0, 0.0, -10.0));
    let far = history(|_| Vec3::new(0.0, 0.0, -20.0));
    let teammate = Target {
        entity: entity(3),
        player_id: 43,
        team: 0,
        ..target(&near)
    };
    let shot = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    assert_eq!(
        judged(&shot, &shooter(&still), &[teammate, target(&far)], None),
        ShotVerdict::Hit {
            target: entity(2),
            damage: 25
        }
    );
}

#[test]
fn a_claimed_tick_must_fit_the_round_trip_and_the_rewind_limit() {
    let settings = settings();
    let rules = rules(&settings);
    assert_eq!(
        check_claimed_tick(CLAIMED, RTT_MS, &rules),
        Ok(()),
        "150 ms RTT + 100 ms interpolation"
    );
    assert_eq!(
        check_claimed_tick(NOW + 1, RTT_MS, &rules),
        Err(ShotRejection::BadTick),
        "the future"
    );
    // 750 ms old: beyond the 700 ms rewind limit even for a 600 ms round trip.
    assert_eq!(
        check_claimed_tick(NOW - 45, 600.0, &rules),
        Err(ShotRejection::BadTick),
        "too old"
    );
    // 400 ms old on a 20 ms connection: 280 ms off the expected 120 ms.
    assert_eq!(
        check_claimed_tick(NOW - 24, 20.0, &rules),
        Err(ShotRejection::BadTick),
        "backtrack"
    );
}

#[test]
fn the_origin_is_the_shooters_own_position_at_the_claimed_tick() {
    // The shooter moved 3 m sideways since the claimed tick; the target stood still.
    let moving = history(|tick| {
        if tick <= CLAIMED {
            SHOOTER_FEET
        } else {
            Vec3::new(3.0, 0.0, 0.0)
        }
    });
    let standing = history(|_| Vec3::new(0.0, 0.0, -20.0));
    let from_then = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    let from_now = shot_at(
        Vec3::new(3.0, EYE_HEIGHT_M, 0.0),
        Vec3::new(0.0, 0.0, -20.0),
        CLAIMED,
    );
    let targets = [target(&standing)];
    let verdict = |shot: &Shot| judged(shot, &shooter(&moving), &targets, None);
    assert!(matches!(verdict(&from_then), ShotVerdict::Hit { .. }));
    assert_eq!(
        verdict(&from_now),
        ShotVerdict::Miss,
        "aimed from where the server says it was not"
    );
    let gone = PositionHistory::default();
    assert_eq!(
        judged(&from_then, &shooter(&gone), &targets, None),
        ShotVerdict::Rejected(ShotRejection::BadTick),
        "no server-side position for the claimed tick"
    );
}

#[test]
fn a_target_beyond_the_weapons_range_is_refused() {
    let still = history(|_| SHOOTER_FEET);
    let far = history(|_| Vec3::new(0.0, 0.0, -150.0));
    let near = history(|_| Vec3::new(0.0, 0.0, -90.0));
    let verdict = |feet: Vec3, history: &PositionHistory| {
        judged(
            &shot_at(EYE, feet, CLAIMED),
            &shooter(&still),
            &[target(history)],
            None,
        )
    };
    assert_eq!(
        verdict(Vec3::new(0.0, 0.0, -150.0), &far),
        ShotVerdict::Rejected(ShotRejection::OutOfRange)
    );
    let not_claimed = unclaimed(shot_at(EYE, Vec3::new(0.0, 0.0, -150.0), CLAIMED));
    assert_eq!(
        judged(&not_claimed, &shooter(&still), &[target(&far)], None),
        ShotVerdict::Miss,
        "a bullet that falls short of a player it never claimed is just a miss"
    );
    assert!(matches!(
        verdict(Vec3::new(0.0, 0.0, -90.0), &near),
        ShotVerdict::Hit { .. }
    ));
}

/// Shooter at the origin looking down −Z; a wall from x = −2 to 2 at z = −10.
fn walled() -> MapGeometry {
    test_map(
        "walled",
        50.0,
        &[(Vec3::new(-2.0, 0.0, -11.0), Vec3::new(2.0, 5.0, -10.0))],
    )
}

#[test]
fn a_shot_through_a_wall_is_refused_even_in_range() {
    let map = walled();
    let still = history(|_| SHOOTER_FEET);
    let behind = history(|_| Vec3::new(0.0, 0.0, -20.0));
    let shot = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    let verdict = judged(&shot, &shooter(&still), &[target(&behind)], Some(&map));
    assert_eq!(verdict, ShotVerdict::Rejected(ShotRejection::NoLineOfSight));
    let verdict = judged(
        &unclaimed(shot),
        &shooter(&still),
        &[target(&behind)],
        Some(&map),
    );
    assert_eq!(
        verdict,
        ShotVerdict::Miss,
        "an honest shot into the wall: the wall stops it"
    );
}

/// Low cover, chest high: a box from x = −2 to 2 at z = −10, 1.2 m tall.
fn low_cover() -> MapGeometry {
    test_map(
        "low cover",
        50.0,
        &[(
            Vec3::new(-2.0, 0.0, -11.0),
            Vec3::new(2.0, CHEST_HEIGHT_M, -10.0),
        )],
    )
}

#[test]
fn a_shot_into_cover_at_an_opponent_in_sight_is_a_miss_not_a_refusal() {
    let map = low_cover();
    let still = history(|_| SHOOTER_FEET);
    let behind = history(|_| Vec3::new(0.0, 0.0, -20.0));
    // At the hips of an opponent whose chest and head show over the box: the box stops the bullet.
    let (yaw, pitch) = yaw_pitch(Vec3::new(0.0, 0.5, -20.0) - EYE);
    let shot = Shot {
        yaw,
        pitch,
        ..shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED)
    };
    assert!(map.first_wall(EYE, Vec3::new(0.0, 0.5, -20.0)).is_some());
    let verdict = judged(&shot, &shooter(&still), &[target(&behind)], Some(&map));
    assert_eq!(verdict, ShotVerdict::Miss);
    // The same shot with another opponent on its line in front of the box: that one is hit.
    let in_front = history(|_| Vec3::new(0.0, 0.0, -6.0));
    let nearer = Target {
        entity: entity(3),
        player_id: TARGET_ID + 1,
        ..target(&in_front)
    };
    let verdict = judged(
        &shot,
        &shooter(&still),
        &[target(&behind), nearer],
        Some(&map),
    );
    assert_eq!(
        verdict,
        ShotVerdict::Hit {
            target: entity(3),
            damage: 25
        }
    );
    let over_the_box = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    let verdict = judged(
        &over_the_box,
        &shooter(&still),
        &[target(&behind)],
        Some(&map),
    );
    assert!(matches!(verdict, ShotVerdict::Hit { .. }), "{verdict:?}");
}

#[test]
fn a_shot_is_judged_where_the_client_was_shown_the_players_to_the_centimetre() {
    let still = history(|_| SHOOTER_FEET);
    // Exactly, the hitbox's left edge is at x = 0.2049; snapshots said 0.20 (its feet at 0.60).
    let standing = history(|_| Vec3::new(0.6049, 0.0, -20.0));
    // A ray that is at x = 0.198 at z = −20 and 0.202 at the hitbox's far side (z = −20.4): it
    // crosses the hitbox the client was shown, and passes the exact one.
    let (yaw, _) = yaw_pitch(Vec3::new(0.198, 0.0, -20.0));
    let shot = Shot {
        yaw,
        ..shot_at(EYE, Vec3::new(0.6049, 0.0, -20.0), CLAIMED)
    };
    assert_eq!(
        hitbox_distance(
            EYE,
            aim_direction(shot.yaw, shot.pitch),
            Vec3::new(0.6049, 0.0, -20.0)
        ),
        None
    );
    let verdict = judged(&shot, &shooter(&still), &[target(&standing)], None);
    assert!(matches!(verdict, ShotVerdict::Hit { .. }), "{verdict:?}");
}

#[test]
fn a_shot_around_a_corner_that_was_clear_at_the_claimed_tick_is_accepted() {
    let map = walled();
    let still = history(|_| SHOOTER_FEET);
    // At the claimed tick the target was past the wall's end (x = 6); it has since moved behind it.
    let runner = history(|tick| {
        if tick <= CLAIMED {
            Vec3::new(6.0, 0.0, -20.0)
        } else {
            Vec3::new(0.0, 0.0, -20.0)
        }
    });
    let shot = shot_at(EYE, Vec3::new(6.0, 0.0, -20.0), CLAIMED);
    let verdict = judged(&shot, &shooter(&still), &[target(&runner)], Some(&map));
    assert_eq!(
        verdict,
        ShotVerdict::Hit {
            target: entity(2),
            damage: 25
        }
    );
}

#[test]
fn lag_compensation_hits_a_strafing_target_where_the_shooter_saw_it() {
    let still = history(|_| SHOOTER_FEET);
    // Strafing sideways at 6 m/s, 20 m away: in 250 ms it moves 1.5 m, more than its hitbox is wide.
    let strafe = |tick: u64| Vec3::new((tick as f32 - NOW as f32) * 0.1, 0.0, -20.0);
    let strafing = history(strafe);
    let shot = shot_at(EYE, strafe(CLAIMED), CLAIMED);
    let verdict = judged(&shot, &shooter(&still), &[target(&strafing)], None);
    assert_eq!(
        verdict,
        ShotVerdict::Hit {
            target: entity(2),
            damage: 25
        },
        "rewound to the claimed tick"
    );

    // Without rewind (the target where it is now at every tick) the same aim misses.
    let unrewound = history(|_| strafe(NOW));
    let verdict = judged(&shot, &shooter(&still), &[target(&unrewound)], None);
    assert_eq!(verdict, ShotVerdict::Miss);

    // The same shot claiming a tick 600 ms old is refused.
    let mut old = shot;
    old.claimed_tick = NOW - 36;
    let verdict = judged(&old, &shooter(&still), &[target(&strafing)], None);
    assert_eq!(verdict, ShotVerdict::Rejected(ShotRejection::BadTick));
}

#[test]
fn a_target_that_respawned_since_the_claimed_tick_cannot_be_hit_there() {
    let still = history(|_| SHOOTER_FEET);
    let mut respawned = history(|_| Vec3::new(0.0, 0.0, -20.0));
    respawned.teleport(CLAIMED + 1, Vec3::new(30.0, 0.0, 0.0));
    let shot = shot_at(EYE, Vec3::new(0.0, 0.0, -20.0), CLAIMED);
    let verdict = judged(&shot, &shooter(&still), &[target(&respawned)], None);
    assert_eq!(verdict, ShotVerdict::Miss);
}
