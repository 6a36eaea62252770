//! Line-of-sight ray casts against the shipped arena map (284 boxes in a BVH).
//!
//! `cargo bench --bench line_of_sight`

use arbiter::maps::shipped_maps;
use bevy_math::Vec3;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;

const RAYS: usize = 4096;

fn line_of_sight(criterion: &mut Criterion) {
    let maps = shipped_maps().unwrap_or_else(|error| panic!("{error}"));
    let arena = maps
        .get("arena")
        .unwrap_or_else(|| panic!("the arena map ships"));
    let bounds = arena.bounds();
    let mut rng = StdRng::seed_from_u64(5);
    let mut point = || {
        Vec3::new(
            rng.random_range(bounds.min.x + 2.0..bounds.max.x - 2.0),
            1.6,
            rng.random_range(bounds.min.z + 2.0..bounds.max.z - 2.0),
        )
    };
    // Eye-height segments between random points: long ones cross the arena, short ones are typical
    // engagement distances.
    let segments: Vec<(Vec3, Vec3)> = (0..RAYS)
        .map(|index| {
            let from = point();
            let to = if index % 2 == 0 {
                point()
            } else {
                from + (point() - from) * 0.2
            };
            (from, to)
        })
        .collect();
    let clear = segments
        .iter()
        .filter(|(from, to)| arena.line_of_sight(*from, *to))
        .count();
    #[expect(clippy::print_stderr, reason = "context for the figure")]
    {
        eprintln!("{clear} of {RAYS} segments are clear");
    }
    let mut group = criterion.benchmark_group("line_of_sight");
    group.throughput(Throughput::Elements(RAYS as u64));
    group.bench_function("arena", |bencher| {
        bencher.iter(|| {
            segments
                .iter()
                .filter(|(from, to)| arena.line_of_sight(black_box(*from), black_box(*to)))
                .count()
        });
    });
    group.finish();
}

criterion_group!(benches, line_of_sight);
criterion_main!(benches);
