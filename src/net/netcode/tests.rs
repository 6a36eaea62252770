//! The server against renetcode's client, in memory: every datagram either way passes through the
//! test, which can drop, replay or forge it.

use super::*;
use arbiter_client::netcode::{
    ConnectToken, KEEP_ALIVE_INTERVAL, PrivateToken, REQUEST_PACKET_BYTES,
};
use proptest::prelude::*;
use renetcode::{ClientAuthentication, NetcodeClient};

const PROTOCOL: u64 = 0xA5B1;
const KEY: [u8; KEY_BYTES] = [11; KEY_BYTES];
const NOW: Duration = Duration::from_secs(1_800_000_000);
const FRAME: Duration = Duration::from_millis(16);

fn server_address() -> SocketAddr {
    "127.0.0.1:40000".parse().expect("address")
}

fn client_address(n: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, n], 5000))
}

fn server(max_clients: usize) -> NetcodeServer {
    NetcodeServer::new(NetcodeConfig {
        protocol_id: PROTOCOL,
        private_key: Some(KEY),
        public_addresses: vec![server_address()],
        max_clients,
        requests_per_sec_per_address: 64,
        current_time: NOW,
    })
}

fn token_with(
    client_id: u64,
    key: &[u8; KEY_BYTES],
    addresses: Vec<SocketAddr>,
    expire: u64,
) -> ConnectToken {
    let private = PrivateToken {
        client_id,
        timeout_seconds: 5,
        server_addresses: addresses,
        client_to_server_key: random_bytes(),
        server_to_client_key: random_bytes(),
        user_data: [client_id as u8; USER_DATA_BYTES],
    };
    ConnectToken::seal(
        &private,
        PROTOCOL,
        NOW.as_secs(),
        NOW.as_secs() + expire,
        key,
    )
}

/// The token as renetcode's client takes it (its own layout, with a client id the server ignores).
fn to_renetcode(token: ConnectToken) -> renetcode::ConnectToken {
    let mut server_addresses = [None; 32];
    for (slot, address) in server_addresses.iter_mut().zip(token.server_addresses) {
        *slot = Some(address);
    }
    renetcode::ConnectToken {
        client_id: 0,
        version_info: *arbiter_client::netcode::VERSION_INFO,
        protocol_id: token.protocol_id,
        create_timestamp: token.create_timestamp,
        expire_timestamp: token.expire_timestamp,
        xnonce: token.nonce,
        server_addresses,
        client_to_server_key: token.client_to_server_key,
        server_to_client_key: token.server_to_client_key,
        private_data: *token.private_data,
        timeout_seconds: token.timeout_seconds,
    }
}

fn token(client_id: u64) -> ConnectToken {
    token_with(client_id, &KEY, vec![server_address()], 300)
}

fn client(token: ConnectToken) -> NetcodeClient {
    NetcodeClient::new(
        NOW,
        ClientAuthentication::Secure {
            connect_token: to_renetcode(token),
        },
    )
    .expect("client")
}

/// Datagrams the server sent, in order.
#[derive(Default)]
struct Wire(Vec<(Vec<u8>, SocketAddr)>);

impl Wire {
    fn sink(&mut self) -> impl FnMut(&[u8], SocketAddr) + '_ {
        |packet, to| self.0.push((packet.to_vec(), to))
    }
}

/// One frame: the client's packet (if any) to the server, then the server's replies back, with
/// `drop_reply` deciding which replies are lost. Returns what the server made of the packet.
fn frame(
    server: &mut NetcodeServer,
    client: &mut NetcodeClient,
    from: SocketAddr,
    drop_reply: &mut impl FnMut(&[u8]) -> bool,
) -> Option<Result<String, Refusal>> {
    let mut wire = Wire::default();
    let outcome = client.update(FRAME).map(|(packet, _)| {
        let mut packet = packet.to_vec();
        server
            .process(from, &mut packet, &mut wire.sink())
            .map(|received| format!("{received:?}"))
    });
    server.update(FRAME, &mut wire.sink());
    for (mut packet, to) in wire.0 {
        assert_eq!(to, from);
        if !drop_reply(&packet) {
            client.process_packet(&mut packet);
        }
    }
    outcome
}

