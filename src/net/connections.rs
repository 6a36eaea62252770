//! renet's reliability state of every connected client, held here rather than in `RenetServer`.
//!
//! `RenetServer` keeps each client's ~1 KB of state by value in a SipHash table, walks every
//! connection on every tick to advance its clock, and scans them all again for disconnections. At
//! 10,000 mostly idle lobby clients that walk was 13 % of a matchmaker's CPU, and under churn its
//! table doubles (~1 KB a bucket) after warm-up. Here each client's `RenetClient` is boxed in a
//! table of pointers, a connection's clock is brought up to date only when it is used
//! ([`catch_up`]), and a connection that renet closes is noted by the call that closed it.

use super::renet_packet::channel_of;
use arbiter_client::bundle::Frame;
use arbiter_client::message_queue::MessageQueue;
use arbiter_client::renet_clock::catch_up;
use foldhash::fast::RandomState;
use renet::{Bytes, ConnectionConfig, DisconnectReason, RenetClient, ServerEvent};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// The most bytes of messages outside renet a client may have waiting for the tick: a few
/// seconds of inputs sent in a burst after a stall; more are dropped and counted against it.
const MAX_WAITING_MESSAGE_BYTES: usize = 8 * 1024;

/// Snapshot send times kept for round-trip samples: a few seconds at 60 snapshots a second.
/// The acknowledgement of an older one gives no sample.
const SNAPSHOT_SEND_TIMES: usize = 256;

/// How much of a new round-trip sample the estimate takes (renet's own weight).
const RTT_SAMPLE_WEIGHT: f64 = 0.125;

/// One client's reliability state and the time it was last brought up to.
#[derive(Debug)]
struct Connection {
    renet: Box<RenetClient>,
    clock: Duration,
    /// Messages it sent outside renet, waiting for the tick, and how many did not fit.
    messages: MessageQueue,
    messages_dropped: u32,
    /// Round trip in seconds from its snapshot acknowledgements (none before the first), and
    /// the newest snapshot tick that gave a sample.
    rtt: Option<f64>,
    rtt_tick: u64,
    /// Closed by the server (a kick, a refused session), not by renet finding a fault.
    closed_by_server: bool,
    /// Already listed among [`Connections::take_disconnections`].
    closing: bool,
}

/// Every connected client's channels and reliability, by client id.
#[derive(Debug)]
pub struct Connections {
    /// The server's side of a connection: it sends on the server channels, receives on the client
    /// channels (renet's own server swaps them the same way).
    config: ConnectionConfig,
    table: HashMap<u64, Connection, RandomState>,
    /// Time since the table was made; a connection's clock catches up to it when it is used.
    now: Duration,
    events: VecDeque<ServerEvent>,
    /// Connections closed since they were last taken, for the transport to say goodbye to.
    disconnections: Vec<u64>,
    /// Clients handed messages since they were last read, and on which channels: only those can
    /// have any, so an idle connection (a lobby) costs no channel lookups on the tick, nor a
    /// client that only sent inputs a look at its reliable channel.
    unread: HashMap<u64, UnreadChannels, RandomState>,
    /// When the snapshots of recent ticks were sent, by the transport's clock, oldest first.
    snapshots_sent: VecDeque<(u64, Duration)>,
}

/// The channels a client was handed messages on since they were last read, a bit per channel
/// id (renet's ids are small; a packet on an id past 7 is refused by renet and marks nothing),
/// and whether it sent messages outside renet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnreadChannels {
    channels: u8,
    outside_renet: bool,
}

impl UnreadChannels {
    pub fn has(self, channel: impl Into<u8>) -> bool {
        1u8.checked_shl(u32::from(channel.into()))
            .is_some_and(|bit| self.channels & bit != 0)
    }

    /// Whether messages outside renet ([`Frame::Message`]) may be waiting.
    pub fn has_outside_renet(self) -> bool {
        self.outside_renet
    }

    fn with(self, channel: u8) -> Self {
        Self {
            channels: self.channels | 1u8.checked_shl(u32::from(channel)).unwrap_or(0),
            ..self
        }
    }

    fn union(self, other: Self) -> Self {
        Self {
            channels: self.channels | other.channels,
            outside_renet: self.outside_renet || other.outside_renet,
        }
    }

    fn is_empty(self) -> bool {
        self == Self::default()
    }
}

/// Adds `channels` to what the client has unread.
fn note_unread(
    unread: &mut HashMap<u64, UnreadChannels, RandomState>,
    client_id: u64,
    channels: UnreadChannels,
) {
    let noted = unread.entry(client_id).or_default();
    *noted = noted.union(channels);
}

impl Connections {
    pub fn new(config: ConnectionConfig) -> Self {
        let config = ConnectionConfig {
            available_bytes_per_tick: config.available_bytes_per_tick,
            client_channels_config: config.server_channels_config,
            server_channels_config: config.client_channels_config,
        };
        Self {
            config,
            table: HashMap::default(),
            now: Duration::ZERO,
            events: VecDeque::new(),
            disconnections: Vec::new(),
            unread: HashMap::default(),
            snapshots_sent: VecDeque::with_capacity(SNAPSHOT_SEND_TIMES),
        }
    }

