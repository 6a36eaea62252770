//! The transport's per-client work in one tick, in memory (no socket): each client's datagram is
//! decrypted and unbundled, its input (a message frame, outside renet) kept for the tick, read
//! and decoded; then every group of ten gets one shared delta snapshot, each client its own
//! message in a message frame, and the bundle is encrypted. As on the server in steady play,
//! renet is not asked: nothing reliable is in flight. 1,000 clients connected through the real
//! netcode handshake. What the tick sends is copied into a batch, as the transport hands it to
//! its send thread; between ticks (not timed) each client takes its datagram from it and
//! decodes its snapshot.
//!
//! `cargo bench --bench transport_pipeline`

use arbiter::net::netcode::{NetcodeConfig, NetcodeServer, Received};
use arbiter::net::{Connections, DatagramBatch, unix_now};
use arbiter::settings::NetSettings;
use arbiter_client::bundle::{Bundler, Frame, frames};
use arbiter_client::message_queue::MessageQueue;
use arbiter_client::netcode::{ConnectToken, NetcodeClient, PrivateToken, random_bytes};
use arbiter_client::token::user_data_for_player;
use arbiter_components::protocol::{
    ClientMessage, InputFrame, QuantisedState, connection_config, decode_client, decode_server,
    encode_delta, encode_delta_snapshot, protocol_id,
};
use criterion::{Criterion, Throughput};
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const CLIENTS: u64 = 1000;
const GROUP: u64 = 10;
const TICK: Duration = Duration::from_micros(16_667);
const KEY: [u8; 32] = [3; 32];

struct Peer {
    address: SocketAddr,
    netcode: NetcodeClient,
    /// Its input, queued as the client queues it.
    input: MessageQueue,
}

struct Pipeline {
    server: NetcodeServer,
    /// What the server sent in a tick, collected as the transport collects it for its send thread.
    outbox: DatagramBatch,
    connections: Connections,
    bundler: Bundler,
    /// A client's messages outside renet, as the tick takes them.
    inputs: MessageQueue,
    /// A client's snapshot message, encoded.
    snapshot: Vec<u8>,
    peers: Vec<Peer>,
    /// Each group's states now and a tick ago (its baseline).
    groups: Vec<(Vec<QuantisedState>, Vec<QuantisedState>)>,
    tick: u64,
}

fn server_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 5000))
}

fn peer_address(index: u64) -> SocketAddr {
    SocketAddr::from(([10, 0, (index >> 8) as u8, index as u8], 4000))
}

fn peer_index(address: SocketAddr) -> usize {
    match address {
        SocketAddr::V4(address) => {
            let [_, _, high, low] = address.ip().octets();
            (usize::from(high) << 8) | usize::from(low)
        }
        SocketAddr::V6(_) => unreachable!("peers have IPv4 addresses"),
    }
}

fn peer(index: u64) -> Peer {
    let private = PrivateToken {
        client_id: index + 1,
        timeout_seconds: 600,
        server_addresses: vec![server_address()],
        client_to_server_key: random_bytes(),
        server_to_client_key: random_bytes(),
        user_data: user_data_for_player(index + 1),
    };
    let now = unix_now().as_secs();
    Peer {
        address: peer_address(index),
        netcode: NetcodeClient::new(ConnectToken::seal(
            &private,
            protocol_id(),
            now,
            now + 3600,
            &KEY,
        )),
        input: MessageQueue::default(),
    }
}

impl Pipeline {
    fn connected() -> Self {
        let mut server = NetcodeServer::new(NetcodeConfig {
            protocol_id: protocol_id(),
            private_key: Some(KEY),
            public_addresses: vec![server_address()],
            max_clients: CLIENTS as usize,
            requests_per_sec_per_address: NetSettings::default().connection_requests_per_sec,
            current_time: unix_now(),
        });
        let mut connections = Connections::new(connection_config(64 * 1024));
        let mut peers: Vec<Peer> = (0..CLIENTS).map(peer).collect();
        for peer in &mut peers {
            for _ in 0..3 {
                let Some(packet) = peer.netcode.update(Duration::from_millis(100)) else {
                    continue;
                };
                let mut packet = packet.to_vec();
                let mut replies = Vec::new();
                let received = server.process(peer.address, &mut packet, &mut |reply, _| {
                    replies.push(reply.to_vec());
                });
                if let Ok(Received::Connected { client_id }) = received {
                    connections.add_connection(client_id);
                }
                for mut reply in replies {
                    peer.netcode.process(&mut reply);
                }
            }
            assert!(peer.netcode.is_connected(), "the handshake completes");
        }
        let state = |id: u64| QuantisedState {
            player_id: id,
            position: [id as i32 * 100, 0, 0],
            velocity: [300, 0, -200],
            health: 100,
            ..QuantisedState::default()
        };
        let groups = (0..CLIENTS / GROUP)
            .map(|group| {
                let states: Vec<QuantisedState> = (group * GROUP + 1..=group * GROUP + GROUP)
                    .map(state)
                    .collect();
                (states.clone(), states)
            })
            .collect();
        Self {
            server,
            outbox: DatagramBatch::default(),
            connections,
            bundler: Bundler::default(),
            inputs: MessageQueue::default(),
            snapshot: Vec::new(),
            peers,
            groups,
            tick: 1,
        }
    }

