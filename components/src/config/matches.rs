use super::invalid::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[matches]`: how a match runs. All hot: a running match follows the new values from the next tick.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchSettings {
    /// Seconds of warm-up after a match forms (0–600): players move, shoot and respawn, but kills do
    /// not count.
    pub warmup_secs: u32,
    /// Seconds a live match lasts at most (10–7200); the team ahead then wins (equal scores: a draw).
    pub time_limit_secs: u32,
    /// Kills that win a match for a team (1–10000).
    pub score_limit: u32,
    /// Seconds a killed player waits before respawning at a spawn point of its team (0–60).
    pub respawn_secs: u32,
}

impl Default for MatchSettings {
    fn default() -> Self {
        Self {
            warmup_secs: 10,
            time_limit_secs: 600,
            score_limit: 50,
            respawn_secs: 3,
        }
    }
}

impl MatchSettings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        check_range("matches.warmup_secs", self.warmup_secs, 0..=600)?;
        check_range("matches.time_limit_secs", self.time_limit_secs, 10..=7200)?;
        check_range("matches.score_limit", self.score_limit, 1..=10_000)?;
        check_range("matches.respawn_secs", self.respawn_secs, 0..=60)
    }
}