    /// Opens a connection for a client netcode just let in (again: nothing happens).
    pub fn add_connection(&mut self, client_id: u64) {
        if self.table.contains_key(&client_id) {
            return;
        }
        let mut renet = Box::new(RenetClient::new(self.config.clone()));
        renet.set_connected();
        self.table.insert(
            client_id,
            Connection {
                renet,
                clock: self.now,
                messages: MessageQueue::default(),
                messages_dropped: 0,
                rtt: None,
                rtt_tick: 0,
                closed_by_server: false,
                closing: false,
            },
        );
        self.events
            .push_back(ServerEvent::ClientConnected { client_id });
    }

    /// Forgets a connection netcode closed, with an event saying why.
    pub fn remove_connection(&mut self, client_id: u64) {
        let Some(connection) = self.table.remove(&client_id) else {
            return;
        };
        self.unread.remove(&client_id);
        let reason = if connection.closed_by_server {
            DisconnectReason::DisconnectedByServer
        } else {
            connection
                .renet
                .disconnect_reason()
                .unwrap_or(DisconnectReason::Transport)
        };
        self.events
            .push_back(ServerEvent::ClientDisconnected { client_id, reason });
    }

    /// The next connect or disconnect, oldest first.
    pub fn get_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Closes the connection from the server's side; it is among the next disconnections.
    pub fn disconnect(&mut self, client_id: u64) {
        let Some(connection) = self.table.get_mut(&client_id) else {
            return;
        };
        if !connection.renet.is_disconnected() {
            connection.renet.disconnect();
            connection.closed_by_server = true;
        }
        note_if_closed(&mut self.disconnections, client_id, connection);
    }

    /// Advances every connection's clock by `elapsed`, without visiting any of them.
    pub fn advance(&mut self, elapsed: Duration) {
        self.now += elapsed;
    }

