//! The player store against real databases: SQLite always, PostgreSQL on this machine.

use arbiter::persistence::{
    MatchOutcome, PlayerEvent, PlayerRecord, ShardBatch, Store, StoredEvent, verify_players,
};
use arbiter_testing::databases::{PostgresDatabases, runtime, sqlite_shards};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// An in-memory model of what the server does: events appended per player, the record folded.
#[derive(Default)]
struct Session {
    players: BTreeMap<u64, PlayerRecord>,
}

impl Session {
    /// Records `event` for `player_id` and returns it as stored.
    fn happen(&mut self, player_id: u64, event: PlayerEvent) -> StoredEvent {
        let record = self
            .players
            .entry(player_id)
            .or_insert_with(|| PlayerRecord::new(player_id));
        let seq = record.version + 1;
        let at_ms = 1_700_000_000_000 + seq as i64;
        record.apply(seq, at_ms, &event);
        StoredEvent {
            player_id,
            seq,
            at_ms,
            event,
        }
    }
}

fn played(match_id: u64, outcome: MatchOutcome, kills: u32, rating: f64) -> PlayerEvent {
    PlayerEvent::MatchPlayed {
        match_id,
        outcome,
        kills,
        deaths: 2,
        rating,
        uncertainty: 450.0,
    }
}

/// Writes what `session` holds as one batch per shard.
async fn flush(store: &Store, session: &Session, events: Vec<StoredEvent>, snapshot: bool) {
    let mut batches: BTreeMap<usize, ShardBatch> = BTreeMap::new();
    for event in events {
        batches
            .entry(store.shard_of(event.player_id))
            .or_default()
            .events
            .push(event);
    }
    for record in session.players.values() {
        let batch = batches.entry(store.shard_of(record.id)).or_default();
        batch.players.push(record.clone());
        if snapshot {
            batch.snapshots.push(record.clone());
        }
    }
    for (shard, batch) in batches {
        store.write(shard, &batch).await.expect("batch written");
    }
}

/// Write, reload, rewrite, write an older state: the stored rows and events end as they should.
async fn round_trip(urls: Vec<String>) {
    let store = Store::open(&urls).expect("store opens");
    store.migrate().await.expect("migrations apply");
    store.migrate().await.expect("and apply again as a no-op");
    let mut session = Session::default();
    let mut events = vec![
        session.happen(1, PlayerEvent::Registered { name: "ada".into() }),
        session.happen(2, PlayerEvent::Registered { name: "bo".into() }),
        session.happen(1, played(9, MatchOutcome::Win, 4, 1530.0)),
        session.happen(2, played(9, MatchOutcome::Loss, 1, 1470.0)),
    ];
    flush(&store, &session, events.clone(), true).await;
    let loaded = store.load_players(&[1, 2, 3]).await;
    assert!(loaded.failed.is_empty(), "{:?}", loaded.failed);
    assert_eq!(
        loaded.players,
        session.players.values().cloned().collect::<Vec<_>>()
    );

    // The same batch again (a retry): nothing changes, no event is stored twice.
    let stale = session.players.clone();
    flush(&store, &session, events.clone(), true).await;
    events = vec![session.happen(1, played(10, MatchOutcome::Draw, 0, 1531.0))];
    flush(&store, &session, events, false).await;
    // An older state of player 1 arriving late (a reordered batch) cannot move it back.
    store
        .write(
            store.shard_of(1),
            &ShardBatch {
                players: vec![stale[&1].clone()],
                ..ShardBatch::default()
            },
        )
        .await
        .expect("stale write is accepted and ignored");
    let history = store.history(1).await.expect("history");
    assert_eq!(history.row.as_ref(), session.players.get(&1));
    assert_eq!(history.snapshot.as_ref().map(|s| s.version), Some(2));
    assert_eq!(history.events.len(), 1, "only the event after the snapshot");
    assert_eq!(Some(history.replayed), history.row, "replay equals the row");
}

#[test]
fn a_round_trip_on_sqlite_keeps_every_player_exactly_and_never_goes_back_in_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(round_trip(sqlite_shards(&dir, 1)));
}

#[test]
fn a_round_trip_on_postgres_keeps_every_player_exactly_and_never_goes_back_in_time() {
    runtime().block_on(async {
        let Some(databases) = PostgresDatabases::create(1).await else {
            return;
        };
        round_trip(databases.urls()).await;
        databases.drop_all().await;
    });
}

