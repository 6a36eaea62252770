//! Warm-up ends: the match goes live.

use super::spawning::{SpawnBody, spawn_teams};
use crate::map::Maps;
use arbiter_components::config::MatchSettings;
use arbiter_components::matchmaking::{Match, MatchState};
use arbiter_components::messages::Outbound;
use arbiter_components::protocol::ServerMessage;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::message::MessageWriter;
use bevy_ecs::system::{Commands, Query, Res};

/// A match whose warm-up is over goes live: scores reset, everyone respawns at full health, and
/// its players are told the limits.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn go_live(
    mut commands: Commands,
    tick: Res<ServerTick>,
    settings: Res<MatchSettings>,
    rate: Res<TickRate>,
    maps: Option<Res<Maps>>,
    mut matches: Query<&mut Match>,
    mut bodies: Query<SpawnBody>,
    mut outbound: MessageWriter<Outbound>,
) {
    let now = tick.get();
    let warmup = rate.ticks_in_secs(settings.warmup_secs);
    for mut found in &mut matches {
        if found.state != MatchState::Warmup || now < found.state_since_tick + warmup {
            continue;
        }
        found.state = MatchState::Live;
        found.state_since_tick = now;
        found.scores = [0, 0];
        if let Some(map) = maps.as_ref().and_then(|maps| maps.get(&found.map)) {
            spawn_teams(&found, map, now, &mut bodies, &mut commands);
        }
        for player in found.teams.iter().flatten() {
            outbound.write(Outbound {
                player: *player,
                message: ServerMessage::MatchLive {
                    match_id: found.id,
                    time_limit_secs: settings.time_limit_secs,
                    score_limit: settings.score_limit,
                },
            });
        }
    }
}
