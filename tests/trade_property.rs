//! A state machine over the server app with four players on two SQLite shards: random
//! invitations, answers, offers, accepts (current, stale and repeated), cancellations,
//! disconnects and reconnects, ticks, flushes and crashes (the app dropped with its writer, at
//! whatever point it was; the store reopened, half-stored trades completed, the players loaded
//! again). After every step the world conserves every item and coin and holds each instance once;
//! after every crash and at the end the store does too, verifies clean and has no trade on one
//! side only.

use arbiter::economy::audit_economy;
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter_components::inventory::{InstanceId, Inventory, Wallet};
use arbiter_components::session::AwaitingReconnect;
use arbiter_components::trade::{TradePhase, TradeRequest, TradeRequested};
use arbiter_systems::trade::{InTrade, Trade};
use arbiter_testing::databases::{runtime, sqlite_shards};
use arbiter_testing::items::{assert_store_clean, shipped_economy};
use arbiter_testing::persisted_app::{log_in, persisted_app_with, step_until_durable};
use bevy_app::App;
use bevy_ecs::entity::Entity;
use proptest::prelude::*;
use smol_str::SmolStr;
use std::collections::{BTreeMap, HashSet};

const IDS: [u64; 4] = [1, 2, 3, 4];

#[derive(Debug, Clone)]
enum Step {
    Invite(usize, usize),
    Respond(usize, bool),
    /// Coins, medkits, and whether to offer a rifle.
    Offer(usize, u64, u32, bool),
    /// A whole honest trade between two players, a tick between requests: coins and medkits
    /// one way, coins the other.
    Trade(usize, usize, u64, u32, u64),
    /// Accept the current version, or (stale) another one.
    Accept(usize, bool),
    Cancel(usize),
    /// The connection drops, or comes back.
    ToggleConnection(usize),
    Ticks(u32),
    Flush,
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    let player = 0..IDS.len();
    prop_oneof![
        2 => (player.clone(), player.clone()).prop_map(|(a, b)| Step::Invite(a, b)),
        2 => (player.clone(), prop::bool::weighted(0.9)).prop_map(|(p, yes)| Step::Respond(p, yes)),
        3 => (player.clone(), 0..120u64, 0..3u32, any::<bool>())
            .prop_map(|(p, coins, medkits, rifle)| Step::Offer(p, coins, medkits, rifle)),
        4 => (player.clone(), player.clone(), 0..150u64, 0..3u32, 0..150u64)
            .prop_map(|(a, b, coins, medkits, back)| Step::Trade(a, b, coins, medkits, back)),
        6 => (player.clone(), prop::bool::weighted(0.15)).prop_map(|(p, stale)| Step::Accept(p, stale)),
        1 => player.clone().prop_map(Step::Cancel),
        1 => player.prop_map(Step::ToggleConnection),
        3 => (1..8u32).prop_map(Step::Ticks),
        1 => Just(Step::Flush),
        1 => Just(Step::Crash),
    ]
}

/// The server app over the shards, its players logged in and their starter kits stored.
struct Server {
    config: ServerConfig,
    app: App,
    players: Vec<Entity>,
}

impl Server {
    fn start(config: &ServerConfig) -> Self {
        let store = open_store(config).expect("the store");
        let report = runtime().block_on(store.complete_transfers());
        assert!(report.left_open.is_empty(), "{:?}", report.left_open);
        let mut app = persisted_app_with(config.clone(), &store, false, |plugins| {
            plugins.with_economy(shipped_economy())
        });
        let players: Vec<Entity> = IDS.iter().map(|id| log_in(&mut app, *id)).collect();
        for player in &players {
            assert!(step_until_durable(&mut app, *player), "stored");
        }
        Self {
            config: config.clone(),
            app,
            players,
        }
    }

    fn ask(&mut self, player: usize, request: TradeRequest) {
        let player = self.players[player];
        self.app
            .world_mut()
            .write_message(TradeRequested { player, request });
    }

    /// The trade player `index` is in.
    fn trade_of(&self, index: usize) -> Option<Trade> {
        let world = self.app.world();
        let trade = world.get::<InTrade>(self.players[index])?.0;
        world.get::<Trade>(trade).cloned()
    }

