//! `arbiter serve --role game`: runs the matches a fleet's matchmaker placed here, nothing else. A
//! player is admitted only with a token carrying a seat; a match starts when its whole roster has
//! arrived (or is called off at the arrival deadline); after it, its players are sent back to the
//! lobby with a fresh token. While the tick advances the server reports itself to the registry and
//! keeps its players' claims alive; a stalled tick reports nothing, so the fleet stops sending
//! matches here and the claims lapse. Asked to stop, it drains first ([`super::drain`]).

use super::bridge::{FleetLink, FromFleet, RunningMatch, ToFleet};
use super::drain::drain_before_stopping;
use super::fallback::Fallbacks;
use super::handoff::{PendingHandoffs, add_handoffs, hand_off};
use crate::net::{AwaitingWelcome, GameServer, TokenPass};
use crate::settings::FleetSettings;
use crate::shutdown::{DrainHold, Shutdown};
use crate::telemetry::metrics::FLEET_CLAIMS_LOST_TOTAL;
use arbiter_client::seat::{Requeue, Seat};
use arbiter_components::match_events::MatchCompleted;
use arbiter_components::matchmaking::{InMatch, Match, QueueClosed, Team};
use arbiter_components::messages::{KickRequest, Outbound};
use arbiter_components::player::{LeftMatch, Loading, PlayerId};
use arbiter_components::protocol::{KickReason, ServerMessage};
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_systems::SimulationSystems;
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::query::{Added, With, Without};
use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Commands, Local, Query, Res, ResMut, SystemParam};
use std::collections::HashMap;

/// Runs only the matches placed here.
#[derive(Debug)]
pub struct GameRolePlugin {
    /// Which fleet, and how this server takes part (its Redis link is made inside the runtime).
    pub settings: FleetSettings,
}

impl Plugin for GameRolePlugin {
    fn build(&self, app: &mut App) {
        let link = super::bridge::start_in_app_game_server(app, &self.settings);
        app.insert_resource(link);
        add_handoffs(app);
        app.insert_resource(QueueClosed)
            .init_resource::<Gatherings>()
            .init_resource::<DrainHold>()
            .add_message::<MatchCompleted>()
            .add_systems(
                FixedUpdate,
                (
                    (admit_seated_players, gather_and_start_matches)
                        .chain()
                        .in_set(SimulationSystems::Matchmaking),
                    (
                        return_players_after_match,
                        hand_off,
                        report_to_fleet,
                        drain_before_stopping,
                        let_go_of_lost_claims,
                    )
                        .chain()
                        .after(SimulationSystems::Lifecycle),
                ),
            )
            .add_systems(Shutdown, super::bridge::leave_the_fleet);
    }
}

/// On a player admitted with a seat in a match placed here.
#[derive(Component, Debug, Clone)]
pub struct Seated(pub Seat);

/// Matches whose players are arriving.
#[derive(Resource, Debug, Default)]
pub(super) struct Gatherings(HashMap<u64, Gathering>);

impl Gatherings {
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug)]
struct Gathering {
    seat: Seat,
    teams: [Vec<Entity>; 2],
    since_tick: u64,
}

type Arrived = (
    Without<InMatch>,
    Without<Loading>,
    Without<AwaitingWelcome>,
    With<Session>,
);

/// Reads each new connection's seat and gives the player its way back; a connection without a
/// seat is refused.
fn admit_seated_players(
    mut commands: Commands,
    mut server: ResMut<GameServer>,
    // Every connection (new, resumed, or replacing an older one) starts awaiting its welcome.
    connected: Query<(Entity, &Session, &PlayerId), Added<AwaitingWelcome>>,
    mut lobby: Lobby,
) {
    for (player, session, id) in &connected {
        match server.seat(session.client_id) {
            Some(seat) => {
                lobby.send_fallback(player, id.0, &seat);
                commands.entity(player).insert(Seated(seat));
            }
            None => server.kick(session.client_id, KickReason::NotExpected),
        }
    }
}

