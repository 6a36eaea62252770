//! A player's stored state and the events that change it. The state is a fold of the events: this is
//! the invariant persistence keeps (`players` row = latest snapshot + the events after it).

use super::object::ObjectKey;
use super::part::{PartError, PartState, StoredParts};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use smol_str::SmolStr;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// How a match ended for one player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchOutcome {
    Win,
    Loss,
    Draw,
}

/// Something that happened to a player, in the order it happened. Each event carries what it changes,
/// so folding never needs anything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlayerEvent {
    /// The player's first appearance.
    Registered { name: String },
    /// A match ended: its result, the player's kills and deaths in it, and the rating after it.
    MatchPlayed {
        match_id: u64,
        outcome: MatchOutcome,
        kills: u32,
        deaths: u32,
        rating: f64,
        uncertainty: f64,
    },
    /// The player's share of a transfer between owners (a trade): the whole transfer, of which
    /// the player's own leg is folded into its parts. Its shard's transaction also writes the
    /// transfer's journal row (see [`super::transfer`]). Shared: both sides hold the same one.
    Transfer(Arc<Transfer>),
    /// An event of a feature's part (see [`super::part`]), folded by that part.
    #[serde(untagged)]
    Part(PartEvent),
}

/// Part events of several owners that happen together or not at all: each owner records the whole
/// transfer as one event and folds its own leg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Unique across shards: the first leg's owner and the seq of its transfer event (`7:12`).
    pub id: SmolStr,
    /// Milliseconds since the Unix epoch when it happened: every leg's event is of that time.
    pub at_ms: i64,
    pub legs: Vec<TransferLeg>,
}

/// One owner's part events in a transfer. The owner is a player, or a stored object of kind
/// `object` (a guild): the same id may name both, so the kind is part of who owns a leg.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferLeg {
    pub owner: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub events: Vec<PartEvent>,
}

impl TransferLeg {
    /// A player's leg.
    pub fn player(owner: u64, events: Vec<PartEvent>) -> Self {
        Self {
            owner,
            object: None,
            events,
        }
    }

    /// A stored object's leg.
    pub fn object(key: &ObjectKey, events: Vec<PartEvent>) -> Self {
        Self {
            owner: key.id,
            object: Some(key.kind.clone()),
            events,
        }
    }

    /// The kind of its owner as the journal stores it: `""` for a player, else the object's kind.
    pub fn owner_kind(&self) -> &str {
        self.object.as_deref().unwrap_or("")
    }
}

impl Transfer {
    /// The part events of player `owner`'s leg (none if it has no leg).
    pub fn leg_of(&self, owner: u64) -> impl Iterator<Item = &PartEvent> {
        self.leg_of_kind("", owner)
    }

    /// The part events of object `key`'s leg (none if it has no leg).
    pub fn leg_of_object<'a>(&'a self, key: &'a ObjectKey) -> impl Iterator<Item = &'a PartEvent> {
        self.leg_of_kind(&key.kind, key.id)
    }

    /// The part events of the leg of the owner of kind `kind` (`""`: a player) and id `owner`.
    pub fn leg_of_kind<'a>(
        &'a self,
        kind: &'a str,
        owner: u64,
    ) -> impl Iterator<Item = &'a PartEvent> {
        self.legs
            .iter()
            .filter(move |leg| leg.owner == owner && leg.owner_kind() == kind)
            .flat_map(|leg| &leg.events)
    }
}

/// A part's event as stored: a JSON object whose `type` names it (`item_granted`). One made by
/// [`PartEvent::deferred`] stays typed until its JSON is first needed — by the writer, off the
/// tick.
#[derive(Clone)]
pub struct PartEvent {
    json: OnceLock<Value>,
    typed: Option<Arc<dyn Fn() -> Value + Send + Sync>>,
}

impl PartEvent {
    /// `event` as stored; `None` unless it serializes to an object with a string `type`.
    pub fn new(event: &impl Serialize) -> Result<Self, serde_json::Error> {
        let value = serde_json::to_value(event)?;
        if value.get("type").and_then(Value::as_str).is_none() {
            return Err(serde::ser::Error::custom(
                "a part event must serialize to an object with a string `type` (#[serde(tag = \"type\")])",
            ));
        }
        Ok(Self::stored(value))
    }

