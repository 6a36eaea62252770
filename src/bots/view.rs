//! What a bot knows of its match: the recent snapshots by tick, its own id and who is on which team.

use arbiter_client::protocol::EntityState;
use std::collections::BTreeMap;

/// Snapshots older than this many ticks behind the newest are forgotten (a second at 64 Hz).
const KEPT_TICKS: u64 = 64;

#[derive(Debug, Default)]
pub(super) struct MatchView {
    pub(super) me: u64,
    pub(super) map: Option<String>,
    /// Player ids of the opposing team.
    pub(super) opponents: Vec<u64>,
    snapshots: BTreeMap<u64, Vec<EntityState>>,
}

impl MatchView {
    pub(super) fn join(&mut self, map: String, opponents: Vec<u64>) {
        self.map = Some(map);
        self.opponents = opponents;
    }

    pub(super) fn leave(&mut self) {
        self.map = None;
        self.opponents.clear();
    }

    pub(super) fn record(&mut self, tick: u64, entities: Vec<EntityState>) {
        self.snapshots.insert(tick, entities);
        let newest = self.newest_tick().unwrap_or(tick);
        self.snapshots = self.snapshots.split_off(&newest.saturating_sub(KEPT_TICKS));
    }

    pub(super) fn newest_tick(&self) -> Option<u64> {
        self.snapshots.keys().next_back().copied()
    }

    /// The newest snapshot at or before `tick`, with its tick.
    pub(super) fn at_or_before(&self, tick: u64) -> Option<(u64, &[EntityState])> {
        self.snapshots
            .range(..=tick)
            .next_back()
            .map(|(tick, entities)| (*tick, entities.as_slice()))
    }

    /// The bot itself in a snapshot.
    pub(super) fn own<'a>(&self, entities: &'a [EntityState]) -> Option<&'a EntityState> {
        entities.iter().find(|entity| entity.player_id == self.me)
    }

    /// Living opponents in a snapshot.
    pub(super) fn living_opponents<'a>(
        &'a self,
        entities: &'a [EntityState],
    ) -> impl Iterator<Item = &'a EntityState> {
        entities
            .iter()
            .filter(|entity| entity.alive && self.opponents.contains(&entity.player_id))
    }
}