/// Adds welcomed players to their match's gathering; starts a match whose roster is complete and
/// calls off one whose deadline passed (its players go back to the lobby and may be matched again).
fn gather_and_start_matches(
    mut commands: Commands,
    mut gatherings: ResMut<Gatherings>,
    (tick, rate): (Res<ServerTick>, Res<TickRate>),
    arrived: Query<(Entity, &Seated), Arrived>,
    running: Query<(), With<Match>>,
    link: Res<FleetLink>,
    mut lobby: Lobby,
) {
    let now = tick.get();
    let running = running.iter().len();
    for (player, Seated(seat)) in &arrived {
        let full = gatherings.0.len() + running >= lobby.settings().capacity as usize;
        if full && !gatherings.0.contains_key(&seat.match_id) {
            // Only when a placement outlived its reservation: never run more than the capacity.
            tracing::warn!(
                match_id = seat.match_id,
                "no room for another match; player sent back"
            );
            lobby.send_back(&[player], Back::Requeue);
            commands.entity(player).remove::<Seated>();
            link.send(ToFleet::Release {
                match_id: seat.match_id,
                players: lobby.player_ids(&[player]),
            });
            continue;
        }
        let gathering = gatherings
            .0
            .entry(seat.match_id)
            .or_insert_with(|| Gathering {
                seat: seat.clone(),
                teams: [Vec::new(), Vec::new()],
                since_tick: now,
            });
        let team = &mut gathering.teams[usize::from(seat.team)];
        if !team.contains(&player) {
            team.push(player);
        }
    }
    let deadline = rate.ticks_in_secs(lobby.settings().arrival_deadline_secs);
    gatherings.0.retain(|&match_id, gathering| {
        for team in &mut gathering.teams {
            team.retain(|player| lobby.ids.contains(*player));
        }
        let complete = (0..2).all(|team| {
            gathering.teams[team].len() == usize::from(gathering.seat.team_sizes[team])
        });
        if complete {
            start(&mut commands, &mut lobby, match_id, gathering, now);
            return false;
        }
        if now < gathering.since_tick + deadline {
            return true;
        }
        tracing::info!(
            match_id,
            "not every player arrived in time; the match is called off"
        );
        let players: Vec<Entity> = gathering.teams.iter().flatten().copied().collect();
        lobby.send_back(&players, Back::Requeue);
        link.send(ToFleet::Release {
            match_id,
            players: lobby.player_ids(&players),
        });
        false
    });
}

fn start(
    commands: &mut Commands,
    lobby: &mut Lobby,
    match_id: u64,
    gathering: &Gathering,
    now: u64,
) {
    let seat = &gathering.seat;
    let teams = gathering.teams.clone();
    let match_entity = commands
        .spawn(Match::new(
            match_id,
            seat.mode,
            seat.map.clone(),
            teams.clone(),
            now,
        ))
        .id();
    let roster = teams.each_ref().map(|team| lobby.player_ids(team));
    for (team, players) in teams.iter().enumerate() {
        for player in players {
            commands
                .entity(*player)
                .try_insert((InMatch(match_entity), Team(team as u8)));
            lobby.outbound.write(Outbound {
                player: *player,
                message: ServerMessage::MatchFound {
                    match_id,
                    team: team as u8,
                    teams: roster.clone(),
                    map: seat.map.clone(),
                },
            });
        }
    }
    tracing::info!(match_id, "every player arrived; the match starts");
}

/// The way back to the matchmaker's lobby, for connected players.
#[derive(SystemParam)]
struct Lobby<'w, 's> {
    fallbacks: Fallbacks<'w>,
    ids: Query<'w, 's, (&'static PlayerId, Option<&'static Seated>), With<Session>>,
    outbound: MessageWriter<'w, Outbound>,
    handoffs: ResMut<'w, PendingHandoffs>,
}

/// Why players go back to the lobby.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    /// Their match ended: they queue again when they like.
    Played,
    /// Their match did not happen here: the lobby queues them again at once.
    Requeue,
}

impl Lobby<'_, '_> {
    /// The player ids of those of `players` still connected.
    fn player_ids(&self, players: &[Entity]) -> Vec<u64> {
        players
            .iter()
            .filter_map(|player| self.ids.get(*player).ok().map(|(id, _)| id.0))
            .collect()
    }