fn connect(server: &mut NetcodeServer, client: &mut NetcodeClient, from: SocketAddr) {
    for _ in 0..100 {
        frame(server, client, from, &mut |_| false);
        if client.is_connected() {
            return;
        }
    }
    panic!("the client did not connect");
}

#[test]
fn the_sweep_keeps_every_quiet_client_alive_once_a_second_and_times_out_every_silent_one() {
    // Twelve connect within a second (no keep-alive is due while they do); each 16 ms tick then
    // looks at two of them.
    let mut server = server(64);
    let mut clients: Vec<NetcodeClient> = (1..=12).map(|id| client(token(id))).collect();
    for (n, client) in (1..).zip(&mut clients) {
        connect(&mut server, client, client_address(n));
    }
    // Over a keep-alive interval and one sweep, every client gets exactly one keep-alive.
    let mut wire = Wire::default();
    let mut elapsed = Duration::ZERO;
    while elapsed < KEEP_ALIVE_INTERVAL + SWEEP {
        assert!(server.update(FRAME, &mut wire.sink()).is_empty());
        elapsed += FRAME;
    }
    let mut kept_alive: Vec<SocketAddr> = wire.0.iter().map(|(_, to)| *to).collect();
    kept_alive.sort_unstable();
    let everyone: Vec<SocketAddr> = (1..=12).map(client_address).collect();
    assert_eq!(kept_alive, everyone, "one keep-alive each");
    // Silent past the 5 s timeout: every client is found out within one more sweep.
    let mut timed_out = Vec::new();
    while elapsed < Duration::from_secs(5) + SWEEP * 2 {
        timed_out.extend(server.update(FRAME, &mut Wire::default().sink()));
        elapsed += FRAME;
    }
    timed_out.sort_unstable();
    assert_eq!(timed_out, (1..=12).collect::<Vec<u64>>());
    assert_eq!(server.client_ids().count(), 0);
}

#[test]
fn a_renetcode_client_connects_and_payloads_cross_both_ways() {
    let mut server = server(8);
    let mut client = client(token(7));
    connect(&mut server, &mut client, client_address(1));
    assert_eq!(server.client_ids().collect::<Vec<_>>(), vec![7]);
    assert_eq!(server.user_data(7), Some(&[7; USER_DATA_BYTES]));
    assert_eq!(server.client_addr(7), Some(client_address(1)));

    let (_, packet) = client.generate_payload_packet(b"up").expect("payload");
    let mut packet = packet.to_vec();
    let mut wire = Wire::default();
    let received = server.process(client_address(1), &mut packet, &mut wire.sink());
    assert_eq!(
        received,
        Ok(Received::Payload {
            client_id: 7,
            payload: b"up"
        })
    );

    assert!(server.send_payload(7, b"down", &mut wire.sink()));
    let payloads: Vec<Vec<u8>> = wire
        .0
        .into_iter()
        .filter_map(|(mut packet, _)| client.process_packet(&mut packet).map(<[u8]>::to_vec))
        .collect();
    assert_eq!(payloads, vec![b"down".to_vec()]);
}

#[test]
fn a_lost_first_keep_alive_does_not_strand_the_client() {
    let mut server = server(8);
    let mut client = client(token(7));
    let mut keep_alives_dropped = 0;
    for _ in 0..20 {
        frame(&mut server, &mut client, client_address(1), &mut |packet| {
            let keep_alive = packet[0] & 0x0f == PacketKind::KeepAlive as u8;
            keep_alives_dropped += usize::from(keep_alive);
            keep_alive
        });
    }
    assert_eq!(server.client_ids().count(), 1, "the server connected it");
    assert!(keep_alives_dropped > 0 && !client.is_connected());
    // The server sends every tick; each payload is preceded by a keep-alive until the client answers.
    let mut wire = Wire::default();
    assert!(server.send_payload(7, b"snapshot", &mut wire.sink()));
    assert_eq!(wire.0.len(), 2);
    for (mut packet, _) in wire.0 {
        client.process_packet(&mut packet);
    }
    assert!(client.is_connected());
}

