//! Matchmaking: batch throughput (solo tickets, and with 30 % of the seats in parties of 2–5),
//! per-tick cost with a million tickets waiting, and memory per waiting ticket.
//!
//! `cargo bench --bench matchmaking`

use arbiter_components::matchmaking::Ticket;
use arbiter_systems::matchmaking::{MatchmakingQueue, QueueParams, QueuedTicket};
use bevy_ecs::entity::Entity;
use bevy_ecs::world::World;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};
use std::hint::black_box;

/// The defaults of `[matchmaking]` at 60 Hz.
const PARAMS: QueueParams = QueueParams {
    bucket_width: 100,
    match_size: 10,
    expand_every_ticks: 5 * 60,
    max_radius: 10,
    timeout_ticks: 60 * 60,
    target_wait_ticks: 10 * 60,
};

fn normal_ratings(count: usize, seed: u64) -> Vec<i32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(1500.0f64, 300.0).unwrap_or_else(|_| unreachable!("valid parameters"));
    (0..count)
        .map(|_| normal.sample(&mut rng).clamp(0.0, 4000.0) as i32)
        .collect()
}

/// Ticket sizes for `seats` players of which about `party_share` queue in parties of 2–5 (sizes
/// drawn evenly), the rest solo; shuffled, so parties arrive among solos.
fn ticket_sizes(seats: usize, party_share: f64, seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut sizes = Vec::new();
    let mut in_parties = 0usize;
    while in_parties < (seats as f64 * party_share) as usize {
        let size = rng.random_range(2..=5u32);
        in_parties += size as usize;
        sizes.push(size);
    }
    sizes.extend(std::iter::repeat_n(1, seats.saturating_sub(in_parties)));
    for index in (1..sizes.len()).rev() {
        sizes.swap(index, rng.random_range(0..=index));
    }
    sizes
}

fn ticket(id: usize, mode: u16, rating: i32, tick: u64) -> QueuedTicket {
    sized_ticket(id, mode, rating, 1, tick)
}

fn sized_ticket(id: usize, mode: u16, rating: i32, seats: u32, tick: u64) -> QueuedTicket {
    QueuedTicket {
        ticket: Entity::from_raw_u32(id as u32 + 1)
            .unwrap_or_else(|| unreachable!("ids stay small")),
        mode,
        rating,
        seats,
        enqueued_tick: tick,
    }
}

/// A batch: one rating and one size per ticket.
struct Batch {
    ratings: Vec<i32>,
    sizes: Vec<u32>,
}

impl Batch {
    /// `seats` players, `party_share` of them in parties.
    fn new(seats: usize, party_share: f64) -> Self {
        let sizes = ticket_sizes(seats, party_share, 4);
        Self {
            ratings: normal_ratings(sizes.len(), 1),
            sizes,
        }
    }
}

/// N players' fresh tickets enqueued and matched in one tick, into an empty queue (`cold`: its
/// index grows as they arrive) and into one sized for them (`presized`:
/// `MatchmakingQueue::with_capacity`); all solo, and with 30 % of the players in parties
/// (`parties_30pct`). Throughput counts seats (players) matched.
fn enqueue_and_match(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("matchmaking/enqueue_and_match");
    for count in [10_000usize, 100_000, 1_000_000] {
        for (label, party_share) in [("", 0.0), ("parties_30pct/", 0.3)] {
            let batch = Batch::new(count, party_share);
            let matched = run_batch(MatchmakingQueue::new(PARAMS), &batch);
            #[expect(clippy::print_stderr, reason = "context for the throughput figure")]
            {
                eprintln!(
                    "{count} players in {} tickets{}: {matched} seats matched in one tick",
                    batch.sizes.len(),
                    if party_share > 0.0 {
                        " (30 % in parties)"
                    } else {
                        ""
                    }
                );
            }
            group.throughput(Throughput::Elements(matched as u64));
            group.sample_size(if count >= 1_000_000 { 10 } else { 30 });
            group.bench_with_input(
                BenchmarkId::new(format!("{label}cold"), count),
                &batch,
                |bencher, batch| {
                    bencher.iter_batched(
                        || MatchmakingQueue::new(PARAMS),
                        |queue| black_box(run_batch(queue, batch)),
                        BatchSize::LargeInput,
                    );
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("{label}presized"), count),
                &batch,
                |bencher, batch| {
                    bencher.iter_batched(
                        || MatchmakingQueue::with_capacity(PARAMS, batch.sizes.len()),
                        |queue| black_box(run_batch(queue, batch)),
                        BatchSize::LargeInput,
                    );
                },
            );
        }
    }
    group.finish();
}

