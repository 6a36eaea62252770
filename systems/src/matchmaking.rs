//! Matchmaking: tickets wait in skill buckets, widen their search over time, time out, and become
//! matches of balanced teams.

mod events;
mod forming;
mod packing;
mod queue;
mod requests;
mod teams;

pub use events::{MatchFormed, TicketTimedOut};
pub use forming::{MatchIds, queue_params, run_matchmaking, sync_queue_params};
pub use requests::{
    QueueDesk, QueueJoinRequested, QueueLeaveRequested, drop_tickets_of_disconnected,
    handle_queue_requests,
};

pub use packing::{max_party_size, team_capacities};
pub use queue::{
    FormedMatch, MatchmakingQueue, QueueParams, QueuedTicket, TickOutcome, TicketHandle,
};
pub use teams::{TeamUnit, balance_teams, imbalance, team_sizes};

use crate::phases::SimulationSystems;
use arbiter_components::config::MatchmakingSettings;
use arbiter_components::matchmaking::Rating;
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::tick::TickRate;
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::common_conditions::resource_changed;
use bevy_ecs::schedule::{IntoScheduleConfigs, SystemCondition};
use bevy_ecs::world::{FromWorld, World};

impl FromWorld for MatchmakingQueue {
    fn from_world(world: &mut World) -> Self {
        let settings = world.get_resource_or_init::<MatchmakingSettings>().clone();
        let rate = *world.get_resource_or_init::<TickRate>();
        MatchmakingQueue::new(queue_params(&settings, rate))
    }
}

/// The queue, the rules that feed it and the rule that runs it, in the Matchmaking phase.
#[derive(Debug, Default)]
pub struct MatchmakingPlugin;

impl Plugin for MatchmakingPlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, Rating>()
            .init_resource::<MatchmakingQueue>()
            .init_resource::<MatchIds>()
            .init_resource::<MatchmakingSettings>()
            .init_resource::<TickRate>()
            .add_message::<QueueJoinRequested>()
            .add_message::<QueueLeaveRequested>()
            .add_message::<Outbound>()
            .add_message::<MatchFormed>()
            .add_message::<TicketTimedOut>()
            .add_systems(
                FixedUpdate,
                (
                    sync_queue_params.run_if(
                        resource_changed::<MatchmakingSettings>
                            .or_eager(resource_changed::<TickRate>),
                    ),
                    handle_queue_requests,
                    drop_tickets_of_disconnected,
                    run_matchmaking,
                )
                    .chain()
                    .in_set(SimulationSystems::Matchmaking),
            );
    }
}

#[cfg(test)]
mod tests;
