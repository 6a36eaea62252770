//! A founding is one transfer with a leg on the player (its payment, its membership) and a leg on
//! the guild (its founding), on two shards. A crash between the two shards' commits leaves one
//! leg stored; the next start writes the other, once, however often it runs — on SQLite and
//! PostgreSQL, whichever side committed first — and the store verifies clean.

use arbiter::economy::economy_parts;
use arbiter::guild::{GUILD_KIND, guild_objects, guild_player_parts};
use arbiter::persistence::object::{ObjectChange, ObjectEvent, replay_object};
use arbiter::persistence::record::replay;
use arbiter::persistence::{
    ObjectKey, PartEvent, PlayerEvent, PlayerRecord, ShardBatch, Store, StoredEvent, Transfer,
    TransferLeg, verify_objects,
};
use arbiter_components::guild::{Guild, GuildEvent, Membership, MembershipEvent, guild_id_of};
use arbiter_components::inventory::{Wallet, WalletEvent};
use arbiter_testing::databases::{on_postgres, on_sqlite};
use arbiter_testing::items::assert_store_clean;
use std::sync::Arc;

const COINS: i64 = 100;
const PRICE: i64 = 30;
const NAME: &str = "Iron Wolves";

fn stored_event(player: u64, seq: u64, event: PlayerEvent) -> StoredEvent {
    StoredEvent {
        player_id: player,
        seq,
        at_ms: 1_000 + seq as i64,
        event,
    }
}

/// A player on the other shard than the guild, registered with 100 coins (version 2).
async fn founder(store: &Store, guild: u64) -> PlayerRecord {
    let id = (1..)
        .find(|id| store.shard_of(*id) != store.shard_of(guild))
        .expect("an id on the other shard");
    let coins = WalletEvent::CurrencyChanged {
        currency: "coins".into(),
        delta: COINS,
        reason: "grant:test".into(),
    };
    let events = vec![
        stored_event(id, 1, PlayerEvent::Registered { name: "f".into() }),
        stored_event(
            id,
            2,
            PlayerEvent::Part(PartEvent::new(&coins).expect("json")),
        ),
    ];
    let record = replay(id, None, &events, store.parts()).expect("folds");
    let batch = ShardBatch {
        players: vec![record.clone()],
        events,
        ..ShardBatch::default()
    };
    store
        .write(store.shard_of(id), &batch)
        .await
        .expect("written");
    record
}

/// The founding as the server stores it.
fn founding(player: &PlayerRecord, guild: u64) -> Transfer {
    let paid = WalletEvent::CurrencyChanged {
        currency: "coins".into(),
        delta: -PRICE,
        reason: format!("guild_founded:{guild}").into(),
    };
    let began = MembershipEvent::MembershipBegan { guild };
    let founded = GuildEvent::GuildFounded {
        name: NAME.into(),
        tag: "IW".into(),
        leader: player.id,
    };
    Transfer {
        id: format!("{}:{}", player.id, player.version + 1).into(),
        at_ms: 5_000,
        legs: vec![
            TransferLeg::player(
                player.id,
                vec![
                    PartEvent::new(&paid).expect("json"),
                    PartEvent::new(&began).expect("json"),
                ],
            ),
            TransferLeg::object(
                &ObjectKey::new(GUILD_KIND, guild),
                vec![PartEvent::new(&founded).expect("json")],
            ),
        ],
    }
}

/// What the player's shard commits of the founding.
fn player_leg(store: &Store, player: &PlayerRecord, transfer: &Transfer) -> ShardBatch {
    let event = stored_event(
        player.id,
        player.version + 1,
        PlayerEvent::Transfer(Arc::new(transfer.clone())),
    );
    let record = replay(
        player.id,
        Some(player.clone()),
        std::slice::from_ref(&event),
        store.parts(),
    )
    .expect("folds");
    ShardBatch {
        players: vec![record],
        events: vec![event],
        ..ShardBatch::default()
    }
}

/// What the guild's shard commits of the founding (its first event).
fn guild_leg(store: &Store, guild: u64, transfer: &Transfer) -> ShardBatch {
    let key = ObjectKey::new(GUILD_KIND, guild);
    let event = ObjectEvent {
        key: key.clone(),
        seq: 1,
        at_ms: transfer.at_ms,
        event: ObjectChange::Transfer(Arc::new(transfer.clone())),
    };
    let record =
        replay_object(&key, None, std::slice::from_ref(&event), store.objects()).expect("folds");
    ShardBatch {
        objects: vec![record],
        object_events: vec![event],
        ..ShardBatch::default()
    }
}

async fn crash_between_commits(urls: Vec<String>, guild_commits_first: bool) {
    let store = Store::open(&urls)
        .expect("the store opens")
        .with_parts(guild_player_parts(economy_parts()))
        .with_objects(guild_objects());
    store.migrate().await.expect("migrated");
    let guild = guild_id_of(NAME);
    let player = founder(&store, guild).await;
    let transfer = founding(&player, guild);
    let (shard, batch, missing) = match guild_commits_first {
        true => (
            store.shard_of(guild),
            guild_leg(&store, guild, &transfer),
            player.id.to_string(),
        ),
        false => (
            store.shard_of(player.id),
            player_leg(&store, &player, &transfer),
            format!("{GUILD_KIND}:{guild}"),
        ),
    };
    store.write(shard, &batch).await.expect("one shard commits");
    let half = store.half_written_transfers().await.expect("checked");
    assert_eq!(half, vec![(transfer.id.to_string(), vec![missing])]);

    let first = store.complete_transfers().await;
    assert!(first.left_open.is_empty(), "{:?}", first.left_open);
    assert_eq!((first.open, first.legs_written), (1, 1));
    let second = store.complete_transfers().await;
    assert_eq!((second.open, second.legs_written), (0, 0));

    let mut loaded = store.load_players(&[player.id]).await;
    let record = loaded.players.pop().expect("stored");
    assert_eq!(
        record.part::<Wallet>().expect("decodes").balance("coins"),
        (COINS - PRICE) as u64
    );
    assert_eq!(
        record.part::<Membership>().expect("decodes").guild(),
        Some(guild)
    );
    let key = ObjectKey::new(GUILD_KIND, guild);
    let (mut objects, failed) = store.load_objects(std::slice::from_ref(&key)).await;
    assert!(failed.is_empty(), "{failed:?}");
    let stored = objects.pop().expect("the guild is stored");
    let state: Guild = stored.state.expect("founded").into_part().expect("decodes");
    assert_eq!((state.name(), state.leader()), (NAME, Some(player.id)));
    let keys = store.object_keys().await.expect("keys");
    assert_eq!(verify_objects(&store, &keys).await.expect("verify"), vec![]);
    assert_store_clean(&store, &[player.id]).await;
}

#[test]
fn on_sqlite_a_founding_whose_player_committed_first_is_completed_on_the_guild() {
    on_sqlite(2, |urls| crash_between_commits(urls, false));
}

#[test]
fn on_sqlite_a_founding_whose_guild_committed_first_is_completed_on_the_player() {
    on_sqlite(2, |urls| crash_between_commits(urls, true));
}

#[test]
fn on_postgres_a_founding_whose_player_committed_first_is_completed_on_the_guild() {
    on_postgres(2, |urls| crash_between_commits(urls, false));
}

#[test]
fn on_postgres_a_founding_whose_guild_committed_first_is_completed_on_the_player() {
    on_postgres(2, |urls| crash_between_commits(urls, true));
}
