//! Parties: players who queue together. The party is an entity; its members point at it with
//! [`PartyMemberOf`], so bevy keeps its [`PartyMembers`] in step and takes a despawned player out.
//! Nothing is stored: a party lasts across matches while its members are in the server.
//!
//! Requests are applied in order, each seeing the effects of those before it: one that touches a
//! player or party changed earlier in the tick waits for the next tick (two answers in one tick
//! cannot overfill a party). A change of members takes the party's ticket out of the queue (its
//! leader queues the new party); a member who disconnects takes it out too, and its party is told.
//! Every change is told to every member as the party whole.

mod requests;
mod tell;

pub use requests::{PartyRules, handle_party_requests};
pub use tell::{lapse_party_invitations, tell_party_changes, tidy_parties};

use crate::matchmaking::{handle_queue_requests, run_matchmaking, sync_queue_params};
use crate::phases::SimulationSystems;
use arbiter_components::config::MatchmakingSettings;
use arbiter_components::messages::Outbound;
use arbiter_components::party::PartyRequested;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_platform::collections::HashMap;

/// Parties by wire id, and the next id.
#[derive(Resource, Debug, Default)]
pub struct PartyDirectory {
    by_id: HashMap<u64, Entity>,
    last_id: u64,
}

impl PartyDirectory {
    pub fn get(&self, id: u64) -> Option<Entity> {
        self.by_id.get(&id).copied()
    }

    /// Parties in the server now.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    fn register(&mut self, party: Entity) -> u64 {
        self.last_id += 1;
        self.by_id.insert(self.last_id, party);
        self.last_id
    }

    fn forget(&mut self, id: u64) {
        self.by_id.remove(&id);
    }
}

/// The party rules, in the Matchmaking phase: requests before the queue takes its requests, the
/// party told after the queue ran (so it says whether the party still waits).
#[derive(Debug, Default)]
pub struct PartyPlugin;

impl Plugin for PartyPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<PartyDirectory>()
            .init_resource::<MatchmakingSettings>()
            .init_resource::<TickRate>()
            .init_resource::<ServerTick>()
            .add_message::<PartyRequested>()
            .add_message::<Outbound>()
            .add_systems(
                FixedUpdate,
                (
                    (handle_party_requests, lapse_party_invitations)
                        .chain()
                        .after(sync_queue_params)
                        .before(handle_queue_requests),
                    (tidy_parties, tell_party_changes)
                        .chain()
                        .after(run_matchmaking),
                )
                    .in_set(SimulationSystems::Matchmaking),
            );
    }
}

#[cfg(test)]
mod tests;
