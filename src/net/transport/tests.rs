//! The transport over real loopback sockets: which clients the tick asks for messages.

use super::*;
use crate::net::connections::UnreadChannels;
use crate::net::unix_now;
use arbiter_client::message_queue::MessageQueue;
use arbiter_client::netcode::{ConnectToken, PrivateToken, random_bytes};
use arbiter_client::token::user_data_for_player;
use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_components::protocol::{
    ClientChannel, ClientMessage, connection_config, decode_client, encode_delta,
    encode_delta_snapshot, protocol_id,
};
use std::time::Instant;

const KEY: [u8; 32] = [7; 32];
const FRAME: Duration = Duration::from_millis(16);
const CLIENT_ID: u64 = 41;
/// A message on the reliable command channel.
const PING: ClientMessage = ClientMessage::Ping { client_time_us: 1 };

fn server() -> GameServer {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
    socket.set_nonblocking(true).expect("non-blocking");
    let address = socket.local_addr().expect("bound");
    let netcode = NetcodeConfig {
        protocol_id: protocol_id(),
        private_key: Some(KEY),
        public_addresses: vec![address],
        max_clients: 8,
        requests_per_sec_per_address: 64,
        current_time: unix_now(),
    };
    let socket = GameSocket::open(socket).expect("a send thread and readiness");
    GameServer::new(socket, netcode, connection_config(64_000))
}

fn client_of(server: &GameServer) -> ArbiterClient {
    let private = PrivateToken {
        client_id: CLIENT_ID,
        timeout_seconds: 10,
        server_addresses: vec![server.local_addr().expect("bound")],
        client_to_server_key: random_bytes(),
        server_to_client_key: random_bytes(),
        user_data: user_data_for_player(CLIENT_ID),
    };
    let now = unix_now().as_secs();
    let token = ConnectToken::seal(&private, protocol_id(), now, now + 300, &KEY);
    ArbiterClient::connect(token, None).expect("a client socket")
}

/// A server and a client connected to it.
fn connected() -> (GameServer, ArbiterClient) {
    let mut server = server();
    let mut client = client_of(&server);
    until(&mut server, &mut client, |server| {
        server.connections().is_connected(CLIENT_ID)
    });
    (server, client)
}

/// One frame of both ends: the client sends what it has, the server reads and answers.
fn frame(server: &mut GameServer, client: &mut ArbiterClient) {
    client.update(FRAME).expect("client update");
    client.flush().expect("client flush");
    std::thread::sleep(Duration::from_millis(2));
    server.receive(FRAME, 1_000);
    server.send_packets();
    server.wait_until_sent();
    std::thread::sleep(Duration::from_millis(2));
}

/// Runs frames until `done` holds; panics after 5 s.
fn until(
    server: &mut GameServer,
    client: &mut ArbiterClient,
    mut done: impl FnMut(&mut GameServer) -> bool,
) {
    let started = Instant::now();
    while !done(server) {
        assert!(started.elapsed() < Duration::from_secs(5), "timed out");
        frame(server, client);
    }
}

/// The clients with messages to read, as the tick takes them, with their channels.
fn unread_channels(server: &mut GameServer) -> Vec<(u64, UnreadChannels)> {
    let mut clients = Vec::new();
    server.connections().take_unread(&mut clients);
    clients
}

/// The clients with messages to read, as the tick takes them.
fn unread(server: &mut GameServer) -> Vec<u64> {
    unread_channels(server)
        .into_iter()
        .map(|(client_id, _)| client_id)
        .collect()
}

/// Reads every message the client sent, on renet's channels and outside renet.
fn read_all(server: &mut GameServer) -> usize {
    let mut messages = Vec::new();
    for channel in ClientChannel::ALL {
        server
            .connections()
            .take_messages(CLIENT_ID, channel, &mut messages);
    }
    let mut outside_renet = MessageQueue::default();
    server
        .connections()
        .take_messages_outside_renet(CLIENT_ID, &mut outside_renet);
    messages.len() + outside_renet.iter().count()
}

/// A connected client whose handshake's messages were read.
fn quiet_connection() -> (GameServer, ArbiterClient) {
    let (mut server, client) = connected();
    unread(&mut server);
    read_all(&mut server);
    (server, client)
}

/// Sends `message` and runs frames until the server has the client unread.
fn send_until_unread(server: &mut GameServer, client: &mut ArbiterClient, message: &ClientMessage) {
    client.send(message);
    until(server, client, |server| {
        server.connections().is_unread(CLIENT_ID)
    });
}

