//! Framework overhead per tick: one `App::update` of the full server app (all phases, config check,
//! tick counter, persistence on its embedded SQLite default) plus the runner's per-tick bookkeeping, for an empty world and for 10 k and 100 k
//! moving entities. `bevy_baseline` is a bare bevy app with only the time plugin and one fixed step
//! per update: the floor that Arbiter's own overhead is measured against, in the same run.
//!
//! `cargo bench --bench tick`

use arbiter::config::LoadedConfig;
use arbiter::store_commands::open_store;
use arbiter::tick::TickMeter;
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_testing::persisted_app::persisted_app;
use bevy_app::App;
use bevy_math::Vec3;
use bevy_time::{TimePlugin, TimeUpdateStrategy};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn no_env(_: &str) -> Option<String> {
    None
}

/// The server app as `cargo run` builds it minus the sockets: with persistence on its embedded
/// default, one SQLite file (in `data_dir`).
fn server_app(movers: u32, data_dir: &tempfile::TempDir) -> App {
    let mut loaded = LoadedConfig::embedded(&no_env).expect("embedded defaults are valid");
    loaded.config.server.data_dir = data_dir.path().display().to_string();
    let store = open_store(&loaded.config).expect("the embedded store opens");
    let mut app = persisted_app(loaded.config, &store, false);
    app.world_mut().spawn_batch((0..movers).map(|index| {
        let offset = index as f32;
        (
            Position(Vec3::new(offset, 0.0, -offset)),
            Velocity(Vec3::new(1.0, 0.0, 0.5)),
        )
    }));
    app.update();
    app
}

fn bevy_baseline() -> App {
    let mut app = App::new();
    app.add_plugins(TimePlugin)
        .insert_resource(TimeUpdateStrategy::FixedTimesteps(1));
    app.finish();
    app.cleanup();
    app.update();
    app
}

fn tick(criterion: &mut Criterion) {
    let meter = TickMeter::default();
    let period = Duration::from_secs_f64(1.0 / 60.0);
    let mut group = criterion.benchmark_group("tick");
    let mut baseline = bevy_baseline();
    group.bench_function("bevy_baseline", |bencher| {
        bencher.iter(|| baseline.update())
    });
    let data_dir = tempfile::tempdir().expect("temp dir");
    for movers in [0, 10_000, 100_000] {
        let mut app = server_app(movers, &data_dir);
        group.bench_function(BenchmarkId::new("server_app", movers), |bencher| {
            bencher.iter(|| {
                let started = Instant::now();
                app.update();
                meter.record_tick(black_box(started.elapsed()), period);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, tick);
criterion_main!(benches);
