//! Joining and leaving the queue: `JoinQueue` / `LeaveQueue` from players, and disconnects.

use super::queue::{MatchmakingQueue, QueuedTicket, TicketHandle};
use arbiter_components::matchmaking::{InMatch, Queued, Rating, Ticket};
use arbiter_components::messages::{ClientCommand, Outbound};
use arbiter_components::player::Loading;
use arbiter_components::protocol::{ClientMessage, ErrorCode, ServerMessage};
use arbiter_components::session::Session;
use arbiter_components::tick::ServerTick;
use bevy_ecs::entity::Entity;
use bevy_ecs::lifecycle::RemovedComponents;
use bevy_ecs::message::{MessageReader, MessageWriter};
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

/// Turns `JoinQueue` into a ticket entity in the queue and `LeaveQueue` back out of it.
pub fn handle_queue_requests(
    mut commands: Commands,
    mut requests: MessageReader<ClientCommand>,
    mut queue: ResMut<MatchmakingQueue>,
    tick: Res<ServerTick>,
    players: Query<QueueStanding>,
    handles: Query<&TicketHandle>,
    mut outbound: MessageWriter<Outbound>,
) {
    // Commands apply after this system: remember who joined or left in this very batch.
    let mut changed_now: HashSet<Entity> = HashSet::new();
    for request in requests.read() {
        let player = request.player;
        let Ok((queued, in_match, rating, loading)) = players.get(player) else {
            continue;
        };
        let refuse = |outbound: &mut MessageWriter<Outbound>, why: &str| {
            outbound.write(Outbound {
                player,
                message: ServerMessage::Error {
                    code: ErrorCode::NotAllowed,
                    message: why.to_owned(),
                },
            });
        };
        match request.message {
            ClientMessage::JoinQueue { mode } => {
                if queued.is_some() || changed_now.contains(&player) {
                    refuse(&mut outbound, "already in the queue");
                } else if in_match.is_some() {
                    refuse(&mut outbound, "already in a match");
                } else if loading {
                    refuse(
                        &mut outbound,
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
                        enqueued_tick: tick.get(),
                    });
                    commands.entity(entity).insert(handle);
                    commands.entity(player).insert(Queued { ticket: entity });
                    changed_now.insert(player);
                }
            }
            ClientMessage::LeaveQueue => match queued {
                Some(queued) if !changed_now.contains(&player) => {
                    if let Ok(handle) = handles.get(queued.ticket) {
                        queue.remove(*handle);
                    }
                    commands.entity(queued.ticket).despawn();
                    commands.entity(player).remove::<Queued>();
                    changed_now.insert(player);
                }
                _ => refuse(&mut outbound, "not in the queue"),
            },
            _ => {}
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
