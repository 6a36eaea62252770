//! `arbiter matchmaker`: the lobby and the queue of a fleet. A formed match is not run here: it is
//! placed on a game server (a reserved slot, every player claimed), and each player is sent a
//! `Redirect` with a connect token for that server carrying their seat.

use super::bridge::{FleetLink, FromFleet, Placement, ToFleet, leave_the_fleet};
use super::fallback::{Fallbacks, add_lobby_entry};
use super::handoff::{PendingHandoffs, add_handoffs, hand_off};
use super::lobby_fallback::{LobbyFallbacks, give_lobby_fallbacks};
use super::standby::admit_unless_following;
use crate::net::{AwaitingWelcome, GameServer};
use crate::settings::FleetSettings;
use crate::shutdown::Shutdown;
use crate::telemetry::metrics::{FLEET_PLACEMENT_SECONDS, FLEET_PLACEMENTS_TOTAL};
use arbiter_client::seat::Requeue;
use arbiter_components::matchmaking::{
    InMatch, MatchingPaused, PlaceMatchesElsewhere, PlacedMatch, Team,
};
use arbiter_components::messages::Outbound;
use arbiter_components::party::{Party, PartyMemberOf};
use arbiter_components::player::Loading;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::ServerMessage;
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_systems::SimulationSystems;
use arbiter_systems::matchmaking::{QueueJoinRequested, handle_queue_requests, run_matchmaking};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::query::Added;
use bevy_ecs::query::{With, Without};
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Commands, Query, Res, ResMut, SystemParam};
use std::collections::HashMap;
use std::time::Instant;

/// Places formed matches on the fleet's game servers instead of running them.
#[derive(Debug)]
pub struct MatchmakerRolePlugin {
    /// Which fleet, and how this server takes part (its Redis link is made inside the runtime).
    pub settings: FleetSettings,
}

impl Plugin for MatchmakerRolePlugin {
    fn build(&self, app: &mut App) {
        let link = super::bridge::start_in_app_matchmaker(app, &self.settings);
        app.insert_resource(link);
        add_handoffs(app);
        add_lobby_entry(app);
        app.init_resource::<LobbyFallbacks>()
            .insert_resource(PlaceMatchesElsewhere)
            .add_systems(
                FixedUpdate,
                (
                    (find_where_players_belong, requeue_returning_players)
                        .chain()
                        .before(handle_queue_requests),
                    (
                        admit_unless_following,
                        send_formed_matches,
                        carry_out_placements,
                        give_lobby_fallbacks,
                        hand_off,
                    )
                        .chain()
                        .after(run_matchmaking),
                )
                    .in_set(SimulationSystems::Matchmaking),
            )
            // Its players wait in a lobby, not in a world: nothing of theirs moves, so their
            // positions are not advanced (or recorded for rewind) every tick.
            .configure_sets(FixedUpdate, SimulationSystems::Movement.run_if(never))
            .add_systems(Shutdown, leave_the_fleet);
    }
}

/// A run condition that never holds.
fn never() -> bool {
    false
}

/// On a player back from a match that did not happen (its token carries a requeue): queued again
/// as soon as it is welcomed, with the wait it had.
#[derive(Component, Debug, Clone, Copy)]
#[component(storage = "SparseSet")]
struct RequeueOnWelcome(Requeue);

/// Asks the fleet, for each new connection, where the player belongs: in a match that still holds
/// its claim (it dropped from its game server, or this matchmaker took over from one that died while
/// placing it) — then it goes back there — or, when its token carries a requeue (its match did not
/// happen), in the queue again.
fn find_where_players_belong(
    server: Res<GameServer>,
    // Every connection (new, resumed, or replacing an older one) starts awaiting its welcome.
    connected: Query<(Entity, &Session, &PlayerId), Added<AwaitingWelcome>>,
    link: Res<FleetLink>,
) {
    for (player, session, id) in &connected {
        let requeue = server.requeue(session.client_id);
        if let Some(requeue) = requeue {
            tracing::info!(
                match_id = requeue.match_id,
                player_id = id.0,
                "player back from a game server before its match ended"
            );
        }
        link.send(ToFleet::Connected {
            player,
            player_id: id.0,
            requeue,
        });
    }
}

