//! Simulated days of matchmaking: Arbiter's queue (with and without widening by the population
//! around each ticket) against the seed design's plain 1000-wide buckets (no mutual acceptance, no
//! team balancing), on the same arrivals. Prints a markdown table per day.
//!
//! Two days (see [`Day`]): an even one, and a realistic one with two skill populations, a quiet
//! night and an evening burst. Matches have 10 players, tickets time out after 60 s, radii grow every
//! 5 s (2 s in one column). Simulated at 10 ticks per second.
//!
//! `cargo run --release --example matchmaking_day`

use arbiter_systems::matchmaking::{
    MatchmakingQueue, QueueParams, QueuedTicket, TeamUnit, balance_teams, imbalance,
};
use bevy_ecs::entity::Entity;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal, Poisson};
use std::collections::VecDeque;
use std::io::Write;

const TICKS_PER_SECOND: u64 = 10;
const DAY_TICKS: u64 = 24 * 60 * 60 * TICKS_PER_SECOND;
const MATCH_SIZE: usize = 10;
const TIMEOUT_TICKS: u64 = 60 * TICKS_PER_SECOND;
const EXPAND_TICKS: u64 = 5 * TICKS_PER_SECOND;
const TARGET_WAIT_TICKS: u64 = 10 * TICKS_PER_SECOND;

#[derive(Debug, Clone, Copy)]
struct Arrival {
    tick: u64,
    rating: i32,
}

/// What happened to every ticket of the day.
#[derive(Debug, Default)]
struct Results {
    waits_secs: Vec<f64>,
    spans: Vec<f64>,
    imbalances: Vec<f64>,
    timeouts: usize,
}

impl Results {
    /// Records a match; `split` assigns each member (as a one-player unit) to team 0 or 1.
    fn record_match(
        &mut self,
        now: u64,
        members: &[Arrival],
        split: impl FnOnce(&[TeamUnit]) -> Vec<u8>,
    ) {
        let units: Vec<TeamUnit> = members
            .iter()
            .map(|member| TeamUnit {
                players: 1,
                rating: member.rating,
            })
            .collect();
        self.imbalances.push(imbalance(&units, &split(&units)));
        let ratings = members.iter().map(|member| member.rating);
        self.spans.push(f64::from(
            ratings.clone().max().unwrap_or(0) - ratings.min().unwrap_or(0),
        ));
        for member in members {
            self.waits_secs
                .push((now - member.tick) as f64 / TICKS_PER_SECOND as f64);
        }
    }
}

/// Who arrives over a day: the rate along the day and the ratings.
#[derive(Debug, Clone, Copy)]
enum Day {
    /// 1 to 5 arrivals per second along a cosine (3 on average), ratings normal (1500, σ 300).
    Even,
    /// A quiet night (0.3/s), a working day around 3/s and an evening burst of 12/s from 19:00 to
    /// 21:00; 80 % of ratings around 1350 (σ 150), 20 % around 2100 (σ 250).
    Realistic,
}

/// Arrivals per second at each whole hour of [`Day::Realistic`] (the last is midnight again);
/// linear in between.
const REALISTIC_HOURLY_RATE: [f64; 25] = [
    1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.7, 1.2, 1.8, 2.2, 2.5, 2.8, 3.0, 3.0, 3.0, 3.2, 3.6, 4.5, 7.0,
    12.0, 12.0, 8.0, 4.0, 2.0, 1.0,
];

impl Day {
    fn per_second(self, day_fraction: f64) -> f64 {
        match self {
            Self::Even => 3.0 - 2.0 * (2.0 * std::f64::consts::PI * day_fraction).cos(),
            Self::Realistic => {
                let hours = day_fraction * 24.0;
                let hour = (hours as usize).min(23);
                let within = hours - hour as f64;
                REALISTIC_HOURLY_RATE[hour] * (1.0 - within)
                    + REALISTIC_HOURLY_RATE[hour + 1] * within
            }
        }
    }

