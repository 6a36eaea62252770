//! Where the writer reports what it committed, for whoever keeps a read model of it.

use super::object::ObjectRecord;
use super::record::PlayerRecord;
use bevy_ecs::resource::Resource;
use tokio::sync::mpsc::UnboundedSender;

/// What one shard's transaction committed: player rows and stored objects' rows, as written.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    pub players: Vec<PlayerRecord>,
    pub objects: Vec<ObjectRecord>,
}

/// Where the writer reports committed rows. A subscriber (the read side) inserts it before
/// [`PersistencePlugin`](super::PersistencePlugin) is built; without one, commits are reported to
/// no one.
#[derive(Resource, Debug, Clone)]
pub struct CommitFeed(pub UnboundedSender<Committed>);
