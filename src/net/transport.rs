//! The game socket: netcode (connect tokens, encryption) under renet (channels, reliability) and
//! the messages that bypass renet (inputs, snapshots), driven from the tick. Reading is bounded
//! per tick, so a flood delays packets instead of the tick; most of it happens between ticks, and
//! the tick's datagrams are sent by a thread of their own, so neither reading nor sending makes
//! the tick longer than it must be.

use super::connections::Connections;
use super::netcode::{NetcodeConfig, NetcodeServer, Received};
use super::renet_packet::{acks_only, is_ack};
use crate::telemetry::metrics::{BYTES_SENT_TOTAL, KICKS_TOTAL, PACKETS_SENT_TOTAL};
use arbiter_client::bundle::{Bundler, Frame, MAX_MESSAGE_FRAME_BYTES, frames};
use arbiter_client::netcode::MAX_PACKET_BYTES;
use arbiter_client::seat::{Requeue, Seat};
use arbiter_client::token::player_id_from_user_data;
use arbiter_components::protocol::{KickReason, ServerChannel, ServerMessage, encode};
use bevy_ecs::resource::Resource;
use renet::ConnectionConfig;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

mod game_socket;
mod outgoing_messages;
mod read_tally;
mod readable;
mod send_thread;
mod sending;

pub use game_socket::GameSocket;
use outgoing_messages::OutgoingMessages;
use read_tally::ReadTally;
use readable::Readable;
pub use send_thread::DatagramBatch;
use send_thread::SendThread;
use sending::Sending;

/// The least time between two reads between ticks. A busy socket is read in batches, about a
/// thousand a second; an idle one is not read at all until a datagram comes.
const READ_GAP: Duration = Duration::from_millis(1);

/// How long a kicked connection stays open at most for its `Kicked` to be acknowledged: several
/// resends on a lossy link, and a client that never answers does not keep its slot for long.
const KICK_LINGER: Duration = Duration::from_secs(2);

/// A kicked client: nothing more is sent to it or read from it; its connection closes once its
/// `Kicked` is acknowledged (so a lost packet does not lose the reason), or when the linger is up.
#[derive(Debug, Clone, Copy)]
struct Kicked {
    client_id: u64,
    linger_left: Duration,
}

/// The server end of the game protocol.
#[derive(Resource)]
pub struct GameServer {
    socket: UdpSocket,
    netcode: NetcodeServer,
    connections: Connections,
    buffer: Box<[u8; MAX_PACKET_BYTES]>,
    /// Packs a client's messages and packets of the tick into one payload.
    bundler: Bundler,
    /// The tick's messages outside renet (snapshots), to go in the bundles.
    outgoing: OutgoingMessages,
    /// Clients told `Kicked`, to disconnect once they acknowledge it.
    kicked: Vec<Kicked>,
    /// The event channel's memory: all of it free means every reliable message was acknowledged.
    event_channel_bytes: usize,
    /// Which clients' renet packets go out this tick; nobody else's. A connection with nothing to
    /// say costs nothing on the tick: netcode's sweep keeps it alive.
    sending: Sending,
    /// Sends what the tick encrypted, every datagram of a tick handed over at its end.
    send_thread: SendThread,
    /// Says when datagrams wait, for the reads between ticks.
    readable: Readable,
    /// Datagrams read since the last tick's read, against its budget.
    tally: ReadTally,
}

impl std::fmt::Debug for GameServer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GameServer")
            .field("addr", &self.socket.local_addr().ok())
            .field("clients", &self.connections.connected_clients())
            .finish_non_exhaustive()
    }
}

