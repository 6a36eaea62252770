//! A netcode 1.02 client: the handshake (request, challenge response) at 10 Hz, payloads and
//! keep-alives (about once a second) once connected, replay protection and the standard's
//! timeouts. Sockets stay with the caller: it hands in what arrived and sends what this returns.

use super::packet::{Header, Outbound, open_packet};
use super::{
    CHALLENGE_TOKEN_BYTES, ConnectToken, ConnectionRequest, MAX_PACKET_BYTES, PacketKey,
    PacketKind, ReplayProtection,
};
use std::net::SocketAddr;
use std::time::Duration;

/// How often handshake packets are sent (the standard's "some rate, like 10 Hz").
const HANDSHAKE_INTERVAL: Duration = Duration::from_millis(100);

/// How often a connected peer that sent nothing else sends a keep-alive, at most. The standard
/// leaves the rate open ("some rate, like 10 Hz"); what ends a connection is its timeout, seconds
/// long, and every datagram of an idle player (a lobby) costs the server, so once a second.
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(1);

/// The keep-alive interval for a connection with `timeout` (`None`: never times out): once a
/// second, or four times per timeout when that is shorter, so one lost keep-alive never ends a
/// connection (a token may carry a timeout of one second).
pub fn keep_alive_interval(timeout: Option<Duration>) -> Duration {
    timeout.map_or(KEEP_ALIVE_INTERVAL, |timeout| {
        KEEP_ALIVE_INTERVAL.min(timeout / 4)
    })
}

/// Why a client stopped (the standard's negative states, and the two ways of leaving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DisconnectReason {
    #[error("the connect token expired before a server answered")]
    TokenExpired,
    #[error("no server answered the connection request")]
    RequestTimedOut,
    #[error("no server answered the challenge response")]
    ResponseTimedOut,
    #[error("the server is full")]
    Denied,
    #[error("the server went silent")]
    TimedOut,
    #[error("the server disconnected the client")]
    ByServer,
    #[error("the client disconnected")]
    ByClient,
}

impl DisconnectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisconnectReason::TokenExpired => "token_expired",
            DisconnectReason::RequestTimedOut => "request_timed_out",
            DisconnectReason::ResponseTimedOut => "response_timed_out",
            DisconnectReason::Denied => "denied",
            DisconnectReason::TimedOut => "timed_out",
            DisconnectReason::ByServer => "by_server",
            DisconnectReason::ByClient => "by_client",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SendingRequest,
    SendingResponse,
    Connected,
    Disconnected(DisconnectReason),
}

/// One connection to one of the token's servers.
#[derive(Debug)]
pub struct NetcodeClient {
    token: ConnectToken,
    server: usize,
    outbound: Outbound,
    receive_key: PacketKey,
    state: State,
    /// Time since the client started.
    time: Duration,
    state_since: Duration,
    last_sent: Option<Duration>,
    last_received: Duration,
    replay: ReplayProtection,
    /// The challenge's sequence and token, echoed in the response.
    challenge: [u8; 8 + CHALLENGE_TOKEN_BYTES],
    out: Box<[u8; MAX_PACKET_BYTES]>,
}

impl NetcodeClient {
    pub fn new(token: ConnectToken) -> Self {
        Self {
            outbound: Outbound::new(&token.client_to_server_key),
            receive_key: PacketKey::new(&token.server_to_client_key),
            token,
            server: 0,
            state: State::SendingRequest,
            time: Duration::ZERO,
            state_since: Duration::ZERO,
            last_sent: None,
            last_received: Duration::ZERO,
            replay: ReplayProtection::default(),
            challenge: [0; 8 + CHALLENGE_TOKEN_BYTES],
            out: Box::new([0; MAX_PACKET_BYTES]),
        }
    }

    /// The server this client is talking to.
    pub fn server_addr(&self) -> SocketAddr {
        self.token.server_addresses[self.server]
    }

    /// Time since the client started.
    pub fn current_time(&self) -> Duration {
        self.time
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// How long nothing was sent to the server (keep-alives included); `None` before the first.
    pub fn quiet_for(&self) -> Option<Duration> {
        self.last_sent.map(|sent| self.time.saturating_sub(sent))
    }

    pub fn is_connecting(&self) -> bool {
        matches!(self.state, State::SendingRequest | State::SendingResponse)
    }

    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        match self.state {
            State::Disconnected(reason) => Some(reason),
            _ => None,
        }
    }

