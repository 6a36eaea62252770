//! Settling a trade in the server app, players on two shards: it waits at the fence while a side
//! has changes not yet stored (and has them written at once), then moves both sides in one tick,
//! and each side's shard stores the trade once; the store verifies clean.

use arbiter::economy::TradesInDoubt;
use arbiter::persistence::PlayerEvent;
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter_components::inventory::{InstanceId, Inventory, TradedItems, Wallet};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::ItemRequest;
use arbiter_components::trade::{
    SettleTrade, TradeLock, TradePhase, TradeRequest, TradeRequested, TradeSettled, TradeSide,
};
use arbiter_systems::economy::ItemRequested;
use arbiter_systems::trade::Trade;
use arbiter_testing::databases::{on_postgres, runtime, sqlite_shards};
use arbiter_testing::items::{assert_store_clean, shipped_economy};
use arbiter_testing::persisted_app::{log_in, persisted_app_with, step_until, step_until_durable};
use bevy_app::App;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use smol_str::SmolStr;
use std::collections::BTreeMap;
use std::sync::Arc;

const BUYER: u64 = 1;
const PRICE: u64 = 100;
const STARTER_COINS: u64 = 200;
const PISTOL_PRICE: u64 = 60;

fn holdings(app: &App, player: Entity) -> (Inventory, Wallet) {
    let entity = app.world().entity(player);
    (
        entity.get::<Inventory>().cloned().expect("an inventory"),
        entity.get::<Wallet>().cloned().expect("a wallet"),
    )
}

fn settled(app: &App) -> Vec<TradeSettled> {
    let messages = app.world().resource::<Messages<TradeSettled>>();
    messages.iter_current_update_messages().cloned().collect()
}

/// The seller's starter rifle and a medkit for 100 of the buyer's coins; the buyer buys a pistol
/// in the tick the trade is asked to settle, so the fence holds it until that is stored.
fn settle_across_shards(urls: Vec<String>) {
    let mut config = ServerConfig::default();
    config.persistence.shards = urls;
    // Far longer than the test: only the fence's own flushes write anything.
    config.persistence.flush_interval_secs = 3600;
    let store = open_store(&config).expect("the store");
    let seller_id = (2..)
        .find(|id| store.shard_of(*id) != store.shard_of(BUYER))
        .expect("a player on the other shard");
    let mut app = persisted_app_with(config, &store, false, |plugins| {
        plugins.with_economy(shipped_economy())
    });
    let buyer = log_in(&mut app, BUYER);
    let seller = log_in(&mut app, seller_id);
    app.update();
    let (seller_kit, _) = holdings(&app, seller);
    let rifle: InstanceId = *seller_kit
        .instances()
        .keys()
        .next()
        .expect("a starter rifle");

    app.world_mut().write_message(ItemRequested {
        player: buyer,
        request: ItemRequest::Buy {
            offer: "pistol".into(),
        },
    });
    app.world_mut().write_message(SettleTrade {
        trade: 7,
        sides: [
            TradeSide {
                player: buyer,
                items: Arc::default(),
                currencies: BTreeMap::from([("coins".into(), PRICE)]),
            },
            TradeSide {
                player: seller,
                items: Arc::new(TradedItems {
                    stacks: BTreeMap::from([("medkit".into(), 1)]),
                    instances: BTreeMap::from([(rifle, "rifle".into())]),
                }),
                currencies: BTreeMap::new(),
            },
        ],
    });
    app.update();
    assert!(
        settled(&app).is_empty(),
        "held at the fence: the purchase is not stored"
    );
    let (_, wallet) = holdings(&app, buyer);
    assert_eq!(wallet.balance("coins"), STARTER_COINS - PISTOL_PRICE);

    assert!(
        step_until(&mut app, 200, |app| !settled(app).is_empty()),
        "settles once the purchase is stored"
    );
    let done = settled(&app);
    assert_eq!(done[0].players, [buyer, seller]);
    let in_doubt = |app: &App| app.world().resource::<TradesInDoubt>().len();
    assert_eq!(in_doubt(&app), 1, "settled, not yet stored");
    let (bought, paid) = holdings(&app, buyer);
    let (sold, earned) = holdings(&app, seller);
    assert_eq!(paid.balance("coins"), STARTER_COINS - PISTOL_PRICE - PRICE);
    assert_eq!(earned.balance("coins"), STARTER_COINS + PRICE);
    assert_eq!((bought.count("rifle"), bought.count("medkit")), (2, 3));
    assert_eq!(
        bought.instances().get(&rifle).map(SmolStr::as_str),
        Some("rifle")
    );
    assert_eq!((sold.count("rifle"), sold.count("medkit")), (0, 1));
    assert_eq!(sold.loadout().primary, None, "the sold rifle was equipped");

    assert!(
        step_until_durable(&mut app, buyer),
        "the buyer's leg is stored"
    );
    assert!(
        step_until_durable(&mut app, seller),
        "the seller's leg is stored"
    );
    assert!(
        step_until(&mut app, 5, |app| in_doubt(app) == 0),
        "no longer in doubt"
    );
    let ids = [BUYER, seller_id];
    let queries = runtime();
    queries.block_on(async {
        for (id, player) in ids.into_iter().zip([buyer, seller]) {
            let events = store.events(id).await.expect("events");
            let transfers: Vec<&str> = events
                .iter()
                .filter_map(|stored| match &stored.event {
                    PlayerEvent::Transfer(transfer) => Some(transfer.id.as_str()),
                    _ => None,
                })
                .collect();
            assert_eq!(transfers, [done[0].transfer.as_str()], "player {id}");
            let stored = store
                .load_players(&[id])
                .await
                .players
                .pop()
                .expect("stored");
            let (inventory, wallet) = holdings(&app, player);
            assert_eq!(*stored.part::<Inventory>().expect("decodes"), inventory);
            assert_eq!(*stored.part::<Wallet>().expect("decodes"), wallet);
        }
        assert_store_clean(&store, &ids).await;
    });
    assert_eq!(
        app.world().get::<PlayerId>(buyer).map(|id| id.0),
        Some(BUYER)
    );
}

