//! A fleet on loopback, in one process: a matchmaker and two game servers sharing their state in a
//! real Redis (registry mode) and one token key, and honest bots that know only the matchmaker.
//! Every formed match is placed on a game server with room, its players move there with the tokens
//! the matchmaker sealed, play it to the end, and come back to the lobby to queue again; no player
//! is ever in two running matches, and a game server that runs matches only refuses a player who
//! comes without a seat.

use arbiter::bots::{Arsenal, Swarm};
use arbiter::cli::Behavior;
use arbiter::components::matchmaking::{Match, MatchState};
use arbiter::components::player::PlayerId;
use arbiter::components::session::Session;
use arbiter::fleet::game::GameRolePlugin;
use arbiter::fleet::matchmaker::MatchmakerRolePlugin;
use arbiter::net::Sessions;
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter_client::protocol::{KickReason, ServerMessage};
use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_testing::databases::{runtime, sqlite_shards};
use arbiter_testing::items::assert_store_clean;
use arbiter_testing::net::{self, TestServer, drain};
use arbiter_testing::persisted_app::all_durable;
use arbiter_testing::redis_server;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

const BOTS: u64 = 8;
/// A match's length after its warm-up, in most tests.
const SHORT_MATCH_SECS: u32 = 3;
/// Matches each bot plays before it stops queueing.
const MATCHES_EACH: u64 = 3;

/// Matches of four, short, one per game server at a time; heartbeats every 200 ms.
fn fleet_config(config: &mut ServerConfig, key: &Path, redis: &str) {
    config.net.private_key_file = key.display().to_string();
    config.matchmaking.match_size = 4;
    config.matches.warmup_secs = 1;
    config.matches.time_limit_secs = SHORT_MATCH_SECS;
    config.fleet.redis_url = redis.to_owned();
    config.fleet.name = "udp".into();
    config.fleet.capacity = 1;
    config.fleet.heartbeat_ms = 200;
    // A fleet's clients notice a dead game server this fast (above the claims' 0.6 s lapse).
    config.net.connection_timeout_secs = 5;
    // The tokens the fleet seals live `arrival_deadline_secs` of wall-clock time, while the servers
    // here count time by their ticks, stepped faster than real time: enough for the whole run.
    config.fleet.arrival_deadline_secs = 120;
}

struct Fleet {
    matchmaker: TestServer,
    games: Vec<TestServer>,
}

impl Fleet {
    fn start(redis: &str, key_dir: &tempfile::TempDir, game_servers: usize) -> Self {
        Self::start_storing(redis, key_dir, game_servers, &[], SHORT_MATCH_SECS)
    }

    /// With `shards` (non-empty): every server stores players there, as a fleet shares its store.
    /// Matches last `match_secs` after their warm-up.
    fn start_storing(
        redis: &str,
        key_dir: &tempfile::TempDir,
        game_servers: usize,
        shards: &[String],
        match_secs: u32,
    ) -> Self {
        let key = key_dir.path().join("fleet.key");
        let server = |lobby: Option<SocketAddr>| {
            let (redis, key, stored) = (redis.to_owned(), key.clone(), shards.to_vec());
            let mut settings = ServerConfig::default();
            fleet_config(&mut settings, &key, &redis);
            settings.fleet.lobby_addresses = lobby.into_iter().collect();
            let builder = TestServer::builder().config(move |config| {
                fleet_config(config, &key, &redis);
                config.matches.time_limit_secs = match_secs;
                config.fleet.lobby_addresses = lobby.into_iter().collect();
                if !stored.is_empty() {
                    config.persistence.shards = stored;
                }
            });
            let builder = if shards.is_empty() {
                builder
            } else {
                builder.persistent()
            };
            (builder, settings.fleet)
        };
        let (builder, settings) = server(None);
        let matchmaker = builder.plugin(MatchmakerRolePlugin { settings }).start();
        let games = (0..game_servers)
            .map(|_| {
                let (builder, settings) = server(Some(matchmaker.addr));
                builder.plugin(GameRolePlugin { settings }).start()
            })
            .collect();
        Self { matchmaker, games }
    }

    /// Whether every server has stored everything its players did.
    fn all_stored(&mut self) -> bool {
        std::iter::once(&mut self.matchmaker)
            .chain(self.games.iter_mut())
            .all(|server| all_durable(server.app.world_mut()))
    }

    fn update(&mut self) {
        self.matchmaker.app.update();
        for game in &mut self.games {
            game.app.update();
        }
    }

    /// Whether game server `index` runs a match that is live (past its warm-up).
    fn live_on(&mut self, index: usize) -> bool {
        let world = self.games[index].app.world_mut();
        world
            .query::<&Match>()
            .iter(world)
            .any(|found| found.state == MatchState::Live)
    }

