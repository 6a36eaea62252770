//! Datagrams from anyone on the internet, into the server's netcode layer: connection requests
//! carrying connect tokens, challenge responses, keep-alives, payloads.
#![no_main]

use arbiter::net::netcode::{NetcodeConfig, NetcodeServer};
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::time::Duration;

fuzz_target!(|bytes: &[u8]| {
    let address: SocketAddr = "127.0.0.1:5000".parse().expect("literal address");
    let mut server = NetcodeServer::new(NetcodeConfig {
        protocol_id: arbiter_components::protocol::protocol_id(),
        private_key: Some([7; 32]),
        public_addresses: vec![address],
        max_clients: 4,
        requests_per_sec_per_address: arbiter::settings::NetSettings::default()
            .connection_requests_per_sec,
        current_time: Duration::ZERO,
    });
    let sender: SocketAddr = "10.0.0.1:40000".parse().expect("literal address");
    let mut packet = bytes.to_vec();
    let mut sink = |_: &[u8], _: SocketAddr| {};
    let _ = server.process(sender, &mut packet, &mut sink);
    server.update(Duration::from_millis(16), &mut sink);
});