/// Connected, loaded and welcomed.
type Welcomed = (With<Session>, Without<Loading>, Without<AwaitingWelcome>);

/// Queues the welcomed players that came back from a match that did not happen.
fn requeue_returning_players(
    mut commands: Commands,
    returning: Query<(Entity, &RequeueOnWelcome), Welcomed>,
    mut joins: MessageWriter<QueueJoinRequested>,
    rate: Res<TickRate>,
) {
    for (player, RequeueOnWelcome(requeue)) in &returning {
        joins.write(QueueJoinRequested {
            player,
            mode: requeue.mode,
            waited_ticks: rate.ticks_in_ms(requeue.waited_ms),
        });
        commands.entity(player).remove::<RequeueOnWelcome>();
    }
}

/// Hands each match formed this tick to the fleet task.
fn send_formed_matches(
    formed: Query<(Entity, &PlacedMatch), Added<PlacedMatch>>,
    ids: Query<&PlayerId>,
    link: Res<FleetLink>,
    rate: Res<TickRate>,
) {
    for (local_match, placed) in &formed {
        let teams = placed.teams.each_ref().map(|team| {
            team.iter()
                .filter_map(|player| ids.get(*player).ok().map(|id| id.0))
                .collect()
        });
        let waited_ms = placed
            .teams
            .iter()
            .flatten()
            .filter_map(|player| {
                let id = ids.get(*player).ok()?;
                Some((id.0, waited_ms(placed, *player, *rate)))
            })
            .collect();
        link.send(ToFleet::Place(Placement {
            local_match,
            local_id: placed.id,
            mode: placed.mode,
            map: placed.map.clone(),
            teams,
            waited_ms,
            formed_at: Instant::now(),
        }));
    }
}

/// How long `player` had queued for `placed`, in ms.
fn waited_ms(placed: &PlacedMatch, player: Entity, rate: TickRate) -> u32 {
    let ticks = placed.waited_ticks.get(&player).copied().unwrap_or(0);
    rate.ms_of(ticks).round() as u32
}

/// The way from the lobby to a game server: a fallback back here, then the hand-off's redirect.
#[derive(SystemParam)]
struct ToGameServer<'w, 's> {
    ids: Query<'w, 's, &'static PlayerId>,
    outbound: MessageWriter<'w, Outbound>,
    fallbacks: Fallbacks<'w>,
    handoffs: ResMut<'w, PendingHandoffs>,
    rate: Res<'w, TickRate>,
}

impl ToGameServer<'_, '_> {
    /// Sends `player` to match `match_id` with `token`; should the game server never answer, the
    /// fallback brings it back here, queued again in `mode` as long as it had waited (`waited_ms`).
    fn send(&mut self, player: Entity, match_id: u64, mode: u16, waited_ms: u32, token: Vec<u8>) {
        let Ok(id) = self.ids.get(player) else {
            return;
        };
        let requeue = Requeue {
            match_id,
            mode,
            waited_ms,
            called_off: false,
        };
        let lobby = self.fallbacks.lobby();
        if let Some(fallback) = self.fallbacks.token(id.0, lobby, requeue) {
            self.outbound.write(Outbound {
                player,
                message: ServerMessage::Fallback { token: fallback },
            });
        }
        let redirect = ServerMessage::Redirect {
            match_id: Some(match_id),
            token,
        };
        self.handoffs.push(player, redirect);
    }
}

