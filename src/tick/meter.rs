//! Per-tick measurements: count, duration histogram, overruns, dropped ticks.

use crate::telemetry::metrics::{
    TICK_DURATION_SECONDS, TICK_OVERRUNS_TOTAL, TICKS_DROPPED_TOTAL, TICKS_TOTAL,
};
use metrics::{Counter, Histogram};
use std::time::Duration;

/// Metric handles resolved once, so recording a tick is a few atomic operations, not a registry lookup.
#[derive(Debug, Clone)]
pub struct TickMeter {
    ticks: Counter,
    overruns: Counter,
    dropped: Counter,
    durations: Histogram,
}

impl Default for TickMeter {
    fn default() -> Self {
        Self {
            ticks: metrics::counter!(TICKS_TOTAL),
            overruns: metrics::counter!(TICK_OVERRUNS_TOTAL),
            dropped: metrics::counter!(TICKS_DROPPED_TOTAL),
            durations: metrics::histogram!(TICK_DURATION_SECONDS),
        }
    }
}

impl TickMeter {
    /// Records one tick that took `took` out of a budget of `period`.
    pub fn record_tick(&self, took: Duration, period: Duration) {
        self.ticks.increment(1);
        self.durations.record(took.as_secs_f64());
        if took > period {
            self.overruns.increment(1);
        }
    }

    /// Records ticks skipped because the server fell too far behind.
    pub fn record_dropped(&self, dropped: u64) {
        self.dropped.increment(dropped);
    }
}
