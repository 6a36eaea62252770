//! Facts matchmaking reports, for metrics and for other rules.

use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;

/// A match was formed this tick.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct MatchFormed {
    pub match_entity: Entity,
    pub match_id: u64,
    /// How long each ticket waited, in ticks.
    pub waits_ticks: Vec<u64>,
    /// Players on each ticket: 1, or a party's size.
    pub ticket_seats: Vec<u32>,
    /// Highest minus lowest ticket rating.
    pub rating_span: i32,
    /// |mean rating of team 0 − mean rating of team 1|.
    pub team_imbalance: f64,
}

/// A ticket waited longer than the timeout and was removed.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketTimedOut {
    pub ticket: Entity,
    pub wait_ticks: u64,
}
