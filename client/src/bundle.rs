//! Bundles: all of one tick's renet packets for a peer in one netcode payload, so each side sends one
//! datagram per tick instead of one per channel plus one for acks. A bundle is a run of frames, each
//! a LEB128 length (1–2 bytes) followed by that many bytes of one renet packet. Packets that do not
//! fit the standard's 1,200-byte payload start a new bundle; a packet bigger than that travels alone.

use crate::netcode::{MAX_PAYLOAD_BYTES, TOLERATED_PAYLOAD_BYTES};

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
    /// Adds one packet; hands a full bundle to `flush` first when the packet does not fit.
    pub fn push(&mut self, packet: &[u8], flush: &mut impl FnMut(&[u8])) {
        let frame_len = length_bytes(packet.len()) + packet.len();
        if !self.buffer.is_empty() && self.buffer.len() + frame_len > MAX_PAYLOAD_BYTES {
            self.finish(flush);
        }
        write_length(&mut self.buffer, packet.len());
        self.buffer.extend_from_slice(packet);
    }

    /// Hands the last bundle, if any, to `flush`.
    pub fn finish(&mut self, flush: &mut impl FnMut(&[u8])) {
        if !self.buffer.is_empty() {
            flush(&self.buffer);
            self.buffer.clear();
        }
    }
}

/// The packets of a bundle, in order; stops at the first malformed frame.
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
        fn arbitrary_bytes_never_panic_the_reader(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
            let total: usize = frames(&bytes).filter_map(Result::ok).map(<[u8]>::len).sum();
            prop_assert!(total <= bytes.len());
        }
    }
}
