//! Inputs: each tick, a player's due input becomes its aim and the direction it wants to move.

use crate::phases::SimulationSystems;
use arbiter_components::input::{InputBuffer, InputCadenceAnomalies};
use arbiter_components::kinematics::MoveIntent;
use arbiter_components::player::{Aim, PlayerId};
use arbiter_components::tick::ServerTick;
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Query, Res};
use bevy_math::Vec3;

/// Client inputs become intentions, in the Inputs phase.
#[derive(Debug, Default)]
pub struct InputPlugin;

impl Plugin for InputPlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, InputBuffer>()
            .register_required_components::<PlayerId, InputCadenceAnomalies>()
            .register_required_components::<PlayerId, MoveIntent>()
            .register_required_components::<PlayerId, Aim>()
            .add_systems(FixedUpdate, apply_inputs.in_set(SimulationSystems::Inputs));
    }
}

/// Applies the newest input due this tick. A player with no new input keeps its previous intent, so a
/// lost input packet does not stop the player.
pub fn apply_inputs(
    tick: Res<ServerTick>,
    mut players: Query<(&mut InputBuffer, &mut MoveIntent, &mut Aim)>,
) {
    for (mut inputs, mut intent, mut aim) in &mut players {
        let Some(frame) = inputs.take_due(tick.get()) else {
            continue;
        };
        *aim = Aim {
            yaw: frame.yaw,
            pitch: frame.pitch,
        };
        // Forward is −Z at yaw 0; yaw turns counter-clockwise seen from above.
        let (sin, cos) = frame.yaw.sin_cos();
        let forward = Vec3::new(-sin, 0.0, -cos);
        let right = Vec3::new(cos, 0.0, -sin);
        intent.0 = (forward * frame.move_y + right * frame.move_x).clamp_length_max(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::protocol::InputFrame;
    use bevy_ecs::system::RunSystemOnce;
    use bevy_ecs::world::World;

    #[test]
    fn a_due_input_sets_aim_and_intent_and_a_missing_one_keeps_them() {
        let mut world = World::new();
        let mut tick = ServerTick::default();
        tick.advance();
        world.insert_resource(tick);
        let mut inputs = InputBuffer::default();
        inputs
            .push(
                InputFrame {
                    tick: 1,
                    move_x: 0.0,
                    move_y: 1.0,
                    yaw: 0.0,
                    pitch: 0.25,
                    buttons: 0,
                },
                1,
            )
            .expect("in range");
        let player = world
            .spawn((inputs, MoveIntent::default(), Aim::default()))
            .id();

        world.run_system_once(apply_inputs).expect("system runs");
        let forward = MoveIntent(Vec3::new(0.0, 0.0, -1.0));
        assert_eq!(world.get::<MoveIntent>(player), Some(&forward));
        assert_eq!(world.get::<Aim>(player).map(|aim| aim.pitch), Some(0.25));

        world.resource_mut::<ServerTick>().advance();
        world.run_system_once(apply_inputs).expect("system runs");
        assert_eq!(
            world.get::<MoveIntent>(player),
            Some(&forward),
            "no new input: keep going"
        );
        assert_eq!(
            world
                .get::<InputBuffer>(player)
                .map(InputBuffer::last_applied_tick),
            Some(1)
        );
    }
}