    /// Every client reads what the server sent it last tick (not measured).
    fn clients_receive(&mut self) {
        for (to, datagram) in self.outbox.iter() {
            let peer = &mut self.peers[peer_index(to)];
            let mut datagram = datagram.to_vec();
            let payload = peer
                .netcode
                .process(&mut datagram)
                .expect("every datagram the server sends a client carries a payload");
            for frame in frames(payload).flatten() {
                if let Frame::Message(message) = Frame::of(frame) {
                    black_box(decode_server(message).ok());
                }
            }
        }
        self.outbox.clear();
    }

    /// What every client sends this tick: an input, bundled and encrypted (not measured).
    fn client_datagrams(&mut self) -> Vec<(SocketAddr, Vec<u8>)> {
        self.clients_receive();
        self.tick += 1;
        for (now, previous) in &mut self.groups {
            previous.clone_from(now);
            for state in now.iter_mut() {
                state.position[0] += 5;
                state.position[2] -= 3;
                state.yaw = state.yaw.wrapping_add(40);
            }
        }
        let tick = self.tick;
        self.peers
            .iter_mut()
            .map(|peer| {
                peer.input.push(&ClientMessage::Input(InputFrame {
                    tick,
                    move_x: 0.5,
                    move_y: 1.0,
                    yaw: 0.1,
                    pitch: 0.0,
                    buttons: 0,
                }));
                let mut bundles = Vec::new();
                let mut keep = |bundle: &[u8]| bundles.push(bundle.to_vec());
                let mut bundler = Bundler::default();
                peer.input.bundle_into(&mut bundler, &mut keep);
                bundler.finish(&mut keep);
                let datagram = peer
                    .netcode
                    .payload(&bundles[0])
                    .expect("connected")
                    .to_vec();
                (peer.address, datagram)
            })
            .collect()
    }

    /// The server's work for one tick; its datagrams are in the outbox after it.
    fn server_tick(&mut self, datagrams: &mut [(SocketAddr, Vec<u8>)]) {
        let outbox = &mut self.outbox;
        let mut send = |packet: &[u8], to: SocketAddr| outbox.push(packet, to);
        self.connections.advance(TICK);
        for (address, datagram) in datagrams.iter_mut() {
            if let Ok(Received::Payload { client_id, payload }) =
                self.server.process(*address, datagram, &mut send)
            {
                let read = frames(payload).map_while(Result::ok).map(Frame::of);
                let _ = self.connections.process_frames_from(client_id, read);
            }
        }
        for client_id in 1..=CLIENTS {
            self.connections
                .take_messages_outside_renet(client_id, &mut self.inputs);
            for bytes in self.inputs.iter() {
                black_box(decode_client(bytes, 1024).ok());
            }
        }
        let mut delta = Vec::new();
        for (group, (now, baseline)) in self.groups.iter().enumerate() {
            delta.clear();
            encode_delta(Some(baseline), now, &mut delta);
            for member in 1..=GROUP {
                let client_id = group as u64 * GROUP + member;
                self.snapshot.clear();
                encode_delta_snapshot(&mut self.snapshot, self.tick, 1, 1, &delta);
                let server = &mut self.server;
                let mut send_bundle = |bundle: &[u8]| {
                    server.send_payload(client_id, bundle, &mut send);
                };
                self.bundler.push_message(&self.snapshot, &mut send_bundle);
                self.bundler.finish(&mut send_bundle);
            }
        }
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("transport_pipeline");
    group.throughput(Throughput::Elements(CLIENTS));
    group.sample_size(30);
    let mut pipeline = Pipeline::connected();
    group.bench_function("1000_clients_one_tick", |bencher| {
        // Only the server's side is timed; the clients' datagrams are made between ticks.
        bencher.iter_custom(|ticks| {
            let mut spent = Duration::ZERO;
            for _ in 0..ticks {
                let mut datagrams = pipeline.client_datagrams();
                let start = Instant::now();
                pipeline.server_tick(&mut datagrams);
                black_box(&pipeline.outbox);
                spent += start.elapsed();
            }
            spent
        });
    });
    group.finish();
    criterion.final_summary();
}
