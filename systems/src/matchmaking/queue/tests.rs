use super::*;
use crate::matchmaking::teams::{TeamUnit, balance_teams, team_sizes};
use proptest::prelude::*;
use std::collections::HashSet;

const PARAMS: QueueParams = QueueParams {
    bucket_width: 100,
    match_size: 10,
    expand_every_ticks: 300,
    max_radius: 10,
    timeout_ticks: 3600,
    target_wait_ticks: 0,
};

fn ticket(id: u32, rating: i32, tick: u64) -> QueuedTicket {
    QueuedTicket {
        ticket: Entity::from_raw_u32(id).expect("valid index"),
        mode: 0,
        rating,
        seats: 1,
        enqueued_tick: tick,
    }
}

#[test]
fn buckets_are_rating_divided_by_width_rounding_down() {
    let queue = MatchmakingQueue::new(PARAMS);
    assert_eq!(queue.bucket_of(1549), 15);
    assert_eq!(queue.bucket_of(1500), 15);
    assert_eq!(queue.bucket_of(99), 0);
    assert_eq!(queue.bucket_of(-1), -1);
}

#[test]
fn ten_tickets_in_one_bucket_match_at_once() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    for id in 1..=10 {
        queue.enqueue(ticket(id, 1500 + id as i32, 1));
    }
    let outcome = queue.run_tick(1);
    assert_eq!(outcome.matches.len(), 1);
    assert_eq!(outcome.matches[0].tickets.len(), 10);
    assert_eq!(queue.waiting(), 0);
}

#[test]
fn the_radius_grows_one_bucket_per_interval_up_to_the_maximum() {
    let params = QueueParams {
        max_radius: 2,
        ..PARAMS
    };
    let mut queue = MatchmakingQueue::new(params);
    let lonely = queue.enqueue(ticket(1, 2000, 1));
    let radius_at = |queue: &mut MatchmakingQueue, tick| {
        queue.run_tick(tick);
        queue.radius_of(lonely)
    };
    assert_eq!(radius_at(&mut queue, 300), Some(0));
    assert_eq!(radius_at(&mut queue, 301), Some(1));
    assert_eq!(radius_at(&mut queue, 600), Some(1));
    assert_eq!(radius_at(&mut queue, 601), Some(2));
    assert_eq!(radius_at(&mut queue, 2000), Some(2), "capped at max_radius");
}

#[test]
fn a_long_waiting_ticket_does_not_pull_in_fresh_far_rated_players() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    let veteran = queue.enqueue(ticket(1, 2400, 1));
    // After 10 intervals the veteran accepts anyone within 10 buckets, 1500 included.
    queue.run_tick(1 + 10 * 300);
    assert_eq!(queue.radius_of(veteran), Some(10));
    for id in 2..=10 {
        queue.enqueue(ticket(id, 1500, 3001));
    }
    let outcome = queue.run_tick(3001);
    assert!(
        outcome.matches.is_empty(),
        "fresh 1500s (radius 0) refuse a 2400 lobby"
    );
    assert_eq!(queue.waiting(), 10);
}

#[test]
fn tickets_that_all_accept_the_span_do_match_across_buckets() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    for id in 1..=5 {
        queue.enqueue(ticket(id, 1500, 1));
        queue.enqueue(ticket(id + 5, 1650, 1));
    }
    assert!(
        queue.run_tick(300).matches.is_empty(),
        "15 and 16 are one bucket apart; radius still 0"
    );
    let outcome = queue.run_tick(301);
    assert_eq!(
        outcome.matches.len(),
        1,
        "radius 1 for all: they accept each other"
    );
}

#[test]
fn the_oldest_tickets_are_matched_first() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    // Fifteen arrivals before the matcher runs; ticks say who waited longest.
    for id in 1..=15 {
        queue.enqueue(ticket(id, 1500, u64::from(id)));
    }
    let outcome = queue.run_tick(15);
    let matched: HashSet<u64> = outcome.matches[0]
        .tickets
        .iter()
        .map(|ticket| ticket.enqueued_tick)
        .collect();
    assert_eq!(matched, (1..=10).collect());
}

