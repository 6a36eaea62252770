//! Connections become player entities: new players spawn, returning players resume their entity
//! (same match, same team), a second connection of the same player replaces the first, and a player
//! who does not come back within the grace period is despawned.

use super::abuse::Abuse;
use super::snapshots::SnapshotBaseline;
use super::transport::GameServer;
use crate::settings::NetSettings;
use crate::telemetry::metrics::{CONNECTED_CLIENTS, CONNECTIONS_TOTAL, WELCOMES_TOTAL};
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::player::{Loading, PlayerId};
use arbiter_components::protocol::{InventoryView, KickReason, ServerMessage};
use arbiter_components::session::{AwaitingReconnect, HandedOff, Session};
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::query::{Has, With, Without};
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Commands, Query, Res, ResMut};
use foldhash::fast::RandomState;
use renet::ServerEvent;
use std::collections::HashMap;

/// Who is who: transport client id → player entity, player id → player entity. Looked up for
/// every client heard on every tick, so hashed with foldhash (the keys come from tokens the
/// server signed, not from a stranger choosing collisions).
#[derive(Resource, Debug, Default)]
pub struct Sessions {
    by_client: HashMap<u64, Entity, RandomState>,
    by_player: HashMap<PlayerId, Entity, RandomState>,
}

impl Sessions {
    pub fn entity_of_client(&self, client_id: u64) -> Option<Entity> {
        self.by_client.get(&client_id).copied()
    }

    pub fn entity_of_player(&self, player: PlayerId) -> Option<Entity> {
        self.by_player.get(&player).copied()
    }

    /// Clients connected now.
    pub fn connected(&self) -> usize {
        self.by_client.len()
    }
}

/// Turns the transport's connect and disconnect events into player entities and sessions.
pub(super) fn track_connections(
    mut commands: Commands,
    mut server: ResMut<GameServer>,
    mut sessions: ResMut<Sessions>,
    tick: Res<ServerTick>,
    live: Query<&Session>,
    handed_off: Query<(), With<HandedOff>>,
) {
    while let Some(event) = server.connections().get_event() {
        match event {
            ServerEvent::ClientConnected { client_id } => {
                let (Some(player_id), Some(addr)) =
                    (server.player_id(client_id), server.client_addr(client_id))
                else {
                    server.connections().disconnect(client_id);
                    continue;
                };
                let player = PlayerId(player_id);
                let session = Session {
                    client_id,
                    addr,
                    connected_at_tick: tick.get(),
                    rtt_ms: 0.0,
                    bytes_sent: 0,
                };
                let stale = sessions
                    .entity_of_player(player)
                    .filter(|entity| handed_off.contains(*entity));
                if let Some(stale) = stale {
                    // Back from another server of the fleet, which owned the player meanwhile:
                    // what this server still holds of it is stale; it is loaded afresh.
                    if let Ok(older) = live.get(stale) {
                        server.kick(older.client_id, KickReason::LoggedInElsewhere);
                        sessions.by_client.remove(&older.client_id);
                    }
                    sessions.by_player.remove(&player);
                    commands.entity(stale).despawn();
                }
                let (entity, result) = match sessions.entity_of_player(player) {
                    Some(entity) => {
                        let result = match live.get(entity) {
                            Ok(older) => {
                                server.kick(older.client_id, KickReason::LoggedInElsewhere);
                                sessions.by_client.remove(&older.client_id);
                                "replaced"
                            }
                            Err(_) => "resumed",
                        };
                        commands
                            .entity(entity)
                            .insert((
                                session,
                                Abuse::default(),
                                SnapshotBaseline::default(),
                                AwaitingWelcome,
                            ))
                            .remove::<AwaitingReconnect>();
                        (entity, result)
                    }
                    None => {
                        let entity = commands
                            .spawn((
                                player,
                                session,
                                Abuse::default(),
                                SnapshotBaseline::default(),
                                AwaitingWelcome,
                            ))
                            .id();
                        sessions.by_player.insert(player, entity);
                        (entity, "new")
                    }
                };
                sessions.by_client.insert(client_id, entity);
                metrics::counter!(CONNECTIONS_TOTAL, "result" => result).increment(1);
                tracing::info!(client_id, player_id, %addr, result, "client connected");
            }
            ServerEvent::ClientDisconnected { client_id, reason } => {
                let Some(entity) = sessions.by_client.remove(&client_id) else {
                    continue;
                };
                tracing::info!(client_id, %reason, "client disconnected");
                commands
                    .entity(entity)
                    .remove::<(Session, Abuse, SnapshotBaseline)>()
                    .insert(AwaitingReconnect {
                        since_tick: tick.get(),
                    });
            }
        }
    }
    metrics::gauge!(CONNECTED_CLIENTS).set(sessions.connected() as f64);
}

