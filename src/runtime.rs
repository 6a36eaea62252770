//! The tokio runtime where all async work runs (admin HTTP, signals, database and cache I/O), on its
//! own threads so the tick never waits on it.
//!
//! Nothing has to be set up first: a plugin that needs the runtime takes the app's
//! [`AsyncRuntime`] resource, or starts one and inserts it (`get_resource_or_init`). Connection pools
//! are opened on a process-wide runtime of their own (`pool_runtime`), so the player store opens
//! anywhere, before or without an app.

use bevy_ecs::resource::Resource;
use bevy_ecs::world::{FromWorld, World};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Worker threads for async I/O. The tick thread is the third busy thread on a 2-core machine, so
/// keep this small; I/O-bound tasks do not need more.
const IO_WORKER_THREADS: usize = 2;

/// How often at most a worker thread going idle hands its heap's free pages back to the system.
const IDLE_WORKER_RELEASE_INTERVAL: Duration = Duration::from_secs(30);

/// A worker going idle (it parks often) releases its free pages, at most once an interval: only
/// it can, and after a burst (a database outage's retries, a wave of logins) it may stay idle.
fn release_idle_workers_pages() {
    arbiter_memory::release_free_pages_every(IDLE_WORKER_RELEASE_INTERVAL);
}

/// The process-wide runtime that connection pools are opened on: sqlx starts each pool's
/// maintenance task (idle and lifetime reaping) on the runtime current at opening. Started at the
/// first use and never stopped, so a pool outlives whichever runtime or app opened it; the pool's
/// queries run wherever they are awaited.
pub(crate) fn pool_runtime() -> &'static tokio::runtime::Runtime {
    static POOLS: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    POOLS.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("arbiter-pools")
            .on_thread_park(release_idle_workers_pages)
            .enable_all()
            .build()
            .unwrap_or_else(|error| panic!("cannot start the pool runtime's thread: {error}"))
    })
}

/// Shared handle to the server's tokio runtime.
#[derive(Resource, Debug, Clone)]
pub struct AsyncRuntime(Arc<tokio::runtime::Runtime>);

impl AsyncRuntime {
    /// Runs `task` on the runtime's worker threads.
    pub fn spawn<F>(&self, task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn(task)
    }
}

impl AsyncRuntime {
    /// Starts the runtime's worker threads.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(IO_WORKER_THREADS)
            .thread_name("arbiter-io")
            .on_thread_park(release_idle_workers_pages)
            .enable_all()
            .build()
            .unwrap_or_else(|error| panic!("cannot start the async runtime's threads: {error}"));
        Self(Arc::new(runtime))
    }

    /// Makes the runtime current on this thread while the guard lives (for constructors that spawn).
    pub fn enter(&self) -> tokio::runtime::EnterGuard<'_> {
        self.0.enter()
    }

    /// Runs `task` to completion on the calling thread: for start-up and command-line work only,
    /// never from a system.
    pub fn block_on<F: Future>(&self, task: F) -> F::Output {
        self.0.block_on(task)
    }
}

impl FromWorld for AsyncRuntime {
    fn from_world(_world: &mut World) -> Self {
        Self::start()
    }
}
