//! Each player belongs to at most one match: a claim in Redis, made by the leading matchmaker for all
//! of a match's players at once, kept alive by the game server that runs the match, and released
//! when it ends. A claim that is not renewed lapses — the player did not arrive in time, or the game
//! server died — and the player can be matched again.

use super::{Epoch, Fleet, FleetError, millis};
use redis::Script;
use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

static CLAIM: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/claim.lua")));
static HOLD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("scripts/hold.lua")));
static RELEASE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/release.lua")));

/// Where a claimed match runs and who plays it: how a player who dropped is sent back to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MatchRecord {
    pub address: std::net::SocketAddr,
    pub mode: u16,
    pub map: String,
    /// Player ids of team 0, then team 1.
    pub teams: [Vec<u64>; 2],
    /// How long each player had queued, in ms (by player id): kept should the match not happen.
    #[serde(default)]
    pub waited_ms: HashMap<u64, u32>,
}

impl MatchRecord {
    /// How long `player` had queued for this match, in ms.
    pub fn waited_ms_of(&self, player: u64) -> u32 {
        self.waited_ms.get(&player).copied().unwrap_or(0)
    }
}

/// What a claim for a match's players came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Every player is now held for the match.
    Claimed,
    /// The epoch is not the current leader's: this matchmaker no longer leads. Nothing was claimed.
    Fenced,
    /// `player` is held for `match_id`. Nothing was claimed.
    Taken { player: u64, match_id: u64 },
}

impl Fleet {
    /// Claims all of `players` for `match_id` or none of them, as the leader of `epoch`, for `ttl`
    /// (the time they have to reach the game server, which then keeps the claims alive), and
    /// stores the match's `record` as long.
    pub async fn claim(
        &self,
        epoch: Epoch,
        match_id: u64,
        players: &[u64],
        record: Option<&MatchRecord>,
        ttl: Duration,
    ) -> Result<Claim, FleetError> {
        let record = record
            .map(serde_json::to_string)
            .transpose()
            .map_err(|error| FleetError::Reply(error.to_string()))?;
        let mut invocation = CLAIM.prepare_invoke();
        invocation
            .arg(self.prefix())
            .arg(epoch.0)
            .arg(match_id)
            .arg(millis(ttl))
            .arg(record.unwrap_or_default());
        for player in players {
            invocation.arg(player);
        }
        let reply: Vec<String> = self.link().script(&invocation).await?;
        match reply.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["claimed"] => Ok(Claim::Claimed),
            ["fenced", _] => Ok(Claim::Fenced),
            ["taken", player, match_id] => Ok(Claim::Taken {
                player: number(player)?,
                match_id: number(match_id)?,
            }),
            _ => Err(FleetError::Reply(format!("claim: {reply:?}"))),
        }
    }

    /// Renews the claims of `match_id` on `players` for `ttl`; returns the players whose claim no
    /// longer names the match (it lapsed), whom the match must let go without writing for them.
    pub async fn hold(
        &self,
        match_id: u64,
        players: &[u64],
        ttl: Duration,
    ) -> Result<Vec<u64>, FleetError> {
        let mut invocation = HOLD.prepare_invoke();
        invocation.arg(self.prefix()).arg(match_id).arg(millis(ttl));
        for player in players {
            invocation.arg(player);
        }
        let lost: Vec<String> = self.link().script(&invocation).await?;
        lost.iter().map(|player| number(player)).collect()
    }

    /// Releases the claims that still name `match_id`; returns how many there were.
    pub async fn release(&self, match_id: u64, players: &[u64]) -> Result<u32, FleetError> {
        let mut invocation = RELEASE.prepare_invoke();
        invocation.arg(self.prefix()).arg(match_id);
        for player in players {
            invocation.arg(player);
        }
        Ok(self.link().script(&invocation).await?)
    }

    /// The record of a claimed match, while its game server keeps it alive.
    pub async fn match_record(&self, match_id: u64) -> Result<Option<MatchRecord>, FleetError> {
        let record: Option<String> = self
            .link()
            .command(redis::cmd("GET").arg(format!("{}:match:{match_id}", self.prefix())))
            .await?;
        record
            .map(|record| {
                serde_json::from_str(&record).map_err(|error| FleetError::Reply(error.to_string()))
            })
            .transpose()
    }

    /// The match holding `player`, if any.
    pub async fn claim_of(&self, player: u64) -> Result<Option<u64>, FleetError> {
        let held: Option<String> = self
            .link()
            .command(redis::cmd("GET").arg(format!("{}:claim:{player}", self.prefix())))
            .await?;
        held.map(|held| {
            let match_id = held.split(' ').next().unwrap_or_default();
            number(match_id)
        })
        .transpose()
    }
}

fn number(text: &str) -> Result<u64, FleetError> {
    text.parse()
        .map_err(|_| FleetError::Reply(format!("not a number: {text:?}")))
}
