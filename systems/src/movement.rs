//! Movement: positions follow velocities over the fixed step.

use arbiter_components::kinematics::{Position, Velocity};
use bevy_ecs::system::{Query, Res};
use bevy_time::Time;

/// Moves every entity with a velocity by `velocity × step`.
pub fn integrate_velocity(time: Res<Time>, mut movers: Query<(&mut Position, &Velocity)>) {
    let step = time.delta_secs();
    for (mut position, velocity) in &mut movers {
        position.0 += velocity.0 * step;
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
}
