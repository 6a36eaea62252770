//! Arbiter's netcode 1.02 server, written from the standard: the handshake, encrypted packets,
//! replay protection, keep-alives and timeouts. Connections are found by address and by client id
//! in O(1); capacity comes from config. Sockets stay outside: every packet to send goes through a
//! `send` callback, so the state machine is tested without one.
//!
//! Unlike renetcode's server it keeps sending a keep-alive before each payload until the client
//! answers (the standard's *confirmed* flag), so a lost keep-alive cannot strand a client
//! half-connected, and every packet it sends carries 1 to 8 sequence bytes.

mod client;
mod handshake;
mod request_limit;
mod table;

use arbiter_client::netcode::{
    Header, KEY_BYTES, MAX_PACKET_BYTES, PacketError, PacketKey, PacketKind, USER_DATA_BYTES,
    random_bytes,
};
use handshake::Handshakes;
use std::net::SocketAddr;
use std::time::Duration;
use table::ClientTable;

/// Every client's timeout and keep-alive are looked at within this much time: a slice of the clients
/// on each tick, not all of them (a lobby of 10,000 costs a sixth as much per tick at 60 Hz). A
/// timeout (seconds) or a keep-alive (a second) is at most this late.
const SWEEP: Duration = Duration::from_millis(100);
/// Disconnect packets sent at once, so one lost datagram does not leave the client waiting.
const REDUNDANT_DISCONNECTS: usize = 10;

/// Why a packet was ignored. Counted by label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Packet(#[from] PacketError),
    #[error("the token does not name this server's address")]
    NotForThisServer,
    #[error("this address or client id is connected already")]
    AlreadyConnected,
    #[error("the token was used from another address")]
    TokenReused,
    #[error("the server is full (told so)")]
    Full,
    #[error("the server admits no new clients now, a standby matchmaker (told so)")]
    NotAdmitting,
    #[error("too many handshakes in progress")]
    TooManyHandshakes,
    #[error("more connection requests from this address than net.connection_requests_per_sec")]
    RequestRateLimited,
    #[error("a packet type this side does not accept")]
    Unexpected,
    #[error("no connection or handshake from this address")]
    UnknownAddress,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Packet(error) => error.as_str(),
            Self::NotForThisServer => "not_for_this_server",
            Self::AlreadyConnected => "already_connected",
            Self::TokenReused => "token_reused",
            Self::Full => "full",
            Self::NotAdmitting => "not_admitting",
            Self::TooManyHandshakes => "too_many_handshakes",
            Self::RequestRateLimited => "request_rate_limited",
            Self::Unexpected => "unexpected",
            Self::UnknownAddress => "unknown_address",
        }
    }
}

/// What a packet meant to the application.
#[derive(Debug, PartialEq, Eq)]
pub enum Received<'a> {
    /// A handshake packet or a keep-alive: nothing for the application.
    Nothing,
    Connected {
        client_id: u64,
    },
    Payload {
        client_id: u64,
        payload: &'a [u8],
    },
    Disconnected {
        client_id: u64,
    },
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct NetcodeConfig {
    pub protocol_id: u64,
    /// The key tokens are sealed with; `None` (insecure mode) accepts tokens sealed with zeros for
    /// any address.
    pub private_key: Option<[u8; KEY_BYTES]>,
    pub public_addresses: Vec<SocketAddr>,
    pub max_clients: usize,
    /// Connection requests one address may send per second (and at once); the rest are refused
    /// before their token is decrypted.
    pub requests_per_sec_per_address: u32,
    /// Unix time at start; the server's clock then advances by [`NetcodeServer::update`].
    pub current_time: Duration,
}

/// The netcode server.
#[derive(Debug)]
pub struct NetcodeServer {
    config: NetcodeConfig,
    key: [u8; KEY_BYTES],
    time: Duration,
    handshakes: Handshakes,
    clients: ClientTable,
    /// The slot the sweep looked at last.
    swept: usize,
    out: Box<[u8; MAX_PACKET_BYTES]>,
    /// Whether new clients are let in; when not, their requests are denied (a standby
    /// matchmaker, whose clients belong to the leader: the denial sends them to the token's next
    /// address).
    admitting: bool,
}

impl NetcodeServer {
    pub fn new(config: NetcodeConfig) -> Self {
        Self {
            key: config.private_key.unwrap_or([0; KEY_BYTES]),
            time: config.current_time,
            handshakes: Handshakes::new(
                PacketKey::new(&random_bytes()),
                config.max_clients.saturating_mul(4).max(64),
                config.requests_per_sec_per_address,
            ),
            // No room reserved for `max_clients`: room reserved up front is touched page by page
            // as random client ids land in it, so the resident size crept up for as long as new
            // clients came (3 MB for 1,024). The tables grow with the population instead, at
            // connects, never per packet. Handshakes are boxed: a hash table whose entries come
            // and go settles at about twice its peak (removed entries leave marks until it
            // rehashes), and a doubling of ~1.4 KB buckets measured +383 KB of live heap in a
            // soak's waves of players (BENCHMARKS, 2026-12-05). Clients sit in a vector of slots
            // whose freed slots are reused, and its maps hold 4-byte indices.
            clients: ClientTable::default(),
            swept: 0,
            out: Box::new([0; MAX_PACKET_BYTES]),
            admitting: true,
            config,
        }
    }