    fn rating(self, rng: &mut StdRng) -> f64 {
        let normal = |mean: f64, sigma: f64| {
            Normal::new(mean, sigma).unwrap_or_else(|_| unreachable!("valid parameters"))
        };
        match self {
            Self::Even => normal(1500.0, 300.0).sample(rng),
            Self::Realistic if rng.random_bool(0.8) => normal(1350.0, 150.0).sample(rng),
            Self::Realistic => normal(2100.0, 250.0).sample(rng),
        }
    }

    fn arrivals(self) -> Vec<Arrival> {
        let mut rng = StdRng::seed_from_u64(2026);
        let mut arrivals = Vec::new();
        for tick in 0..DAY_TICKS {
            let per_second = self.per_second(tick as f64 / DAY_TICKS as f64);
            let poisson = Poisson::new(per_second / TICKS_PER_SECOND as f64)
                .unwrap_or_else(|_| unreachable!("positive rate"));
            for _ in 0..poisson.sample(&mut rng) as u64 {
                arrivals.push(Arrival {
                    tick: tick + 1,
                    rating: self.rating(&mut rng).clamp(0.0, 4000.0) as i32,
                });
            }
        }
        arrivals
    }
}

/// Arbiter: mutual acceptance, oldest first, balanced teams, with the given bucket width, widening
/// interval and target wait (0: no adaptive widening).
fn arbiter(
    arrivals: &[Arrival],
    bucket_width: u32,
    expand_every_ticks: u64,
    target_wait_ticks: u64,
) -> Results {
    let mut queue = MatchmakingQueue::new(QueueParams {
        bucket_width,
        match_size: MATCH_SIZE as u32,
        expand_every_ticks,
        max_radius: 10,
        timeout_ticks: TIMEOUT_TICKS,
        target_wait_ticks,
    });
    let mut results = Results::default();
    let mut next = 0;
    for now in 1..=DAY_TICKS + TIMEOUT_TICKS {
        while next < arrivals.len() && arrivals[next].tick == now {
            let ticket = QueuedTicket {
                ticket: Entity::from_raw_u32(next as u32 + 1)
                    .unwrap_or_else(|| unreachable!("ids stay small")),
                mode: 0,
                rating: arrivals[next].rating,
                seats: 1,
                enqueued_tick: now,
            };
            let _ = queue.enqueue(ticket);
            next += 1;
        }
        let outcome = queue.run_tick(now);
        results.timeouts += outcome.timed_out.len();
        for formed in outcome.matches {
            let members: Vec<Arrival> = formed
                .tickets
                .iter()
                .map(|ticket| Arrival {
                    tick: ticket.enqueued_tick,
                    rating: ticket.rating,
                })
                .collect();
            results.record_match(now, &members, balance_teams);
        }
    }
    results
}

/// The seed: `bucket = rating / 1000`; a full bucket matches its first ten; a waiting player's
/// search widens by one bucket every 5 s and takes any neighbouring bucket with nine waiting;
/// teams are the first five against the rest.
fn seed(arrivals: &[Arrival]) -> Results {
    let mut buckets: Vec<VecDeque<Arrival>> = vec![VecDeque::new(); 5];
    let mut results = Results::default();
    let unbalanced: Vec<u8> = (0..MATCH_SIZE)
        .map(|index| u8::from(index >= MATCH_SIZE / 2))
        .collect();
    let mut next = 0;
    for now in 1..=DAY_TICKS + TIMEOUT_TICKS {
        while next < arrivals.len() && arrivals[next].tick == now {
            let bucket = (arrivals[next].rating / 1000).clamp(0, 4) as usize;
            buckets[bucket].push_back(arrivals[next]);
            next += 1;
        }
        for bucket in &mut buckets {
            while bucket.len() >= MATCH_SIZE {
                let members: Vec<Arrival> = bucket.drain(..MATCH_SIZE).collect();
                results.record_match(now, &members, |_| unbalanced.clone());
            }
        }
        for home in 0..buckets.len() {
            let Some(oldest) = buckets[home].front().copied() else {
                continue;
            };
            let radius = ((now - oldest.tick) / EXPAND_TICKS) as usize;
            let reachable = home.saturating_sub(radius)..=(home + radius).min(buckets.len() - 1);
            if let Some(other) = reachable
                .filter(|other| *other != home)
                .find(|other| buckets[*other].len() >= MATCH_SIZE - 1)
            {
                let Some(player) = buckets[home].pop_front() else {
                    continue;
                };
                let mut members = vec![player];
                members.extend(buckets[other].drain(..MATCH_SIZE - 1));
                results.record_match(now, &members, |_| unbalanced.clone());
            }
        }
        for bucket in &mut buckets {
            while bucket
                .front()
                .is_some_and(|oldest| now - oldest.tick >= TIMEOUT_TICKS)
            {
                bucket.pop_front();
                results.timeouts += 1;
            }
        }
    }
    results
}

