use super::invalid::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[matchmaking]`: skill buckets, widening and timeout. All hot.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchmakingSettings {
    /// Players in one match (2–128).
    pub players_per_match: u32,
    /// Rating points covered by one skill bucket (1–10000).
    pub bucket_width: u32,
    /// Seconds a ticket waits before its search widens by `widen_step_buckets` (1–600).
    pub widen_every_secs: u32,
    /// Buckets added on each side per widening step (1–100).
    pub widen_step_buckets: u32,
    /// Seconds after which an unmatched ticket is dropped and its player told (1–3600).
    pub timeout_secs: u32,
}

impl Default for MatchmakingSettings {
    fn default() -> Self {
        Self {
            players_per_match: 10,
            bucket_width: 100,
            widen_every_secs: 5,
            widen_step_buckets: 1,
            timeout_secs: 60,
        }
    }
}

impl MatchmakingSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        check_range(
            "matchmaking.players_per_match",
            self.players_per_match,
            2..=128,
        )?;
        check_range("matchmaking.bucket_width", self.bucket_width, 1..=10_000)?;
        check_range(
            "matchmaking.widen_every_secs",
            self.widen_every_secs,
            1..=600,
        )?;
        check_range(
            "matchmaking.widen_step_buckets",
            self.widen_step_buckets,
            1..=100,
        )?;
        check_range("matchmaking.timeout_secs", self.timeout_secs, 1..=3600)
    }
}
