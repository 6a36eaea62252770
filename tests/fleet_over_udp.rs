//! A fleet on loopback, in one process: a matchmaker and two game servers sharing their state in a
//! real Redis (registry mode) and one token key, and honest bots that know only the matchmaker.
//! Every formed match is placed on a game server with room, its players move there with the tokens
//! the matchmaker sealed, play it to the end, and come back to the lobby to queue again; no player
//! is ever in two running matches, and a game server that runs matches only refuses a player who
//! comes without a seat.

use arbiter::bots::{Arsenal, Swarm};
use arbiter::cli::Behavior;
use arbiter::components::matchmaking::{Match, MatchState, Queued, Ticket};
use arbiter::components::player::PlayerId;
use arbiter::components::session::Session;
use arbiter::components::tick::ServerTick;
use arbiter::fleet::game::GameRolePlugin;
use arbiter::fleet::matchmaker::MatchmakerRolePlugin;
use arbiter::net::{Sessions, TokenIssuer};
use arbiter::settings::ServerConfig;
use arbiter::shutdown::{DrainHold, ShutdownSignal};
use arbiter::store_commands::open_store;
use arbiter_client::protocol::{ClientMessage, KickReason, ServerMessage};
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
}

/// What a test sets for every server of its fleet.
#[derive(Debug, Clone)]
struct Setup {
    /// Non-empty: every server stores players there, as a fleet shares its store.
    shards: Vec<String>,
    /// A match's length after its warm-up.
    match_secs: u32,
    /// The tokens the fleet seals live this long in wall-clock time, while the servers here count
    /// time by their ticks, stepped faster than real time.
    arrival_secs: u32,
}

impl Default for Setup {
    /// Short matches, nothing stored, arrival deadlines that outlast the whole run.
    fn default() -> Self {
        Self {
            shards: Vec::new(),
            match_secs: SHORT_MATCH_SECS,
            arrival_secs: 120,
        }
    }
}

struct Fleet {
    matchmaker: TestServer,
    games: Vec<TestServer>,
    /// Holds the fleet's token key.
    _key_dir: tempfile::TempDir,
}

