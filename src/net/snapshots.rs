//! Snapshots: each connected client receives, at the snapshot rate, the state of the players it can
//! see (its match, or itself outside a match) and the last input tick applied for it.

use super::transport::GameServer;
use crate::settings::NetSettings;
use crate::telemetry::metrics::MESSAGES_DROPPED_TOTAL;
use arbiter_components::input::InputBuffer;
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::matchmaking::InMatch;
use arbiter_components::player::{Aim, Health, PlayerId};
use arbiter_components::protocol::{EntityState, ServerChannel, ServerMessage, encode};
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::system::{Local, Query, Res, ResMut};
use std::collections::HashMap;

/// Whether a snapshot goes out at `tick` for a snapshot rate of `rate_hz` (0: every tick).
pub fn snapshot_due(tick: u64, rate_hz: u32, tick_rate_hz: u32) -> bool {
    if rate_hz == 0 || rate_hz >= tick_rate_hz {
        return true;
    }
    let (rate, ticks) = (u64::from(rate_hz), u64::from(tick_rate_hz));
    tick * rate / ticks != tick.saturating_sub(1) * rate / ticks
}

type VisiblePlayer<'a> = (
    &'a PlayerId,
    &'a Position,
    &'a Velocity,
    &'a Aim,
    &'a Health,
    Option<&'a InMatch>,
);

fn entity_state((player, position, velocity, aim, health, _): VisiblePlayer<'_>) -> EntityState {
    EntityState {
        player_id: player.0,
        position: position.0.to_array(),
        velocity: velocity.0.to_array(),
        yaw: aim.yaw,
        pitch: aim.pitch,
        health: health.0,
        alive: health.is_alive(),
    }
}

/// Sends one snapshot per connected client, within each connection's send budget.
pub(super) fn send_snapshots(
    mut server: ResMut<GameServer>,
    net: Res<NetSettings>,
    rate: Res<TickRate>,
    tick: Res<ServerTick>,
    players: Query<VisiblePlayer<'static>>,
    mut clients: Query<(&mut Session, &InputBuffer, VisiblePlayer<'static>)>,
    mut matches: Local<HashMap<Entity, Vec<EntityState>>>,
) {
    if !snapshot_due(tick.get(), net.snapshot_rate_hz, rate.hz()) {
        return;
    }
    matches.values_mut().for_each(Vec::clear);
    for player in &players {
        if let Some(membership) = player.5 {
            matches
                .entry(membership.0)
                .or_default()
                .push(entity_state(player));
        }
    }
    for (mut session, inputs, own) in &mut clients {
        let entities = match own.5.and_then(|membership| matches.get(&membership.0)) {
            Some(members) => members.clone(),
            None => vec![entity_state(own)],
        };
        let snapshot = ServerMessage::Snapshot {
            tick: tick.get(),
            ack_input_tick: inputs.last_applied_tick(),
            entities,
        };
        let bytes = encode(&snapshot);
        let len = bytes.len();
        if server
            .renet()
            .can_send_message(session.client_id, ServerChannel::Snapshot, len)
        {
            server
                .renet()
                .send_message(session.client_id, ServerChannel::Snapshot, bytes);
            session.bytes_sent += len as u64;
        } else {
            metrics::counter!(MESSAGES_DROPPED_TOTAL, "reason" => "send_budget").increment(1);
        }
    }
}

/// Encrypts and sends everything queued this tick.
pub(super) fn send_packets(mut server: ResMut<GameServer>) {
    server.send_packets();
}

#[cfg(test)]
mod tests {
    use super::snapshot_due;

    #[test]
    fn snapshot_rate_spreads_snapshots_evenly_over_ticks() {
        let due_at_20_of_60 = (1..=60).filter(|tick| snapshot_due(*tick, 20, 60)).count();
        assert_eq!(due_at_20_of_60, 20);
        assert!((1..=60).all(|tick| snapshot_due(tick, 0, 60)));
        assert!((1..=60).all(|tick| snapshot_due(tick, 120, 60)));
    }
}
