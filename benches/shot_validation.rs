//! Full shot validation (claimed tick, server-side origin, range, line of sight against the arena,
//! lag-compensated hit against the nine other players of a match rewound to the claimed tick), one
//! shot at a time.
//!
//! `cargo bench --bench shot_validation`

use arbiter::maps::shipped_maps;
use arbiter_components::combat::{Shot, ShotVerdict, Weapons};
use arbiter_components::config::AnticheatSettings;
use arbiter_components::history::PositionHistory;
use arbiter_components::tick::TickRate;
use arbiter_systems::shots::{Rules, Shooter, Target, judge};
use bevy_ecs::entity::Entity;
use bevy_math::Vec3;
use criterion::{Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::time::Instant;

const NOW: u64 = 10_000;
const SHOTS: usize = 4096;

struct Scene {
    histories: Vec<PositionHistory>,
    /// Each shot with the index of its shooter.
    shots: Vec<(usize, Shot)>,
}

/// Ten players of one match walking across the arena, and shots from each at the others (aimed at a
/// random player with a little error, claimed one round trip + interpolation ago).
fn scene() -> Scene {
    let mut rng = StdRng::seed_from_u64(9);
    let histories: Vec<PositionHistory> = (0..10)
        .map(|_| {
            let start = Vec3::new(
                rng.random_range(-80.0..80.0),
                0.0,
                rng.random_range(-80.0..80.0),
            );
            let velocity = Vec3::new(
                rng.random_range(-6.0..6.0),
                0.0,
                rng.random_range(-6.0..6.0),
            );
            let mut history = PositionHistory::default();
            for tick in NOW - 40..=NOW {
                history.record(
                    tick,
                    start + velocity * (tick - (NOW - 40)) as f32 / 60.0,
                    64,
                );
            }
            history
        })
        .collect();
    let claimed = NOW - 15;
    let shots = (0..SHOTS)
        .map(|index| {
            let shooter = index % 10;
            // An opponent: teams are the even and the odd indices.
            let target = (shooter + 1 + 2 * rng.random_range(0..5)) % 10;
            let eye = histories[shooter].at(claimed).unwrap_or_default() + Vec3::Y * 1.6;
            let chest = histories[target].at(claimed).unwrap_or_default() + Vec3::Y * 1.2;
            let direction = (chest - eye).normalize() + Vec3::splat(rng.random_range(-0.01..0.01));
            let shot = Shot {
                shooter: entity(shooter),
                claimed_tick: claimed,
                yaw: (-direction.x).atan2(-direction.z),
                pitch: direction.normalize().y.asin(),
                weapon: 0,
                claimed_target: Some(target as u64),
            };
            (shooter, shot)
        })
        .collect();
    Scene { histories, shots }
}

fn entity(index: usize) -> Entity {
    Entity::from_raw_u32(index as u32 + 1).unwrap_or_else(|| unreachable!("small index"))
}

fn main() {
    let maps = shipped_maps().unwrap_or_else(|error| panic!("{error}"));
    let arena = maps
        .get("arena")
        .unwrap_or_else(|| panic!("the arena ships"));
    let scene = scene();
    let settings = AnticheatSettings::default();
    let weapons = Weapons::default();
    let rifle = &weapons.weapons[0];
    let rules = Rules {
        now: NOW,
        rate: TickRate::new(60),
        anticheat: &settings,
    };
    let targets: Vec<Target<'_>> = scene
        .histories
        .iter()
        .enumerate()
        .map(|(index, history)| Target {
            entity: entity(index),
            player_id: index as u64,
            in_match: Entity::PLACEHOLDER,
            team: (index % 2) as u8,
            alive: true,
            history,
        })
        .collect();
    let judge_one = |(index, shot): &(usize, Shot)| {
        let shooter = Shooter {
            entity: shot.shooter,
            in_match: Some(Entity::PLACEHOLDER),
            team: (*index % 2) as u8,
            died_at_tick: None,
            left_match_at_tick: None,
            history: &scene.histories[*index],
            rtt_ms: 150.0,
        };
        judge(shot, &shooter, &targets, Some(arena), rifle, &rules)
    };

    // Per-shot latency distribution, each call timed on its own.
    let mut nanos: Vec<u128> = Vec::with_capacity(SHOTS * 25);
    let mut verdicts = std::collections::BTreeMap::new();
    for _ in 0..25 {
        for shot in &scene.shots {
            let started = Instant::now();
            let verdict = black_box(judge_one(black_box(shot)));
            nanos.push(started.elapsed().as_nanos());
            let label = match verdict {
                ShotVerdict::Hit { .. } => "hit",
                ShotVerdict::Miss => "miss",
                ShotVerdict::Rejected(rejection) => rejection.as_str(),
            };
            *verdicts.entry(label).or_insert(0u32) += 1;
        }
    }
    nanos.sort_unstable();
    #[expect(clippy::print_stderr, reason = "the figures BENCHMARKS.md quotes")]
    {
        eprintln!(
            "per shot, timed one by one ({} calls, Instant overhead included): p50 {} ns, p99 {} ns; verdicts {verdicts:?}",
            nanos.len(),
            nanos[nanos.len() / 2],
            nanos[nanos.len() * 99 / 100]
        );
    }

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("shot_validation");
    group.throughput(Throughput::Elements(SHOTS as u64));
    group.bench_function("arena_10_players", |bencher| {
        bencher.iter(|| {
            for shot in &scene.shots {
                black_box(judge_one(shot));
            }
        });
    });
    group.finish();
    criterion.final_summary();
}
