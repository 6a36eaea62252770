//! The game socket's sends, made by a thread of their own. A `sendto` costs 3–6 µs here (on
//! loopback it also delivers into the receiver), a third of a full lobby's tick: the tick
//! encrypts its datagrams into a batch and hands the batch over as its last act, and the thread
//! makes the system calls while the tick sleeps. Handed over earlier, the thread took the core
//! from the rest of the tick once the tick had used its time slice; its wake-up alone does not
//! preempt the tick ([`crate::background::yield_to_the_tick`]).

use crate::telemetry::metrics::PACKETS_SEND_FAILED_TOTAL;
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::net::{SocketAddr, UdpSocket};

/// Batches handed over and not sent yet, at most. A tick that would hand over one more waits for
/// the oldest to be sent: when sending falls behind, the tick slows down rather than memory
/// growing or datagrams growing stale. The wait is for CPU, never for the network: the socket is
/// non-blocking, so a full send buffer fails a datagram at once instead of holding the thread.
const BATCHES_IN_FLIGHT: usize = 2;

/// One tick's datagrams, their bytes back to back (the buffers are reused from tick to tick).
/// Public for the pipeline bench, which collects what the tick sends the same way.
#[derive(Debug, Default)]
pub struct DatagramBatch {
    bytes: Vec<u8>,
    /// Each datagram's destination, and where its bytes end in `bytes`.
    datagrams: Vec<(SocketAddr, usize)>,
}

impl DatagramBatch {
    pub fn push(&mut self, datagram: &[u8], to: SocketAddr) {
        self.bytes.extend_from_slice(datagram);
        self.datagrams.push((to, self.bytes.len()));
    }

    pub fn is_empty(&self) -> bool {
        self.datagrams.is_empty()
    }

    /// Each datagram with its destination, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = (SocketAddr, &[u8])> {
        let starts = std::iter::once(0).chain(self.datagrams.iter().map(|&(_, end)| end));
        self.datagrams
            .iter()
            .zip(starts)
            .map(|(&(to, end), start)| (to, &self.bytes[start..end]))
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.datagrams.clear();
    }

    /// Sends every datagram and empties the batch. A failure (a client that went away, a full
    /// socket buffer) loses that datagram only, as the network could have: it is counted, and
    /// logged at debug level.
    fn send(&mut self, socket: &UdpSocket) {
        let mut failed = 0u64;
        for (to, datagram) in self.iter() {
            if let Err(error) = socket.send_to(datagram, to) {
                tracing::debug!(%to, %error, "sending to a client failed");
                failed += 1;
            }
        }
        if failed > 0 {
            metrics::counter!(PACKETS_SEND_FAILED_TOTAL).increment(failed);
        }
        self.clear();
    }
}

/// The tick's end of the send thread: datagrams are pushed during the tick and handed over at its
/// end. The thread ends when this is dropped, after sending what it was handed.
#[derive(Debug)]
pub(super) struct SendThread {
    filling: DatagramBatch,
    to_thread: Sender<DatagramBatch>,
    /// Batches the thread has sent, on their way back.
    sent: Receiver<DatagramBatch>,
    /// Batches back from the thread, emptied, their buffers kept: the next tick fills one instead
    /// of growing a new one. With those in flight and the one filling, never more than
    /// `BATCHES_IN_FLIGHT + 1` batches exist.
    spare: Vec<DatagramBatch>,
    in_flight: usize,
}

impl SendThread {
    /// Starts the thread that sends from `socket` (a handle of its own to the same socket).
    pub(super) fn spawn(socket: &UdpSocket) -> std::io::Result<Self> {
        let socket = socket.try_clone()?;
        let (to_thread, batches) = unbounded::<DatagramBatch>();
        let (give_back, sent) = unbounded();
        std::thread::Builder::new()
            .name("arbiter-send".into())
            .spawn(move || {
                crate::background::yield_to_the_tick();
                for mut batch in batches {
                    batch.send(&socket);
                    if give_back.send(batch).is_err() {
                        return;
                    }
                }
            })?;
        Ok(Self {
            filling: DatagramBatch::default(),
            to_thread,
            sent,
            spare: Vec::new(),
            in_flight: 0,
        })
    }

