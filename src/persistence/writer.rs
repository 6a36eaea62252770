//! The async writer behind write-behind. Each flush's changes are coalesced per shard; every shard
//! with changes gets one transaction, all shards at once. A failed shard keeps its batch, merged under
//! newer changes, and retries with backoff; nothing is dropped. What commits is reported back so the
//! world knows which players are durable.

use super::commit_feed::Committed;
use super::object::{ObjectChanges, ObjectKey};
use super::pending::{Durable, PendingShard, TakenBatch};
use super::progress::PlayerChanges;
use super::store::Store;
use crate::shutdown::ShutdownStepHandle;
use crate::telemetry::metrics::{
    PERSIST_FAILURES_TOTAL, PERSIST_FLUSH_DURATION_SECONDS, PERSIST_PENDING_PLAYERS,
    PERSIST_ROWS_TOTAL, PERSIST_STATEMENTS_TOTAL,
};
use bevy_ecs::entity::Entity;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::task::JoinSet;
use tokio::time::Instant;

/// First retry delay after a failed write; it doubles per consecutive failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Work for the writer: one slice of a flush. A big flush arrives over several ticks; the writer
/// holds its slices until the last one, so each flush is still one transaction per shard.
#[derive(Debug)]
pub(super) struct FlushCommand {
    pub(super) changes: Vec<(Entity, PlayerChanges)>,
    pub(super) objects: Vec<(Entity, ObjectChanges)>,
    /// Completed once every change handed to the writer so far is durable (shutdown waits on it).
    pub(super) done: Option<ShutdownStepHandle>,
    /// Whether this is the flush's last slice.
    pub(super) complete: bool,
}

/// One committed shard transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FlushReport {
    pub(super) shard: usize,
    pub(super) durable: Vec<Durable<u64>>,
    pub(super) durable_objects: Vec<Durable<ObjectKey>>,
    pub(super) statements: u64,
    pub(super) events: usize,
    pub(super) snapshots: usize,
}

/// One shard's queue: what waits, and when to try again after failures.
#[derive(Debug, Default)]
struct ShardQueue {
    pending: PendingShard,
    failures: u32,
    retry_at: Option<Instant>,
}

impl ShardQueue {
    fn is_writable(&self) -> bool {
        !self.pending.is_empty() && self.retry_at.is_none()
    }
}

/// Players and objects waiting for the database, shared with the world (for the login cap).
pub(super) type Backlog = Arc<AtomicUsize>;

/// Runs until the command channel closes and everything handed over is durable.
pub(super) async fn run_writer(
    store: Store,
    mut commands: UnboundedReceiver<FlushCommand>,
    reports: UnboundedSender<FlushReport>,
    commits: Option<UnboundedSender<Committed>>,
    backlog: Backlog,
) {
    let mut shards: Vec<ShardQueue> = (0..store.shard_count())
        .map(|shard| {
            // Every shard's series exists from the start: a dashboard shows 0, not nothing.
            metrics::counter!(PERSIST_FAILURES_TOTAL, "shard" => shard.to_string()).increment(0);
            ShardQueue::default()
        })
        .collect();
    let mut waiting: Vec<ShutdownStepHandle> = Vec::new();
    let mut open = true;
    // A flush whose last slice has not arrived yet: nothing is written meanwhile.
    let mut holding = false;
    loop {
        if holding || !shards.iter().any(ShardQueue::is_writable) {
            let retry = shards
                .iter()
                .filter(|queue| !queue.pending.is_empty())
                .filter_map(|queue| queue.retry_at)
                .min()
                .filter(|_| !holding);
            tokio::select! {
                command = commands.recv(), if open => match command {
                    Some(command) => holding = !accept(&store, &mut shards, &mut waiting, command),
                    None => (open, holding) = (false, false),
                },
                () = tokio::time::sleep_until(retry.unwrap_or_else(Instant::now)), if retry.is_some() => {}
                else => break,
            }
        }
        while let Ok(command) = commands.try_recv() {
            holding = !accept(&store, &mut shards, &mut waiting, command);
        }
        if holding {
            continue;
        }
        let now = Instant::now();
        for queue in &mut shards {
            if queue.retry_at.is_some_and(|at| at <= now) {
                queue.retry_at = None;
            }
        }
        write_round(&store, &mut shards, &reports, commits.as_ref(), &backlog).await;
        if shards.iter().all(|queue| queue.pending.is_empty()) {
            for handle in waiting.drain(..) {
                handle.complete(Ok(()));
            }
        }
    }
}

