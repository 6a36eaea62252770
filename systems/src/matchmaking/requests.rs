//! Joining and leaving the queue: requests from players, and disconnects.

use super::queue::{MatchmakingQueue, QueuedTicket, TicketHandle};
use arbiter_components::matchmaking::{InMatch, Queued, Rating, Ticket};
use arbiter_components::messages::Outbound;
use arbiter_components::player::Loading;
use arbiter_components::protocol::{ErrorCode, ServerMessage};
use arbiter_components::session::Session;
use arbiter_components::tick::ServerTick;
use bevy_ecs::entity::Entity;
use bevy_ecs::lifecycle::RemovedComponents;
use bevy_ecs::message::{Message, MessageReader, MessageWriter};
use bevy_ecs::query::Has;
use bevy_ecs::system::{Commands, Query, Res, ResMut};
use std::collections::HashSet;

/// Where a player stands for queueing: queued, playing, its rating, still loading.
type QueueStanding = (
    Option<&'static Queued>,
    Option<&'static InMatch>,
    Option<&'static Rating>,
    Has<Loading>,
);

/// A player asks to be matched in game mode `mode`.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueJoinRequested {
    pub player: Entity,
    pub mode: u16,
}

/// A player asks to leave the queue.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLeaveRequested {
    pub player: Entity,
}

/// Turns join requests into ticket entities in the queue and leave requests back out of it. A
/// player joins or leaves at most once a tick, so the order of its requests within a tick does not
/// change where it ends up.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn handle_queue_requests(
    mut commands: Commands,
    mut joins: MessageReader<QueueJoinRequested>,
    mut leaves: MessageReader<QueueLeaveRequested>,
    mut queue: ResMut<MatchmakingQueue>,
    tick: Res<ServerTick>,
    players: Query<QueueStanding>,
    handles: Query<&TicketHandle>,
    mut outbound: MessageWriter<Outbound>,
) {
    // Commands apply after this system: remember who joined or left in this very batch.
    let mut changed_now: HashSet<Entity> = HashSet::new();
    let refuse = |outbound: &mut MessageWriter<Outbound>, player: Entity, why: &str| {
        outbound.write(Outbound {
            player,
            message: ServerMessage::Error {
                code: ErrorCode::NotAllowed,
                message: why.to_owned(),
            },
        });
    };
    for &QueueJoinRequested { player, mode } in joins.read() {
        let Ok((queued, in_match, rating, loading)) = players.get(player) else {
            continue;
        };
        if queued.is_some() || changed_now.contains(&player) {
            refuse(&mut outbound, player, "already in the queue");
        } else if in_match.is_some() {
            refuse(&mut outbound, player, "already in a match");
        } else if loading {
            refuse(
                &mut outbound,
                player,
                "your profile is still loading; try again in a moment",
            );
        } else {
            let rating = rating.copied().unwrap_or_default().points();
            let ticket = Ticket {
                players: vec![player],
                rating,
                mode,
                enqueued_tick: tick.get(),
            };
            let entity = commands.spawn(ticket).id();
            let handle = queue.enqueue(QueuedTicket {
                ticket: entity,
                mode,
                rating,
                seats: 1,
                enqueued_tick: tick.get(),
            });
            commands.entity(entity).insert(handle);
            commands.entity(player).insert(Queued { ticket: entity });
            changed_now.insert(player);
        }
    }
    for &QueueLeaveRequested { player } in leaves.read() {
        let Ok((queued, ..)) = players.get(player) else {
            continue;
        };
        match queued {
            Some(queued) if !changed_now.contains(&player) => {
                if let Ok(handle) = handles.get(queued.ticket) {
                    queue.remove(*handle);
                }
                commands.entity(queued.ticket).despawn();
                commands.entity(player).remove::<Queued>();
                changed_now.insert(player);
            }
            _ => refuse(&mut outbound, player, "not in the queue"),
        }
    }
}

/// A player who disconnects leaves the queue.
pub fn drop_tickets_of_disconnected(
    mut commands: Commands,
    mut disconnected: RemovedComponents<Session>,
    mut queue: ResMut<MatchmakingQueue>,
    players: Query<&Queued>,
    handles: Query<&TicketHandle>,
) {
    for player in disconnected.read() {
        if let Ok(queued) = players.get(player) {
            if let Ok(handle) = handles.get(queued.ticket) {
                queue.remove(*handle);
            }
            commands.entity(queued.ticket).despawn();
            commands.entity(player).remove::<Queued>();
        }
    }
}
