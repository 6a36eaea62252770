//! Matchmaking metrics, from the facts the rules report.

use crate::telemetry::metrics::{
    MATCH_RATING_SPAN, MATCH_TICKET_SEATS, MATCHES_FORMED_TOTAL, PARTIES, PARTY_TICKETS_WAITING,
    QUEUE_TIMEOUTS_TOTAL, QUEUE_WAIT_SECONDS, TICKETS_WAITING,
};
use arbiter_components::tick::TickRate;
use arbiter_systems::matchmaking::{MatchFormed, MatchmakingQueue, TicketTimedOut};
use arbiter_systems::party::PartyDirectory;
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::{Local, Res};

/// Gauges set only on change: a registry lookup per tick is not free.
#[derive(Debug, Default)]
pub(super) struct LastSet {
    waiting: Option<usize>,
    parties_waiting: Option<usize>,
    parties: Option<usize>,
}

fn set_on_change(last: &mut Option<usize>, now: usize, gauge: &'static str) {
    if *last != Some(now) {
        metrics::gauge!(gauge).set(now as f64);
        *last = Some(now);
    }
}

pub(super) fn record_matchmaking(
    queue: Res<MatchmakingQueue>,
    parties: Option<Res<PartyDirectory>>,
    mut last: Local<LastSet>,
    rate: Res<TickRate>,
    mut formed: MessageReader<MatchFormed>,
    mut timed_out: MessageReader<TicketTimedOut>,
) {
    let seconds_per_tick = 1.0 / f64::from(rate.hz());
    set_on_change(&mut last.waiting, queue.waiting(), TICKETS_WAITING);
    set_on_change(
        &mut last.parties_waiting,
        queue.parties_waiting(),
        PARTY_TICKETS_WAITING,
    );
    if let Some(parties) = parties {
        set_on_change(&mut last.parties, parties.len(), PARTIES);
    }
    let waits = metrics::histogram!(QUEUE_WAIT_SECONDS);
    for formed in formed.read() {
        metrics::counter!(MATCHES_FORMED_TOTAL).increment(1);
        metrics::histogram!(MATCH_RATING_SPAN).record(f64::from(formed.rating_span));
        for wait in &formed.waits_ticks {
            waits.record(*wait as f64 * seconds_per_tick);
        }
        for seats in &formed.ticket_seats {
            metrics::histogram!(MATCH_TICKET_SEATS).record(f64::from(*seats));
        }
    }
    for expired in timed_out.read() {
        metrics::counter!(QUEUE_TIMEOUTS_TOTAL).increment(1);
        waits.record(expired.wait_ticks as f64 * seconds_per_tick);
    }
}
