//! Where an entity is and how it moves, in metres and metres per second, in the world frame.

use bevy_ecs::component::Component;
use bevy_math::Vec3;
use serde::{Deserialize, Serialize};

/// An entity's position in metres.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Position(pub Vec3);

/// An entity's velocity in metres per second.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Velocity(pub Vec3);

/// Where the player wants to go this tick: a direction in the ground plane, at most 1 long (full
/// stick deflection). Movement accelerates the velocity towards it.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MoveIntent(pub Vec3);
