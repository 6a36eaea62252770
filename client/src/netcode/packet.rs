//! Packets: the clear connection request, and the encrypted packets whose prefix byte carries the
//! type (low nibble) and the number of sequence bytes (high nibble).

use super::crypto::PacketKey;
use super::{
    CHALLENGE_TOKEN_BYTES, KEY_BYTES, MAC_BYTES, PRIVATE_TOKEN_BYTES, REQUEST_PACKET_BYTES,
    TOKEN_NONCE_BYTES, TOLERATED_PAYLOAD_BYTES, USER_DATA_BYTES, VERSION_INFO,
};

/// The seven packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketKind {
    Request = 0,
    Denied = 1,
    Challenge = 2,
    Response = 3,
    KeepAlive = 4,
    Payload = 5,
    Disconnect = 6,
}

impl PacketKind {
    fn from_nibble(nibble: u8) -> Option<Self> {
        Some(match nibble {
            0 => Self::Request,
            1 => Self::Denied,
            2 => Self::Challenge,
            3 => Self::Response,
            4 => Self::KeepAlive,
            5 => Self::Payload,
            6 => Self::Disconnect,
            _ => return None,
        })
    }

    /// Whether the per-packet data has the size this type requires.
    fn body_size_fits(self, len: usize) -> bool {
        match self {
            Self::Request => false,
            Self::Denied | Self::Disconnect => len == 0,
            Self::Challenge | Self::Response => len == 8 + CHALLENGE_TOKEN_BYTES,
            Self::KeepAlive => len == 8,
            Self::Payload => (1..=TOLERATED_PAYLOAD_BYTES).contains(&len),
        }
    }

    /// Whether replay protection applies (keep-alive, payload, disconnect).
    pub fn replay_protected(self) -> bool {
        matches!(self, Self::KeepAlive | Self::Payload | Self::Disconnect)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Denied => "denied",
            Self::Challenge => "challenge",
            Self::Response => "response",
            Self::KeepAlive => "keep_alive",
            Self::Payload => "payload",
            Self::Disconnect => "disconnect",
        }
    }
}

/// Why a packet was ignored; the label names a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("too small to be a netcode packet")]
    TooSmall,
    #[error("unknown packet type")]
    UnknownType,
    #[error("sequence byte count outside 1 to 8")]
    SequenceBytes,
    #[error("not the version, protocol or size this server speaks")]
    WrongProtocol,
    #[error("connect token expired")]
    Expired,
    #[error("does not decrypt (forged, altered, or for another connection)")]
    Unauthentic,
    #[error("per-packet data of the wrong size for its type")]
    BodySize,
    #[error("replayed or too old")]
    Replayed,
}

impl PacketError {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooSmall => "too_small",
            Self::UnknownType => "unknown_type",
            Self::SequenceBytes => "sequence_bytes",
            Self::WrongProtocol => "wrong_protocol",
            Self::Expired => "expired",
            Self::Unauthentic => "unauthentic",
            Self::BodySize => "body_size",
            Self::Replayed => "replayed",
        }
    }
}

/// The clear header of an encrypted packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind: PacketKind,
    pub sequence: u64,
    /// Where the encrypted per-packet data starts.
    body_start: usize,
}

impl Header {
    /// Reads the prefix and sequence, with the standard's checks up to decryption. A sequence of
    /// zero bytes is read as sequence 0: renetcode clients send their first packets that way.
    pub fn read(packet: &[u8]) -> Result<Self, PacketError> {
        if packet.len() < 18 {
            return Err(PacketError::TooSmall);
        }
        let prefix = packet[0];
        let kind = PacketKind::from_nibble(prefix & 0x0f).ok_or(PacketError::UnknownType)?;
        if kind == PacketKind::Request {
            return Err(PacketError::UnknownType);
        }
        let sequence_bytes = usize::from(prefix >> 4);
        if sequence_bytes > 8 {
            return Err(PacketError::SequenceBytes);
        }
        if packet.len() < 1 + sequence_bytes + MAC_BYTES {
            return Err(PacketError::TooSmall);
        }
        let mut sequence = [0u8; 8];
        sequence[..sequence_bytes].copy_from_slice(&packet[1..1 + sequence_bytes]);
        Ok(Self {
            kind,
            sequence: u64::from_le_bytes(sequence),
            body_start: 1 + sequence_bytes,
        })
    }
}

/// Associated data of a packet: version info, protocol id, prefix byte.
fn additional_data(protocol_id: u64, prefix: u8) -> [u8; 22] {
    let mut data = [0u8; 22];
    data[..13].copy_from_slice(VERSION_INFO);
    data[13..21].copy_from_slice(&protocol_id.to_le_bytes());
    data[21] = prefix;
    data
}

/// Decrypts an encrypted packet in place and checks its data size; returns the per-packet data.
pub fn open_packet<'a>(
    packet: &'a mut [u8],
    header: &Header,
    key: &PacketKey,
    protocol_id: u64,
) -> Result<&'a [u8], PacketError> {
    let aad = additional_data(protocol_id, packet[0]);
    let body = &mut packet[header.body_start..];
    key.open(header.sequence, &aad, body)
        .map_err(|_| PacketError::Unauthentic)?;
    let body = &body[..body.len() - MAC_BYTES];
    if !header.kind.body_size_fits(body.len()) {
        return Err(PacketError::BodySize);
    }
    Ok(body)
}

