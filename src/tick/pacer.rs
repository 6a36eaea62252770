//! When the next tick is due: absolute deadlines, so sleeping late never accumulates into drift.

use std::time::{Duration, Instant};

/// What the runner should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// The next tick is not due yet; sleep this long.
    Wait(Duration),
    /// Run a tick now. `dropped` ticks were skipped because the server fell further behind than the
    /// allowed catch-up.
    Run { dropped: u64 },
}

/// Deadline bookkeeping for the tick loop.
///
/// Each tick's deadline is the previous deadline plus the current period, never "now plus period", so
/// the tick count over a long run equals rate × time. A tick that starts late is run at once (catch
/// up); when the lag exceeds the catch-up limit the missed deadlines are dropped instead, so a stall
/// cannot turn into a burst of hundreds of ticks.
#[derive(Debug, Clone, Default)]
pub struct TickPacer {
    last_deadline: Option<Instant>,
}

impl TickPacer {
    /// Decides at `now` whether a tick is due, given the current period and catch-up limit.
    /// The period is read at every call, so a rate change takes effect from the next deadline.
    pub fn poll(&mut self, now: Instant, period: Duration, max_catch_up: Duration) -> Pace {
        let Some(last) = self.last_deadline else {
            self.last_deadline = Some(now);
            return Pace::Run { dropped: 0 };
        };
        let due = last + period;
        if now < due {
            return Pace::Wait(due - now);
        }
        let lag = now - due;
        let dropped = if lag > max_catch_up {
            u64::try_from(lag.as_nanos() / period.as_nanos().max(1)).unwrap_or(u64::MAX)
        } else {
            0
        };
        let skipped = period.saturating_mul(u32::try_from(dropped).unwrap_or(u32::MAX));
        self.last_deadline = Some(due + skipped);
        Pace::Run { dropped }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_millis(10);
    const CATCH_UP: Duration = Duration::from_millis(250);

    #[test]
    fn waits_until_the_deadline_then_runs() {
        let start = Instant::now();
        let mut pacer = TickPacer::default();
        assert_eq!(
            pacer.poll(start, PERIOD, CATCH_UP),
            Pace::Run { dropped: 0 }
        );
        assert_eq!(
            pacer.poll(start + Duration::from_millis(4), PERIOD, CATCH_UP),
            Pace::Wait(Duration::from_millis(6))
        );
        assert_eq!(
            pacer.poll(start + PERIOD, PERIOD, CATCH_UP),
            Pace::Run { dropped: 0 }
        );
    }

    #[test]
    fn late_wake_ups_do_not_drift() {
        let start = Instant::now();
        let mut pacer = TickPacer::default();
        let mut now = start;
        let mut ticks = 0u32;
        // Every wake-up is 3 ms late. Watching until just after the deadline at 1000 periods (and its
        // late wake-up), the count must be exactly 1001: deadlines 0, 10, ..., 10000 ms.
        while now <= start + PERIOD * 1000 + Duration::from_millis(5) {
            match pacer.poll(now, PERIOD, CATCH_UP) {
                Pace::Run { dropped } => {
                    assert_eq!(dropped, 0);
                    ticks += 1;
                }
                Pace::Wait(wait) => now += wait + Duration::from_millis(3),
            }
        }
        assert_eq!(ticks, 1001);
    }

    #[test]
    fn a_short_stall_is_caught_up_by_running_back_to_back() {
        let start = Instant::now();
        let mut pacer = TickPacer::default();
        pacer.poll(start, PERIOD, CATCH_UP);
        let after_stall = start + Duration::from_millis(55);
        let mut back_to_back = 0;
        while let Pace::Run { dropped } = pacer.poll(after_stall, PERIOD, CATCH_UP) {
            assert_eq!(dropped, 0);
            back_to_back += 1;
        }
        assert_eq!(back_to_back, 5, "ticks due at 10, 20, 30, 40 and 50 ms");
    }

    #[test]
    fn a_long_stall_drops_missed_ticks_instead_of_bursting() {
        let start = Instant::now();
        let mut pacer = TickPacer::default();
        pacer.poll(start, PERIOD, CATCH_UP);
        let after_stall = start + Duration::from_millis(1005);
        assert_eq!(
            pacer.poll(after_stall, PERIOD, CATCH_UP),
            Pace::Run { dropped: 99 }
        );
        assert!(matches!(
            pacer.poll(after_stall, PERIOD, CATCH_UP),
            Pace::Wait(_)
        ));
    }

    #[test]
    fn a_new_period_applies_from_the_next_deadline() {
        let start = Instant::now();
        let mut pacer = TickPacer::default();
        pacer.poll(start, PERIOD, CATCH_UP);
        let faster = Duration::from_millis(2);
        assert_eq!(
            pacer.poll(start + Duration::from_millis(1), faster, CATCH_UP),
            Pace::Wait(Duration::from_millis(1))
        );
    }
}