    /// Reads one datagram from the server; returns the payload it carried, if any.
    pub fn process<'p>(&mut self, packet: &'p mut [u8]) -> Option<&'p [u8]> {
        if matches!(self.state, State::Disconnected(_)) {
            return None;
        }
        let header = Header::read(packet).ok()?;
        if header.kind.replay_protected() && self.replay.already_received(header.sequence) {
            return None;
        }
        let protocol_id = self.token.protocol_id;
        let body = open_packet(packet, &header, &self.receive_key, protocol_id).ok()?;
        if header.kind.replay_protected() {
            self.replay.advance(header.sequence);
        }
        match (header.kind, self.state) {
            (PacketKind::Challenge, State::SendingRequest) => {
                self.challenge.copy_from_slice(body);
                self.enter(State::SendingResponse);
                self.last_sent = None;
            }
            (PacketKind::Denied, State::SendingRequest | State::SendingResponse) => {
                // As the standard's reference client does: a denial moves on to the next server.
                self.next_server_or(DisconnectReason::Denied);
                return None;
            }
            (PacketKind::KeepAlive, State::SendingResponse) => self.enter(State::Connected),
            (PacketKind::KeepAlive, State::Connected) => {}
            (PacketKind::Payload, State::Connected) => {
                self.last_received = self.time;
                return Some(body);
            }
            (PacketKind::Disconnect, State::Connected) => {
                self.enter(State::Disconnected(DisconnectReason::ByServer));
                return None;
            }
            _ => return None,
        }
        self.last_received = self.time;
        None
    }

    /// Advances the clock; returns the handshake packet or keep-alive that is due, if any.
    pub fn update(&mut self, elapsed: Duration) -> Option<&[u8]> {
        self.time += elapsed;
        let timeout = u64::try_from(self.token.timeout_seconds)
            .ok()
            .map(Duration::from_secs);
        let lifetime = Duration::from_secs(
            self.token
                .expire_timestamp
                .saturating_sub(self.token.create_timestamp),
        );
        let now = self.time;
        let quiet = |since: Duration| timeout.is_some_and(|timeout| now - since >= timeout);
        match self.state {
            State::Disconnected(_) => return None,
            State::SendingRequest | State::SendingResponse if now >= lifetime => {
                self.enter(State::Disconnected(DisconnectReason::TokenExpired));
                return None;
            }
            State::SendingRequest | State::SendingResponse if quiet(self.state_since) => {
                let reason = match self.state {
                    State::SendingRequest => DisconnectReason::RequestTimedOut,
                    _ => DisconnectReason::ResponseTimedOut,
                };
                if !self.next_server_or(reason) {
                    return None;
                }
            }
            State::Connected if quiet(self.last_received) => {
                self.enter(State::Disconnected(DisconnectReason::TimedOut));
                return None;
            }
            _ => {}
        }
        let interval = match self.state {
            State::Connected => keep_alive_interval(timeout),
            _ => HANDSHAKE_INTERVAL,
        };
        if self
            .last_sent
            .is_some_and(|sent| self.time - sent < interval)
        {
            return None;
        }
        self.last_sent = Some(self.time);
        match self.state {
            State::SendingRequest => {
                let request = ConnectionRequest::write(
                    self.token.protocol_id,
                    self.token.expire_timestamp,
                    &self.token.nonce,
                    &self.token.private_data,
                );
                self.out[..request.len()].copy_from_slice(&request);
                Some(&self.out[..request.len()])
            }
            State::SendingResponse => {
                let challenge = self.challenge;
                Some(self.write(PacketKind::Response, &challenge))
            }
            State::Connected => Some(self.write(PacketKind::KeepAlive, &[0; 8])),
            State::Disconnected(_) => None,
        }
    }

    /// A payload packet carrying `payload` (1 to 1,200 bytes), when connected.
    pub fn payload(&mut self, payload: &[u8]) -> Option<&[u8]> {
        if self.state != State::Connected || payload.is_empty() {
            return None;
        }
        self.last_sent = Some(self.time);
        Some(self.write(PacketKind::Payload, payload))
    }

    /// Leaves: returns the disconnect packet to send (a few times, as the standard suggests).
    pub fn disconnect(&mut self) -> Option<&[u8]> {
        let was_connected = self.state == State::Connected;
        self.enter(State::Disconnected(DisconnectReason::ByClient));
        was_connected.then(|| self.write(PacketKind::Disconnect, &[]))
    }

    fn write(&mut self, kind: PacketKind, data: &[u8]) -> &[u8] {
        let len = self
            .outbound
            .write(&mut self.out[..], kind, data, self.token.protocol_id);
        &self.out[..len]
    }

    fn enter(&mut self, state: State) {
        self.state = state;
        self.state_since = self.time;
    }

    /// Starts over with the token's next server; stops for `reason` when none is left. Whether a
    /// next server was taken.
    fn next_server_or(&mut self, reason: DisconnectReason) -> bool {
        if self.server + 1 < self.token.server_addresses.len() {
            self.server += 1;
            self.replay = ReplayProtection::default();
            self.enter(State::SendingRequest);
            self.last_sent = None;
            true
        } else {
            self.enter(State::Disconnected(reason));
            false
        }
    }
}

#[cfg(test)]
mod tests;
