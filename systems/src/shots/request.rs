//! The request to fire, as the network layer decodes it from `Fire`.

use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;

/// A player fired, as the client saw the world at `client_tick`. `target` is the player id the
/// client's own hit detection claims; the server decides the hit itself.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct FireRequested {
    pub player: Entity,
    pub client_tick: u64,
    pub yaw: f32,
    pub pitch: f32,
    pub weapon: u8,
    pub target: Option<u64>,
}
