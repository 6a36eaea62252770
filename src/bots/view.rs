//! What a bot knows of its match: the recent snapshots by tick, its own id and who is on which team.

use arbiter_client::protocol::EntityState;
use arbiter_systems::map::MapGeometry;
use arbiter_systems::shots::{CHEST_HEIGHT_M, EYE_HEIGHT_M};
use bevy_math::Vec3;

/// Snapshots older than this many ticks behind the newest are forgotten (a second at 64 Hz).
const KEPT_TICKS: u64 = 64;
/// A slot that holds no snapshot: no tick is this one.
const EMPTY: u64 = u64::MAX;

#[derive(Debug, Default)]
pub(super) struct MatchView {
    pub(super) me: u64,
    pub(super) map: Option<String>,
    /// Player ids of the opposing team.
    pub(super) opponents: Vec<u64>,
    /// The snapshot of tick `t` in slot `t % KEPT_TICKS`, with the tick it holds: finding a tick
    /// reads one slot, where a walk along a queue read several (each bot's is cold memory on
    /// every frame, and a bot process drives thousands). Empty until the first snapshot.
    snapshots: Vec<(u64, Vec<EntityState>)>,
    newest: Option<u64>,
    /// Opponents in sight (chest in line of sight) in every snapshot since the tick held, as far
    /// as the snapshots that arrived tell. A handful of pairs: one or two cache lines to scan.
    in_sight: Vec<(u64, u64)>,
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

    /// Now on another server of a fleet, which counts its own ticks: out of any match, and what
    /// the last server's ticks said is forgotten (its snapshots would hide the new one's).
    pub(super) fn moved(&mut self) {
        self.leave();
        self.snapshots.clear();
        self.newest = None;
        self.sight_tick = 0;
    }

    /// Updates who is in sight from the snapshot of `tick`, if it is the newest yet.
    pub(super) fn track_sight(&mut self, tick: u64, map: &MapGeometry) {
        if tick <= self.sight_tick {
            return;
        }
        self.sight_tick = tick;
        let Some(entities) = held(&self.snapshots, self.newest, tick) else {
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

    /// Keeps the snapshot of `tick`, unless it is [`KEPT_TICKS`] or more behind the newest; a
    /// snapshot that far behind the newest is forgotten.
    pub(super) fn record(&mut self, tick: u64, entities: Vec<EntityState>) {
        let newest = self.newest.map_or(tick, |newest| newest.max(tick));
        if tick.saturating_add(KEPT_TICKS) <= newest {
            return;
        }
        if self.snapshots.is_empty() {
            self.snapshots = (0..KEPT_TICKS).map(|_| (EMPTY, Vec::new())).collect();
        }
        self.snapshots[slot(tick)] = (tick, entities);
        self.newest = Some(newest);
    }

    /// The snapshot of `tick`, if it is held.
    fn at(&self, tick: u64) -> Option<&[EntityState]> {
        held(&self.snapshots, self.newest, tick)
    }

    pub(super) fn newest_tick(&self) -> Option<u64> {
        self.newest
    }

    /// The newest snapshot at or before `tick`, with its tick. Bots ask for the newest or one an
    /// interpolation delay behind it: the first slot looked at holds it unless a datagram was lost.
    pub(super) fn at_or_before(&self, tick: u64) -> Option<(u64, &[EntityState])> {
        let newest = self.newest?;
        let oldest = newest.saturating_sub(KEPT_TICKS - 1);
        (oldest..=tick.min(newest))
            .rev()
            .find_map(|held| self.at(held).map(|entities| (held, entities)))
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

/// Where the snapshot of `tick` is kept.
fn slot(tick: u64) -> usize {
    (tick % KEPT_TICKS) as usize
}

/// The snapshot of `tick` in `snapshots`, if its slot holds it and it is within [`KEPT_TICKS`]
/// of the `newest`.
fn held(
    snapshots: &[(u64, Vec<EntityState>)],
    newest: Option<u64>,
    tick: u64,
) -> Option<&[EntityState]> {
    let newest = newest?;
    let (held, entities) = snapshots.get(slot(tick))?;
    (*held == tick && tick <= newest && tick.saturating_add(KEPT_TICKS) > newest)
        .then_some(entities)
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

    impl MatchView {
        fn ticks(&self) -> Vec<u64> {
            let mut ticks: Vec<u64> = self
                .snapshots
                .iter()
                .map(|(tick, _)| *tick)
                .filter(|tick| self.at(*tick).is_some())
                .collect();
            ticks.sort_unstable();
            ticks
        }
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
        let map = open_field();
        let mut view = MatchView {
            me: 1,
            ..MatchView::default()
        };
        view.join("field".into(), vec![2]);
        for tick in 100..=104 {
            view.record(tick, face_to_face());
            view.track_sight(tick, &map);
        }
        assert!(view.in_sight_since(2, 100));
        assert!(!view.in_sight_since(2, 99));
        // A fleet's game server counts its own ticks: its snapshots and sight are taken anew.
        view.moved();
        view.join("field".into(), vec![2]);
        view.record(3, face_to_face());
        view.track_sight(3, &map);
        assert!(view.in_sight_since(2, 3));
    }

    #[test]
    fn a_lost_snapshot_is_passed_over_and_a_slot_a_lap_old_is_not_taken_for_it() {
        let mut view = MatchView::default();
        for tick in [10, 70, 72] {
            view.record(tick, snapshot(tick));
        }
        // 71 was lost: the newest at or before it is 70.
        assert_eq!(view.at_or_before(71).map(|(tick, _)| tick), Some(70));
        // 74 shares 10's slot; 10 is no longer held once 74 is the newest.
        view.record(74, snapshot(74));
        assert_eq!(view.at_or_before(73).map(|(tick, _)| tick), Some(72));
        view.record(75, snapshot(75));
        assert_eq!(view.at_or_before(11), None, "10 went a lap ago");
        assert_eq!(view.ticks(), [70, 72, 74, 75]);
        // A tick from the end of time is kept, not an overflow.
        view.record(u64::MAX - 1, snapshot(1));
        assert_eq!(view.ticks(), [u64::MAX - 1]);
    }

    #[test]
    fn a_view_keeps_the_last_second_of_snapshots_whatever_order_they_arrive_in() {
        let mut view = MatchView::default();
        for tick in [3, 1, 2, 70, 66, 5, 200] {
            view.record(tick, snapshot(tick));
            let newest = view.newest_tick().expect("a snapshot");
            let kept = view.ticks();
            assert!(
                kept.iter().all(|kept| *kept + KEPT_TICKS >= newest),
                "{kept:?}"
            );
            assert!(kept.is_sorted(), "{kept:?}");
        }
        assert_eq!(view.newest_tick(), Some(200));
        assert_eq!(view.ticks(), [200]);
        view.record(150, snapshot(150));
        view.record(199, snapshot(199));
        let (tick, entities) = view.at_or_before(198).expect("one at or before 198");
        assert_eq!((tick, entities[0].player_id), (150, 150));
        assert_eq!(view.at_or_before(100), None);
        // A snapshot of a tick held already (a duplicated datagram) replaces it.
        view.record(199, snapshot(7));
        assert_eq!(view.ticks(), [150, 199, 200]);
        assert_eq!(
            view.at_or_before(199).map(|(_, at)| at[0].player_id),
            Some(7)
        );
    }
}
