//! Connect tokens as text: base64 of netcode 1.02's 2,048-byte public connect token, as
//! `arbiter token` and `POST /v1/tokens` hand them out.

use crate::netcode::{ConnectToken, USER_DATA_BYTES};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

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

/// The token as renetcode's client takes it (its own layout, with a client id the server ignores).
pub fn to_renetcode(token: ConnectToken) -> renetcode::ConnectToken {
    let mut server_addresses = [None; 32];
    for (slot, address) in server_addresses.iter_mut().zip(token.server_addresses) {
        *slot = Some(address);
    }
    renetcode::ConnectToken {
        client_id: 0,
        version_info: *crate::netcode::VERSION_INFO,
        protocol_id: token.protocol_id,
        create_timestamp: token.create_timestamp,
        expire_timestamp: token.expire_timestamp,
        xnonce: token.nonce,
        server_addresses,
        client_to_server_key: token.client_to_server_key,
        server_to_client_key: token.server_to_client_key,
        private_data: *token.private_data,
        timeout_seconds: token.timeout_seconds,
    }
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
