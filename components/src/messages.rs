//! Messages between the network shell and the rules: player requests in, messages to players out.

use crate::protocol::{ClientMessage, KickReason, ServerMessage};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;

/// A request from a player for the rules to act on (queue, fire). Inputs and pings are handled by the
/// network layer itself.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct ClientCommand {
    pub player: Entity,
    pub message: ClientMessage,
}

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
