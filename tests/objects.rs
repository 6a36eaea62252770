//! Stored objects — data that belongs to no player — with a small real kind: a roster of members, in a
//! table of its own on the shard of the roster's id. Written with the same guarantees as players
//! (version-guarded rows, events once each, snapshots), loaded by key, replayed, verified and moved
//! by rebalance — on SQLite and PostgreSQL — and written behind the tick from an object entity.

use arbiter::persistence::object::{ObjectChange, ObjectEvent};
use arbiter::persistence::part::{Column, ColumnKind, PartState, Row, SqlValue, TableSpec};
use arbiter::persistence::{
    ObjectJournal, ObjectKey, ObjectRecord, PartEvent, PersistStats, ShardBatch, Store, StoredPart,
    StoredParts, verify_objects,
};
use arbiter::settings::ServerConfig;
use arbiter_testing::databases::{on_postgres, on_sqlite, runtime, sqlite_shards};
use arbiter_testing::persisted_app::{persisted_app, step_until};
use bevy_app::App;
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who belongs to a roster, and in which role.
#[derive(Component, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Roster {
    members: BTreeMap<i64, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum RosterEvent {
    MemberJoined { player: i64, role: String },
    MemberLeft { player: i64 },
}

impl StoredPart for Roster {
    const NAME: &'static str = "roster";
    const TABLE: TableSpec = TableSpec {
        name: "test_roster_members",
        columns: &[
            Column {
                name: "member",
                kind: ColumnKind::Integer,
            },
            Column {
                name: "role",
                kind: ColumnKind::Text,
            },
        ],
        key_columns: 1,
    };
    const EVENTS: &'static [&'static str] = &["member_joined", "member_left"];
    type Event = RosterEvent;

    fn apply(&mut self, event: &RosterEvent) {
        match event {
            RosterEvent::MemberJoined { player, role } => {
                self.members.insert(*player, role.clone());
            }
            RosterEvent::MemberLeft { player } => {
                self.members.remove(player);
            }
        }
    }

    fn to_rows(&self) -> Vec<Row> {
        self.members
            .iter()
            .map(|(member, role)| vec![SqlValue::Integer(*member), SqlValue::Text(role.clone())])
            .collect()
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let mut members = BTreeMap::new();
        for row in rows {
            let [member, role] = row.as_slice() else {
                return Err(format!("a member row has {} values", row.len()));
            };
            members.insert(member.as_i64()?, role.as_str()?.to_owned());
        }
        Ok(Self { members })
    }
}

fn kinds() -> StoredParts {
    StoredParts::default().with::<Roster>()
}

fn joined(player: i64, role: &str) -> RosterEvent {
    RosterEvent::MemberJoined {
        player,
        role: role.into(),
    }
}

/// A roster as the world keeps it: its state and its head, each change an event.
struct StoredRoster {
    head: ObjectRecord,
    roster: Roster,
    events: Vec<ObjectEvent>,
}

impl StoredRoster {
    fn new(id: u64) -> Self {
        Self {
            head: ObjectRecord::new(ObjectKey::new("roster", id)),
            roster: Roster::default(),
            events: Vec::new(),
        }
    }

    fn happen(&mut self, event: RosterEvent) {
        self.roster.apply(&event);
        let seq = self.head.version + 1;
        let at_ms = 1_700_000_000_000 + seq as i64;
        self.head.version = seq;
        self.head.updated_at_ms = at_ms;
        self.events.push(ObjectEvent {
            key: self.head.key.clone(),
            seq,
            at_ms,
            event: ObjectChange::Part(PartEvent::new(&event).expect("a roster event serializes")),
        });
    }

    /// The record as the writer stores it.
    fn stored(&self) -> ObjectRecord {
        ObjectRecord {
            state: (self.roster != Roster::default()).then(|| PartState::new(self.roster.clone())),
            ..self.head.clone()
        }
    }

    /// Everything since the last write, as one batch.
    fn batch(&mut self, snapshot: bool) -> ShardBatch {
        let stored = self.stored();
        ShardBatch {
            object_snapshots: if snapshot {
                vec![stored.clone()]
            } else {
                Vec::new()
            },
            objects: vec![stored],
            object_events: std::mem::take(&mut self.events),
            ..ShardBatch::default()
        }
    }
}

