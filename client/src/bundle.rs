//! Bundles: all of one tick's renet packets and unreliable messages for a peer in one netcode
//! payload, so each side sends one datagram per tick instead of one per channel plus one for acks.
//! A bundle is a run of frames, each a LEB128 length (1–2 bytes) followed by that many bytes: one
//! renet packet, or [`MESSAGE_FRAME`] and one protocol message that bypasses renet. Frames that do
//! not fit the standard's 1,200-byte payload start a new bundle; a bigger one travels alone.

use crate::netcode::{MAX_PAYLOAD_BYTES, TOLERATED_PAYLOAD_BYTES};

/// The first byte of a frame that holds one protocol message instead of a renet packet (renet's
/// packet types are 0–4). The per-tick unreliable messages travel so: inputs and snapshot
/// acknowledgements one way, snapshots the other. renet would add a sequence, a channel, an ack
/// and their bookkeeping on both sides to messages nobody resends.
pub const MESSAGE_FRAME: u8 = 0x80;

/// The largest message a [`MESSAGE_FRAME`] carries, so that it fits the standard's payload
/// alone (two length bytes and the marker): a larger one goes on a renet channel, which slices it.
pub const MAX_MESSAGE_FRAME_BYTES: usize = MAX_PAYLOAD_BYTES - 3;

/// What a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A renet packet.
    Renet(&'a [u8]),
    /// One protocol message, outside renet (unreliable, unacknowledged).
    Message(&'a [u8]),
}

impl<'a> Frame<'a> {
    /// Reads what a frame's bytes (as [`frames`] yields them) hold.
    pub fn of(frame: &'a [u8]) -> Self {
        match frame.split_first() {
            Some((&MESSAGE_FRAME, message)) => Self::Message(message),
            _ => Self::Renet(frame),
        }
    }
}

/// A frame that cannot be read: the rest of the bundle is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed bundle: a frame length is empty, too long, or runs past the payload")]
pub struct MalformedBundle;

/// Builds bundles in one reused buffer.
#[derive(Debug)]
pub struct Bundler {
    buffer: Vec<u8>,
}

impl Default for Bundler {
    fn default() -> Self {
        Self {
            buffer: Vec::with_capacity(TOLERATED_PAYLOAD_BYTES + 2),
        }
    }
}

impl Bundler {
    /// Adds one renet packet; hands a full bundle to `flush` first when the packet does not fit.
    pub fn push(&mut self, packet: &[u8], flush: &mut impl FnMut(&[u8])) {
        self.start_frame(packet.len(), flush);
        self.buffer.extend_from_slice(packet);
    }

    /// Adds one encoded protocol message as a [`MESSAGE_FRAME`]; hands a full bundle to `flush`
    /// first when it does not fit.
    pub fn push_message(&mut self, message: &[u8], flush: &mut impl FnMut(&[u8])) {
        self.start_frame(1 + message.len(), flush);
        self.buffer.push(MESSAGE_FRAME);
        self.buffer.extend_from_slice(message);
    }

    /// Writes the length of a frame of `len` bytes, in a new bundle when it would not fit this one.
    fn start_frame(&mut self, len: usize, flush: &mut impl FnMut(&[u8])) {
        if !self.buffer.is_empty()
            && self.buffer.len() + length_bytes(len) + len > MAX_PAYLOAD_BYTES
        {
            self.finish(flush);
        }
        write_length(&mut self.buffer, len);
    }

    /// Hands the last bundle, if any, to `flush`.
    pub fn finish(&mut self, flush: &mut impl FnMut(&[u8])) {
        if !self.buffer.is_empty() {
            flush(&self.buffer);
            self.buffer.clear();
        }
    }
}

/// The frames of a bundle, in order ([`Frame::of`] tells what each holds); stops at the first
/// malformed frame.
pub fn frames(bundle: &[u8]) -> impl Iterator<Item = Result<&[u8], MalformedBundle>> {
    let mut rest = bundle;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let frame = read_frame(rest);
        rest = match frame {
            Ok((_, after)) => after,
            Err(_) => &[],
        };
        Some(frame.map(|(packet, _)| packet))
    })
}

fn read_frame(bytes: &[u8]) -> Result<(&[u8], &[u8]), MalformedBundle> {
    let (len, used) = match bytes {
        [low, ..] if low & 0x80 == 0 => (usize::from(*low), 1),
        [low, high, ..] if high & 0x80 == 0 => {
            (usize::from(low & 0x7f) | usize::from(*high) << 7, 2)
        }
        _ => return Err(MalformedBundle),
    };
    if len == 0 || len > TOLERATED_PAYLOAD_BYTES || bytes.len() < used + len {
        return Err(MalformedBundle);
    }
    Ok(bytes[used..].split_at(len))
}

fn length_bytes(len: usize) -> usize {
    if len < 0x80 { 1 } else { 2 }
}