/// Sends `request` from `player` and steps until the trade (if any is left) is in `phase`.
fn ask(app: &mut App, player: Entity, request: TradeRequest, phase: Option<TradePhase>) {
    app.world_mut()
        .write_message(TradeRequested { player, request });
    let reached = step_until(app, 50, |app| {
        let mut trades = app
            .world()
            .try_query::<&Trade>()
            .expect("trades are components");
        trades.iter(app.world()).next().map(|trade| trade.phase) == phase
    });
    assert!(reached, "the trade reaches {phase:?}");
}

/// Two players trade through their requests, from invitation to settlement, in the server app.
fn trade_by_requests(urls: Vec<String>) {
    let mut config = ServerConfig::default();
    config.persistence.shards = urls;
    let store = open_store(&config).expect("the store");
    let mut app = persisted_app_with(config, &store, false, |plugins| {
        plugins.with_economy(shipped_economy())
    });
    let (a, b) = (log_in(&mut app, 11), log_in(&mut app, 12));
    app.update();
    ask(
        &mut app,
        a,
        TradeRequest::Invite { player_id: 12 },
        Some(TradePhase::Invited),
    );
    let trade = {
        let mut trades = app.world_mut().query::<&Trade>();
        trades.single(app.world()).expect("one trade").id
    };
    ask(
        &mut app,
        b,
        TradeRequest::Respond {
            trade,
            accept: true,
        },
        Some(TradePhase::Offer),
    );
    let medkit = TradeRequest::SetOffer {
        trade,
        stacks: vec![("medkit".into(), 2)],
        instances: Vec::new(),
        currencies: Vec::new(),
    };
    ask(&mut app, a, medkit, Some(TradePhase::Offer));
    let coins = TradeRequest::SetOffer {
        trade,
        stacks: Vec::new(),
        instances: Vec::new(),
        currencies: vec![("coins".into(), 25)],
    };
    ask(&mut app, b, coins, Some(TradePhase::Offer));
    // Both accept the offers (version 2), then both accept them under review (version 3).
    let accept = |version| TradeRequest::Accept { trade, version };
    ask(&mut app, a, accept(2), Some(TradePhase::Offer));
    ask(&mut app, b, accept(2), Some(TradePhase::Review));
    ask(&mut app, a, accept(3), Some(TradePhase::Review));
    ask(&mut app, b, accept(3), None);
    let (a_items, a_coins) = holdings(&app, a);
    let (b_items, b_coins) = holdings(&app, b);
    assert_eq!(
        (a_items.count("medkit"), a_coins.balance("coins")),
        (0, STARTER_COINS + 25)
    );
    assert_eq!(
        (b_items.count("medkit"), b_coins.balance("coins")),
        (4, STARTER_COINS - 25)
    );
    assert!(
        app.world().get::<TradeLock>(a).is_none(),
        "unlocked once settled"
    );
}

#[test]
fn on_sqlite_a_trade_waits_for_unsaved_changes_then_settles_both_sides_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    settle_across_shards(sqlite_shards(&dir, 2));
}

#[test]
fn two_players_trade_by_their_requests_from_invitation_to_settlement() {
    let dir = tempfile::tempdir().expect("temp dir");
    trade_by_requests(sqlite_shards(&dir, 2));
}

#[test]
fn on_postgres_a_trade_waits_for_unsaved_changes_then_settles_both_sides_once() {
    // The server app runs its own runtime: the test runs on a thread of its own.
    on_postgres(2, |urls| async move {
        std::thread::spawn(move || settle_across_shards(urls))
            .join()
            .expect("the trade settles");
    });
}
