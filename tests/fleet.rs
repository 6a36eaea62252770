//! The fleet's shared state on a real Redis: game servers are never filled past their capacity
//! however many matchmakers allocate at once, and no player is ever claimed for two matches, also
//! when leadership changes hands in the middle of a claim.

use arbiter::fleet::{Allocation, Claim, Epoch, Fleet, ServerReport};
use arbiter::read::live::LiveMatches;
use arbiter::read::presence::Presence;
use arbiter::read::redis_link::RedisLink;
use arbiter::read::{LiveMatch, SessionInfo};
use arbiter_testing::redis_server;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// A fleet on Redis database `index` (each test has its own), or `None` when Redis is absent.
async fn fleet(index: u8) -> Option<Fleet> {
    let url = redis_server::fresh_database(index).await?;
    Some(Fleet::new(
        RedisLink::lazy(&url).expect("a Redis URL"),
        "test",
    ))
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

async fn report(
    fleet: &Fleet,
    id: &str,
    port: u16,
    region: &str,
    capacity: u32,
    running: &[u64],
) -> i64 {
    fleet
        .report(&ServerReport {
            id,
            address: address(port),
            region,
            capacity,
            running,
            draining: false,
            ttl: LONG,
        })
        .await
        .expect("the report is stored")
}

async fn allocate(
    fleet: &Fleet,
    match_id: u64,
    regions: &[&str],
    deadline: Duration,
) -> Option<Allocation> {
    fleet
        .allocate(match_id, regions, deadline)
        .await
        .expect("the allocation runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matchmakers_allocating_at_once_never_fill_a_server_past_its_capacity() {
    let Some(fleet) = fleet(10).await else { return };
    for (index, id) in ["a", "b", "c"].into_iter().enumerate() {
        report(&fleet, id, 7000 + index as u16, "eu", 4, &[]).await;
    }
    let allocations = (0..40u64).map(|match_id| {
        let fleet = fleet.clone();
        tokio::spawn(async move { allocate(&fleet, match_id, &["eu"], LONG).await })
    });
    let mut per_server: HashMap<String, u32> = HashMap::new();
    let mut refused = 0;
    for allocation in allocations {
        match allocation.await.expect("the task ends") {
            Some(allocation) => *per_server.entry(allocation.server_id).or_default() += 1,
            None => refused += 1,
        }
    }
    assert_eq!(per_server.len(), 3, "{per_server:?}");
    assert!(
        per_server.values().all(|&matches| matches == 4),
        "{per_server:?}"
    );
    assert_eq!(refused, 28);
}

#[tokio::test]
async fn allocation_fills_the_fullest_server_first_and_tries_regions_in_the_order_given() {
    let Some(fleet) = fleet(9).await else { return };
    report(&fleet, "eu-quiet", 7001, "eu", 4, &[]).await;
    report(&fleet, "eu-busy", 7002, "eu", 4, &[1, 2]).await;
    report(&fleet, "us", 7003, "us", 4, &[]).await;

    let first = allocate(&fleet, 10, &["eu", "us"], LONG)
        .await
        .expect("room in eu");
    assert_eq!(first.server_id, "eu-busy");
    assert_eq!(first.address, address(7002));
    assert_eq!(
        allocate(&fleet, 11, &["eu"], LONG)
            .await
            .expect("room")
            .server_id,
        "eu-busy"
    );
    // eu-busy is full now (2 running + 2 reserved).
    assert_eq!(
        allocate(&fleet, 12, &["eu"], LONG)
            .await
            .expect("room")
            .server_id,
        "eu-quiet"
    );
    assert_eq!(
        allocate(&fleet, 13, &["us", "eu"], LONG)
            .await
            .expect("room")
            .server_id,
        "us"
    );
    assert_eq!(allocate(&fleet, 14, &["asia"], LONG).await, None);
}

#[tokio::test]
async fn a_retried_allocation_for_the_same_match_reserves_one_slot() {
    let Some(fleet) = fleet(8).await else { return };
    assert_eq!(report(&fleet, "a", 7001, "eu", 2, &[]).await, 2);
    let first = allocate(&fleet, 5, &["eu"], LONG).await;
    assert_eq!(allocate(&fleet, 5, &["eu"], LONG).await, first);
    assert_eq!(
        report(&fleet, "a", 7001, "eu", 2, &[]).await,
        1,
        "one slot reserved"
    );
    // The server reports the match running: the reservation is settled, not counted twice.
    assert_eq!(report(&fleet, "a", 7001, "eu", 2, &[5]).await, 1);
}

#[tokio::test]
async fn slots_come_back_when_players_never_arrive_and_servers_go_when_their_heartbeat_lapses() {
    let Some(fleet) = fleet(7).await else { return };
    report(&fleet, "a", 7001, "eu", 1, &[]).await;
    let deadline = Duration::from_millis(150);
    assert!(allocate(&fleet, 1, &["eu"], deadline).await.is_some());
    assert_eq!(allocate(&fleet, 2, &["eu"], deadline).await, None, "full");
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        report(&fleet, "a", 7001, "eu", 1, &[]).await,
        1,
        "the next heartbeat counts the lapsed reservation of match 1 free"
    );
    assert!(allocate(&fleet, 2, &["eu"], deadline).await.is_some());

    fleet
        .report(&ServerReport {
            id: "short-lived",
            address: address(7002),
            region: "us",
            capacity: 8,
            running: &[],
            draining: false,
            ttl: Duration::from_millis(100),
        })
        .await
        .expect("stored");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        allocate(&fleet, 3, &["us"], LONG).await,
        None,
        "no heartbeat, no match"
    );
}

