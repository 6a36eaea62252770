//! Many bots played in lock step from one thread: what `arbiter bots` runs, and what end-to-end tests
//! drive frame by frame.

use super::bot::{Arsenal, Bot};
use super::report::BotsReport;
use super::social::{GROUP, Role};
use crate::cli::Behavior;
use arbiter_client::ArbiterClient;
use std::time::Duration;

pub struct Swarm {
    arsenal: Arsenal,
    bots: Vec<Bot>,
    /// Matches each queueing bot completes before it stops queueing; none: no limit.
    matches_wanted: Option<u64>,
    /// This run's number (the Unix time it started, in microseconds: the zero of the callers'
    /// clock), in its guilds' names.
    run: u64,
}

impl std::fmt::Debug for Swarm {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Swarm")
            .field("bots", &self.bots.len())
            .finish()
    }
}

impl Swarm {
    pub fn new(arsenal: Arsenal) -> Self {
        let run = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_micros() as u64);
        Self {
            arsenal,
            bots: Vec::new(),
            matches_wanted: None,
            run,
        }
    }

    /// Bots added from now on stop queueing once they have completed `matches`.
    pub fn stop_queueing_after(&mut self, matches: u64) {
        self.matches_wanted = Some(matches);
    }

    /// Whether a match limit is set ([`Self::stop_queueing_after`]) and every bot has nothing
    /// left to play: gone, or its matches completed. Without a limit the run's duration decides.
    pub fn finished(&self) -> bool {
        self.matches_wanted.is_some() && self.bots.iter().all(Bot::finished)
    }

    /// Adds a bot playing `behavior` over `client`. Social bots are grouped as they are added.
    pub fn add(&mut self, client: ArbiterClient, behavior: Behavior) {
        let seed = self.bots.len() as u64;
        let mut bot = Bot::new(
            client,
            seed,
            behavior,
            self.arsenal.clone(),
            self.matches_wanted,
        );
        if behavior == Behavior::Social {
            let social = self
                .bots
                .iter()
                .filter(|bot| bot.behavior == Behavior::Social)
                .count();
            // A name of its own per run: a store kept from an earlier run holds its guilds.
            let name = format!("Bots {} {}", self.run % 1_000_000, social / GROUP);
            bot.guild.assign(match social % GROUP {
                0 => Role::Founder { name },
                _ => Role::Joiner { name },
            });
            bot.party.assign(social % GROUP == 0);
        }
        self.bots.push(bot);
    }

    /// One frame of every bot. `now_us` is the caller's clock, counted from when the swarm was
    /// made: for ping round trips and the cheaters' timelines.
    pub fn play_frame(&mut self, elapsed: Duration, now_us: u64) {
        for bot in &mut self.bots {
            bot.play_frame(elapsed, now_us);
        }
        self.pair_traders();
    }

    /// Pairs trading bots in the order they were added (the first of each pair invites), once both
    /// of a pair are welcomed.
    fn pair_traders(&mut self) {
        let trading: Vec<usize> = (0..self.bots.len())
            .filter(|index| self.bots[*index].behavior.trades())
            .collect();
        for pair in trading.chunks_exact(2) {
            let ids = [pair[0], pair[1]].map(|index| self.bots[index].player_id());
            if self.bots[pair[0]].trades.is_paired() || ids.contains(&0) {
                continue;
            }
            self.bots[pair[0]].trades.pair(ids[1], true);
            self.bots[pair[1]].trades.pair(ids[0], false);
        }
    }

    /// Disconnects every bot politely.
    pub fn leave(&mut self) {
        for bot in &mut self.bots {
            bot.leave();
        }
    }

    /// Each bot's player id (once welcomed) and behaviour.
    pub fn players(&self) -> Vec<(u64, Behavior)> {
        self.bots
            .iter()
            .map(|bot| (bot.player_id(), bot.behavior))
            .collect()
    }

    pub fn report(&self) -> BotsReport {
        BotsReport::from_bots(&self.bots, self.run / 1000)
    }
}
