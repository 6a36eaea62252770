//! Connect tokens as text: base64 of netcode 1.02's 2,048-byte public connect token, as
//! `arbiter token` and `POST /v1/tokens` hand them out.

use crate::netcode::{ConnectToken, KEY_BYTES, PrivateToken, USER_DATA_BYTES, random_bytes};
use arbiter_components::protocol::protocol_id;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds of silence before an insecure connection drops.
const INSECURE_TIMEOUT_SECS: i32 = 15;

/// Why a text token could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("token is not a netcode 1.02 connect token: {0}")]
    Netcode(#[from] crate::netcode::TokenError),
}

/// Encodes a connect token as base64 text.
pub fn encode_token(token: &ConnectToken) -> String {
    STANDARD.encode(token.to_bytes())
}

/// Decodes a base64 connect token.
pub fn decode_token(text: &str) -> Result<ConnectToken, TokenError> {
    let bytes = STANDARD.decode(text.trim())?;
    Ok(ConnectToken::from_bytes(&bytes)?)
}

/// A token for a server running with `net.insecure = true` (development only): sealed with the
/// all-zero key, so anyone can make one, for any player id. A secure server refuses it.
pub fn insecure_token(player_id: u64, server: SocketAddr) -> ConnectToken {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let private = PrivateToken {
        client_id: u64::from_le_bytes(random_bytes()),
        timeout_seconds: INSECURE_TIMEOUT_SECS,
        server_addresses: vec![server],
        client_to_server_key: random_bytes(),
        server_to_client_key: random_bytes(),
        user_data: user_data_for_player(player_id),
    };
    ConnectToken::seal(&private, protocol_id(), now, now + 300, &[0; KEY_BYTES])
}

/// Player id carried in a token's user data (its first 8 bytes, little-endian).
pub fn player_id_from_user_data(user_data: &[u8; USER_DATA_BYTES]) -> u64 {
    let mut id = [0u8; 8];
    id.copy_from_slice(&user_data[..8]);
    u64::from_le_bytes(id)
}

/// User data carrying `player_id`, for the token issuer.
pub fn user_data_for_player(player_id: u64) -> [u8; USER_DATA_BYTES] {
    let mut user_data = [0u8; USER_DATA_BYTES];
    user_data[..8].copy_from_slice(&player_id.to_le_bytes());
    user_data
}