    fn ticks(&mut self, count: u32) {
        for _ in 0..count {
            self.app.update();

            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    fn holdings(&self) -> Vec<(Inventory, Wallet)> {
        self.players
            .iter()
            .map(|player| {
                let entity = self.app.world().entity(*player);
                (
                    entity.get::<Inventory>().cloned().expect("an inventory"),
                    entity.get::<Wallet>().cloned().expect("a wallet"),
                )
            })
            .collect()
    }
}

/// Four starter kits.
fn kits() -> BTreeMap<SmolStr, u128> {
    let kit = shipped_economy().rewards.starter_kit;
    let mut totals = BTreeMap::new();
    for item in &kit.items {
        *totals.entry(SmolStr::new(&item.item)).or_default() +=
            u128::from(item.qty) * IDS.len() as u128;
    }
    for currency in &kit.currencies {
        *totals.entry(SmolStr::new(&currency.currency)).or_default() +=
            u128::from(currency.amount) * IDS.len() as u128;
    }
    totals
}

/// Every item and coin of the four kits is held, once.
fn assert_world_conserves(server: &Server) {
    let mut totals: BTreeMap<SmolStr, u128> = BTreeMap::new();
    let mut instances: HashSet<InstanceId> = HashSet::new();
    for (inventory, wallet) in server.holdings() {
        for (item, qty) in inventory.stacks() {
            *totals.entry(item.clone()).or_default() += u128::from(*qty);
        }
        for (instance, item) in inventory.instances() {
            *totals.entry(item.clone()).or_default() += 1;
            assert!(
                instances.insert(*instance),
                "instance {instance:?} held twice"
            );
        }
        for (currency, balance) in wallet.balances() {
            *totals.entry(currency.clone()).or_default() += u128::from(*balance);
        }
    }
    totals.retain(|_, amount| *amount > 0);
    assert_eq!(totals, kits());
}

/// The store verifies clean, has no transfer on one side only, and holds the four kits.
fn assert_store_conserves(config: &ServerConfig) {
    let store = open_store(config).expect("the store");
    runtime().block_on(async {
        assert_store_clean(&store, &IDS).await;
        let audit = audit_economy(&store, &IDS, config.economy.inventory_capacity)
            .await
            .expect("the audit runs");
        let mut held = audit.held;
        held.retain(|_, amount| *amount > 0);
        assert_eq!(held, kits());
    });
}

/// `player`'s offer in its trade, if it is in one.
fn offer(server: &mut Server, player: usize, coins: u64, medkits: u32, rifle: bool) {
    let Some(trade) = server.trade_of(player) else {
        return;
    };
    let (inventory, _) = &server.holdings()[player];
    let rifle = rifle
        .then(|| inventory.instances().keys().next().copied())
        .flatten();
    server.ask(
        player,
        TradeRequest::SetOffer {
            trade: trade.id,
            stacks: (medkits > 0)
                .then(|| ("medkit".to_owned(), medkits))
                .into_iter()
                .collect(),
            instances: rifle.into_iter().collect(),
            currencies: (coins > 0)
                .then(|| ("coins".to_owned(), coins))
                .into_iter()
                .collect(),
        },
    );
}

/// `player` accepts its trade at its current version (or, stale, at another), twice.
fn accept(server: &mut Server, player: usize, stale: bool) {
    let Some(trade) = server.trade_of(player) else {
        return;
    };
    let version = match stale {
        true => trade.version.wrapping_add(1),
        false => trade.version,
    };
    let accept = TradeRequest::Accept {
        trade: trade.id,
        version,
    };
    // The second changes nothing.
    server.ask(player, accept.clone());
    server.ask(player, accept);
}

fn run(steps: Vec<Step>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServerConfig::default();
    config.persistence.shards = sqlite_shards(&dir, 2);
    let mut server = Server::start(&config);
    for step in steps {
        match step {
            Step::Invite(from, to) => server.ask(from, TradeRequest::Invite { player_id: IDS[to] }),
            Step::Respond(player, accept) => {
                if let Some(trade) = server.trade_of(player) {
                    server.ask(
                        player,
                        TradeRequest::Respond {
                            trade: trade.id,
                            accept,
                        },
                    );
                }
            }
            Step::Offer(player, coins, medkits, rifle) => {
                offer(&mut server, player, coins, medkits, rifle);
            }
            Step::Accept(player, stale) => accept(&mut server, player, stale),
            Step::Trade(a, b, coins, medkits, back) => {
                server.ask(a, TradeRequest::Invite { player_id: IDS[b] });
                server.ticks(1);
                if let Some(trade) = server.trade_of(b) {
                    let answer = TradeRequest::Respond {
                        trade: trade.id,
                        accept: true,
                    };
                    server.ask(b, answer);
                }
                server.ticks(1);
                offer(&mut server, a, coins, medkits, false);
                offer(&mut server, b, back, 0, true);
                server.ticks(1);
                for _ in 0..2 {
                    accept(&mut server, a, false);
                    accept(&mut server, b, false);
                    server.ticks(1);
                }
            }
            Step::Cancel(player) => {
                if let Some(trade) = server.trade_of(player)
                    && trade.phase != TradePhase::Settling
                {
                    server.ask(player, TradeRequest::Cancel { trade: trade.id });
                }
            }
            Step::ToggleConnection(player) => {
                let entity = server.players[player];
                let mut entity = server.app.world_mut().entity_mut(entity);
                if entity.contains::<AwaitingReconnect>() {
                    entity.remove::<AwaitingReconnect>();
                } else {
                    entity.insert(AwaitingReconnect { since_tick: 0 });
                }
            }
            Step::Ticks(count) => server.ticks(count),
            Step::Flush => {
                for player in server.players.clone() {
                    server
                        .app
                        .world_mut()
                        .write_message(arbiter::persistence::FlushNow(player));
                }
            }
            Step::Crash => {
                // The app and its writer stop wherever they are; what was committed stays.
                let Server { config, app, .. } = server;
                drop(app);
                server = Server::start(&config);
                assert_store_conserves(&config);
            }
        }
        server.ticks(1);
        assert_world_conserves(&server);
    }
    let Server { config, app, .. } = server;
    drop(app);
    // The last crash of all: whatever was in flight, the next start completes or forgets it whole.
    let restarted = Server::start(&config);
    assert_world_conserves(&restarted);
    drop(restarted);
    assert_store_conserves(&config);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn random_trading_with_crashes_never_duplicates_or_loses_anything(
        steps in prop::collection::vec(step(), 10..60)
    ) {
        run(steps);
    }
}
