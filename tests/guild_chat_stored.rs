//! A guild's kept chat is part of the guild: each line an event in its log, the last lines in its
//! row, so the history a member is sent on login outlives the guild's unloading and restarts. A
//! `guilds` table made before chat was stored gets the column at the next start, its rows intact.
//! On SQLite and PostgreSQL.

use arbiter::guild::{GUILD_KIND, guild_objects};
use arbiter::persistence::object::{ObjectChange, ObjectEvent, replay_object};
use arbiter::persistence::{ObjectKey, ObjectRecord, PartEvent, ShardBatch, Store, verify_objects};
use arbiter_components::guild::{Guild, GuildEvent, guild_id_of};
use arbiter_testing::databases::{on_postgres, on_sqlite};

/// A guild's events from seq 1, and its record as the writer stores it.
fn written(store: &Store, name: &str, events: &[GuildEvent]) -> (ObjectRecord, ShardBatch) {
    let key = ObjectKey::new(GUILD_KIND, guild_id_of(name));
    let events: Vec<ObjectEvent> = events
        .iter()
        .enumerate()
        .map(|(index, event)| ObjectEvent {
            key: key.clone(),
            seq: index as u64 + 1,
            at_ms: 1_700_000_000_000 + index as i64,
            event: ObjectChange::Part(PartEvent::new(event).expect("a guild event serializes")),
        })
        .collect();
    let record = replay_object(&key, None, &events, store.objects()).expect("folds");
    let batch = ShardBatch {
        objects: vec![record.clone()],
        object_events: events,
        ..ShardBatch::default()
    };
    (record, batch)
}

fn founded(name: &str) -> GuildEvent {
    GuildEvent::GuildFounded {
        name: name.into(),
        tag: "T".into(),
        leader: 1,
    }
}

fn said(tick: u64, text: &str) -> GuildEvent {
    GuildEvent::GuildChatSaid {
        from: 1,
        tick,
        text: text.into(),
    }
}

async fn loaded(store: &Store, record: &ObjectRecord) -> Guild {
    let (loaded, failed) = store.load_objects(std::slice::from_ref(&record.key)).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(loaded, vec![record.clone()]);
    loaded[0]
        .state
        .as_ref()
        .expect("a state")
        .get::<Guild>()
        .expect("decodes")
        .into_owned()
}

/// Runs `sql` on the database at `url`, as an operator's older schema would have it.
async fn execute(url: &str, sql: &str) {
    let statement = sqlx::AssertSqlSafe(sql.to_owned());
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await.expect("sqlite");
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect("statement");
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(url).await.expect("postgres");
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect("statement");
        pool.close().await;
    }
}

async fn chat_survives_and_old_tables_grow_the_column(urls: Vec<String>) {
    let open = || {
        Store::open(&urls)
            .expect("opens")
            .with_objects(guild_objects())
    };
    let store = open();
    store.migrate().await.expect("migrated");

    // A guild stored before chat was: the column dropped again, as a database of that release.
    let (quiet, batch) = written(&store, "Quiet Ones", &[founded("Quiet Ones")]);
    store
        .write(store.shard_of(quiet.key.id), &batch)
        .await
        .expect("written");
    for url in &urls {
        execute(url, "ALTER TABLE guilds DROP COLUMN chat").await;
    }
    drop(store);

    // The next start adds the column; the old row loads as it was, with no chat.
    let store = open();
    store.migrate().await.expect("migrated again");
    assert!(loaded(&store, &quiet).await.chat().is_empty());

    // A guild's lines are stored with it and come back in order, and verify agrees with the log.
    let events = [
        founded("Chatty Ones"),
        said(10, "hello"),
        said(20, "a line with \"quotes\", a newline\nand ünïcode"),
    ];
    let (chatty, batch) = written(&store, "Chatty Ones", &events);
    store
        .write(store.shard_of(chatty.key.id), &batch)
        .await
        .expect("written");
    let guild = loaded(&store, &chatty).await;
    let texts: Vec<&str> = guild.chat().iter().map(|line| line.text.as_str()).collect();
    assert_eq!(
        texts,
        ["hello", "a line with \"quotes\", a newline\nand ünïcode"]
    );
    assert_eq!(
        verify_objects(&store, &[quiet.key, chatty.key])
            .await
            .expect("verify"),
        vec![]
    );
}

#[test]
fn on_sqlite_a_guilds_chat_is_stored_with_it_and_an_older_table_gains_the_column() {
    on_sqlite(2, chat_survives_and_old_tables_grow_the_column);
}

#[test]
fn on_postgres_a_guilds_chat_is_stored_with_it_and_an_older_table_gains_the_column() {
    on_postgres(2, chat_survives_and_old_tables_grow_the_column);
}
