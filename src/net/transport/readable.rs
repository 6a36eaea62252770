//! Waiting until the game socket has a datagram to read, for the reads between ticks.

use mio::{Events, Interest, Poll, Token};
use std::net::UdpSocket;
use std::time::Duration;

/// The game socket, through a handle of its own, registered with the operating system's
/// readiness notification (epoll). Notification is edge-triggered: a wait only ends for a
/// datagram that arrived after the socket was last read until empty.
#[derive(Debug)]
pub(super) struct Readable {
    poll: Poll,
    events: Events,
    /// Kept registered for as long as this lives.
    _handle: mio::net::UdpSocket,
}

impl Readable {
    /// Registers `socket` (non-blocking, as the game socket is).
    pub(super) fn register(socket: &UdpSocket) -> std::io::Result<Self> {
        let mut handle = mio::net::UdpSocket::from_std(socket.try_clone()?);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut handle, Token(0), Interest::READABLE)?;
        Ok(Self {
            poll,
            events: Events::with_capacity(1),
            _handle: handle,
        })
    }

    /// Waits at most `timeout` for a datagram; whether one may have come (an interrupted wait
    /// says yes: reading an empty socket costs one call). epoll counts whole milliseconds and
    /// mio rounds up, so the wait is the whole milliseconds of `timeout` and never longer: none
    /// at all under one, which the caller sleeps instead.
    pub(super) fn wait(&mut self, timeout: Duration) -> bool {
        let whole = Duration::from_millis(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        if whole.is_zero() {
            return false;
        }
        match self.poll.poll(&mut self.events, Some(whole)) {
            Ok(()) => !self.events.is_empty(),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => true,
            Err(error) => {
                tracing::warn!(%error, "waiting for the game socket failed");
                false
            }
        }
    }
}