/// The way back into the queue for the players of a match no game server took.
#[derive(SystemParam)]
struct BackToQueue<'w, 's> {
    joins: MessageWriter<'w, QueueJoinRequested>,
    parties: Query<'w, 's, &'static Party>,
    members: Query<'w, 's, &'static PartyMemberOf>,
    tick: Res<'w, ServerTick>,
    rate: Res<'w, TickRate>,
    settings: Res<'w, FleetSettings>,
}

impl BackToQueue<'_, '_> {
    /// Queues the players of `found` again, each as old as it was when the match formed (a party
    /// through its leader, as it queued), and pauses matching until the fleet's next heartbeats:
    /// only they (or a match ending) make room, so forming the same match every tick in between
    /// would only ask the fleet again and again. The players hear nothing: they are still waiting.
    fn requeue(&mut self, commands: &mut Commands, found: &PlacedMatch) {
        for &player in found.teams.iter().flatten() {
            let led_by_another = self
                .members
                .get(player)
                .ok()
                .and_then(|member| self.parties.get(member.0).ok())
                .is_some_and(|party| party.leader != player);
            if led_by_another {
                continue;
            }
            self.joins.write(QueueJoinRequested {
                player,
                mode: found.mode,
                waited_ticks: found.waited_ticks.get(&player).copied().unwrap_or(0),
            });
        }
        let pause = self.rate.ticks_in_ms(self.settings.heartbeat_ms).max(1);
        commands.insert_resource(MatchingPaused {
            until_tick: self.tick.get() + pause,
        });
    }
}

/// Sends the placed players their tokens; the players of a match no server took queue again with
/// the wait they had. Either way the match is done here.
fn carry_out_placements(
    mut commands: Commands,
    mut link: ResMut<FleetLink>,
    placed: Query<&PlacedMatch>,
    mut to_game: ToGameServer,
    mut back_to_queue: BackToQueue,
) {
    while let Some(answer) = link.answer() {
        match answer {
            FromFleet::Placed {
                local_match,
                match_id,
                tokens,
                formed_at,
            } => {
                let Ok(found) = placed.get(local_match) else {
                    continue;
                };
                let mut tokens: HashMap<u64, Vec<u8>> = tokens.into_iter().collect();
                for player in found.teams.iter().flatten() {
                    let token = to_game
                        .ids
                        .get(*player)
                        .ok()
                        .and_then(|id| tokens.remove(&id.0));
                    if let Some(token) = token {
                        let waited = waited_ms(found, *player, *to_game.rate);
                        to_game.send(*player, match_id, found.mode, waited, token);
                    }
                }
                metrics::histogram!(FLEET_PLACEMENT_SECONDS)
                    .record(formed_at.elapsed().as_secs_f64());
                metrics::counter!(FLEET_PLACEMENTS_TOTAL, "result" => "placed").increment(1);
                tracing::debug!(match_id, "match placed");
                end_here(&mut commands, local_match, found);
            }
            FromFleet::NotPlaced {
                local_match,
                reason,
            } => {
                let Ok(found) = placed.get(local_match) else {
                    continue;
                };
                tracing::debug!(%reason, match_id = found.id, "match not placed; its players queue again");
                metrics::counter!(FLEET_PLACEMENTS_TOTAL, "result" => "not_placed").increment(1);
                back_to_queue.requeue(&mut commands, found);
                end_here(&mut commands, local_match, found);
            }
            FromFleet::Rejoin {
                player,
                match_id,
                mode,
                waited_ms,
                token,
            } => to_game.send(player, match_id, mode, waited_ms, token),
            FromFleet::Requeue { player, requeue } => {
                commands
                    .entity(player)
                    .try_insert(RequeueOnWelcome(requeue));
            }
            FromFleet::ClaimsLost { .. } => {}
        }
    }
}

fn end_here(commands: &mut Commands, local_match: Entity, found: &PlacedMatch) {
    for player in found.teams.iter().flatten() {
        commands.entity(*player).try_remove::<(InMatch, Team)>();
    }
    commands.entity(local_match).despawn();
}
