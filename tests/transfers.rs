//! Transfers between players on two shards, both-or-neither across a crash between the two shards'
//! commits: the stored leg is rolled forward onto the other shard at start-up, once, however often
//! that runs, on SQLite and on PostgreSQL, whichever shard committed first.

use arbiter::components::inventory::{
    Inventory, InventoryEvent, TradedItems, Wallet, WalletEvent, trade_reason,
};
use arbiter::economy::economy_parts;
use arbiter::persistence::record::replay;
use arbiter::persistence::{
    PartEvent, PlayerEvent, PlayerRecord, ShardBatch, Store, StoredEvent, Transfer, TransferLeg,
    verify_players,
};
use arbiter_testing::databases::{on_postgres, on_sqlite};
use arbiter_testing::items::assert_store_clean;
use proptest::prelude::*;
use std::sync::Arc;

const COINS: i64 = 100;
const PRICE: i64 = 30;
const WOOD: u32 = 10;
const SOLD: u32 = 4;

fn coins(delta: i64, reason: &str) -> PartEvent {
    PartEvent::new(&WalletEvent::CurrencyChanged {
        currency: "coins".into(),
        delta,
        reason: reason.into(),
    })
    .expect("a wallet event serializes")
}

fn part(event: &InventoryEvent) -> PartEvent {
    PartEvent::new(event).expect("an inventory event serializes")
}

/// A trade share: `gave` and `got` units of wood.
fn wood_traded(trade: &str, gave: u32, got: u32) -> PartEvent {
    let wood = |qty| {
        Arc::new(TradedItems {
            stacks: [("wood".into(), qty)]
                .into_iter()
                .filter(|(_, qty)| *qty > 0)
                .collect(),
            ..TradedItems::default()
        })
    };
    part(&InventoryEvent::ItemsTraded {
        trade: trade.into(),
        gave: wood(gave),
        got: wood(got),
    })
}

/// `events` of player `id` from seq `from`, and the record they fold `record` into.
fn folded(
    store: &Store,
    id: u64,
    record: Option<PlayerRecord>,
    from: u64,
    events: Vec<PlayerEvent>,
) -> (PlayerRecord, Vec<StoredEvent>) {
    let events: Vec<StoredEvent> = events
        .into_iter()
        .zip(from..)
        .map(|(event, seq)| StoredEvent {
            player_id: id,
            seq,
            at_ms: 1_000 + seq as i64,
            event,
        })
        .collect();
    let record = replay(id, record, &events, store.parts()).expect("folds");
    (record, events)
}

