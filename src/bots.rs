//! `arbiter bots`: N simulated players against a server, each with its own socket and token, in one
//! process; a JSON report at the end. The load tool for operators and our own end-to-end harness.

mod aim;
mod bot;
mod guest;
mod items;
mod party;
mod report;
mod rng;
mod social;
mod swarm;
mod tokens_file;
mod trading;
mod view;

pub use bot::Arsenal;
pub use report::{BehaviorReport, BotsReport, CheaterReport};
pub use swarm::Swarm;

use crate::cli::BotsArgs;
use anyhow::{Context, bail};
use arbiter_client::{ArbiterClient, LinkConditioner};
use std::io::Write;
use std::time::{Duration, Instant};

/// Where the bots' connect tokens come from.
enum Tokens {
    /// `--tokens FILE`: returning players.
    File(std::vec::IntoIter<arbiter_client::netcode::ConnectToken>),
    /// The admin endpoint's `POST /v1/tokens`: a fresh guest per bot.
    Guests,
}

/// Runs the bots for `args.duration` seconds (less with `--matches`) and prints the report.
pub fn run(args: &BotsArgs) -> anyhow::Result<()> {
    let report = play(args)?;
    writeln!(std::io::stdout(), "{}", serde_json::to_string(&report)?)?;
    Ok(())
}

/// Connects, plays and disconnects the bots; returns what happened.
pub fn play(args: &BotsArgs) -> anyhow::Result<BotsReport> {
    if !(0.0..=1.0).contains(&args.loss) {
        bail!("--loss is a share of packets, between 0 and 1");
    }
    let fps = args.fps.clamp(1, 1000);
    let frame = Duration::from_secs_f64(1.0 / f64::from(fps));
    let cheaters = args.cheaters.unwrap_or(args.count);
    let mut swarm = Swarm::new(Arsenal::shipped()?);
    if let Some(matches) = args.matches {
        swarm.stop_queueing_after(matches);
    }
    let mut tokens = match &args.tokens {
        Some(path) => Tokens::File(tokens_file::read(path, args.count)?.into_iter()),
        None => Tokens::Guests,
    };
    let started = Instant::now();
    for index in 0..args.count {
        let token = match &mut tokens {
            Tokens::File(tokens) => tokens.next().context("counted when the file was read")?,
            Tokens::Guests => guest::fetch_token(&args.admin, args.admin_token.as_deref())
                .with_context(|| {
                    format!("bot {index}: cannot get a guest token from {}", args.admin)
                })?,
        };
        if let Some(server) = args.server
            && !token.server_addresses.contains(&server)
        {
            bail!(
                "bot {index}'s token is for {:?}, not for --server {server}",
                token.server_addresses
            );
        }
        let link = (args.latency_ms > 0 || args.jitter_ms > 0 || args.loss > 0.0).then(|| {
            LinkConditioner::new(
                Duration::from_millis(args.latency_ms),
                Duration::from_millis(args.jitter_ms),
                args.loss,
                u64::from(index) + 1,
            )
        });
        let client = ArbiterClient::connect(token, link).context("cannot open a bot socket")?;
        let behavior = if index < cheaters {
            args.behavior
        } else {
            args.behavior.counterpart()
        };
        swarm.add(client, behavior);
    }

    let end = Instant::now() + Duration::from_secs_f64(args.duration.max(0.0));
    let mut next_frame = Instant::now();
    while Instant::now() < end && !swarm.finished() {
        let now_us = started.elapsed().as_micros() as u64;
        swarm.play_frame(frame, now_us);
        next_frame += frame;
        match next_frame.checked_duration_since(Instant::now()) {
            Some(wait) => std::thread::sleep(wait),
            // Behind schedule (too many bots for one thread): do not try to catch up.
            None => next_frame = Instant::now(),
        }
    }
    swarm.leave();
    Ok(swarm.report())
}
