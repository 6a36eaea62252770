//! Arbiter inside your own `App`, with your own rule in the Simulate phase.
//!
//! The rule adds gravity to everything that moves; it runs in the Movement phase of every fixed step,
//! before the built-in `integrate_velocity`. A second rule ends the demo after three simulated
//! seconds by sending `AppExit`, which runs the shutdown steps like SIGTERM would.
//!
//! `cargo run --example custom_rule`

use arbiter::ServerPlugins;
use arbiter::config::{LoadedConfig, process_env};
use arbiter::phase::TickSystems;
use arbiter::shutdown::SignalPlugin;
use arbiter::telemetry::logging;
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::tick::ServerTick;
use arbiter_systems::SimulationSystems;
use arbiter_systems::movement::integrate_velocity;
use bevy_app::{App, AppExit, FixedUpdate, Startup};
use bevy_ecs::message::MessageWriter;
use bevy_ecs::query::With;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Commands, Query, Res};
use bevy_math::Vec3;
use bevy_time::{Fixed, Time};

const GRAVITY: Vec3 = Vec3::new(0.0, -9.81, 0.0);
const DEMO_SECONDS: f32 = 3.0;

fn main() -> anyhow::Result<()> {
    let loaded = LoadedConfig::load(None, &process_env)?;
    // The returned level control is only needed to change the level on config reload.
    logging::init(&loaded.config.log)?;
    let exit = App::new()
        .add_plugins(ServerPlugins::new(loaded))
        .add_plugins(SignalPlugin)
        .add_systems(Startup, spawn_projectile)
        .add_systems(
            FixedUpdate,
            (
                apply_gravity
                    .in_set(SimulationSystems::Movement)
                    .before(integrate_velocity),
                end_demo
                    .in_set(TickSystems::Simulate)
                    .after(SimulationSystems::Lifecycle),
            ),
        )
        .run();
    tracing::info!(?exit, "demo finished");
    Ok(())
}

fn spawn_projectile(mut commands: Commands) {
    commands.spawn((Position(Vec3::ZERO), Velocity(Vec3::new(3.0, 12.0, 0.0))));
}

/// The custom rule: accelerate every mover by gravity over the fixed step.
fn apply_gravity(time: Res<Time>, mut movers: Query<&mut Velocity, With<Position>>) {
    for mut velocity in &mut movers {
        velocity.0 += GRAVITY * time.delta_secs();
    }
}

fn end_demo(
    time: Res<Time<Fixed>>,
    tick: Res<ServerTick>,
    movers: Query<&Position>,
    mut exit: MessageWriter<AppExit>,
) {
    if time.elapsed_secs() >= DEMO_SECONDS {
        for position in &movers {
            tracing::info!(tick = tick.get(), position = ?position.0, "projectile after the demo");
        }
        exit.write(AppExit::Success);
    }
}
