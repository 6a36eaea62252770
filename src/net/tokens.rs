//! Issuing connect tokens: signed with the server's key, carrying the player id in the user data so a
//! client cannot pick someone else's id.

use crate::settings::NetSettings;
use arbiter_client::netcode::{
    ConnectToken, KEY_BYTES, PrivateToken, USER_DATA_BYTES, random_bytes,
};
use arbiter_client::seat::{Requeue, Seat, SeatError};
use arbiter_client::token::user_data_for_player;
use arbiter_components::protocol::protocol_id;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::Res;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Guest player ids have bit 52 set, so they never collide with small account ids, and stay below
/// 2^53 so JSON clients in JavaScript read them exactly.
const GUEST_ID_BIT: u64 = 1 << 52;

/// The most server addresses a netcode token can name.
const MAX_TOKEN_ADDRESSES: usize = 32;

/// Why no token could be issued.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IssueError {
    #[error(
        "a connect token names 1 to {MAX_TOKEN_ADDRESSES} server addresses; this server has {0} (net.public_addresses)"
    )]
    Addresses(usize),
    #[error("the match seat cannot go into a token: {0}")]
    Seat(#[from] SeatError),
}

/// What a token for another server of a fleet carries besides the player id.
#[derive(Debug, Clone, Copy)]
pub enum TokenPass<'a> {
    /// To the matchmaker's lobby, after a match.
    Lobby,
    /// To a game server, for a seat in a match there.
    Seat(&'a Seat),
    /// To the matchmaker's lobby after a match that did not happen: queued again at once.
    Requeue(Requeue),
}

/// Issues connect tokens for this server. Shared with the admin endpoint's threads.
#[derive(Resource, Debug, Clone)]
pub struct TokenIssuer(Arc<Issuer>);

#[derive(Debug)]
struct Issuer {
    key: [u8; KEY_BYTES],
    server_addresses: Vec<SocketAddr>,
    /// Where a new player's token sends it: this server, or a fleet's every matchmaker.
    entry: RwLock<Vec<SocketAddr>>,
    expire_secs: AtomicU32,
    timeout_secs: AtomicU32,
    guests_enabled: AtomicBool,
    next_guest: AtomicU64,
}

/// A token handed out to a guest.
#[derive(Debug)]
pub struct GuestToken {
    pub player_id: u64,
    pub token: ConnectToken,
    pub expires_in_secs: u32,
}

impl TokenIssuer {
    pub fn new(
        key: [u8; KEY_BYTES],
        server_addresses: Vec<SocketAddr>,
        settings: &NetSettings,
    ) -> Self {
        let issuer = Self(Arc::new(Issuer {
            key,
            entry: RwLock::new(server_addresses.clone()),
            server_addresses,
            expire_secs: AtomicU32::new(0),
            timeout_secs: AtomicU32::new(0),
            guests_enabled: AtomicBool::new(false),
            // Random start, so guests of a restarted server do not reuse the previous run's ids.
            next_guest: AtomicU64::new(
                u64::from_le_bytes(random_bytes()) >> 24 & (GUEST_ID_BIT / 2 - 1),
            ),
        }));
        issuer.apply(settings);
        issuer
    }

    /// Takes the hot-reloadable token settings.
    pub fn apply(&self, settings: &NetSettings) {
        self.0
            .expire_secs
            .store(settings.token_expire_secs, Ordering::Relaxed);
        self.0
            .timeout_secs
            .store(settings.connection_timeout_secs, Ordering::Relaxed);
        self.0
            .guests_enabled
            .store(settings.guest_tokens, Ordering::Relaxed);
    }

    pub fn server_addresses(&self) -> &[SocketAddr] {
        &self.0.server_addresses
    }

    /// Where new players' tokens send them ([`issue`](Self::issue), guests): this server unless
    /// [`enter_at`](Self::enter_at) said otherwise.
    pub fn entry_addresses(&self) -> Vec<SocketAddr> {
        self.read_entry().clone()
    }

    /// Sends new players to `lobby` (a fleet's every matchmaker, in order) instead of this server;
    /// an empty list: this server.
    pub fn enter_at(&self, lobby: &[SocketAddr]) {
        let entry = match lobby {
            [] => self.0.server_addresses.clone(),
            lobby => lobby.to_vec(),
        };
        *self
            .0
            .entry
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = entry;
    }

