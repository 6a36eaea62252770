//! Trades in doubt: settled in the world, with one side's transfer event or both not yet stored.
//! A crash now would leave them for the roll-forward at the next start. Counted for operators
//! (`arbiter_trades_in_doubt`); the fence already keeps a player in doubt out of its next trade.

use crate::persistence::Progress;
use crate::telemetry::metrics::TRADES_IN_DOUBT;
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Query, ResMut};

/// Each settled trade's players and the version its transfer event has in each one's log.
#[derive(Resource, Debug, Default)]
pub struct TradesInDoubt(Vec<[(Entity, u64); 2]>);

impl TradesInDoubt {
    pub(crate) fn settled(&mut self, sides: [(Entity, u64); 2]) {
        self.0.push(sides);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Forgets the trades both of whose sides are stored (a side whose entity is gone was stored:
/// a player leaves only once durable), and sets the gauge.
pub fn count_trades_in_doubt(mut in_doubt: ResMut<TradesInDoubt>, progress: Query<&Progress>) {
    in_doubt.0.retain(|sides| {
        sides.iter().any(|(player, version)| {
            progress
                .get(*player)
                .is_ok_and(|progress| !progress.is_durable_at(*version))
        })
    });
    metrics::gauge!(TRADES_IN_DOUBT).set(in_doubt.0.len() as f64);
}
