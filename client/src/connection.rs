//! A connection to an Arbiter server: netcode handshake and encryption, renet channels, and the
//! protocol's messages.

use crate::bundle::{Bundler, Frame, MAX_MESSAGE_FRAME_BYTES, frames};
use crate::conditioner::LinkConditioner;
use crate::fleet::FleetPath;
use crate::message_queue::MessageQueue;
use crate::netcode::{ConnectToken, DisconnectReason, MAX_PACKET_BYTES, NetcodeClient};
use crate::renet_clock::catch_up;
use crate::send_pace::SendPace;
use crate::server_socket::ServerSocket;
use crate::snapshots::SnapshotHistory;
use arbiter_components::protocol::{
    ClientChannel, ClientMessage, EntityState, ServerChannel, ServerMessage, connection_config,
    decode_server, encode, read_delta_snapshot,
};
use renet::RenetClient;
use std::net::SocketAddr;
use std::time::Duration;

/// Disconnect packets sent on leaving, so one lost datagram does not leave the server waiting.
const REDUNDANT_DISCONNECTS: usize = 3;

/// Bytes per update a client may send; inputs and commands are small.
const CLIENT_SEND_BUDGET: u64 = 16 * 1024;

/// What went wrong with a connection.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("disconnected: {0}")]
    Disconnected(DisconnectReason),
}

/// One client connection. Drive it with [`update`](Self::update) and [`flush`](Self::flush) once per
/// frame; read what arrived with [`receive`](Self::receive).
pub struct ArbiterClient {
    socket: ServerSocket,
    netcode: NetcodeClient,
    renet: RenetClient,
    /// The time renet was brought up to ([`catch_up`]): it is touched only for commands and
    /// events, not for a frame's input and snapshot.
    renet_clock: Duration,
    /// renet was handed packets since its messages were last read.
    renet_fed: bool,
    buffer: Box<[u8; MAX_PACKET_BYTES]>,
    /// Simulated network, applied to both directions.
    link: Option<(LinkConditioner, LinkConditioner)>,
    /// Packs each flush's messages and renet packets into one payload (see [`crate::bundle`]).
    bundler: Bundler,
    /// The Input channel's messages (inputs, snapshot acknowledgements), which go outside renet.
    unreliable: MessageQueue,
    /// Reconstructs delta snapshots and knows which one to acknowledge.
    snapshots: SnapshotHistory,
    received: Vec<ServerMessage>,
    malformed_received: u64,
    /// Datagrams handed to the socket (or the simulated link) so far, disconnects aside.
    datagrams_sent: u64,
    /// A fleet's redirects and fallbacks, followed by the client itself.
    fleet: FleetPath,
    /// When renet's packets go out.
    pace: SendPace,
}

impl std::fmt::Debug for ArbiterClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ArbiterClient")
            .field("server", &self.netcode.server_addr())
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

impl ArbiterClient {
    /// Starts connecting with a token from the server (`POST /v1/tokens`, `arbiter token`, or the
    /// game's login service), on a fresh socket. `link` simulates latency, jitter and loss.
    pub fn connect(
        token: ConnectToken,
        link: Option<LinkConditioner>,
    ) -> Result<Self, ClientError> {
        let socket = ServerSocket::open()?;
        let config = connection_config(CLIENT_SEND_BUDGET);
        Ok(Self {
            socket,
            netcode: NetcodeClient::new(token),
            renet: RenetClient::new(config.clone()),
            renet_clock: Duration::ZERO,
            renet_fed: false,
            pace: SendPace::new(&config),
            buffer: Box::new([0; MAX_PACKET_BYTES]),
            link: link.map(|link| (link.clone(), link.other_direction())),
            bundler: Bundler::default(),
            unreliable: MessageQueue::default(),
            snapshots: SnapshotHistory::default(),
            received: Vec::new(),
            malformed_received: 0,
            datagrams_sent: 0,
            fleet: FleetPath::default(),
        })
    }