#[test]
fn older_tickets_in_a_neighbouring_bucket_beat_younger_ones_in_the_same_bucket() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    // Five veterans one bucket up, ten newcomers here; everyone has radius 1 by tick 400...
    for id in 1..=5 {
        queue.enqueue(ticket(id, 1600, 1));
    }
    for id in 6..=14 {
        queue.enqueue(ticket(id, 1500, 50));
    }
    assert!(
        queue.run_tick(349).matches.is_empty(),
        "14 tickets but at most 9 in any one bucket"
    );
    let outcome = queue.run_tick(350);
    assert_eq!(outcome.matches.len(), 1);
    let veterans = outcome.matches[0]
        .tickets
        .iter()
        .filter(|ticket| ticket.rating == 1600)
        .count();
    assert_eq!(
        veterans, 5,
        "all five veterans are in, five of the younger ones wait"
    );
}

#[test]
fn a_ticket_times_out_after_the_timeout_and_not_before() {
    let params = QueueParams {
        timeout_ticks: 100,
        ..PARAMS
    };
    let mut queue = MatchmakingQueue::new(params);
    queue.enqueue(ticket(1, 1500, 10));
    assert!(queue.run_tick(109).timed_out.is_empty());
    let outcome = queue.run_tick(110);
    assert_eq!(outcome.timed_out, vec![ticket(1, 1500, 10)]);
    assert_eq!(queue.waiting(), 0);
}

#[test]
fn a_removed_ticket_is_never_matched() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    let handles: Vec<TicketHandle> = (1..=10)
        .map(|id| queue.enqueue(ticket(id, 1500, 1)))
        .collect();
    assert!(queue.remove(handles[2]));
    assert!(
        !queue.remove(handles[2]),
        "a handle removes its ticket once"
    );
    assert!(!queue.contains(handles[2]));
    assert!(queue.run_tick(1).matches.is_empty());
    queue.enqueue(ticket(11, 1500, 2));
    let outcome = queue.run_tick(2);
    assert!(
        outcome.matches[0]
            .tickets
            .iter()
            .all(|ticket| ticket.ticket != ticket_entity(3))
    );
}

/// A stale handle (its slot freed and reused) does not remove the slot's new ticket.
#[test]
fn a_stale_handle_cannot_remove_a_newer_ticket() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    let old = queue.enqueue(ticket(1, 1500, 1));
    assert!(queue.remove(old));
    let new = queue.enqueue(ticket(2, 1500, 1));
    assert!(!queue.remove(old));
    assert!(queue.contains(new));
    assert_eq!(queue.waiting(), 1);
}

#[test]
fn a_ticket_with_few_players_around_its_rating_widens_faster_than_one_in_a_crowd() {
    let target_wait = QueueParams {
        target_wait_ticks: 600,
        ..PARAMS
    };
    // Sixty players around 1500 within one target wait: the crowd fills a match without widening.
    let mut queue = MatchmakingQueue::new(target_wait);
    for id in 1..=60 {
        queue.enqueue(ticket(id, 1500, u64::from(id) * 10));
        queue.run_tick(u64::from(id) * 10);
    }
    assert_eq!(queue.waiting(), 0);
    let in_crowd = queue.enqueue(ticket(100, 1500, 700));
    let alone = queue.enqueue(ticket(101, 3500, 700));
    queue.run_tick(1000);
    assert_eq!(queue.radius_of(in_crowd), Some(1));
    // Nobody around 3500: the whole radius within the target wait (two intervals), 5 per interval.
    assert_eq!(queue.radius_of(alone), Some(5));
    assert_eq!(queue.widening_speed(0, queue.bucket_of(3500)), 5);
}

fn ticket_entity(id: u32) -> Entity {
    ticket(id, 0, 0).ticket
}

#[test]
fn a_ticket_back_from_a_match_that_did_not_happen_keeps_its_age_and_radius() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    let stayed = queue.enqueue(ticket(1, 2000, 100));
    let younger = queue.enqueue(ticket(2, 2000, 500));
    queue.run_tick(1000);
    // Back at tick 1000 after waiting 700 ticks before its match was formed: as old as ticket 1.
    let back = queue.enqueue_having_waited(ticket(3, 2000, 1000), 900);
    assert_eq!(queue.radius_of(back), queue.radius_of(stayed));
    assert_eq!(queue.radius_of(back), Some(3));
    queue.run_tick(1001);
    let order: Vec<u64> = queue
        .waiting_tickets()
        .map(|(ticket, _)| ticket.enqueued_tick)
        .collect();
    assert_eq!(order, [100, 100, 500], "oldest first");
    assert!(queue.contains(younger));
}

