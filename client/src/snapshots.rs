//! The client's side of delta snapshots: the snapshots it reconstructed, kept as baselines, and
//! the newest one, to acknowledge.

use arbiter_components::protocol::{
    DeltaError, DeltaSnapshotRef, QuantisedState, ServerMessage, decode_delta_into,
};
use std::collections::VecDeque;

/// Snapshots kept as baselines: twice what the server keeps, so any baseline the server may still
/// use is here.
const HISTORY: usize = 64;
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

#[derive(Debug, Default)]
pub(crate) struct SnapshotHistory {
    snapshots: VecDeque<(u64, Vec<QuantisedState>)>,
    /// The memory of the last snapshot dropped from the history, for the next one to decode into.
    spare: Vec<QuantisedState>,
    newest: Option<u64>,
    acknowledged: Option<u64>,
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
                // From the newest: a baseline is a round trip old, the history a second long.
                let found = self.snapshots.iter().rev().find(|(held, _)| *held == at);
                Some(
                    found
                        .ok_or(SnapshotError::MissingBaseline(at))?
                        .1
                        .as_slice(),
                )
            }
        };
        let mut states = std::mem::take(&mut self.spare);
        decode_delta_into(baseline, delta, MAX_PLAYERS, &mut states)?;
        let entities = states.iter().map(QuantisedState::to_state).collect();
        if self.snapshots.len() >= HISTORY
            && let Some((_, oldest)) = self.snapshots.pop_front()
        {
            self.spare = oldest;
        }
        self.snapshots.push_back((tick, states));
        self.newest = Some(self.newest.map_or(tick, |newest| newest.max(tick)));
        Ok(ServerMessage::Snapshot {
            tick,
            ack_input_tick: tick.saturating_sub(input_lag),
            entities,
        })
    }

    /// The newest snapshot tick, when it was not acknowledged yet.
    pub(crate) fn take_acknowledgement(&mut self) -> Option<u64> {
        let newest = self.newest?;
        if self.acknowledged == Some(newest) {
            return None;
        }
        self.acknowledged = Some(newest);
        Some(newest)
    }
}
