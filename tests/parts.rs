//! The persistence extension point with a small real part: badges a player earns, in a table of their
//! own on the player's shard. Written in the players' transaction, loaded with them, in snapshots,
//! replayed and verified — on SQLite and PostgreSQL.

use arbiter::persistence::Progress;
use arbiter::persistence::part::{Column, ColumnKind, Row, SqlValue, TableSpec};
use arbiter::persistence::{
    PartEvent, PlayerEvent, PlayerRecord, ShardBatch, Store, StoredEvent, StoredPart, StoredParts,
    verify_players,
};
use arbiter::settings::ServerConfig;
use arbiter_testing::databases::{on_postgres, on_sqlite, runtime, sqlite_shards};
use arbiter_testing::persisted_app::{log_in, persisted_app, step_until_durable};
use bevy_app::App;
use bevy_ecs::component::Component;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many times a player earned each badge.
#[derive(Component, Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Badges {
    earned: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BadgeEvent {
    BadgeEarned { badge: String },
    BadgeRevoked { badge: String },
}

impl StoredPart for Badges {
    const NAME: &'static str = "badges";
    const TABLE: TableSpec = TableSpec {
        name: "test_badges",
        columns: &[
            Column {
                name: "badge",
                kind: ColumnKind::Text,
            },
            Column {
                name: "times",
                kind: ColumnKind::Integer,
            },
        ],
        key_columns: 1,
    };
    const EVENTS: &'static [&'static str] = &["badge_earned", "badge_revoked"];
    type Event = BadgeEvent;

    fn apply(&mut self, event: &BadgeEvent) {
        match event {
            BadgeEvent::BadgeEarned { badge } => {
                *self.earned.entry(badge.clone()).or_default() += 1
            }
            BadgeEvent::BadgeRevoked { badge } => {
                self.earned.remove(badge);
            }
        }
    }

    fn to_rows(&self) -> Vec<Row> {
        self.earned
            .iter()
            .map(|(badge, times)| vec![SqlValue::Text(badge.clone()), SqlValue::Integer(*times)])
            .collect()
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let mut earned = BTreeMap::new();
        for row in rows {
            let [badge, times] = row.as_slice() else {
                return Err(format!("a badge row has {} values", row.len()));
            };
            earned.insert(badge.as_str()?.to_owned(), times.as_i64()?);
        }
        Ok(Self { earned })
    }
}

fn parts() -> StoredParts {
    StoredParts::default().with::<Badges>()
}

/// The store on `urls` with badges, migrated.
async fn badge_store(urls: &[String]) -> Store {
    let store = Store::open(urls)
        .expect("the store opens")
        .with_parts(parts());
    store.migrate().await.expect("migrations and part tables");
    store
}

/// A player as the world keeps it: its record and its badges, each change an event.
struct Player {
    record: PlayerRecord,
    badges: Badges,
    events: Vec<StoredEvent>,
}

impl Player {
    fn new(id: u64) -> Self {
        let mut player = Self {
            record: PlayerRecord::new(id),
            badges: Badges::default(),
            events: Vec::new(),
        };
        player.happen(PlayerEvent::Registered {
            name: format!("p{id}"),
        });
        player
    }

    fn happen(&mut self, event: PlayerEvent) {
        let seq = self.record.version + 1;
        let at_ms = 1_700_000_000_000 + seq as i64;
        self.record.apply(seq, at_ms, &event);
        self.events.push(StoredEvent {
            player_id: self.record.id,
            seq,
            at_ms,
            event,
        });
    }

    fn badge(&mut self, event: BadgeEvent) {
        self.badges.apply(&event);
        self.happen(PlayerEvent::Part(
            PartEvent::new(&event).expect("a badge event serializes"),
        ));
    }

    /// The record as the writer stores it.
    fn stored(&self) -> PlayerRecord {
        let mut record = self.record.clone();
        record.set_part(self.badges.clone());
        record
    }

    /// Everything since the last write, as one batch.
    fn batch(&mut self, snapshot: bool) -> ShardBatch {
        let stored = self.stored();
        ShardBatch {
            snapshots: if snapshot {
                vec![stored.clone()]
            } else {
                Vec::new()
            },
            players: vec![stored],
            events: std::mem::take(&mut self.events),
            ..ShardBatch::default()
        }
    }
}

fn earned(badge: &str) -> BadgeEvent {
    BadgeEvent::BadgeEarned {
        badge: badge.into(),
    }
}

