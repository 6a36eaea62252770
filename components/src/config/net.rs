use super::invalid::{InvalidSetting, check_range};
use super::keep_running;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[net]`: limits of the UDP transport.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetSettings {
    /// Most clients connected at once (1–65535). Restart only.
    pub max_clients: u32,
    /// Kernel receive buffer of the game socket, in bytes (64 KiB–256 MiB). Restart only.
    pub socket_recv_buffer_bytes: u32,
    /// Kernel send buffer of the game socket, in bytes (64 KiB–256 MiB). Restart only.
    pub socket_send_buffer_bytes: u32,
    /// Most packets read from the socket in one tick, so a flood cannot stall the tick (1–1000000). Hot.
    pub max_packets_per_tick: u32,
}

const MIN_SOCKET_BUFFER: u32 = 64 * 1024;
const MAX_SOCKET_BUFFER: u32 = 256 * 1024 * 1024;

impl Default for NetSettings {
    fn default() -> Self {
        Self {
            max_clients: 1024,
            socket_recv_buffer_bytes: 8 * 1024 * 1024,
            socket_send_buffer_bytes: 8 * 1024 * 1024,
            max_packets_per_tick: 4096,
        }
    }
}

impl NetSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        check_range("net.max_clients", self.max_clients, 1..=65_535)?;
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
    }
}