/// Takes a slice in; returns whether its flush is complete.
fn accept(
    store: &Store,
    shards: &mut [ShardQueue],
    waiting: &mut Vec<ShutdownStepHandle>,
    command: FlushCommand,
) -> bool {
    for (entity, changes) in command.changes {
        shards[store.shard_of(changes.record.id)]
            .pending
            .add(entity, changes);
    }
    for (entity, changes) in command.objects {
        shards[store.shard_of(changes.record.key.id)]
            .pending
            .add_object(entity, changes);
    }
    waiting.extend(command.done);
    command.complete
}

/// Writes every writable shard concurrently and settles the results.
async fn write_round(
    store: &Store,
    shards: &mut [ShardQueue],
    reports: &UnboundedSender<FlushReport>,
    commits: Option<&UnboundedSender<Committed>>,
    backlog: &Backlog,
) {
    let mut round = JoinSet::new();
    let mut in_flight = 0;
    for (shard, queue) in shards.iter_mut().enumerate() {
        if queue.is_writable() {
            let taken = queue.pending.take();
            in_flight += taken.len();
            let store = store.clone();
            round.spawn(async move {
                let started = Instant::now();
                let result = store.write(shard, &taken.batch).await;
                metrics::histogram!(PERSIST_FLUSH_DURATION_SECONDS)
                    .record(started.elapsed().as_secs_f64());
                (shard, taken, result)
            });
        }
    }
    publish_backlog(shards, in_flight, backlog);
    while let Some(joined) = round.join_next().await {
        let (shard, taken, result) =
            joined.unwrap_or_else(|panic| std::panic::resume_unwind(panic.into_panic()));
        let queue = &mut shards[shard];
        match result {
            Ok(statements) => {
                queue.failures = 0;
                let (report, players) = committed(shard, taken, statements);
                let _ = reports.send(report);
                if let Some(commits) = commits {
                    let _ = commits.send(players);
                }
            }
            Err(error) => {
                queue.failures += 1;
                let delay = backoff(queue.failures);
                queue.retry_at = Some(Instant::now() + delay);
                metrics::counter!(PERSIST_FAILURES_TOTAL, "shard" => shard.to_string())
                    .increment(1);
                tracing::warn!(
                    shard,
                    waiting = taken.len(),
                    attempt = queue.failures,
                    retry_in_ms = delay.as_millis() as u64,
                    %error,
                    "flush failed; its changes are kept and retried"
                );
                queue.pending.restore(taken);
            }
        }
    }
    publish_backlog(shards, 0, backlog);
}

/// The report of a committed batch, and its player rows (for the read side).
fn committed(shard: usize, taken: TakenBatch, statements: u64) -> (FlushReport, Committed) {
    let TakenBatch {
        batch,
        durable,
        durable_objects,
    } = taken;
    metrics::counter!(PERSIST_STATEMENTS_TOTAL).increment(statements);
    for (table, rows) in [
        ("players", batch.players.len()),
        ("player_events", batch.events.len()),
        ("player_snapshots", batch.snapshots.len()),
        ("objects", batch.objects.len()),
        ("object_events", batch.object_events.len()),
        ("object_snapshots", batch.object_snapshots.len()),
    ] {
        metrics::counter!(PERSIST_ROWS_TOTAL, "table" => table).increment(rows as u64);
    }
    let report = FlushReport {
        shard,
        durable,
        durable_objects,
        statements,
        events: batch.events.len() + batch.object_events.len(),
        snapshots: batch.snapshots.len() + batch.object_snapshots.len(),
    };
    let committed = Committed {
        players: batch.players,
        objects: batch.objects,
    };
    (report, committed)
}

fn publish_backlog(shards: &[ShardQueue], in_flight: usize, backlog: &Backlog) {
    let waiting = in_flight
        + shards
            .iter()
            .map(|queue| queue.pending.len())
            .sum::<usize>();
    backlog.store(waiting, Ordering::Release);
    metrics::gauge!(PERSIST_PENDING_PLAYERS).set(waiting as f64);
}

/// Delay before the next try after `failures` failures in a row: 250 ms, 500 ms, 1 s, … up to 10 s.
pub(super) fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(3), Duration::from_secs(1));
        assert_eq!(backoff(100), MAX_BACKOFF);
    }
}
