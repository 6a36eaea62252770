//! Object entities wait in [`ObjectLoading`] while their stored state loads; the tick goes on. An
//! object stored nowhere starts in its part's default state at version 0.

use super::journal::{ObjectJournal, ObjectLoading};
use super::record::{ObjectKey, ObjectRecord};
use crate::persistence::link::PersistenceLink;
use crate::persistence::loader::LoadRequest;
use crate::persistence::progress::now_ms;
use crate::telemetry::metrics::PERSIST_OBJECT_LOADS_TOTAL;
use bevy_ecs::entity::Entity;
use bevy_ecs::query::{With, Without};
use bevy_ecs::system::{Commands, Query, Res, ResMut};

/// Object entities that neither have their journal nor are loading it: new requests.
type NotLoadedYet = (Without<ObjectJournal>, Without<ObjectLoading>);

/// Sends every new object entity's key to the object loader. A key of a kind no store knows is a
/// programming error: logged and counted, and the entity stays loading.
pub(crate) fn start_loading_objects(
    mut commands: Commands,
    link: Res<PersistenceLink>,
    requested: Query<(Entity, &ObjectKey), NotLoadedYet>,
) {
    for (entity, key) in &requested {
        commands.entity(entity).insert(ObjectLoading);
        if link.objects.get(&key.kind).is_none() {
            metrics::counter!(PERSIST_OBJECT_LOADS_TOTAL, "kind" => key.kind.clone(), "result" => "unknown_kind")
                .increment(1);
            tracing::error!(%key, "no stored object kind of that name is registered with the store");
            continue;
        }
        let _ = link.object_loads.send(LoadRequest {
            entity,
            key: key.clone(),
            attempt: 0,
        });
    }
}

/// Gives loaded objects their journal and their part.
pub(crate) fn finish_loading_objects(
    mut commands: Commands,
    mut link: ResMut<PersistenceLink>,
    waiting: Query<&ObjectKey, With<ObjectLoading>>,
) {
    while let Ok(loaded) = link.objects_loaded.try_recv() {
        // The entity may have gone (and been reused) while it loaded.
        if waiting.get(loaded.entity).ok() != Some(&loaded.key) {
            continue;
        }
        let result = if loaded.record.is_some() {
            "stored"
        } else {
            "new"
        };
        let mut record = loaded
            .record
            .unwrap_or_else(|| ObjectRecord::new(loaded.key.clone()));
        metrics::counter!(PERSIST_OBJECT_LOADS_TOTAL, "kind" => loaded.key.kind.clone(), "result" => result)
            .increment(1);
        let mut entity = commands.entity(loaded.entity);
        if let Some(part) = link.objects.get(&loaded.key.kind)
            && let Err(error) = part.insert(&mut entity, record.state.take())
        {
            // Checked when it was loaded: only a part changed between load and here.
            tracing::error!(key = %loaded.key, %error, "stored object does not decode");
        }
        entity
            .remove::<ObjectLoading>()
            .insert(ObjectJournal::loaded(&record, now_ms()));
    }
}
