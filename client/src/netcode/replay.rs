//! Replay protection: a packet is accepted once, and not when it is older than the window.
//!
//! The standard keeps the last 256 sequences in an array of 256 numbers (2 KB per connection). Within
//! the window that array only ever answers "was this one seen", so here it is a bitmap of the 256
//! sequences up to the newest: 40 bytes kept inline with the connection, which a server reading one
//! packet from each of thousands of clients finds in a cache line it touches anyway, instead of a
//! separate 2 KB block it misses (BENCHMARKS.md, 2026-12-06 evening).

/// Sequences remembered per connection: several seconds of packets at 60 Hz.
const WINDOW: u64 = 256;
const WORDS: usize = (WINDOW / 64) as usize;

/// The receiver's memory of the sequences it accepted.
#[derive(Debug, Clone, Default)]
pub struct ReplayProtection {
    most_recent: u64,
    /// Bit `i` (word `i / 64`, bit `i % 64`): sequence `most_recent - i` was accepted.
    seen: [u64; WORDS],
}

impl ReplayProtection {
    /// Whether `sequence` was accepted already or is too old to tell.
    pub fn already_received(&self, sequence: u64) -> bool {
        if sequence.saturating_add(WINDOW) <= self.most_recent {
            return true;
        }
        match self.most_recent.checked_sub(sequence) {
            Some(age) => self.seen[(age / 64) as usize] & (1 << (age % 64)) != 0,
            None => false,
        }
    }

    /// Records `sequence` after its packet decrypted.
    pub fn advance(&mut self, sequence: u64) {
        if sequence > self.most_recent {
            self.slide(sequence - self.most_recent);
            self.most_recent = sequence;
        }
        let age = self.most_recent - sequence;
        if age < WINDOW {
            self.seen[(age / 64) as usize] |= 1 << (age % 64);
        }
    }

    /// Ages every remembered sequence by `by`: those older than the window fall out.
    fn slide(&mut self, by: u64) {
        if by >= WINDOW {
            self.seen = [0; WORDS];
            return;
        }
        let (words, bits) = ((by / 64) as usize, by % 64);
        for index in (0..WORDS).rev() {
            let whole = index
                .checked_sub(words)
                .map_or(0, |from| self.seen[from] << bits);
            let carried = match index.checked_sub(words + 1) {
                Some(from) if bits > 0 => self.seen[from] >> (64 - bits),
                _ => 0,
            };
            self.seen[index] = whole | carried;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ReplayProtection, WINDOW};
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn a_sequence_is_accepted_once_and_old_ones_never() {
        let mut replay = ReplayProtection::default();
        assert!(!replay.already_received(0));
        replay.advance(0);
        assert!(replay.already_received(0));
        assert!(!replay.already_received(5));
        replay.advance(5);
        assert!(!replay.already_received(3), "reordered but new");
        replay.advance(300);
        assert!(replay.already_received(40), "older than the window");
        assert!(!replay.already_received(299));
    }

    proptest! {
        /// The bitmap answers as the standard's rule does, modelled with every sequence kept: a
        /// sequence is refused when it is a window or more older than the newest, or was seen.
        #[test]
        fn answers_as_a_memory_of_every_sequence_would(
            steps in proptest::collection::vec((0u64..40, any::<bool>()), 1..400),
        ) {
            let mut replay = ReplayProtection::default();
            let (mut seen, mut newest) = (HashSet::new(), 0u64);
            let mut sequence = 0u64;
            for (jump, backwards) in steps {
                // Mostly forward, now and then far ahead (a burst lost), sometimes back into or
                // past the window (reordering, a replay).
                let ahead = if jump > 35 { jump * 20 } else { jump };
                sequence = if backwards { sequence.saturating_sub(jump * 9) } else { sequence + ahead };
                let expected = sequence + WINDOW <= newest || seen.contains(&sequence);
                prop_assert_eq!(replay.already_received(sequence), expected, "sequence {}", sequence);
                if !expected {
                    replay.advance(sequence);
                    seen.insert(sequence);
                    newest = newest.max(sequence);
                }
            }
        }
    }
}