    /// Adds a datagram to the batch that goes out at the next [`SendThread::hand_over`].
    pub(super) fn push(&mut self, datagram: &[u8], to: SocketAddr) {
        self.filling.push(datagram, to);
    }

    /// Hands the datagrams pushed so far to the thread, first waiting for the oldest batch if
    /// [`BATCHES_IN_FLIGHT`] are not sent yet.
    pub(super) fn hand_over(&mut self) {
        if self.filling.is_empty() {
            return;
        }
        while let Ok(batch) = self.sent.try_recv() {
            self.take_back(batch);
        }
        if self.in_flight >= BATCHES_IN_FLIGHT {
            self.wait_for_one();
        }
        let next = self.spare.pop().unwrap_or_default();
        let full = std::mem::replace(&mut self.filling, next);
        self.to_thread
            .send(full)
            .expect("the send thread runs as long as the server");
        self.in_flight += 1;
    }

    /// Waits until every batch handed over was sent (shutdown, tests).
    pub(super) fn wait_until_sent(&mut self) {
        while self.in_flight > 0 {
            self.wait_for_one();
        }
    }

    fn wait_for_one(&mut self) {
        let batch = self
            .sent
            .recv()
            .expect("the send thread runs as long as the server");
        self.take_back(batch);
    }

    fn take_back(&mut self, batch: DatagramBatch) {
        self.in_flight -= 1;
        self.spare.push(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn receiver() -> UdpSocket {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("a read timeout");
        socket
    }

    fn read(socket: &UdpSocket) -> Vec<u8> {
        let mut buffer = [0; 64];
        let len = socket.recv(&mut buffer).expect("a datagram");
        buffer[..len].to_vec()
    }

    #[test]
    fn each_tick_s_datagrams_arrive_whole_and_in_order_however_many_ticks_wait() {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
        let mut sender = SendThread::spawn(&socket).expect("a send thread");
        let peer = receiver();
        let to = peer.local_addr().expect("bound");
        // More ticks than may be in flight: the later hand-overs wait for earlier batches.
        for tick in 0..(BATCHES_IN_FLIGHT as u8 * 3) {
            for index in 0..4 {
                sender.push(&[tick, index, 0xAB], to);
            }
            sender.hand_over();
        }
        sender.wait_until_sent();
        assert_eq!(sender.in_flight, 0);
        for tick in 0..(BATCHES_IN_FLIGHT as u8 * 3) {
            for index in 0..4 {
                assert_eq!(read(&peer), [tick, index, 0xAB]);
            }
        }
    }

    #[test]
    fn a_datagram_the_kernel_refuses_loses_only_itself() {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
        let mut sender = SendThread::spawn(&socket).expect("a send thread");
        let peer = receiver();
        // An IPv4 socket cannot send to an IPv6 address: the kernel refuses that one datagram.
        sender.push(&[1], "[::1]:9".parse().expect("an address"));
        sender.push(&[2], peer.local_addr().expect("bound"));
        sender.hand_over();
        sender.wait_until_sent();
        assert_eq!(read(&peer), [2]);
    }

    #[test]
    fn a_sent_batch_is_filled_again_so_a_tick_grows_no_new_buffer() {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
        let mut sender = SendThread::spawn(&socket).expect("a send thread");
        let to = receiver().local_addr().expect("bound");
        sender.push(&[7; 32], to);
        sender.hand_over();
        sender.wait_until_sent();
        sender.push(&[8; 32], to);
        sender.hand_over();
        // The batch filling now is the one sent before, its buffer kept (a new one has none).
        assert!(sender.filling.bytes.capacity() >= 32);
        sender.wait_until_sent();
        assert_eq!(sender.spare.len(), 1, "two batches in all, both back");
    }

    #[test]
    fn nothing_pushed_hands_nothing_over() {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback port");
        let mut sender = SendThread::spawn(&socket).expect("a send thread");
        sender.hand_over();
        assert_eq!(sender.in_flight, 0);
    }
}
