//! A game server's life under Agones, driven by its heartbeats — which the tick sends only while
//! it advances, so a stalled server stops pinging and Agones marks it unhealthy:
//!
//! - the first heartbeat sets the match counter's capacity, labels the server as taking matches,
//!   and calls `Ready`;
//! - every heartbeat pings `Health`, and takes off the counter each match the allocator placed
//!   here (annotated with its arrival deadline) whose players never came by that deadline;
//! - a match that ends, or is called off, comes off the counter once;
//! - once nothing runs or is on its way here, `Ready` again: Agones never scales down an
//!   `Allocated` game server, so an idle one goes back to `Ready` where the autoscaler may remove it;
//! - asked to stop, the server drains: its label says it takes no more matches (so the allocator
//!   passes it over), it stays `Allocated` until its matches are over, and calls `Shutdown` after.
//!
//! The allocator adds one to the counter per match (see [`super::allocator`]) and every match
//! comes off it exactly once, so the count is the matches placed here and not yet over.

use super::allocator::Allocator;
use super::sdk::{ACCEPTING_LABEL, MATCH_ANNOTATION_PREFIX};
use super::{AgonesSdk, GameServerInfo};
use crate::fleet::bridge::{AgonesSetup, FleetTaskSetup, RunningMatch};
use std::collections::HashSet;

#[derive(Debug)]
pub struct AgonesLifecycle {
    sdk: AgonesSdk,
    counter: String,
    ready: bool,
    /// Asked to stop: takes no new match and does not go back to `Ready`.
    draining: bool,
    /// The label says so (retried every heartbeat until it does).
    drain_labelled: bool,
    /// Matches whose players arrived here.
    seen: HashSet<u64>,
    /// Matches taken off the counter.
    settled: HashSet<u64>,
}

impl AgonesLifecycle {
    pub fn new(agones: AgonesSetup) -> Self {
        let Allocator { counter, .. } = agones.allocator;
        Self {
            sdk: agones.sdk,
            counter,
            ready: false,
            draining: false,
            drain_labelled: false,
            seen: HashSet::new(),
            settled: HashSet::new(),
        }
    }

    pub async fn heartbeat(&mut self, setup: &FleetTaskSetup, running: &[RunningMatch]) {
        if !self.ready {
            let readied = async {
                self.sdk
                    .set_counter_capacity(&self.counter, setup.capacity)
                    .await?;
                let accepting = if self.draining { "false" } else { "true" };
                self.sdk.set_label(ACCEPTING_LABEL, accepting).await?;
                self.sdk.ready().await
            };
            match readied.await {
                Ok(()) => {
                    self.ready = true;
                    tracing::info!("agones: ready");
                }
                Err(error) => {
                    tracing::warn!(%error, "agones: not ready yet");
                    return;
                }
            }
        }
        if let Err(error) = self.sdk.health().await {
            tracing::warn!(%error, "agones: health ping failed");
        }
        if self.draining {
            self.label_draining().await;
        }
        self.seen.extend(running.iter().map(|found| found.match_id));
        let info = match self.sdk.game_server().await {
            Ok(info) => info,
            Err(error) => {
                tracing::warn!(%error, "agones: cannot read the game server");
                return;
            }
        };
        self.settle_no_shows(&info).await;
        let idle = running.is_empty() && placed(&info).all(|id| self.settled.contains(&id));
        if idle && info.state == "Allocated" && !self.draining {
            match self.sdk.ready().await {
                Ok(()) => tracing::info!("agones: idle; back to Ready"),
                Err(error) => tracing::warn!(%error, "agones: cannot go back to Ready"),
            }
        }
    }

    /// Takes off the counter the matches placed here whose players never arrived in time.
    async fn settle_no_shows(&mut self, info: &GameServerInfo) {
        let now = crate::net::unix_now().as_secs();
        for (key, value) in &info.annotations {
            let Some(match_id) = match_id_of(key) else {
                continue;
            };
            let overdue = value.parse::<u64>().is_ok_and(|deadline| now > deadline);
            if overdue && !self.seen.contains(&match_id) {
                tracing::info!(match_id, "agones: players never arrived; slot freed");
                self.settle(match_id).await;
            }
        }
    }

    /// Takes `match_id` off the counter, once.
    pub async fn settle(&mut self, match_id: u64) {
        if !self.settled.insert(match_id) {
            return;
        }
        if let Err(error) = self.sdk.add_to_counter(&self.counter, -1).await {
            tracing::warn!(%error, match_id, "agones: cannot take a match off the counter");
            self.settled.remove(&match_id);
        }
    }

    /// Takes no new match from now on: the allocator asks only servers labelled as taking them.
    pub async fn drain(&mut self) {
        self.draining = true;
        self.label_draining().await;
    }

    async fn label_draining(&mut self) {
        if self.drain_labelled {
            return;
        }
        match self.sdk.set_label(ACCEPTING_LABEL, "false").await {
            Ok(()) => {
                self.drain_labelled = true;
                tracing::info!("agones: draining; labelled as taking no new match");
            }
            Err(error) => tracing::warn!(%error, "agones: cannot label the server as draining"),
        }
    }

    pub async fn shutdown(&self) -> Result<(), super::sdk::SdkError> {
        self.sdk.shutdown().await?;
        tracing::info!("agones: shutdown");
        Ok(())
    }
}

/// The match an annotation of an allocation names.
fn match_id_of(annotation: &str) -> Option<u64> {
    annotation
        .strip_prefix(MATCH_ANNOTATION_PREFIX)
        .and_then(|id| id.parse().ok())
}

/// The matches allocations placed on this game server (from its annotations).
fn placed(info: &GameServerInfo) -> impl Iterator<Item = u64> + '_ {
    info.annotations.keys().filter_map(|key| match_id_of(key))
}