/// On a connected player not yet welcomed: `Welcome` waits until its progress has loaded, so a
/// client may queue as soon as it is welcomed.
#[derive(Component, Debug, Clone, Copy, Default)]
#[component(storage = "SparseSet")]
pub struct AwaitingWelcome;

/// Connected, not welcomed yet, nothing left to load.
type ReadyToWelcome = (With<AwaitingWelcome>, Without<Loading>);

/// Welcomes connected players whose progress is ready (at once when nothing loads it), then sends
/// their whole inventory and wallet when the economy is installed.
pub(super) fn send_welcomes(
    mut commands: Commands,
    mut server: ResMut<GameServer>,
    tick: Res<ServerTick>,
    rate: Res<TickRate>,
    economy: Option<Res<EconomySettings>>,
    ready: Query<(Entity, &Session, &PlayerId, Option<Owned>), ReadyToWelcome>,
) {
    let mut welcomed = 0;
    for (entity, session, player, owned) in &ready {
        welcomed += 1;
        server.send(
            session.client_id,
            &ServerMessage::Welcome {
                player_id: player.0,
                server_tick: tick.get(),
                tick_rate_hz: rate.hz(),
            },
        );
        if let (Some((inventory, wallet)), Some(economy)) = (owned, &economy) {
            let view = InventoryView::new(inventory, wallet, economy.inventory_capacity);
            server.send(session.client_id, &ServerMessage::Inventory(Box::new(view)));
        }
        commands.entity(entity).remove::<AwaitingWelcome>();
    }
    if welcomed > 0 {
        metrics::counter!(WELCOMES_TOTAL).increment(welcomed);
    }
}

/// What a player owns, sent whole after `Welcome`.
type Owned<'a> = (&'a Inventory, &'a Wallet);

/// Keeps a disconnected player in the world after its reconnect grace period is over, and a
/// reconnect still resumes it. Persistence puts it on players whose progress is not durable yet.
/// Read only in [`NetSystems::Expire`](super::NetSystems::Expire), so a plugin that blocks despawns
/// keeps it up to date on disconnected players before that step.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct DespawnBlocker;

/// Despawns players whose reconnect grace period has run out, unless a [`DespawnBlocker`] keeps
/// them.
pub(super) fn expire_disconnected_players(
    mut commands: Commands,
    mut sessions: ResMut<Sessions>,
    tick: Res<ServerTick>,
    net: Res<NetSettings>,
    rate: Res<TickRate>,
    waiting: Query<
        (Entity, &PlayerId, &AwaitingReconnect, Has<HandedOff>),
        Without<DespawnBlocker>,
    >,
) {
    let grace_ticks = rate.ticks_in_secs(net.reconnect_grace_secs);
    for (entity, player, awaiting, handed_off) in &waiting {
        // A player handed to another server of the fleet is not waited for: it lives there now.
        let grace = if handed_off { 0 } else { grace_ticks };
        if tick.get().saturating_sub(awaiting.since_tick) >= grace {
            tracing::info!(
                player_id = player.0,
                "reconnect grace period over; player removed"
            );
            sessions.by_player.remove(player);
            commands.entity(entity).despawn();
        }
    }
}
