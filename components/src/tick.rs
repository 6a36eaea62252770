//! The simulation's notion of time: a tick counter, advanced once per fixed step.

use bevy_ecs::resource::Resource;

/// Number of simulation ticks run since the server started.
///
/// It is the clock every rule and every message uses ("input for tick 1200"), so it only ever moves
/// forward by one per fixed step, whatever the tick rate.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerTick(u64);

impl ServerTick {
    /// The tick number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// Moves the clock one tick forward.
    pub fn advance(&mut self) {
        self.0 += 1;
    }

    /// The clock of a periodic task: whether `interval` ticks have passed since `*last`, moving
    /// `*last` to now when they have.
    pub fn passed_since(self, last: &mut u64, interval: u64) -> bool {
        let passed = self.0 >= *last + interval;
        if passed {
            *last = self.0;
        }
        passed
    }
}

/// The simulation's tick rate: the one place where seconds and milliseconds become ticks and back.
/// The shell keeps it equal to `server.tick_rate_hz`; rules read it instead of converting by hand.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TickRate {
    hz: u32,
}

impl TickRate {
    /// `hz` ticks a second (at least one).
    pub const fn new(hz: u32) -> Self {
        Self {
            hz: if hz == 0 { 1 } else { hz },
        }
    }

    pub fn hz(self) -> u32 {
        self.hz
    }

    /// Whole seconds as ticks.
    pub fn ticks_in_secs(self, secs: u32) -> u64 {
        u64::from(secs) * u64::from(self.hz)
    }

    /// Milliseconds as ticks, rounded up: a window of `ms` is never cut short.
    pub fn ticks_in_ms(self, ms: u32) -> u64 {
        (u64::from(ms) * u64::from(self.hz)).div_ceil(1000)
    }

    /// Ticks between two events of something that happens `rate_hz` times a second (fractional).
    pub fn ticks_between(self, rate_hz: f32) -> f32 {
        self.hz as f32 / rate_hz.max(0.001)
    }

    /// `ticks` as seconds.
    pub fn secs_of(self, ticks: u64) -> f32 {
        ticks as f32 / self.hz as f32
    }

    /// `ticks` as milliseconds.
    pub fn ms_of(self, ticks: u64) -> f32 {
        ticks as f32 * 1000.0 / self.hz as f32
    }
}

impl Default for TickRate {
    /// The default `server.tick_rate_hz`.
    fn default() -> Self {
        Self::new(60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_agree_with_the_rate_and_never_divide_by_zero() {
        let rate = TickRate::new(60);
        assert_eq!(rate.ticks_in_secs(10), 600);
        assert_eq!(rate.ticks_in_ms(1000), 60);
        assert_eq!(rate.ticks_in_ms(1), 1, "a millisecond is at least a tick");
        assert_eq!(rate.ticks_between(10.0), 6.0);
        assert_eq!(rate.secs_of(30), 0.5);
        assert_eq!(rate.ms_of(3), 50.0);
        assert_eq!(TickRate::new(0).hz(), 1);
    }

    #[test]
    fn a_periodic_task_falls_due_once_per_interval() {
        let mut tick = ServerTick::default();
        let mut last = 0;
        let mut due = Vec::new();
        for _ in 0..10 {
            tick.advance();
            if tick.passed_since(&mut last, 3) {
                due.push(tick.get());
            }
        }
        assert_eq!(due, [3, 6, 9]);
        assert_eq!(last, 9);
    }
}
