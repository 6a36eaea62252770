//! Where the writer reports what it committed, for whoever keeps a read model of it.

use super::record::PlayerRecord;
use bevy_ecs::resource::Resource;
use tokio::sync::mpsc::UnboundedSender;

/// Where the writer reports committed player rows. A subscriber (the read side) inserts it before
/// [`PersistencePlugin`](super::PersistencePlugin) is built; without one, commits are reported to
/// no one.
#[derive(Resource, Debug, Clone)]
pub struct CommitFeed(pub UnboundedSender<Vec<PlayerRecord>>);