fn percentile(values: &mut [f64], quantile: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = ((quantile * values.len() as f64).ceil() as usize).clamp(1, values.len().max(1));
    values.get(rank - 1).copied().unwrap_or(f64::NAN)
}

/// Formats one measure of one run; the second argument is the number of arrivals.
type Cell = fn(&mut Results, f64) -> String;

fn main() -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for (day, title) in [
        (
            Day::Even,
            "An even day (ratings 1500 ± 300, 1-5 arrivals/s)",
        ),
        (
            Day::Realistic,
            "A realistic day (80 % at 1350 ± 150, 20 % at 2100 ± 250; quiet night, evening burst of 12/s)",
        ),
    ] {
        let arrivals = day.arrivals();
        let runs = [
            arbiter(&arrivals, 100, EXPAND_TICKS, TARGET_WAIT_TICKS),
            arbiter(&arrivals, 100, EXPAND_TICKS, 0),
            arbiter(&arrivals, 200, 2 * TICKS_PER_SECOND, 0),
            seed(&arrivals),
        ];
        writeln!(out, "### {title}\n\n{} arrivals\n", arrivals.len())?;
        print_table(
            &mut out,
            &[
                "Arbiter defaults (100-pt buckets, widen every 5 s, target wait 10 s)",
                "the same without a target wait",
                "Arbiter without a target wait, 200-pt buckets, widen every 2 s",
                "seed (1000-pt buckets)",
            ],
            runs,
            arrivals.len() as f64,
        )?;
    }
    Ok(())
}

fn print_table<const N: usize>(
    out: &mut impl Write,
    columns: &[&str; N],
    mut runs: [Results; N],
    total: f64,
) -> std::io::Result<()> {
    writeln!(out, "| measure | {} |", columns.join(" | "))?;
    writeln!(out, "|---{}|", "|---".repeat(N))?;
    let rows: [(&str, Cell); 7] = [
        ("players matched", |results, _| {
            results.waits_secs.len().to_string()
        }),
        ("timed out", |results, total| {
            format!(
                "{} ({:.2} %)",
                results.timeouts,
                100.0 * results.timeouts as f64 / total
            )
        }),
        ("wait p50", |results, _| {
            format!("{:.1} s", percentile(&mut results.waits_secs, 0.5))
        }),
        ("wait p99", |results, _| {
            format!("{:.1} s", percentile(&mut results.waits_secs, 0.99))
        }),
        ("rating span in a match p50", |results, _| {
            format!("{:.0}", percentile(&mut results.spans, 0.5))
        }),
        ("rating span in a match p99", |results, _| {
            format!("{:.0}", percentile(&mut results.spans, 0.99))
        }),
        (
            "mean team imbalance (\\|Δ mean rating\\|)",
            |results, _| {
                let imbalances = &results.imbalances;
                format!(
                    "{:.1}",
                    imbalances.iter().sum::<f64>() / imbalances.len().max(1) as f64
                )
            },
        ),
    ];
    for (label, cell) in rows {
        let cells: Vec<String> = runs
            .iter_mut()
            .map(|results| cell(results, total))
            .collect();
        writeln!(out, "| {label} | {} |", cells.join(" | "))?;
    }
    writeln!(out)
}
