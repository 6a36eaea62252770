//! What every player entity carries, connected or not.

use bevy_ecs::component::Component;
use serde::{Deserialize, Serialize};

/// The player's account id: stable across connections, carried in the signed connect token.
#[derive(
    Component, Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct PlayerId(pub u64);

/// Where the player looks, in radians.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Aim {
    pub yaw: f32,
    pub pitch: f32,
}

/// Hit points; the player is alive while above zero.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health(pub u16);

impl Health {
    pub const FULL: Health = Health(100);

    pub fn is_alive(self) -> bool {
        self.0 > 0
    }
}

impl Default for Health {
    fn default() -> Self {
        Self::FULL
    }
}

/// A player's career: what persistence stores and profiles show.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub kills: u32,
    pub deaths: u32,
    pub wins: u32,
    pub losses: u32,
    /// Matches finished, draws included.
    pub matches: u32,
}

/// Kills and deaths in the current match, for its scoreboard.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchTally {
    pub kills: u32,
    pub deaths: u32,
}

/// On a dead player: it died at `died_at_tick` and comes back at a spawn point at `at_tick`.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct Respawning {
    pub died_at_tick: u64,
    pub at_tick: u64,
}

/// On a player back in the lobby: the tick its last match ended. Shots it fired before then that
/// arrive late are misses, not cheats.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct LeftMatch {
    pub at_tick: u64,
}

/// On a player kicked by anti-cheat, while its entity lives (a reconnect resumes it marked): it
/// earns nothing from the matches it is still on the roster of.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct ForfeitsRewards;

/// On a player whose stored progress is still being loaded: its rating and stats are not known yet,
/// so it cannot queue. The tick never waits for the load.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct Loading;
