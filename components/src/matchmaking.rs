//! Matchmaking data: a player's rating, queue tickets, and the matches they become.

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;

/// Skill rating; new players start at [`Rating::DEFAULT`].
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(pub i32);

impl Rating {
    pub const DEFAULT: Rating = Rating(1500);
}

impl Default for Rating {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A request to be matched, as its own entity. `players` holds one player today; it is a list so a
/// party can queue as one ticket (the queue then has to count seats, not tickets).
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub players: Vec<Entity>,
    /// Mean rating of the players.
    pub rating: i32,
    pub mode: u16,
    pub enqueued_tick: u64,
}

/// On a player whose ticket is waiting.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub ticket: Entity,
}

/// The match a player is in (its id). Players with the same id see each other in snapshots.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InMatch(pub u64);

/// A player's team in its match: 0 or 1.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Team(pub u8);

/// Where a match is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchState {
    /// Formed; players are told and join.
    Forming,
    InProgress,
    Ended,
}

/// A match, as its own entity.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub id: u64,
    pub mode: u16,
    pub map: String,
    pub teams: [Vec<Entity>; 2],
    pub state: MatchState,
    pub created_tick: u64,
}
