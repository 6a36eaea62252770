//! The game network: UDP socket, connect tokens, sessions, client messages and snapshots, driven by
//! the Receive and Send phases of the tick.

mod abuse;
mod connections;
mod keys;
pub mod netcode;
mod outbound;
mod receive;
mod renet_packet;
mod requests;
mod sessions;
mod snapshots;
mod socket;
mod tokens;
mod transport;

pub use abuse::{Abuse, Violation};
pub use connections::{Connections, NotFound};
pub use keys::load_or_create_key;
pub use sessions::{AwaitingWelcome, DespawnBlocker, Sessions};
pub use snapshots::snapshot_due;
pub use tokens::{GuestToken, IssueError, TokenIssuer, TokenPass, unix_now};
pub use transport::{DatagramBatch, GameServer, GameSocket};

use crate::build_once::BuildOnce;
use crate::phase::TickSystems;
use crate::settings::{NetSettings, ServerConfig};
use crate::shutdown::Shutdown;
use crate::tick::{BetweenTicks, IdleUntil};
use arbiter_client::netcode::KEY_BYTES as NETCODE_KEY_BYTES;
use arbiter_components::matchmaking::PlaceMatchesElsewhere;
use arbiter_components::messages::KickRequest;
use arbiter_components::protocol::{KickReason, connection_config, protocol_id};
use arbiter_components::session::Session;
use bevy_app::{App, Last, Plugin, PostUpdate, PreUpdate};
use bevy_ecs::schedule::common_conditions::{not, resource_changed, resource_exists};
use bevy_ecs::schedule::{IntoScheduleConfigs, SystemSet};
use bevy_ecs::system::{Query, Res, ResMut};
use bevy_time::{Real, Time};
use netcode::NetcodeConfig;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Why the network could not be set up at start-up.
#[derive(Debug, thiserror::Error)]
pub enum NetSetupError {
    #[error("server.bind {address}: {source}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("token key: {0}")]
    Key(#[source] std::io::Error),
    #[error("preparing the game socket (its send thread, its readiness): {0}")]
    Socket(#[source] std::io::Error),
}

/// Everything the network needs from the operating system, acquired before the app starts so a taken
/// port or an unreadable key is a start-up error.
#[derive(Debug)]
pub struct NetworkSetup {
    socket: GameSocket,
    /// `None` in insecure mode.
    key: Option<[u8; NETCODE_KEY_BYTES]>,
    public_addresses: Vec<SocketAddr>,
}

impl NetworkSetup {
    pub fn bind(config: &ServerConfig) -> Result<Self, NetSetupError> {
        let address = config.server.bind;
        let socket = socket::bind_game_socket(address, &config.net)
            .map_err(|source| NetSetupError::Bind { address, source })?;
        let bound = socket
            .local_addr()
            .map_err(|source| NetSetupError::Bind { address, source })?;
        let key = if config.net.insecure {
            None
        } else {
            Some(load_or_create_key(&key_path(config)).map_err(NetSetupError::Key)?)
        };
        Ok(Self {
            socket: GameSocket::open(socket).map_err(NetSetupError::Socket)?,
            key,
            public_addresses: public_addresses(&config.net, bound),
        })
    }
}

/// Where the token key lives: `net.private_key_file`, or `netcode.key` in the data directory.
pub fn key_path(config: &ServerConfig) -> PathBuf {
    if config.net.private_key_file.is_empty() {
        PathBuf::from(&config.server.data_dir).join("netcode.key")
    } else {
        PathBuf::from(&config.net.private_key_file)
    }
}

/// The addresses written into tokens: configured ones, or the bound one (loopback for a wildcard).
pub fn public_addresses(net: &NetSettings, bound: SocketAddr) -> Vec<SocketAddr> {
    if !net.public_addresses.is_empty() {
        return net.public_addresses.clone();
    }
    let ip = if bound.ip().is_unspecified() {
        tracing::warn!(
            %bound,
            "net.public_addresses is empty: tokens point clients at 127.0.0.1; set it for remote clients"
        );
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        bound.ip()
    };
    vec![SocketAddr::new(ip, bound.port())]
}

/// The network's two steps of [`TickSystems::Receive`], in order, for plugins that act between them.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetSystems {
    /// Drain the transport: packets, connects and disconnects, client messages and their cadence,
    /// abuse limits.
    Drain,
    /// Despawn the players whose reconnect grace period is over and that no [`DespawnBlocker`]
    /// keeps.
    Expire,
}

/// Adds the transport, sessions and snapshot systems.
#[derive(Debug)]
pub struct NetPlugin {
    setup: BuildOnce<NetworkSetup>,
}

impl NetPlugin {
    pub fn new(setup: NetworkSetup) -> Self {
        Self {
            setup: BuildOnce::new(setup),
        }
    }
}

impl Plugin for NetPlugin {
    fn build(&self, app: &mut App) {
        Violation::count_from_zero();
        let setup = self.setup.take();
        let settings = app
            .world_mut()
            .get_resource_or_init::<NetSettings>()
            .clone();
        match setup.key {
            Some(private_key) => {
                let issuer =
                    TokenIssuer::new(private_key, setup.public_addresses.clone(), &settings);
                app.insert_resource(issuer).add_systems(
                    PreUpdate,
                    tokens::sync_token_settings
                        .in_set(TickSystems::Receive)
                        .run_if(resource_changed::<NetSettings>),
                );
            }
            None => tracing::warn!(
                "net.insecure = true: clients connect without tokens and can claim any player id"
            ),
        }
        let netcode = NetcodeConfig {
            protocol_id: protocol_id(),
            private_key: setup.key,
            public_addresses: setup.public_addresses.clone(),
            max_clients: settings.max_clients as usize,
            requests_per_sec_per_address: settings.connection_requests_per_sec,
            current_time: unix_now(),
        };
        let connection = connection_config(u64::from(settings.send_budget_bytes_per_tick));
        let server = GameServer::new(setup.socket, netcode, connection);
        if let Ok(addr) = server.local_addr() {
            tracing::info!(%addr, public = ?setup.public_addresses, "game socket listening (UDP)");
        }
        requests::add_request_messages(app);
        app.insert_resource(server)
            .init_resource::<Sessions>()
            .add_message::<KickRequest>()
            .configure_sets(
                PreUpdate,
                (NetSystems::Drain, NetSystems::Expire)
                    .chain()
                    .in_set(TickSystems::Receive),
            )
            .add_systems(
                PreUpdate,
                (
                    (
                        receive_packets,
                        sessions::track_connections,
                        receive::receive_client_messages,
                        receive::check_input_cadence,
                        abuse::enforce_abuse_limits,
                    )
                        .chain()
                        .in_set(NetSystems::Drain),
                    sessions::expire_disconnected_players.in_set(NetSystems::Expire),
                ),
            )
            .add_systems(
                PostUpdate,
                (
                    outbound::deliver_outbound,
                    sessions::send_welcomes,
                    outbound::carry_out_kicks,
                    // A fleet's matchmaker has no world to show: its players wait in the lobby,
                    // their matches run on game servers.
                    snapshots::send_snapshots.run_if(not(resource_exists::<PlaceMatchesElsewhere>)),
                    snapshots::send_packets,
                )
                    .chain()
                    .in_set(TickSystems::Send),
            )
            .add_systems(Last, hand_over_datagrams.in_set(TickSystems::Dispatch))
            .add_systems(BetweenTicks, read_between_ticks)
            .add_systems(Shutdown, disconnect_everyone);
    }
}

/// Reads the socket for this tick; the connection clocks advance by the tick's duration.
fn receive_packets(mut server: ResMut<GameServer>, time: Res<Time<Real>>, net: Res<NetSettings>) {
    server.receive(time.delta(), net.max_packets_per_tick as usize);
}

/// The tick's datagrams go out once the tick is done.
fn hand_over_datagrams(mut server: ResMut<GameServer>) {
    server.hand_over();
}

/// While the runner waits for the next tick: reads the socket, so the tick finds its datagrams
/// read.
fn read_between_ticks(mut server: ResMut<GameServer>, idle: Res<IdleUntil>, net: Res<NetSettings>) {
    server.read_between_ticks(idle.0, net.max_packets_per_tick as usize);
}

/// Shutdown step: tell every client why, send it, and close the connections.
fn disconnect_everyone(mut server: ResMut<GameServer>, clients: Query<&Session>) {
    for session in &clients {
        server.kick(session.client_id, KickReason::ServerShutdown);
    }
    server.send_packets();
    server.disconnect_all();
}
