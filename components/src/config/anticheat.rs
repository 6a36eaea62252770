use super::invalid::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[anticheat]`: limits a shot must respect to be accepted. All hot.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnticheatSettings {
    /// Most shots per second a player can fire with any weapon (0.1–100).
    pub max_fire_rate_hz: f32,
    /// Longest accepted shot, in metres (1–100000).
    pub max_shot_range_m: f32,
    /// How far back lag compensation may rewind the world for a shot, in milliseconds (0–2000); also
    /// the length of each player's position history.
    pub max_rewind_ms: u32,
    /// How far behind the newest snapshot clients render, in milliseconds (0–500): a shot's claimed
    /// tick is expected to be round trip + this much old.
    pub interp_delay_ms: u32,
    /// How far a claimed tick may be from that expectation, in milliseconds (0–1000).
    pub claim_tolerance_ms: u32,
    /// A player's suspicion score halves every this many seconds (1–3600).
    pub score_half_life_secs: u32,
    /// Score at which a player is logged and counted as suspicious (0.1–10000) ...
    pub warn_score: f32,
    /// ... flagged with the evidence for review (0.1–10000) ...
    pub flag_score: f32,
    /// ... and kicked (0.1–10000).
    pub kick_score: f32,
    /// Aim statistics: a hit on an opponent that came into sight less than this many milliseconds
    /// before the claimed tick is an instant reaction, beyond human (0–1000; 0 counts none).
    pub aim_min_reaction_ms: u32,
    /// Hits kept per player for the aim statistics (2–1000).
    pub aim_window_hits: u32,
    /// Instant reactions among those hits that flag the player for review (1–1000).
    pub aim_instant_hits: u32,
    /// A hit whose aim offset (from the line to the opponent's chest) is below this many radians
    /// is dead-centre, beyond human hands (0–0.1; 0 counts none) ...
    pub aim_precision_rad: f32,
    /// ... and this many dead-centre hits among the window flag the player for review (1–1000).
    pub aim_precise_hits: u32,
}

impl Default for AnticheatSettings {
    fn default() -> Self {
        Self {
            max_fire_rate_hz: 10.0,
            max_shot_range_m: 1000.0,
            max_rewind_ms: 700,
            interp_delay_ms: 100,
            claim_tolerance_ms: 200,
            score_half_life_secs: 30,
            warn_score: 5.0,
            flag_score: 10.0,
            kick_score: 20.0,
            aim_min_reaction_ms: 120,
            aim_window_hits: 10,
            aim_instant_hits: 3,
            aim_precision_rad: 0.00002,
            aim_precise_hits: 2,
        }
    }
}

impl AnticheatSettings {
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        check_range(
            "anticheat.max_fire_rate_hz",
            self.max_fire_rate_hz,
            0.1..=100.0,
        )?;
        check_range(
            "anticheat.max_shot_range_m",
            self.max_shot_range_m,
            1.0..=100_000.0,
        )?;
        check_range("anticheat.max_rewind_ms", self.max_rewind_ms, 0..=2000)?;
        check_range("anticheat.interp_delay_ms", self.interp_delay_ms, 0..=500)?;
        check_range(
            "anticheat.claim_tolerance_ms",
            self.claim_tolerance_ms,
            0..=1000,
        )?;
        check_range(
            "anticheat.aim_min_reaction_ms",
            self.aim_min_reaction_ms,
            0..=1000,
        )?;
        check_range("anticheat.aim_window_hits", self.aim_window_hits, 2..=1000)?;
        check_range(
            "anticheat.aim_instant_hits",
            self.aim_instant_hits,
            1..=1000,
        )?;
        check_range(
            "anticheat.aim_precision_rad",
            self.aim_precision_rad,
            0.0..=0.1,
        )?;
        check_range(
            "anticheat.aim_precise_hits",
            self.aim_precise_hits,
            1..=1000,
        )
    }
}
