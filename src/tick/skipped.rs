//! Ticks the runner dropped: wall-clock time that no tick stood for, which per-tick limits must
//! allow for.

use bevy_ecs::resource::Resource;

/// Ticks dropped instead of caught up (the server fell further behind than `max_catch_up_ms`: a
/// stall, a paused VM). Clients kept sending at their own pace meanwhile, so the tick after a stall
/// receives the messages of every tick it stands for: limits that count messages per tick or per
/// window of ticks scale by these, or a stall would read as every client flooding at once.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkippedTicks {
    before_this_tick: u64,
    total: u64,
}

impl SkippedTicks {
    /// Records the ticks dropped right before the tick about to run (0 when none).
    pub fn record(&mut self, dropped: u64) {
        self.before_this_tick = dropped;
        self.total = self.total.saturating_add(dropped);
    }

    /// How many ticks of wall-clock time this tick stands for: 1, plus those dropped before it.
    pub fn ticks_covered(&self) -> u64 {
        self.before_this_tick.saturating_add(1)
    }

    /// Every tick dropped since the server started.
    pub fn total(&self) -> u64 {
        self.total
    }
}