    /// `event`, turned into JSON when first needed. For the rules' own tagged events
    /// (`#[serde(tag = "type")]`), which always serialize: the tick pays one allocation, not a
    /// JSON tree. One that would not serialize is stored as `null` and logged.
    pub fn deferred<E: Serialize + Send + Sync + 'static>(event: E) -> Self {
        Self {
            json: OnceLock::new(),
            typed: Some(Arc::new(move || {
                serde_json::to_value(&event).unwrap_or_else(|error| {
                    tracing::error!(%error, "a part event does not serialize; stored as null");
                    Value::Null
                })
            })),
        }
    }

    fn stored(value: Value) -> Self {
        Self {
            json: OnceLock::from(value),
            typed: None,
        }
    }

    pub fn kind(&self) -> &str {
        self.data()
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn data(&self) -> &Value {
        self.json
            .get_or_init(|| self.typed.as_ref().map_or(Value::Null, |json| json()))
    }
}

impl std::fmt::Debug for PartEvent {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_tuple("PartEvent")
            .field(self.data())
            .finish()
    }
}

impl PartialEq for PartEvent {
    fn eq(&self, other: &Self) -> bool {
        self.data() == other.data()
    }
}

impl Serialize for PartEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.data().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PartEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::stored)
    }
}

impl PlayerEvent {
    /// The part events this event folds into player `id`'s parts: itself, or its leg of a
    /// transfer.
    pub fn part_events(&self, id: u64) -> impl Iterator<Item = &PartEvent> {
        let (own, leg) = match self {
            PlayerEvent::Part(event) => (Some(event), None),
            PlayerEvent::Transfer(transfer) => (None, Some(transfer.leg_of(id))),
            PlayerEvent::Registered { .. } | PlayerEvent::MatchPlayed { .. } => (None, None),
        };
        own.into_iter().chain(leg.into_iter().flatten())
    }

    /// The `type` column of `player_events`.
    pub fn kind(&self) -> &str {
        match self {
            PlayerEvent::Registered { .. } => "registered",
            PlayerEvent::MatchPlayed { .. } => "match_played",
            PlayerEvent::Transfer(_) => "transfer",
            PlayerEvent::Part(event) => event.kind(),
        }
    }
}

/// The current state of a player: one row of `players`. `version` is the sequence number of the last
/// event folded into it (0: none), so a newer state always has a higher version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerRecord {
    pub id: u64,
    pub name: String,
    pub rating: f64,
    pub uncertainty: f64,
    pub kills: u64,
    pub deaths: u64,
    pub wins: u64,
    pub losses: u64,
    pub matches: u64,
    pub version: u64,
    /// Milliseconds since the Unix epoch of the last event folded in.
    pub updated_at_ms: i64,
    /// Feature parts by name; a part in its default state is absent. Stored in the parts' own
    /// tables and, as JSON, in snapshots.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, PartState>,
}

impl PlayerRecord {
    /// Its part `P` as stored (the default state when absent), borrowed unless it had to be decoded.
    pub fn part<P: super::StoredPart>(&self) -> Result<Cow<'_, P>, PartError> {
        self.parts
            .get(P::NAME)
            .map_or_else(|| Ok(Cow::Owned(P::default())), PartState::get)
    }

    /// Sets its part `P` (removing it in its default state, which is stored as no rows).
    pub fn set_part<P: super::StoredPart>(&mut self, part: P) {
        match part == P::default() {
            true => self.parts.remove(P::NAME),
            false => self.parts.insert(P::NAME.to_owned(), PartState::new(part)),
        };
    }

    /// A player before any event: the default rating, no history.
    pub fn new(id: u64) -> Self {
        let rating = arbiter_components::matchmaking::Rating::DEFAULT;
        Self {
            id,
            name: String::new(),
            rating: rating.value,
            uncertainty: rating.uncertainty,
            kills: 0,
            deaths: 0,
            wins: 0,
            losses: 0,
            matches: 0,
            version: 0,
            updated_at_ms: 0,
            parts: BTreeMap::new(),
        }
    }

    /// The rating the rules use.
    pub fn skill(&self) -> arbiter_components::matchmaking::Rating {
        arbiter_components::matchmaking::Rating {
            value: self.rating,
            uncertainty: self.uncertainty,
        }
    }

    /// The career the rules show (saturating: the world counts in u32).
    pub fn stats(&self) -> arbiter_components::player::Stats {
        let count = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        arbiter_components::player::Stats {
            kills: count(self.kills),
            deaths: count(self.deaths),
            wins: count(self.wins),
            losses: count(self.losses),
            matches: count(self.matches),
        }
    }

    /// Folds one event, the `seq`-th of this player, that happened at `at_ms`. A part's event only
    /// moves the version here: its part is folded by [`StoredParts`] in [`replay`], and by the
    /// feature's rules in the world.
    pub fn apply(&mut self, seq: u64, at_ms: i64, event: &PlayerEvent) {
        match event {
            PlayerEvent::Part(_) | PlayerEvent::Transfer(_) => {}
            PlayerEvent::Registered { name } => self.name.clone_from(name),
            PlayerEvent::MatchPlayed {
                outcome,
                kills,
                deaths,
                rating,
                uncertainty,
                ..
            } => {
                self.matches += 1;
                match outcome {
                    MatchOutcome::Win => self.wins += 1,
                    MatchOutcome::Loss => self.losses += 1,
                    MatchOutcome::Draw => {}
                }
                self.kills += u64::from(*kills);
                self.deaths += u64::from(*deaths);
                self.rating = *rating;
                self.uncertainty = *uncertainty;
            }
        }
        self.version = seq;
        self.updated_at_ms = at_ms;
    }
}

