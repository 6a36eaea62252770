//! The game socket with what reads and sends it outside the tick.

use super::readable::Readable;
use super::send_thread::SendThread;
use std::net::UdpSocket;

/// The bound, non-blocking game socket, its send thread, and its readiness for the reads between
/// ticks: everything the transport needs from the operating system, acquired at start-up.
#[derive(Debug)]
pub struct GameSocket {
    pub(super) socket: UdpSocket,
    pub(super) send_thread: SendThread,
    pub(super) readable: Readable,
}

impl GameSocket {
    /// Starts the send thread of `socket` and registers it for readiness.
    pub fn open(socket: UdpSocket) -> std::io::Result<Self> {
        Ok(Self {
            send_thread: SendThread::spawn(&socket)?,
            readable: Readable::register(&socket)?,
            socket,
        })
    }
}