/// Enqueues every ticket of the batch in one tick and runs that tick: the seats matched.
fn run_batch(mut queue: MatchmakingQueue, batch: &Batch) -> usize {
    for (id, (rating, seats)) in batch.ratings.iter().zip(&batch.sizes).enumerate() {
        let _ = queue.enqueue(sized_ticket(id, 0, *rating, *seats, 1));
    }
    queue
        .run_tick(1)
        .matches
        .iter()
        .flat_map(|formed| &formed.tickets)
        .map(|ticket| ticket.seats as usize)
        .sum()
}

/// A million tickets that cannot match each other (16 per mode, two buckets apart, enqueued over
/// the last ten minutes, so their radii keep growing), plus 10 k players arriving per second (167
/// per tick at 60 Hz) with normal ratings in a live mode. One iteration is one tick. With
/// `party_share` of the players, waiting and arriving, in parties of 2–5.
fn tick_with_a_million_waiting(criterion: &mut Criterion, name: &str, party_share: f64) {
    const WAITING: usize = 1_000_000;
    const ARRIVALS_PER_TICK: usize = 167;
    const SPREAD_TICKS: u64 = 10 * 60 * 60;
    let params = QueueParams {
        timeout_ticks: 2 * 60 * 60 * 60,
        ..PARAMS
    };
    let mut queue = MatchmakingQueue::new(params);
    let waiting_sizes = ticket_sizes(WAITING * 2, party_share, 5);
    for (id, seats) in waiting_sizes.iter().take(WAITING).enumerate() {
        let mode = (id / 16) as u16;
        let rating = (id % 16) as i32 * 200;
        let tick = 1 + id as u64 * SPREAD_TICKS / WAITING as u64;
        let _ = queue.enqueue(sized_ticket(id, mode, rating, *seats, tick));
    }
    let mut now = SPREAD_TICKS;
    queue.run_tick(now);
    let arrivals = Batch::new(1 << 20, party_share);
    let mut next = 0usize;
    let live_mode = u16::MAX;
    criterion.bench_function(name, |bencher| {
        bencher.iter(|| {
            now += 1;
            let mut players = 0;
            while players < ARRIVALS_PER_TICK {
                let at = next % arrivals.sizes.len();
                let seats = arrivals.sizes[at];
                let rating = arrivals.ratings[at];
                let _ = queue.enqueue(sized_ticket(WAITING + next, live_mode, rating, seats, now));
                players += seats as usize;
                next += 1;
            }
            black_box(queue.run_tick(now).matches.len())
        });
    });
    #[expect(clippy::print_stderr, reason = "context for the per-tick figure")]
    {
        eprintln!("after the run: {} tickets waiting", queue.waiting());
    }
}

/// Resident memory of this process, in bytes.
fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Bytes per waiting ticket: the queue's index, and the ticket entity in the ECS, by resident memory.
fn memory_per_waiting_ticket() {
    const COUNT: usize = 1_000_000;
    let ratings = normal_ratings(COUNT, 3);
    let before = resident_bytes();
    let mut queue = MatchmakingQueue::new(PARAMS);
    for (id, rating) in ratings.iter().enumerate() {
        let _ = queue.enqueue(ticket(id, 0, *rating, 1));
    }
    let queue_bytes = resident_bytes() - before;
    let before = resident_bytes();
    let mut world = World::new();
    world.spawn_batch(ratings.iter().enumerate().map(|(id, rating)| Ticket {
        players: vec![
            Entity::from_raw_u32(id as u32 + 1).unwrap_or_else(|| unreachable!("ids stay small")),
        ],
        rating: *rating,
        mode: 0,
        enqueued_tick: 1,
    }));
    let world_bytes = resident_bytes() - before;
    #[expect(
        clippy::print_stderr,
        reason = "the memory figure BENCHMARKS.md quotes"
    )]
    {
        eprintln!(
            "memory per waiting ticket ({COUNT} tickets): queue {} B + ticket entity {} B = {} B",
            queue_bytes / COUNT,
            world_bytes / COUNT,
            (queue_bytes + world_bytes) / COUNT
        );
    }
    black_box((queue.waiting(), world.entities().len()));
}

fn main() {
    memory_per_waiting_ticket();
    let mut criterion = Criterion::default().configure_from_args();
    enqueue_and_match(&mut criterion);
    tick_with_a_million_waiting(
        &mut criterion,
        "matchmaking/tick_1m_waiting_10k_arrivals_per_s",
        0.0,
    );
    tick_with_a_million_waiting(
        &mut criterion,
        "matchmaking/tick_1m_waiting_10k_arrivals_per_s/parties_30pct",
        0.3,
    );
    criterion.final_summary();
}