    /// Whether `player` is connected to the matchmaker.
    fn in_lobby(&mut self, player: u64) -> bool {
        let world = self.matchmaker.app.world_mut();
        let entity = world
            .resource::<Sessions>()
            .entity_of_player(PlayerId(player));
        entity.is_some_and(|entity| world.get::<Session>(entity).is_some())
    }

    /// Player ids in each running match, per game server.
    fn running(&mut self) -> Vec<Vec<(u64, Vec<u64>)>> {
        self.games
            .iter_mut()
            .map(|game| {
                let world = game.app.world_mut();
                let matches: Vec<(u64, Vec<arbiter::prelude::Entity>)> = world
                    .query::<&Match>()
                    .iter(world)
                    .map(|found| (found.id, found.teams.concat()))
                    .collect();
                matches
                    .into_iter()
                    .map(|(id, players)| {
                        let ids = players
                            .iter()
                            .filter_map(|player| world.get::<PlayerId>(*player).map(|id| id.0))
                            .collect();
                        (id, ids)
                    })
                    .collect()
            })
            .collect()
    }
}

/// A fleet of a matchmaker and two game servers on Redis database `database`, with honest bots
/// connecting to the matchmaker; `None` when Redis is absent.
struct Running {
    fleet: Fleet,
    swarm: Swarm,
    _key_dir: tempfile::TempDir,
}

impl Running {
    /// Bots that stop queueing after `matches_each` matches (`None`: they never stop).
    fn start(database: u8, matches_each: Option<u64>) -> Option<Self> {
        let redis = runtime().block_on(redis_server::fresh_database(database))?;
        let key_dir = tempfile::tempdir().expect("temp dir");
        let fleet = Fleet::start(&redis, &key_dir, 2);
        let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
        if let Some(matches) = matches_each {
            swarm.stop_queueing_after(matches);
        }
        for id in 1..=BOTS {
            swarm.add(fleet.matchmaker.connect(id), Behavior::Honest);
        }
        Some(Self {
            fleet,
            swarm,
            _key_dir: key_dir,
        })
    }
}

#[test]
fn bots_queue_at_the_matchmaker_play_on_the_game_servers_and_come_back_to_queue_again() {
    let Some(Running {
        mut fleet,
        mut swarm,
        _key_dir,
    }) = Running::start(1, Some(MATCHES_EACH))
    else {
        return;
    };

    // Which match each player was seen in, and every match seen running, per game server.
    let mut seen_in: HashMap<u64, u64> = HashMap::new();
    let mut matches_per_server: Vec<HashSet<u64>> = vec![HashSet::new(); fleet.games.len()];
    let mut step = 0u64;
    while step < 6000 && !swarm.finished() {
        fleet.update();
        swarm.play_frame(net::TICK, step * net::TICK.as_micros() as u64);
        let running = fleet.running();
        let mut in_match_now: HashMap<u64, u64> = HashMap::new();
        for (server, matches) in running.iter().enumerate() {
            for (match_id, players) in matches {
                matches_per_server[server].insert(*match_id);
                for player in players {
                    if let Some(other) = in_match_now.insert(*player, *match_id) {
                        panic!("player {player} in matches {other} and {match_id} at once");
                    }
                    seen_in.insert(*player, *match_id);
                }
            }
        }
        std::thread::sleep(Duration::from_micros(500));
        step += 1;
    }
    // The last matches' players are sent back once their results are stored: a few ticks more.
    for _ in 0..600 {
        if (1..=BOTS).all(|id| fleet.in_lobby(id)) {
            break;
        }
        fleet.update();
        swarm.play_frame(net::TICK, step * net::TICK.as_micros() as u64);
        step += 1;
    }
    let report = swarm.report();
    assert!(swarm.finished(), "{report:#?}");
    assert_eq!(report.matches_completed, MATCHES_EACH * BOTS, "{report:#?}");
    assert_eq!(report.kicked, 0, "{report:#?}");
    // To a game server and back, for every match.
    assert_eq!(report.redirects, 2 * MATCHES_EACH * BOTS, "{report:#?}");
    assert_eq!(seen_in.len() as u64, BOTS);
    assert!(
        matches_per_server.iter().all(|matches| !matches.is_empty()),
        "both game servers ran matches: {matches_per_server:?}"
    );
    assert_eq!(
        matches_per_server.iter().map(HashSet::len).sum::<usize>() as u64,
        MATCHES_EACH * BOTS / 4,
        "every match ran once, on one server"
    );
    swarm.leave();
}