    /// Hands renet the packets of one datagram the client sent and keeps its messages outside
    /// renet for the tick, looking the client up once, and notes the channels they carried
    /// messages on as unread; an error (and nothing read) when the client has no connection.
    pub fn process_frames_from<'p>(
        &mut self,
        client_id: u64,
        frames: impl IntoIterator<Item = Frame<'p>>,
    ) -> Result<(), NotFound> {
        // A datagram of message frames alone (a frame's input) leaves renet untouched.
        let connection = self.table.get_mut(&client_id).ok_or(NotFound)?;
        let mut carried = UnreadChannels::default();
        for frame in frames {
            match frame {
                Frame::Renet(packet) => {
                    connection.catch_up(self.now);
                    connection.renet.process_packet(packet);
                    if let Some(channel) = channel_of(packet) {
                        carried = carried.with(channel);
                    }
                }
                Frame::Message(message) => {
                    if connection.messages.bytes() + message.len() > MAX_WAITING_MESSAGE_BYTES {
                        connection.messages_dropped += 1;
                    } else {
                        connection.messages.push_raw(message);
                    }
                    carried.outside_renet = true;
                }
            }
        }
        note_if_closed(&mut self.disconnections, client_id, connection);
        if !carried.is_empty() {
            note_unread(&mut self.unread, client_id, carried);
        }
        Ok(())
    }

    /// Notes that the client was handed messages on `channels` (nothing when it has no
    /// connection).
    pub fn mark_unread(&mut self, client_id: u64, channels: UnreadChannels) {
        if self.table.contains_key(&client_id) {
            note_unread(&mut self.unread, client_id, channels);
        }
    }

    /// The clients that may have messages to read, in client id order, each with the channels
    /// that may hold them, appended to `clients`: the caller reads them all now, or hands back
    /// with [`Self::mark_unread`] those it cannot read yet.
    pub fn take_unread(&mut self, clients: &mut Vec<(u64, UnreadChannels)>) {
        let first = clients.len();
        clients.extend(self.unread.drain());
        clients[first..].sort_unstable_by_key(|(client_id, _)| *client_id);
    }

    #[cfg(test)]
    pub(crate) fn is_unread(&self, client_id: u64) -> bool {
        self.unread.contains_key(&client_id)
    }

    /// Queues a message for the client on `channel` (nothing when it has no connection).
    pub fn send_message(&mut self, client_id: u64, channel: impl Into<u8>, message: Vec<u8>) {
        let Ok((connection, disconnections)) = self.current(client_id) else {
            return;
        };
        connection.renet.send_message(channel, message);
        note_if_closed(disconnections, client_id, connection);
    }

    /// Moves every message the client sent on `channel` into `messages`, in order, looking the
    /// client up once (nothing when it has no connection).
    pub fn take_messages(
        &mut self,
        client_id: u64,
        channel: impl Into<u8>,
        messages: &mut Vec<Bytes>,
    ) {
        let Ok((connection, _)) = self.current(client_id) else {
            return;
        };
        let channel = channel.into();
        messages.extend(std::iter::from_fn(|| {
            connection.renet.receive_message(channel)
        }));
    }

    /// Swaps the client's waiting messages outside renet with `messages` (read and cleared by the
    /// caller, so both buffers are reused), and returns how many were dropped for want of room
    /// since the last call (nothing when it has no connection).
    pub fn take_messages_outside_renet(
        &mut self,
        client_id: u64,
        messages: &mut MessageQueue,
    ) -> u32 {
        messages.clear();
        let Some(connection) = self.table.get_mut(&client_id) else {
            return 0;
        };
        std::mem::swap(&mut connection.messages, messages);
        std::mem::take(&mut connection.messages_dropped)
    }

    /// Notes that the snapshot of `tick` is being sent now, for the round trips its
    /// acknowledgements measure.
    pub fn snapshot_sent(&mut self, tick: u64) {
        if self.snapshots_sent.len() == SNAPSHOT_SEND_TIMES {
            self.snapshots_sent.pop_front();
        }
        self.snapshots_sent.push_back((tick, self.now));
    }

    /// The client acknowledged the snapshot of `tick`: when that is its newest acknowledgement
    /// and the snapshot's send time is still kept, the time since is a round-trip sample. It is
    /// counted, as the age of a shot's claimed tick is, to the tick that reads it.
    pub fn snapshot_acknowledged(&mut self, client_id: u64, tick: u64) {
        let Some(connection) = self.table.get_mut(&client_id) else {
            return;
        };
        if tick <= connection.rtt_tick {
            return;
        }
        let sent = self
            .snapshots_sent
            .binary_search_by_key(&tick, |(sent_tick, _)| *sent_tick)
            .ok()
            .map(|index| self.snapshots_sent[index].1);
        let Some(sent) = sent else {
            return;
        };
        let sample = self.now.saturating_sub(sent).as_secs_f64();
        connection.rtt_tick = tick;
        connection.rtt = Some(connection.rtt.map_or(sample, |rtt| {
            rtt * (1.0 - RTT_SAMPLE_WEIGHT) + sample * RTT_SAMPLE_WEIGHT
        }));
    }

    /// renet's packets for the client now: messages due, resends, acks.
    pub fn get_packets_to_send(&mut self, client_id: u64) -> Result<Vec<Vec<u8>>, NotFound> {
        let (connection, disconnections) = self.current(client_id)?;
        let packets = connection.renet.get_packets_to_send();
        note_if_closed(disconnections, client_id, connection);
        Ok(packets)
    }

    /// Connections closed since the last call (by the server, or by renet on a fault); each is
    /// listed once.
    pub fn take_disconnections(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.disconnections)
    }

    pub fn is_connected(&self, client_id: u64) -> bool {
        self.table
            .get(&client_id)
            .is_some_and(|connection| connection.renet.is_connected())
    }

    /// Round-trip time in seconds (0 for an unknown client): from its snapshot
    /// acknowledgements, or, until it acknowledged one (a fleet's matchmaker sends no
    /// snapshots), from renet's acknowledgements of reliable messages.
    pub fn rtt(&self, client_id: u64) -> f64 {
        self.table.get(&client_id).map_or(0.0, |connection| {
            connection.rtt.unwrap_or_else(|| connection.renet.rtt())
        })
    }

    /// Bytes `channel` can still take for the client (0 for an unknown client).
    pub fn channel_available_memory(&self, client_id: u64, channel: impl Into<u8>) -> usize {
        self.table.get(&client_id).map_or(0, |connection| {
            connection.renet.channel_available_memory(channel)
        })
    }

    pub fn can_send_message(&self, client_id: u64, channel: impl Into<u8>, bytes: usize) -> bool {
        self.table
            .get(&client_id)
            .is_some_and(|connection| connection.renet.can_send_message(channel, bytes))
    }

    /// Connections that are open.
    pub fn connected_clients(&self) -> usize {
        self.table
            .values()
            .filter(|connection| connection.renet.is_connected())
            .count()
    }

    /// The client's connection, its clock brought up to now, and the list its closing goes to.
    fn current(&mut self, client_id: u64) -> Result<(&mut Connection, &mut Vec<u64>), NotFound> {
        let connection = self.table.get_mut(&client_id).ok_or(NotFound)?;
        connection.catch_up(self.now);
        Ok((connection, &mut self.disconnections))
    }
}

impl Connection {
    /// Brings renet's clock up to `now`.
    fn catch_up(&mut self, now: Duration) {
        catch_up(&mut self.renet, &mut self.clock, now);
    }
}

/// Lists a connection among the disconnections the first time it is seen closed.
fn note_if_closed(disconnections: &mut Vec<u64>, client_id: u64, connection: &mut Connection) {
    if connection.renet.is_disconnected() && !connection.closing {
        connection.closing = true;
        disconnections.push(client_id);
    }
}

/// The client has no connection (it left, or never came).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no connection for this client")]
pub struct NotFound;

#[cfg(test)]
mod tests;
