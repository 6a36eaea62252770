//! Arbiter inside your own `App`, with your own rule in the Simulate phase.
//!
//! The rule adds gravity to everything that moves; it runs in the Movement phase of every fixed step,
//! before the built-in `integrate_velocity`. A second rule ends the demo after three simulated
//! seconds by sending `AppExit`, which runs the shutdown steps like SIGTERM would.
//!
//! It depends on `arbiter` only: `arbiter::prelude` has the server, the components and the bevy types.
//!
//! `cargo run --example custom_rule`

use arbiter::prelude::*;
use arbiter::systems::movement::integrate_velocity;
use arbiter::telemetry::logging;

const GRAVITY: Vec3 = Vec3::new(0.0, -9.81, 0.0);
const DEMO_SECONDS: f32 = 3.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
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
