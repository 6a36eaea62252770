//! Write-behind in the tick: every `flush_interval_secs` the players whose [`Progress`] changed hand
//! their changes to the writer in one command; reports of committed writes mark players durable.
//! Nothing here waits on a database.

use super::link::{PersistStats, PersistenceLink};
use super::progress::{Progress, SnapshotPolicy, now_ms};
use super::writer::FlushCommand;
use crate::shutdown::ShutdownWaits;
use arbiter_components::config::{PersistenceSettings, ServerSettings};
use arbiter_components::tick::ServerTick;
use bevy_ecs::change_detection::DetectChangesMut;
use bevy_ecs::entity::Entity;
use bevy_ecs::query::Changed;
use bevy_ecs::system::{Local, Query, Res, ResMut};

/// Run condition: a flush interval has passed since the last flush. While it is false the flush
/// system does not run, so its change detection covers every change since its last run.
pub(super) fn flush_due(
    tick: Res<ServerTick>,
    settings: Res<PersistenceSettings>,
    server: Res<ServerSettings>,
    mut last_flush: Local<u64>,
) -> bool {
    let interval = u64::from(settings.flush_interval_secs) * u64::from(server.tick_rate_hz);
    if tick.get() >= *last_flush + interval {
        *last_flush = tick.get();
        true
    } else {
        false
    }
}

fn snapshot_policy(settings: &PersistenceSettings) -> SnapshotPolicy {
    SnapshotPolicy {
        every_events: u64::from(settings.snapshot_every_events),
        interval_ms: i64::from(settings.snapshot_interval_secs) * 1000,
    }
}

/// Hands the changes of every changed player to the writer. Taking them does not mark the player
/// changed again.
pub(super) fn flush_changes(
    link: Res<PersistenceLink>,
    settings: Res<PersistenceSettings>,
    mut changed: Query<(Entity, &mut Progress), Changed<Progress>>,
) {
    let changes = take_changes(&settings, changed.iter_mut());
    if !changes.is_empty() {
        let _ = link.flushes.send(FlushCommand {
            changes,
            done: None,
        });
    }
}

/// Shutdown step: hands over every change not yet handed over and waits until all is durable.
pub(super) fn flush_everything(
    link: Res<PersistenceLink>,
    settings: Res<PersistenceSettings>,
    mut waits: ResMut<ShutdownWaits>,
    mut players: Query<(Entity, &mut Progress)>,
) {
    let changes = take_changes(&settings, players.iter_mut());
    tracing::info!(players = changes.len(), "final flush");
    let done = waits.register("persistence flush");
    if let Err(unsent) = link.flushes.send(FlushCommand {
        changes,
        done: Some(done),
    }) && let Some(done) = unsent.0.done
    {
        done.complete(Err("the persistence writer is not running".into()));
    }
}

fn take_changes<'a>(
    settings: &PersistenceSettings,
    players: impl Iterator<Item = (Entity, bevy_ecs::world::Mut<'a, Progress>)>,
) -> Vec<(Entity, super::progress::PlayerChanges)> {
    let policy = snapshot_policy(settings);
    let now = now_ms();
    players
        .filter_map(|(entity, mut progress)| {
            progress
                .bypass_change_detection()
                .take_changes(policy, now)
                .map(|changes| (entity, changes))
        })
        .collect()
}

/// Marks players durable as the writer reports commits.
pub(super) fn apply_flush_reports(
    mut link: ResMut<PersistenceLink>,
    mut stats: ResMut<PersistStats>,
    mut players: Query<&mut Progress>,
) {
    while let Ok(report) = link.reports.try_recv() {
        stats.transactions += 1;
        stats.statements += report.statements;
        stats.player_rows += report.durable.len() as u64;
        stats.event_rows += report.events as u64;
        stats.snapshot_rows += report.snapshots as u64;
        for durable in report.durable {
            if let Ok(mut progress) = players.get_mut(durable.entity)
                && progress.record().id == durable.player_id
            {
                progress
                    .bypass_change_detection()
                    .confirm_durable(durable.version);
            }
        }
    }
}
