use super::keep_running;
use arbiter_components::config::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[net]`: the UDP transport, connect tokens, sessions and per-client limits.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetSettings {
    /// Most clients connected at once (1–65,536; connections are found in O(1)). Restart only.
    pub max_clients: u32,
    /// Connection requests one address (IP and port) may send per second, and at once
    /// (1–100,000); the rest are refused before their token is decrypted. A connecting client sends 10 a second. Restart only.
    pub connection_requests_per_sec: u32,
    /// Addresses written into connect tokens: where clients should send packets. Empty: the bound
    /// address (127.0.0.1 when bound to 0.0.0.0). Restart only.
    pub public_addresses: Vec<SocketAddr>,
    /// File with the 32-byte private key that signs connect tokens. Empty: `netcode.key` in the data
    /// directory, generated (mode 0600) on first start. Restart only.
    pub private_key_file: String,
    /// Accept clients without connect tokens. Only for local experiments: anyone can claim any player
    /// id. Logged as a warning at every start. Restart only.
    pub insecure: bool,
    /// Serve `POST /v1/tokens` on the admin endpoint, handing out tokens for fresh guest players.
    pub guest_tokens: bool,
    /// Lifetime of issued connect tokens, in seconds (1–86400).
    pub token_expire_secs: u32,
    /// A connection with no packet for this long is dropped, in seconds (1–300). Applies to new tokens.
    pub connection_timeout_secs: u32,
    /// A disconnected player's entity is kept this long for a reconnect, in seconds (0–3600).
    pub reconnect_grace_secs: u32,
    /// Kernel receive buffer of the game socket, in bytes (64 KiB–256 MiB). Restart only.
    pub socket_recv_buffer_bytes: u32,
    /// Kernel send buffer of the game socket, in bytes (64 KiB–256 MiB). Restart only.
    pub socket_send_buffer_bytes: u32,
    /// Most packets read from the socket in one tick, so a flood cannot stall the tick (1–1000000).
    pub max_packets_per_tick: u32,
    /// Snapshots per second to each client (0–1000); 0 sends one every tick.
    pub snapshot_rate_hz: u32,
    /// Bytes one connection may send per tick (1000–10000000). Restart only.
    pub send_budget_bytes_per_tick: u32,
    /// Largest message accepted from a client, in bytes (16–65536).
    pub max_message_bytes: u32,
    /// Most messages processed per client, per channel, per tick (1–1000); the rest are dropped.
    /// A tick after dropped ticks allows this many for each tick it stands for (`SkippedTicks`).
    pub max_messages_per_tick: u32,
    /// Length of the window over which a client's violations are counted, in seconds (1–60) ...
    pub abuse_window_secs: u32,
    /// ... and how many violations (dropped, oversized or malformed messages) in one window get the
    /// client kicked (1–1000000).
    pub max_violations_per_window: u32,
}

const MIN_SOCKET_BUFFER: u32 = 64 * 1024;
const MAX_SOCKET_BUFFER: u32 = 256 * 1024 * 1024;

impl Default for NetSettings {
    fn default() -> Self {
        Self {
            max_clients: 1024,
            connection_requests_per_sec: 64,
            public_addresses: Vec::new(),
            private_key_file: String::new(),
            insecure: false,
            guest_tokens: true,
            token_expire_secs: 300,
            connection_timeout_secs: 10,
            reconnect_grace_secs: 30,
            socket_recv_buffer_bytes: 8 * 1024 * 1024,
            socket_send_buffer_bytes: 8 * 1024 * 1024,
            max_packets_per_tick: 4096,
            snapshot_rate_hz: 0,
            send_budget_bytes_per_tick: 60_000,
            max_message_bytes: 1024,
            max_messages_per_tick: 16,
            abuse_window_secs: 2,
            max_violations_per_window: 64,
        }
    }
}

impl NetSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        check_range("net.max_clients", self.max_clients, 1..=65_536)?;
        check_range(
            "net.connection_requests_per_sec",
            self.connection_requests_per_sec,
            1..=100_000,
        )?;
        check_range("net.token_expire_secs", self.token_expire_secs, 1..=86_400)?;
        check_range(
            "net.connection_timeout_secs",
            self.connection_timeout_secs,
            1..=300,
        )?;
        check_range(
            "net.reconnect_grace_secs",
            self.reconnect_grace_secs,
            0..=3600,
        )?;
        check_range(
            "net.socket_recv_buffer_bytes",
            self.socket_recv_buffer_bytes,
            MIN_SOCKET_BUFFER..=MAX_SOCKET_BUFFER,
        )?;
        check_range(
            "net.socket_send_buffer_bytes",
            self.socket_send_buffer_bytes,
            MIN_SOCKET_BUFFER..=MAX_SOCKET_BUFFER,
        )?;
        check_range(
            "net.max_packets_per_tick",
            self.max_packets_per_tick,
            1..=1_000_000,
        )?;
        check_range("net.snapshot_rate_hz", self.snapshot_rate_hz, 0..=1000)?;
        check_range(
            "net.send_budget_bytes_per_tick",
            self.send_budget_bytes_per_tick,
            1000..=10_000_000,
        )?;
        check_range("net.max_message_bytes", self.max_message_bytes, 16..=65_536)?;
        check_range(
            "net.max_messages_per_tick",
            self.max_messages_per_tick,
            1..=1000,
        )?;
        check_range("net.abuse_window_secs", self.abuse_window_secs, 1..=60)?;
        check_range(
            "net.max_violations_per_window",
            self.max_violations_per_window,
            1..=1_000_000,
        )
    }

    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running(
            "net.max_clients",
            &mut self.max_clients,
            &running.max_clients,
            changed,
        );
        keep_running(
            "net.connection_requests_per_sec",
            &mut self.connection_requests_per_sec,
            &running.connection_requests_per_sec,
            changed,
        );
        keep_running(
            "net.public_addresses",
            &mut self.public_addresses,
            &running.public_addresses,
            changed,
        );
        keep_running(
            "net.private_key_file",
            &mut self.private_key_file,
            &running.private_key_file,
            changed,
        );
        keep_running(
            "net.insecure",
            &mut self.insecure,
            &running.insecure,
            changed,
        );
        keep_running(
            "net.socket_recv_buffer_bytes",
            &mut self.socket_recv_buffer_bytes,
            &running.socket_recv_buffer_bytes,
            changed,
        );
        keep_running(
            "net.socket_send_buffer_bytes",
            &mut self.socket_send_buffer_bytes,
            &running.socket_send_buffer_bytes,
            changed,
        );
        keep_running(
            "net.send_budget_bytes_per_tick",
            &mut self.send_budget_bytes_per_tick,
            &running.send_budget_bytes_per_tick,
            changed,
        );
    }
}
