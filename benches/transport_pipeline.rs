//! The transport's per-client work in one tick, in memory (no socket): each client's datagram is
//! decrypted, unbundled, handed to renet, its input message read and decoded; then every group of
//! ten gets one shared delta snapshot, each client its own message, renet packs it, and the bundle
//! is encrypted. 1,000 clients connected through the real netcode handshake. What the tick sends
//! is copied into a batch, as the transport hands it to its send thread; between ticks (not timed)
//! each client takes its datagram from it and acknowledges it in its next one, as a real client
//! does: without that, renet on the server keeps every packet unacknowledged for 3 s, a state no
//! playing client leaves it in.
//!
//! `cargo bench --bench transport_pipeline`

use arbiter::net::netcode::{NetcodeConfig, NetcodeServer, Received};
use arbiter::net::{Connections, DatagramBatch, unix_now};
use arbiter::settings::NetSettings;
use arbiter_client::bundle::{Bundler, frames};
use arbiter_client::netcode::{ConnectToken, NetcodeClient, PrivateToken, random_bytes};
use arbiter_client::token::user_data_for_player;
use arbiter_components::protocol::{
    ClientChannel, ClientMessage, InputFrame, QuantisedState, ServerChannel, connection_config,
    decode_client, encode, encode_delta, encode_delta_snapshot, protocol_id,
};
use criterion::{Criterion, Throughput};
use renet::RenetClient;
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
    renet: RenetClient,
}

struct Pipeline {
    server: NetcodeServer,
    /// What the server sent in a tick, collected as the transport collects it for its send thread.
    outbox: DatagramBatch,
    connections: Connections,
    bundler: Bundler,
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
        renet: RenetClient::new(connection_config(16 * 1024)),
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
            peer.renet.set_connected();
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
            for packet in frames(payload).flatten() {
                peer.renet.process_packet(packet);
            }
        }
        self.outbox.clear();
        for peer in &mut self.peers {
            peer.renet.update(TICK);
            while peer
                .renet
                .receive_message(ServerChannel::Snapshot)
                .is_some()
            {}
        }
    }

    /// What every client sends this tick: an input and its acknowledgements, bundled and
    /// encrypted (not measured).
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
                peer.renet.send_message(
                    ClientChannel::Input,
                    encode(&ClientMessage::Input(InputFrame {
                        tick,
                        move_x: 0.5,
                        move_y: 1.0,
                        yaw: 0.1,
                        pitch: 0.0,
                        buttons: 0,
                    })),
                );
                let mut bundles = Vec::new();
                let mut keep = |bundle: &[u8]| bundles.push(bundle.to_vec());
                let mut bundler = Bundler::default();
                for packet in peer.renet.get_packets_to_send() {
                    bundler.push(&packet, &mut keep);
                }
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
                let packets = frames(payload).map_while(Result::ok);
                let _ = self.connections.process_packets_from(client_id, packets);
            }
        }
        let mut messages = Vec::new();
        for client_id in 1..=CLIENTS {
            messages.clear();
            self.connections
                .take_messages(client_id, ClientChannel::Input, &mut messages);
            for bytes in &messages {
                black_box(decode_client(bytes, 1024).ok());
            }
        }
        let mut delta = Vec::new();
        for (group, (now, baseline)) in self.groups.iter().enumerate() {
            delta.clear();
            encode_delta(Some(baseline), now, &mut delta);
            for member in 1..=GROUP {
                let client_id = group as u64 * GROUP + member;
                let message = encode_delta_snapshot(self.tick, 1, 1, &delta);
                self.connections
                    .send_message(client_id, ServerChannel::Snapshot, message);
            }
        }
        for client_id in 1..=CLIENTS {
            let Ok(packets) = self.connections.get_packets_to_send(client_id) else {
                continue;
            };
            let server = &mut self.server;
            let mut send_bundle = |bundle: &[u8]| {
                server.send_payload(client_id, bundle, &mut send);
            };
            for packet in &packets {
                self.bundler.push(packet, &mut send_bundle);
            }
            self.bundler.finish(&mut send_bundle);
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
