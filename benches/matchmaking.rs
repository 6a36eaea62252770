//! Matchmaking: batch throughput, per-tick cost with a million tickets waiting, and memory per
//! waiting ticket.
//!
//! `cargo bench --bench matchmaking`

use arbiter_components::matchmaking::Ticket;
use arbiter_systems::matchmaking::{MatchmakingQueue, QueueParams, QueuedTicket};
use bevy_ecs::entity::Entity;
use bevy_ecs::world::World;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};
use std::hint::black_box;

/// The defaults of `[matchmaking]` at 60 Hz.
const PARAMS: QueueParams = QueueParams {
    bucket_width: 100,
    match_size: 10,
    expand_every_ticks: 5 * 60,
    max_radius: 10,
    timeout_ticks: 60 * 60,
};

fn normal_ratings(count: usize, seed: u64) -> Vec<i32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let normal = Normal::new(1500.0f64, 300.0).unwrap_or_else(|_| unreachable!("valid parameters"));
    (0..count)
        .map(|_| normal.sample(&mut rng).clamp(0.0, 4000.0) as i32)
        .collect()
}

fn ticket(id: usize, mode: u16, rating: i32, tick: u64) -> QueuedTicket {
    QueuedTicket {
        ticket: Entity::from_raw_u32(id as u32 + 1)
            .unwrap_or_else(|| unreachable!("ids stay small")),
        mode,
        rating,
        seats: 1,
        enqueued_tick: tick,
    }
}

/// N fresh tickets enqueued and matched in one tick, into an empty queue (`cold`: its index grows as
/// they arrive) and into one sized for them (`presized`: `MatchmakingQueue::with_capacity`).
fn enqueue_and_match(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("matchmaking/enqueue_and_match");
    for count in [10_000usize, 100_000, 1_000_000] {
        let ratings = normal_ratings(count, 1);
        let matched = run_batch(MatchmakingQueue::new(PARAMS), &ratings);
        #[expect(clippy::print_stderr, reason = "context for the throughput figure")]
        {
            eprintln!("{count} tickets: {matched} matched in one tick");
        }
        group.throughput(Throughput::Elements(matched as u64));
        if count >= 1_000_000 {
            group.sample_size(10);
        }
        group.bench_with_input(
            BenchmarkId::new("cold", count),
            &ratings,
            |bencher, ratings| {
                bencher.iter_batched(
                    || MatchmakingQueue::new(PARAMS),
                    |queue| black_box(run_batch(queue, ratings)),
                    BatchSize::LargeInput,
                );
            },
        );
        group.bench_with_input(
            BenchmarkId::new("presized", count),
            &ratings,
            |bencher, ratings| {
                bencher.iter_batched(
                    || MatchmakingQueue::with_capacity(PARAMS, ratings.len()),
                    |queue| black_box(run_batch(queue, ratings)),
                    BatchSize::LargeInput,
                );
            },
        );
    }
    group.finish();
}

/// Enqueues every rating in one tick and runs that tick: the tickets matched.
fn run_batch(mut queue: MatchmakingQueue, ratings: &[i32]) -> usize {
    for (id, rating) in ratings.iter().enumerate() {
        let _ = queue.enqueue(ticket(id, 0, *rating, 1));
    }
    queue
        .run_tick(1)
        .matches
        .iter()
        .map(|formed| formed.tickets.len())
        .sum()
}

/// A million tickets that cannot match each other (16 per mode, two buckets apart, enqueued over
/// the last ten minutes, so their radii keep growing), plus 10 k arrivals per second (167 per tick
/// at 60 Hz) with normal ratings in a live mode. One iteration is one tick.
fn tick_with_a_million_waiting(criterion: &mut Criterion) {
    const WAITING: usize = 1_000_000;
    const ARRIVALS_PER_TICK: usize = 167;
    const SPREAD_TICKS: u64 = 10 * 60 * 60;
    let params = QueueParams {
        timeout_ticks: 2 * 60 * 60 * 60,
        ..PARAMS
    };
    let mut queue = MatchmakingQueue::new(params);
    for id in 0..WAITING {
        let mode = (id / 16) as u16;
        let rating = (id % 16) as i32 * 200;
        let tick = 1 + id as u64 * SPREAD_TICKS / WAITING as u64;
        let _ = queue.enqueue(ticket(id, mode, rating, tick));
    }
    let mut now = SPREAD_TICKS;
    queue.run_tick(now);
    let arrivals = normal_ratings(1 << 20, 2);
    let mut next = 0usize;
    let live_mode = u16::MAX;
    criterion.bench_function(
        "matchmaking/tick_1m_waiting_10k_arrivals_per_s",
        |bencher| {
            bencher.iter(|| {
                now += 1;
                for _ in 0..ARRIVALS_PER_TICK {
                    let rating = arrivals[next % arrivals.len()];
                    let _ = queue.enqueue(ticket(WAITING + next, live_mode, rating, now));
                    next += 1;
                }
                black_box(queue.run_tick(now).matches.len())
            });
        },
    );
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
    tick_with_a_million_waiting(&mut criterion);
    criterion.final_summary();
}