async fn round_trip(urls: Vec<String>) {
    let store = badge_store(&urls).await;
    let mut ada = Player::new(7);
    ada.badge(earned("first_blood"));
    ada.badge(earned("first_blood"));
    ada.badge(earned("sharpshooter"));
    let first = ada.batch(true);
    store
        .write(store.shard_of(7), &first)
        .await
        .expect("first write");
    ada.badge(BadgeEvent::BadgeRevoked {
        badge: "sharpshooter".into(),
    });
    ada.badge(earned("survivor"));
    store
        .write(store.shard_of(7), &ada.batch(false))
        .await
        .expect("second write");

    // Loaded with the player, in the same batch: the badges as the world has them.
    let loaded = store.load_players(&[7]).await;
    assert!(loaded.failed.is_empty());
    assert_eq!(loaded.players, vec![ada.stored()]);
    let badges = loaded.players[0].part::<Badges>().expect("decodes");
    assert_eq!(*badges, ada.badges);

    // Snapshot (with its badges) plus the later events replays to the stored row, parts included.
    let history = store.history(7).await.expect("history");
    let snapshot = history.snapshot.clone().expect("a snapshot");
    let badges = snapshot.parts["badges"].to_json().expect("JSON");
    assert_eq!(badges["earned"]["sharpshooter"], 1);
    assert_eq!(history.events.len(), 2);
    assert_eq!(history.row.as_ref(), Some(&history.replayed));
    assert_eq!(verify_players(&store, &[7]).await.expect("verify"), vec![]);

    // A retried, older batch moves nothing back: rows stay at the newer version.
    store
        .write(store.shard_of(7), &first)
        .await
        .expect("stale write");
    assert_eq!(store.load_players(&[7]).await.players, vec![ada.stored()]);

    // Revoking the last badge leaves no rows, and the part is absent again.
    for badge in ["first_blood", "survivor"] {
        ada.badge(BadgeEvent::BadgeRevoked {
            badge: badge.into(),
        });
    }
    store
        .write(store.shard_of(7), &ada.batch(false))
        .await
        .expect("third write");
    let loaded = store.load_players(&[7]).await;
    assert!(loaded.players[0].parts.is_empty(), "{:?}", loaded.players);
    assert_eq!(verify_players(&store, &[7]).await.expect("verify"), vec![]);
}

#[test]
fn a_part_round_trips_through_sqlite_with_its_player() {
    on_sqlite(2, round_trip);
}

#[test]
fn a_part_round_trips_through_postgres_with_its_player() {
    on_postgres(2, round_trip);
}

#[test]
fn a_tampered_part_row_fails_verify_and_a_lost_row_is_recovered_from_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let urls = sqlite_shards(&dir, 1);
    runtime().block_on(async {
        let store = badge_store(&urls).await;
        let mut bob = Player::new(9);
        bob.badge(earned("first_blood"));
        store.write(0, &bob.batch(true)).await.expect("write");
        bob.badge(earned("first_blood"));
        store.write(0, &bob.batch(false)).await.expect("write");

        let pool = sqlx::SqlitePool::connect(&urls[0]).await.expect("connects");
        sqlx::query("UPDATE test_badges SET times = 99 WHERE owner_id = 9")
            .execute(&pool)
            .await
            .expect("tamper");
        let mismatches = verify_players(&store, &[9]).await.expect("verify");
        assert_eq!(mismatches.len(), 1, "the tampered row is found");
        assert_eq!(
            mismatches[0]
                .replayed
                .part::<Badges>()
                .expect("decodes")
                .earned["first_blood"],
            2
        );

        // With the player's row gone, the load rebuilds it — badges too — from snapshot and events.
        sqlx::query("DELETE FROM players WHERE id = 9")
            .execute(&pool)
            .await
            .expect("lose the row");
        let loaded = store.load_players(&[9]).await;
        assert_eq!(loaded.players, vec![bob.stored()]);
        assert_eq!(
            verify_players(&store, &[9]).await.expect("verify"),
            vec![],
            "read repair: the load rewrote the row and its part rows from the log"
        );
    });
}

#[test]
fn a_part_without_events_in_a_flush_keeps_its_rows_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let urls = sqlite_shards(&dir, 1);
    runtime().block_on(async {
        let store = badge_store(&urls).await;
        let mut ada = Player::new(5);
        ada.badge(earned("first_blood"));
        assert_eq!(
            store.write(0, &ada.batch(false)).await.expect("write"),
            4,
            "events, the badge rows (delete, insert), the player"
        );
        ada.happen(PlayerEvent::MatchPlayed {
            match_id: 1,
            outcome: arbiter::persistence::MatchOutcome::Loss,
            kills: 0,
            deaths: 2,
            rating: 1490.0,
            uncertainty: 300.0,
        });
        assert_eq!(
            store.write(0, &ada.batch(false)).await.expect("write"),
            2,
            "only the event and the player: the badges did not change"
        );
        assert_eq!(store.load_players(&[5]).await.players, vec![ada.stored()]);
        assert_eq!(verify_players(&store, &[5]).await.expect("verify"), vec![]);
    });
}

