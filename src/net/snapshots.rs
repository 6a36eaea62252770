//! Snapshots: each connected client receives, at the snapshot rate, the state of the players it can
//! see (its *group*: its match, or itself outside a match) and the last input tick applied for it.
//! States are quantised and encoded against the newest snapshot of the same group the client
//! acknowledged, while the server still keeps it; otherwise in full. One encoding per group and
//! baseline is shared by every client that needs it.

use super::transport::GameServer;
use crate::settings::NetSettings;
use crate::telemetry::metrics::{
    MESSAGES_DROPPED_TOTAL, SNAPSHOT_BYTES_TOTAL, SNAPSHOTS_SENT_TOTAL,
};
use arbiter_components::input::InputBuffer;
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::matchmaking::InMatch;
use arbiter_components::player::{Aim, Health, PlayerId};
use arbiter_components::protocol::{QuantisedState, encode_delta, encode_delta_snapshot};
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::system::{Local, Query, Res, ResMut};
use std::collections::{HashMap, VecDeque};

/// Snapshots of each group kept as possible baselines: half a second at 60 snapshots a second,
/// more than a round trip on any playable link. An older acknowledgement gets a full snapshot.
const HISTORY: usize = 32;

/// Whether a snapshot goes out at `tick` for a snapshot rate of `rate_hz` (0: every tick).
pub fn snapshot_due(tick: u64, rate_hz: u32, tick_rate_hz: u32) -> bool {
    if rate_hz == 0 || rate_hz >= tick_rate_hz {
        return true;
    }
    let (rate, ticks) = (u64::from(rate_hz), u64::from(tick_rate_hz));
    tick * rate / ticks != tick.saturating_sub(1) * rate / ticks
}

/// What a client's next snapshot may be encoded against.
#[derive(Component, Debug, Default)]
pub(super) struct SnapshotBaseline {
    group: Option<Entity>,
    /// First tick sent for `group`: an acknowledgement of an earlier tick is of another group.
    since_tick: u64,
    acked: Option<u64>,
}

impl SnapshotBaseline {
    /// Records the client's acknowledgement of the snapshot of `tick`; a tick from the future (a
    /// lying client) is ignored, an older one changes nothing.
    pub(super) fn acknowledge(&mut self, tick: u64, now: u64) {
        if tick >= self.since_tick && tick <= now {
            self.acked = Some(self.acked.map_or(tick, |acked| acked.max(tick)));
        }
    }
}

/// The recent snapshots of one group, oldest first.
#[derive(Debug, Default)]
struct GroupHistory {
    snapshots: VecDeque<(u64, Vec<QuantisedState>)>,
    /// This tick's states, sorted by player id; empty for a group no longer seen (a match that
    /// ended, a player who joined one), whose history is then dropped.
    current: Vec<QuantisedState>,
}

impl GroupHistory {
    fn baseline(&self, tick: u64) -> Option<&[QuantisedState]> {
        self.snapshots
            .iter()
            .find(|(at, _)| *at == tick)
            .map(|(_, states)| states.as_slice())
    }

    /// Files this tick's states as a baseline, reusing the oldest snapshot's memory.
    fn keep(&mut self, tick: u64) {
        let mut kept = if self.snapshots.len() >= HISTORY {
            self.snapshots
                .pop_front()
                .map(|(_, states)| states)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        kept.clear();
        kept.extend_from_slice(&self.current);
        self.snapshots.push_back((tick, kept));
    }
}

/// Every group's history, and this tick's encodings by group and baseline tick (0: full).
#[derive(Debug, Default)]
pub(super) struct SnapshotMemory {
    groups: HashMap<Entity, GroupHistory>,
    encodings: HashMap<(Entity, u64), Vec<u8>>,
}

type VisiblePlayer<'a> = (
    Entity,
    &'a PlayerId,
    &'a Position,
    &'a Velocity,
    &'a Aim,
    &'a Health,
    Option<&'a InMatch>,
);

fn quantised((_, player, position, velocity, aim, health, _): VisiblePlayer<'_>) -> QuantisedState {
    QuantisedState::of(player, position, velocity, aim, health)
}

/// Sends one snapshot per connected client, within each connection's send budget.
pub(super) fn send_snapshots(
    mut server: ResMut<GameServer>,
    net: Res<NetSettings>,
    rate: Res<TickRate>,
    tick: Res<ServerTick>,
    players: Query<VisiblePlayer<'static>>,
    mut clients: Query<(
        &mut Session,
        &mut SnapshotBaseline,
        &InputBuffer,
        VisiblePlayer<'static>,
    )>,
    mut memory: Local<SnapshotMemory>,
) {
    if !snapshot_due(tick.get(), net.snapshot_rate_hz, rate.hz()) {
        return;
    }
    let tick = tick.get();
    server.connections().snapshot_sent(tick);
    let SnapshotMemory { groups, encodings } = &mut *memory;
    encodings.clear();
    for history in groups.values_mut() {
        history.current.clear();
    }
    for player in &players {
        if let Some(membership) = player.6 {
            groups
                .entry(membership.0)
                .or_default()
                .current
                .push(quantised(player));
        }
    }
    for (_, _, _, own) in &clients {
        if own.6.is_none() {
            groups
                .entry(own.0)
                .or_default()
                .current
                .push(quantised(own));
        }
    }
    groups.retain(|_, history| !history.current.is_empty());
    for history in groups.values_mut() {
        history
            .current
            .sort_unstable_by_key(|state| state.player_id);
    }

    let (mut sent, mut sent_bytes, mut deltas, mut over_budget) = (0u64, 0u64, 0u64, 0u64);
    for (mut session, mut baseline, inputs, own) in &mut clients {
        let group = own.6.map_or(own.0, |membership| membership.0);
        if baseline.group != Some(group) {
            *baseline = SnapshotBaseline {
                group: Some(group),
                since_tick: tick,
                acked: None,
            };
        }
        let Some(history) = groups.get(&group) else {
            continue;
        };
        let base = baseline
            .acked
            .and_then(|acked| history.baseline(acked).map(|states| (acked, states)));
        let delta = encodings
            .entry((group, base.map_or(0, |(at, _)| at)))
            .or_insert_with(|| {
                let mut bytes = Vec::new();
                encode_delta(base.map(|(_, states)| states), &history.current, &mut bytes);
                bytes
            });
        let baseline_age = base.map_or(0, |(at, _)| u32::try_from(tick - at).unwrap_or(0));
        let input_lag = tick.saturating_sub(inputs.last_applied_tick());
        let queued = server.send_unreliable(session.client_id, |out| {
            encode_delta_snapshot(out, tick, baseline_age, input_lag, delta);
        });
        if let Some(len) = queued {
            session.bytes_sent += len as u64;
            sent += 1;
            sent_bytes += len as u64;
            deltas += u64::from(base.is_some());
        } else {
            over_budget += 1;
        }
    }
    metrics::counter!(SNAPSHOTS_SENT_TOTAL, "kind" => "delta").increment(deltas);
    metrics::counter!(SNAPSHOTS_SENT_TOTAL, "kind" => "full").increment(sent - deltas);
    metrics::counter!(SNAPSHOT_BYTES_TOTAL).increment(sent_bytes);
    metrics::counter!(MESSAGES_DROPPED_TOTAL, "reason" => "send_budget").increment(over_budget);
    for history in groups.values_mut() {
        history.keep(tick);
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
