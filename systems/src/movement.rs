//! Movement: positions follow velocities over the fixed step.

use arbiter_components::config::{AnticheatSettings, ServerSettings};
use arbiter_components::history::{PositionHistory, history_capacity};
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::tick::ServerTick;
use bevy_ecs::system::{Query, Res};
use bevy_time::Time;

/// Moves every entity with a velocity by `velocity × step`.
pub fn integrate_velocity(time: Res<Time>, mut movers: Query<(&mut Position, &Velocity)>) {
    let step = time.delta_secs();
    for (mut position, velocity) in &mut movers {
        position.0 += velocity.0 * step;
    }
}

/// Appends this tick's position to every player's history, keeping `[anticheat] max_rewind_ms` of it.
pub fn record_position_history(
    tick: Res<ServerTick>,
    anticheat: Res<AnticheatSettings>,
    server: Res<ServerSettings>,
    mut players: Query<(&Position, &mut PositionHistory)>,
) {
    let capacity = history_capacity(anticheat.max_rewind_ms, server.tick_rate_hz);
    for (position, mut history) in &mut players {
        history.record(tick.get(), position.0, capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_ecs::system::RunSystemOnce;
    use bevy_ecs::world::World;
    use bevy_math::Vec3;
    use core::time::Duration;

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
    fn history_is_recorded_every_tick_for_the_rewind_window() {
        let mut world = World::new();
        world.insert_resource(AnticheatSettings {
            max_rewind_ms: 100,
            ..AnticheatSettings::default()
        });
        world.insert_resource(ServerSettings::default());
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
