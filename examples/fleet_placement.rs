//! How long a fleet's matchmaker takes to place a formed match (registry mode, real Redis): from the
//! tick handing the match to the fleet task to the answer with every player's token — a slot
//! reserved, ten players claimed (fenced), ten tokens sealed. One match at a time (latency), then
//! bursts of 100 formed in one tick (an evening peak's queueing).
//!
//! `cargo run --release --example fleet_placement` (Redis on 127.0.0.1:6379; uses database 14 and
//! empties it). The tick adds at most one tick on top: a placement asked for in tick T is carried
//! out, and the players' `Redirect`s sent, at the first tick after its answer arrived.

use arbiter::fleet::bridge::{FleetTaskSetup, FromFleet, Placement, ToFleet, start_matchmaker};
use arbiter::fleet::{Fleet, ServerReport};
use arbiter::net::TokenIssuer;
use arbiter::read::redis_link::RedisLink;
use arbiter::runtime::AsyncRuntime;
use arbiter::settings::NetSettings;
use bevy_ecs::entity::Entity;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const REDIS: &str = "redis://127.0.0.1:6379/14";
const SINGLE: u64 = 2000;
const BURSTS: u64 = 20;
const BURST: u64 = 100;

fn main() -> anyhow::Result<()> {
    let runtime = AsyncRuntime::start();
    let _inside = runtime.enter();
    let link = RedisLink::lazy(REDIS)?;
    runtime.block_on(link.command::<()>(&redis::cmd("FLUSHDB")))?;
    let fleet = Fleet::new(link, "placement");
    for server in 0..3u16 {
        runtime.block_on(fleet.report(&ServerReport {
            id: &format!("game-{server}"),
            address: SocketAddr::from(([127, 0, 0, 1], 7000 + server)),
            region: "local",
            capacity: 10_000,
            running: &[],
            draining: false,
            ttl: Duration::from_secs(600),
        }))?;
    }
    let issuer = TokenIssuer::new(
        [7; 32],
        vec![SocketAddr::from(([127, 0, 0, 1], 5000))],
        &NetSettings::default(),
    );
    let setup = FleetTaskSetup {
        fleet: fleet.clone(),
        issuer,
        node: "placement-bench".into(),
        address: SocketAddr::from(([127, 0, 0, 1], 5000)),
        region: "local".into(),
        capacity: 8,
        regions: vec!["local".into()],
        // Reservations and claims outlive the run: nothing lapses while it measures.
        arrival_deadline: Duration::from_secs(600),
        heartbeat: Duration::from_millis(1000),
        missed_heartbeats: 3,
        agones: None,
        kubernetes_lease: None,
    };
    let mut link = start_matchmaker(setup, &runtime);
    // Leadership is taken by the fleet task's first lease round.
    std::thread::sleep(Duration::from_millis(300));

    let mut next_match = 1u64;
    let mut place = |link: &mut arbiter::fleet::bridge::FleetLink| {
        let local_id = next_match;
        next_match += 1;
        let first = local_id * 10;
        link.send(ToFleet::Place(Placement {
            local_match: Entity::PLACEHOLDER,
            local_id,
            mode: 0,
            map: "arena".into(),
            teams: [
                (first..first + 5).collect(),
                (first + 5..first + 10).collect(),
            ],
            // Each player's wait goes into the match record and its seat: as in a real placement.
            waited_ms: (first..first + 10).map(|player| (player, 20_000)).collect(),
            formed_at: Instant::now(),
        }));
    };
    let mut single = Vec::new();
    for _ in 0..SINGLE {
        place(&mut link);
        single.push(wait(&mut link)?);
    }
    let mut burst = Vec::new();
    for _ in 0..BURSTS {
        for _ in 0..BURST {
            place(&mut link);
        }
        for _ in 0..BURST {
            burst.push(wait(&mut link)?);
        }
    }
    let mut out = std::io::stdout().lock();
    for (name, samples) in [
        ("one at a time", &mut single),
        ("bursts of 100", &mut burst),
    ] {
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
        writeln!(
            out,
            "{name}: {} placements, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            samples.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        )?;
    }
    Ok(())
}

/// The next answer's latency; an answer that is not a placement is an error.
fn wait(link: &mut arbiter::fleet::bridge::FleetLink) -> anyhow::Result<Duration> {
    loop {
        match link.answer() {
            Some(FromFleet::Placed {
                formed_at, tokens, ..
            }) => {
                anyhow::ensure!(tokens.len() == 10, "a token per player");
                return Ok(formed_at.elapsed());
            }
            Some(other) => anyhow::bail!("not placed: {other:?}"),
            None => std::thread::sleep(Duration::from_micros(20)),
        }
    }
}
