//! Time from writing the config file to the change being applied by a running server (real file
//! watcher, real paced runner at the default 60 Hz). Goal: median ≤ 100 ms.
//!
//! `cargo bench --bench config_reload`

use arbiter::ServerPlugins;
use arbiter::config::{ConfigStatus, LoadedConfig};
use arbiter::shutdown::ShutdownSignal;
use bevy_app::{App, Last};
use bevy_ecs::system::Res;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn no_env(_: &str) -> Option<String> {
    None
}

fn write_config(path: &Path, timeout_secs: u64) {
    let text =
        format!("[server]\ntick_rate_hz = 60\n[matchmaking]\ntimeout_secs = {timeout_secs}\n");
    std::fs::write(path, text).expect("write config");
}

/// Starts a server on its own thread; returns the shared applied config version and its shutdown.
fn start_server(path: &Path) -> (Arc<AtomicU64>, ShutdownSignal, std::thread::JoinHandle<()>) {
    let applied_version = Arc::new(AtomicU64::new(0));
    let published = applied_version.clone();
    let path = path.to_owned();
    let (signal_tx, signal_rx) = mpsc::channel();
    let server = std::thread::spawn(move || {
        let loaded = LoadedConfig::load(Some(&path), &no_env).expect("valid config");
        let mut app = App::new();
        app.add_plugins(ServerPlugins::new(loaded)).add_systems(
            Last,
            move |status: Res<ConfigStatus>| {
                published.store(status.version, Ordering::Release);
            },
        );
        let signal = app.world().resource::<ShutdownSignal>().clone();
        signal_tx.send(signal).expect("bench waits for the signal");
        app.run();
    });
    let signal = signal_rx.recv().expect("server started");
    (applied_version, signal, server)
}

fn config_reload(criterion: &mut Criterion) {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("server.toml");
    write_config(&path, 1);
    let (applied_version, signal, server) = start_server(&path);
    while applied_version.load(Ordering::Acquire) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }

    let mut group = criterion.benchmark_group("config_reload");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(4));
    let mut next_timeout = 2;
    group.bench_function("file_write_to_applied", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let before = applied_version.load(Ordering::Acquire);
                next_timeout = next_timeout % 3000 + 1;
                let written = Instant::now();
                write_config(&path, next_timeout);
                while applied_version.load(Ordering::Acquire) == before {
                    std::thread::sleep(Duration::from_micros(200));
                }
                total += written.elapsed();
            }
            total
        });
    });
    group.finish();
    signal.request();
    server.join().expect("server thread exits");
}

criterion_group!(benches, config_reload);
criterion_main!(benches);
