//! Completing transfers across shards without two-phase commit. Each owner's shard writes its leg
//! (the transfer event, folded into its parts) and the transfer's journal row in one transaction,
//! and the world settles a transfer only when its players have nothing else waiting for the
//! database. So after a crash between two shards' commits, a player's stored state is either
//! after its leg or exactly before it, and a leg missing on one shard is written there from the
//! journal row found on another: rolled forward, never back. A stored object (a guild) may take a
//! leg over its own legs still in flight, only where its feature has made sure the leg folds the
//! same whichever of those are missing and in whatever order they are written here (see
//! `guild::legs_in_flight`). Writing a leg is idempotent (a leg already stored is skipped), so
//! this may stop anywhere and run again.

use super::objects::load_shard_objects;
use super::{Store, load_shard};
use crate::persistence::batch::ShardBatch;
use crate::persistence::error::StoreError;
use crate::persistence::object::{
    ObjectChange, ObjectEvent, ObjectKey, ObjectRecord, replay_object,
};
use crate::persistence::record::{PlayerEvent, StoredEvent, Transfer, TransferLeg, replay};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What completing the open transfers did.
#[derive(Debug, Default)]
pub struct RolledForward {
    /// Open transfers found, each once however many shards hold it.
    pub open: u64,
    /// Legs that were missing and are now written.
    pub legs_written: u64,
    /// Transfers left open (a shard unreachable, a leg's owner stored nowhere), with why: they are
    /// tried again at the next run.
    pub left_open: Vec<(String, StoreError)>,
}

impl Store {
    /// Writes every missing leg of every transfer not yet known complete, then marks it complete on
    /// each of its shards. Run it before players can log in: a player whose leg is missing must
    /// not be loaded without it.
    pub async fn complete_transfers(&self) -> RolledForward {
        let mut done = RolledForward::default();
        let mut open: BTreeMap<String, Transfer> = BTreeMap::new();
        for (shard, backend) in self.shards.iter().enumerate() {
            match backend.transfer_rows(true).await {
                Ok(rows) => open.extend(
                    rows.into_iter()
                        .map(|(_, transfer)| (transfer.id.to_string(), transfer)),
                ),
                Err(source) => done.left_open.push((
                    format!("shard {shard}"),
                    StoreError::Query { shard, source },
                )),
            }
        }
        done.open = open.len() as u64;
        for (id, transfer) in open {
            match self.complete_transfer(&transfer).await {
                Ok(written) => done.legs_written += written,
                Err(error) => done.left_open.push((id, error)),
            }
        }
        done
    }

    /// Transfers stored on some of their legs' shards but not all (with the owners whose leg is
    /// missing, as `kind:id` for an object's and the id for a player's): after
    /// [`Store::complete_transfers`] there are none. For `arbiter verify`.
    pub async fn half_written_transfers(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let mut held: BTreeSet<(String, (String, u64))> = BTreeSet::new();
        let mut transfers: BTreeMap<String, Transfer> = BTreeMap::new();
        for (shard, backend) in self.shards.iter().enumerate() {
            for (owner, transfer) in backend
                .transfer_rows(false)
                .await
                .map_err(StoreError::query(shard))?
            {
                held.insert((transfer.id.to_string(), owner));
                transfers.insert(transfer.id.to_string(), transfer);
            }
        }
        Ok(transfers
            .into_iter()
            .filter_map(|(id, transfer)| {
                let missing: Vec<String> = transfer
                    .legs
                    .iter()
                    .filter(|leg| {
                        let owner = (leg.owner_kind().to_owned(), leg.owner);
                        !held.contains(&(id.clone(), owner))
                    })
                    .map(|leg| match &leg.object {
                        Some(kind) => ObjectKey::new(kind.as_str(), leg.owner).to_string(),
                        None => leg.owner.to_string(),
                    })
                    .collect();
                (!missing.is_empty()).then_some((id, missing))
            })
            .collect())
    }

    /// Writes the legs of `transfer` missing from their shards; returns how many.
    async fn complete_transfer(&self, transfer: &Transfer) -> Result<u64, StoreError> {
        let mut written = 0;
        let mut shards = BTreeSet::new();
        for leg in &transfer.legs {
            let shard = self.shard_of(leg.owner);
            shards.insert(shard);
            let held = self.shards[shard]
                .holds_transfer_leg(&transfer.id, leg.owner_kind(), leg.owner)
                .await
                .map_err(StoreError::query(shard))?;
            if !held {
                match &leg.object {
                    None => self.write_leg(shard, leg.owner, transfer).await?,
                    Some(_) => self.write_object_leg(shard, leg, transfer).await?,
                }
                written += 1;
            }
        }
        for shard in shards {
            self.shards[shard]
                .complete_transfer(&transfer.id)
                .await
                .map_err(StoreError::query(shard))?;
        }
        Ok(written)
    }

    /// Appends the transfer event to `owner`'s stored log and folds its leg into the owner's
    /// stored state, in one transaction on its shard.
    async fn write_leg(
        &self,
        shard: usize,
        owner: u64,
        transfer: &Transfer,
    ) -> Result<(), StoreError> {
        let backend = &self.shards[shard];
        let Some(stored) = load_shard(backend, &self.parts, shard, &[owner])
            .await?
            .pop()
        else {
            return Err(StoreError::Corrupt {
                shard,
                player_id: owner,
                problem: format!(
                    "transfer {} names it, but it is stored nowhere",
                    transfer.id
                ),
            });
        };
        let event = StoredEvent {
            player_id: owner,
            seq: stored.version + 1,
            at_ms: transfer.at_ms,
            event: PlayerEvent::Transfer(Arc::new(transfer.clone())),
        };
        let record = replay(
            owner,
            Some(stored),
            std::slice::from_ref(&event),
            &self.parts,
        )
        .map_err(|source| StoreError::Part { shard, source })?;
        let batch = ShardBatch {
            players: vec![record],
            events: vec![event],
            ..ShardBatch::default()
        };
        self.write(shard, &batch).await.map(drop)
    }

    /// Appends the transfer event to the object's stored log and folds its leg into the object's
    /// stored state, in one transaction on its shard. An object stored nowhere starts from its
    /// default state: a guild's first event may be its share of a transfer.
    async fn write_object_leg(
        &self,
        shard: usize,
        leg: &TransferLeg,
        transfer: &Transfer,
    ) -> Result<(), StoreError> {
        let key = ObjectKey::new(leg.owner_kind(), leg.owner);
        let backend = &self.shards[shard];
        let stored = load_shard_objects(backend, &self.objects, shard, vec![key.clone()])
            .await?
            .pop()
            .unwrap_or_else(|| ObjectRecord::new(key.clone()));
        let event = ObjectEvent {
            key: key.clone(),
            seq: stored.version + 1,
            at_ms: transfer.at_ms,
            event: ObjectChange::Transfer(Arc::new(transfer.clone())),
        };
        let record = replay_object(
            &key,
            Some(stored),
            std::slice::from_ref(&event),
            &self.objects,
        )
        .map_err(|source| StoreError::Part { shard, source })?;
        let batch = ShardBatch {
            objects: vec![record],
            object_events: vec![event],
            ..ShardBatch::default()
        };
        self.write(shard, &batch).await.map(drop)
    }
}
