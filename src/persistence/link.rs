//! The world's end of the async loader and writer: channels both ways, the shared backlog, and what
//! the writer has reported so far.

use super::commit_feed::CommitFeed;
use super::loader::{LoadRequest, Loaded, run_loader};
use super::part::StoredParts;
use super::store::Store;
use super::writer::{Backlog, FlushCommand, FlushReport, run_writer};
use crate::runtime::AsyncRuntime;
use bevy_ecs::resource::Resource;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

/// Channels to and from the persistence tasks. Systems only `send` and `try_recv`: never wait.
#[derive(Resource, Debug)]
pub struct PersistenceLink {
    pub(super) flushes: UnboundedSender<FlushCommand>,
    pub(super) reports: UnboundedReceiver<FlushReport>,
    pub(super) loads: UnboundedSender<LoadRequest>,
    pub(super) loaded: UnboundedReceiver<Loaded>,
    /// The feature parts persisted with every player.
    pub(super) parts: StoredParts,
    backlog: Backlog,
}

impl PersistenceLink {
    /// Starts the loader and the writer for `store` on `runtime`; the writer reports committed rows
    /// to `commits` (the read side). They stop when this link is dropped, after the writer has
    /// written what it holds.
    pub fn start(store: &Store, runtime: &AsyncRuntime, commits: Option<CommitFeed>) -> Self {
        let (flushes, flush_commands) = mpsc::unbounded_channel();
        let (report_sender, reports) = mpsc::unbounded_channel();
        let (loads, load_requests) = mpsc::unbounded_channel();
        let (loaded_sender, loaded) = mpsc::unbounded_channel();
        let backlog = Backlog::default();
        runtime.spawn(run_writer(
            store.clone(),
            flush_commands,
            report_sender,
            commits.map(|feed| feed.0),
            backlog.clone(),
        ));
        runtime.spawn(run_loader(
            store.clone(),
            loads.downgrade(),
            load_requests,
            loaded_sender,
        ));
        Self {
            flushes,
            reports,
            loads,
            loaded,
            parts: store.parts().clone(),
            backlog,
        }
    }

    /// Players whose changes are waiting for the database now.
    pub fn backlog(&self) -> usize {
        self.backlog.load(Ordering::Acquire)
    }
}

/// Totals of committed flushes, for operators' tests and the write-reduction measurement.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PersistStats {
    /// Committed shard transactions.
    pub transactions: u64,
    pub statements: u64,
    pub player_rows: u64,
    pub event_rows: u64,
    pub snapshot_rows: u64,
}
