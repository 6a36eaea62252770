//! The way back to a fleet's lobby for when a game server goes silent (it died, or never answered):
//! a `Fallback` token that queues the player again at once, valid as long as a match can last. The
//! matchmaker sends one with each `Redirect` to a game server, and the game server sends its own when
//! the player arrives. A matchmaker also gives each player in its lobby a plain one, so that when it
//! dies its players reach another matchmaker.

use crate::net::{TokenIssuer, TokenPass};
use crate::settings::FleetSettings;
use arbiter_client::seat::Requeue;
use arbiter_components::config::MatchSettings;
use arbiter_components::protocol::ServerMessage;
use bevy_app::{App, PreUpdate};
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::schedule::common_conditions::resource_changed;
use bevy_ecs::system::{Res, SystemParam};
use std::net::SocketAddr;
use std::time::Duration;

/// Beyond the longest a match can last, how long a fallback token stays valid.
const MARGIN_SECS: u64 = 60;

/// The longest a match holds its players: arrival, warm-up and the time limit, and a margin for
/// their way back.
pub fn longest_match(fleet: &FleetSettings, matches: &MatchSettings) -> Duration {
    let secs = fleet.arrival_deadline_secs + matches.warmup_secs + matches.time_limit_secs;
    Duration::from_secs(u64::from(secs) + MARGIN_SECS)
}

/// How long a token straight back to the lobby (the match ended or was called off, or another
/// matchmaker leads) stays valid: the move takes a moment, a minute covers a slow or briefly broken
/// network.
const RETURN_SECS: u64 = 60;

#[derive(SystemParam, Debug)]
pub struct Fallbacks<'w> {
    issuer: Res<'w, TokenIssuer>,
    settings: Res<'w, FleetSettings>,
    matches: Res<'w, MatchSettings>,
}

impl Fallbacks<'_> {
    /// A requeue token for `player_id` to the lobby at `lobby`, valid through arrival, warm-up and
    /// the time limit.
    pub fn token(&self, player_id: u64, lobby: &[SocketAddr], requeue: Requeue) -> Option<Vec<u8>> {
        let longest = longest_match(&self.settings, &self.matches).as_secs();
        self.lobby_token(player_id, lobby, TokenPass::Requeue(requeue), longest)
    }

    /// The `Redirect` that sends `player_id` straight back to the lobby, its token carrying `pass`.
    pub fn redirect_to_lobby(&self, player_id: u64, pass: TokenPass<'_>) -> Option<ServerMessage> {
        let token = self.lobby_token(player_id, self.lobby(), pass, RETURN_SECS)?;
        Some(ServerMessage::Redirect {
            match_id: None,
            token,
        })
    }

    /// A token for `player_id` to the lobby at `lobby`, carrying `pass`, valid `expire_secs`.
    pub fn lobby_token(
        &self,
        player_id: u64,
        lobby: &[SocketAddr],
        pass: TokenPass<'_>,
        expire_secs: u64,
    ) -> Option<Vec<u8>> {
        match self.issuer.issue_for(player_id, lobby, pass, expire_secs) {
            Ok(token) => Some(token.to_bytes()),
            Err(error) => {
                tracing::error!(%error, "cannot issue a lobby token");
                None
            }
        }
    }

    /// This server's own addresses.
    pub fn own_addresses(&self) -> &[SocketAddr] {
        self.issuer.server_addresses()
    }

    /// Where the fleet's lobby is: every matchmaker (`fleet.lobby_addresses`), or, when none is
    /// configured, this server (a matchmaker on its own).
    pub fn lobby(&self) -> &[SocketAddr] {
        match self.settings.lobby_addresses.as_slice() {
            [] => self.issuer.server_addresses(),
            lobby => lobby,
        }
    }

    /// The fleet's settings.
    pub fn settings(&self) -> &FleetSettings {
        &self.settings
    }
}

/// Keeps a matchmaker's new players' tokens naming the whole lobby, as the fleet's settings list it
/// (reloads included).
pub fn add_lobby_entry(app: &mut App) {
    app.add_systems(
        PreUpdate,
        send_new_players_to_the_lobby.run_if(resource_changed::<FleetSettings>),
    );
}

/// New players' tokens (the admin endpoint's guest tokens) name the lobby — every matchmaker, in
/// order — once the fleet lists it, so a new player lands on whichever matchmaker leads.
fn send_new_players_to_the_lobby(issuer: Option<Res<TokenIssuer>>, settings: Res<FleetSettings>) {
    if let Some(issuer) = issuer {
        issuer.enter_at(&settings.lobby_addresses);
    }
}