#[test]
fn only_the_channels_a_client_sent_messages_on_are_unread() {
    let (mut server, mut client) = quiet_connection();
    let client = &mut client;
    // The channels renet carried messages on, and whether messages came outside renet.
    let channels_heard = |server: &mut GameServer| {
        let heard = unread_channels(server);
        assert_eq!(heard.len(), 1, "{heard:?}");
        let (client_id, channels) = heard[0];
        assert_eq!(client_id, CLIENT_ID);
        (
            ClientChannel::ALL.map(|channel| channels.has(channel)),
            channels.has_outside_renet(),
        )
    };

    // An acknowledgement of a snapshot travels outside renet: neither renet channel is looked
    // at.
    send_until_unread(&mut server, client, &ClientMessage::AckSnapshot { tick: 1 });
    assert_eq!(channels_heard(&mut server), ([false, false], true));
    assert_eq!(read_all(&mut server), 1);

    send_until_unread(
        &mut server,
        client,
        &ClientMessage::Ping { client_time_us: 1 },
    );
    assert_eq!(channels_heard(&mut server), ([false, true], false));
    assert_eq!(read_all(&mut server), 1);

    // An input too big for a message frame goes on renet's input channel, which slices it.
    client.send_raw(ClientChannel::Input, vec![0; 2000]);
    let (mut on_renets_input_channel, mut read) = (false, 0);
    until(&mut server, client, |server| {
        for (_, channels) in unread_channels(server) {
            on_renets_input_channel |= channels.has(ClientChannel::Input);
        }
        read += read_all(server);
        read == 1
    });
    assert!(on_renets_input_channel);
}

#[test]
fn a_client_that_sent_a_message_stays_unread_until_read_and_one_that_sent_nothing_is_not() {
    let (mut server, mut client) = quiet_connection();
    send_until_unread(&mut server, &mut client, &PING);
    // Not read on this tick (its player entity not there yet, say): still unread on the next
    // ticks, however quiet the client is meanwhile.
    for _ in 0..3 {
        server.receive(FRAME, 1_000);
    }
    assert_eq!(
        unread(&mut server),
        [CLIENT_ID],
        "a message waits to be read"
    );
    assert_eq!(read_all(&mut server), 1, "the ping is there");

    // The client sends nothing (it is not run): nothing to ask it for.
    server.receive(FRAME, 1_000);
    assert!(unread(&mut server).is_empty());
}

#[test]
fn a_client_that_leaves_with_messages_unread_is_forgotten() {
    let (mut server, mut client) = connected();
    send_until_unread(&mut server, &mut client, &PING);
    client.disconnect();
    let started = Instant::now();
    while server.connections().is_connected(CLIENT_ID) {
        assert!(started.elapsed() < Duration::from_secs(5), "timed out");
        std::thread::sleep(Duration::from_millis(2));
        server.receive(FRAME, 1_000);
    }
    assert!(
        unread(&mut server).is_empty(),
        "nothing kept for a gone client"
    );
}

#[test]
fn a_kicked_client_s_connection_ends_with_a_disconnect_event_and_is_forgotten() {
    let (mut server, mut client) = connected();
    let client = &mut client;
    while server.connections().get_event().is_some() {}

    server.kick(CLIENT_ID, KickReason::Flooding);
    let (started, mut reason) = (Instant::now(), None);
    while reason.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no disconnect event"
        );
        // The client learns it was let go partway; it keeps running regardless.
        let _ = client.update(FRAME).and_then(|()| client.flush());
        std::thread::sleep(Duration::from_millis(2));
        server.receive(FRAME, 1_000);
        server.send_packets();
        server.hand_over();
        while let Some(event) = server.connections().get_event() {
            if let renet::ServerEvent::ClientDisconnected {
                client_id,
                reason: why,
            } = event
            {
                assert_eq!(client_id, CLIENT_ID);
                reason = Some(why);
            }
        }
    }
    assert_eq!(reason, Some(renet::DisconnectReason::DisconnectedByServer));
    assert!(!server.connections().is_connected(CLIENT_ID));
    assert_eq!(server.netcode.client_ids().count(), 0, "netcode let it go");
}

/// One round trip of a ping as the tick does it: the client sends it, the server reads it and
/// answers with a pong in the same tick's datagram (with its ack), then both ends run until the
/// pong has arrived and a few frames more.
fn ping_round_trip(server: &mut GameServer, client: &mut ArbiterClient, client_time_us: u64) {
    client.send(&ClientMessage::Ping { client_time_us });
    client.update(FRAME).expect("client update");
    client.flush().expect("client flush");
    let (started, mut answered) = (Instant::now(), false);
    while !answered {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no ping arrived"
        );
        std::thread::sleep(Duration::from_millis(2));
        server.receive(FRAME, 1_000);
        let mut messages = Vec::new();
        server
            .connections()
            .take_messages(CLIENT_ID, ClientChannel::Command, &mut messages);
        for bytes in messages {
            let ping = decode_client(&bytes, 1_024);
            assert!(matches!(ping, Ok(ClientMessage::Ping { .. })), "{ping:?}");
            server.send(
                CLIENT_ID,
                &ServerMessage::Pong {
                    client_time_us,
                    server_tick: 0,
                },
            );
            answered = true;
        }
        server.send_packets();
        server.hand_over();
    }
    // The pong is on its way before the client's next frame, as on a link faster than a frame.
    server.wait_until_sent();
    let mut ponged = false;
    for _ in 0..8 {
        frame(server, client);
        ponged |= client.receive().any(|message| {
            message
                == ServerMessage::Pong {
                    client_time_us,
                    server_tick: 0,
                }
        });
    }
    assert!(ponged, "the pong arrived");
}

