//! Datagrams from anyone on the internet, into the server's netcode layer: connection requests
//! carrying connect tokens, challenge responses, keep-alives, payloads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use renetcode::{NetcodeServer, ServerAuthentication, ServerConfig};
use std::net::SocketAddr;
use std::time::Duration;

fuzz_target!(|bytes: &[u8]| {
    let address: SocketAddr = "127.0.0.1:5000".parse().expect("literal address");
    let mut server = NetcodeServer::new(ServerConfig {
        current_time: Duration::ZERO,
        max_clients: 4,
        protocol_id: arbiter_components::protocol::protocol_id(),
        public_addresses: vec![address],
        authentication: ServerAuthentication::Secure {
            private_key: [7; 32],
        },
    });
    let sender: SocketAddr = "10.0.0.1:40000".parse().expect("literal address");
    let mut packet = bytes.to_vec();
    let _ = server.process_packet(sender, &mut packet);
    server.update(Duration::from_millis(16));
});
