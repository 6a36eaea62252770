//! Messages between the rules and the network shell: messages to players out, kicks. Requests in
//! are typed messages owned by the rule that handles them (`FireRequested`, `QueueJoinRequested`).

use crate::protocol::{KickReason, ServerMessage};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;

/// A message for one player, delivered by the network layer in the Send phase if the player is
/// connected (dropped otherwise).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct Outbound {
    pub player: Entity,
    pub message: ServerMessage,
}

/// The rules want a player's connection closed; the network layer sends `Kicked { reason }` first.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct KickRequest {
    pub player: Entity,
    pub reason: KickReason,
}

/// A player that has not had the starter kit yet: the economy gives it. A server that stores
/// players sends it once per player (a new one, or one stored before the kit existed), recorded
/// with the kit; a server without persistence, for every arrival.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct StarterKitDue {
    pub player: Entity,
}
