//! Replay protection: a packet is accepted once, and not when it is older than the window.

/// Sequences remembered per connection: several seconds of packets at 60 Hz.
const WINDOW: usize = 256;
const EMPTY: u64 = u64::MAX;

/// The receiver's memory of the sequences it accepted.
#[derive(Debug, Clone)]
pub struct ReplayProtection {
    most_recent: u64,
    received: Box<[u64; WINDOW]>,
}

impl Default for ReplayProtection {
    fn default() -> Self {
        Self {
            most_recent: 0,
            received: Box::new([EMPTY; WINDOW]),
        }
    }
}

impl ReplayProtection {
    /// Whether `sequence` was accepted already or is too old to tell.
    pub fn already_received(&self, sequence: u64) -> bool {
        if sequence.saturating_add(WINDOW as u64) <= self.most_recent {
            return true;
        }
        let seen = self.received[sequence as usize % WINDOW];
        seen != EMPTY && seen >= sequence
    }

    /// Records `sequence` after its packet decrypted.
    pub fn advance(&mut self, sequence: u64) {
        self.most_recent = self.most_recent.max(sequence);
        self.received[sequence as usize % WINDOW] = sequence;
    }
}

#[cfg(test)]
mod tests {
    use super::ReplayProtection;

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
}
