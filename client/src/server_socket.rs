//! The client's UDP socket, connected to the one server it is talking to.
//!
//! A connected socket is the kernel's to filter: datagrams from any other address never reach the
//! client, and a send reuses the route found at `connect` instead of looking one up for every
//! datagram (a quarter to a third of a loopback send's cost on the machine in BENCHMARKS.md). A
//! bot process sends one datagram per bot per frame, so that is most of what it can save.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};

#[derive(Debug)]
pub(crate) struct ServerSocket {
    socket: UdpSocket,
    /// The address the socket is connected to, once it has sent or read.
    server: Option<SocketAddr>,
}

impl ServerSocket {
    /// A fresh non-blocking socket on an ephemeral port, connected to nothing yet.
    pub(crate) fn open() -> io::Result<Self> {
        let socket = UdpSocket::bind(SocketAddr::from(([0, 0, 0, 0], 0)))?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket,
            server: None,
        })
    }

    /// Sends a datagram to `server`. "Connection refused" (the server is not up yet, reported
    /// from an earlier datagram's ICMP answer) and a full send buffer lose this datagram only.
    pub(crate) fn send(&mut self, datagram: &[u8], server: SocketAddr) -> io::Result<()> {
        self.aim(server)?;
        match self.socket.send(datagram) {
            Ok(_) => Ok(()),
            Err(error) if is_passing(&error) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The next datagram from `server` into `buffer`: its length, or none when nothing is waiting.
    pub(crate) fn receive(
        &mut self,
        server: SocketAddr,
        buffer: &mut [u8],
    ) -> io::Result<Option<usize>> {
        self.aim(server)?;
        self.next_datagram(buffer)
    }

    /// Connects the socket to `server` unless it already is. Datagrams the old server's address
    /// left waiting are dropped: a stale denial from a server the client has moved on from must
    /// not be read as the new one's.
    fn aim(&mut self, server: SocketAddr) -> io::Result<()> {
        if self.server == Some(server) {
            return Ok(());
        }
        self.socket.connect(server)?;
        self.server = Some(server);
        while self.next_datagram(&mut [0u8; 1])?.is_some() {}
        Ok(())
    }

    /// The next waiting datagram, whoever the socket is connected to.
    fn next_datagram(&self, buffer: &mut [u8]) -> io::Result<Option<usize>> {
        loop {
            match self.socket.recv(buffer) {
                Ok(len) => return Ok(Some(len)),
                Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(None),
                // An ICMP answer to an earlier send, reported once: read on.
                Err(error) if is_passing(&error) || error.kind() == ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}

/// Errors a datagram socket reports without anything being wrong with it.
fn is_passing(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset | ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> (UdpSocket, SocketAddr) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
        socket.set_nonblocking(true).expect("non-blocking");
        let addr = socket.local_addr().expect("its address");
        (socket, addr)
    }

    fn wait_for(socket: &mut ServerSocket, server: SocketAddr) -> Option<Vec<u8>> {
        let mut buffer = [0u8; 64];
        for _ in 0..200 {
            if let Some(len) = socket
                .receive(server, &mut buffer)
                .expect("no socket error")
            {
                return Some(buffer[..len].to_vec());
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        None
    }

    #[test]
    fn only_the_server_aimed_at_is_heard_and_a_stale_datagram_of_the_last_one_is_dropped() {
        let (first, first_addr) = listener();
        let (second, second_addr) = listener();
        let (stranger, _) = listener();
        let mut socket = ServerSocket::open().expect("a client socket");
        let client = SocketAddr::from((
            [127, 0, 0, 1],
            socket.socket.local_addr().expect("bound").port(),
        ));
        socket.send(b"hello", first_addr).expect("sent");
        let mut buffer = [0u8; 16];
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            first.recv_from(&mut buffer).ok().map(|(len, _)| len),
            Some(5)
        );

        stranger.send_to(b"forged", client).expect("sent");
        first.send_to(b"from the first", client).expect("sent");
        assert_eq!(
            wait_for(&mut socket, first_addr).as_deref(),
            Some(&b"from the first"[..]),
            "a stranger's datagram never reaches the client"
        );

        // The first server answers once more, then the client moves to the second.
        first.send_to(b"stale", client).expect("sent");
        std::thread::sleep(std::time::Duration::from_millis(20));
        socket.send(b"hello", second_addr).expect("sent");
        second.send_to(b"from the second", client).expect("sent");
        assert_eq!(
            wait_for(&mut socket, second_addr).as_deref(),
            Some(&b"from the second"[..])
        );
    }

    #[test]
    fn a_server_not_up_yet_is_no_error() {
        let (closed, closed_addr) = listener();
        drop(closed);
        let mut socket = ServerSocket::open().expect("a client socket");
        let mut buffer = [0u8; 16];
        for _ in 0..5 {
            socket
                .send(b"anyone?", closed_addr)
                .expect("refusal is not an error");
            std::thread::sleep(std::time::Duration::from_millis(5));
            assert_eq!(
                socket.receive(closed_addr, &mut buffer).expect("nor here"),
                None
            );
        }
    }
}
