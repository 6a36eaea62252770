//! Trading bots against a persistent server over real UDP, every packet through a lossy, jittery
//! link: honest traders trade to the end untroubled, a duper's tricks are refused with reasons,
//! and across all of it no item or coin is created or lost — in the world and in the store.

use arbiter::bots::{Arsenal, BotsReport, Swarm};
use arbiter::cli::Behavior;
use arbiter::persistence::Progress;
use arbiter::store_commands::open_store;
use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::player::PlayerId;
use arbiter_testing::databases::runtime;
use arbiter_testing::items::{assert_store_clean, shipped_economy};
use arbiter_testing::net::{self, TestServer, test_config};
use std::time::Duration;

/// What the bots ended with: the report, and per bot its player id and holdings on the server.
struct Played {
    report: BotsReport,
    held: Vec<(u64, Behavior, Inventory, Wallet)>,
}

/// Plays `behaviors` (traders pair in order) over links of 20 ms ± 5 ms each way losing `loss` of
/// packets, until `until` holds (at most 6,000 steps); then steps until every player is stored
/// and checks the store.
fn play_trades(behaviors: &[Behavior], loss: f64, until: impl Fn(&BotsReport) -> bool) -> Played {
    let mut server = TestServer::start_persistent(|config| {
        // A duper that disconnected stays in the world, to be counted.
        config.net.reconnect_grace_secs = 600;
    });
    let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
    for (index, behavior) in behaviors.iter().enumerate() {
        let link = LinkConditioner::new(
            Duration::from_millis(20),
            Duration::from_millis(5),
            loss,
            index as u64 + 1,
        );
        let client =
            ArbiterClient::connect(server.token(index as u64 + 1), Some(link)).expect("socket");
        swarm.add(client, *behavior);
    }
    let mut step = 0u64;
    while step < 6000 && !until(&swarm.report()) {
        server.tick();
        swarm.play_frame(net::TICK, step * net::TICK.as_micros() as u64);
        std::thread::sleep(Duration::from_micros(200));
        step += 1;
    }
    let report = swarm.report();
    let world = server.app.world_mut();
    let held = swarm
        .players()
        .into_iter()
        .map(|(player_id, behavior)| {
            let mut players = world.query::<(&PlayerId, &Inventory, &Wallet)>();
            let (_, inventory, wallet) = players
                .iter(world)
                .find(|(id, ..)| id.0 == player_id)
                .expect("every bot is still in the world");
            (player_id, behavior, inventory.clone(), wallet.clone())
        })
        .collect();
    let stored = |server: &mut TestServer| {
        let world = server.app.world_mut();
        world
            .query::<&Progress>()
            .iter(world)
            .all(Progress::is_durable)
    };
    for _ in 0..3000 {
        if stored(&mut server) {
            break;
        }
        server.tick();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(stored(&mut server), "every player's progress was stored");
    let store = open_store(&test_config(&server.data_dir)).expect("the store");
    let ids: Vec<u64> = (1..=behaviors.len() as u64).collect();
    runtime().block_on(assert_store_clean(&store, &ids));
    swarm.leave();
    Played { report, held }
}

/// Units of each starter item and coins over all bots equal what their starter kits gave.
fn assert_conserved(played: &Played) {
    let kit = shipped_economy().rewards.starter_kit;
    let bots = played.held.len() as u64;
    for item in &kit.items {
        let total: u64 = played
            .held
            .iter()
            .map(|(_, _, inventory, _)| inventory.count(&item.item))
            .sum();
        assert_eq!(total, bots * u64::from(item.qty), "{}", item.item);
    }
    for currency in &kit.currencies {
        let total: u64 = played
            .held
            .iter()
            .map(|(_, _, _, wallet)| wallet.balance(&currency.currency))
            .sum();
        assert_eq!(total, bots * currency.amount, "{}", currency.currency);
    }
    for behavior in played.report.behaviors.values() {
        assert!(!behavior.item_changes.contains_key("used"), "{behavior:#?}");
        assert!(!behavior.item_changes.contains_key("discarded"));
    }
}

#[test]
fn six_traders_on_a_lossy_jittery_link_trade_back_and_forth_and_nothing_is_created_or_lost() {
    let played = play_trades(&[Behavior::Trader; 6], 0.02, |report| {
        report.trades_settled >= 30
    });
    let traders = &played.report.behaviors["trader"];
    assert!(played.report.trades_settled >= 30, "{:#?}", played.report);
    assert!(
        traders.trade_refusals.is_empty() && traders.item_refusals.is_empty(),
        "an honest trader is never refused: {traders:#?}"
    );
    assert!(traders.trades_cancelled.is_empty(), "{traders:#?}");
    assert!(played.report.trade_settle_ms_p99.is_some());
    assert_conserved(&played);
    assert!(
        traders.item_changes.contains_key("coins:trade"),
        "coins changed hands: {traders:#?}"
    );
}

#[test]
fn a_duper_gains_nothing_and_each_of_its_tricks_is_refused_with_a_reason() {
    let behaviors = [
        Behavior::Duper,
        Behavior::Trader,
        Behavior::Duper,
        Behavior::Trader,
    ];
    // Until both dupers have left mid-settlement (after their third settled trade).
    let played = play_trades(&behaviors, 0.02, |report| {
        report
            .behaviors
            .get("duper")
            .is_some_and(|duper| duper.trade_walkouts == 2)
    });
    let duper = &played.report.behaviors["duper"];
    assert!(duper.trades_settled >= 6, "{:#?}", played.report);
    assert!(
        duper.trade_refusals.contains_key("stale_version"),
        "a stale accept is refused: {duper:#?}"
    );
    assert!(
        duper.item_refusals.contains_key("offered_in_trade"),
        "what it offered cannot be used, discarded or spent under review: {duper:#?}"
    );
    assert_eq!(duper.trade_walkouts, 2, "{:#?}", played.report);
    let traders = &played.report.behaviors["trader"];
    assert!(traders.item_refusals.is_empty(), "{traders:#?}");
    assert_conserved(&played);
}
