//! Wires persistence into the tick: loading players and objects in Load (an object's load starts
//! in Persist), match results recorded in Settle, write-behind in Persist, the final flush in
//! Shutdown; no player is despawned before its progress is durable.

use super::commit_feed::CommitFeed;
use super::despawn::block_despawn_until_durable;
use super::flush::{
    FlushNow, HandOver, apply_flush_reports, collect_changed, flush_due, flush_everything,
    hand_over, queue_flush_requests,
};
use super::link::{PersistStats, PersistenceLink};
use super::loading::{finish_loading, start_loading};
use super::object::{finish_loading_objects, start_loading_objects};
use super::results::record_match_results;
use super::store::Store;
use crate::net::NetSystems;
use crate::phase::TickSystems;
use crate::runtime::AsyncRuntime;
use crate::settings::PersistenceSettings;
use crate::shutdown::Shutdown;
use arbiter_components::match_events::{MatchCompleted, RatingChanged};
use arbiter_components::messages::KickRequest;
use arbiter_components::tick::TickRate;
use bevy_app::{App, Plugin, PostUpdate, PreUpdate};
use bevy_ecs::schedule::{IntoScheduleConfigs, SystemSet};

/// Where a feature turns the tick's applied changes into its players' events (`Progress`), in
/// `PostUpdate`'s Settle phase: before Send, so transfers settled there are told in the tick, and
/// before the flush collects them.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordEvents;

/// Loads players at login and writes their progress behind the tick, to `store` (already migrated).
#[derive(Debug)]
pub struct PersistencePlugin {
    store: Store,
}

impl PersistencePlugin {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Plugin for PersistencePlugin {
    fn build(&self, app: &mut App) {
        let runtime = app
            .world_mut()
            .get_resource_or_init::<AsyncRuntime>()
            .clone();
        let commits = app.world().get_resource::<CommitFeed>().cloned();
        app.insert_resource(PersistenceLink::start(&self.store, &runtime, commits))
            .init_resource::<PersistStats>()
            .init_resource::<HandOver>()
            .init_resource::<PersistenceSettings>()
            .init_resource::<TickRate>()
            .add_message::<MatchCompleted>()
            .add_message::<RatingChanged>()
            .add_message::<KickRequest>()
            .add_message::<FlushNow>()
            .configure_sets(PostUpdate, RecordEvents.in_set(TickSystems::Settle))
            .add_systems(
                PreUpdate,
                block_despawn_until_durable
                    .in_set(TickSystems::Receive)
                    .after(NetSystems::Drain)
                    .before(NetSystems::Expire),
            )
            .add_systems(
                PreUpdate,
                (
                    apply_flush_reports,
                    finish_loading,
                    start_loading,
                    finish_loading_objects,
                )
                    .chain()
                    .in_set(TickSystems::Load),
            )
            .add_systems(PostUpdate, record_match_results.in_set(RecordEvents))
            .add_systems(
                PostUpdate,
                (
                    collect_changed.run_if(flush_due),
                    queue_flush_requests,
                    hand_over,
                    // At the end of the tick that asked for them (a guild a request named, say),
                    // so the object is there for the next tick's rules.
                    start_loading_objects,
                )
                    .chain()
                    .in_set(TickSystems::Persist),
            )
            .add_systems(Shutdown, flush_everything);
    }
}
