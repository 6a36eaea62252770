//! The real binary on two PostgreSQL shards, one behind a proxy that cuts it. Two players on
//! different shards trade over UDP while one shard is gone: the trade settles in the game, half of
//! it is stored, and it is in doubt while play goes on. When the shard comes back it completes by
//! itself; and when the server is killed with `kill -9` before that, the next start completes it
//! from the stored half. Both-or-neither and conservation hold, whichever shard was cut.

use arbiter::economy::economy_parts;
use arbiter::persistence::Store;
use arbiter_client::ArbiterClient;
use arbiter_client::inventory::OwnedItems;
use arbiter_client::trade::TradeTracker;
use arbiter_components::inventory::{InstanceId, Inventory, Wallet};
use arbiter_components::protocol::{ClientMessage, ServerMessage, TradeOutcome, TradeView};
use arbiter_components::trade::{TradePhase, TradeRequest};
use arbiter_testing::databases::PostgresDatabases;
use arbiter_testing::http;
use arbiter_testing::items::assert_store_clean;
use arbiter_testing::process::{ServerProcess, run_command, write_shard_config};
use arbiter_testing::proxy::FlakyProxy;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

const PRICE: u64 = 50;
const STARTER_COINS: u64 = 200;

/// A player's client and everything it was told.
struct Player {
    id: u64,
    client: ArbiterClient,
    /// Since the last trade began.
    heard: Vec<ServerMessage>,
    owned: OwnedItems,
    trades: TradeTracker,
}

impl Player {
    fn connect(config: &Path, id: u64) -> Self {
        let token = arbiter(config, &["token", "--player-id", &id.to_string()]);
        let token = arbiter_client::token::decode_token(token.trim()).expect("a token");
        Self {
            id,
            client: ArbiterClient::connect(token, None).expect("client socket"),
            heard: Vec::new(),
            owned: OwnedItems::default(),
            trades: TradeTracker::default(),
        }
    }

    fn pump(&mut self) {
        // A connection lost to the kill is the test's doing, not a failure.
        let _ = self.client.update(Duration::from_millis(10));
        for message in self.client.receive() {
            self.owned.observe(&message);
            self.trades.observe(&message);
            self.heard.push(message);
        }
        let _ = self.client.flush();
    }

    fn send(&mut self, request: TradeRequest) {
        self.client.send(&ClientMessage::Trade(request));
        let _ = self.client.flush();
    }

    /// The trade it is in, as last shown.
    fn trade(&self) -> Option<&TradeView> {
        self.trades.current()
    }

    fn settled(&self) -> bool {
        self.heard.iter().any(|message| {
            matches!(
                message,
                ServerMessage::TradeEnded {
                    outcome: TradeOutcome::Settled { .. },
                    ..
                }
            )
        })
    }

    fn rifle(&self) -> Option<InstanceId> {
        self.owned.instance_of("rifle")
    }
}

fn arbiter(config: &Path, args: &[&str]) -> String {
    run_command(env!("CARGO_BIN_EXE_arbiter"), config, args)
}

