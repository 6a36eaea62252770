//! One connected client: its keys, sequence, replay memory and clocks.

use super::{Received, Refusal};
use arbiter_client::netcode::{
    Header, Outbound, PacketError, PacketKey, PacketKind, ReplayProtection, USER_DATA_BYTES,
    keep_alive_interval, open_packet,
};
use std::net::SocketAddr;
use std::time::Duration;

/// Laid out in the order written (`repr(C)`): what every packet reads or writes comes first, in
/// the first 192 bytes (three cache lines' worth); the token's user data, which nothing on the
/// packet path reads, comes last.
#[derive(Debug)]
#[repr(C)]
pub(super) struct Client {
    /// Whether the client answered since connecting; until then every payload is preceded by a
    /// keep-alive, which is what moves the client to *connected*.
    pub(super) confirmed: bool,
    pub(super) client_id: u64,
    pub(super) last_received: Duration,
    pub(super) last_sent: Duration,
    pub(super) replay: ReplayProtection,
    pub(super) receive_key: PacketKey,
    pub(super) outbound: Outbound,
    pub(super) address: SocketAddr,
    /// The standard's client index, sent in keep-alives.
    pub(super) index: u32,
    /// `None`: never times out (a token with negative timeout, for development).
    pub(super) timeout: Option<Duration>,
    pub(super) user_data: [u8; USER_DATA_BYTES],
}

impl Client {
    /// Reads a packet the client sent at `now`, decrypting it in place: once per sequence, and
    /// only the kinds a connected client sends. A disconnect is the caller's to carry out.
    pub(super) fn read<'p>(
        &mut self,
        header: &Header,
        packet: &'p mut [u8],
        now: Duration,
        protocol_id: u64,
    ) -> Result<Received<'p>, Refusal> {
        if !header.kind.replay_protected() {
            return Err(if header.kind == PacketKind::Response {
                Refusal::AlreadyConnected
            } else {
                Refusal::Unexpected
            });
        }
        if self.replay.already_received(header.sequence) {
            return Err(PacketError::Replayed.into());
        }
        let body = open_packet(packet, header, &self.receive_key, protocol_id)?;
        self.replay.advance(header.sequence);
        self.last_received = now;
        let client_id = self.client_id;
        match header.kind {
            PacketKind::KeepAlive => {
                self.confirmed = true;
                Ok(Received::Nothing)
            }
            PacketKind::Payload => {
                self.confirmed = true;
                Ok(Received::Payload {
                    client_id,
                    payload: body,
                })
            }
            _ => Ok(Received::Disconnected { client_id }),
        }
    }

    /// Writes a keep-alive: client index and max clients.
    pub(super) fn keep_alive(
        &mut self,
        out: &mut [u8],
        max_clients: usize,
        protocol_id: u64,
    ) -> usize {
        let mut data = [0u8; 8];
        data[..4].copy_from_slice(&self.index.to_le_bytes());
        data[4..].copy_from_slice(&u32::try_from(max_clients).unwrap_or(u32::MAX).to_le_bytes());
        self.outbound
            .write(out, PacketKind::KeepAlive, &data, protocol_id)
    }

    /// Whether a keep-alive is due: nothing was sent to the client for its keep-alive interval.
    pub(super) fn keep_alive_due(&self, now: Duration) -> bool {
        now.saturating_sub(self.last_sent) >= keep_alive_interval(self.timeout)
    }

    pub(super) fn timed_out(&self, now: Duration) -> bool {
        self.timeout
            .is_some_and(|timeout| now.saturating_sub(self.last_received) >= timeout)
    }
}

/// The timeout a token asks for; negative means none.
pub(super) fn timeout_of(timeout_seconds: i32) -> Option<Duration> {
    u64::try_from(timeout_seconds).ok().map(Duration::from_secs)
}
