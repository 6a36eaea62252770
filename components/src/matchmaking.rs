//! Matchmaking data: a player's rating, queue tickets, and the matches they become.

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Skill as a Weng-Lin rating: an estimate and its uncertainty (one standard deviation), on the
/// familiar 1500 scale (Weng-Lin's 25 ± 25/3, times 60). Matchmaking buckets on the estimate.
#[derive(Component, Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub value: f64,
    pub uncertainty: f64,
}

impl Rating {
    pub const DEFAULT: Rating = Rating {
        value: 1500.0,
        uncertainty: 500.0,
    };

    /// A rating with the default uncertainty of a new player.
    pub fn new(value: f64) -> Self {
        Self {
            value,
            ..Self::DEFAULT
        }
    }

    /// The estimate in whole points, as matchmaking and clients see it.
    pub fn points(&self) -> i32 {
        self.value.round() as i32
    }
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
    /// The tick its wait counts from: when it joined, or earlier for players back from a match
    /// that did not happen (they keep the wait they had).
    pub enqueued_tick: u64,
}

/// On a player whose ticket is waiting.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct Queued {
    pub ticket: Entity,
}

/// The match a player is in: a relationship to the match entity, so rules reach the match directly,
/// and bevy removes it from the players when the match entity goes. Players in the same match see
/// each other in snapshots.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[component(storage = "SparseSet")]
#[relationship(relationship_target = MatchPlayers)]
pub struct InMatch(pub Entity);

/// On a match entity: its players, kept in step with their [`InMatch`] by bevy.
#[derive(Component, Debug, Default, PartialEq, Eq)]
#[relationship_target(relationship = InMatch)]
pub struct MatchPlayers(Vec<Entity>);

impl MatchPlayers {
    /// The players in the match now (those who left the server are gone from it).
    pub fn players(&self) -> &[Entity] {
        &self.0
    }
}

/// Present when matches run in other processes (a fleet's matchmaker): formed matches become
/// [`PlacedMatch`]es, handed to a game server, instead of [`Match`]es run here.
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct PlaceMatchesElsewhere;

/// Present while formed matches have nowhere to go (a fleet whose game servers are all full): no
/// match forms before tick `until_tick`, and the tickets keep waiting (and ageing) meanwhile.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchingPaused {
    pub until_tick: u64,
}

/// Present on a fleet's game server: nobody queues there (they queue at the matchmaker).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct QueueClosed;

/// On a match entity formed here for a game server elsewhere: its players are [`InMatch`] with it
/// (so they cannot queue or trade) until they move to that server, or until no server could take
/// the match.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct PlacedMatch {
    pub id: u64,
    pub mode: u16,
    pub map: String,
    pub teams: [Vec<Entity>; 2],
    /// Ticks each player had waited in the queue: should the match not happen, they queue again
    /// with that wait.
    pub waited_ticks: HashMap<Entity, u64>,
}

/// A player's team in its match: 0 or 1.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[component(storage = "SparseSet")]
pub struct Team(pub u8);

/// Where a match is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchState {
    /// Formed; players spawn, move and shoot, but kills do not count.
    Warmup,
    /// Kills count towards the score limit; the clock runs towards the time limit.
    Live,
    /// Decided; its players are back in the lobby and the match entity goes away.
    Ended,
}

impl MatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchState::Warmup => "warmup",
            MatchState::Live => "live",
            MatchState::Ended => "ended",
        }
    }
}

/// A match, as its own entity.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub id: u64,
    pub mode: u16,
    pub map: String,
    pub teams: [Vec<Entity>; 2],
    pub state: MatchState,
    /// Tick the match entered its current state.
    pub state_since_tick: u64,
    /// Kills per team while live.
    pub scores: [u32; 2],
    pub created_tick: u64,
}

impl Match {
    /// A match that starts its warm-up at `tick`.
    pub fn new(id: u64, mode: u16, map: String, teams: [Vec<Entity>; 2], tick: u64) -> Self {
        Self {
            id,
            mode,
            map,
            teams,
            state: MatchState::Warmup,
            state_since_tick: tick,
            scores: [0, 0],
            created_tick: tick,
        }
    }

    /// The team ahead, or `None` on equal scores.
    pub fn leader(&self) -> Option<u8> {
        match self.scores[0].cmp(&self.scores[1]) {
            core::cmp::Ordering::Greater => Some(0),
            core::cmp::Ordering::Less => Some(1),
            core::cmp::Ordering::Equal => None,
        }
    }
}