#[test]
fn rebalancing_moves_a_player_s_part_rows_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let two = sqlite_shards(&dir, 2);
    let three = sqlite_shards(&dir, 3);
    runtime().block_on(async {
        let before = Store::open(&two).expect("opens").with_parts(parts());
        before.migrate().await.expect("migrations");
        let mut players: Vec<Player> = (1..=60).map(Player::new).collect();
        for player in &mut players {
            player.badge(earned("veteran"));
            let shard = before.shard_of(player.record.id);
            before
                .write(shard, &player.batch(true))
                .await
                .expect("write");
        }
        let after = Store::open(&three).expect("opens").with_parts(parts());
        after.migrate().await.expect("migrations");
        let moved = after.rebalance().await.expect("rebalance");
        assert!(moved > 0, "some players belong to the new shard");
        let ids: Vec<u64> = (1..=60).collect();
        let mut loaded = after.load_players(&ids).await.players;
        loaded.sort_by_key(|player| player.id);
        let expected: Vec<PlayerRecord> = players.iter().map(Player::stored).collect();
        let lost: Vec<u64> = expected
            .iter()
            .zip(&loaded)
            .filter(|(expected, loaded)| expected != loaded)
            .map(|(expected, _)| expected.id)
            .collect();
        assert_eq!(
            (loaded.len(), lost),
            (60, vec![]),
            "every player, badges and all"
        );
        assert_eq!(verify_players(&after, &ids).await.expect("verify"), vec![]);
    });
}

/// The server app on SQLite `shards` with badges as a player part, flushing every 5 s.
fn server_with_badges(shards: Vec<String>) -> App {
    let mut config = ServerConfig::default();
    config.persistence.shards = shards.clone();
    config.persistence.flush_interval_secs = 5;
    let store = Store::open(&shards)
        .expect("the store opens")
        .with_parts(parts());
    arbiter::store_commands::migrate_store(&store).expect("migrations");
    persisted_app(config, &store, false)
}

#[test]
fn a_part_arrives_with_its_player_at_login_and_its_changes_are_written_behind_the_tick() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shards = sqlite_shards(&dir, 2);
    let mut app = server_with_badges(shards.clone());
    let player = log_in(&mut app, 7);
    assert_eq!(app.world().get::<Badges>(player), Some(&Badges::default()));

    for badge in ["first_blood", "first_blood", "survivor"] {
        let event = earned(badge);
        let mut entity = app.world_mut().entity_mut(player);
        entity.get_mut::<Badges>().expect("badges").apply(&event);
        entity
            .get_mut::<Progress>()
            .expect("progress")
            .record_part_event::<Badges>(&event, 1_700_000_000_000)
            .expect("recorded");
        app.update();
    }
    assert!(
        step_until_durable(&mut app, player),
        "the badges become durable"
    );
    let held = app.world().get::<Badges>(player).cloned().expect("badges");
    assert_eq!(held.earned.get("first_blood"), Some(&2));
    drop(app);

    let mut app = server_with_badges(shards);
    let player = log_in(&mut app, 7);
    assert_eq!(
        app.world().get::<Badges>(player),
        Some(&held),
        "loaded with its player"
    );
}

#[test]
fn a_player_s_latest_matches_are_found_however_many_part_events_came_between() {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(async {
        let store = Store::open(&sqlite_shards(&dir, 1))
            .expect("the store opens")
            .with_parts(parts());
        store.migrate().await.expect("migrations");
        let mut ada = Player::new(3);
        for match_id in 1..=12 {
            ada.happen(PlayerEvent::MatchPlayed {
                match_id,
                outcome: arbiter::persistence::MatchOutcome::Win,
                kills: 1,
                deaths: 0,
                rating: 1500.0,
                uncertainty: 300.0,
            });
            for _ in 0..5 {
                ada.badge(earned("streak"));
            }
        }
        store.write(0, &ada.batch(false)).await.expect("write");
        let matches: Vec<u64> = store
            .recent_events(3, "match_played", u64::MAX, 10)
            .await
            .expect("recent events")
            .into_iter()
            .map(|stored| match stored.event {
                PlayerEvent::MatchPlayed { match_id, .. } => match_id,
                other => panic!("not a match: {other:?}"),
            })
            .collect();
        assert_eq!(
            matches,
            (3..=12).rev().collect::<Vec<_>>(),
            "the ten newest, newest first"
        );
    });
}
