//! Where a player was in the recent past, tick by tick: what lag compensation rewinds to.

use crate::tick::TickRate;
use bevy_ecs::component::Component;
use bevy_math::Vec3;
use std::collections::VecDeque;

/// A player's positions for the last ticks, oldest first, at most `capacity` of them.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct PositionHistory {
    positions: VecDeque<(u64, Vec3)>,
    /// Rewinding to before this tick would cross a teleport (a respawn): positions before it are not
    /// where the player could have been hit on the path it is on now.
    teleported_at: u64,
}

impl PositionHistory {
    /// Records the position at `tick`, keeping at most `capacity` ticks.
    pub fn record(&mut self, tick: u64, position: Vec3, capacity: usize) {
        self.positions.push_back((tick, position));
        while self.positions.len() > capacity.max(1) {
            self.positions.pop_front();
        }
    }

    /// Records a teleport (a spawn) to `position` at `tick`: earlier positions can no longer be
    /// rewound to, and `tick` itself is where the player was put.
    pub fn teleport(&mut self, tick: u64, position: Vec3) {
        self.teleported_at = tick;
        if let Some(last) = self
            .positions
            .back_mut()
            .filter(|(recorded, _)| *recorded == tick)
        {
            last.1 = position;
        }
    }

    /// The position at `tick`, if it is still kept and no teleport happened since.
    pub fn at(&self, tick: u64) -> Option<Vec3> {
        if tick < self.teleported_at {
            return None;
        }
        let index = self
            .positions
            .partition_point(|(recorded, _)| *recorded < tick);
        match self.positions.get(index) {
            Some((recorded, position)) if *recorded == tick => Some(*position),
            _ => None,
        }
    }

    /// Whether the player teleported (spawned) after `tick`: it is no longer on the path it was on then.
    pub fn teleported_after(&self, tick: u64) -> bool {
        tick < self.teleported_at
    }

    /// The oldest tick still kept.
    pub fn oldest_tick(&self) -> Option<u64> {
        self.positions.front().map(|(tick, _)| *tick)
    }
}

/// Ticks of history needed to rewind `max_rewind_ms` at `rate` (plus the current tick).
pub fn history_capacity(max_rewind_ms: u32, rate: TickRate) -> usize {
    rate.ticks_in_ms(max_rewind_ms) as usize + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_capacity_ticks_and_finds_each_exactly() {
        let mut history = PositionHistory::default();
        for tick in 1..=100 {
            history.record(tick, Vec3::new(tick as f32, 0.0, 0.0), 31);
        }
        assert_eq!(history.oldest_tick(), Some(70));
        assert_eq!(history.at(85), Some(Vec3::new(85.0, 0.0, 0.0)));
        assert_eq!(history.at(69), None, "older than kept");
        assert_eq!(history.at(101), None, "not yet recorded");
    }

    #[test]
    fn no_rewind_across_a_teleport() {
        let mut history = PositionHistory::default();
        for tick in 1..=10 {
            history.record(tick, Vec3::splat(tick as f32), 64);
        }
        history.teleport(10, Vec3::ZERO);
        assert!(history.teleported_after(9));
        assert!(!history.teleported_after(10));
        assert_eq!(history.at(9), None);
        assert_eq!(
            history.at(10),
            Some(Vec3::ZERO),
            "the spawn point replaces the tick's entry"
        );
    }

    #[test]
    fn capacity_covers_the_rewind_window() {
        assert_eq!(history_capacity(500, TickRate::new(60)), 31);
        assert_eq!(history_capacity(500, TickRate::new(128)), 65);
        assert_eq!(history_capacity(0, TickRate::new(60)), 1);
    }
}
