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
use arbiter_client::tick_ring::TickRing;
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
use std::collections::HashMap;

/// Ticks of each group's snapshots kept as possible baselines: half a second at 60 Hz, more than a
/// round trip on any playable link. An older acknowledgement gets a full snapshot. Counted in ticks
/// as the client counts its own (twice this), so a baseline chosen here is one the client keeps
/// whatever the snapshot rate.
const HISTORY: u64 = 32;

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

/// The recent snapshots of one group, by tick.
#[derive(Debug)]
struct GroupHistory {
    snapshots: TickRing<Vec<QuantisedState>>,
    /// This tick's states, sorted by player id; empty between snapshots ([`GroupHistory::keep`]
    /// leaves it so) and for a group no longer seen (a match that ended, a player who joined
    /// one), whose history is then dropped.
    current: Vec<QuantisedState>,
}

impl Default for GroupHistory {
    fn default() -> Self {
        Self {
            snapshots: TickRing::new(HISTORY),
            current: Vec::new(),
        }
    }
}

impl GroupHistory {
    fn baseline(&self, tick: u64) -> Option<&[QuantisedState]> {
        self.snapshots.get(tick).map(Vec::as_slice)
    }

    /// Files this tick's states as a baseline. What their slot held, the snapshot a history older,
    /// becomes the next snapshot's `current`: states are not copied, and once every slot has been
    /// used no memory is allocated or freed.
    fn keep(&mut self, tick: u64) {
        let states = std::mem::take(&mut self.current);
        self.current = self.snapshots.insert(tick, states);
        self.current.clear();
    }
}

/// Every group's history, and this tick's encodings by group and baseline tick (0: full).
#[derive(Debug, Default)]
pub(super) struct SnapshotMemory {
    groups: HashMap<Entity, GroupHistory>,
    encodings: HashMap<(Entity, u64), Vec<u8>>,
    /// Last tick's encodings, emptied: this tick's are written into their memory. As many as the
    /// busiest tick needed, at most.
    spare_encodings: Vec<Vec<u8>>,
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
    let SnapshotMemory {
        groups,
        encodings,
        spare_encodings,
    } = &mut *memory;
    spare_encodings.extend(encodings.drain().map(|(_, mut bytes)| {
        bytes.clear();
        bytes
    }));
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
                let mut bytes = spare_encodings.pop().unwrap_or_default();
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
    use super::{GroupHistory, QuantisedState, snapshot_due};

    #[test]
    fn a_group_keeps_its_snapshots_of_the_last_32_ticks_as_baselines_and_reuses_their_memory() {
        let mut history = GroupHistory::default();
        let state = |tick: u64| QuantisedState {
            player_id: tick,
            ..QuantisedState::default()
        };
        // Snapshots every third tick, as at 20 snapshots a second on a 60 Hz tick.
        for tick in (3..=99).step_by(3) {
            history.current.push(state(tick));
            history.keep(tick);
        }
        assert_eq!(history.baseline(99), Some(&[state(99)][..]));
        assert_eq!(history.baseline(99 - 30), Some(&[state(69)][..]));
        assert_eq!(history.baseline(98), None, "no snapshot went out at 98");
        assert_eq!(history.baseline(99 - 33), None, "more than 32 ticks old");
        assert!(
            history.current.capacity() > 0,
            "the next snapshot is written into the memory of one a history older"
        );
    }

    #[test]
    fn snapshot_rate_spreads_snapshots_evenly_over_ticks() {
        let due_at_20_of_60 = (1..=60).filter(|tick| snapshot_due(*tick, 20, 60)).count();
        assert_eq!(due_at_20_of_60, 20);
        assert!((1..=60).all(|tick| snapshot_due(tick, 0, 60)));
        assert!((1..=60).all(|tick| snapshot_due(tick, 120, 60)));
    }
}
