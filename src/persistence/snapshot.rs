//! When a journal (a player's progress, an object's) takes its next snapshot: after so many events or
//! so much time since its last one, whichever comes first.

/// When a snapshot is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    pub every_events: u64,
    pub interval_ms: i64,
}

/// Version and time of the last snapshot this server knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SnapshotClock {
    version: u64,
    at_ms: i64,
}

impl SnapshotClock {
    /// Starts at `version`, now: the load does not say when the last snapshot was taken, so a
    /// recovery folds at most `2 × every_events` events.
    pub(super) fn start(version: u64, now_ms: i64) -> Self {
        Self {
            version,
            at_ms: now_ms,
        }
    }

    /// Whether a snapshot of `version` is due now under `policy`; if so, it counts as taken.
    pub(super) fn take_if_due(
        &mut self,
        version: u64,
        policy: SnapshotPolicy,
        now_ms: i64,
    ) -> bool {
        let due = version - self.version >= policy.every_events
            || now_ms - self.at_ms >= policy.interval_ms;
        if due {
            *self = Self::start(version, now_ms);
        }
        due
    }
}
