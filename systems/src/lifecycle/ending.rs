//! A match ends at its score or time limit: ratings, stats, the scoreboard, back to the lobby.

use super::ratings::rate_match;
use arbiter_components::config::MatchSettings;
use arbiter_components::match_events::{MatchCompleted, RatingChanged};
use arbiter_components::matchmaking::{InMatch, Match, MatchState, Rating, Team};
use arbiter_components::messages::Outbound;
use arbiter_components::player::{Health, LeftMatch, MatchTally, PlayerId, Respawning, Stats};
use arbiter_components::protocol::{ScoreLine, ServerMessage};
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::query::QueryData;
use bevy_ecs::system::{Commands, Query, Res};

/// What a match result changes on a player.
#[derive(QueryData, Debug)]
#[query_data(mutable)]
pub struct Career {
    id: &'static PlayerId,
    rating: &'static mut Rating,
    stats: &'static mut Stats,
    tally: Option<&'static MatchTally>,
}

/// Whether a live match has reached its score limit or run out of time.
fn is_decided(found: &Match, now: u64, settings: &MatchSettings, rate: TickRate) -> bool {
    found.state == MatchState::Live
        && (found
            .scores
            .iter()
            .any(|score| *score >= settings.score_limit)
            || now >= found.state_since_tick + rate.ticks_in_secs(settings.time_limit_secs))
}

/// Ends every decided match: the team ahead wins (equal scores: a draw), ratings move (Weng-Lin),
/// stats count the result, each player gets `MatchEnded` with the scoreboard and returns to the
/// lobby, and the result goes out as [`MatchCompleted`] and [`RatingChanged`] for persistence.
/// Players who left the server before the end are neither rated nor on the scoreboard.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn end_decided_matches(
    mut commands: Commands,
    tick: Res<ServerTick>,
    settings: Res<MatchSettings>,
    rate: Res<TickRate>,
    mut matches: Query<(Entity, &mut Match)>,
    mut careers: Query<Career>,
    mut outbound: MessageWriter<Outbound>,
    mut completed: MessageWriter<MatchCompleted>,
    mut rating_changed: MessageWriter<RatingChanged>,
) {
    let now = tick.get();
    for (match_entity, mut found) in &mut matches {
        if !is_decided(&found, now, &settings, *rate) {
            continue;
        }
        found.state = MatchState::Ended;
        let winner = found.leader();
        let present = found.teams.clone().map(|team| {
            team.into_iter()
                .filter(|player| careers.contains(*player))
                .collect::<Vec<Entity>>()
        });
        let before = present.each_ref().map(|team| {
            team.iter()
                .filter_map(|player| careers.get(*player).ok().map(|career| *career.rating))
                .collect::<Vec<Rating>>()
        });
        let after = rate_match([&before[0], &before[1]], winner);
        let mut scoreboard = Vec::new();
        for (team, members) in present.iter().enumerate() {
            for (index, player) in members.iter().enumerate() {
                let Ok(mut career) = careers.get_mut(*player) else {
                    continue;
                };
                let (old, new) = (before[team][index], after[team][index]);
                *career.rating = new;
                career.stats.matches += 1;
                match winner {
                    Some(won) if usize::from(won) == team => career.stats.wins += 1,
                    Some(_) => career.stats.losses += 1,
                    None => {}
                }
                let tally = career.tally.copied().unwrap_or_default();
                scoreboard.push(ScoreLine {
                    player_id: career.id.0,
                    team: team as u8,
                    kills: tally.kills,
                    deaths: tally.deaths,
                    rating_before: old.points(),
                    rating_after: new.points(),
                });
                rating_changed.write(RatingChanged {
                    player: *player,
                    player_id: career.id.0,
                    match_id: found.id,
                    before: old,
                    after: new,
                });
            }
        }
        for player in present.iter().flatten() {
            outbound.write(Outbound {
                player: *player,
                message: ServerMessage::MatchEnded {
                    match_id: found.id,
                    winning_team: winner,
                    scores: found.scores,
                    scoreboard: scoreboard.clone(),
                },
            });
            commands
                .entity(*player)
                .try_remove::<(InMatch, Team, MatchTally, Respawning)>()
                .try_insert((Health::FULL, LeftMatch { at_tick: now }));
        }
        completed.write(MatchCompleted {
            match_id: found.id,
            mode: found.mode,
            map: found.map.clone(),
            winner,
            scores: found.scores,
            live_ticks: now - found.state_since_tick,
            scoreboard,
        });
        commands.entity(match_entity).despawn();
    }
}
