//! A matchmaker that stands by (another one leads the fleet) admits no new clients: it denies their
//! connection requests, and clients whose tokens name every matchmaker go on to the next address,
//! until the leader takes them. Should it find another leading while players are in its lobby (it
//! was paused or cut off past its lease), it sends them on the same way: a `Redirect` to the lobby's
//! addresses, which this one denies. When its standing is unknown (Redis does not answer) it keeps
//! admitting: the lobby stays up, only placements wait.

use super::bridge::FleetLink;
use super::fallback::Fallbacks;
use super::handoff::PendingHandoffs;
use super::leader::Standing;
use super::lobby_fallback::InLobby;
use crate::net::{GameServer, TokenPass};
use arbiter_components::player::PlayerId;
use bevy_ecs::entity::Entity;
use bevy_ecs::system::{Local, Query, Res, ResMut};

/// Admits clients unless another matchmaker leads; sends the lobby on when this one stops leading.
pub fn admit_unless_following(
    link: Res<FleetLink>,
    mut server: ResMut<GameServer>,
    mut was_following: Local<bool>,
    lobby: Query<(Entity, &PlayerId), InLobby>,
    fallbacks: Fallbacks,
    mut handoffs: ResMut<PendingHandoffs>,
) {
    let following = link.standing() == Standing::Following;
    if following == *was_following {
        return;
    }
    *was_following = following;
    server.set_admitting(!following);
    if !following || lobby.is_empty() {
        return;
    }
    let addresses = fallbacks.lobby();
    let own = fallbacks.own_addresses();
    if addresses.iter().all(|address| own.contains(address)) {
        tracing::warn!(
            "another matchmaker leads, and fleet.lobby_addresses names no other: this lobby's players stay"
        );
        return;
    }
    let mut sent = 0_usize;
    for (player, id) in &lobby {
        if let Some(redirect) = fallbacks.redirect_to_lobby(id.0, TokenPass::Lobby) {
            handoffs.push(player, redirect);
            sent += 1;
        }
    }
    tracing::warn!(
        players = sent,
        "another matchmaker leads: this lobby's players are sent to it"
    );
}
