//! Movement: positions follow velocities over the fixed step.

use crate::map::Maps;
use crate::phases::SimulationSystems;
use arbiter_components::config::{AnticheatSettings, MovementSettings};
use arbiter_components::history::{PositionHistory, history_capacity};
use arbiter_components::kinematics::{MoveIntent, Position, Velocity};
use arbiter_components::matchmaking::{InMatch, Match};
use arbiter_components::player::{Health, PlayerId};
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Query, Res};
use bevy_math::Vec3;
use bevy_time::Time;

/// Acceleration, integration, collision with the map and the position history, in the Movement
/// phase.
#[derive(Debug, Default)]
pub struct MovementPlugin;

impl Plugin for MovementPlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, Position>()
            .register_required_components::<PlayerId, Velocity>()
            .register_required_components::<PlayerId, PositionHistory>()
            .init_resource::<MovementSettings>()
            .init_resource::<AnticheatSettings>()
            .init_resource::<TickRate>()
            .add_systems(
                FixedUpdate,
                (
                    accelerate,
                    integrate_velocity,
                    collide_with_map,
                    record_position_history,
                )
                    .chain()
                    .in_set(SimulationSystems::Movement),
            );
    }
}

/// Turns each player's velocity towards its intent at `[movement] max_speed_mps`, changing it by at
/// most `acceleration_mps2 × step` per tick. The dead stand still.
pub fn accelerate(
    time: Res<Time>,
    settings: Res<MovementSettings>,
    mut players: Query<(&MoveIntent, &mut Velocity, Option<&Health>)>,
) {
    let max_change = settings.acceleration_mps2 * time.delta_secs();
    for (intent, mut velocity, health) in &mut players {
        if health.is_some_and(|health| !health.is_alive()) {
            velocity.0 = Vec3::ZERO;
            continue;
        }
        let wished = intent.0.clamp_length_max(1.0) * settings.max_speed_mps;
        let change = (wished - velocity.0).clamp_length_max(max_change);
        velocity.0 += change;
    }
}

/// Moves every entity with a velocity by `velocity × step`.
pub fn integrate_velocity(time: Res<Time>, mut movers: Query<(&mut Position, &Velocity)>) {
    let step = time.delta_secs();
    for (mut position, velocity) in &mut movers {
        position.0 += velocity.0 * step;
    }
}

/// Half extents of a player's body for collision with the map (the same box shots are tested against).
pub const PLAYER_HALF_EXTENTS: Vec3 = Vec3::new(0.4, 0.9, 0.4);

/// Keeps players of a match inside their map's bounds and out of its walls; velocity into a wall stops.
pub fn collide_with_map(
    maps: Option<Res<Maps>>,
    matches: Query<&Match>,
    mut players: Query<(&InMatch, &mut Position, &mut Velocity)>,
) {
    let Some(maps) = maps else { return };
    for (in_match, mut position, mut velocity) in &mut players {
        let Some(map) = matches
            .get(in_match.0)
            .ok()
            .and_then(|found| maps.get(&found.map))
        else {
            continue;
        };
        let (confined, stopped) = map.confine(position.0, PLAYER_HALF_EXTENTS);
        if stopped.any() {
            position.0 = confined;
            velocity.0 = Vec3::select(stopped, Vec3::ZERO, velocity.0);
        }
    }
}