/// 1,000 players over the shards; a load of 300 ids (50 of them unknown) finds exactly the 250.
async fn sharded_load(urls: Vec<String>) {
    let store = Store::open(&urls).expect("store opens");
    store.migrate().await.expect("migrations apply");
    let mut session = Session::default();
    let events: Vec<StoredEvent> = (1..=1000u64)
        .map(|id| {
            session.happen(
                id,
                PlayerEvent::Registered {
                    name: format!("p{id}"),
                },
            )
        })
        .collect();
    flush(&store, &session, events, false).await;
    let mut per_shard = vec![0; urls.len()];
    for id in 1..=1000u64 {
        per_shard[store.shard_of(id)] += 1;
    }
    assert!(per_shard.iter().all(|count| *count > 150), "{per_shard:?}");

    let wanted: Vec<u64> = (1..=250u64).map(|n| n * 4).chain(5000..5050).collect();
    let loaded = store.load_players(&wanted).await;
    assert!(loaded.failed.is_empty(), "{:?}", loaded.failed);
    let mut ids: Vec<u64> = loaded.players.iter().map(|player| player.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=250u64).map(|n| n * 4).collect::<Vec<_>>());
    assert!(
        loaded
            .players
            .iter()
            .all(|player| player.name == format!("p{}", player.id))
    );
}

#[test]
fn a_batch_load_over_four_sqlite_shards_returns_exactly_the_requested_players() {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(sharded_load(sqlite_shards(&dir, 4)));
}

#[test]
fn a_batch_load_over_four_postgres_shards_returns_exactly_the_requested_players() {
    runtime().block_on(async {
        let Some(databases) = PostgresDatabases::create(4).await else {
            return;
        };
        sharded_load(databases.urls()).await;
        databases.drop_all().await;
    });
}

#[test]
fn a_broken_shard_gives_a_partial_result_that_names_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(async {
        let mut urls = sqlite_shards(&dir, 1);
        // Nothing listens on port 1.
        urls.push("postgres://postgres@127.0.0.1:1/nowhere".into());
        let store = Store::open(&urls).expect("opening is lazy");
        let healthy = Store::open(&urls[..1]).expect("store opens");
        healthy.migrate().await.expect("migrations apply");
        let ids: Vec<u64> = (1..=40).collect();
        let on_healthy: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| store.shard_of(*id) == 0)
            .collect();
        let mut session = Session::default();
        let events = on_healthy
            .iter()
            .map(|id| session.happen(*id, PlayerEvent::Registered { name: "h".into() }))
            .collect();
        flush(&healthy, &session, events, false).await;

        let loaded = store.load_players(&ids).await;
        assert_eq!(loaded.failed.len(), 1, "{:?}", loaded.failed);
        assert_eq!(loaded.failed[0].shard, 1);
        assert_eq!(loaded.failed[0].error.shard(), 1);
        assert!(loaded.failed[0].error.to_string().starts_with("shard 1:"));
        let found: Vec<u64> = loaded.players.iter().map(|player| player.id).collect();
        assert_eq!(
            found, on_healthy,
            "the healthy shard's players still arrive"
        );
    });
}

