//! Where players reach a game server, as Agones reports it (the sidecar's `GameServer` status and
//! the allocator's answer alike): the node's address and the port named [`GAME_PORT_NAME`].

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

/// The port Agones opens for players is the one named so in the Fleet's template.
pub const GAME_PORT_NAME: &str = "game";

/// One of a game server's ports.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct Port {
    name: String,
    port: u16,
}

/// `address` with the port named [`GAME_PORT_NAME`] (else the first one), if both are usable.
pub fn players_address(address: &str, ports: &[Port]) -> Option<SocketAddr> {
    let port = ports
        .iter()
        .find(|port| port.name == GAME_PORT_NAME)
        .or(ports.first())?;
    let ip = address.parse::<IpAddr>().ok()?;
    Some(SocketAddr::new(ip, port.port))
}
