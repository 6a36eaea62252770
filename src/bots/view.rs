//! What a bot knows of its match: the recent snapshots by tick, its own id and who is on which team.

use arbiter_client::protocol::EntityState;
use arbiter_systems::map::MapGeometry;
use arbiter_systems::shots::{CHEST_HEIGHT_M, EYE_HEIGHT_M};
use bevy_math::Vec3;
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
    /// Opponents in sight (chest in line of sight) in every snapshot since the tick held, as far
    /// as the snapshots that arrived tell.
    in_sight: BTreeMap<u64, u64>,
    /// The newest snapshot sight was tracked on (older ones arriving late are not).
    sight_tick: u64,
}

impl MatchView {
    pub(super) fn join(&mut self, map: String, opponents: Vec<u64>) {
        self.map = Some(map);
        self.opponents = opponents;
        self.in_sight.clear();
    }

    pub(super) fn leave(&mut self) {
        self.map = None;
        self.opponents.clear();
        self.in_sight.clear();
    }

    /// Updates who is in sight from the snapshot of `tick`, if it is the newest yet.
    pub(super) fn track_sight(&mut self, tick: u64, map: &MapGeometry) {
        if tick <= self.sight_tick {
            return;
        }
        self.sight_tick = tick;
        let Some(entities) = self.snapshots.get(&tick) else {
            return;
        };
        let eye = entities
            .iter()
            .find(|entity| entity.player_id == self.me && entity.alive)
            .map(|me| Vec3::from_array(me.position) + Vec3::Y * EYE_HEIGHT_M);
        for opponent in &self.opponents {
            let seen = eye.is_some_and(|eye| {
                entities.iter().any(|entity| {
                    entity.player_id == *opponent
                        && entity.alive
                        && map.line_of_sight(
                            eye,
                            Vec3::from_array(entity.position) + Vec3::Y * CHEST_HEIGHT_M,
                        )
                })
            });
            if seen {
                self.in_sight.entry(*opponent).or_insert(tick);
            } else {
                self.in_sight.remove(opponent);
            }
        }
    }

    /// Whether `player` has been in sight since `tick` or earlier.
    pub(super) fn in_sight_since(&self, player: u64, tick: u64) -> bool {
        self.in_sight
            .get(&player)
            .is_some_and(|since| *since <= tick)
    }

    /// Keeps the snapshot of `tick` and forgets those more than [`KEPT_TICKS`] behind the newest:
    /// one by one from the oldest, so a snapshot costs no rebuilt tree (this runs for every bot on
    /// every snapshot, and a bot process drives thousands).
    pub(super) fn record(&mut self, tick: u64, entities: Vec<EntityState>) {
        self.snapshots.insert(tick, entities);
        let newest = self.newest_tick().unwrap_or(tick);
        let oldest_kept = newest.saturating_sub(KEPT_TICKS);
        while let Some(oldest) = self.snapshots.first_entry()
            && *oldest.key() < oldest_kept
        {
            oldest.remove();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(tick: u64) -> Vec<EntityState> {
        vec![EntityState {
            player_id: tick,
            position: [0.0; 3],
            velocity: [0.0; 3],
            yaw: 0.0,
            pitch: 0.0,
            health: 100,
            alive: true,
        }]
    }

    #[test]
    fn a_view_keeps_the_last_second_of_snapshots_whatever_order_they_arrive_in() {
        let mut view = MatchView::default();
        for tick in [3, 1, 2, 70, 66, 5, 200] {
            view.record(tick, snapshot(tick));
            let newest = view.newest_tick().expect("a snapshot");
            let kept: Vec<u64> = view.snapshots.keys().copied().collect();
            assert!(
                kept.iter().all(|kept| *kept + KEPT_TICKS >= newest),
                "{kept:?}"
            );
        }
        assert_eq!(view.newest_tick(), Some(200));
        assert_eq!(view.snapshots.keys().copied().collect::<Vec<_>>(), [200]);
        view.record(150, snapshot(150));
        view.record(199, snapshot(199));
        let (tick, entities) = view.at_or_before(198).expect("one at or before 198");
        assert_eq!((tick, entities[0].player_id), (150, 150));
        assert_eq!(view.at_or_before(100), None);
    }
}