    /// Lets new clients in, or denies them; connected clients stay either way.
    pub fn set_admitting(&mut self, admitting: bool) {
        self.admitting = admitting;
    }

    /// Why a new client is denied now, if it is.
    fn denial(&self) -> Option<Refusal> {
        if !self.admitting {
            Some(Refusal::NotAdmitting)
        } else if self.clients.len() >= self.config.max_clients {
            Some(Refusal::Full)
        } else {
            None
        }
    }

    pub fn client_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.clients.ids()
    }

    pub fn user_data(&self, client_id: u64) -> Option<&[u8; USER_DATA_BYTES]> {
        self.clients.get(client_id).map(|client| &client.user_data)
    }

    pub fn client_addr(&self, client_id: u64) -> Option<SocketAddr> {
        self.clients.get(client_id).map(|client| client.address)
    }

    /// Reads one datagram from `from`. Replies (challenge, keep-alive, denied) go out through
    /// `send`; a payload is returned to the caller, decrypted in place in `packet`.
    pub fn process<'p>(
        &mut self,
        from: SocketAddr,
        packet: &'p mut [u8],
        send: &mut impl FnMut(&[u8], SocketAddr),
    ) -> Result<Received<'p>, Refusal> {
        if packet.first() == Some(&(PacketKind::Request as u8)) {
            return self.process_request(from, packet, send);
        }
        let header = Header::read(packet)?;
        let (now, protocol_id) = (self.time, self.config.protocol_id);
        if let Some(client) = self.clients.at_address(from) {
            let received = client.read(&header, packet, now, protocol_id);
            if let Ok(Received::Disconnected { client_id }) = received {
                self.clients.remove(client_id);
            }
            return received;
        }
        if header.kind != PacketKind::Response {
            return Err(Refusal::UnknownAddress);
        }
        self.process_response(from, &header, packet, send)
    }

    /// Sends `payload` to a connected client, preceded by a keep-alive while the client has not
    /// answered yet. Returns whether the client exists.
    pub fn send_payload(
        &mut self,
        client_id: u64,
        payload: &[u8],
        send: &mut impl FnMut(&[u8], SocketAddr),
    ) -> bool {
        let Some(client) = self.clients.get_mut(client_id) else {
            return false;
        };
        if !client.confirmed {
            let len = client.keep_alive(
                &mut self.out[..],
                self.config.max_clients,
                self.config.protocol_id,
            );
            send(&self.out[..len], client.address);
        }
        let len = client.outbound.write(
            &mut self.out[..],
            PacketKind::Payload,
            payload,
            self.config.protocol_id,
        );
        client.last_sent = self.time;
        send(&self.out[..len], client.address);
        true
    }

    /// Advances the clock: keep-alives to quiet clients, timeouts, stale handshakes. Returns the
    /// clients that timed out (they were told with disconnect packets).
    pub fn update(
        &mut self,
        elapsed: Duration,
        send: &mut impl FnMut(&[u8], SocketAddr),
    ) -> Vec<u64> {
        self.time += elapsed;
        let (time, protocol_id, max_clients) =
            (self.time, self.config.protocol_id, self.config.max_clients);
        let slots = self.clients.slot_count();
        let share = (slots as u128 * elapsed.as_nanos()).div_ceil(SWEEP.as_nanos());
        let visits = usize::try_from(share).map_or(slots, |share| share.min(slots));
        let mut timed_out = Vec::new();
        for _ in 0..visits {
            self.swept = (self.swept + 1) % slots;
            let Some(client) = self.clients.slot_mut(self.swept) else {
                continue;
            };
            if client.timed_out(time) {
                timed_out.push(client.client_id);
            } else if client.keep_alive_due(time) {
                let len = client.keep_alive(&mut self.out[..], max_clients, protocol_id);
                client.last_sent = time;
                send(&self.out[..len], client.address);
            }
        }
        for &client_id in &timed_out {
            self.disconnect(client_id, send);
        }
        self.handshakes.expire(time);
        timed_out
    }

    /// Tells a client it is disconnected (several packets) and frees its slot.
    pub fn disconnect(&mut self, client_id: u64, send: &mut impl FnMut(&[u8], SocketAddr)) {
        let Some(client) = self.clients.get_mut(client_id) else {
            return;
        };
        for _ in 0..REDUNDANT_DISCONNECTS {
            let len = client.outbound.write(
                &mut self.out[..],
                PacketKind::Disconnect,
                &[],
                self.config.protocol_id,
            );
            send(&self.out[..len], client.address);
        }
        self.clients.remove(client_id);
    }
}

#[cfg(test)]
mod tests;