impl GameServer {
    pub fn new(socket: GameSocket, netcode: NetcodeConfig, connection: ConnectionConfig) -> Self {
        let GameSocket {
            socket,
            send_thread,
            readable,
        } = socket;
        let event_channel_bytes = connection
            .server_channels_config
            .iter()
            .find(|channel| channel.channel_id == u8::from(ServerChannel::Event))
            .map_or(0, |channel| channel.max_memory_usage_bytes);
        Self {
            socket,
            netcode: NetcodeServer::new(netcode),
            connections: Connections::new(connection),
            buffer: Box::new([0; MAX_PACKET_BYTES]),
            bundler: Bundler::default(),
            outgoing: OutgoingMessages::default(),
            kicked: Vec::new(),
            event_channel_bytes,
            sending: Sending::default(),
            send_thread,
            readable,
            tally: ReadTally::default(),
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Reliability and channel state of every connection.
    pub fn connections(&mut self) -> &mut Connections {
        &mut self.connections
    }

    /// Lets new clients in, or denies them (a standby matchmaker); connected clients stay.
    pub fn set_admitting(&mut self, admitting: bool) {
        self.netcode.set_admitting(admitting);
    }

    /// The player id the client's connect token carries.
    pub fn player_id(&self, client_id: u64) -> Option<u64> {
        self.netcode
            .user_data(client_id)
            .map(player_id_from_user_data)
    }

    /// The match seat the client's connect token carries (tokens a fleet's matchmaker issues).
    pub fn seat(&self, client_id: u64) -> Option<Seat> {
        self.netcode.user_data(client_id).and_then(Seat::read)
    }

    /// The requeue a token back to a fleet's lobby carries (the match before did not happen).
    pub fn requeue(&self, client_id: u64) -> Option<Requeue> {
        self.netcode.user_data(client_id).and_then(Requeue::read)
    }

    pub fn client_addr(&self, client_id: u64) -> Option<SocketAddr> {
        self.netcode.client_addr(client_id)
    }

    /// Queues `message` for `client_id` on its channel; returns the encoded size. Nothing is sent
    /// to a kicked client after its `Kicked`.
    pub fn send(&mut self, client_id: u64, message: &ServerMessage) -> usize {
        if self.is_kicked(client_id) {
            return 0;
        }
        let bytes = encode(message);
        let len = bytes.len();
        self.send_bytes(client_id, message.channel(), bytes);
        len
    }

    /// Queues an encoded message for `client_id` on `channel`, to go out this tick.
    pub fn send_bytes(&mut self, client_id: u64, channel: ServerChannel, bytes: Vec<u8>) {
        self.connections.send_message(client_id, channel, bytes);
        self.sending.queued(client_id, channel);
    }

    /// Queues an unreliable message (the Snapshot channel's) that `write` encodes for the client:
    /// a message frame of its bundle this tick, outside renet; or, when larger than a frame may
    /// be, on renet's Snapshot channel, which slices it, within that channel's memory. Its size;
    /// none when it was not queued (a kicked client, or no room on the channel).
    pub fn send_unreliable(
        &mut self,
        client_id: u64,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Option<usize> {
        if self.is_kicked(client_id) {
            return None;
        }
        let len = self.outgoing.write(client_id, write);
        if len <= MAX_MESSAGE_FRAME_BYTES {
            return Some(len);
        }
        let message = self.outgoing.take_last()?;
        if !self
            .connections
            .can_send_message(client_id, ServerChannel::Snapshot, len)
        {
            return None;
        }
        self.send_bytes(client_id, ServerChannel::Snapshot, message);
        Some(len)
    }

    /// Tells the client why, then closes its connection once it acknowledged that (at most
    /// [`KICK_LINGER`] later). A client kicked already is not kicked again.
    pub fn kick(&mut self, client_id: u64, reason: KickReason) {
        if self.is_kicked(client_id) {
            return;
        }
        let label = reason.as_str();
        tracing::info!(client_id, reason = label, "kicking client");
        metrics::counter!(KICKS_TOTAL, "reason" => label).increment(1);
        self.send(client_id, &ServerMessage::Kicked { reason });
        self.kicked.push(Kicked {
            client_id,
            linger_left: KICK_LINGER,
        });
    }

    /// Whether the client was kicked and its connection is about to close: what it sends is not
    /// read any more.
    pub fn is_kicked(&self, client_id: u64) -> bool {
        self.kicked
            .iter()
            .any(|kicked| kicked.client_id == client_id)
    }

    /// Advances the connection clocks by `elapsed` and reads what the budget of `max_packets`
    /// datagrams per tick leaves (the reads since the last tick, [`Self::read_between_ticks`],
    /// count against it). What netcode answers (challenges, keep-alives) goes out with the tick's
    /// other datagrams.
    pub fn receive(&mut self, elapsed: Duration, max_packets: usize) {
        let send_thread = &mut self.send_thread;
        let mut send = |packet: &[u8], addr: SocketAddr| send_thread.push(packet, addr);
        for client_id in self.netcode.update(elapsed, &mut send) {
            self.connections.remove_connection(client_id);
        }
        self.connections.advance(elapsed);
        self.sending.advance(elapsed);
        for kicked in &mut self.kicked {
            kicked.linger_left = kicked.linger_left.saturating_sub(elapsed);
        }
        self.read_datagrams(max_packets);
        self.tally.flush();
        let send_thread = &mut self.send_thread;
        let mut send = |packet: &[u8], addr: SocketAddr| send_thread.push(packet, addr);
        for client_id in self.connections.take_disconnections() {
            self.netcode.disconnect(client_id, &mut send);
            self.connections.remove_connection(client_id);
        }
    }

    /// Between ticks: reads what arrives until `until`, within the tick's budget of
    /// `max_packets`, so the tick finds most of its datagrams read (the next
    /// [`Self::receive`] reads the rest and counts them all). One wake-up per datagram would
    /// cost more than the read: after a read it waits [`READ_GAP`] for more to gather.
    pub fn read_between_ticks(&mut self, until: Instant, max_packets: usize) {
        loop {
            self.read_datagrams(max_packets);
            let now = Instant::now();
            if self.tally.exhausted || now >= until || !self.readable.wait(until - now) {
                return;
            }
            std::thread::sleep(
                until
                    .saturating_duration_since(Instant::now())
                    .min(READ_GAP),
            );
        }
    }

    /// Reads datagrams until the socket is empty or the tick's budget is spent, and hands what
    /// they carry to netcode and the connections.
    fn read_datagrams(&mut self, max_packets: usize) {
        let (socket, send_thread, tally) = (&self.socket, &mut self.send_thread, &mut self.tally);
        let mut send = |packet: &[u8], addr: SocketAddr| send_thread.push(packet, addr);
        loop {
            if tally.spent(max_packets) {
                tally.exhausted = true;
                break;
            }
            match socket.recv_from(&mut self.buffer[..]) {
                Ok((len, addr)) => {
                    tally.packets += 1;
                    tally.bytes += len as u64;
                    match self
                        .netcode
                        .process(addr, &mut self.buffer[..len], &mut send)
                    {
                        Ok(received) => {
                            if !deliver(received, &mut self.connections, &mut self.sending) {
                                tally.refused("malformed_bundle");
                            }
                        }
                        Err(refusal) => {
                            tracing::trace!(%addr, %refusal, "netcode packet ignored");
                            tally.refused(refusal.as_str());
                        }
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => break,
                // An ICMP "port unreachable" from a client that went away; the next read is fine.
                Err(error) if error.kind() == ErrorKind::ConnectionReset => continue,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => {
                    tracing::warn!(%error, "reading the game socket failed");
                    break;
                }
            }
        }
    }

    /// Encrypts every queued message and packet into the tick's datagrams, one bundle per
    /// client (they leave at the next [`Self::hand_over`]), then closes the kicked connections
    /// whose `Kicked` was acknowledged or whose linger is up. renet is asked only for the
    /// clients [`Sending`] names: a client sent only its snapshot costs renet nothing.
    pub fn send_packets(&mut self) {
        let (mut sent, mut datagrams) = (0u64, 0u64);
        let send_thread = &mut self.send_thread;
        let mut send = |packet: &[u8], addr: SocketAddr| {
            send_thread.push(packet, addr);
            sent += packet.len() as u64;
            datagrams += 1;
        };
        self.outgoing.sort_by_client();
        let renet_clients = self.sending.this_tick();
        let (mut renet_next, mut message_next) = (0, 0);
        loop {
            let renet_client = renet_clients.get(renet_next).copied();
            let message_client = self.outgoing.client_at(message_next);
            let Some(client_id) = [renet_client.map(|(client_id, _)| client_id), message_client]
                .into_iter()
                .flatten()
                .min()
            else {
                break;
            };
            let packets = match renet_client {
                Some((renet_id, must_send)) if renet_id == client_id => {
                    renet_next += 1;
                    renet_packets(&mut self.connections, client_id, must_send)
                }
                _ => Vec::new(),
            };
            let (messages, after) = self.outgoing.messages_of(client_id, message_next);
            message_next = after;
            let netcode = &mut self.netcode;
            let mut send_bundle = |bundle: &[u8]| {
                netcode.send_payload(client_id, bundle, &mut send);
            };
            for message in messages {
                self.bundler.push_message(message, &mut send_bundle);
            }
            for packet in &packets {
                self.bundler.push(packet, &mut send_bundle);
            }
            self.bundler.finish(&mut send_bundle);
        }
        self.outgoing.clear();
        metrics::counter!(PACKETS_SENT_TOTAL).increment(datagrams);
        metrics::counter!(BYTES_SENT_TOTAL).increment(sent);
        let (connections, event_channel_bytes) = (&mut self.connections, self.event_channel_bytes);
        let acknowledged = |connections: &Connections, client_id: u64| {
            connections.channel_available_memory(client_id, ServerChannel::Event)
                == event_channel_bytes
        };
        self.sending.sent(|client_id| {
            connections.is_connected(client_id) && !acknowledged(connections, client_id)
        });
        self.kicked.retain(|kicked| {
            let acknowledged = acknowledged(connections, kicked.client_id);
            let close = acknowledged || kicked.linger_left.is_zero();
            if close {
                connections.disconnect(kicked.client_id);
            }
            !close
        });
    }

    /// Hands every datagram encrypted since the last hand-over to the send thread: the tick's
    /// last act, so the thread's system calls run while the tick sleeps.
    pub fn hand_over(&mut self) {
        self.send_thread.hand_over();
    }

    /// Sends netcode's disconnect packets to every client at once, and returns once every
    /// datagram of the server's was sent (shutdown).
    pub fn disconnect_all(&mut self) {
        let send_thread = &mut self.send_thread;
        let clients: Vec<u64> = self.netcode.client_ids().collect();
        for client_id in clients {
            self.netcode.disconnect(client_id, &mut |packet, addr| {
                send_thread.push(packet, addr)
            });
            self.connections.remove_connection(client_id);
        }
        self.wait_until_sent();
    }

    /// Hands over what is pushed and waits until the send thread sent every datagram so far.
    pub fn wait_until_sent(&mut self) {
        self.hand_over();
        self.send_thread.wait_until_sent();
    }
}

/// renet's packets for the client this tick: none when it has no connection, or when they are
/// only acks and it need not be answered (`must_send` false: it only awaits an ack).
fn renet_packets(connections: &mut Connections, client_id: u64, must_send: bool) -> Vec<Vec<u8>> {
    match connections.get_packets_to_send(client_id) {
        Ok(packets) if must_send || !acks_only(packets.iter().map(|packet| &packet[..])) => packets,
        _ => Vec::new(),
    }
}

/// Hands what a packet carried to the connections: a new connection, a payload (its client then
/// has messages to read, outside renet or on the channels renet carried; with renet packets of
/// more than acks, it is answered by renet this tick), a goodbye. False when a payload's bundle
/// was malformed (what came before the bad frame was delivered).
fn deliver(received: Received<'_>, connections: &mut Connections, sending: &mut Sending) -> bool {
    match received {
        Received::Nothing => {}
        Received::Connected { client_id } => connections.add_connection(client_id),
        Received::Payload { client_id, payload } => {
            // Only renet packets of more than acks want renet's answer.
            let (mut more_than_acks, mut well_formed) = (false, true);
            let read = frames(payload).map_while(|frame| {
                let frame = Frame::of(frame.inspect_err(|_| well_formed = false).ok()?);
                more_than_acks |= matches!(frame, Frame::Renet(packet) if !is_ack(packet));
                Some(frame)
            });
            if connections.process_frames_from(client_id, read).is_err() {
                tracing::debug!(client_id, "payload for a client without a connection");
            }
            if more_than_acks {
                sending.heard(client_id);
            }
            return well_formed;
        }
        Received::Disconnected { client_id } => connections.remove_connection(client_id),
    }
    true
}

#[cfg(test)]
mod tests;