async fn round_trip(urls: Vec<String>) {
    let store = Store::open(&urls)
        .expect("the store opens")
        .with_objects(kinds());
    store.migrate().await.expect("migrations and object tables");
    let mut guild = StoredRoster::new(5);
    let key = guild.head.key.clone();
    let shard = store.shard_of(5);
    guild.happen(joined(100, "leader"));
    guild.happen(joined(101, "member"));
    guild.happen(joined(102, "member"));
    let first = guild.batch(true);
    store.write(shard, &first).await.expect("first write");
    guild.happen(RosterEvent::MemberLeft { player: 102 });
    guild.happen(joined(103, "officer"));
    store
        .write(shard, &guild.batch(false))
        .await
        .expect("second write");

    // Loaded by key, its rows folded into the state; a key stored nowhere is absent.
    let unknown = ObjectKey::new("roster", 6);
    let (loaded, failed) = store.load_objects(&[key.clone(), unknown]).await;
    assert!(failed.is_empty());
    assert_eq!(loaded, vec![guild.stored()]);
    let state = loaded[0].state.as_ref().expect("a state");
    assert_eq!(*state.get::<Roster>().expect("decodes"), guild.roster);

    // Snapshot plus the later events replays to the stored head and rows.
    let history = store.object_history(&key).await.expect("history");
    assert_eq!(
        history.snapshot.as_ref().map(|snapshot| snapshot.version),
        Some(3)
    );
    assert_eq!(history.events.len(), 2);
    assert_eq!(history.row.as_ref(), Some(&history.replayed));
    assert_eq!(store.object_keys().await.expect("keys"), vec![key.clone()]);
    assert_eq!(
        verify_objects(&store, std::slice::from_ref(&key))
            .await
            .expect("verify"),
        vec![]
    );

    // A retried, older batch moves nothing back.
    store.write(shard, &first).await.expect("stale write");
    assert_eq!(
        store.load_objects(std::slice::from_ref(&key)).await.0,
        vec![guild.stored()]
    );

    // Everyone gone: no rows, the default state again.
    for player in [100, 101, 103] {
        guild.happen(RosterEvent::MemberLeft { player });
    }
    store
        .write(shard, &guild.batch(false))
        .await
        .expect("third write");
    let (loaded, _) = store.load_objects(std::slice::from_ref(&key)).await;
    assert_eq!(loaded[0].state, None);
    assert_eq!(loaded[0].version, 8);
    assert_eq!(
        verify_objects(&store, &[key]).await.expect("verify"),
        vec![]
    );
}

#[test]
fn an_object_round_trips_through_sqlite_on_the_shard_of_its_id() {
    on_sqlite(2, round_trip);
}

#[test]
fn an_object_round_trips_through_postgres_on_the_shard_of_its_id() {
    on_postgres(2, round_trip);
}

#[test]
fn a_tampered_object_row_fails_verify_and_a_lost_head_is_rebuilt_from_its_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let urls = sqlite_shards(&dir, 1);
    runtime().block_on(async {
        let store = Store::open(&urls)
            .expect("the store opens")
            .with_objects(kinds());
        store.migrate().await.expect("migrations");
        let mut guild = StoredRoster::new(9);
        let key = guild.head.key.clone();
        guild.happen(joined(1, "leader"));
        store.write(0, &guild.batch(true)).await.expect("write");
        guild.happen(joined(2, "member"));
        store.write(0, &guild.batch(false)).await.expect("write");

        let pool = sqlx::SqlitePool::connect(&urls[0]).await.expect("connects");
        sqlx::query("UPDATE test_roster_members SET role = 'leader' WHERE owner_id = 9")
            .execute(&pool)
            .await
            .expect("tamper");
        let mismatches = verify_objects(&store, std::slice::from_ref(&key))
            .await
            .expect("verify");
        assert_eq!(mismatches.len(), 1, "the tampered row is found");
        assert_eq!(
            mismatches[0]
                .replayed
                .state
                .as_ref()
                .and_then(|state| state.to_json().ok())
                .expect("a state")["members"]["2"],
            "member"
        );

        // With its head gone, the load rebuilds it — rows too — from snapshot and events.
        sqlx::query("DELETE FROM objects WHERE id = 9")
            .execute(&pool)
            .await
            .expect("lose the head");
        let (loaded, _) = store.load_objects(&[key]).await;
        assert_eq!(loaded, vec![guild.stored()]);
    });
}

