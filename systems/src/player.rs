//! A new player entity: everything the rules expect a player to carry.

use crate::anticheat::Suspicion;
use crate::shots::FireState;
use arbiter_components::history::PositionHistory;
use arbiter_components::input::{InputBuffer, InputCadenceAnomalies};
use arbiter_components::kinematics::{MoveIntent, Position, Velocity};
use arbiter_components::matchmaking::Rating;
use arbiter_components::player::{Aim, Health, PlayerId, Stats};
use bevy_ecs::bundle::Bundle;

/// The components of a player in the lobby with a fresh career. Network sessions and persistence add
/// their own; a loaded player's rating and stats replace the defaults.
pub fn new_player(id: PlayerId) -> impl Bundle {
    (
        id,
        (
            InputBuffer::default(),
            InputCadenceAnomalies::default(),
            MoveIntent::default(),
            Aim::default(),
        ),
        (
            Position::default(),
            Velocity::default(),
            PositionHistory::default(),
            Health::default(),
        ),
        (Rating::default(), Stats::default()),
        (FireState::default(), Suspicion::default()),
    )
}
