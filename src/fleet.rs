//! Beyond one machine: the state a fleet of processes shares in Redis — game servers and their free
//! match slots ([`registry`]), which matchmaker leads ([`leader`]), and which match holds each player
//! ([`claims`]). Every change is one Lua script, so it is atomic however many matchmakers and game
//! servers run.
//!
//! Why no player can be in two matches: a player is in a match only while a claim naming that match
//! exists (`claim:{player}`). A claim is created only when none exists for another match, and only by
//! the leader of the current epoch: the check and the write are one script, and the epoch is compared
//! with the leader key at that moment — a matchmaker that lost its lease (paused, partitioned) and
//! still acts is refused by Redis, not by its own clock. Claims end by release (compare-and-delete on
//! the match), or by expiry when the game server holding the match stops renewing them (it died).
//! Where a Kubernetes Lease elects the leader ([`kubernetes::lease`]), its holder writes that key
//! for its term, with a new epoch, and an older term is refused: the same fence, whoever elects.
//!
//! All keys of a fleet share one hash tag (`{name}:…`), so the scripts also run on a Redis Cluster.

pub mod agones;
pub mod bridge;
pub mod claims;
pub mod drain;
pub mod fallback;
pub mod game;
pub mod handoff;
pub mod http;
pub mod kubernetes;
pub mod leader;
pub mod lobby_fallback;
pub mod matchmaker;
pub mod registry;
pub mod standby;
pub mod tls;

pub use claims::{Claim, MatchRecord};
pub use leader::Epoch;
pub use registry::{Allocation, ServerReport};

use crate::read::redis_link::RedisLink;
use std::sync::Arc;
use std::time::Duration;

/// One fleet's shared state in Redis.
#[derive(Clone, Debug)]
pub struct Fleet {
    link: RedisLink,
    /// `{name}`: the hash tag every key of this fleet starts with.
    prefix: Arc<str>,
}

/// A fleet operation that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("unexpected reply from a fleet script: {0}")]
    Reply(String),
}

impl Fleet {
    /// The fleet `name` on the Redis behind `link` (several fleets may share one Redis).
    pub fn new(link: RedisLink, name: &str) -> Self {
        Self {
            link,
            prefix: format!("{{{name}}}").into(),
        }
    }

    fn link(&self) -> &RedisLink {
        &self.link
    }

    fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// Milliseconds for a script argument (at least 1: Redis refuses a zero expiry).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
