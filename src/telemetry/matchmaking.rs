//! Matchmaking metrics, from the facts the rules report.

use crate::telemetry::metrics::{
    MATCH_RATING_SPAN, MATCHES_FORMED_TOTAL, QUEUE_TIMEOUTS_TOTAL, QUEUE_WAIT_SECONDS,
    TICKETS_WAITING,
};
use arbiter_components::tick::TickRate;
use arbiter_systems::matchmaking::{MatchFormed, MatchmakingQueue, TicketTimedOut};
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::{Local, Res};

pub(super) fn record_matchmaking(
    queue: Res<MatchmakingQueue>,
    mut waiting: Local<Option<usize>>,
    rate: Res<TickRate>,
    mut formed: MessageReader<MatchFormed>,
    mut timed_out: MessageReader<TicketTimedOut>,
) {
    let seconds_per_tick = 1.0 / f64::from(rate.hz());
    // Set only on change: a registry lookup per tick is not free.
    if *waiting != Some(queue.waiting()) {
        metrics::gauge!(TICKETS_WAITING).set(queue.waiting() as f64);
        *waiting = Some(queue.waiting());
    }
    let waits = metrics::histogram!(QUEUE_WAIT_SECONDS);
    for formed in formed.read() {
        metrics::counter!(MATCHES_FORMED_TOTAL).increment(1);
        metrics::histogram!(MATCH_RATING_SPAN).record(f64::from(formed.rating_span));
        for wait in &formed.waits_ticks {
            waits.record(*wait as f64 * seconds_per_tick);
        }
    }
    for expired in timed_out.read() {
        metrics::counter!(QUEUE_TIMEOUTS_TOTAL).increment(1);
        waits.record(expired.wait_ticks as f64 * seconds_per_tick);
    }
}
