//! Everything an embedder needs to run Arbiter and write a rule, in one import:
//! `use arbiter::prelude::*;`.
//!
//! - the server: [`ServerPlugins`], config loading ([`LoadedConfig`], [`process_env`]), the tick
//!   phases ([`TickSystems`]), the rules' phases ([`SimulationSystems`]) and plugins
//!   ([`SimulationPlugins`]), signal handling, and the store for [`ServerPlugins::with_persistence`] ([`open_store`], [`Store`]);
//! - the common components and resources of `arbiter_components` (everything else is under
//!   [`components`], the rules under [`systems`]);
//! - the bevy types a rule is written with: bevy_ecs's and bevy_app's preludes (`App`, `Plugin`,
//!   `FixedUpdate`, `Update`, `Query`, `Res`, `ResMut`, `Commands`, `Component`, `Message`,
//!   `MessageReader`, `MessageWriter`, `IntoScheduleConfigs`, `Entity`, …), bevy_time's (`Time`,
//!   `Fixed`, …) and the vector types.
//!
//! The crates `bevy_ecs` and `bevy_app` are in the prelude too, so the derives
//! (`#[derive(Component)]`, `#[derive(Message)]`, `#[derive(Resource)]`, `#[derive(SystemSet)]`)
//! work in a crate that depends on `arbiter` only.
//!
//! ```
//! use arbiter::prelude::*;
//!
//! /// A rule of your own: a component, a message, a system in the Simulate phase.
//! #[derive(Component, Debug)]
//! struct Fuel(f32);
//!
//! #[derive(Message, Debug)]
//! struct OutOfFuel(Entity);
//!
//! fn burn_fuel(
//!     time: Res<Time>,
//!     mut movers: Query<(Entity, &mut Fuel, &Velocity)>,
//!     mut empty: MessageWriter<OutOfFuel>,
//! ) {
//!     for (entity, mut fuel, velocity) in &mut movers {
//!         fuel.0 -= velocity.0.length() * time.delta_secs();
//!         if fuel.0 <= 0.0 {
//!             empty.write(OutOfFuel(entity));
//!         }
//!     }
//! }
//!
//! struct FuelPlugin;
//!
//! impl Plugin for FuelPlugin {
//!     fn build(&self, app: &mut App) {
//!         app.add_message::<OutOfFuel>()
//!             .add_systems(FixedUpdate, burn_fuel.in_set(SimulationSystems::Movement));
//!     }
//! }
//!
//! let loaded = LoadedConfig::embedded(&|_: &str| None).expect("the embedded defaults are valid");
//! let mut app = App::new();
//! app.add_plugins((ServerPlugins::new(loaded), FuelPlugin));
//! ```

pub use crate::ServerPlugins;
pub use crate::config::{ConfigSource, LoadedConfig, process_env};
pub use crate::persistence::Store;
pub use crate::phase::TickSystems;
pub use crate::runtime::AsyncRuntime;
pub use crate::settings::ServerConfig;
pub use crate::shutdown::{Shutdown, SignalPlugin};
pub use crate::store_commands::open_store;
pub use crate::{bevy_app, bevy_ecs, components, systems};

pub use arbiter_components::kinematics::{MoveIntent, Position, Velocity};
pub use arbiter_components::matchmaking::{InMatch, Match, MatchPlayers, MatchState};
pub use arbiter_components::player::{Health, PlayerId};
pub use arbiter_components::session::Session;
pub use arbiter_components::tick::{ServerTick, TickRate};
pub use arbiter_systems::{SimulationPlugins, SimulationSystems};

pub use bevy_app::prelude::*;
pub use bevy_ecs::prelude::*;
pub use bevy_math::{Quat, Vec2, Vec3};
pub use bevy_time::prelude::*;
