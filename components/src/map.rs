//! A map as data: static boxes, spawn points per team, bounds. Geometry queries live in
//! `arbiter_systems::map`; reading the files lives in the server shell.

use bevy_math::Vec3;
use serde::{Deserialize, Serialize};

/// An axis-aligned box, in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapBox {
    pub min: Vec3,
    pub max: Vec3,
}

/// Where a player of `team` (0 or 1) appears at the start of a match and after dying.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpawnPoint {
    pub team: u8,
    pub position: Vec3,
}

/// A map file: `assets/maps/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapDefinition {
    pub name: String,
    /// Nothing may leave this box.
    pub bounds: MapBox,
    pub spawns: Vec<SpawnPoint>,
    /// Walls, floors and cover.
    #[serde(default)]
    pub boxes: Vec<MapBox>,
}

/// Why a map definition cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMap {
    #[error("map {map}: box {index} has min above max on some axis")]
    InvertedBox { map: String, index: usize },
    #[error("map {map}: the bounds have min above max on some axis")]
    InvertedBounds { map: String },
    #[error("map {map}: team {team} has no spawn point")]
    MissingSpawn { map: String, team: u8 },
    #[error("map {map}: spawn point {index} is outside the bounds or inside a box")]
    BadSpawn { map: String, index: usize },
}

impl MapBox {
    fn is_ordered(&self) -> bool {
        self.min.cmple(self.max).all()
    }

    /// Whether `point` lies inside (or on the surface of) the box.
    pub fn contains(&self, point: Vec3) -> bool {
        point.cmpge(self.min).all() && point.cmple(self.max).all()
    }
}

impl MapDefinition {
    /// Checks what the geometry code relies on: ordered boxes, both teams can spawn, and every spawn
    /// point is inside the bounds and not inside a wall.
    pub fn validate(&self) -> Result<(), InvalidMap> {
        let map = || self.name.clone();
        if !self.bounds.is_ordered() {
            return Err(InvalidMap::InvertedBounds { map: map() });
        }
        if let Some(index) = self.boxes.iter().position(|wall| !wall.is_ordered()) {
            return Err(InvalidMap::InvertedBox { map: map(), index });
        }
        for team in 0..2 {
            if !self.spawns.iter().any(|spawn| spawn.team == team) {
                return Err(InvalidMap::MissingSpawn { map: map(), team });
            }
        }
        let bad_spawn = self.spawns.iter().position(|spawn| {
            !self.bounds.contains(spawn.position)
                || self.boxes.iter().any(|wall| wall.contains(spawn.position))
        });
        match bad_spawn {
            Some(index) => Err(InvalidMap::BadSpawn { map: map(), index }),
            None => Ok(()),
        }
    }
}
