//! The client's side of delta snapshots: the snapshots it reconstructed, kept as baselines, and
//! the newest one, to acknowledge.

use crate::tick_ring::TickRing;
use arbiter_components::protocol::{
    DeltaError, DeltaSnapshotRef, EntityState, QuantisedState, ServerMessage, decode_delta_into,
};

/// Ticks of snapshots kept as baselines: twice what the server keeps, so any baseline the server
/// may still use is here.
const HISTORY: u64 = 64;
/// The most players one snapshot may name (a bound on what a hostile server makes us allocate).
const MAX_PLAYERS: usize = 1024;

/// Why a delta snapshot could not be reconstructed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("the snapshot's baseline (tick {0}) is not held")]
    MissingBaseline(u64),
    #[error(transparent)]
    Delta(#[from] DeltaError),
}

#[derive(Debug)]
pub(crate) struct SnapshotHistory {
    snapshots: TickRing<Vec<QuantisedState>>,
    /// The memory of the last snapshot replaced in the history, for the next one to decode into.
    spare: Vec<QuantisedState>,
    /// The memory of a `Snapshot`'s entities the game gave back, for the next one's.
    spare_entities: Vec<EntityState>,
    acknowledged: Option<u64>,
}

impl Default for SnapshotHistory {
    fn default() -> Self {
        Self {
            snapshots: TickRing::new(HISTORY),
            spare: Vec::new(),
            spare_entities: Vec::new(),
            acknowledged: None,
        }
    }
}

impl SnapshotHistory {
    /// Turns a `DeltaSnapshot` into the `Snapshot` it encodes; other messages pass through.
    pub(crate) fn reconstruct(
        &mut self,
        message: ServerMessage,
    ) -> Result<ServerMessage, SnapshotError> {
        let ServerMessage::DeltaSnapshot {
            tick,
            baseline_age,
            input_lag,
            delta,
        } = message
        else {
            return Ok(message);
        };
        self.reconstruct_delta(DeltaSnapshotRef {
            tick,
            baseline_age,
            input_lag,
            delta: &delta,
        })
    }

    /// The `Snapshot` a delta snapshot read in place encodes, kept as a baseline.
    pub(crate) fn reconstruct_delta(
        &mut self,
        snapshot: DeltaSnapshotRef<'_>,
    ) -> Result<ServerMessage, SnapshotError> {
        let DeltaSnapshotRef {
            tick,
            baseline_age,
            input_lag,
            delta,
        } = snapshot;
        let baseline = match baseline_age {
            0 => None,
            age => {
                let at = tick.saturating_sub(u64::from(age));
                let found = self.snapshots.get(at).map(Vec::as_slice);
                Some(found.ok_or(SnapshotError::MissingBaseline(at))?)
            }
        };
        let mut states = std::mem::take(&mut self.spare);
        decode_delta_into(baseline, delta, MAX_PLAYERS, &mut states)?;
        let mut entities = std::mem::take(&mut self.spare_entities);
        entities.clear();
        entities.extend(states.iter().map(QuantisedState::to_state));
        // The memory of a snapshot a history older, or of this one when it is too old to keep.
        self.spare = self.snapshots.insert(tick, states);
        Ok(ServerMessage::Snapshot {
            tick,
            ack_input_tick: tick.saturating_sub(input_lag),
            entities,
        })
    }

    /// Keeps `entities`' memory for the next snapshot's (one list: a client reads one at a time).
    pub(crate) fn recycle(&mut self, entities: Vec<EntityState>) {
        self.spare_entities = entities;
    }

    /// The newest snapshot tick, when it was not acknowledged yet.
    pub(crate) fn take_acknowledgement(&mut self) -> Option<u64> {
        let newest = self.snapshots.newest()?;
        if self.acknowledged == Some(newest) {
            return None;
        }
        self.acknowledged = Some(newest);
        Some(newest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::protocol::encode_delta;

    /// Player 1 standing at `x` centimetres.
    fn states(x: i32) -> Vec<QuantisedState> {
        vec![QuantisedState {
            player_id: 1,
            position: [x, 0, 0],
            health: 100,
            ..QuantisedState::default()
        }]
    }

    /// Reconstructs the snapshot of `tick` (player 1 at `tick` cm), encoded against the one
    /// `baseline_age` ticks older; where it puts player 1, in centimetres.
    fn take(
        history: &mut SnapshotHistory,
        tick: u64,
        baseline_age: u32,
    ) -> Result<i64, SnapshotError> {
        let baseline = (baseline_age > 0).then(|| states((tick - u64::from(baseline_age)) as i32));
        let mut delta = Vec::new();
        encode_delta(baseline.as_deref(), &states(tick as i32), &mut delta);
        let message = history.reconstruct_delta(DeltaSnapshotRef {
            tick,
            baseline_age,
            input_lag: 0,
            delta: &delta,
        })?;
        match message {
            ServerMessage::Snapshot { entities, .. } => {
                Ok((entities[0].position[0] * 100.0).round() as i64)
            }
            other => panic!("not a snapshot: {other:?}"),
        }
    }

    #[test]
    fn baselines_are_found_whatever_order_snapshots_arrive_in_and_not_once_a_history_behind() {
        let mut history = SnapshotHistory::default();
        assert_eq!(take(&mut history, 100, 0), Ok(100));
        assert_eq!(take(&mut history, 103, 3), Ok(103));
        // Late: 101 on 100, then 102 on 101.
        assert_eq!(take(&mut history, 101, 1), Ok(101));
        assert_eq!(take(&mut history, 102, 1), Ok(102));
        assert_eq!(history.take_acknowledgement(), Some(103));
        assert_eq!(take(&mut history, 104, 2), Ok(104));
        // 164 shares 100's slot: once it is the newest, 100 is a history behind and gone, and 101
        // still held.
        assert_eq!(take(&mut history, 164, 63), Ok(164));
        assert_eq!(
            take(&mut history, 165, 65),
            Err(SnapshotError::MissingBaseline(100))
        );
        assert_eq!(take(&mut history, 165, 64), Ok(165));
        // Too old to keep, still handed over; it does not take 102's slot from 166's baseline.
        assert_eq!(take(&mut history, 38, 0), Ok(38));
        assert_eq!(take(&mut history, 166, 64), Ok(166));
        // A tick at the end of time is no overflow.
        assert_eq!(take(&mut history, u64::MAX, 0).map(|_| ()), Ok(()));
        assert_eq!(history.take_acknowledgement(), Some(u64::MAX));
    }

    #[test]
    fn a_snapshot_is_written_into_the_memory_of_the_entities_given_back() {
        let mut history = SnapshotHistory::default();
        let mut given_back = Vec::with_capacity(50);
        given_back.push(states(1)[0].to_state());
        let memory = given_back.as_ptr();
        history.recycle(given_back);
        let mut delta = Vec::new();
        encode_delta(None, &states(7), &mut delta);
        let snapshot = history.reconstruct_delta(DeltaSnapshotRef {
            tick: 1,
            baseline_age: 0,
            input_lag: 0,
            delta: &delta,
        });
        let Ok(ServerMessage::Snapshot { entities, .. }) = snapshot else {
            panic!("not a snapshot: {snapshot:?}");
        };
        assert_eq!(entities.as_ptr(), memory);
        assert_eq!(
            entities,
            [states(7)[0].to_state()],
            "what was given back is not read"
        );
    }
}
