//! Match metrics: how many run, how they end, how many die.

use crate::telemetry::metrics::{KILLS_TOTAL, MATCHES_ACTIVE, MATCHES_COMPLETED_TOTAL};
use arbiter_components::match_events::{MatchCompleted, PlayerKilled};
use arbiter_components::matchmaking::Match;
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::{Local, Query};

/// Sets the gauge only when the count changes: a registry lookup per tick is not free.
pub(super) fn record_matches(
    matches: Query<&Match>,
    mut active: Local<Option<usize>>,
    mut completed: MessageReader<MatchCompleted>,
    mut killed: MessageReader<PlayerKilled>,
) {
    let count = matches.iter().count();
    if *active != Some(count) {
        metrics::gauge!(MATCHES_ACTIVE).set(count as f64);
        *active = Some(count);
    }
    for result in completed.read() {
        let result = if result.winner.is_some() {
            "win"
        } else {
            "draw"
        };
        metrics::counter!(MATCHES_COMPLETED_TOTAL, "result" => result).increment(1);
    }
    for kill in killed.read() {
        let counted = if kill.counted { "true" } else { "false" };
        metrics::counter!(KILLS_TOTAL, "counted" => counted).increment(1);
    }
}
