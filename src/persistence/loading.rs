//! Players who connect wait in [`Loading`] while their progress loads; the tick goes on. A player
//! stored nowhere is registered. While too many changes wait for the database, new logins are
//! refused instead.

use super::link::PersistenceLink;
use super::loader::LoadRequest;
use super::progress::{Progress, now_ms};
use crate::settings::PersistenceSettings;
use crate::telemetry::metrics::{PERSIST_BACKPRESSURE_TOTAL, PERSIST_LOADS_TOTAL};
use arbiter_components::messages::KickRequest;
use arbiter_components::player::{Loading, PlayerId};
use arbiter_components::protocol::KickReason;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::query::{With, Without};
use bevy_ecs::system::{Commands, Query, Res, ResMut};
use std::collections::BTreeMap;

/// Players that neither have their progress nor are loading it: new arrivals.
type NotLoadedYet = (Without<Progress>, Without<Loading>);

/// Sends every new player entity's id to the loader, or refuses it while the backlog is at its cap.
pub(super) fn start_loading(
    mut commands: Commands,
    link: Res<PersistenceLink>,
    settings: Res<PersistenceSettings>,
    arrivals: Query<(Entity, &PlayerId), NotLoadedYet>,
    mut kicks: MessageWriter<KickRequest>,
) {
    if arrivals.is_empty() {
        return;
    }
    let backlog = link.backlog();
    let full = backlog >= settings.max_pending_players as usize;
    for (entity, player) in &arrivals {
        commands.entity(entity).insert(Loading);
        if full {
            metrics::counter!(PERSIST_BACKPRESSURE_TOTAL).increment(1);
            tracing::error!(
                player_id = player.0,
                backlog,
                cap = settings.max_pending_players,
                "login refused: persistence.max_pending_players changes are waiting for the database"
            );
            kicks.write(KickRequest {
                player: entity,
                reason: KickReason::ServerBusy,
            });
            continue;
        }
        let _ = link.loads.send(LoadRequest {
            entity,
            key: player.0,
            attempt: 0,
        });
    }
}

/// Gives loaded players their progress, rating and stats; registers players stored nowhere.
pub(super) fn finish_loading(
    mut commands: Commands,
    mut link: ResMut<PersistenceLink>,
    waiting: Query<&PlayerId, With<Loading>>,
) {
    while let Ok(loaded) = link.loaded.try_recv() {
        // The player may have left (and its entity been reused) while it loaded.
        if waiting.get(loaded.entity).ok().map(|id| id.0) != Some(loaded.key) {
            continue;
        }
        let now = now_ms();
        let mut parts = BTreeMap::new();
        let (progress, result) = match loaded.record {
            Some(mut record) => {
                // The parts move into their components; the record keeps its head only.
                parts = std::mem::take(&mut record.parts);
                (Progress::loaded(record, now), "stored")
            }
            None => (
                Progress::registered(loaded.key, format!("player-{}", loaded.key), now),
                "new",
            ),
        };
        metrics::counter!(PERSIST_LOADS_TOTAL, "result" => result).increment(1);
        let record = progress.record();
        let mut entity = commands.entity(loaded.entity);
        for part in link.parts.entries() {
            if let Err(error) = part.insert(&mut entity, parts.remove(part.name())) {
                // Checked when the part was loaded: only a part changed between load and here.
                tracing::error!(player_id = loaded.key, %error, "stored part does not decode");
            }
        }
        entity
            .remove::<Loading>()
            .insert((record.skill(), record.stats(), progress));
    }
}
