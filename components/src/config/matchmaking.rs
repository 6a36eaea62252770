use super::invalid::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[matchmaking]`: skill buckets, widening, timeout and parties. All hot: applied to waiting tickets at the
/// next tick.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchmakingSettings {
    /// Players in one match (2–128).
    pub match_size: u32,
    /// Rating points covered by one skill bucket (1–10000).
    pub bucket_width: u32,
    /// A waiting ticket's search radius grows by one bucket every this many seconds (1–600) ...
    pub expand_every_secs: u32,
    /// ... up to this many buckets on each side (0–1000).
    pub max_radius: u32,
    /// Seconds after which an unmatched ticket is dropped and its player told (1–3600).
    pub timeout_secs: u32,
    /// The wait a ticket should find its match within (0–3600; 0: off): where too few players
    /// arrive around a rating to fill a match in that time, its tickets widen faster.
    pub target_wait_secs: u32,
    /// Maps new matches are played on, in rotation.
    pub maps: Vec<String>,
    /// Seconds a party invitation waits for its answer (10–3600).
    pub party_invite_secs: u32,
    /// A party queues at its members' mean rating plus this times the gap between its best and
    /// worst member (0–2).
    pub party_spread_penalty: f64,
}

impl Default for MatchmakingSettings {
    fn default() -> Self {
        Self {
            match_size: 10,
            bucket_width: 100,
            expand_every_secs: 5,
            max_radius: 10,
            timeout_secs: 60,
            target_wait_secs: 10,
            maps: vec!["arena".into()],
            party_invite_secs: 60,
            party_spread_penalty: 0.25,
        }
    }
}

impl MatchmakingSettings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        check_range("matchmaking.match_size", self.match_size, 2..=128)?;
        check_range("matchmaking.bucket_width", self.bucket_width, 1..=10_000)?;
        check_range(
            "matchmaking.expand_every_secs",
            self.expand_every_secs,
            1..=600,
        )?;
        check_range("matchmaking.max_radius", self.max_radius, 0..=1000)?;
        check_range("matchmaking.timeout_secs", self.timeout_secs, 1..=3600)?;
        check_range(
            "matchmaking.target_wait_secs",
            self.target_wait_secs,
            0..=3600,
        )?;
        check_range(
            "matchmaking.party_invite_secs",
            self.party_invite_secs,
            10..=3600,
        )?;
        if !(0.0..=2.0).contains(&self.party_spread_penalty) {
            return Err(InvalidSetting::new(
                "matchmaking.party_spread_penalty",
                "must be between 0 and 2",
            ));
        }
        if self.maps.is_empty() || self.maps.iter().any(String::is_empty) {
            return Err(InvalidSetting::new(
                "matchmaking.maps",
                "needs at least one map, and no empty names",
            ));
        }
        Ok(())
    }
}
