//! The keys of the operator grants a player has received, stored as a part of the player: a grant
//! is applied once, and its claim is written in the same transaction as its item's event.

use crate::persistence::part::{Column, ColumnKind, Row, SqlValue, TableSpec};
use crate::persistence::{Progress, StoredPart, now_ms};
use bevy_ecs::component::Component;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Grant keys a player has received.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantClaims {
    keys: BTreeSet<String>,
}

/// A grant applied to the player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GrantClaimEvent {
    GrantClaimed { key: String },
}

/// Claim keys the server itself uses; operators' idempotency keys may not start with it.
pub const RESERVED_CLAIM_PREFIX: &str = "arbiter:";

impl GrantClaims {
    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }

    /// Claims `key` and records the claim on the player's log, to be written with what it gave.
    pub(super) fn claim(&mut self, key: &str, progress: &mut Progress) {
        let claimed = GrantClaimEvent::GrantClaimed {
            key: key.to_owned(),
        };
        StoredPart::apply(self, &claimed);
        if let Err(error) = progress.record_part_event::<GrantClaims>(&claimed, now_ms()) {
            tracing::error!(%error, "a grant claim does not serialize; not recorded");
        }
    }
}

impl StoredPart for GrantClaims {
    const NAME: &'static str = "grant_claims";
    const TABLE: TableSpec = TableSpec {
        name: "grant_claims",
        columns: &[Column {
            name: "key",
            kind: ColumnKind::Text,
        }],
        key_columns: 1,
    };
    const EVENTS: &'static [&'static str] = &["grant_claimed"];
    type Event = GrantClaimEvent;

    fn apply(&mut self, GrantClaimEvent::GrantClaimed { key }: &GrantClaimEvent) {
        self.keys.insert(key.clone());
    }

    fn to_rows(&self) -> Vec<Row> {
        self.keys
            .iter()
            .map(|key| vec![SqlValue::Text(key.clone())])
            .collect()
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let mut keys = BTreeSet::new();
        for row in rows {
            let [key] = row.as_slice() else {
                return Err(format!("a grant claim row has {} values", row.len()));
            };
            keys.insert(key.as_str()?.to_owned());
        }
        Ok(Self { keys })
    }
}
