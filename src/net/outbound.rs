//! What the rules address to players — messages and kicks — carried out for those still connected.

use super::sessions::AwaitingWelcome;
use super::transport::GameServer;
use crate::telemetry::metrics::MESSAGES_DROPPED_TOTAL;
use arbiter_components::messages::{KickRequest, Outbound};
use arbiter_components::protocol::ServerMessage;
use arbiter_components::session::Session;
use bevy_ecs::message::MessageReader;
use bevy_ecs::query::Has;
use bevy_ecs::system::{Query, ResMut};

/// Sends each `Outbound` on its channel; a message for a disconnected player is dropped and counted.
/// Runs before the welcomes: an item change of a player not welcomed yet is dropped, because the
/// whole inventory it gets with its `Welcome` already holds it.
pub(super) fn deliver_outbound(
    mut server: ResMut<GameServer>,
    mut outbound: MessageReader<Outbound>,
    sessions: Query<(&Session, Has<AwaitingWelcome>)>,
) {
    for Outbound { player, message } in outbound.read() {
        match sessions.get(*player) {
            Ok((_, true)) if matches!(message, ServerMessage::InventoryChanged(_)) => {}
            Ok((session, _)) => {
                server.send(session.client_id, message);
            }
            Err(_) => {
                metrics::counter!(MESSAGES_DROPPED_TOTAL, "reason" => "player_offline")
                    .increment(1);
            }
        }
    }
}

/// Closes the connections the rules asked to close, telling each client why first.
pub(super) fn carry_out_kicks(
    mut server: ResMut<GameServer>,
    mut kicks: MessageReader<KickRequest>,
    sessions: Query<&Session>,
) {
    for KickRequest { player, reason } in kicks.read() {
        if let Ok(session) = sessions.get(*player) {
            server.kick(session.client_id, reason.clone());
        }
    }
}