/// Pumps both players until `done`, failing after 15 s.
fn until(players: &mut [Player; 2], what: &str, done: impl Fn(&[Player; 2]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done(players) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        for player in players.iter_mut() {
            player.pump();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn metric(admin: SocketAddr, series: &str) -> Option<f64> {
    let (_, body) = http::get(admin, "/metrics").expect("GET /metrics");
    http::metric_value(&body, series)
}

fn wait_metric(admin: SocketAddr, series: &str, value: f64, players: &mut [Player; 2]) {
    until(players, &format!("{series} = {value}"), |_| {
        metric(admin, series) == Some(value)
    });
}

/// `seller` sells its starter rifle to `buyer` for 50 coins, accepting at every version seen.
fn trade_rifle_for_coins(players: &mut [Player; 2]) {
    for player in players.iter_mut() {
        player.heard.clear();
    }
    let [seller, buyer] = players;
    let rifle = seller.rifle().expect("a rifle to sell");
    seller.send(TradeRequest::Invite {
        player_id: buyer.id,
    });
    until(players, "the invitation", |[_, buyer]| {
        buyer.trade().is_some()
    });
    let trade = players[1].trade().expect("seen").trade;
    players[1].send(TradeRequest::Respond {
        trade,
        accept: true,
    });
    until(players, "open offers", |[seller, _]| {
        seller
            .trade()
            .is_some_and(|view| view.phase == TradePhase::Offer)
    });
    players[0].send(TradeRequest::SetOffer {
        trade,
        stacks: Vec::new(),
        instances: vec![rifle],
        currencies: Vec::new(),
    });
    until(players, "the seller's offer", |[_, buyer]| {
        buyer
            .trade()
            .is_some_and(|view| !view.sides[0].instances.is_empty())
    });
    players[1].send(TradeRequest::SetOffer {
        trade,
        stacks: Vec::new(),
        instances: Vec::new(),
        currencies: vec![("coins".into(), PRICE)],
    });
    for phase in [TradePhase::Offer, TradePhase::Review] {
        until(players, "both offers at one version", |players| {
            players.iter().all(|player| {
                player
                    .trade()
                    .is_some_and(|view| view.phase == phase && !view.sides[1].currencies.is_empty())
            }) && players[0].trade().map(|view| view.version)
                == players[1].trade().map(|view| view.version)
        });
        let version = players[0].trade().expect("seen").version;
        for player in players.iter_mut() {
            player.send(TradeRequest::Accept { trade, version });
        }
    }
    until(players, "the settlement", |players| {
        players.iter().all(Player::settled)
    });
}

/// Pumps both players until exactly one transfer is stored on one side only, and returns it.
/// A trade is in doubt from the tick it settles, before even the reachable side's flush has
/// committed, so the gauge alone does not say that half is stored yet.
fn wait_half_written(
    setup: &tokio::runtime::Runtime,
    store: &Store,
    players: &mut [Player; 2],
) -> Vec<(String, Vec<String>)> {
    let read = || {
        setup
            .block_on(store.half_written_transfers())
            .expect("read")
    };
    until(players, "one side stored, the other not", |_| {
        read().len() == 1
    });
    read()
}

/// `(coins, rifles)` of each player, as stored.
async fn stored_holdings(store: &Store, ids: [u64; 2]) -> [(u64, u64); 2] {
    let loaded = store.load_players(&ids).await;
    assert!(loaded.failed.is_empty());
    ids.map(|id| {
        let record = loaded
            .players
            .iter()
            .find(|record| record.id == id)
            .expect("stored");
        let inventory = record.part::<Inventory>().expect("an inventory");
        let wallet = record.part::<Wallet>().expect("a wallet");
        (wallet.balance("coins"), inventory.count("rifle"))
    })
}

/// Two trades while shard `cut` is gone: the first completes when it comes back, the second
/// after a `kill -9` and a restart.
fn trades_with_a_shard_cut(cut: usize) {
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    let Some(databases) = setup.block_on(PostgresDatabases::create(2)) else {
        return;
    };
    let proxy = FlakyProxy::start("127.0.0.1:5432".parse().expect("address"));
    let direct = databases.urls();
    let mut shards = direct.clone();
    shards[cut] = shards[cut].replace("127.0.0.1:5432", &proxy.addr.to_string());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = write_shard_config(dir.path(), &shards);
    let store = Store::open(&direct)
        .expect("the store")
        .with_parts(economy_parts());
    // The seller is on the shard that stays, the buyer on the one that is cut.
    let seller_id = (1..).find(|id| store.shard_of(*id) != cut).expect("an id");
    let buyer_id = (1..).find(|id| store.shard_of(*id) == cut).expect("an id");
    let ids = [seller_id, buyer_id];

    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &config);
    let admin = server.admin_address();
    let mut players = ids.map(|id| Player::connect(&config, id));
    until(&mut players, "both starter kits", |players| {
        players.iter().all(|player| player.rifle().is_some())
    });
    wait_metric(admin, "arbiter_persist_pending_players", 0.0, &mut players);

    // First trade: the shard comes back while the server runs.
    proxy.cut();
    trade_rifle_for_coins(&mut players);
    wait_metric(admin, "arbiter_trades_in_doubt", 1.0, &mut players);
    let half = wait_half_written(&setup, &store, &mut players);
    assert_eq!(
        half[0].1,
        vec![buyer_id.to_string()],
        "the cut side is missing"
    );
    // Play goes on: the server keeps ticking and answering while the trade is in doubt.
    let ticks = metric(admin, "arbiter_ticks_total").expect("ticks");
    until(&mut players, "more ticks", |_| {
        metric(admin, "arbiter_ticks_total").is_some_and(|now| now > ticks + 60.0)
    });
    proxy.restore();
    wait_metric(admin, "arbiter_trades_in_doubt", 0.0, &mut players);
    let half = setup
        .block_on(store.half_written_transfers())
        .expect("read");
    assert_eq!(half, vec![], "completed once the shard was back");
    let after_first = [(STARTER_COINS + PRICE, 0), (STARTER_COINS - PRICE, 2)];
    assert_eq!(setup.block_on(stored_holdings(&store, ids)), after_first);

    // Second trade: the buyer sells a rifle back, and the server dies before the shard is back.
    players.reverse();
    proxy.cut();
    trade_rifle_for_coins(&mut players);
    wait_metric(admin, "arbiter_trades_in_doubt", 1.0, &mut players);
    wait_half_written(&setup, &store, &mut players);
    server.signal("KILL");
    assert!(!server.wait_exit(Duration::from_secs(10)).success());
    let half = setup
        .block_on(store.half_written_transfers())
        .expect("read");
    assert_eq!(half.len(), 1, "the stored half outlives the kill: {half:?}");
    proxy.restore();

    // The next start completes it before anyone logs in; verify agrees.
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &config);
    server.admin_address();
    let half = setup
        .block_on(store.half_written_transfers())
        .expect("read");
    assert_eq!(half, vec![], "completed at start");
    assert_eq!(
        setup.block_on(stored_holdings(&store, ids)),
        [(STARTER_COINS, 1), (STARTER_COINS, 1)]
    );
    setup.block_on(assert_store_clean(&store, &ids));
    let verify = arbiter(&config, &["verify"]);
    assert!(verify.contains("0 half-written transfer(s)"), "{verify}");
    // Two starter kits in all, however they changed hands.
    assert!(
        verify.contains("held in total: coins=400 medkit=4 rifle=2\n"),
        "{verify}"
    );
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).success());
    drop(store);
    setup.block_on(databases.drop_all());
}

#[test]
fn a_trade_whose_buyers_shard_is_cut_completes_when_it_returns_and_after_a_kill_9() {
    trades_with_a_shard_cut(1);
}

#[test]
fn a_trade_whose_buyers_shard_is_the_first_and_is_cut_completes_alike() {
    trades_with_a_shard_cut(0);
}
