//! Arbiter's game rules as ECS systems. Everything here is pure and deterministic: no I/O, no wall
//! clock, no async. Time comes from bevy's `Time` resource, which inside `FixedUpdate` is the fixed
//! simulation step.

pub mod ambiguity;
pub mod anticheat;
pub mod damage;
pub mod economy;
pub mod guild;
pub mod input;
pub mod lifecycle;
pub mod map;
pub mod matchmaking;
#[cfg(test)]
mod messages;
pub mod movement;
pub mod party;
pub mod phases;
pub mod shots;
pub mod simulation;
pub mod trade;

pub use phases::SimulationSystems;
pub use simulation::SimulationPlugins;
