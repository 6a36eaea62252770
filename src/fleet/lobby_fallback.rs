//! Every player in the lobby of a fleet with several matchmakers (`fleet.lobby_addresses`) holds a
//! way to the others: a plain `Fallback` token naming every lobby address, renewed well before it
//! expires. Should this matchmaker die, its players' connections time out and they connect with
//! that token: the dead one does not answer, a standing-by one denies them, and they reach the one
//! that leads.

use super::fallback::Fallbacks;
use crate::net::{AwaitingWelcome, TokenPass};
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::ServerMessage;
use arbiter_components::session::{HandedOff, Session};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::lifecycle::RemovedComponents;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::query::{With, Without};
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Commands, Query, ResMut};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long a lobby fallback token is valid; it is renewed at half its life.
const LIFETIME: Duration = Duration::from_secs(3600);

/// When each lobby player's fallback is due for renewal, oldest first (all live equally long, so
/// the order of sending is the order of renewal).
#[derive(Resource, Debug, Default)]
pub struct LobbyFallbacks {
    due: VecDeque<(Instant, Entity)>,
}

/// On a lobby player: when its fallback is renewed. An entry of [`LobbyFallbacks`] for another
/// instant is stale (the player was welcomed again since, and has a newer entry).
#[derive(Component, Debug, Clone, Copy)]
#[component(storage = "SparseSet")]
pub struct FallbackRenewal(Instant);

/// A player in this lobby: connected, not on its way to another server.
pub type InLobby = (With<Session>, Without<HandedOff>);

/// Gives each newly welcomed player its fallback, and renews the ones due.
pub fn give_lobby_fallbacks(
    mut commands: Commands,
    mut welcomed: RemovedComponents<AwaitingWelcome>,
    mut fallbacks_due: ResMut<LobbyFallbacks>,
    players: Query<(&PlayerId, Option<&FallbackRenewal>), InLobby>,
    fallbacks: Fallbacks,
    mut outbound: MessageWriter<Outbound>,
) {
    if fallbacks.settings().lobby_addresses.is_empty() {
        welcomed.clear();
        return;
    }
    let now = Instant::now();
    let mut give: Vec<Entity> = welcomed.read().collect();
    while let Some(&(due, player)) = fallbacks_due.due.front() {
        if due > now {
            break;
        }
        fallbacks_due.due.pop_front();
        let current = players
            .get(player)
            .is_ok_and(|(_, renewal)| renewal.is_some_and(|renewal| renewal.0 == due));
        if current {
            give.push(player);
        }
    }
    for player in give {
        let Ok((id, _)) = players.get(player) else {
            continue;
        };
        let lobby = fallbacks.lobby();
        let Some(token) = fallbacks.lobby_token(id.0, lobby, TokenPass::Lobby, LIFETIME.as_secs())
        else {
            continue;
        };
        outbound.write(Outbound {
            player,
            message: ServerMessage::Fallback { token },
        });
        let renew_at = now + LIFETIME / 2;
        commands
            .entity(player)
            .try_insert(FallbackRenewal(renew_at));
        fallbacks_due.due.push_back((renew_at, player));
    }
}
