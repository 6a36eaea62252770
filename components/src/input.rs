//! Inputs received from a client, waiting for the tick they are meant for.

use crate::protocol::InputFrame;
use bevy_ecs::component::Component;
use std::collections::VecDeque;

/// Inputs for ticks further ahead than this are refused: the client's clock is wrong or it cheats.
pub const MAX_INPUT_LEAD_TICKS: u64 = 64;
/// Inputs for ticks older than this are refused: they can no longer matter.
pub const MAX_INPUT_LAG_TICKS: u64 = 256;

/// Why an input was not buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputRefusal {
    TooFarAhead,
    TooOld,
}

impl InputRefusal {
    /// Label used in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            InputRefusal::TooFarAhead => "input_too_far_ahead",
            InputRefusal::TooOld => "input_too_old",
        }
    }
}

/// How often a player's clock ran fast: more inputs for distinct ticks than ticks elapsed in a
/// one-second window. A signal for anti-cheat, not proof.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputCadenceAnomalies(pub u32);

/// A player's pending inputs, ordered by tick, at most one per tick.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct InputBuffer {
    pending: VecDeque<InputFrame>,
    last_applied_tick: u64,
    /// Inputs for new ticks received since the cadence window started: accepted, or refused for
    /// being too far ahead (a client whose clock runs fast soon sends only those).
    received_in_window: u64,
}

impl InputBuffer {
    /// Buffers `frame` if its tick is within the accepted range around `current_tick`. An input for a
    /// tick that already has one replaces it.
    pub fn push(&mut self, frame: InputFrame, current_tick: u64) -> Result<(), InputRefusal> {
        if frame.tick > current_tick + MAX_INPUT_LEAD_TICKS {
            self.received_in_window += 1;
            return Err(InputRefusal::TooFarAhead);
        }
        if frame.tick + MAX_INPUT_LAG_TICKS < current_tick || frame.tick <= self.last_applied_tick {
            return Err(InputRefusal::TooOld);
        }
        let position = self
            .pending
            .partition_point(|pending| pending.tick < frame.tick);
        match self.pending.get_mut(position) {
            Some(existing) if existing.tick == frame.tick => *existing = frame,
            _ => {
                self.pending.insert(position, frame);
                self.received_in_window += 1;
            }
        }
        Ok(())
    }

    /// Removes every input due at `tick` (its own and late ones) and returns the newest of them.
    pub fn take_due(&mut self, tick: u64) -> Option<InputFrame> {
        let mut newest = None;
        while self.pending.front().is_some_and(|frame| frame.tick <= tick) {
            newest = self.pending.pop_front();
        }
        if let Some(frame) = newest {
            self.last_applied_tick = frame.tick;
        }
        newest
    }

    /// Tick of the last input applied, echoed to the client for reconciliation (0: none yet).
    pub fn last_applied_tick(&self) -> u64 {
        self.last_applied_tick
    }

    /// Inputs for new ticks received since the last call (accepted or too far ahead), which starts a
    /// new cadence window. More of them than ticks elapsed means the client runs its clock fast: a
    /// speed-hack signal, whether or not the inputs could be used.
    pub fn take_received_count(&mut self) -> u64 {
        std::mem::take(&mut self.received_in_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(tick: u64, move_x: f32) -> InputFrame {
        InputFrame {
            tick,
            move_x,
            move_y: 0.0,
            yaw: 0.0,
            pitch: 0.0,
            buttons: 0,
        }
    }

    #[test]
    fn refuses_inputs_too_far_ahead_or_too_old() {
        let mut buffer = InputBuffer::default();
        assert_eq!(
            buffer.push(frame(1000 + 65, 0.0), 1000),
            Err(InputRefusal::TooFarAhead)
        );
        assert_eq!(
            buffer.push(frame(1000 - 257, 0.0), 1000),
            Err(InputRefusal::TooOld)
        );
        assert_eq!(buffer.push(frame(1000 + 64, 0.0), 1000), Ok(()));
        assert_eq!(buffer.push(frame(1000 - 256, 0.0), 1000), Ok(()));
    }

    #[test]
    fn applies_the_newest_due_input_and_remembers_its_tick() {
        let mut buffer = InputBuffer::default();
        for (tick, move_x) in [(12, 0.2), (10, 0.0), (11, 0.1), (11, 0.5)] {
            buffer.push(frame(tick, move_x), 10).expect("in range");
        }
        assert_eq!(
            buffer.take_received_count(),
            3,
            "the second input for tick 11 replaced the first"
        );

        let due = buffer.take_due(11).expect("inputs 10 and 11 are due");
        assert_eq!((due.tick, due.move_x), (11, 0.5));
        assert_eq!(buffer.last_applied_tick(), 11);
        assert_eq!(
            buffer.push(frame(11, 0.9), 12),
            Err(InputRefusal::TooOld),
            "already applied"
        );
        assert_eq!(buffer.take_due(12).map(|frame| frame.tick), Some(12));
        assert_eq!(buffer.take_due(13), None);
    }
}
