//! What happened in matches, as ECS messages: metrics count them and persistence stores them.

use crate::matchmaking::Rating;
use crate::protocol::ScoreLine;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;

/// A hit took a player's last hit points.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayerKilled {
    pub match_id: u64,
    pub killer: Entity,
    pub victim: Entity,
    pub weapon: u8,
    /// Whether the kill counted for score and stats (the match was live, not in warm-up).
    pub counted: bool,
}

/// A match was decided.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct MatchCompleted {
    pub match_id: u64,
    pub mode: u16,
    pub map: String,
    /// The winning team, `None` for a draw.
    pub winner: Option<u8>,
    pub scores: [u32; 2],
    /// Ticks from going live to the end.
    pub live_ticks: u64,
    /// Every player still on the roster at the end.
    pub scoreboard: Vec<ScoreLine>,
}

/// A player's rating moved because of a match result.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct RatingChanged {
    pub player: Entity,
    pub player_id: u64,
    pub match_id: u64,
    pub before: Rating,
    pub after: Rating,
}