    fn settings(&self) -> &FleetSettings {
        self.fallbacks.settings()
    }

    /// Sends `players` back to the lobby now, each with a token for it.
    fn send_back(&mut self, players: &[Entity], why: Back) {
        for player in players {
            let Ok((id, seated)) = self.ids.get(*player) else {
                continue;
            };
            let pass = match (why, seated) {
                (Back::Requeue, Some(Seated(seat))) => TokenPass::Requeue(Requeue {
                    called_off: true,
                    ..requeue_for(seat)
                }),
                _ => TokenPass::Lobby,
            };
            if let Some(redirect) = self.fallbacks.redirect_to_lobby(id.0, pass) {
                self.handoffs.push(*player, redirect);
            }
        }
    }

    /// Gives an arriving player the way back for when this server goes silent.
    fn send_fallback(&mut self, player: Entity, player_id: u64, seat: &Seat) {
        let lobby = self.fallbacks.lobby();
        if let Some(token) = self.fallbacks.token(player_id, lobby, requeue_for(seat)) {
            self.outbound.write(Outbound {
                player,
                message: ServerMessage::Fallback { token },
            });
        }
    }
}

fn requeue_for(seat: &Seat) -> Requeue {
    Requeue {
        match_id: seat.match_id,
        mode: seat.mode,
        waited_ms: seat.waited_ms,
        called_off: false,
    }
}

/// After a match: its players go back to the lobby, and their claims are released.
fn return_players_after_match(
    mut commands: Commands,
    mut completed: MessageReader<MatchCompleted>,
    finished: Query<Entity, (Added<LeftMatch>, With<Seated>)>,
    link: Res<FleetLink>,
    mut lobby: Lobby,
) {
    let players: Vec<Entity> = finished.iter().collect();
    lobby.send_back(&players, Back::Played);
    for player in players {
        commands.entity(player).remove::<Seated>();
    }
    for done in completed.read() {
        link.send(ToFleet::Release {
            match_id: done.match_id,
            players: done.scoreboard.iter().map(|line| line.player_id).collect(),
        });
    }
}

/// Every heartbeat, while the tick advances: the matches here, running or gathering.
fn report_to_fleet(
    tick: Res<ServerTick>,
    rate: Res<TickRate>,
    settings: Res<FleetSettings>,
    mut last: Local<u64>,
    here: (Res<Gatherings>, Query<&Match>, Query<&PlayerId>),
    link: Res<FleetLink>,
) {
    if !tick.passed_since(&mut last, rate.ticks_in_ms(settings.heartbeat_ms).max(1)) {
        return;
    }
    let (gatherings, matches, ids) = here;
    let players_of = |teams: &[Vec<Entity>; 2]| -> Vec<u64> {
        teams
            .iter()
            .flatten()
            .filter_map(|player| ids.get(*player).ok().map(|id| id.0))
            .collect()
    };
    let running = matches
        .iter()
        .map(|found| RunningMatch {
            match_id: found.id,
            players: players_of(&found.teams),
        })
        .chain(
            gatherings
                .0
                .iter()
                .map(|(&match_id, gathering)| RunningMatch {
                    match_id,
                    players: players_of(&gathering.teams),
                }),
        )
        .collect();
    link.send(ToFleet::Report(running));
}

/// A player whose claim lapsed may be in another match by now: this server lets them go.
fn let_go_of_lost_claims(
    mut link: ResMut<FleetLink>,
    sessions: Res<crate::net::Sessions>,
    mut kicks: MessageWriter<KickRequest>,
) {
    while let Some(answer) = link.answer() {
        let FromFleet::ClaimsLost { match_id, players } = answer else {
            continue;
        };
        tracing::warn!(
            match_id,
            ?players,
            "claims lapsed; letting these players go"
        );
        metrics::counter!(FLEET_CLAIMS_LOST_TOTAL).increment(players.len() as u64);
        for player in players {
            if let Some(player) = sessions.entity_of_player(PlayerId(player)) {
                kicks.write(KickRequest {
                    player,
                    reason: KickReason::NotExpected,
                });
            }
        }
    }
}
