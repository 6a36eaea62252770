//! Write-behind in the tick: every `flush_interval_secs` the players whose [`Progress`] changed (and
//! the objects whose [`ObjectJournal`] did) are queued, and their changes handed to the writer in
//! slices (one slice a tick; a flush of up to 10 000 is one slice); reports of committed writes mark
//! them durable. Nothing here waits on a database.

use super::link::{PersistStats, PersistenceLink};
use super::object::{ObjectChanges, ObjectJournal, ObjectKey};
use super::pending::Durable;
use super::progress::{PlayerChanges, Progress, now_ms};
use super::snapshot::SnapshotPolicy;
use super::writer::FlushCommand;
use crate::settings::PersistenceSettings;
use crate::shutdown::ShutdownWaits;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::change_detection::DetectChangesMut;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{Message, MessageReader};
use bevy_ecs::query::{Changed, Or, With, Without};
use bevy_ecs::resource::IsResource;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Local, ParamSet, Query, Res, ResMut};
use bevy_ecs::world::EntityRef;
use std::collections::BTreeMap;

/// Run condition: a flush interval has passed since the last flush. While it is false the flush
/// system does not run, so its change detection covers every change since its last run.
pub(super) fn flush_due(
    tick: Res<ServerTick>,
    settings: Res<PersistenceSettings>,
    rate: Res<TickRate>,
    mut last_flush: Local<u64>,
) -> bool {
    tick.passed_since(
        &mut last_flush,
        rate.ticks_in_secs(settings.flush_interval_secs),
    )
}

fn snapshot_policy(settings: &PersistenceSettings) -> SnapshotPolicy {
    SnapshotPolicy {
        every_events: u64::from(settings.snapshot_every_events),
        interval_ms: i64::from(settings.snapshot_interval_secs) * 1000,
    }
}

/// Players and objects changed in this flush whose changes have not been handed to the writer yet.
#[derive(Resource, Debug, Default)]
pub(super) struct HandOver {
    queue: Vec<Entity>,
}

/// Write this player's (or object's) changes now rather than at the next flush interval: a rule
/// that must not act on unsaved state (a trade's settlement) asks for it, and acts once the
/// changes are durable.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushNow(pub Entity);

/// Queues the entities asked for with [`FlushNow`]; the hand-over of this tick takes them.
pub(super) fn queue_flush_requests(
    mut hand_over: ResMut<HandOver>,
    mut requests: MessageReader<FlushNow>,
) {
    hand_over
        .queue
        .extend(requests.read().map(|FlushNow(entity)| *entity));
}

/// Players handed to the writer per tick: a big flush is spread over a few ticks rather than
/// stalling one (the writer still writes it as one transaction per shard).
const HAND_OVER_PER_TICK: usize = 10_000;
/// Durable confirmations applied per tick, for the same reason.
const CONFIRMATIONS_PER_TICK: usize = 20_000;

/// When a flush is due: queues every player whose progress changed since the last flush, and every
/// object whose journal did. Reading does not mark anything changed.
pub(super) fn collect_changed(
    mut hand_over: ResMut<HandOver>,
    players: Query<(Entity, &Progress), Changed<Progress>>,
    objects: Query<(Entity, &ObjectJournal), Changed<ObjectJournal>>,
) {
    let players = players
        .iter()
        .filter(|(_, progress)| progress.has_unsaved())
        .map(|(entity, _)| entity);
    let objects = objects
        .iter()
        .filter(|(_, journal)| journal.has_unsaved())
        .map(|(entity, _)| entity);
    hand_over.queue.extend(players.chain(objects));
}

/// Players and objects: what is written behind the tick.
type Journaled = Or<(With<Progress>, With<ObjectJournal>)>;

/// A player's progress or an object's journal to take changes from, and the whole entity to copy
/// parts from (resources are entities too: `Without<IsResource>` keeps it off them).
type Journals<'w, 's> = ParamSet<
    'w,
    's,
    (
        Query<'static, 'static, &'static mut Progress>,
        Query<'static, 'static, &'static mut ObjectJournal>,
        Query<'static, 'static, EntityRef<'static>, (Journaled, Without<IsResource>)>,
    ),
>;

/// One slice of changes for the writer.
#[derive(Debug, Default)]
struct Taken {
    players: Vec<(Entity, PlayerChanges)>,
    objects: Vec<(Entity, ObjectChanges)>,
}

