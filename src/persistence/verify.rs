//! Checks the invariant: for every player (and every stored object), the latest snapshot with the
//! events after it folded on gives exactly its stored row.

use super::error::StoreError;
use super::object::{ObjectKey, ObjectRecord};
use super::record::PlayerRecord;
use super::store::Store;

/// A player whose stored row is not what its history replays to.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub player_id: u64,
    /// `None`: events exist but the row does not.
    pub row: Option<PlayerRecord>,
    pub replayed: PlayerRecord,
}

/// Checks `ids` one by one; the first database error stops the check.
pub async fn verify_players(store: &Store, ids: &[u64]) -> Result<Vec<Mismatch>, StoreError> {
    let mut mismatches = Vec::new();
    for id in ids {
        let history = store.history(*id).await?;
        if history.row.as_ref() != Some(&history.replayed) {
            mismatches.push(Mismatch {
                player_id: *id,
                row: history.row,
                replayed: history.replayed,
            });
        }
    }
    Ok(mismatches)
}

/// An object whose stored head and rows are not what its history replays to.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMismatch {
    pub key: ObjectKey,
    /// `None`: events exist but the head does not.
    pub row: Option<ObjectRecord>,
    pub replayed: ObjectRecord,
}

/// Checks `keys` one by one; the first database error stops the check.
pub async fn verify_objects(
    store: &Store,
    keys: &[ObjectKey],
) -> Result<Vec<ObjectMismatch>, StoreError> {
    let mut mismatches = Vec::new();
    for key in keys {
        let history = store.object_history(key).await?;
        if history.row.as_ref() != Some(&history.replayed) {
            mismatches.push(ObjectMismatch {
                key: key.clone(),
                row: history.row,
                replayed: history.replayed,
            });
        }
    }
    Ok(mismatches)
}