#[test]
fn an_idle_client_s_ping_costs_it_one_datagram_its_pong_acknowledged_by_the_next_ping() {
    let (mut server, mut client) = connected();
    // The handshake's and the welcome-less connection's first exchanges settle.
    for _ in 0..8 {
        frame(&mut server, &mut client);
    }
    for round in 1..=4 {
        let before = client.datagrams_sent();
        ping_round_trip(&mut server, &mut client, round);
        assert_eq!(
            client.datagrams_sent() - before,
            1,
            "round {round}: the ping alone; the pong (unreliable) needs no datagram of acks"
        );
    }
}

/// Sends `count` datagrams of nothing netcode knows to the server, from a socket of their own.
fn junk(server: &GameServer, count: usize) {
    let sender = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
    let to = server.local_addr().expect("bound");
    for _ in 0..count {
        sender.send_to(&[0xee; 40], to).expect("sent");
    }
}

#[test]
fn what_arrives_while_the_server_waits_for_its_tick_is_read_before_the_tick() {
    let mut server = server();
    let to = server.local_addr().expect("bound");
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        let sender = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
        for _ in 0..3 {
            sender.send_to(&[0xee; 40], to).expect("sent");
        }
    });
    let until = Instant::now() + Duration::from_millis(300);
    server.read_between_ticks(until, 1_000);
    late.join().expect("the sender");
    assert!(
        Instant::now() + Duration::from_millis(1) >= until,
        "the wait lasts until its last millisecond, which the runner sleeps"
    );
    assert_eq!(
        server.tally.packets, 3,
        "read as they came, not at the tick"
    );
    server.receive(FRAME, 1_000);
    assert_eq!(server.tally.packets, 0, "counted with the tick");
}

#[test]
fn a_tick_s_receive_budget_covers_what_was_read_before_it() {
    let mut server = server();
    junk(&server, 10);
    std::thread::sleep(Duration::from_millis(20));
    let until = Instant::now() + Duration::from_secs(5);
    server.read_between_ticks(until, 4);
    assert!(Instant::now() < until, "a spent budget ends the reads");
    assert_eq!(server.tally.packets, 4);
    // The tick reads none (its budget is spent), which the reads after it show: 4 + 4 + 2.
    server.receive(FRAME, 4);
    server.read_between_ticks(Instant::now() + Duration::from_secs(5), 4);
    assert_eq!(server.tally.packets, 4, "the next tick's budget");
    server.receive(FRAME, 4);
    server.read_between_ticks(Instant::now() + Duration::from_millis(50), 4);
    assert_eq!(server.tally.packets, 2, "what was left");
}

/// Sends the client a snapshot of `tick` each frame for `frames` frames, as the tick does, and
/// takes its acknowledgements as the receive step does; the server's round trip after them.
fn round_trip_after(
    server: &mut GameServer,
    client: &mut ArbiterClient,
    ticks: std::ops::Range<u64>,
) -> f64 {
    let mut nobody = Vec::new();
    encode_delta(None, &[], &mut nobody);
    let mut acknowledgements = MessageQueue::default();
    for tick in ticks {
        server.connections().snapshot_sent(tick);
        server.send_unreliable(CLIENT_ID, |out| {
            encode_delta_snapshot(out, tick, 0, 0, &nobody);
        });
        frame(server, client);
        unread_channels(server);
        server
            .connections()
            .take_messages_outside_renet(CLIENT_ID, &mut acknowledgements);
        for bytes in acknowledgements.iter() {
            if let Ok(ClientMessage::AckSnapshot { tick }) = decode_client(bytes, 64) {
                server.connections().snapshot_acknowledged(CLIENT_ID, tick);
            }
        }
    }
    server.connections().rtt(CLIENT_ID)
}

#[test]
fn the_round_trip_the_server_measures_from_snapshot_acknowledgements_follows_the_link() {
    let (mut server, mut client) = quiet_connection();
    let direct = round_trip_after(&mut server, &mut client, 1..40);
    assert!(direct < 0.05, "a link of no delay: {direct} s");
    // 48 ms each way: three frames there, three back, give or take the frame each side waits.
    client.set_link(Some(LinkConditioner::new(
        Duration::from_millis(48),
        Duration::ZERO,
        0.0,
        7,
    )));
    let delayed = round_trip_after(&mut server, &mut client, 40..140);
    assert!(
        (delayed - direct - 0.096).abs() <= 0.02,
        "96 ms more than without the link: {direct} s, then {delayed} s"
    );
}