    /// Replaces the connection with a new one for `token` (after a drop, within the server's grace
    /// period the player resumes its entity).
    pub fn reconnect(&mut self, token: ConnectToken) -> Result<(), ClientError> {
        let link = self.link.as_ref().map(|(outgoing, _)| outgoing.clone());
        *self = Self::connect(token, link)?;
        Ok(())
    }

    /// Puts the connection behind `link` from now on (or no simulated link): a network that
    /// degrades mid-session. Datagrams held by the old link are dropped.
    pub fn set_link(&mut self, link: Option<LinkConditioner>) {
        self.link = link.map(|link| (link.clone(), link.other_direction()));
    }

    pub fn is_connected(&self) -> bool {
        self.netcode.is_connected()
    }

    pub fn is_connecting(&self) -> bool {
        self.netcode.is_connecting()
    }

    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        self.netcode.disconnect_reason()
    }

    /// Round-trip time to the server in milliseconds, as renet measures it: from the server's
    /// acknowledgements of reliable messages (commands, pings), the only ones renet carries
    /// from the client.
    pub fn rtt_ms(&self) -> f64 {
        self.renet.rtt() * 1000.0
    }

    /// Server messages and bundles that could not be decoded so far (a protocol mismatch if ever
    /// non-zero).
    pub fn malformed_received(&self) -> u64 {
        self.malformed_received
    }

    /// Datagrams sent to the server so far (handshake, keep-alives, payloads; on every server of
    /// a fleet's path): what pacing an idle connection saves shows here.
    pub fn datagrams_sent(&self) -> u64 {
        self.datagrams_sent
    }

    /// Advances the connection by `elapsed`: reads datagrams, runs the handshake and keep-alives,
    /// and collects arrived messages for [`receive`](Self::receive).
    ///
    /// A fleet's `Redirect` is followed at once (the message is still handed over), and when the
    /// server goes silent the last `Fallback` token is used instead of failing.
    pub fn update(&mut self, elapsed: Duration) -> Result<(), ClientError> {
        if let Some(reason) = self.netcode.disconnect_reason() {
            // The server went silent, refused or closed: the fleet's way back, if any. Not when
            // the application itself left.
            let fallback = (reason != DisconnectReason::ByClient)
                .then(|| self.fleet.take_fallback())
                .flatten();
            if let Some(fallback) = fallback {
                return self.move_to(fallback);
            }
            self.renet.disconnect_due_to_transport();
            return Err(ClientError::Disconnected(reason));
        }
        let arrived_before = self.received.len();
        let server = self.netcode.server_addr();
        // Datagrams from the server, straight from the socket or through the simulated link.
        let now = self.netcode.current_time();
        let netcode = &mut self.netcode;
        let (renet, renet_clock) = (&mut self.renet, &mut self.renet_clock);
        let (snapshots, received) = (&mut self.snapshots, &mut self.received);
        let (malformed, renet_fed) = (&mut self.malformed_received, &mut self.renet_fed);
        let mut take = |datagram: &mut [u8]| {
            if let Some(payload) = netcode.process(datagram) {
                let renet = (&mut *renet, &mut *renet_clock, now);
                *renet_fed |= unbundle(payload, renet, malformed, |bytes| {
                    take_in(bytes, snapshots, received, true)
                });
            }
        };
        while let Some(len) = self.socket.receive(server, &mut self.buffer[..])? {
            match &mut self.link {
                Some((_, incoming)) => incoming.admit(now, &self.buffer[..len]),
                None => take(&mut self.buffer[..len]),
            }
        }
        if let Some((_, incoming)) = &mut self.link {
            while let Some(mut datagram) = incoming.release(now) {
                take(&mut datagram);
            }
        }
        let now = self.netcode.current_time() + elapsed;
        if let Some(packet) = self.netcode.update(elapsed) {
            self.datagrams_sent += 1;
            transmit(&mut self.socket, &mut self.link, now, packet, server)?;
        }
        // Handshake and keep-alive packets wait in the simulated link too; let out what is due.
        self.release_outgoing()?;
        if self.netcode.is_connected() {
            self.renet.set_connected();
        } else if self.netcode.is_connecting() {
            self.renet.set_connecting();
        }
        if std::mem::take(&mut self.renet_fed) {
            for channel in ServerChannel::ALL {
                while let Some(bytes) = self.renet.receive_message(channel) {
                    self.pace.arrived(channel.into());
                    if !take_in(&bytes, &mut self.snapshots, &mut self.received, false) {
                        self.malformed_received += 1;
                    }
                }
            }
        }
        match self.fleet.observe(&self.received[arrived_before..]) {
            Some(next_server) => self.move_to(next_server),
            None => Ok(()),
        }
    }

    /// Leaves this server for the one `token` names, keeping what arrived and the fleet's path.
    fn move_to(&mut self, token: ConnectToken) -> Result<(), ClientError> {
        self.disconnect();
        let link = self.link.as_ref().map(|(outgoing, _)| outgoing.clone());
        let mut next = Self::connect(token, link)?;
        next.received = std::mem::take(&mut self.received);
        next.malformed_received = self.malformed_received;
        next.datagrams_sent = self.datagrams_sent;
        next.fleet = std::mem::take(&mut self.fleet);
        *self = next;
        Ok(())
    }

    /// `Redirect`s followed so far (to a fleet's game server and back).
    pub fn redirects_followed(&self) -> u64 {
        self.fleet.redirects()
    }

    /// `Fallback` tokens used so far (a fleet's server went silent).
    pub fn fallbacks_used(&self) -> u64 {
        self.fleet.fallbacks()
    }

    /// Messages that arrived since the last call.
    pub fn receive(&mut self) -> std::vec::Drain<'_, ServerMessage> {
        self.received.drain(..)
    }

    /// Gives back a `Snapshot`'s entities once the game is done with them: the next snapshot is
    /// written into their memory instead of allocating its own (a client reads one every tick).
    pub fn recycle_snapshot(&mut self, entities: Vec<EntityState>) {
        self.snapshots.recycle(entities);
    }

    /// Queues `message` on its channel; it leaves with the next [`flush`](Self::flush). The Input
    /// channel's messages (a few dozen bytes at most) travel outside renet, as message frames of
    /// the bundle.
    pub fn send(&mut self, message: &ClientMessage) {
        match message.channel() {
            ClientChannel::Input => self.unreliable.push(message),
            channel => {
                self.renet.send_message(channel, encode(message));
                self.pace.queued();
            }
        }
    }

    /// Queues raw bytes on a channel, bypassing encoding: for tests of the server's defences.
    /// Bytes too many for a message frame go on renet's channel, which slices them.
    pub fn send_raw(&mut self, channel: ClientChannel, bytes: Vec<u8>) {
        match channel {
            ClientChannel::Input if bytes.len() <= MAX_MESSAGE_FRAME_BYTES => {
                self.unreliable.push_raw(&bytes);
            }
            channel => {
                self.renet.send_message(channel, bytes);
                self.pace.queued();
            }
        }
    }

    /// Encrypts and sends everything queued: one datagram, unless it exceeds one payload. renet
    /// is asked for its packets only when a message was queued on it, a reliable one arrived or
    /// awaits its ack, or about every
    /// [`IDLE_SEND_INTERVAL`](arbiter_components::protocol::IDLE_SEND_INTERVAL) (its acks); a
    /// frame's input and snapshot acknowledgement go without it. Input-channel messages queued
    /// before the connection is up are dropped: they are stale by then.
    pub fn flush(&mut self) -> Result<(), ClientError> {
        if !self.netcode.is_connected() {
            self.unreliable.clear();
        } else {
            if let Some(tick) = self.snapshots.take_acknowledgement() {
                self.send(&ClientMessage::AckSnapshot { tick });
            }
            let (server, now) = (self.netcode.server_addr(), self.netcode.current_time());
            let renet_due = self.pace.due(self.netcode.quiet_for(), &self.renet);
            if !renet_due && self.unreliable.is_empty() {
                return self.release_outgoing();
            }
            let mut sent = Ok(());
            let mut send_bundle = |bundle: &[u8]| {
                if let Some(packet) = self.netcode.payload(bundle)
                    && sent.is_ok()
                {
                    self.datagrams_sent += 1;
                    sent = transmit(&mut self.socket, &mut self.link, now, packet, server);
                }
            };
            self.unreliable
                .bundle_into(&mut self.bundler, &mut send_bundle);
            if renet_due {
                self.pace.sent();
                catch_up(&mut self.renet, &mut self.renet_clock, now);
                for packet in self.renet.get_packets_to_send() {
                    self.bundler.push(&packet, &mut send_bundle);
                }
            }
            self.bundler.finish(&mut send_bundle);
            sent?;
        }
        self.release_outgoing()
    }

    /// Sends the datagrams the simulated link has held long enough.
    fn release_outgoing(&mut self) -> Result<(), ClientError> {
        if let Some((outgoing, _)) = &mut self.link {
            let now = self.netcode.current_time();
            while let Some(datagram) = outgoing.release(now) {
                self.socket.send(&datagram, self.netcode.server_addr())?;
            }
        }
        Ok(())
    }

    /// Says goodbye to the server (a few disconnect packets) and stops.
    pub fn disconnect(&mut self) {
        let server = self.netcode.server_addr();
        if let Some(packet) = self.netcode.disconnect() {
            for _ in 0..REDUNDANT_DISCONNECTS {
                let _ = self.socket.send(packet, server);
            }
        }
        self.renet.disconnect();
    }
}

