//! What a bot knows of its match: the recent snapshots by tick, its own id and who is on which team.

use arbiter_client::protocol::EntityState;
use arbiter_client::tick_ring::TickRing;
use arbiter_systems::map::MapGeometry;
use arbiter_systems::shots::{CHEST_HEIGHT_M, EYE_HEIGHT_M};
use bevy_math::Vec3;
use std::sync::Arc;

/// Snapshots this many ticks behind the newest are forgotten (a second at 64 Hz).
const KEPT_TICKS: u64 = 64;

#[derive(Debug)]
pub(super) struct MatchView {
    pub(super) me: u64,
    pub(super) in_match: bool,
    /// The match's map, looked up once when the match is found (a bot that does not know the
    /// map plays without sight).
    pub(super) geometry: Option<Arc<MapGeometry>>,
    /// Player ids of the opposing team.
    pub(super) opponents: Vec<u64>,
    snapshots: TickRing<Vec<EntityState>>,
    /// Each opponent in sight (chest in line of sight) with the tick since which every snapshot
    /// that arrived showed it so. A handful of pairs: one or two cache lines to scan.
    in_sight: Vec<(u64, u64)>,
    /// The newest snapshot sight was tracked on (older ones arriving late are not).
    sight_tick: u64,
}

impl Default for MatchView {
    fn default() -> Self {
        Self {
            me: 0,
            in_match: false,
            geometry: None,
            opponents: Vec::new(),
            snapshots: TickRing::new(KEPT_TICKS),
            in_sight: Vec::new(),
            sight_tick: 0,
        }
    }
}

impl MatchView {
    pub(super) fn join(&mut self, geometry: Option<Arc<MapGeometry>>, opponents: Vec<u64>) {
        self.in_match = true;
        self.geometry = geometry;
        self.opponents = opponents;
        self.in_sight.clear();
    }

    pub(super) fn leave(&mut self) {
        self.in_match = false;
        self.geometry = None;
        self.opponents.clear();
        self.in_sight.clear();
    }

    /// Now on another server of a fleet, which counts its own ticks: out of any match, and what
    /// the last server's ticks said is forgotten (its snapshots would hide the new one's).
    pub(super) fn moved(&mut self) {
        self.leave();
        self.snapshots.clear();
        self.sight_tick = 0;
    }

    /// Updates who is in sight from the snapshot of `tick`, if it is the newest yet.
    pub(super) fn track_sight(&mut self, tick: u64) {
        let Some(map) = &self.geometry else {
            return;
        };
        if tick <= self.sight_tick {
            return;
        }
        self.sight_tick = tick;
        let Some(entities) = self.snapshots.get(tick) else {
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
            let since = self.in_sight.iter().position(|(held, _)| held == opponent);
            match (seen, since) {
                (true, None) => self.in_sight.push((*opponent, tick)),
                (false, Some(index)) => {
                    self.in_sight.swap_remove(index);
                }
                _ => {}
            }
        }
    }

    /// Whether `player` has been in sight since `tick` or earlier.
    pub(super) fn in_sight_since(&self, player: u64, tick: u64) -> bool {
        self.in_sight
            .iter()
            .any(|(held, since)| *held == player && *since <= tick)
    }

    /// Keeps the snapshot of `tick`, unless it is [`KEPT_TICKS`] or more behind the newest.
    /// Returns the entities it no longer keeps (a snapshot a lap older, or these), whose memory
    /// the client can reuse.
    pub(super) fn record(&mut self, tick: u64, entities: Vec<EntityState>) -> Vec<EntityState> {
        self.snapshots.insert(tick, entities)
    }

    pub(super) fn newest_tick(&self) -> Option<u64> {
        self.snapshots.newest()
    }

    /// The newest snapshot at or before `tick`, with its tick.
    pub(super) fn at_or_before(&self, tick: u64) -> Option<(u64, &[EntityState])> {
        let (tick, entities) = self.snapshots.at_or_before(tick)?;
        Some((tick, entities.as_slice()))
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

    /// A walled-in field with nothing in it.
    fn open_field() -> MapGeometry {
        use arbiter_components::map::{MapBox, MapDefinition, SpawnPoint};
        let spawn = |team| SpawnPoint {
            team,
            position: Vec3::ZERO,
        };
        MapGeometry::new(MapDefinition {
            name: "field".into(),
            bounds: MapBox {
                min: Vec3::new(-50.0, 0.0, -50.0),
                max: Vec3::new(50.0, 10.0, 50.0),
            },
            spawns: vec![spawn(0), spawn(1)],
            boxes: Vec::new(),
        })
        .expect("a valid map")
    }

    /// The bot (player 1) and its opponent (player 2) 5 m apart in the open.
    fn face_to_face() -> Vec<EntityState> {
        let (mut me, mut opponent) = (snapshot(1), snapshot(2));
        opponent[0].position = [5.0, 0.0, 0.0];
        me.append(&mut opponent);
        me
    }

    #[test]
    fn sight_is_taken_afresh_on_another_server() {
        let map = Some(Arc::new(open_field()));
        let mut view = MatchView {
            me: 1,
            ..MatchView::default()
        };
        view.join(map.clone(), vec![2]);
        for tick in 100..=104 {
            view.record(tick, face_to_face());
            view.track_sight(tick);
        }
        assert!(view.in_sight_since(2, 100));
        assert!(!view.in_sight_since(2, 99));
        // A fleet's game server counts its own ticks: its snapshots and sight are taken anew.
        view.moved();
        view.join(map.clone(), vec![2]);
        view.record(3, face_to_face());
        view.track_sight(3);
        assert!(view.in_sight_since(2, 3));
        // Out of sight (dead) at 4, back at 5: in sight since 5 only.
        let mut dead = face_to_face();
        dead[1].alive = false;
        view.record(4, dead);
        view.track_sight(4);
        assert!(!view.in_sight_since(2, 4));
        view.record(5, face_to_face());
        view.track_sight(5);
        assert!(view.in_sight_since(2, 5) && !view.in_sight_since(2, 4));
    }
}
