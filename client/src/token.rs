//! Connect tokens as text: base64 of netcode's 2048-byte token, as `arbiter token` and
//! `POST /v1/tokens` hand them out.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use renetcode::ConnectToken;

/// Why a text token could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("token is not a netcode connect token: {0}")]
    Netcode(#[from] renetcode::NetcodeError),
}

/// Encodes a connect token as base64 text.
pub fn encode_token(token: &ConnectToken) -> String {
    let mut bytes = Vec::with_capacity(2048);
    token
        .write(&mut bytes)
        .unwrap_or_else(|error| unreachable!("writing to a Vec cannot fail: {error}"));
    STANDARD.encode(bytes)
}

/// Decodes a base64 connect token.
pub fn decode_token(text: &str) -> Result<ConnectToken, TokenError> {
    let bytes = STANDARD.decode(text.trim())?;
    Ok(ConnectToken::read(&mut bytes.as_slice())?)
}

/// Player id carried in a token's user data (its first 8 bytes, little-endian).
pub fn player_id_from_user_data(user_data: &[u8; renetcode::NETCODE_USER_DATA_BYTES]) -> u64 {
    let mut id = [0u8; 8];
    id.copy_from_slice(&user_data[..8]);
    u64::from_le_bytes(id)
}

/// User data carrying `player_id`, for the token issuer.
pub fn user_data_for_player(player_id: u64) -> [u8; renetcode::NETCODE_USER_DATA_BYTES] {
    let mut user_data = [0u8; renetcode::NETCODE_USER_DATA_BYTES];
    user_data[..8].copy_from_slice(&player_id.to_le_bytes());
    user_data
}