/// Hands the next slice of queued players' changes to the writer; the last slice completes the
/// flush. Taking changes does not mark a player changed again.
pub(super) fn hand_over(
    link: Res<PersistenceLink>,
    settings: Res<PersistenceSettings>,
    mut hand_over: ResMut<HandOver>,
    mut journals: Journals,
) {
    if hand_over.queue.is_empty() {
        return;
    }
    let keep = hand_over.queue.len().saturating_sub(HAND_OVER_PER_TICK);
    let slice = hand_over.queue.split_off(keep);
    let taken = take_changes(&settings, &link, &mut journals, slice);
    let _ = link.flushes.send(FlushCommand {
        changes: taken.players,
        objects: taken.objects,
        done: None,
        complete: hand_over.queue.is_empty(),
    });
}

/// Shutdown step: hands over every change not yet handed over and waits until all is durable.
pub(super) fn flush_everything(
    link: Res<PersistenceLink>,
    settings: Res<PersistenceSettings>,
    mut waits: ResMut<ShutdownWaits>,
    mut hand_over: ResMut<HandOver>,
    everyone: Query<Entity, Journaled>,
    mut journals: Journals,
) {
    hand_over.queue.clear();
    let everyone: Vec<Entity> = everyone.iter().collect();
    let taken = take_changes(&settings, &link, &mut journals, everyone);
    tracing::info!(
        players = taken.players.len(),
        objects = taken.objects.len(),
        "final flush"
    );
    let done = waits.register("persistence flush");
    if let Err(unsent) = link.flushes.send(FlushCommand {
        changes: taken.players,
        objects: taken.objects,
        done: Some(done),
        complete: true,
    }) && let Some(done) = unsent.0.done
    {
        done.complete(Err("the persistence writer is not running".into()));
    }
}

/// Takes the unsaved changes of `entities` (without marking anything changed), with snapshots where
/// due and a copy of each registered part.
fn take_changes(
    settings: &PersistenceSettings,
    link: &PersistenceLink,
    journals: &mut Journals,
    entities: Vec<Entity>,
) -> Taken {
    let (policy, now) = (snapshot_policy(settings), now_ms());
    let mut taken = Taken::default();
    for entity in entities {
        if journals
            .p0()
            .get(entity)
            .is_ok_and(|progress| progress.has_unsaved())
        {
            let parts = journals.p2().get(entity).map_or_else(
                |_| BTreeMap::new(),
                |whole| {
                    link.parts
                        .entries()
                        .filter_map(|entry| Some((entry.name().to_owned(), entry.capture(whole)?)))
                        .collect()
                },
            );
            if let Ok(mut progress) = journals.p0().get_mut(entity)
                && let Some(mut changes) =
                    progress.bypass_change_detection().take_changes(policy, now)
            {
                changes.parts = parts;
                taken.players.push((entity, changes));
            }
        } else if let Ok(journal) = journals.p1().get(entity)
            && journal.has_unsaved()
        {
            let kind = link.objects.get(&journal.key().kind).cloned();
            let part = kind.and_then(|entry| {
                journals
                    .p2()
                    .get(entity)
                    .ok()
                    .and_then(|whole| entry.capture(whole))
            });
            if let Ok(mut journal) = journals.p1().get_mut(entity)
                && let Some(mut changes) =
                    journal.bypass_change_detection().take_changes(policy, now)
            {
                changes.part = part;
                taken.objects.push((entity, changes));
            }
        }
    }
    taken
}

/// Marks players and objects durable as the writer reports commits, at most
/// [`CONFIRMATIONS_PER_TICK`] players a tick.
pub(super) fn apply_flush_reports(
    mut link: ResMut<PersistenceLink>,
    mut stats: ResMut<PersistStats>,
    mut confirmations: Local<Vec<Durable<u64>>>,
    mut players: Query<&mut Progress>,
    mut objects: Query<&mut ObjectJournal>,
) {
    while let Ok(report) = link.reports.try_recv() {
        stats.transactions += 1;
        stats.statements += report.statements;
        stats.player_rows += report.durable.len() as u64;
        stats.object_rows += report.durable_objects.len() as u64;
        stats.event_rows += report.events as u64;
        stats.snapshot_rows += report.snapshots as u64;
        confirmations.extend(report.durable);
        for durable in report.durable_objects {
            confirm_object(&mut objects, &durable);
        }
    }
    let keep = confirmations.len().saturating_sub(CONFIRMATIONS_PER_TICK);
    for durable in confirmations.drain(keep..) {
        if let Ok(mut progress) = players.get_mut(durable.entity)
            && progress.record().id == durable.key
        {
            progress
                .bypass_change_detection()
                .confirm_durable(durable.version);
        }
    }
}

/// Marks an object durable up to the reported version, if its entity still holds that object.
fn confirm_object(objects: &mut Query<&mut ObjectJournal>, durable: &Durable<ObjectKey>) {
    if let Ok(mut journal) = objects.get_mut(durable.entity)
        && *journal.key() == durable.key
    {
        journal
            .bypass_change_detection()
            .confirm_durable(durable.version);
    }
}
