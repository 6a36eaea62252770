//! Binding the game socket with explicit kernel buffer sizes.

use crate::settings::NetSettings;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, UdpSocket};

/// Binds a non-blocking UDP socket at `address` with the configured buffer sizes. The kernel may
/// grant less than asked (Linux caps at `net.core.rmem_max`/`wmem_max`); that is logged, not fatal.
pub(super) fn bind_game_socket(
    address: SocketAddr,
    settings: &NetSettings,
) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(
        Domain::for_address(address),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    socket.set_recv_buffer_size(settings.socket_recv_buffer_bytes as usize)?;
    socket.set_send_buffer_size(settings.socket_send_buffer_bytes as usize)?;
    socket.bind(&address.into())?;
    socket.set_nonblocking(true)?;
    check_granted(
        "receive",
        settings.socket_recv_buffer_bytes,
        socket.recv_buffer_size()?,
        "rmem_max",
    );
    check_granted(
        "send",
        settings.socket_send_buffer_bytes,
        socket.send_buffer_size()?,
        "wmem_max",
    );
    Ok(socket.into())
}

/// Linux reports twice the size it grants (it counts its bookkeeping), so compare against half.
fn check_granted(which: &str, asked: u32, reported: usize, sysctl: &str) {
    let granted = reported / 2;
    if granted < asked as usize {
        tracing::warn!(
            which,
            asked,
            granted,
            "the kernel granted a smaller socket buffer than configured; raise net.core.{sysctl} \
             (sysctl -w net.core.{sysctl}={asked}) to avoid packet loss under load"
        );
    } else {
        tracing::debug!(which, granted, "socket buffer set");
    }
}