/// A game server stops dead (its process gone: socket closed, no more reports) while its match is
/// live. Its players' connections time out, they follow the fallback token they got on arrival back
/// to the matchmaker's lobby, are queued again at once (their claims lapsed with the server's
/// reports), and play their matches on the other game server.
#[test]
fn a_game_server_that_dies_mid_match_sends_its_players_back_to_be_matched_again() {
    let Some(Running {
        mut fleet,
        mut swarm,
        _key_dir,
    }) = Running::start(2, None)
    else {
        return;
    };
    let mut killed: Option<(u64, u64, Vec<u64>)> = None;
    let mut back_after_frames: HashMap<u64, u64> = HashMap::new();
    // Victims seen in a match again, on the surviving server.
    let mut playing_again: HashSet<u64> = HashSet::new();
    let mut step = 0u64;
    while step < 8000 {
        fleet.update();
        swarm.play_frame(net::TICK, step * net::TICK.as_micros() as u64);
        let running = fleet.running();
        if killed.is_none()
            && let Some((match_id, players)) = running[0].first().cloned()
            && fleet.live_on(0)
        {
            drop(fleet.games.remove(0));
            killed = Some((step, match_id, players));
            continue;
        }
        if let Some((at, dead_match, victims)) = &killed {
            for victim in victims {
                if !back_after_frames.contains_key(victim) && fleet.in_lobby(*victim) && step > *at
                {
                    back_after_frames.insert(*victim, step - at);
                }
            }
            for (match_id, players) in running.iter().flatten() {
                let again = players.iter().filter(|player| victims.contains(player));
                playing_again.extend(again.filter(|_| match_id != dead_match));
            }
            if playing_again.len() == victims.len() {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(500));
        step += 1;
    }
    let report = swarm.report();
    let (_, _, victims) = killed.expect("a match ran on the first game server");
    assert_eq!(report.kicked, 0, "{report:#?}");
    // Every victim fell back; so may players placed on the dead server in the moments before the
    // fleet dropped it (its last report still counted), who never reached it.
    assert!(report.fallbacks >= victims.len() as u64, "{report:#?}");
    // Back in the lobby within 10 s of the server's death (ticks at 60 Hz, as the clients count),
    // and in a match again on the other server.
    assert_eq!(
        back_after_frames.len(),
        victims.len(),
        "{back_after_frames:?}"
    );
    assert!(
        back_after_frames.values().all(|frames| *frames <= 600),
        "{back_after_frames:?}"
    );
    assert_eq!(playing_again.len(), victims.len(), "{report:#?}");
    swarm.leave();
}

/// Four players queued at the matchmaker, moved to the game server (the client follows the
/// `Redirect` by itself), in their match; then every datagram of player 1 is lost. Its connection
/// times out, its client uses the fallback token back to the matchmaker, and since the match still
/// runs (its claim is held) the matchmaker sends it back there, where it plays the match out.
#[test]
fn a_player_whose_connection_dies_mid_match_is_sent_back_to_its_match() {
    let setup = runtime();
    let Some(redis) = setup.block_on(redis_server::fresh_database(3)) else {
        return;
    };
    let key_dir = tempfile::tempdir().expect("temp dir");
    // Long enough to outlast the dead connection's 5 s timeout.
    let mut fleet = Fleet::start_storing(&redis, &key_dir, 1, &[], 30);
    let mut clients: Vec<ArbiterClient> = (1..=4).map(|id| fleet.matchmaker.connect(id)).collect();
    let mut heard: Vec<Vec<ServerMessage>> = vec![Vec::new(); 4];
    let step =
        |fleet: &mut Fleet, clients: &mut [ArbiterClient], heard: &mut [Vec<ServerMessage>]| {
            fleet.update();
            for (client, heard) in clients.iter_mut().zip(heard.iter_mut()) {
                let _ = client.update(net::TICK);
                let messages = drain(client).into_iter();
                heard.extend(
                    messages.filter(|message| !matches!(message, ServerMessage::Snapshot { .. })),
                );
                let _ = client.flush();
            }
            std::thread::sleep(Duration::from_micros(300));
        };
    let heard_by_all = |heard: &[Vec<ServerMessage>], what: &dyn Fn(&ServerMessage) -> bool| {
        heard.iter().all(|messages| messages.iter().any(what))
    };
    let mut steps = 0;
    while !heard_by_all(&heard, &|message| {
        matches!(message, ServerMessage::Welcome { .. })
    }) {
        step(&mut fleet, &mut clients, &mut heard);
        steps += 1;
        assert!(steps < 3000, "never welcomed: {heard:?}");
    }
    // The game server's first report (a heartbeat after start) makes it known to the fleet.
    for _ in 0..30 {
        fleet.update();
        std::thread::sleep(Duration::from_millis(10));
    }
    for client in &mut clients {
        client.send(&arbiter_client::protocol::ClientMessage::JoinQueue { mode: 0 });
    }
    while !heard_by_all(&heard, &|message| {
        matches!(message, ServerMessage::MatchFound { .. })
    }) {
        step(&mut fleet, &mut clients, &mut heard);
        steps += 1;
        assert!(steps < 6000, "never in the match: {heard:?}");
    }
    let match_id = redirect_to_match(&heard[0]).expect("placed");
    assert!(
        clients
            .iter()
            .all(|client| client.redirects_followed() == 1)
    );

    // Player 1's network loses everything; its client falls back to the matchmaker.
    clients[0].set_link(Some(LinkConditioner::new(
        Duration::ZERO,
        Duration::ZERO,
        1.0,
        7,
    )));
    while clients[0].fallbacks_used() == 0 {
        step(&mut fleet, &mut clients, &mut heard);
        steps += 1;
        assert!(steps < 9000, "never fell back");
    }
    clients[0].set_link(None);
    heard[0].clear();
    let ended = |message: &ServerMessage| matches!(message, ServerMessage::MatchEnded { match_id: id, .. } if *id == match_id);
    while !heard_by_all(&heard, &ended) {
        step(&mut fleet, &mut clients, &mut heard);
        steps += 1;
        assert!(
            steps < 20_000,
            "the match never ended for everyone: {heard:?}"
        );
    }
    assert_eq!(
        redirect_to_match(&heard[0]),
        Some(match_id),
        "sent back to the same match"
    );
    assert_eq!(clients[0].redirects_followed(), 2);
}

/// The match of the last `Redirect` to a game server heard.
fn redirect_to_match(heard: &[ServerMessage]) -> Option<u64> {
    heard.iter().rev().find_map(|message| match message {
        ServerMessage::Redirect {
            match_id: Some(id), ..
        } => Some(*id),
        _ => None,
    })
}

/// The matchmaker and both game servers store players in one shared store: each player's lobby
/// purchases (stored by the matchmaker) and match results (stored by the game servers) are all
/// there, in one history that replays to the stored row — nothing written twice, nothing lost to a
/// server writing from a stale copy.
#[test]
fn players_moving_between_the_fleets_servers_keep_every_change_in_the_shared_store() {
    let setup = runtime();
    let Some(redis) = setup.block_on(redis_server::fresh_database(4)) else {
        return;
    };
    let (key_dir, store_dir) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let shards = sqlite_shards(&store_dir, 1);
    let mut fleet = Fleet::start_storing(&redis, &key_dir, 2, &shards, SHORT_MATCH_SECS);
    let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
    swarm.stop_queueing_after(MATCHES_EACH);
    for id in 1..=BOTS {
        swarm.add(fleet.matchmaker.connect(id), Behavior::Honest);
    }
    let mut step = 0u64;
    while step < 8000 && !swarm.finished() {
        fleet.update();
        swarm.play_frame(net::TICK, step * net::TICK.as_micros() as u64);
        std::thread::sleep(Duration::from_micros(500));
        step += 1;
    }
    let report = swarm.report();
    assert!(swarm.finished(), "{report:#?}");
    assert_eq!(report.matches_completed, MATCHES_EACH * BOTS, "{report:#?}");
    assert!(
        report.behaviors["honest"].purchases > 0,
        "no lobby purchase to keep: {report:#?}"
    );
    swarm.leave();
    for _ in 0..3000 {
        fleet.update();
        if fleet.all_stored() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(fleet.all_stored(), "everything was stored");

    let mut config = ServerConfig::default();
    config.persistence.shards = shards;
    let store = open_store(&config).expect("the shared store");
    let ids: Vec<u64> = (1..=BOTS).collect();
    let loaded = setup.block_on(store.load_players(&ids));
    assert!(loaded.failed.is_empty(), "{:?}", loaded.failed);
    assert_eq!(loaded.players.len() as u64, BOTS);
    for player in &loaded.players {
        assert_eq!(
            player.matches, MATCHES_EACH,
            "player {}: {player:?}",
            player.id
        );
    }
    setup.block_on(assert_store_clean(&store, &ids));
}

#[test]
fn a_game_server_refuses_a_player_who_comes_without_a_seat() {
    let setup = runtime();
    let Some(redis) = setup.block_on(redis_server::fresh_database(0)) else {
        return;
    };
    let key_dir = tempfile::tempdir().expect("temp dir");
    let mut fleet = Fleet::start(&redis, &key_dir, 1);
    // A token of the game server's own issuer, for player 5, names no match.
    let mut client: ArbiterClient = fleet.games[0].connect(5);
    let mut heard = Vec::new();
    for _ in 0..300 {
        fleet.update();
        let _ = client.update(net::TICK);
        heard.extend(drain(&mut client));
        let _ = client.flush();
        if heard
            .iter()
            .any(|message| matches!(message, ServerMessage::Kicked { .. }))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        heard.contains(&ServerMessage::Kicked {
            reason: KickReason::NotExpected
        }),
        "{heard:?}"
    );
}