    fn read_entry(&self) -> std::sync::RwLockReadGuard<'_, Vec<SocketAddr>> {
        self.0
            .entry
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A token for `player_id`, valid from now for the configured lifetime.
    pub fn issue(&self, player_id: u64) -> Result<ConnectToken, IssueError> {
        let expire_secs = self.0.expire_secs.load(Ordering::Relaxed);
        self.issue_at(player_id, unix_now(), u64::from(expire_secs))
    }

    /// A token as if issued at `issued_at` (seconds since the Unix epoch) with `expire_secs` of life.
    pub fn issue_at(
        &self,
        player_id: u64,
        issued_at: Duration,
        expire_secs: u64,
    ) -> Result<ConnectToken, IssueError> {
        self.seal(
            &self.read_entry(),
            user_data_for_player(player_id),
            issued_at,
            expire_secs,
        )
    }

    /// A token for another server of the fleet at `server` (which shares this server's key).
    pub fn issue_for(
        &self,
        player_id: u64,
        server: &[SocketAddr],
        pass: TokenPass<'_>,
        expire_secs: u64,
    ) -> Result<ConnectToken, IssueError> {
        let mut user_data = user_data_for_player(player_id);
        match pass {
            TokenPass::Lobby => {}
            TokenPass::Seat(seat) => seat.write(&mut user_data)?,
            TokenPass::Requeue(requeue) => requeue.write(&mut user_data),
        }
        self.seal(server, user_data, unix_now(), expire_secs)
    }

    fn seal(
        &self,
        addresses: &[SocketAddr],
        user_data: [u8; USER_DATA_BYTES],
        issued_at: Duration,
        expire_secs: u64,
    ) -> Result<ConnectToken, IssueError> {
        if addresses.is_empty() || addresses.len() > MAX_TOKEN_ADDRESSES {
            return Err(IssueError::Addresses(addresses.len()));
        }
        let timeout_secs = self.0.timeout_secs.load(Ordering::Relaxed);
        let private = PrivateToken {
            // A fresh transport id per token; the player id travels in the sealed user data.
            client_id: u64::from_le_bytes(random_bytes()),
            timeout_seconds: i32::try_from(timeout_secs).unwrap_or(i32::MAX),
            server_addresses: addresses.to_vec(),
            client_to_server_key: random_bytes(),
            server_to_client_key: random_bytes(),
            user_data,
        };
        let created = issued_at.as_secs();
        Ok(ConnectToken::seal(
            &private,
            protocol_id(),
            created,
            created + expire_secs,
            &self.0.key,
        ))
    }

    /// A token for a new guest player, or `None` when `net.guest_tokens` is off.
    pub fn issue_guest(&self) -> Option<Result<GuestToken, IssueError>> {
        if !self.0.guests_enabled.load(Ordering::Relaxed) {
            return None;
        }
        let player_id = GUEST_ID_BIT | self.0.next_guest.fetch_add(1, Ordering::Relaxed);
        Some(self.issue(player_id).map(|token| GuestToken {
            player_id,
            token,
            expires_in_secs: self.0.expire_secs.load(Ordering::Relaxed),
        }))
    }
}

/// Netcode compares token expiry with Unix time.
pub fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Applies reloaded token settings (`guest_tokens`, lifetimes).
pub(super) fn sync_token_settings(settings: Res<NetSettings>, issuer: Res<TokenIssuer>) {
    issuer.apply(&settings);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(ports: &[u16]) -> Vec<SocketAddr> {
        ports
            .iter()
            .map(|port| SocketAddr::from(([127, 0, 0, 1], *port)))
            .collect()
    }

    #[test]
    fn new_players_are_sent_to_the_lobby_once_set_and_to_this_server_when_cleared() {
        let settings = NetSettings {
            guest_tokens: true,
            ..NetSettings::default()
        };
        let issuer = TokenIssuer::new([3; KEY_BYTES], addresses(&[7000]), &settings);
        let named = |issuer: &TokenIssuer| {
            let guest = issuer.issue_guest().expect("guests on").expect("issued");
            guest.token.server_addresses
        };
        assert_eq!(named(&issuer), addresses(&[7000]));
        issuer.enter_at(&addresses(&[7100, 7101]));
        assert_eq!(named(&issuer), addresses(&[7100, 7101]));
        assert_eq!(issuer.entry_addresses(), addresses(&[7100, 7101]));
        assert_eq!(
            issuer.server_addresses(),
            addresses(&[7000]),
            "still this server's own"
        );
        issuer.enter_at(&[]);
        assert_eq!(named(&issuer), addresses(&[7000]));
    }
}