#[tokio::test]
async fn a_draining_server_takes_no_new_match() {
    let Some(fleet) = fleet(6).await else { return };
    fleet
        .report(&ServerReport {
            id: "a",
            address: address(7001),
            region: "eu",
            capacity: 8,
            running: &[1],
            draining: true,
            ttl: LONG,
        })
        .await
        .expect("stored");
    assert_eq!(allocate(&fleet, 2, &["eu"], LONG).await, None);
}

#[tokio::test]
async fn one_node_leads_at_a_time_and_each_new_leadership_has_a_higher_epoch() {
    let Some(fleet) = fleet(5).await else { return };
    let lease = Duration::from_millis(150);
    let first = fleet
        .lead("one", lease)
        .await
        .expect("Redis answers")
        .expect("nobody led");
    assert_eq!(fleet.lead("two", lease).await.expect("Redis answers"), None);
    assert_eq!(
        fleet.lead("one", lease).await.expect("Redis answers"),
        Some(first),
        "renewed"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    let second = fleet
        .lead("two", lease)
        .await
        .expect("Redis answers")
        .expect("the lease lapsed");
    assert!(second > first);
    assert!(
        !fleet.resign("one", first).await.expect("Redis answers"),
        "one no longer leads"
    );
    assert!(fleet.resign("two", second).await.expect("Redis answers"));
    let third = fleet
        .lead("one", lease)
        .await
        .expect("Redis answers")
        .expect("two resigned");
    assert!(third > second);
}

#[tokio::test]
async fn a_claim_takes_every_player_of_the_match_or_none_and_a_deposed_leader_takes_none() {
    let Some(fleet) = fleet(4).await else { return };
    let epoch = fleet
        .lead("one", LONG)
        .await
        .expect("Redis answers")
        .expect("leads");
    assert_eq!(
        fleet
            .claim(epoch, 1, &[10, 11], None, LONG)
            .await
            .expect("Redis answers"),
        Claim::Claimed
    );
    assert_eq!(
        fleet
            .claim(epoch, 2, &[12, 11], None, LONG)
            .await
            .expect("Redis answers"),
        Claim::Taken {
            player: 11,
            match_id: 1
        }
    );
    assert_eq!(
        fleet.claim_of(12).await.expect("Redis answers"),
        None,
        "all or none"
    );
    assert_eq!(
        fleet
            .claim(epoch, 1, &[10, 11], None, LONG)
            .await
            .expect("Redis answers"),
        Claim::Claimed,
        "a retry"
    );

    assert_eq!(
        fleet
            .claim(Epoch(epoch.0 + 1), 3, &[20], None, LONG)
            .await
            .expect("Redis answers"),
        Claim::Fenced,
        "an epoch that is not the leader's"
    );
    assert!(fleet.resign("one", epoch).await.expect("Redis answers"));
    assert_eq!(
        fleet
            .claim(epoch, 3, &[20], None, LONG)
            .await
            .expect("Redis answers"),
        Claim::Fenced,
        "no leader"
    );
    assert_eq!(fleet.claim_of(20).await.expect("Redis answers"), None);
}

#[tokio::test]
async fn the_game_server_keeps_its_claims_alive_and_learns_which_lapsed() {
    let Some(fleet) = fleet(3).await else { return };
    let epoch = fleet
        .lead("one", LONG)
        .await
        .expect("Redis answers")
        .expect("leads");
    let short = Duration::from_millis(150);
    assert_eq!(
        fleet
            .claim(epoch, 1, &[1, 2, 3], None, short)
            .await
            .expect("Redis answers"),
        Claim::Claimed
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(
        fleet.hold(1, &[1, 2], short).await.expect("Redis answers"),
        Vec::<u64>::new()
    );
    tokio::time::sleep(Duration::from_millis(120)).await;
    // Player 3 was not renewed (never arrived): lapsed; 1 and 2 still held.
    assert_eq!(
        fleet
            .hold(1, &[1, 2, 3], LONG)
            .await
            .expect("Redis answers"),
        vec![3]
    );
    assert_eq!(
        fleet
            .claim(epoch, 2, &[3], None, LONG)
            .await
            .expect("Redis answers"),
        Claim::Claimed
    );
    assert_eq!(
        fleet.release(1, &[1, 2, 3]).await.expect("Redis answers"),
        2,
        "3 is match 2's"
    );
    assert_eq!(fleet.claim_of(3).await.expect("Redis answers"), Some(2));
    assert_eq!(fleet.claim_of(1).await.expect("Redis answers"), None);
}

/// Matchmakers that pause past their lease mid-claim, and leaders that vanish without resigning,
/// over a thousand matches of players drawn at random from a small pool (so claims collide): a
/// ledger of who is in which match, updated before each release, never sees a player claimed while
/// another match holds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_player_is_ever_in_two_matches_across_a_thousand_matches_with_fail_overs() {
    let Some(fleet) = fleet(2).await else { return };
    const MATCHES: u64 = 1000;
    let ledger: Arc<std::sync::Mutex<HashMap<u64, u64>>> = Arc::default();
    let claimed = Arc::new(AtomicU64::new(0));
    let next_match = Arc::new(AtomicU64::new(1));
    let tally = Arc::new(Tally::default());
    let nodes = (0..3).map(|node| {
        let (fleet, ledger, claimed, next_match, tally) = (
            fleet.clone(),
            ledger.clone(),
            claimed.clone(),
            next_match.clone(),
            tally.clone(),
        );
        tokio::spawn(async move {
            let name = format!("matchmaker-{node}");
            let lease = Duration::from_millis(80);
            let mut random = StdRng::seed_from_u64(node);
            while claimed.load(Ordering::Relaxed) < MATCHES {
                let Some(epoch) = fleet.lead(&name, lease).await.expect("lead") else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let match_id = next_match.fetch_add(1, Ordering::Relaxed);
                let players: Vec<u64> = (0..10).map(|_| random.random_range(0..2000)).collect();
                match random.random_range(0..100) {
                    // Paused past the lease while forming the match, then claims anyway.
                    0 => tokio::time::sleep(Duration::from_millis(120)).await,
                    // Gone without resigning: another node must take over after the lease.
                    1 => {
                        tokio::time::sleep(Duration::from_millis(120)).await;
                        continue;
                    }
                    _ => {}
                }
                match fleet
                    .claim(epoch, match_id, &players, None, LONG)
                    .await
                    .expect("claim")
                {
                    Claim::Claimed => {
                        tally
                            .double
                            .fetch_add(enter(&ledger, match_id, &players), Ordering::Relaxed);
                        claimed.fetch_add(1, Ordering::Relaxed);
                        let (fleet, ledger) = (fleet.clone(), ledger.clone());
                        let play = Duration::from_millis(random.random_range(0..10));
                        tokio::spawn(async move {
                            tokio::time::sleep(play).await;
                            leave(&ledger, match_id, &players);
                            fleet.release(match_id, &players).await.expect("release");
                        });
                    }
                    Claim::Fenced => {
                        tally.fenced.fetch_add(1, Ordering::Relaxed);
                    }
                    Claim::Taken { .. } => {
                        tally.taken.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            fleet.lead(&name, lease).await.expect("lead")
        })
    });
    let mut epochs = Vec::new();
    for node in nodes {
        epochs.push(node.await.expect("the node ends"));
    }
    let final_epoch = fleet.lead("observer", LONG).await.expect("Redis answers");
    let (double, fenced, taken) = (
        tally.double.load(Ordering::Relaxed),
        tally.fenced.load(Ordering::Relaxed),
        tally.taken.load(Ordering::Relaxed),
    );
    assert_eq!(
        double, 0,
        "players claimed while in another match ({fenced} fenced, {taken} taken)"
    );
    assert!(claimed.load(Ordering::Relaxed) >= MATCHES);
    assert!(
        fenced > 0,
        "no deposed leader tried to claim: no fail-over was exercised"
    );
    assert!(
        taken > 0,
        "no claims collided: the pool is too large to test anything"
    );
    // Leadership changed hands many times (one epoch per term).
    let terms = epochs
        .iter()
        .flatten()
        .chain(final_epoch.iter())
        .map(|epoch| epoch.0)
        .max();
    assert!(
        terms.unwrap_or(0) >= 10,
        "epochs {epochs:?} {final_epoch:?}"
    );
}

#[derive(Default)]
struct Tally {
    double: AtomicU64,
    fenced: AtomicU64,
    taken: AtomicU64,
}

/// Records the match's players; returns how many were still in another match.
fn enter(ledger: &std::sync::Mutex<HashMap<u64, u64>>, match_id: u64, players: &[u64]) -> u64 {
    let mut ledger = ledger.lock().expect("ledger");
    let mut double = 0;
    for player in players {
        if let Some(other) = ledger.insert(*player, match_id)
            && other != match_id
        {
            double += 1;
        }
    }
    double
}

fn leave(ledger: &std::sync::Mutex<HashMap<u64, u64>>, match_id: u64, players: &[u64]) {
    let mut ledger = ledger.lock().expect("ledger");
    for player in players {
        if ledger.get(player) == Some(&match_id) {
            ledger.remove(player);
        }
    }
}

/// A player moves from the matchmaker to a game server: the matchmaker hears of the disconnect
/// after the game server recorded the new session, and must not erase it.
#[tokio::test]
async fn a_session_recorded_by_another_server_survives_the_old_server_seeing_the_player_leave() {
    let Some(url) = redis_server::fresh_database(11).await else {
        return;
    };
    let link = || Some(RedisLink::lazy(&url).expect("a Redis URL"));
    let (matchmaker, game) = (Presence::new(link()), Presence::new(link()));
    let session = |server: &str| SessionInfo {
        player_id: 7,
        server_id: server.to_owned(),
        connected_at_ms: 1,
        match_id: None,
    };
    matchmaker.connected(session("matchmaker")).await;
    game.connected(session("game-1")).await;
    matchmaker.disconnected(7).await;
    assert_eq!(matchmaker.lookup(7).await, Some(session("game-1")));
    game.disconnected(7).await;
    assert_eq!(
        matchmaker.lookup(7).await,
        None,
        "gone once its own server saw it leave"
    );
}

/// Two servers of a fleet announce their matches; either answers with both, and a server whose
/// matches ended answers with the other's only.
#[tokio::test]
async fn every_server_of_a_fleet_lists_the_matches_of_all_of_them() {
    let Some(url) = redis_server::fresh_database(12).await else {
        return;
    };
    let link = || Some(RedisLink::lazy(&url).expect("a Redis URL"));
    let (one, two) = (LiveMatches::new(link()), LiveMatches::new(link()));
    let live = |match_id: u64| LiveMatch {
        match_id,
        mode: 0,
        map: "arena".into(),
        state: "live".into(),
        scores: [0, 0],
        teams: [vec![match_id * 10], vec![match_id * 10 + 1]],
    };
    one.publish("10.0.0.1:5000".into(), vec![live(1)]).await;
    two.publish("10.0.0.2:5000".into(), vec![live(2), live(3)])
        .await;
    let mut seen: Vec<u64> = one
        .fleet()
        .await
        .iter()
        .map(|found| found.match_id)
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, [1, 2, 3]);
    two.publish("10.0.0.2:5000".into(), Vec::new()).await;
    assert_eq!(one.fleet().await, vec![live(1)]);
    assert_eq!(two.fleet().await, vec![live(1)]);
    assert_eq!(two.local(), Vec::new());
}
