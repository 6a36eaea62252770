//! The tokio runtime where all async work runs (admin HTTP, signals, later database and cache I/O),
//! on its own threads so the tick never waits on it.

use bevy_ecs::resource::Resource;
use bevy_ecs::world::{FromWorld, World};
use std::future::Future;
use std::sync::Arc;

/// Worker threads for async I/O. The tick thread is the third busy thread on a 2-core machine, so
/// keep this small; I/O-bound tasks do not need more.
const IO_WORKER_THREADS: usize = 2;

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