/// Sends a datagram now, or through the simulated link when there is one.
fn transmit(
    socket: &mut ServerSocket,
    link: &mut Option<(LinkConditioner, LinkConditioner)>,
    now: Duration,
    datagram: &[u8],
    addr: SocketAddr,
) -> Result<(), ClientError> {
    match link {
        Some((outgoing, _)) => {
            outgoing.admit(now, datagram);
            Ok(())
        }
        None => Ok(socket.send(datagram, addr)?),
    }
}

/// Hands a bundle's renet packets to renet (its clock brought up to now first) and its messages
/// to `message`, which says whether it took the message; a malformed frame or a message not
/// taken is counted, and a malformed frame ends the bundle. Whether renet was handed any.
fn unbundle(
    payload: &[u8],
    (renet, clock, now): (&mut RenetClient, &mut Duration, Duration),
    malformed: &mut u64,
    mut message: impl FnMut(&[u8]) -> bool,
) -> bool {
    let mut fed = false;
    for frame in frames(payload) {
        match frame.map(Frame::of) {
            Ok(Frame::Renet(packet)) => {
                catch_up(renet, clock, now);
                renet.process_packet(packet);
                fed = true;
            }
            Ok(Frame::Message(bytes)) => {
                if !message(bytes) {
                    *malformed += 1;
                }
            }
            Err(_) => *malformed += 1,
        }
    }
    fed
}

/// Decodes a server message (a delta snapshot reconstructed) into `received`; false when it does
/// not decode, or when it came `outside_renet` though it belongs on a reliable channel (its
/// order and delivery would be lost).
fn take_in(
    bytes: &[u8],
    snapshots: &mut SnapshotHistory,
    received: &mut Vec<ServerMessage>,
    outside_renet: bool,
) -> bool {
    let reconstructed = match read_delta_snapshot(bytes) {
        // The common case, read in place: no copy of the delta.
        Some(snapshot) => snapshots.reconstruct_delta(snapshot),
        None => match decode_server(bytes) {
            Ok(message) if !outside_renet || message.channel() == ServerChannel::Snapshot => {
                snapshots.reconstruct(message)
            }
            _ => return false,
        },
    };
    reconstructed.map(|message| received.push(message)).is_ok()
}
