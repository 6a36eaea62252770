//! Which clients' renet packets go out on a tick: those the server queued a message for, those
//! that sent something to answer, and now and then those with a reliable message not
//! acknowledged yet. Nobody else is asked: an idle connection (a lobby) costs the tick nothing,
//! and netcode's keep-alives keep it open.

use arbiter_components::protocol::ServerChannel;
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::time::Duration;

/// How often a client awaiting an ack is asked for its packets: often enough for renet's resends
/// (every 200 ms on the event channel) to go out within half of that, seldom enough that waiting
/// for the ack of every message of a crowd (a lobby's welcomes) costs little.
const AWAITING_ASKED_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub(super) struct Sending {
    /// Clients queued a message this tick, or heard from with more than acks (repeats allowed).
    due: Vec<u64>,
    /// Clients sent a reliable message that is not acknowledged yet, and when they were last
    /// asked: asked every [`AWAITING_ASKED_EVERY`], so renet resends a lost one.
    awaiting_ack: HashMap<u64, Duration, RandomState>,
    /// The transport's clock.
    now: Duration,
    /// This tick's clients, sorted and without repeats, each with whether it must be sent its
    /// packets even if they are only acks (the buffer is reused).
    tick: Vec<(u64, bool)>,
}

impl Sending {
    /// A message was queued for the client on `channel`.
    pub(super) fn queued(&mut self, client_id: u64, channel: ServerChannel) {
        self.due.push(client_id);
        if channel == ServerChannel::Event {
            self.awaiting_ack.insert(client_id, self.now);
        }
    }

    /// Advances the clock by a tick's `elapsed`.
    pub(super) fn advance(&mut self, elapsed: Duration) {
        self.now += elapsed;
    }

    /// The client sent more than acknowledgements: it is answered this tick.
    pub(super) fn heard(&mut self, client_id: u64) {
        self.due.push(client_id);
    }

    /// The clients whose packets are asked for now, by id, each with whether they go out even if
    /// renet has only acks (a client awaiting an ack only needs a datagram when renet resends).
    pub(super) fn this_tick(&mut self) -> &[(u64, bool)] {
        self.tick.clear();
        self.tick
            .extend(self.due.drain(..).map(|client_id| (client_id, true)));
        for (&client_id, asked) in &mut self.awaiting_ack {
            if self.now.saturating_sub(*asked) >= AWAITING_ASKED_EVERY {
                *asked = self.now;
                self.tick.push((client_id, false));
            }
        }
        self.tick.sort_unstable();
        self.tick.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            kept.1 |= same && later.1;
            same
        });
        &self.tick
    }

    /// After the tick's sends: keeps awaiting only the clients `still_awaiting` says are.
    pub(super) fn sent(&mut self, mut still_awaiting: impl FnMut(u64) -> bool) {
        self.awaiting_ack
            .retain(|&client_id, _| still_awaiting(client_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::connections::Connections;
    use crate::net::netcode::Received;
    use crate::net::renet_packet::acks_only;
    use arbiter_client::bundle::Bundler;
    use arbiter_components::protocol::connection_config;
    use renet::RenetClient;

    /// What a renet client sends after receiving one packet and having nothing to say: an ack.
    fn ack_packets() -> Vec<Vec<u8>> {
        let mut server_side = RenetClient::new(connection_config(1024));
        let mut client_side = RenetClient::new(connection_config(1024));
        server_side.set_connected();
        client_side.set_connected();
        server_side.send_message(ServerChannel::Event, vec![1, 2, 3]);
        for packet in server_side.get_packets_to_send() {
            client_side.process_packet(&packet);
        }
        client_side
            .get_packets_to_send()
            .into_iter()
            .map(|packet| packet.to_vec())
            .collect()
    }

    /// The payload of one datagram carrying `packets`.
    fn bundled<'a>(packets: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
        let (mut bundler, mut payload) = (Bundler::default(), Vec::new());
        let mut keep = |bundle: &[u8]| payload = bundle.to_vec();
        for packet in packets {
            bundler.push(packet, &mut keep);
        }
        bundler.finish(&mut keep);
        payload
    }

    #[test]
    fn a_datagram_of_acks_is_not_answered_and_one_with_a_message_is() {
        let mut sending = Sending::default();
        let mut connections = Connections::new(connection_config(1024));
        connections.add_connection(7);
        let mut deliver = |payload: &[u8], sending: &mut Sending| {
            let received = Received::Payload {
                client_id: 7,
                payload,
            };
            assert!(super::super::deliver(received, &mut connections, sending));
        };
        let acks = ack_packets();
        deliver(&bundled(acks.iter().map(Vec::as_slice)), &mut sending);
        assert!(sending.this_tick().is_empty());
        assert!(acks_only(acks.iter().map(Vec::as_slice)));
        let mut client = RenetClient::new(connection_config(1024));
        client.set_connected();
        client.send_message(0, vec![9]);
        let input = client.get_packets_to_send();
        deliver(
            &bundled(acks.iter().chain(&input).map(|packet| &packet[..])),
            &mut sending,
        );
        assert_eq!(sending.this_tick(), &[(7, true)]);
        assert!(
            sending.this_tick().is_empty(),
            "only on the tick it was heard"
        );
        assert!(connections.is_unread(7), "its message is to be read");
    }

    #[test]
    fn a_reliable_message_keeps_its_client_asked_until_acknowledged() {
        let mut sending = Sending::default();
        sending.queued(3, ServerChannel::Snapshot);
        sending.queued(5, ServerChannel::Event);
        sending.queued(5, ServerChannel::Event);
        assert_eq!(sending.this_tick(), &[(3, true), (5, true)]);
        sending.sent(|_| true);
        assert!(sending.this_tick().is_empty(), "just asked");
        sending.advance(AWAITING_ASKED_EVERY);
        assert_eq!(sending.this_tick(), &[(5, false)], "awaiting its ack");
        assert!(sending.this_tick().is_empty(), "not again at once");
        sending.queued(5, ServerChannel::Snapshot);
        sending.advance(AWAITING_ASKED_EVERY);
        assert_eq!(sending.this_tick(), &[(5, true)], "due and awaiting: once");
        sending.sent(|_| false);
        assert!(sending.this_tick().is_empty());
    }
}
