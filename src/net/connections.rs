//! renet's reliability state of every connected client, held here rather than in `RenetServer`.
//!
//! `RenetServer` keeps each client's ~1 KB of state by value in a SipHash table, walks every
//! connection on every tick to advance its clock, and scans them all again for disconnections. At
//! 10,000 mostly idle lobby clients that walk was 13 % of a matchmaker's CPU, and under churn its
//! table doubles (~1 KB a bucket) after warm-up. Here each client's `RenetClient` is boxed in a
//! table of pointers, a connection's clock is brought up to date only when it is used (renet's
//! `update` only adds the time and drops what aged out, so one late call with the sum does the
//! same), and a connection that renet closes is noted by the call that closed it.

use super::renet_packet::channel_of;
use foldhash::fast::RandomState;
use renet::{Bytes, ConnectionConfig, DisconnectReason, RenetClient, ServerEvent};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// One client's reliability state and the time it was last brought up to.
#[derive(Debug)]
struct Connection {
    renet: Box<RenetClient>,
    clock: Duration,
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
}

/// The channels a client was handed messages on since they were last read, a bit per channel
/// id (renet's ids are small; a packet on an id past 7 is refused by renet and marks nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnreadChannels(u8);

impl UnreadChannels {
    pub fn has(self, channel: impl Into<u8>) -> bool {
        1u8.checked_shl(u32::from(channel.into()))
            .is_some_and(|bit| self.0 & bit != 0)
    }

    fn with(self, channel: u8) -> Self {
        Self(self.0 | 1u8.checked_shl(u32::from(channel)).unwrap_or(0))
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Adds `channels` to what the client has unread.
fn note_unread(
    unread: &mut HashMap<u64, UnreadChannels, RandomState>,
    client_id: u64,
    channels: UnreadChannels,
) {
    let noted = unread.entry(client_id).or_default();
    noted.0 |= channels.0;
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

    /// Hands renet the packets of one datagram the client sent, looking the client up once, and
    /// notes the channels they carried messages on as unread; an error (and nothing read) when
    /// the client has no connection.
    pub fn process_packets_from<'p>(
        &mut self,
        client_id: u64,
        packets: impl IntoIterator<Item = &'p [u8]>,
    ) -> Result<(), NotFound> {
        let (connection, disconnections) = self.current(client_id)?;
        let mut carried = UnreadChannels::default();
        for packet in packets {
            connection.renet.process_packet(packet);
            if let Some(channel) = channel_of(packet) {
                carried = carried.with(channel);
            }
        }
        note_if_closed(disconnections, client_id, connection);
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

    /// Round-trip time in seconds (0 for an unknown client).
    pub fn rtt(&self, client_id: u64) -> f64 {
        self.table
            .get(&client_id)
            .map_or(0.0, |connection| connection.renet.rtt())
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
        let behind = self.now - connection.clock;
        if !behind.is_zero() {
            connection.renet.update(behind);
            connection.clock = self.now;
        }
        Ok((connection, &mut self.disconnections))
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