impl Fleet {
    /// A matchmaker and `game_servers` game servers sharing Redis database `database` (emptied);
    /// `None` when Redis is absent.
    fn on_database(database: u8, game_servers: usize, setup: &Setup) -> Option<Self> {
        let redis = runtime().block_on(redis_server::fresh_database(database))?;
        let key_dir = tempfile::tempdir().expect("temp dir");
        let key = key_dir.path().join("fleet.key");
        let server = |lobby: Option<SocketAddr>| {
            let (redis, key, servers) = (redis.clone(), key.clone(), setup.clone());
            let configure = move |config: &mut ServerConfig| {
                fleet_config(config, &key, &redis);
                config.matches.time_limit_secs = servers.match_secs;
                config.fleet.arrival_deadline_secs = servers.arrival_secs;
                config.fleet.lobby_addresses = lobby.into_iter().collect();
                if !servers.shards.is_empty() {
                    config.persistence.shards = servers.shards.clone();
                }
            };
            let mut settings = ServerConfig::default();
            configure(&mut settings);
            let builder = TestServer::builder().config(configure);
            let builder = if setup.shards.is_empty() {
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
        Some(Self {
            matchmaker,
            games,
            _key_dir: key_dir,
        })
    }

    /// Whether every server has stored everything its players did.
    fn all_stored(&mut self) -> bool {
        std::iter::once(&mut self.matchmaker)
            .chain(self.games.iter_mut())
            .all(|server| all_durable(server.app.world_mut()))
    }

    fn update(&mut self) {
        self.matchmaker.tick();
        for game in &mut self.games {
            game.tick();
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

    /// The matchmaker's tick now.
    fn matchmaker_tick(&self) -> u64 {
        self.matchmaker.app.world().resource::<ServerTick>().get()
    }

    /// The tick `player`'s ticket at the matchmaker counts its wait from, if it is queued there.
    fn waiting_since(&mut self, player: u64) -> Option<u64> {
        let world = self.matchmaker.app.world();
        let entity = world
            .resource::<Sessions>()
            .entity_of_player(PlayerId(player))?;
        let queued = world.get::<Queued>(entity)?;
        Some(world.get::<Ticket>(queued.ticket)?.enqueued_tick)
    }

    /// Whether `player` is connected to the matchmaker.
    fn in_lobby(&self, player: u64) -> bool {
        is_connected(&self.matchmaker, player)
    }

    /// Whether `player` is connected to game server `index`.
    fn on_game_server(&self, index: usize, player: u64) -> bool {
        is_connected(&self.games[index], player)
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

fn is_connected(server: &TestServer, player: u64) -> bool {
    let world = server.app.world();
    let entity = world
        .resource::<Sessions>()
        .entity_of_player(PlayerId(player));
    entity.is_some_and(|entity| world.get::<Session>(entity).is_some())
}

/// A fleet of a matchmaker and two game servers on Redis database `database`, with honest bots
/// connecting to the matchmaker; `None` when Redis is absent.
struct Running {
    fleet: Fleet,
    swarm: Swarm,
}

impl Running {
    /// Bots that stop queueing after `matches_each` matches (`None`: they never stop).
    fn start(database: u8, matches_each: Option<u64>) -> Option<Self> {
        let fleet = Fleet::on_database(database, 2, &Setup::default())?;
        let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
        if let Some(matches) = matches_each {
            swarm.stop_queueing_after(matches);
        }
        for id in 1..=BOTS {
            swarm.add(fleet.matchmaker.connect(id), Behavior::Honest);
        }
        Some(Self { fleet, swarm })
    }
}

#[test]
fn bots_queue_at_the_matchmaker_play_on_the_game_servers_and_come_back_to_queue_again() {
    let Some(Running {
        mut fleet,
        mut swarm,
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

/// One game server with room for one match, and bots for two: while one match plays, the other
/// group's match has nowhere to go. Its players stay in the queue — nobody is told their ticket
/// timed out — and play once the server has room; every bot plays all its matches.
#[test]
fn players_wait_in_the_queue_while_every_game_server_is_full() {
    let Some(mut fleet) = Fleet::on_database(8, 1, &Setup::default()) else {
        return;
    };
    let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
    swarm.stop_queueing_after(2);
    for id in 1..=BOTS {
        swarm.add(fleet.matchmaker.connect(id), Behavior::Honest);
    }
    let mut step = 0u64;
    while step < 12_000 && !swarm.finished() {
        play_a_frame(&mut fleet, &mut swarm, &mut step);
        let running: usize = fleet.running().iter().map(Vec::len).sum();
        assert!(running <= 1, "more matches than the fleet has room for");
    }
    let report = swarm.report();
    assert!(swarm.finished(), "{report:#?}");
    assert_eq!(report.matches_completed, 2 * BOTS, "{report:#?}");
    assert_eq!(report.queue_timeouts, 0, "{report:#?}");
    assert_eq!(report.kicked, 0, "{report:#?}");
    swarm.leave();
}

/// A game server asked to stop while its match is live drains: the match plays out, its players go
/// back to the lobby, no new match is placed there (the other server takes them), and only then
/// does it let the stop go on.
#[test]
fn a_game_server_asked_to_stop_plays_its_match_out_and_takes_no_new_one_before_it_stops() {
    let Some(Running {
        mut fleet,
        mut swarm,
    }) = Running::start(6, None)
    else {
        return;
    };
    let mut step = 0u64;
    while !fleet.live_on(0) {
        play_a_frame(&mut fleet, &mut swarm, &mut step);
        assert!(step < 6000, "no live match on the first game server");
    }
    let draining: Vec<u64> = fleet.running()[0].iter().map(|(id, _)| *id).collect();
    let players: Vec<u64> = fleet.running()[0]
        .iter()
        .flat_map(|(_, players)| players.clone())
        .collect();
    fleet.games[0]
        .app
        .world()
        .resource::<ShutdownSignal>()
        .request();

    // Matches seen on each server from now on, and whether the stop was still held.
    let mut seen: Vec<HashSet<u64>> = vec![HashSet::new(); 2];
    let mut held_until_players_left = true;
    let mut returned: HashSet<u64> = HashSet::new();
    let mut drained_at = None;
    while drained_at.is_none() {
        play_a_frame(&mut fleet, &mut swarm, &mut step);
        assert!(step < 20_000, "the game server never drained: {seen:?}");
        for (server, matches) in fleet.running().iter().enumerate() {
            seen[server].extend(matches.iter().map(|(id, _)| *id));
        }
        let hold = *fleet.games[0].app.world().resource::<DrainHold>();
        let players_here = players
            .iter()
            .any(|player| fleet.on_game_server(0, *player));
        returned.extend(players.iter().filter(|player| fleet.in_lobby(**player)));
        held_until_players_left &= hold.is_busy() || !players_here;
        if !hold.is_busy() {
            drained_at = Some(step);
        }
    }
    // Matches keep being placed meanwhile, all on the other server.
    let target = seen[1].len() + 2;
    while seen[1].len() < target {
        play_a_frame(&mut fleet, &mut swarm, &mut step);
        assert!(step < 30_000, "no more matches placed: {seen:?}");
        for (server, matches) in fleet.running().iter().enumerate() {
            seen[server].extend(matches.iter().map(|(id, _)| *id));
        }
        let hold = *fleet.games[0].app.world().resource::<DrainHold>();
        assert!(!hold.is_busy(), "busy again after draining");
        returned.extend(players.iter().filter(|player| fleet.in_lobby(**player)));
    }
    let report = swarm.report();
    assert!(
        held_until_players_left,
        "the stop was let go while the match's players were still there"
    );
    assert_eq!(
        seen[0].iter().copied().collect::<Vec<_>>(),
        draining,
        "no new match on the draining server"
    );
    assert_eq!(
        returned.len(),
        players.len(),
        "its players came back to the lobby"
    );
    assert_eq!(report.kicked, 0, "{report:#?}");
    assert_eq!(report.fallbacks, 0, "nobody fell back: {report:#?}");
    swarm.leave();
}

/// A tick of every server and a frame of the bots; counts the step.
fn play_a_frame(fleet: &mut Fleet, swarm: &mut Swarm, step: &mut u64) {
    fleet.update();
    swarm.play_frame(net::TICK, *step * net::TICK.as_micros() as u64);
    std::thread::sleep(Duration::from_micros(500));
    *step += 1;
}

/// Four players queued at the matchmaker, moved to the game server (the client follows the
/// `Redirect` by itself), in their match; then every datagram of player 1 is lost. Its connection
/// times out, its client uses the fallback token back to the matchmaker, and since the match still
/// runs (its claim is held) the matchmaker sends it back there, where it plays the match out.
#[test]
fn a_player_whose_connection_dies_mid_match_is_sent_back_to_its_match() {
    // Long enough to outlast the dead connection's 5 s timeout.
    let servers = Setup {
        match_secs: 30,
        ..Setup::default()
    };
    let Some(mut fleet) = Fleet::on_database(3, 1, &servers) else {
        return;
    };
    let mut players = Players::welcomed(&mut fleet, 4);
    for client in &mut players.clients {
        client.send(&ClientMessage::JoinQueue { mode: 0 });
    }
    players.step_until_all_heard(&mut fleet, 6000, "in the match", |message| {
        matches!(message, ServerMessage::MatchFound { .. })
    });
    let match_id = redirect_to_match(&players.heard[0]).expect("placed");
    assert!(
        players
            .clients
            .iter()
            .all(|client| client.redirects_followed() == 1)
    );

    // Player 1's network loses everything; its client falls back to the matchmaker.
    players.clients[0].set_link(Some(losing_everything()));
    let mut steps = 0;
    while players.clients[0].fallbacks_used() == 0 {
        players.step(&mut fleet);
        steps += 1;
        assert!(steps < 9000, "never fell back");
    }
    players.clients[0].set_link(None);
    players.heard[0].clear();
    players.step_until_all_heard(&mut fleet, 20_000, "the match ended", |message| {
        matches!(message, ServerMessage::MatchEnded { match_id: id, .. } if *id == match_id)
    });
    assert_eq!(
        redirect_to_match(&players.heard[0]),
        Some(match_id),
        "sent back to the same match"
    );
    assert_eq!(players.clients[0].redirects_followed(), 2);
}

/// Three players wait two seconds in the queue for a fourth; the fourth comes, the match is placed,
/// but the fourth's network dies before it reaches the game server. At the arrival deadline the
/// game server calls the match off and sends the three back to the matchmaker, where they queue
/// again — as old as they were when the match formed, not from zero.
#[test]
fn players_of_a_match_called_off_at_the_arrival_deadline_queue_again_with_the_wait_they_had() {
    // Ten seconds of ticks to arrive. The seat tokens live as long in wall-clock time while the
    // servers' clocks run ahead of it (they tick faster than real time here): ten seconds outlast
    // that lead until the match is placed.
    let servers = Setup {
        arrival_secs: 10,
        ..Setup::default()
    };
    let Some(mut fleet) = Fleet::on_database(5, 1, &servers) else {
        return;
    };
    let mut players = Players::welcomed(&mut fleet, 4);
    for client in &mut players.clients[..3] {
        client.send(&ClientMessage::JoinQueue { mode: 0 });
    }
    for _ in 0..120 {
        players.step(&mut fleet);
    }
    let queued_since: Vec<u64> = (1..=3)
        .map(|id| fleet.waiting_since(id).expect("queued"))
        .collect();
    // The fourth asks to queue; once its request has left, its network dies both ways.
    players.clients[3].send(&ClientMessage::JoinQueue { mode: 0 });
    players.step(&mut fleet);
    players.clients[3].set_link(Some(losing_everything()));
    let mut steps = 0;
    while (1..=3).any(|id| fleet.waiting_since(id).is_some()) {
        players.step(&mut fleet);
        steps += 1;
        assert!(steps < 600, "no match formed: {}", players.summary());
    }
    let formed_at = fleet.matchmaker_tick();
    let waited: Vec<u64> = queued_since.iter().map(|since| formed_at - since).collect();
    assert!(waited.iter().all(|ticks| *ticks >= 120), "{waited:?}");

    // Each of the three, once queued again: how long the matchmaker counts it as having waited.
    let mut credited: [Option<u64>; 3] = [None; 3];
    while credited.iter().any(Option::is_none) {
        players.step(&mut fleet);
        steps += 1;
        assert!(
            steps < 3000,
            "not queued again: {credited:?} {}",
            players.summary()
        );
        for (id, credit) in (1..=3).zip(&mut credited) {
            if credit.is_none() && players.clients[id as usize - 1].redirects_followed() == 2 {
                *credit = fleet
                    .waiting_since(id)
                    .map(|since| fleet.matchmaker_tick() - since);
            }
        }
    }
    let credited: Vec<u64> = credited.into_iter().flatten().collect();
    // The tick it was queued, or the one after (as the tick was read).
    for (had, credit) in waited.iter().zip(&credited) {
        assert!(
            credit.abs_diff(*had) <= 1,
            "waited {waited:?} before, counted {credited:?} on return"
        );
    }
    assert!(
        players.heard[..3]
            .iter()
            .flatten()
            .all(|message| *message != ServerMessage::QueueTimedOut),
        "nobody timed out"
    );
}

/// Test clients stepped by hand with the fleet, keeping what each heard (but snapshots).
struct Players {
    clients: Vec<ArbiterClient>,
    heard: Vec<Vec<ServerMessage>>,
}

impl Players {
    /// Players 1 to `count` connected to the matchmaker and welcomed there, once the game servers
    /// are known to the fleet.
    fn welcomed(fleet: &mut Fleet, count: u64) -> Self {
        let mut players = Self {
            clients: (1..=count).map(|id| fleet.matchmaker.connect(id)).collect(),
            heard: vec![Vec::new(); count as usize],
        };
        players.step_until_all_heard(fleet, 3000, "welcomed", |message| {
            matches!(message, ServerMessage::Welcome { .. })
        });
        // The game servers' first reports (a heartbeat after start) make them known to the fleet.
        for _ in 0..30 {
            fleet.update();
            std::thread::sleep(Duration::from_millis(10));
        }
        players
    }

    /// A tick of every server, then a frame of every client.
    fn step(&mut self, fleet: &mut Fleet) {
        fleet.update();
        for (client, heard) in self.clients.iter_mut().zip(self.heard.iter_mut()) {
            let _ = client.update(net::TICK);
            let messages = drain(client).into_iter();
            heard.extend(
                messages.filter(|message| !matches!(message, ServerMessage::Snapshot { .. })),
            );
            let _ = client.flush();
        }
        std::thread::sleep(Duration::from_micros(300));
    }

    /// What each player heard, one line each, without the tokens' bytes.
    fn summary(&self) -> String {
        let line = |heard: &Vec<ServerMessage>| {
            let names: Vec<String> = heard
                .iter()
                .map(|message| match message {
                    ServerMessage::Redirect { match_id, .. } => format!("Redirect({match_id:?})"),
                    other => format!("{other:?}")
                        .chars()
                        .take_while(|c| c.is_alphanumeric())
                        .collect(),
                })
                .collect();
            names.join(" ")
        };
        self.heard.iter().map(line).collect::<Vec<_>>().join("\n")
    }

    /// Steps until every player heard something `wanted`; fails after `limit` steps.
    fn step_until_all_heard(
        &mut self,
        fleet: &mut Fleet,
        limit: u32,
        what: &str,
        wanted: impl Fn(&ServerMessage) -> bool,
    ) {
        let mut steps = 0;
        while !self.heard.iter().all(|heard| heard.iter().any(&wanted)) {
            self.step(fleet);
            steps += 1;
            assert!(steps < limit, "not {what}: {}", self.summary());
        }
    }
}

fn losing_everything() -> LinkConditioner {
    LinkConditioner::new(Duration::ZERO, Duration::ZERO, 1.0, 7)
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
    let store_dir = tempfile::tempdir().expect("temp dir");
    let shards = sqlite_shards(&store_dir, 1);
    let servers = Setup {
        shards: shards.clone(),
        ..Setup::default()
    };
    let Some(mut fleet) = Fleet::on_database(4, 2, &servers) else {
        return;
    };
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

/// With the lobby listed (every matchmaker, in order), the tokens a matchmaker gives new players
/// — guests of its admin endpoint — name them all, so a client lands on whichever leads.
#[test]
fn a_matchmakers_new_players_get_tokens_naming_every_matchmaker() {
    let Some(redis) = runtime().block_on(redis_server::fresh_database(7)) else {
        return;
    };
    let key_dir = tempfile::tempdir().expect("temp dir");
    let key = key_dir.path().join("fleet.key");
    let lobby: Vec<SocketAddr> = vec![
        "127.0.0.1:7101".parse().expect("address"),
        "127.0.0.1:7102".parse().expect("address"),
    ];
    let configure = {
        let lobby = lobby.clone();
        move |config: &mut ServerConfig| {
            fleet_config(config, &key, &redis);
            config.fleet.lobby_addresses = lobby.clone();
        }
    };
    let mut settings = ServerConfig::default();
    configure(&mut settings);
    let mut matchmaker = TestServer::builder()
        .config(configure)
        .plugin(MatchmakerRolePlugin {
            settings: settings.fleet,
        })
        .start();
    matchmaker.tick();
    let issuer = matchmaker.app.world().resource::<TokenIssuer>();
    assert_eq!(issuer.entry_addresses(), lobby);
    assert_eq!(issuer.issue(9).expect("a token").server_addresses, lobby);
    assert_eq!(issuer.server_addresses(), [matchmaker.addr], "its own");
}

#[test]
fn a_game_server_refuses_a_player_who_comes_without_a_seat() {
    let Some(mut fleet) = Fleet::on_database(0, 1, &Setup::default()) else {
        return;
    };
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