#[test]
fn a_returning_ticket_keeps_one_expansion_interval_before_its_timeout() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    queue.run_tick(5000);
    let long = queue.enqueue_having_waited(ticket(1, 900, 5000), 10_000);
    let credited = queue
        .waiting_tickets()
        .map(|(ticket, _)| 5000 - ticket.enqueued_tick)
        .next();
    assert_eq!(
        credited,
        Some(PARAMS.timeout_ticks - PARAMS.expand_every_ticks)
    );
    let outcome = queue.run_tick(5000 + PARAMS.expand_every_ticks - 1);
    assert!(outcome.timed_out.is_empty(), "not timed out on return");
    assert!(queue.contains(long));
    let outcome = queue.run_tick(5000 + PARAMS.expand_every_ticks);
    assert_eq!(outcome.timed_out.len(), 1);
}

#[test]
fn new_settings_apply_to_waiting_tickets() {
    let mut queue = MatchmakingQueue::new(PARAMS);
    for id in 1..=4 {
        queue.enqueue(ticket(id, 1500, 1));
    }
    assert!(queue.run_tick(1).matches.is_empty());
    queue.set_params(QueueParams {
        match_size: 4,
        ..PARAMS
    });
    assert_eq!(queue.run_tick(2).matches.len(), 1);
}

/// What a ticket's radius must be at `now`: the intervals it waited times its bucket's speed, up
/// to the maximum.
fn expected_radius(queue: &MatchmakingQueue, ticket: &QueuedTicket, now: u64) -> u32 {
    let params = queue.params();
    let speed = queue.widening_speed(ticket.mode, queue.bucket_of(ticket.rating));
    let intervals = now.saturating_sub(ticket.enqueued_tick) / params.expand_every_ticks;
    (intervals * u64::from(speed)).min(u64::from(params.max_radius)) as u32
}

/// Whether some waiting tickets of one mode would all accept each other and fill both teams
/// exactly with every party whole.
fn a_match_is_possible(queue: &MatchmakingQueue, now: u64) -> bool {
    let params = queue.params();
    let waiting: Vec<(u16, i32, u32, u32)> = queue
        .waiting_tickets()
        .map(|(ticket, _)| {
            (
                ticket.mode,
                queue.bucket_of(ticket.rating),
                expected_radius(queue, &ticket, now),
                ticket.seats,
            )
        })
        .collect();
    let buckets: HashSet<(u16, i32)> = waiting
        .iter()
        .map(|&(mode, bucket, ..)| (mode, bucket))
        .collect();
    buckets.iter().any(|&(mode, lo)| {
        buckets.iter().any(|&(other_mode, hi)| {
            if other_mode != mode || hi < lo {
                return false;
            }
            let seats: Vec<u32> = waiting
                .iter()
                .filter(|&&(m, bucket, radius, _)| {
                    m == mode
                        && (lo..=hi).contains(&bucket)
                        && (bucket - lo).max(hi - bucket) as u32 <= radius
                })
                .map(|&(.., seats)| seats)
                .collect();
            teams_can_be_filled(&seats, params.match_size)
        })
    })
}

/// Every way to seat the tickets one by one (team 0, team 1 or not at all), as the set of
/// (team 0, team 1) counts reached: can some reach both teams full?
fn teams_can_be_filled(seats: &[u32], match_size: u32) -> bool {
    let full = (match_size.div_ceil(2), match_size / 2);
    let mut reached: HashSet<(u32, u32)> = HashSet::from([(0, 0)]);
    for &size in seats {
        let next: Vec<(u32, u32)> = reached
            .iter()
            .flat_map(|&(zero, one)| [(zero + size, one), (zero, one + size)])
            .filter(|&(zero, one)| zero <= full.0 && one <= full.1)
            .collect();
        reached.extend(next);
    }
    reached.contains(&full)
}

/// Players on a new ticket: mostly solo, otherwise a party as large as a team allows.
fn seats_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![7 => Just(1u32), 3 => 2u32..6]
}

