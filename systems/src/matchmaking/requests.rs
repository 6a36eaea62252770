//! Joining and leaving the queue: requests from players (a party's leader queues the party as one
//! ticket), and disconnects.

use super::packing::max_party_size;
use super::queue::{MatchmakingQueue, QueuedTicket, TicketHandle};
use arbiter_components::config::MatchmakingSettings;
use arbiter_components::matchmaking::{InMatch, QueueClosed, Queued, Rating, Ticket};
use arbiter_components::messages::Outbound;
use arbiter_components::party::{Party, PartyMemberOf, PartyMembers, party_rating};
use arbiter_components::player::{Loading, PlayerId};
use arbiter_components::protocol::{ErrorCode, QueueCancel, ServerMessage};
use arbiter_components::session::Session;
use arbiter_components::tick::ServerTick;
use bevy_ecs::entity::Entity;
use bevy_ecs::lifecycle::RemovedComponents;
use bevy_ecs::message::{Message, MessageReader, MessageWriter};
use bevy_ecs::query::Has;
use bevy_ecs::system::{Commands, Query, Res, ResMut, SystemParam};
use std::collections::HashSet;

/// Where a player stands for queueing: its id, queued, playing, its rating, still loading, online,
/// its party.
type QueueStanding = (
    &'static PlayerId,
    Option<&'static Queued>,
    Option<&'static InMatch>,
    Option<&'static Rating>,
    Has<Loading>,
    Has<Session>,
    Option<&'static PartyMemberOf>,
);

/// A player asks to be matched in game mode `mode`.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueJoinRequested {
    pub player: Entity,
    pub mode: u16,
    /// Ticks the player already waited for a match that did not happen (0 for a player who just
    /// asked): the ticket is as old as that.
    pub waited_ticks: u64,
}

impl QueueJoinRequested {
    /// A player's own request: it has waited for nothing yet.
    pub fn new(player: Entity, mode: u16) -> Self {
        Self {
            player,
            mode,
            waited_ticks: 0,
        }
    }
}

/// A player asks to leave the queue.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLeaveRequested {
    pub player: Entity,
}

/// Puts tickets into the queue and takes them out, keeping the ticket entities, the players'
/// [`Queued`] and the queue's index in step. For any rule that has to take a ticket out (a party
/// whose members change).
#[derive(SystemParam)]
pub struct QueueDesk<'w, 's> {
    pub commands: Commands<'w, 's>,
    pub outbound: MessageWriter<'w, Outbound>,
    queue: ResMut<'w, MatchmakingQueue>,
    tickets: Query<'w, 's, (&'static Ticket, Option<&'static TicketHandle>)>,
    player_ids: Query<'w, 's, &'static PlayerId>,
    /// Present on a fleet's game server, where nobody queues.
    closed: Option<Res<'w, QueueClosed>>,
}

impl core::fmt::Debug for QueueDesk<'_, '_> {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter
            .debug_struct("QueueDesk")
            .field("waiting", &self.queue.waiting())
            .finish_non_exhaustive()
    }
}

impl QueueDesk<'_, '_> {
    /// Takes `ticket` out of the queue and its players out of waiting. Its players other than `by`
    /// are told why (a solo ticket: nobody).
    pub fn cancel(&mut self, ticket: Entity, by: Entity, reason: QueueCancel) {
        let Ok((waiting, handle)) = self.tickets.get(ticket) else {
            return;
        };
        if let Some(handle) = handle {
            self.queue.remove(*handle);
        }
        let by_id = self.player_ids.get(by).map_or(0, |id| id.0);
        for player in &waiting.players {
            self.commands.entity(*player).try_remove::<Queued>();
            if *player != by {
                self.outbound.write(Outbound {
                    player: *player,
                    message: ServerMessage::QueueCancelled { by: by_id, reason },
                });
            }
        }
        self.commands.entity(ticket).try_despawn();
    }

    /// Puts `players` in the queue as one ticket, as old as `waited_ticks` at tick `tick`.
    fn enqueue(
        &mut self,
        players: Vec<Entity>,
        rating: i32,
        mode: u16,
        tick: u64,
        waited_ticks: u64,
    ) {
        let seats = players.len() as u32;
        let ticket = self.commands.spawn_empty().id();
        let queued = QueuedTicket {
            ticket,
            mode,
            rating,
            seats,
            enqueued_tick: tick,
        };
        let handle = self.queue.enqueue_having_waited(queued, waited_ticks);
        for player in &players {
            self.commands.entity(*player).insert(Queued { ticket });
        }
        self.commands.entity(ticket).insert((
            Ticket {
                players,
                rating,
                mode,
                enqueued_tick: self.queue.waiting_since(handle).unwrap_or(tick),
            },
            handle,
        ));
    }

