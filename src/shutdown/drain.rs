//! Draining: a server that still runs something a stop would cut short (a game server's matches)
//! holds the stop after a shutdown request until that is done, up to a limit; the tick goes on
//! meanwhile. A second signal still exits at once (see `signals`).

use bevy_ecs::resource::Resource;
use std::time::Duration;

/// Whether this server has work a stop would cut short, and how long a stop may wait for it. Kept
/// up to date every tick by whoever owns that work; the runner reads it once a stop is requested.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct DrainHold {
    busy: bool,
    limit: Duration,
}

impl DrainHold {
    /// Says whether a stop now would cut something short, and the longest a stop waits for it.
    pub fn set(&mut self, busy: bool, limit: Duration) {
        self.busy = busy;
        self.limit = limit;
    }

    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// Whether a stop requested `since` ago still waits.
    pub fn holds(&self, since: Duration) -> bool {
        self.busy && since < self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_waits_only_while_busy_and_within_the_limit() {
        let mut hold = DrainHold::default();
        assert!(!hold.holds(Duration::ZERO), "nothing to wait for");
        hold.set(true, Duration::from_secs(60));
        assert!(hold.holds(Duration::from_secs(59)));
        assert!(!hold.holds(Duration::from_secs(60)), "the limit passed");
        hold.set(false, Duration::from_secs(60));
        assert!(!hold.holds(Duration::from_secs(1)), "done");
    }
}
