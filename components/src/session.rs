//! A player's network connection, while there is one.

use bevy_ecs::component::Component;
use std::net::SocketAddr;

/// The live connection of a player entity. Removed on disconnect; the entity stays for the
/// reconnect grace period with [`AwaitingReconnect`].
#[derive(Component, Debug, Clone, PartialEq)]
pub struct Session {
    /// The transport's id for this connection (changes on every reconnect).
    pub client_id: u64,
    pub addr: SocketAddr,
    pub connected_at_tick: u64,
    /// Round-trip time as the transport measures it, in milliseconds: from the acks of what the
    /// server sent, so it reads high while the client sends little (an idle lobby acknowledges a
    /// pong with its next ping) and true again within a fraction of a second of play.
    pub rtt_ms: f32,
    /// Snapshot bytes queued to this client since it connected.
    pub bytes_sent: u64,
}

/// A player whose connection dropped; despawned if it does not come back within the grace period.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct AwaitingReconnect {
    pub since_tick: u64,
}

/// On a player this server sent to another server of its fleet (a `Redirect`): from then on this
/// server neither reads what the client sends nor writes for the player, and forgets it as soon as
/// it disconnects — the other server owns its progress now.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[component(storage = "SparseSet")]
pub struct HandedOff;