fn write_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(len as u8 | 0x80);
        out.push((len >> 7) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bundle(packets: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let mut bundler = Bundler::default();
        let mut bundles = Vec::new();
        let mut flush = |bytes: &[u8]| bundles.push(bytes.to_vec());
        for packet in packets {
            bundler.push(packet, &mut flush);
        }
        bundler.finish(&mut flush);
        bundles
    }

    #[test]
    fn a_ticks_packets_travel_in_one_bundle_and_come_out_in_order() {
        let packets = vec![vec![1; 10], vec![2; 200], vec![3; 5]];
        let bundles = bundle(&packets);
        assert_eq!(bundles.len(), 1);
        assert_eq!(bundles[0].len(), 1 + 10 + 2 + 200 + 1 + 5);
        let read: Vec<Vec<u8>> = frames(&bundles[0])
            .map(|frame| frame.expect("valid").to_vec())
            .collect();
        assert_eq!(read, packets);
    }

    #[test]
    fn packets_that_do_not_fit_start_a_new_bundle_and_a_large_one_travels_alone() {
        let bundles = bundle(&[vec![1; 700], vec![2; 700], vec![3; 1250], vec![4; 10]]);
        let sizes: Vec<usize> = bundles.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![702, 702, 1252, 11]);
        assert!(sizes.iter().all(|size| *size <= TOLERATED_PAYLOAD_BYTES));
    }

    #[test]
    fn messages_and_packets_share_a_bundle_and_each_frame_says_which_it_holds() {
        let (mut bundler, mut bundles) = (Bundler::default(), Vec::new());
        let mut flush = |bytes: &[u8]| bundles.push(bytes.to_vec());
        bundler.push_message(&[9, 8], &mut flush);
        bundler.push(&[1, 2, 3], &mut flush);
        bundler.push_message(&[], &mut flush);
        bundler.finish(&mut flush);
        assert_eq!(bundles, vec![vec![3, 0x80, 9, 8, 3, 1, 2, 3, 1, 0x80]]);
        let read: Vec<Frame<'_>> = frames(&bundles[0])
            .map(|frame| Frame::of(frame.expect("valid")))
            .collect();
        assert_eq!(
            read,
            vec![
                Frame::Message(&[9, 8]),
                Frame::Renet(&[1, 2, 3]),
                Frame::Message(&[])
            ]
        );
    }

    #[test]
    fn a_message_that_does_not_fit_starts_the_next_bundle() {
        let (mut bundler, mut sizes) = (Bundler::default(), Vec::new());
        let mut flush = |bytes: &[u8]| sizes.push(bytes.len());
        bundler.push(&[1; 700], &mut flush);
        bundler.push_message(&[2; 600], &mut flush);
        bundler.finish(&mut flush);
        assert_eq!(sizes, vec![702, 603]);
    }

    #[test]
    fn malformed_frames_stop_the_bundle_with_an_error() {
        for bad in [&[0u8][..], &[5, 1, 2], &[0x80], &[0xff, 0xff, 1]] {
            let read: Vec<_> = frames(bad).collect();
            assert_eq!(read.last(), Some(&Err(MalformedBundle)), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_packets_round_trip(packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..1300), 0..12)) {
            let read: Vec<Vec<u8>> = bundle(&packets)
                .iter()
                .flat_map(|bundle| frames(bundle).map(|frame| frame.expect("valid").to_vec()).collect::<Vec<_>>())
                .collect();
            prop_assert_eq!(read, packets);
        }

        #[test]
        fn any_run_of_renet_packets_and_messages_round_trip_and_each_frame_reads_as_what_it_was(
            frames_sent in proptest::collection::vec(
                (any::<bool>(), proptest::collection::vec(0u8..0x80, 1..1190)),
                0..12,
            ),
        ) {
            let (mut bundler, mut bundles) = (Bundler::default(), Vec::new());
            let mut flush = |bytes: &[u8]| bundles.push(bytes.to_vec());
            for (is_message, bytes) in &frames_sent {
                if *is_message {
                    bundler.push_message(bytes, &mut flush);
                } else {
                    bundler.push(bytes, &mut flush);
                }
            }
            bundler.finish(&mut flush);
            prop_assert!(bundles.iter().all(|bundle| bundle.len() <= MAX_PAYLOAD_BYTES));
            let read: Vec<(bool, Vec<u8>)> = bundles
                .iter()
                .flat_map(|bundle| frames(bundle).map(|frame| match Frame::of(frame.expect("valid")) {
                    Frame::Message(message) => (true, message.to_vec()),
                    Frame::Renet(packet) => (false, packet.to_vec()),
                }).collect::<Vec<_>>())
                .collect();
            prop_assert_eq!(read, frames_sent);
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
            let total: usize = frames(&bytes).filter_map(Result::ok).map(<[u8]>::len).sum();
            prop_assert!(total <= bytes.len());
        }
    }
}