#[test]
fn rebalancing_moves_objects_with_their_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let two = sqlite_shards(&dir, 2);
    let three = sqlite_shards(&dir, 3);
    runtime().block_on(async {
        let before = Store::open(&two).expect("opens").with_objects(kinds());
        before.migrate().await.expect("migrations");
        let mut rosters: Vec<StoredRoster> = (1..=60).map(StoredRoster::new).collect();
        for roster in &mut rosters {
            roster.happen(joined(roster.head.key.id as i64 * 10, "leader"));
            let shard = before.shard_of(roster.head.key.id);
            before
                .write(shard, &roster.batch(true))
                .await
                .expect("write");
        }
        let after = Store::open(&three).expect("opens").with_objects(kinds());
        after.migrate().await.expect("migrations");
        let moved = after.rebalance().await.expect("rebalance");
        assert!(moved > 0, "some rosters belong to the new shard");
        let keys: Vec<ObjectKey> = rosters
            .iter()
            .map(|roster| roster.head.key.clone())
            .collect();
        let (mut loaded, failed) = after.load_objects(&keys).await;
        assert!(failed.is_empty());
        loaded.sort_by(|a, b| a.key.cmp(&b.key));
        let expected: Vec<ObjectRecord> = rosters.iter().map(StoredRoster::stored).collect();
        assert_eq!(loaded, expected, "every roster, rows and all");
        for roster in &rosters {
            let key = &roster.head.key;
            assert_eq!(
                after.object_history(key).await.expect("history").row,
                Some(roster.stored()),
                "{key} on its own shard"
            );
        }
        let mut listed = after.object_keys().await.expect("keys");
        listed.sort();
        assert_eq!(listed, keys, "each roster on exactly one shard");
        assert_eq!(verify_objects(&after, &keys).await.expect("verify"), vec![]);
    });
}

/// The server app on SQLite `shards` with rosters as stored objects, flushing every 5 s (300 ticks).
fn server_with_rosters(shards: Vec<String>) -> (App, Store) {
    let mut config = ServerConfig::default();
    config.persistence.shards = shards.clone();
    config.persistence.flush_interval_secs = 5;
    let store = Store::open(&shards)
        .expect("the store opens")
        .with_objects(kinds());
    arbiter::store_commands::migrate_store(&store).expect("migrations");
    (persisted_app(config, &store, false), store)
}

fn journal(app: &App, entity: Entity) -> Option<&ObjectJournal> {
    app.world().get::<ObjectJournal>(entity)
}

#[test]
fn an_object_entity_loads_then_its_changes_are_written_behind_the_tick_as_one_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shards = sqlite_shards(&dir, 2);
    let key = ObjectKey::new("roster", 42);
    let (mut app, store) = server_with_rosters(shards.clone());
    let entity = app.world_mut().spawn(key.clone()).id();
    assert!(
        step_until(&mut app, 300, |app| journal(app, entity).is_some()),
        "the object loads"
    );
    assert_eq!(journal(&app, entity).map(ObjectJournal::version), Some(0));
    assert_eq!(app.world().get::<Roster>(entity), Some(&Roster::default()));

    // A hundred changes, one a tick, all before the first flush: the rule applies each and records
    // it.
    for player in 0..100 {
        let event = joined(player, if player == 0 { "leader" } else { "member" });
        let mut object = app.world_mut().entity_mut(entity);
        object
            .get_mut::<Roster>()
            .expect("the roster")
            .apply(&event);
        object
            .get_mut::<ObjectJournal>()
            .expect("the journal")
            .record_event::<Roster>(&event, 1_700_000_000_000 + player)
            .expect("recorded");
        app.update();
    }
    assert!(
        step_until(&mut app, 900, |app| journal(app, entity).is_some_and(
            |journal| journal.version() == 100 && journal.is_durable()
        )),
        "the changes become durable"
    );
    let stats = *app.world().resource::<PersistStats>();
    assert_eq!(stats.event_rows, 100, "every event once");
    assert_eq!(stats.object_rows, 1, "one head for a hundred changes");
    let held = app
        .world()
        .get::<Roster>(entity)
        .cloned()
        .expect("the roster");
    assert_eq!(
        runtime()
            .block_on(verify_objects(&store, std::slice::from_ref(&key)))
            .expect("verify"),
        vec![]
    );
    drop(app);

    // A new server loads the same roster at the same version.
    let (mut app, _) = server_with_rosters(shards);
    let entity = app.world_mut().spawn(key).id();
    assert!(step_until(&mut app, 300, |app| journal(app, entity).is_some()));
    assert_eq!(journal(&app, entity).map(ObjectJournal::version), Some(100));
    assert_eq!(app.world().get::<Roster>(entity), Some(&held));
}