#[test]
fn every_packet_the_server_sends_carries_one_to_eight_sequence_bytes() {
    let mut server = server(8);
    let mut client = client(token(7));
    let mut prefixes = Vec::new();
    for _ in 0..30 {
        frame(&mut server, &mut client, client_address(1), &mut |packet| {
            prefixes.push(packet[0]);
            false
        });
    }
    let mut wire = Wire::default();
    server.send_payload(7, b"x", &mut wire.sink());
    server.disconnect(7, &mut wire.sink());
    prefixes.extend(wire.0.iter().map(|(packet, _)| packet[0]));
    assert!(prefixes.len() > 12);
    assert!(
        prefixes
            .iter()
            .all(|prefix| (1..=8).contains(&(prefix >> 4))),
        "{prefixes:x?}"
    );
}

#[test]
fn a_replayed_payload_is_refused() {
    let mut server = server(8);
    let mut client = client(token(7));
    connect(&mut server, &mut client, client_address(1));
    let (_, packet) = client.generate_payload_packet(b"once").expect("payload");
    let packet = packet.to_vec();
    let mut wire = Wire::default();
    assert!(
        server
            .process(client_address(1), &mut packet.clone(), &mut wire.sink())
            .is_ok()
    );
    assert_eq!(
        server.process(client_address(1), &mut packet.clone(), &mut wire.sink()),
        Err(Refusal::Packet(PacketError::Replayed))
    );
}

#[test]
fn forged_foreign_expired_and_reused_tokens_are_refused_without_an_answer() {
    let mut server = server(8);
    let request_of = |token: ConnectToken| {
        let mut client = client(token);
        client.update(FRAME).expect("a request").0.to_vec()
    };
    let mut wire = Wire::default();
    let mut refusal = |server: &mut NetcodeServer, mut request: Vec<u8>, from| {
        server.process(from, &mut request, &mut wire.sink()).err()
    };
    let foreign = request_of(token_with(1, &[12; KEY_BYTES], vec![server_address()], 300));
    assert_eq!(
        refusal(&mut server, foreign, client_address(1)),
        Some(PacketError::Unauthentic.into())
    );
    let elsewhere = request_of(token_with(
        2,
        &KEY,
        vec!["127.0.0.1:9".parse().expect("address")],
        300,
    ));
    assert_eq!(
        refusal(&mut server, elsewhere, client_address(1)),
        Some(Refusal::NotForThisServer)
    );
    let mut forged = request_of(token(3));
    forged[REQUEST_PACKET_BYTES - 1] ^= 1;
    assert_eq!(
        refusal(&mut server, forged, client_address(1)),
        Some(PacketError::Unauthentic.into())
    );
    let mut wrong_protocol = request_of(token(4));
    wrong_protocol[14] ^= 1;
    assert_eq!(
        refusal(&mut server, wrong_protocol, client_address(1)),
        Some(PacketError::WrongProtocol.into())
    );

    let reused = request_of(token(5));
    assert_eq!(
        refusal(&mut server, reused.clone(), client_address(1)),
        None
    );
    assert_eq!(
        refusal(&mut server, reused, client_address(2)),
        Some(Refusal::TokenReused)
    );

    let expiring = request_of(token_with(6, &KEY, vec![server_address()], 1));
    server.update(Duration::from_secs(2), &mut Wire::default().sink());
    assert_eq!(
        refusal(&mut server, expiring, client_address(3)),
        Some(PacketError::Expired.into())
    );
    assert_eq!(
        wire.0.len(),
        1,
        "only the valid request was answered: {:?}",
        wire.0.len()
    );
    assert!(
        wire.0[0].0.len() < REQUEST_PACKET_BYTES,
        "a challenge is smaller than the request"
    );
}

#[test]
fn a_request_flood_from_one_address_is_cut_before_decryption_and_others_still_connect() {
    let mut server = server(8);
    let request = client(token(1))
        .update(FRAME)
        .expect("a request")
        .0
        .to_vec();
    let mut wire = Wire::default();
    let refusals: Vec<Option<Refusal>> = (0..200)
        .map(|_| {
            let mut packet = request.clone();
            server
                .process(client_address(1), &mut packet, &mut wire.sink())
                .err()
        })
        .collect();
    assert!(refusals[..64].iter().all(Option::is_none), "{refusals:?}");
    assert!(
        refusals[64..]
            .iter()
            .all(|refusal| *refusal == Some(Refusal::RequestRateLimited)),
        "{refusals:?}"
    );
    assert_eq!(
        wire.0.len(),
        64,
        "only requests within the allowance are answered"
    );
    let mut other = client(token(2));
    connect(&mut server, &mut other, client_address(2));
}