/// Appends this tick's position to every player's history, keeping `[anticheat] max_rewind_ms` of it.
pub fn record_position_history(
    tick: Res<ServerTick>,
    anticheat: Res<AnticheatSettings>,
    rate: Res<TickRate>,
    mut players: Query<(&Position, &mut PositionHistory)>,
) {
    let capacity = history_capacity(anticheat.max_rewind_ms, *rate);
    for (position, mut history) in &mut players {
        history.record(tick.get(), position.0, capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_ecs::system::RunSystemOnce;
    use bevy_ecs::world::World;
    use core::time::Duration;

    #[test]
    fn velocity_approaches_the_intent_at_the_configured_rate_and_never_exceeds_top_speed() {
        let mut world = World::new();
        let mut time = Time::<()>::default();
        time.advance_by(Duration::from_millis(50));
        world.insert_resource(time);
        world.insert_resource(MovementSettings {
            max_speed_mps: 5.0,
            acceleration_mps2: 40.0,
        });
        let runner = world
            .spawn((MoveIntent(Vec3::new(3.0, 0.0, 0.0)), Velocity::default()))
            .id();
        let dead = world
            .spawn((MoveIntent(Vec3::X), Velocity(Vec3::X), Health(0)))
            .id();

        world.run_system_once(accelerate).expect("system runs");
        assert_eq!(
            world.get::<Velocity>(runner),
            Some(&Velocity(Vec3::new(2.0, 0.0, 0.0))),
            "40 m/s² for 50 ms"
        );
        assert_eq!(world.get::<Velocity>(dead), Some(&Velocity(Vec3::ZERO)));
        for _ in 0..10 {
            world.run_system_once(accelerate).expect("system runs");
        }
        assert_eq!(
            world.get::<Velocity>(runner),
            Some(&Velocity(Vec3::new(5.0, 0.0, 0.0))),
            "capped at top speed, whatever the intent's length"
        );
    }

    #[test]
    fn moves_by_velocity_times_step_and_leaves_still_entities() {
        let mut world = World::new();
        let mut time = Time::<()>::default();
        time.advance_by(Duration::from_millis(500));
        world.insert_resource(time);
        let mover = world
            .spawn((Position(Vec3::ZERO), Velocity(Vec3::new(2.0, 0.0, -4.0))))
            .id();
        let still = world.spawn(Position(Vec3::ONE)).id();

        world
            .run_system_once(integrate_velocity)
            .expect("system runs");

        assert_eq!(
            world.get::<Position>(mover),
            Some(&Position(Vec3::new(1.0, 0.0, -2.0)))
        );
        assert_eq!(world.get::<Position>(still), Some(&Position(Vec3::ONE)));
    }

    #[test]
    fn players_of_a_match_are_kept_out_of_its_walls() {
        use crate::map::test_map;
        let mut world = World::new();
        let mut maps = Maps::default();
        maps.insert(test_map(
            "wall",
            20.0,
            &[(Vec3::new(-1.0, -20.0, -5.0), Vec3::new(1.0, 20.0, 5.0))],
        ))
        .expect("one map");
        world.insert_resource(maps);
        let game = world
            .spawn(Match::new(3, 0, "wall".into(), [Vec::new(), Vec::new()], 0))
            .id();
        let runner = world
            .spawn((
                InMatch(game),
                Position(Vec3::new(-0.8, 0.0, 0.0)),
                Velocity(Vec3::new(6.0, 0.0, 1.0)),
            ))
            .id();
        let lobby = world
            .spawn((Position(Vec3::new(-0.8, 0.0, 0.0)), Velocity(Vec3::X)))
            .id();

        world
            .run_system_once(collide_with_map)
            .expect("system runs");

        let position = world.get::<Position>(runner).expect("position").0;
        assert!(
            (position.x - -1.4).abs() < 1e-5,
            "pushed back out of the wall: {position}"
        );
        assert_eq!(
            world.get::<Velocity>(runner),
            Some(&Velocity(Vec3::new(0.0, 0.0, 1.0))),
            "slides along it"
        );
        assert_eq!(
            world.get::<Position>(lobby),
            Some(&Position(Vec3::new(-0.8, 0.0, 0.0))),
            "not in a match"
        );
    }

    #[test]
    fn history_is_recorded_every_tick_for_the_rewind_window() {
        let mut world = World::new();
        world.insert_resource(AnticheatSettings {
            max_rewind_ms: 100,
            ..AnticheatSettings::default()
        });
        world.init_resource::<TickRate>();
        world.init_resource::<ServerTick>();
        let player = world
            .spawn((Position(Vec3::ZERO), PositionHistory::default()))
            .id();
        for step in 1..=20 {
            world.resource_mut::<ServerTick>().advance();
            world
                .entity_mut(player)
                .insert(Position(Vec3::splat(step as f32)));
            world
                .run_system_once(record_position_history)
                .expect("system runs");
        }
        let history = world.get::<PositionHistory>(player).expect("history");
        assert_eq!(history.at(20), Some(Vec3::splat(20.0)));
        // 100 ms at 60 Hz is 6 ticks, plus the current one.
        assert_eq!(history.oldest_tick(), Some(14));
    }
}
