//! The netcode 1.02 wire format, written from the standard (mas-bandwidth/netcode `STANDARD.md`):
//! connect tokens, challenge tokens, packet headers, packet encryption and replay protection.
//! The server's state machine uses it; so can any client. Every reader takes untrusted bytes and
//! answers with an error, never a panic.

mod client;
mod crypto;
mod packet;
mod replay;
mod token;

pub use client::{DisconnectReason, KEEP_ALIVE_INTERVAL, NetcodeClient, keep_alive_interval};
pub use crypto::{PacketKey, random_bytes};
pub use packet::{
    ChallengeToken, ConnectionRequest, Header, Outbound, PacketError, PacketKind,
    open_challenge_token, open_packet, seal_challenge_token, write_packet,
};
pub use replay::ReplayProtection;
pub use token::{ConnectToken, PrivateToken, TokenError};

/// "NETCODE 1.02" with its null terminator, at the start of tokens and requests.
pub const VERSION_INFO: &[u8; 13] = b"NETCODE 1.02\0";
/// Bytes of a key: the server's private key and the per-connection packet keys.
pub const KEY_BYTES: usize = 32;
/// Bytes of application data a token carries to the server (Arbiter: the player id).
pub const USER_DATA_BYTES: usize = 256;
/// Bytes of a public connect token, as a client receives it.
pub const CONNECT_TOKEN_BYTES: usize = 2048;
/// Bytes of the encrypted private part of a connect token.
pub const PRIVATE_TOKEN_BYTES: usize = 1024;
/// Bytes of the token nonce (XChaCha20-Poly1305).
pub const TOKEN_NONCE_BYTES: usize = 24;
/// Bytes of an encrypted challenge token.
pub const CHALLENGE_TOKEN_BYTES: usize = 300;
/// Bytes of an authentication tag.
pub const MAC_BYTES: usize = 16;
/// The largest payload the standard lets one payload packet carry.
pub const MAX_PAYLOAD_BYTES: usize = 1200;
/// The largest payload accepted: renet's packets reach a little past 1,200 bytes when a message is
/// sliced, and renetcode allows 1,300, so a renetcode peer's packet is not refused for that.
pub const TOLERATED_PAYLOAD_BYTES: usize = 1300;
/// The largest packet: prefix, 8 sequence bytes, the largest tolerated payload, the tag.
pub const MAX_PACKET_BYTES: usize = 1 + 8 + TOLERATED_PAYLOAD_BYTES + MAC_BYTES;
/// The exact size of a connection request packet.
pub const REQUEST_PACKET_BYTES: usize = 1 + 13 + 8 + 8 + TOKEN_NONCE_BYTES + PRIVATE_TOKEN_BYTES;
