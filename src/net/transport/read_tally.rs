//! What the reads of one tick's budget came to, added to the metrics once per tick.

use crate::telemetry::metrics::{
    BYTES_RECEIVED_TOTAL, PACKETS_RECEIVED_TOTAL, PACKETS_REFUSED_TOTAL,
    RECEIVE_BUDGET_EXHAUSTED_TOTAL,
};

/// Datagrams read since the last tick's read (between ticks and in the tick), which the tick's
/// receive budget bounds. Counted here and flushed once per tick: a flood of garbage costs a
/// table lookup per packet, not a metrics call.
#[derive(Debug, Default)]
pub(super) struct ReadTally {
    pub(super) packets: u64,
    pub(super) bytes: u64,
    /// Refusals by reason.
    refused: Vec<(&'static str, u64)>,
    /// The budget ran out with datagrams possibly left in the socket.
    pub(super) exhausted: bool,
}

impl ReadTally {
    /// Whether `max_packets` were read: the rest waits for the next tick's budget.
    pub(super) fn spent(&self, max_packets: usize) -> bool {
        self.packets >= max_packets as u64
    }

    /// Adds one to `reason`'s count.
    pub(super) fn refused(&mut self, reason: &'static str) {
        match self.refused.iter_mut().find(|(known, _)| *known == reason) {
            Some((_, count)) => *count += 1,
            None => self.refused.push((reason, 1)),
        }
    }

    /// Adds the counts to the metrics and starts the next budget.
    pub(super) fn flush(&mut self) {
        metrics::counter!(PACKETS_RECEIVED_TOTAL).increment(self.packets);
        metrics::counter!(BYTES_RECEIVED_TOTAL).increment(self.bytes);
        for (reason, count) in self.refused.drain(..) {
            metrics::counter!(PACKETS_REFUSED_TOTAL, "reason" => reason).increment(count);
        }
        if self.exhausted {
            metrics::counter!(RECEIVE_BUDGET_EXHAUSTED_TOTAL).increment(1);
        }
        (self.packets, self.bytes, self.exhausted) = (0, 0, false);
    }
}
