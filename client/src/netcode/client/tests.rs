use super::*;
use crate::netcode::{
    ChallengeToken, Header, KEY_BYTES, PrivateToken, REQUEST_PACKET_BYTES, USER_DATA_BYTES,
    open_packet, seal_challenge_token, write_packet,
};

const PROTOCOL: u64 = 77;
const FRAME: Duration = Duration::from_millis(16);

fn token(addresses: &[&str]) -> ConnectToken {
    let private = PrivateToken {
        client_id: 1,
        timeout_seconds: 2,
        server_addresses: addresses
            .iter()
            .map(|a| a.parse().expect("address"))
            .collect(),
        client_to_server_key: [1; KEY_BYTES],
        server_to_client_key: [2; KEY_BYTES],
        user_data: [0; USER_DATA_BYTES],
    };
    ConnectToken::seal(&private, PROTOCOL, 100, 130, &[9; KEY_BYTES])
}

/// A packet from the server, sealed with the token's server-to-client key.
fn from_server(kind: PacketKind, sequence: u64, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; MAX_PACKET_BYTES];
    let len = write_packet(
        &mut out,
        kind,
        sequence,
        data,
        &PacketKey::new(&[2; KEY_BYTES]),
        PROTOCOL,
    );
    out.truncate(len);
    out
}

/// What the client sent, opened with the client-to-server key.
fn opened(packet: &[u8]) -> (PacketKind, Vec<u8>) {
    let mut packet = packet.to_vec();
    let header = Header::read(&packet).expect("header");
    let body = open_packet(
        &mut packet,
        &header,
        &PacketKey::new(&[1; KEY_BYTES]),
        PROTOCOL,
    )
    .expect("opens");
    (header.kind, body.to_vec())
}

fn connected_client() -> NetcodeClient {
    let mut client = NetcodeClient::new(token(&["127.0.0.1:4000"]));
    client.update(FRAME);
    let sealed = seal_challenge_token(
        &ChallengeToken {
            client_id: 1,
            user_data: [0; USER_DATA_BYTES],
        },
        0,
        &PacketKey::new(&[3; KEY_BYTES]),
    );
    let mut challenge = 0u64.to_le_bytes().to_vec();
    challenge.extend_from_slice(&sealed);
    client.process(&mut from_server(PacketKind::Challenge, 0, &challenge));
    let response = client.update(FRAME).expect("a response").to_vec();
    assert_eq!(opened(&response), (PacketKind::Response, challenge));
    client.process(&mut from_server(PacketKind::KeepAlive, 1, &[0; 8]));
    assert!(client.is_connected());
    client
}

#[test]
fn the_client_sends_its_request_at_10_hz_until_challenged() {
    let mut client = NetcodeClient::new(token(&["127.0.0.1:4000"]));
    let sent: Vec<usize> = (0..13)
        .filter_map(|_| client.update(FRAME).map(<[u8]>::len))
        .collect();
    assert_eq!(
        sent,
        vec![REQUEST_PACKET_BYTES; 2],
        "at 0 and ~100 ms of 208 ms"
    );
    assert!(client.is_connecting());
}

#[test]
fn a_challenge_then_a_keep_alive_connect_and_payloads_flow_once_each() {
    let mut client = connected_client();
    let mut payload = from_server(PacketKind::Payload, 2, b"snapshot");
    assert_eq!(client.process(&mut payload.clone()), Some(&b"snapshot"[..]));
    assert_eq!(client.process(&mut payload), None, "a replay is dropped");
    let up = client.payload(b"input").expect("connected").to_vec();
    assert_eq!(opened(&up), (PacketKind::Payload, b"input".to_vec()));
    // The token's timeout is 2 s, so keep-alives go every 500 ms: one in 32 frames of 16 ms.
    let idle: Vec<Vec<u8>> = (0..32)
        .filter_map(|_| client.update(FRAME).map(<[u8]>::to_vec))
        .collect();
    assert_eq!(idle.len(), 1);
    assert_eq!(opened(&idle[0]).0, PacketKind::KeepAlive);
}

#[test]
fn packets_with_another_key_or_protocol_are_ignored() {
    let mut client = NetcodeClient::new(token(&["127.0.0.1:4000"]));
    client.update(FRAME);
    let mut forged = vec![0u8; MAX_PACKET_BYTES];
    let len = write_packet(
        &mut forged,
        PacketKind::Denied,
        0,
        &[],
        &PacketKey::new(&[5; KEY_BYTES]),
        PROTOCOL,
    );
    client.process(&mut forged[..len]);
    let len = write_packet(
        &mut forged,
        PacketKind::Denied,
        0,
        &[],
        &PacketKey::new(&[2; KEY_BYTES]),
        PROTOCOL + 1,
    );
    client.process(&mut forged[..len]);
    assert!(client.is_connecting());
    client.process(&mut from_server(PacketKind::Denied, 0, &[]));
    assert_eq!(client.disconnect_reason(), Some(DisconnectReason::Denied));
}

#[test]
fn a_denial_moves_to_the_next_server_and_the_last_one_s_denial_ends_it() {
    let mut client = NetcodeClient::new(token(&["127.0.0.1:4000", "127.0.0.1:4001"]));
    client.update(FRAME);
    client.process(&mut from_server(PacketKind::Denied, 0, &[]));
    assert!(client.is_connecting(), "on to the next server");
    assert_eq!(
        client.server_addr(),
        "127.0.0.1:4001".parse().expect("address")
    );
    let request = client.update(FRAME).expect("a request at once").to_vec();
    assert_eq!(request[0], PacketKind::Request as u8);
    client.process(&mut from_server(PacketKind::Denied, 0, &[]));
    assert_eq!(client.disconnect_reason(), Some(DisconnectReason::Denied));
}

#[test]
fn an_unanswered_request_moves_to_the_next_server_then_times_out() {
    let mut client = NetcodeClient::new(token(&["127.0.0.1:4000", "127.0.0.1:4001"]));
    client.update(Duration::ZERO);
    client.update(Duration::from_secs(2));
    assert_eq!(
        client.server_addr(),
        "127.0.0.1:4001".parse().expect("address")
    );
    assert!(client.is_connecting());
    client.update(Duration::from_secs(2));
    assert_eq!(
        client.disconnect_reason(),
        Some(DisconnectReason::RequestTimedOut)
    );
}

#[test]
fn a_silent_server_times_the_connection_out_and_a_disconnect_packet_ends_it() {
    let mut client = connected_client();
    client.update(Duration::from_secs(2));
    assert_eq!(client.disconnect_reason(), Some(DisconnectReason::TimedOut));
    let mut client = connected_client();
    client.process(&mut from_server(PacketKind::Disconnect, 5, &[]));
    assert_eq!(client.disconnect_reason(), Some(DisconnectReason::ByServer));
}

#[test]
fn keep_alives_go_once_a_second_or_four_times_per_shorter_timeout() {
    assert_eq!(keep_alive_interval(None), KEEP_ALIVE_INTERVAL);
    assert_eq!(
        keep_alive_interval(Some(Duration::from_secs(10))),
        Duration::from_secs(1)
    );
    assert_eq!(
        keep_alive_interval(Some(Duration::from_secs(1))),
        Duration::from_millis(250)
    );
}