/// Writes player `id`, registered and granted 100 coins and 10 wood (version 3).
async fn stored_with_coins(store: &Store, id: u64) -> PlayerRecord {
    let (record, events) = folded(
        store,
        id,
        None,
        1,
        vec![
            PlayerEvent::Registered {
                name: format!("p{id}"),
            },
            PlayerEvent::Part(coins(COINS, "grant:test")),
            PlayerEvent::Part(part(&InventoryEvent::ItemGranted {
                item: "wood".into(),
                qty: WOOD,
                instances: Vec::new(),
                reason: "grant:test".into(),
            })),
        ],
    );
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

/// What one player's shard commits of the transfer: its transfer event, folded.
fn leg_batch(store: &Store, record: &PlayerRecord, transfer: &Transfer) -> ShardBatch {
    let (record, events) = folded(
        store,
        record.id,
        Some(record.clone()),
        record.version + 1,
        vec![PlayerEvent::Transfer(Arc::new(transfer.clone()))],
    );
    ShardBatch {
        players: vec![record],
        events,
        ..ShardBatch::default()
    }
}

/// Player `id`'s stored coins and wood.
async fn holdings(store: &Store, id: u64) -> (u64, u64) {
    let mut loaded = store.load_players(&[id]).await;
    assert!(loaded.failed.is_empty(), "{:?}", loaded.failed);
    let record = loaded.players.pop().expect("stored");
    let coins = record.part::<Wallet>().expect("decodes").balance("coins");
    let wood = record.part::<Inventory>().expect("decodes").count("wood");
    (coins, wood)
}

/// The transfer of `coins` from `buyer` to `seller` for `wood` units, named by the buyer's next seq.
fn sale(buyer: &PlayerRecord, seller: &PlayerRecord, coins_paid: i64, wood: u32) -> Transfer {
    let id = format!("{}:{}", buyer.id, buyer.version + 1);
    let reason = trade_reason(&id);
    Transfer {
        id: id.clone().into(),
        at_ms: 5_000,
        legs: vec![
            TransferLeg::player(
                buyer.id,
                vec![coins(-coins_paid, &reason), wood_traded(&id, 0, wood)],
            ),
            TransferLeg::player(
                seller.id,
                vec![coins(coins_paid, &reason), wood_traded(&id, wood, 0)],
            ),
        ],
    }
}

/// Buyer 1 pays a seller on the other shard 30 coins for 4 wood; only one shard commits before
/// the "crash".
async fn crash_between_commits(urls: Vec<String>, seller_commits_first: bool) {
    let store = Store::open(&urls)
        .expect("the store opens")
        .with_parts(economy_parts());
    store.migrate().await.expect("migrated");
    let buyer_id = 1;
    let seller_id = (2..)
        .find(|id| store.shard_of(*id) != store.shard_of(buyer_id))
        .expect("a player on the other shard");
    let buyer = stored_with_coins(&store, buyer_id).await;
    let seller = stored_with_coins(&store, seller_id).await;
    let transfer = sale(&buyer, &seller, PRICE, SOLD);
    let (committed, lost) = if seller_commits_first {
        (&seller, buyer_id)
    } else {
        (&buyer, seller_id)
    };
    store
        .write(
            store.shard_of(committed.id),
            &leg_batch(&store, committed, &transfer),
        )
        .await
        .expect("one shard commits");

    let half = store.half_written_transfers().await.expect("checked");
    assert_eq!(
        half,
        vec![(transfer.id.to_string(), vec![lost.to_string()])]
    );
    let ids = [buyer_id, seller_id];
    assert_eq!(verify_players(&store, &ids).await.expect("verify"), vec![]);

    // Start-up rolls the missing leg forward; a second run (a crash during the first, or a
    // restart) finds nothing left to do.
    let first = store.complete_transfers().await;
    assert!(first.left_open.is_empty(), "{:?}", first.left_open);
    assert_eq!((first.open, first.legs_written), (1, 1));
    let second = store.complete_transfers().await;
    assert!(second.left_open.is_empty(), "{:?}", second.left_open);
    assert_eq!((second.open, second.legs_written), (0, 0));

    let bought = ((COINS - PRICE) as u64, u64::from(WOOD + SOLD));
    let sold = ((COINS + PRICE) as u64, u64::from(WOOD - SOLD));
    assert_eq!(holdings(&store, buyer_id).await, bought);
    assert_eq!(holdings(&store, seller_id).await, sold);
    for id in ids {
        let events = store.events(id).await.expect("events");
        let transfers = events
            .iter()
            .filter(|stored| matches!(stored.event, PlayerEvent::Transfer(_)))
            .count();
        assert_eq!(transfers, 1, "player {id} holds its leg once");
    }
    assert_store_clean(&store, &ids).await;

    // The leg the world retries after the crash, if its batch comes back, is not written twice.
    let retried = leg_batch(&store, committed, &transfer);
    store
        .write(store.shard_of(committed.id), &retried)
        .await
        .expect("a retried batch is harmless");
    assert_eq!(
        holdings(&store, committed.id).await,
        if seller_commits_first { sold } else { bought }
    );
}

#[test]
fn on_sqlite_a_transfer_whose_buyer_committed_first_is_completed_once_at_start_up() {
    on_sqlite(2, |urls| crash_between_commits(urls, false));
}

#[test]
fn on_sqlite_a_transfer_whose_seller_committed_first_is_completed_once_at_start_up() {
    on_sqlite(2, |urls| crash_between_commits(urls, true));
}

#[test]
fn on_postgres_a_transfer_whose_buyer_committed_first_is_completed_once_at_start_up() {
    on_postgres(2, |urls| crash_between_commits(urls, false));
}

#[test]
fn on_postgres_a_transfer_whose_seller_committed_first_is_completed_once_at_start_up() {
    on_postgres(2, |urls| crash_between_commits(urls, true));
}

/// A transfer naming a player stored nowhere cannot be completed: it is left open, with why, and
/// stays reported, rather than being half-applied.
async fn a_transfer_to_nobody(urls: Vec<String>) {
    let store = Store::open(&urls)
        .expect("the store opens")
        .with_parts(economy_parts());
    store.migrate().await.expect("migrated");
    let buyer = stored_with_coins(&store, 1).await;
    let nobody = PlayerRecord::new(
        (2..)
            .find(|id| store.shard_of(*id) != store.shard_of(1))
            .expect("an id on the other shard"),
    );
    let transfer = sale(&buyer, &nobody, PRICE, 0);
    let batch = leg_batch(&store, &buyer, &transfer);
    store
        .write(store.shard_of(1), &batch)
        .await
        .expect("written");
    for _ in 0..2 {
        let done = store.complete_transfers().await;
        assert_eq!((done.open, done.legs_written), (1, 0));
        assert_eq!(done.left_open.len(), 1);
        assert_eq!(done.left_open[0].0, transfer.id);
        let why = done.left_open[0].1.to_string();
        assert!(why.contains("stored nowhere"), "{why}");
    }
    let half = store.half_written_transfers().await.expect("checked");
    assert_eq!(
        half,
        vec![(transfer.id.to_string(), vec![nobody.id.to_string()])]
    );
}

#[test]
fn a_transfer_that_cannot_be_completed_is_left_open_and_reported() {
    on_sqlite(2, a_transfer_to_nobody);
}

/// Where a crash stops a trade's two commits.
#[derive(Debug, Clone, Copy)]
enum Crash {
    /// Both sides commit.
    None,
    /// Only the buyer's shard commits, then the server restarts.
    AfterBuyer,
    /// Only the seller's shard commits, then the server restarts.
    AfterSeller,
    /// Neither commits: the trade never happened.
    BeforeBoth,
}

fn crash() -> impl Strategy<Value = Crash> {
    prop_oneof![
        Just(Crash::None),
        Just(Crash::AfterBuyer),
        Just(Crash::AfterSeller),
        Just(Crash::BeforeBoth),
    ]
}

/// Random trades among four players on two shards, each stopped at a random point of its two
/// commits and followed by a restart (roll-forward, sometimes twice): after each, nothing is lost
/// or duplicated, and the store verifies clean.
fn random_trades(trades: Vec<(usize, usize, i64, u32, Crash, bool)>) {
    on_sqlite(2, |urls| async move {
        let store = Store::open(&urls)
            .expect("the store opens")
            .with_parts(economy_parts());
        store.migrate().await.expect("migrated");
        let ids = [1, 2, 3, 4];
        for id in ids {
            stored_with_coins(&store, id).await;
        }
        // What each player holds, as the trades that happened say.
        let mut expected: Vec<(u64, u64)> = vec![(COINS as u64, u64::from(WOOD)); ids.len()];
        for (buyer, seller, paid, wood, crash, restart_twice) in trades {
            if buyer == seller
                || expected[buyer].0 < paid as u64
                || expected[seller].1 < u64::from(wood)
            {
                continue;
            }
            let mut loaded = store.load_players(&[ids[buyer], ids[seller]]).await;
            assert!(loaded.failed.is_empty(), "{:?}", loaded.failed);
            loaded
                .players
                .sort_by_key(|record| if record.id == ids[buyer] { 0 } else { 1 });
            let [buyer_record, seller_record] = [&loaded.players[0], &loaded.players[1]];
            let transfer = sale(buyer_record, seller_record, paid, wood);
            let committed: &[&PlayerRecord] = match crash {
                Crash::None => &[buyer_record, seller_record],
                Crash::AfterBuyer => &[buyer_record],
                Crash::AfterSeller => &[seller_record],
                Crash::BeforeBoth => &[],
            };
            for record in committed {
                let batch = leg_batch(&store, record, &transfer);
                store
                    .write(store.shard_of(record.id), &batch)
                    .await
                    .expect("a shard commits");
            }
            for _ in 0..if restart_twice { 2 } else { 1 } {
                let done = store.complete_transfers().await;
                assert!(done.left_open.is_empty(), "{:?}", done.left_open);
            }
            if !matches!(crash, Crash::BeforeBoth) {
                expected[buyer].0 -= paid as u64;
                expected[buyer].1 += u64::from(wood);
                expected[seller].0 += paid as u64;
                expected[seller].1 -= u64::from(wood);
            }
            for (index, id) in ids.into_iter().enumerate() {
                assert_eq!(holdings(&store, id).await, expected[index], "player {id}");
            }
        }
        let total: (u64, u64) = expected
            .iter()
            .fold((0, 0), |sum, held| (sum.0 + held.0, sum.1 + held.1));
        assert_eq!(total, (4 * COINS as u64, 4 * u64::from(WOOD)), "conserved");
        assert_store_clean(&store, &ids).await;
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn random_trades_cut_by_crashes_lose_and_duplicate_nothing(
        trades in prop::collection::vec(
            (0..4usize, 0..4usize, 1..40i64, 0..5u32, crash(), any::<bool>()),
            1..10,
        )
    ) {
        random_trades(trades);
    }
}
