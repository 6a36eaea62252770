//! The kernel's floor under the transport: what a server pays per client per tick on loopback
//! for one datagram in and one out and nothing else — no crypto, no renet, no ECS. 1,000 client
//! sockets, each connected to the server's socket as a bot's is. Timed: the server reads every
//! client's datagram (`recvfrom`, then the empty read that ends the run) and sends each one a
//! datagram (`sendto`, which on loopback also delivers it into the client's socket, as it does
//! under `scripts/measure_net_load.py`). Not timed: the clients' sends and reads. Sizes are the
//! ones measured in steady play (BENCHMARKS.md). The server's figure from the load script, minus
//! this, is what Arbiter itself costs per client per tick.
//!
//! The same tick timed on the clients' side instead is the floor of a bot process: per bot frame,
//! one `send` (delivered into the server's socket), the read of its snapshot and the empty read
//! that tells it nothing more waits, as `arbiter bots` does for each bot.
//!
//! `cargo bench --bench loopback_floor`

use criterion::{Criterion, Throughput};
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

const CLIENTS: usize = 1000;
/// A client's datagram in steady play: its input and snapshot acknowledgement, encrypted.
const INPUT_BYTES: usize = 52;
/// The server's datagram to a client in steady play: a delta snapshot, encrypted.
const SNAPSHOT_BYTES: usize = 66;

/// Whose work a tick times.
#[derive(Clone, Copy)]
enum Side {
    Server,
    Clients,
}

struct Loopback {
    server: UdpSocket,
    clients: Vec<UdpSocket>,
    /// Whom the server heard from this tick, in the order it read them.
    senders: Vec<SocketAddr>,
    buffer: [u8; 1500],
}

impl Loopback {
    fn new() -> Self {
        let server = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).expect("a socket");
        // A whole tick's datagrams wait in the server's buffer, as they do on the game socket.
        server
            .set_recv_buffer_size(4 * 1024 * 1024)
            .expect("a receive buffer");
        server
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .expect("a loopback port");
        server.set_nonblocking(true).expect("non-blocking");
        let server: UdpSocket = server.into();
        let server_address = server.local_addr().expect("bound");
        let clients = (0..CLIENTS)
            .map(|_| {
                let client = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
                client.connect(server_address).expect("connected");
                client.set_nonblocking(true).expect("non-blocking");
                client
            })
            .collect();
        Self {
            server,
            clients,
            senders: Vec::with_capacity(CLIENTS),
            buffer: [0; 1500],
        }
    }

    /// One tick: the clients send, the server reads all and answers each, the clients read their
    /// answers. The time `side` took.
    fn tick(&mut self, side: Side) -> Duration {
        let input = [7u8; INPUT_BYTES];
        let clients_started = Instant::now();
        for client in &self.clients {
            client.send(&input).expect("sent");
        }
        let mut clients_took = clients_started.elapsed();
        let snapshot = [9u8; SNAPSHOT_BYTES];
        self.senders.clear();
        let started = Instant::now();
        loop {
            match self.server.recv_from(&mut self.buffer) {
                Ok((_, from)) => self.senders.push(from),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("reading: {error}"),
            }
        }
        for to in &self.senders {
            self.server.send_to(&snapshot, to).expect("sent");
        }
        let took = started.elapsed();
        assert_eq!(
            self.senders.len(),
            CLIENTS,
            "every client's datagram arrived"
        );
        let clients_started = Instant::now();
        for client in &self.clients {
            client.recv(&mut self.buffer).expect("its snapshot arrived");
            let nothing_more = client.recv(&mut self.buffer);
            assert!(
                nothing_more.is_err_and(|error| error.kind() == std::io::ErrorKind::WouldBlock),
                "one datagram per client"
            );
        }
        clients_took += clients_started.elapsed();
        match side {
            Side::Server => took,
            Side::Clients => clients_took,
        }
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("loopback_floor");
    group.throughput(Throughput::Elements(CLIENTS as u64));
    group.sample_size(30);
    let mut loopback = Loopback::new();
    for (name, side) in [
        ("1000_clients_one_datagram_each_way", Side::Server),
        (
            "1000_clients_one_datagram_each_way_client_side",
            Side::Clients,
        ),
    ] {
        group.bench_function(name, |bencher| {
            bencher.iter_custom(|ticks| (0..ticks).map(|_| loopback.tick(side)).sum());
        });
    }
    group.finish();
    criterion.final_summary();
}