    fn refuse(&mut self, player: Entity, why: String) {
        self.outbound.write(Outbound {
            player,
            message: ServerMessage::Error {
                code: ErrorCode::NotAllowed,
                message: why,
            },
        });
    }
}

/// Turns join requests into ticket entities in the queue and leave requests back out of it. A
/// player joins or leaves at most once a tick, so the order of its requests within a tick does not
/// change where it ends up. A party's leader queues its whole party; a member leaving the queue
/// takes the party's ticket out and the others are told.
pub fn handle_queue_requests(
    mut joins: MessageReader<QueueJoinRequested>,
    mut leaves: MessageReader<QueueLeaveRequested>,
    mut desk: QueueDesk,
    tick: Res<ServerTick>,
    settings: Res<MatchmakingSettings>,
    players: Query<QueueStanding>,
    parties: Query<(&Party, &PartyMembers)>,
) {
    // Commands apply after this system: remember who joined or left in this very batch.
    let mut changed_now: HashSet<Entity> = HashSet::new();
    for &QueueJoinRequested {
        player,
        mode,
        waited_ticks,
    } in joins.read()
    {
        if desk.closed.is_some() {
            desk.refuse(
                player,
                "this game server runs placed matches only; queue at the matchmaker".to_owned(),
            );
            continue;
        }
        let Ok((.., party)) = players.get(player) else {
            continue;
        };
        let members = match party.and_then(|party| parties.get(party.0).ok()) {
            Some((party, _)) if party.leader != player => {
                desk.refuse(
                    player,
                    "only your party's leader queues the party".to_owned(),
                );
                continue;
            }
            Some((_, members)) => members.members().to_vec(),
            None => vec![player],
        };
        match queue_rating(&members, &players, &changed_now, &settings) {
            Ok(rating) => {
                changed_now.extend(&members);
                desk.enqueue(members, rating, mode, tick.get(), waited_ticks);
            }
            Err(why) => desk.refuse(player, why),
        }
    }
    for &QueueLeaveRequested { player } in leaves.read() {
        let Ok((_, queued, ..)) = players.get(player) else {
            continue;
        };
        match queued {
            Some(queued) if !changed_now.contains(&player) => {
                let ticket = desk.tickets.get(queued.ticket).ok();
                changed_now.extend(ticket.iter().flat_map(|(ticket, _)| &ticket.players));
                changed_now.insert(player);
                desk.cancel(queued.ticket, player, QueueCancel::LeftQueue);
            }
            _ => desk.refuse(player, "not in the queue".to_owned()),
        }
    }
}

/// The rating `members` queue with, or why they may not queue now.
fn queue_rating(
    members: &[Entity],
    players: &Query<QueueStanding>,
    changed_now: &HashSet<Entity>,
    settings: &MatchmakingSettings,
) -> Result<i32, String> {
    let largest = max_party_size(settings.match_size);
    if members.len() > 1 && members.len() as u32 > largest {
        return Err(format!(
            "a party of {} is larger than a team ({largest} players)",
            members.len()
        ));
    }
    let alone = members.len() == 1;
    let mut ratings = Vec::with_capacity(members.len());
    for member in members {
        let Ok((id, queued, in_match, rating, loading, online, _)) = players.get(*member) else {
            return Err("a party member is gone".to_owned());
        };
        let who = if alone {
            "you are".to_owned()
        } else {
            format!("party member {} is", id.0)
        };
        if queued.is_some() || changed_now.contains(member) {
            return Err(format!("{who} already in the queue"));
        } else if in_match.is_some() {
            return Err(format!("{who} already in a match"));
        } else if loading {
            return Err(format!(
                "{who} still loading a profile; try again in a moment"
            ));
        } else if !online {
            return Err(format!("{who} offline"));
        }
        ratings.push(rating.copied().unwrap_or_default().points());
    }
    Ok(party_rating(&ratings, settings.party_spread_penalty))
}

/// A player who disconnects takes its ticket out of the queue; the rest of its party is told.
pub fn drop_tickets_of_disconnected(
    mut disconnected: RemovedComponents<Session>,
    mut desk: QueueDesk,
    players: Query<&Queued>,
) {
    for player in disconnected.read() {
        if let Ok(queued) = players.get(player) {
            desk.cancel(queued.ticket, player, QueueCancel::Disconnected);
        }
    }
}