/// One stored event: `(player_id, seq)` is its key in the append-only `player_events` table.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub player_id: u64,
    pub seq: u64,
    pub at_ms: i64,
    pub event: PlayerEvent,
}

/// Rebuilds a player from a snapshot (or nothing) and the events after it, in sequence order, its
/// parts folded by `parts`.
pub fn replay(
    id: u64,
    snapshot: Option<PlayerRecord>,
    events: &[StoredEvent],
    parts: &StoredParts,
) -> Result<PlayerRecord, PartError> {
    let mut record = snapshot.unwrap_or_else(|| PlayerRecord::new(id));
    parts.check_known(&record.parts)?;
    for stored in events {
        if stored.seq > record.version {
            record.apply(stored.seq, stored.at_ms, &stored.event);
            for event in stored.event.part_events(id) {
                parts.fold(&mut record.parts, event.data())?;
            }
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn played(outcome: MatchOutcome, kills: u32, rating: f64) -> PlayerEvent {
        PlayerEvent::MatchPlayed {
            match_id: 1,
            outcome,
            kills,
            deaths: 1,
            rating,
            uncertainty: 400.0,
        }
    }

    #[test]
    fn folding_events_counts_results_and_keeps_the_latest_rating() {
        let events = [
            PlayerEvent::Registered { name: "ada".into() },
            played(MatchOutcome::Win, 3, 1520.0),
            played(MatchOutcome::Loss, 1, 1505.0),
            played(MatchOutcome::Draw, 2, 1506.0),
        ];
        let stored: Vec<StoredEvent> = events
            .iter()
            .enumerate()
            .map(|(index, event)| StoredEvent {
                player_id: 7,
                seq: index as u64 + 1,
                at_ms: 1000 + index as i64,
                event: event.clone(),
            })
            .collect();
        let parts = StoredParts::default();
        let record = replay(7, None, &stored, &parts).expect("replays");
        assert_eq!(record.name, "ada");
        assert_eq!(
            (
                record.wins,
                record.losses,
                record.matches,
                record.kills,
                record.deaths
            ),
            (1, 1, 3, 6, 3)
        );
        assert_eq!(
            (record.rating, record.version, record.updated_at_ms),
            (1506.0, 4, 1003)
        );

        // From a snapshot at seq 2 plus the events after it: the same state.
        let snapshot = replay(7, None, &stored[..2], &parts).expect("replays");
        assert_eq!(replay(7, Some(snapshot), &stored, &parts), Ok(record));
    }

    #[test]
    fn a_transfer_is_one_event_for_each_owner_that_folds_only_its_own_leg() {
        let leg = |owner: u64, delta: i64| TransferLeg {
            owner,
            object: None,
            events: vec![
                PartEvent::new(&serde_json::json!({ "type": "coins_moved", "delta": delta }))
                    .expect("an object with a type"),
            ],
        };
        let event = PlayerEvent::Transfer(Arc::new(Transfer {
            id: "7:3".into(),
            at_ms: 9,
            legs: vec![leg(7, -5), leg(8, 5)],
        }));
        let json = serde_json::to_string(&event).expect("json");
        assert!(
            json.starts_with(r#"{"type":"transfer","id":"7:3""#),
            "{json}"
        );
        assert_eq!(event.kind(), "transfer");
        assert_eq!(
            serde_json::from_str::<PlayerEvent>(&json).expect("parses"),
            event
        );
        let deltas = |owner| -> Vec<i64> {
            event
                .part_events(owner)
                .map(|part| part.data()["delta"].as_i64().expect("a delta"))
                .collect()
        };
        assert_eq!(
            (deltas(7), deltas(8), deltas(9)),
            (vec![-5], vec![5], vec![])
        );
    }

    #[test]
    fn events_serialize_with_their_type() {
        let json = serde_json::to_string(&played(MatchOutcome::Win, 2, 1510.0)).expect("json");
        assert!(json.starts_with(r#"{"type":"match_played""#), "{json}");
        let back: PlayerEvent = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, played(MatchOutcome::Win, 2, 1510.0));
    }
}