#[test]
fn a_new_token_from_an_address_mid_handshake_starts_the_handshake_over() {
    let mut server = server(8);
    let mut abandoned = client(token(1));
    frame(&mut server, &mut abandoned, client_address(1), &mut |_| {
        false
    });
    let mut second = client(token(2));
    connect(&mut server, &mut second, client_address(1));
    assert_eq!(server.client_ids().collect::<Vec<_>>(), vec![2]);
}

#[test]
fn a_full_server_denies_and_the_client_learns_it() {
    let mut server = server(1);
    let mut first = client(token(1));
    connect(&mut server, &mut first, client_address(1));
    let mut second = client(token(2));
    for _ in 0..5 {
        let outcome = frame(&mut server, &mut second, client_address(2), &mut |_| false);
        if let Some(Err(refusal)) = outcome {
            assert_eq!(refusal, Refusal::Full);
        }
    }
    assert!(
        second.disconnect_reason().is_some(),
        "the client was told it was denied"
    );
    assert_eq!(server.client_ids().count(), 1);
}

#[test]
fn a_server_not_admitting_denies_new_clients_keeps_its_own_and_admits_again_later() {
    let mut server = server(8);
    let mut first = client(token(1));
    connect(&mut server, &mut first, client_address(1));
    server.set_admitting(false);
    let mut second = client(token(2));
    let mut refusals = Vec::new();
    for _ in 0..5 {
        if let Some(Err(refusal)) =
            frame(&mut server, &mut second, client_address(2), &mut |_| false)
        {
            refusals.push(refusal);
        }
    }
    assert_eq!(refusals.first(), Some(&Refusal::NotAdmitting));
    assert!(
        second.disconnect_reason().is_some(),
        "the client was told it was denied"
    );
    assert_eq!(server.client_ids().collect::<Vec<_>>(), vec![1]);
    server.set_admitting(true);
    let mut third = client(token(3));
    for _ in 0..100 {
        let mut wire = Wire::default();
        if let Some((packet, _)) = third.update(FRAME) {
            let _ = server.process(client_address(3), &mut packet.to_vec(), &mut wire.sink());
        }
        server.update(FRAME, &mut wire.sink());
        // The first client's keep-alives go unread: it is not part of this exchange.
        for (mut packet, to) in wire.0 {
            if to == client_address(3) {
                third.process_packet(&mut packet);
            }
        }
    }
    assert!(third.is_connected(), "admitted again");
    let mut connected: Vec<u64> = server.client_ids().collect();
    connected.sort_unstable();
    assert_eq!(connected, vec![1, 3]);
}

#[test]
fn a_silent_client_times_out_and_its_slot_is_reused() {
    let mut server = server(1);
    let mut first = client(token(1));
    connect(&mut server, &mut first, client_address(1));
    let mut wire = Wire::default();
    assert!(
        server
            .update(Duration::from_secs(4), &mut wire.sink())
            .is_empty()
    );
    assert_eq!(
        server.update(Duration::from_secs(1), &mut wire.sink()),
        vec![1]
    );
    assert_eq!(server.client_ids().count(), 0);
    let mut second = client(token(2));
    connect(&mut server, &mut second, client_address(2));
}

#[test]
fn a_client_disconnect_frees_the_address_and_id() {
    let mut server = server(4);
    let mut client = client(token(9));
    connect(&mut server, &mut client, client_address(1));
    let (_, packet) = client.disconnect().expect("disconnect packet");
    let mut packet = packet.to_vec();
    assert_eq!(
        server.process(client_address(1), &mut packet, &mut Wire::default().sink()),
        Ok(Received::Disconnected { client_id: 9 })
    );
    assert_eq!(server.client_addr(9), None);
}

proptest! {
    #[test]
    fn arbitrary_datagrams_never_panic_or_connect_anyone(
        datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..1400), 1..20)
    ) {
        let mut server = server(4);
        let mut wire = Wire::default();
        for mut datagram in datagrams {
            let _ = server.process(client_address(1), &mut datagram, &mut wire.sink());
        }
        prop_assert_eq!(server.client_ids().count(), 0);
        prop_assert!(wire.0.is_empty());
    }
}