#[test]
fn a_missing_or_stale_row_is_rebuilt_from_the_snapshot_and_the_events_after_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(async {
        let store = Store::open(&sqlite_shards(&dir, 1)).expect("store opens");
        store.migrate().await.expect("migrations apply");
        let mut session = Session::default();
        let first = vec![
            session.happen(7, PlayerEvent::Registered { name: "old".into() }),
            session.happen(7, played(1, MatchOutcome::Win, 3, 1520.0)),
        ];
        flush(&store, &session, first, true).await;
        // Events written without their row (a crash between them is impossible in one transaction,
        // but a row can be restored from an older backup): the loader must not trust the row.
        let later = vec![
            session.happen(7, played(2, MatchOutcome::Loss, 0, 1500.0)),
            session.happen(7, played(3, MatchOutcome::Win, 5, 1525.0)),
        ];
        store
            .write(
                0,
                &ShardBatch {
                    events: later,
                    ..ShardBatch::default()
                },
            )
            .await
            .expect("events written");
        // And a player with events but no row at all.
        let orphan = vec![session.happen(8, PlayerEvent::Registered { name: "new".into() })];
        store
            .write(
                0,
                &ShardBatch {
                    events: orphan,
                    ..ShardBatch::default()
                },
            )
            .await
            .expect("events written");

        let loaded = store.load_players(&[7, 8]).await;
        assert_eq!(
            loaded.players,
            vec![session.players[&7].clone(), session.players[&8].clone()]
        );
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    /// A long random session, flushed now and then, snapshots now and then: every player's stored
    /// row equals the replay of its latest snapshot and the events after it, and the live state.
    #[test]
    fn replay_equals_the_stored_row_for_every_player_after_a_random_session(
        steps in proptest::collection::vec((1u64..12, 0u8..4, 0u32..6, 1200.0f64..1800.0), 1..200),
        flush_every in 1usize..40,
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        runtime().block_on(async {
            let store = Store::open(&sqlite_shards(&dir, 2)).expect("store opens");
            store.migrate().await.expect("migrations apply");
            let mut session = Session::default();
            let mut pending = Vec::new();
            for (index, (player, kind, kills, rating)) in steps.iter().enumerate() {
                let event = match kind {
                    0 => PlayerEvent::Registered { name: format!("n{index}") },
                    1 => played(index as u64, MatchOutcome::Win, *kills, *rating),
                    2 => played(index as u64, MatchOutcome::Loss, *kills, *rating),
                    _ => played(index as u64, MatchOutcome::Draw, *kills, *rating),
                };
                pending.push(session.happen(*player, event));
                if (index + 1) % flush_every == 0 {
                    flush(&store, &session, std::mem::take(&mut pending), index % 3 == 0).await;
                }
            }
            flush(&store, &session, pending, false).await;
            for (id, live) in &session.players {
                let history = store.history(*id).await.expect("history");
                assert_eq!(history.row.as_ref(), Some(live));
                assert_eq!(&history.replayed, live);
            }
            let ids = store.player_ids(None).await.expect("ids");
            assert_eq!(ids.len(), session.players.len());
            let mismatches = verify_players(&store, &ids).await.expect("verify");
            assert!(mismatches.is_empty(), "{mismatches:?}");
        });
    }
}

#[test]
fn adding_a_shard_and_rebalancing_moves_about_a_third_of_the_players_and_keeps_them_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    runtime().block_on(async {
        let three = sqlite_shards(&dir, 3);
        let before = Store::open(&three[..2]).expect("store opens");
        before.migrate().await.expect("migrations apply");
        let mut session = Session::default();
        let mut events = Vec::new();
        for id in 1..=300u64 {
            events.push(session.happen(
                id,
                PlayerEvent::Registered {
                    name: format!("p{id}"),
                },
            ));
            events.push(session.happen(id, played(id, MatchOutcome::Win, 2, 1520.0)));
        }
        flush(&before, &session, events, true).await;
        let more = (1..=300u64)
            .map(|id| session.happen(id, played(id + 1000, MatchOutcome::Loss, 0, 1500.0)))
            .collect();
        flush(&before, &session, more, false).await;

        let after = Store::open(&three).expect("store opens");
        after.migrate().await.expect("the new shard is migrated");
        let moved = after.rebalance().await.expect("rebalance");
        let expected = (1..=300u64).filter(|id| after.shard_of(*id) == 2).count() as u64;
        assert_eq!(moved, expected);
        assert!((70..=130).contains(&moved), "about a third: {moved}");
        assert_eq!(
            after.rebalance().await.expect("again"),
            0,
            "nothing left to move"
        );

        let ids: Vec<u64> = (1..=300).collect();
        let mut loaded = after.load_players(&ids).await;
        assert!(loaded.failed.is_empty());
        loaded.players.sort_by_key(|player| player.id);
        assert!(
            loaded.players == session.players.values().cloned().collect::<Vec<_>>(),
            "every player loads as it was"
        );
        for id in ids.iter().filter(|id| after.shard_of(**id) == 2) {
            let history = after.history(*id).await.expect("history");
            assert_eq!(
                history.snapshot.map(|s| s.version),
                Some(2),
                "snapshot moved"
            );
            assert_eq!(history.events.len(), 1, "events after it moved");
        }
        let all = after.player_ids(None).await.expect("ids");
        assert_eq!(all.len(), 300, "each player on exactly one shard");
        assert!(
            verify_players(&after, &all)
                .await
                .expect("verify")
                .is_empty()
        );
    });
}