#[derive(Debug, Clone)]
struct Step {
    /// Rating, mode, seats, and the ticks a returning ticket already waited (mostly 0: new).
    arrivals: Vec<(i32, u16, u32, u64)>,
    leave: Option<usize>,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let waited = prop_oneof![8 => Just(0u64), 2 => 0u64..60];
    let arrival = (800i32..2600, 0u16..2, seats_strategy(), waited);
    let step = (
        proptest::collection::vec(arrival, 0..6),
        proptest::option::weighted(0.2, 0usize..1000),
    )
        .prop_map(|(arrivals, leave)| Step { arrivals, leave });
    proptest::collection::vec(step, 1..80)
}

fn params() -> impl Strategy<Value = QueueParams> {
    let target_wait_ticks = prop_oneof![Just(0u64), 1u64..30];
    (
        20u32..300,
        2u32..11,
        1u64..6,
        0u32..6,
        3u64..40,
        target_wait_ticks,
    )
        .prop_map(
            |(
                bucket_width,
                match_size,
                expand_every_ticks,
                max_radius,
                timeout_ticks,
                target_wait_ticks,
            )| {
                QueueParams {
                    bucket_width,
                    match_size,
                    expand_every_ticks,
                    max_radius,
                    timeout_ticks,
                    target_wait_ticks,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_arrival_streams_of_solos_and_parties_keep_every_matchmaking_promise(params in params(), steps in steps()) {
        let mut queue = MatchmakingQueue::new(params);
        let mut next_id = 1u32;
        let mut finished: HashSet<Entity> = HashSet::new();
        let mut waiting: Vec<(Entity, TicketHandle)> = Vec::new();
        for (offset, step) in steps.into_iter().enumerate() {
            let now = offset as u64 + 1;
            for (rating, mode, seats, waited) in step.arrivals {
                // Parties larger than a team are refused before they reach the queue.
                let seats = seats.min(max_party_size(params.match_size)).max(1);
                let new = QueuedTicket { ticket: Entity::from_raw_u32(next_id).expect("index"), mode, rating, seats, enqueued_tick: now };
                next_id += 1;
                let handle = queue.enqueue_having_waited(new, waited);
                waiting.push((new.ticket, handle));
            }
            if let Some(pick) = step.leave.filter(|_| !waiting.is_empty()) {
                let (gone, handle) = waiting.swap_remove(pick % waiting.len());
                if queue.remove(handle) {
                    prop_assert!(finished.insert(gone));
                }
            }
            let outcome = queue.run_tick(now);

            for formed in &outcome.matches {
                // Exactly match_size seats of distinct tickets of one mode, none seen before, that
                // the team balancer splits into two full teams with every party whole.
                let seats: u32 = formed.tickets.iter().map(|member| member.seats).sum();
                prop_assert_eq!(seats, params.match_size);
                let units: Vec<TeamUnit> = formed.tickets.iter().map(|member| TeamUnit { players: member.seats, rating: member.rating }).collect();
                let teams = balance_teams(&units);
                let mut sizes = team_sizes(&units, &teams);
                sizes.sort_unstable_by(|a, b| b.cmp(a));
                prop_assert_eq!(sizes, team_capacities(params.match_size));
                for member in &formed.tickets {
                    prop_assert_eq!(member.mode, formed.mode);
                    prop_assert!(finished.insert(member.ticket), "ticket in two matches or matched after leaving");
                }
                // Every member accepts the match's buckets under its own radius at formation time.
                for member in &formed.tickets {
                    let radius = expected_radius(&queue, member, now);
                    let own = queue.bucket_of(member.rating);
                    for other in &formed.tickets {
                        prop_assert!((queue.bucket_of(other.rating) - own).unsigned_abs() <= radius);
                    }
                }
            }
            for expired in &outcome.timed_out {
                prop_assert!(finished.insert(expired.ticket));
            }
            let parties = queue.waiting_tickets().filter(|(ticket, _)| ticket.seats > 1).count();
            prop_assert_eq!(queue.parties_waiting(), parties);
            // No ticket outlives its timeout, and radii are what the rules say.
            for (ticket, radius) in queue.waiting_tickets() {
                prop_assert!(now - ticket.enqueued_tick < params.timeout_ticks);
                prop_assert_eq!(radius, expected_radius(&queue, &ticket, now));
            }
            // Nothing that could be matched is left waiting.
            prop_assert!(!a_match_is_possible(&queue, now), "a valid match was left in the queue at tick {}", now);
            waiting.retain(|(ticket, _)| !finished.contains(ticket));
        }
    }
}