/// Writes an encrypted packet of `kind` with `data` into `out`; returns its length. The sequence
/// always takes 1 to 8 bytes, as the standard requires (sequence 0 takes one).
pub fn write_packet(
    out: &mut [u8],
    kind: PacketKind,
    sequence: u64,
    data: &[u8],
    key: &PacketKey,
    protocol_id: u64,
) -> usize {
    let sequence_bytes = (8 - sequence.leading_zeros() as usize / 8).max(1);
    let prefix = (sequence_bytes as u8) << 4 | kind as u8;
    let body_start = 1 + sequence_bytes;
    let len = body_start + data.len() + MAC_BYTES;
    out[0] = prefix;
    out[1..body_start].copy_from_slice(&sequence.to_le_bytes()[..sequence_bytes]);
    out[body_start..body_start + data.len()].copy_from_slice(data);
    key.seal(
        sequence,
        &additional_data(protocol_id, prefix),
        &mut out[body_start..len],
    );
    len
}

/// One direction of a connection, for the side that writes it: the key and the next sequence
/// number. Every packet takes the next sequence, as the receiver's replay protection requires.
#[derive(Debug)]
pub struct Outbound {
    key: PacketKey,
    sequence: u64,
}

impl Outbound {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self {
            key: PacketKey::new(key),
            sequence: 0,
        }
    }

    /// Writes the next packet of `kind` carrying `data` into `out`; returns its length.
    pub fn write(
        &mut self,
        out: &mut [u8],
        kind: PacketKind,
        data: &[u8],
        protocol_id: u64,
    ) -> usize {
        let len = write_packet(out, kind, self.sequence, data, &self.key, protocol_id);
        self.sequence += 1;
        len
    }
}

/// A connection request, its clear fields checked for size, version and protocol.
#[derive(Debug)]
pub struct ConnectionRequest<'a> {
    pub expire_timestamp: u64,
    pub nonce: &'a [u8; TOKEN_NONCE_BYTES],
    pub private_data: &'a [u8; PRIVATE_TOKEN_BYTES],
}

impl<'a> ConnectionRequest<'a> {
    pub fn read(packet: &'a [u8], protocol_id: u64) -> Result<Self, PacketError> {
        if packet.len() != REQUEST_PACKET_BYTES || packet[0] != PacketKind::Request as u8 {
            return Err(PacketError::WrongProtocol);
        }
        let (version, rest) = packet[1..].split_at(13);
        let (protocol, rest) = rest.split_at(8);
        if version != VERSION_INFO || protocol != protocol_id.to_le_bytes() {
            return Err(PacketError::WrongProtocol);
        }
        let (expire, rest) = rest.split_at(8);
        let (nonce, private_data) = rest.split_at(TOKEN_NONCE_BYTES);
        let as_array = |_| PacketError::WrongProtocol;
        Ok(Self {
            expire_timestamp: u64::from_le_bytes(expire.try_into().map_err(as_array)?),
            nonce: nonce.try_into().map_err(as_array)?,
            private_data: private_data.try_into().map_err(as_array)?,
        })
    }

    /// The request as a client writes it.
    pub fn write(
        protocol_id: u64,
        expire_timestamp: u64,
        nonce: &[u8; TOKEN_NONCE_BYTES],
        private_data: &[u8; PRIVATE_TOKEN_BYTES],
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(REQUEST_PACKET_BYTES);
        out.push(PacketKind::Request as u8);
        out.extend_from_slice(VERSION_INFO);
        out.extend_from_slice(&protocol_id.to_le_bytes());
        out.extend_from_slice(&expire_timestamp.to_le_bytes());
        out.extend_from_slice(nonce);
        out.extend_from_slice(private_data);
        out
    }
}

/// What a challenge token proves: this client id, with this user data, asked from this address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeToken {
    pub client_id: u64,
    pub user_data: [u8; USER_DATA_BYTES],
}

/// The encrypted 300 bytes of a challenge token.
pub fn seal_challenge_token(
    token: &ChallengeToken,
    sequence: u64,
    key: &PacketKey,
) -> [u8; CHALLENGE_TOKEN_BYTES] {
    let mut sealed = [0u8; CHALLENGE_TOKEN_BYTES];
    sealed[..8].copy_from_slice(&token.client_id.to_le_bytes());
    sealed[8..8 + USER_DATA_BYTES].copy_from_slice(&token.user_data);
    key.seal(sequence, &[], &mut sealed);
    sealed
}

/// Decrypts a challenge token; fails unless this server sealed it with `sequence`.
pub fn open_challenge_token(
    sealed: &[u8],
    sequence: u64,
    key: &PacketKey,
) -> Result<ChallengeToken, PacketError> {
    let mut plain: [u8; CHALLENGE_TOKEN_BYTES] =
        sealed.try_into().map_err(|_| PacketError::BodySize)?;
    key.open(sequence, &[], &mut plain)
        .map_err(|_| PacketError::Unauthentic)?;
    let mut client_id = [0u8; 8];
    client_id.copy_from_slice(&plain[..8]);
    let mut user_data = [0u8; USER_DATA_BYTES];
    user_data.copy_from_slice(&plain[8..8 + USER_DATA_BYTES]);
    Ok(ChallengeToken {
        client_id: u64::from_le_bytes(client_id),
        user_data,
    })
}

#[cfg(test)]
mod tests;
