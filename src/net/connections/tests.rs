//! The connection table against renet's own client as the peer.

use super::*;
use arbiter_client::message_queue::MessageQueue;
use arbiter_components::protocol::{ClientChannel, ServerChannel, connection_config};

fn connections() -> Connections {
    Connections::new(connection_config(64_000))
}

/// A client's end of a connection.
fn peer() -> RenetClient {
    let mut client = RenetClient::new(connection_config(64_000));
    client.set_connected();
    client
}

fn drain_events(connections: &mut Connections) -> Vec<ServerEvent> {
    std::iter::from_fn(|| connections.get_event()).collect()
}

/// The messages on the event channel that `packets` carry, as the peer reads them.
fn events_read(peer: &mut RenetClient, packets: &[Vec<u8>]) -> usize {
    for packet in packets {
        peer.process_packet(packet);
    }
    std::iter::from_fn(|| peer.receive_message(ServerChannel::Event)).count()
}

#[test]
fn a_connection_is_opened_once_and_its_messages_reach_the_peer_both_ways() {
    let (mut connections, mut peer) = (connections(), peer());
    connections.add_connection(9);
    connections.add_connection(9);
    assert_eq!(
        drain_events(&mut connections),
        [ServerEvent::ClientConnected { client_id: 9 }]
    );

    connections.send_message(9, ServerChannel::Event, vec![1, 2, 3]);
    let packets = connections.get_packets_to_send(9).expect("connected");
    assert_eq!(events_read(&mut peer, &packets), 1);

    peer.send_message(ClientChannel::Command, vec![4]);
    peer.send_message(ClientChannel::Command, vec![5, 6]);
    let packets = peer.get_packets_to_send();
    connections
        .process_frames_from(9, packets.iter().map(|packet| Frame::Renet(packet)))
        .expect("connected");
    let mut messages = Vec::new();
    connections.take_messages(9, ClientChannel::Command, &mut messages);
    assert_eq!(messages, [&[4][..], &[5, 6][..]], "both, in order");
    connections.take_messages(9, ClientChannel::Command, &mut messages);
    assert_eq!(messages.len(), 2, "taken once");
    assert_eq!(
        connections.process_frames_from(10, [Frame::Renet(&[])]),
        Err(NotFound)
    );
}

#[test]
fn an_idle_connection_s_clock_catches_up_when_it_is_used_so_an_unacknowledged_message_is_resent() {
    let (mut connections, mut peer) = (connections(), peer());
    connections.add_connection(9);
    connections.send_message(9, ServerChannel::Event, vec![1]);
    let first = connections.get_packets_to_send(9).expect("connected");
    assert!(!first.is_empty());
    // The first send is lost; no time passes: nothing to resend yet.
    let again = connections.get_packets_to_send(9).expect("connected");
    assert_eq!(events_read(&mut peer, &again), 0);
    // Only the table's clock moves, in many small steps, as on quiet ticks.
    for _ in 0..60 {
        connections.advance(Duration::from_millis(16));
    }
    let resent = connections.get_packets_to_send(9).expect("connected");
    assert_eq!(events_read(&mut peer, &resent), 1, "resent once it was due");
}

#[test]
fn a_connection_renet_finds_at_fault_is_listed_once_then_ends_with_the_fault_as_its_reason() {
    let mut connections = connections();
    connections.add_connection(9);
    connections.add_connection(10);
    drain_events(&mut connections);
    connections
        .process_frames_from(9, [Frame::Renet(&[0xff, 0xff, 0xff])])
        .expect("connected");
    assert!(!connections.is_connected(9));
    assert!(connections.is_connected(10));
    assert_eq!(connections.take_disconnections(), [9]);
    connections.send_message(9, ServerChannel::Event, vec![1]);
    assert!(connections.take_disconnections().is_empty(), "listed once");

    connections.remove_connection(9);
    let events = drain_events(&mut connections);
    assert!(
        matches!(
            events[..],
            [ServerEvent::ClientDisconnected {
                client_id: 9,
                reason: DisconnectReason::PacketDeserialization(_)
            }]
        ),
        "{events:?}"
    );
    assert_eq!(connections.connected_clients(), 1);
}

#[test]
fn a_connection_the_server_closes_ends_as_disconnected_by_the_server() {
    let mut connections = connections();
    connections.add_connection(9);
    drain_events(&mut connections);
    connections.disconnect(9);
    connections.disconnect(9);
    assert_eq!(connections.take_disconnections(), [9]);
    connections.remove_connection(9);
    connections.remove_connection(9);
    assert_eq!(
        drain_events(&mut connections),
        [ServerEvent::ClientDisconnected {
            client_id: 9,
            reason: DisconnectReason::DisconnectedByServer
        }]
    );
    assert_eq!(connections.rtt(9), 0.0);
    assert!(!connections.can_send_message(9, ServerChannel::Event, 1));
}

#[test]
fn messages_outside_renet_wait_for_the_tick_in_order_and_a_flood_past_the_room_is_dropped_and_counted()
 {
    let mut connections = connections();
    connections.add_connection(9);
    connections
        .process_frames_from(9, [Frame::Message(&[1]), Frame::Message(&[2, 3])])
        .expect("connected");
    let mut unread = Vec::new();
    connections.take_unread(&mut unread);
    assert_eq!(unread.len(), 1);
    assert!(unread[0].1.has_outside_renet());
    assert!(
        !unread[0].1.has(ClientChannel::Input),
        "renet carried nothing"
    );
    let mut messages = MessageQueue::default();
    assert_eq!(connections.take_messages_outside_renet(9, &mut messages), 0);
    assert_eq!(messages.iter().collect::<Vec<_>>(), [&[1][..], &[2, 3][..]]);
    connections.take_messages_outside_renet(9, &mut messages);
    assert!(messages.is_empty(), "taken once");

    let big = [7u8; 1000];
    let flood = std::iter::repeat_n(Frame::Message(&big), 10);
    connections
        .process_frames_from(9, flood)
        .expect("connected");
    assert_eq!(connections.take_messages_outside_renet(9, &mut messages), 2);
    assert_eq!(messages.iter().count(), 8);
    assert_eq!(connections.take_messages_outside_renet(9, &mut messages), 0);
}

#[test]
fn the_round_trip_comes_from_snapshot_acknowledgements_counted_to_the_tick_that_reads_them() {
    let mut connections = connections();
    connections.add_connection(9);
    let tick = Duration::from_millis(16);
    for sent in 1..=10 {
        connections.snapshot_sent(sent);
        connections.advance(tick);
    }
    // Now is 10 ticks after the first snapshot: acknowledging tick 4 took 7 ticks.
    connections.snapshot_acknowledged(9, 4);
    assert!(
        (connections.rtt(9) - 0.112).abs() < 1e-9,
        "the first sample is taken whole"
    );
    connections.snapshot_acknowledged(9, 4);
    connections.snapshot_acknowledged(9, 2);
    assert!(
        (connections.rtt(9) - 0.112).abs() < 1e-9,
        "no sample from an older ack"
    );
    connections.snapshot_acknowledged(9, 99);
    assert!(
        (connections.rtt(9) - 0.112).abs() < 1e-9,
        "nor from a snapshot never sent"
    );
    connections.snapshot_acknowledged(9, 10);
    let expected = 0.112 * 0.875 + 0.016 * 0.125;
    assert!(
        (connections.rtt(9) - expected).abs() < 1e-9,
        "{}",
        connections.rtt(9)
    );
    connections.snapshot_acknowledged(10, 10);
    assert_eq!(connections.rtt(10), 0.0, "an unknown client");
}
