//! Test helpers for the messages the rules send to players.

use arbiter_components::messages::Outbound;
use arbiter_components::protocol::ServerMessage;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::world::World;

/// Drains every pending `Outbound` and returns, in order, those addressed to `player`.
pub(crate) fn outbound_to(world: &mut World, player: Entity) -> Vec<ServerMessage> {
    world
        .resource_mut::<Messages<Outbound>>()
        .drain()
        .filter(|outbound| outbound.player == player)
        .map(|outbound| outbound.message)
        .collect()
}
