//! Each tick: run the queue, turn its matches into match entities with balanced teams, and tell the
//! players; tell timed-out players too.

use super::events::{MatchFormed, TicketTimedOut};
use super::queue::{MatchmakingQueue, QueueParams};
use super::teams::{TeamUnit, balance_teams, imbalance};
use arbiter_components::config::MatchmakingSettings;
use arbiter_components::matchmaking::{
    InMatch, Match, MatchingPaused, PlaceMatchesElsewhere, PlacedMatch, Queued, Team, Ticket,
};
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::ServerMessage;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Commands, Query, Res, ResMut};

/// Source of match ids: 1, 2, 3, … for the life of the server.
#[derive(Resource, Debug, Default)]
pub struct MatchIds(u64);

impl MatchIds {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

/// The queue's parameters from the config, converted to ticks.
pub fn queue_params(settings: &MatchmakingSettings, rate: TickRate) -> QueueParams {
    QueueParams {
        bucket_width: settings.bucket_width,
        match_size: settings.match_size,
        expand_every_ticks: rate.ticks_in_secs(settings.expand_every_secs),
        max_radius: settings.max_radius,
        timeout_ticks: rate.ticks_in_secs(settings.timeout_secs),
        target_wait_ticks: rate.ticks_in_secs(settings.target_wait_secs),
    }
}

/// Applies reloaded matchmaking settings (or a new tick rate) to the waiting tickets.
pub fn sync_queue_params(
    settings: Res<MatchmakingSettings>,
    rate: Res<TickRate>,
    mut queue: ResMut<MatchmakingQueue>,
) {
    queue.set_params(queue_params(&settings, *rate));
}

/// Runs one tick of the queue and carries out what it decided. With [`PlaceMatchesElsewhere`], a
/// formed match is a [`PlacedMatch`] for a game server, and its players hear of it from there;
/// while [`MatchingPaused`], nothing runs (timeouts are caught up on afterwards).
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn run_matchmaking(
    mut commands: Commands,
    mut queue: ResMut<MatchmakingQueue>,
    mut ids: ResMut<MatchIds>,
    tick: Res<ServerTick>,
    settings: Res<MatchmakingSettings>,
    tickets: Query<&Ticket>,
    player_ids: Query<&PlayerId>,
    mut outbound: MessageWriter<Outbound>,
    mut formed: MessageWriter<MatchFormed>,
    mut timed_out: MessageWriter<TicketTimedOut>,
    placed_elsewhere: Option<Res<PlaceMatchesElsewhere>>,
    paused: Option<Res<MatchingPaused>>,
) {
    let now = tick.get();
    if paused.is_some_and(|paused| now < paused.until_tick) {
        return;
    }
    let outcome = queue.run_tick(now);
    for expired in outcome.timed_out {
        if let Ok(ticket) = tickets.get(expired.ticket) {
            for player in &ticket.players {
                commands.entity(*player).try_remove::<Queued>();
                outbound.write(Outbound {
                    player: *player,
                    message: ServerMessage::QueueTimedOut,
                });
            }
        }
        commands.entity(expired.ticket).try_despawn();
        timed_out.write(TicketTimedOut {
            ticket: expired.ticket,
            wait_ticks: now - expired.enqueued_tick,
        });
    }
    for found in outcome.matches {
        let members: Vec<&Ticket> = found
            .tickets
            .iter()
            .filter_map(|ticket| tickets.get(ticket.ticket).ok())
            .collect();
        let units: Vec<TeamUnit> = members
            .iter()
            .map(|ticket| TeamUnit {
                players: ticket.players.len() as u32,
                rating: ticket.rating,
            })
            .collect();
        let assignment = balance_teams(&units);
        let match_id = ids.next();
        let map = settings.maps[(match_id as usize - 1) % settings.maps.len().max(1)].clone();
        let mut teams: [Vec<Entity>; 2] = [Vec::new(), Vec::new()];
        for (ticket, team) in members.iter().zip(&assignment) {
            teams[usize::from(*team)].extend(&ticket.players);
        }
        let roster = teams.each_ref().map(|team| {
            team.iter()
                .filter_map(|player| player_ids.get(*player).ok().map(|id| id.0))
                .collect::<Vec<u64>>()
        });
        let match_entity = if placed_elsewhere.is_some() {
            let waited_ticks = members
                .iter()
                .flat_map(|ticket| {
                    let waited = now.saturating_sub(ticket.enqueued_tick);
                    ticket.players.iter().map(move |player| (*player, waited))
                })
                .collect();
            commands.spawn(PlacedMatch {
                id: match_id,
                mode: found.mode,
                map: map.clone(),
                teams: teams.clone(),
                waited_ticks,
            })
        } else {
            commands.spawn(Match::new(
                match_id,
                found.mode,
                map.clone(),
                teams.clone(),
                now,
            ))
        }
        .id();
        for (team, players) in teams.iter().enumerate() {
            for player in players {
                commands
                    .entity(*player)
                    .try_remove::<Queued>()
                    .try_insert((InMatch(match_entity), Team(team as u8)));
                if placed_elsewhere.is_some() {
                    continue;
                }
                outbound.write(Outbound {
                    player: *player,
                    message: ServerMessage::MatchFound {
                        match_id,
                        team: team as u8,
                        teams: roster.clone(),
                        map: map.clone(),
                    },
                });
            }
        }
        for ticket in &found.tickets {
            commands.entity(ticket.ticket).try_despawn();
        }
        let ratings = found.tickets.iter().map(|ticket| ticket.rating);
        formed.write(MatchFormed {
            match_entity,
            match_id,
            waits_ticks: found
                .tickets
                .iter()
                .map(|ticket| now - ticket.enqueued_tick)
                .collect(),
            ticket_seats: found.tickets.iter().map(|ticket| ticket.seats).collect(),
            rating_span: ratings.clone().max().unwrap_or(0) - ratings.min().unwrap_or(0),
            team_imbalance: imbalance(&units, &assignment),
        });
    }
}
