//! The world's end of the async loaders and writer: channels both ways, the shared backlog, and what
//! the writer has reported so far.

use super::commit_feed::CommitFeed;
use super::loader::{LoadRequest, Loadable, Loaded, Objects, Players, run_loader};
use super::object::{ObjectKey, ObjectRecord};
use super::part::StoredParts;
use super::record::PlayerRecord;
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
    pub(super) loads: UnboundedSender<LoadRequest<u64>>,
    pub(super) loaded: UnboundedReceiver<Loaded<u64, PlayerRecord>>,
    pub(super) object_loads: UnboundedSender<LoadRequest<ObjectKey>>,
    pub(super) objects_loaded: UnboundedReceiver<Loaded<ObjectKey, ObjectRecord>>,
    /// The feature parts persisted with every player.
    pub(super) parts: StoredParts,
    /// The kinds of stored objects.
    pub(super) objects: StoredParts,
    backlog: Backlog,
}

/// The world's ends of a loader's request and result channels.
type LoaderEnds<L> = (
    UnboundedSender<LoadRequest<<L as Loadable>::Key>>,
    UnboundedReceiver<Loaded<<L as Loadable>::Key, <L as Loadable>::Record>>,
);

/// Starts a loader of `L` on `runtime`.
fn start_loader<L: Loadable>(store: &Store, runtime: &AsyncRuntime) -> LoaderEnds<L> {
    let (requests, request_receiver) = mpsc::unbounded_channel();
    let (result_sender, results) = mpsc::unbounded_channel();
    runtime.spawn(run_loader::<L>(
        store.clone(),
        requests.downgrade(),
        request_receiver,
        result_sender,
    ));
    (requests, results)
}

impl PersistenceLink {
    /// Starts the loaders and the writer for `store` on `runtime`; the writer reports committed rows
    /// to `commits` (the read side). They stop when this link is dropped, after the writer has
    /// written what it holds.
    pub fn start(store: &Store, runtime: &AsyncRuntime, commits: Option<CommitFeed>) -> Self {
        let (flushes, flush_commands) = mpsc::unbounded_channel();
        let (report_sender, reports) = mpsc::unbounded_channel();
        let backlog = Backlog::default();
        runtime.spawn(run_writer(
            store.clone(),
            flush_commands,
            report_sender,
            commits.map(|feed| feed.0),
            backlog.clone(),
        ));
        let (loads, loaded) = start_loader::<Players>(store, runtime);
        let (object_loads, objects_loaded) = start_loader::<Objects>(store, runtime);
        Self {
            flushes,
            reports,
            loads,
            loaded,
            object_loads,
            objects_loaded,
            parts: store.parts().clone(),
            objects: store.objects().clone(),
            backlog,
        }
    }

    /// Players and objects whose changes are waiting for the database now.
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
    pub object_rows: u64,
}
