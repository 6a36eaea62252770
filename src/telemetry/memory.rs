//! Memory upkeep: every `server.release_memory_secs` the allocator's free pages go back to the
//! system at once (the tick's own and the shared ones, see `arbiter_memory`), and what the
//! process holds is reported — its resident pages, and the world's entities, archetypes and
//! tables, where a leak of game objects would show. The shared release runs on a thread of its
//! own; only the tick's own heap is released on the tick (0.25–2 ms, once an interval), since no
//! other thread can release it. The same thread keeps
//! the metrics recorder's sample buffers bounded.

use super::metrics::{
    HEAP_RELEASE_SECONDS, RESIDENT_BYTES, WORLD_ARCHETYPES, WORLD_ENTITIES,
    WORLD_TABLE_ROWS_RESERVED, WORLD_TABLES, prometheus,
};
use crate::settings::ServerSettings;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::resource::Resource;
use bevy_ecs::storage::Table;
use bevy_ecs::system::{Local, Res};
use bevy_ecs::world::World;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

/// How often the Prometheus recorder's histogram samples are folded into their buckets. Until
/// then every recorded sample (60 tick durations a second, one per validated shot…) is kept, and
/// only a scrape of `/metrics` would fold them: a server nobody scrapes would grow without end.
const METRICS_UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// The way to the thread that releases, measures and keeps the metrics recorder bounded.
#[derive(Resource, Debug)]
pub(super) struct HeapUpkeep {
    requests: SyncSender<()>,
}

impl Default for HeapUpkeep {
    /// Starts the thread, with a first release and report at once (so the gauges exist from the
    /// start); it ends when this resource (the app) is dropped.
    fn default() -> Self {
        // One request waits at most: a release still running when the next falls due skips it.
        let (requests, pending) = mpsc::sync_channel::<()>(1);
        let started = std::thread::Builder::new()
            .name("arbiter-heap".into())
            .spawn(move || {
                loop {
                    match pending.recv_timeout(METRICS_UPKEEP_INTERVAL) {
                        Ok(()) => release_and_report(),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                    prometheus().run_upkeep();
                }
            });
        if let Err(error) = started {
            tracing::warn!(%error, "no heap upkeep thread: free memory is not released");
        }
        let upkeep = Self { requests };
        upkeep.request();
        upkeep
    }
}

fn release_and_report() {
    release_free_pages_of("upkeep");
    if let Some(resident) = arbiter_memory::resident() {
        metrics::gauge!(RESIDENT_BYTES, "kind" => "anonymous").set(resident.anonymous as f64);
        metrics::gauge!(RESIDENT_BYTES, "kind" => "file").set(resident.file as f64);
    }
}

/// Releases the calling thread's free pages, timed by `thread`.
fn release_free_pages_of(thread: &'static str) {
    let started = Instant::now();
    arbiter_memory::release_free_pages();
    metrics::histogram!(HEAP_RELEASE_SECONDS, "thread" => thread)
        .record(started.elapsed().as_secs_f64());
}

/// Run condition: `server.release_memory_secs` have passed since the last release (never when 0).
pub(super) fn release_due(
    tick: Res<ServerTick>,
    settings: Res<ServerSettings>,
    rate: Res<TickRate>,
    mut last: Local<u64>,
) -> bool {
    settings.release_memory_secs != 0
        && tick.passed_since(&mut last, rate.ticks_in_secs(settings.release_memory_secs))
}

impl HeapUpkeep {
    /// Asks the thread for a release, unless one is still waiting.
    fn request(&self) {
        match self.requests.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => {
                tracing::debug!("the heap upkeep thread is gone");
            }
        }
    }
}

/// Asks for a release when one is due (see [`release_due`]), and reports the world's size: a
/// table keeps room for the most rows it ever held, so rows reserved across the tables grow as
/// entities pass through new component sets.
pub(super) fn request_release(world: &World) {
    world.resource::<HeapUpkeep>().request();
    // Only the tick's thread can release what its own heap keeps (see `arbiter_memory`).
    release_free_pages_of("tick");
    let tables = &world.storages().tables;
    let reserved: usize = tables.iter().map(Table::capacity).sum();
    metrics::gauge!(WORLD_ENTITIES).set(world.entities().count_spawned() as f64);
    metrics::gauge!(WORLD_ARCHETYPES).set(world.archetypes().len() as f64);
    metrics::gauge!(WORLD_TABLES).set(tables.len() as f64);
    metrics::gauge!(WORLD_TABLE_ROWS_RESERVED).set(reserved as f64);
}
