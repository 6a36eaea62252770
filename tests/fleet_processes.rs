//! Fleets of real processes on loopback: `arbiter matchmaker`s and `arbiter serve --role game`s,
//! sharing PostgreSQL shards, Redis and one token key; honest bots in this process know only the
//! matchmakers. Each test kills one process with SIGKILL at the worst moment — a game server while
//! its match is live, the leading matchmaker the instant Redis runs one of its allocations — and
//! checks that the players play on, that no player is ever in two matches, and that every stored
//! history verifies clean. A game server sent SIGTERM mid-match drains: the match plays out before
//! the process exits.
//! Seen from outside, through the query API: `/v1/matches` (fleet-wide) and `/v1/sessions/{id}`
//! (which server a player is on).

use arbiter::bots::{Arsenal, Swarm};
use arbiter::cli::Behavior;
use arbiter::net::TokenIssuer;
use arbiter::settings::NetSettings;
use arbiter_client::ArbiterClient;
use arbiter_testing::databases::on_postgres;
use arbiter_testing::http::get;
use arbiter_testing::net::free_udp_port;
use arbiter_testing::process::{ServerProcess, run_command};
use arbiter_testing::redis_server;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BOTS: u64 = 16;
const BINARY: &str = env!("CARGO_BIN_EXE_arbiter");

/// One process's config: its game socket on `port`, admin and query anywhere, the fleet's store,
/// Redis and key; the lobby is at `lobby` (every matchmaker).
fn write_config(
    dir: &Path,
    port: u16,
    shards: &[String],
    redis: &str,
    key: &Path,
    lobby: &[SocketAddr],
) -> PathBuf {
    let config = dir.join("server.toml");
    let text = format!(
        "[server]\nbind = \"127.0.0.1:{port}\"\ndata_dir = {data:?}\n\
         [net]\nprivate_key_file = {key:?}\nconnection_timeout_secs = 5\n\
         [matchmaking]\nmatch_size = 4\n\
         [matches]\nwarmup_secs = 1\ntime_limit_secs = 10\n\
         [admin]\nbind = \"127.0.0.1:0\"\n[query]\nbind = \"127.0.0.1:0\"\n\
         [persistence]\nshards = {shards:?}\n\
         [cache]\nbackend = \"redis\"\nredis_url = {redis:?}\n\
         [fleet]\nname = \"processes\"\nredis_url = {redis:?}\ncapacity = 2\nheartbeat_ms = 200\n\
         lobby_addresses = {lobby}\n",
        data = dir.join("data").display().to_string(),
        key = key.display().to_string(),
        lobby = toml_addresses(lobby),
    );
    std::fs::write(&config, text).expect("write config");
    config
}

/// `GET path` on the matchmaker's query API, as JSON (`None` on 404).
fn query(address: SocketAddr, path: &str) -> Option<Value> {
    let (status, body) = get(address, path).expect("the query API answers");
    (status == 200).then(|| serde_json::from_str(&body).expect("JSON"))
}

/// Which server (its address) a player is on, if online.
fn server_of(query_api: SocketAddr, player: u64) -> Option<String> {
    query(query_api, &format!("/v1/sessions/{player}"))
        .and_then(|session| session["server_id"].as_str().map(str::to_owned))
}

/// Live matches in the fleet: id → players.
fn live_matches(query_api: SocketAddr) -> HashMap<u64, Vec<u64>> {
    let matches = query(query_api, "/v1/matches").unwrap_or_default();
    matches
        .as_array()
        .into_iter()
        .flatten()
        .filter(|found| found["state"] == "live")
        .map(|found| {
            let players = found["teams"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|team| team.as_array().into_iter().flatten())
                .filter_map(Value::as_u64)
                .collect();
            (found["match_id"].as_u64().expect("an id"), players)
        })
        .collect()
}

fn toml_addresses(addresses: &[SocketAddr]) -> String {
    let quoted: Vec<String> = addresses
        .iter()
        .map(|address| format!("\"{address}\""))
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// One process of a fleet.
struct Member {
    port: u16,
    config: PathBuf,
    process: ServerProcess,
}

/// A fleet's processes, and the key they seal tokens with.
struct ProcessFleet {
    /// Matchmakers in the order started: the first leads at first.
    matchmakers: Vec<Member>,
    /// Game servers by game port.
    games: HashMap<u16, Member>,
    issuer: TokenIssuer,
    _root: tempfile::TempDir,
}

impl ProcessFleet {
    /// Starts `matchmakers` matchmakers — the first leads before the next starts — and `games`
    /// game servers.
    fn start(shards: &[String], redis: &str, matchmakers: usize, games: usize) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let key = root.path().join("fleet.key");
        std::fs::write(&key, arbiter_client::netcode::random_bytes::<32>()).expect("key");
        let lobby: Vec<SocketAddr> = (0..matchmakers)
            .map(|_| loopback(free_udp_port()))
            .collect();
        let member = |name: String, port: u16, command: &[&str]| {
            let dir = root.path().join(name);
            std::fs::create_dir_all(&dir).expect("dir");
            let config = write_config(&dir, port, shards, redis, &key, &lobby);
            let process = ServerProcess::start_command(BINARY, command, &config);
            // One at a time: each applies the migrations at start.
            process.admin_address();
            Member {
                port,
                config,
                process,
            }
        };
        let mut started = Vec::new();
        for (n, address) in lobby.iter().enumerate() {
            let matchmaker = member(format!("matchmaker-{n}"), address.port(), &["matchmaker"]);
            if n == 0 {
                wait_until_leading(&matchmaker);
            }
            started.push(matchmaker);
        }
        let games = (0..games)
            .map(|n| {
                let port = free_udp_port();
                let game = member(format!("game-{n}"), port, &["serve", "--role", "game"]);
                (port, game)
            })
            .collect();
        let issuer = TokenIssuer::new(
            std::fs::read(&key)
                .expect("key")
                .try_into()
                .expect("32 bytes"),
            lobby,
            &NetSettings::default(),
        );
        Self {
            matchmakers: started,
            games,
            issuer,
            _root: root,
        }
    }

    /// Clients for players `ids`, their tokens naming the matchmakers at `order`, in that order.
    fn bots(&self, ids: std::ops::RangeInclusive<u64>, order: &[SocketAddr]) -> Vec<ArbiterClient> {
        ids.map(|id| {
            let token = self
                .issuer
                .issue_for(id, order, arbiter::net::TokenPass::Lobby, 300)
                .expect("a token");
            ArbiterClient::connect(token, None).expect("socket")
        })
        .collect()
    }

    /// Stops every live process, checks that the fleet's lease is free, and verifies every stored
    /// history against its row (`verify` exits 0 only then) for `players` players.
    async fn stop_and_verify(self, redis: &str, players: u64, dead: &[u16]) {
        let alive = |member: &&Member| !dead.contains(&member.port);
        for member in self.games.values().chain(&self.matchmakers).filter(alive) {
            member.process.signal("TERM");
        }
        let config = self.matchmakers[0].config.clone();
        for mut member in self.games.into_values().chain(self.matchmakers) {
            if !dead.contains(&member.port) {
                member.process.wait_exit(Duration::from_secs(30));
            }
        }
        // A stopped matchmaker gives its lease up: another may lead at once.
        let leader: Option<String> =
            redis_server::run(redis, redis::cmd("GET").arg("{processes}:leader")).await;
        assert_eq!(leader, None);
        let verified = run_command(BINARY, &config, &["verify"]);
        assert!(
            verified.contains(&format!("checked {players} player(s)"))
                && verified.contains(" 0 mismatch(es), 0 economy violation(s)"),
            "{verified}"
        );
    }
}

/// Polls a matchmaker's metrics until it leads its fleet.
fn wait_until_leading(matchmaker: &Member) {
    let admin = matchmaker.process.admin_address();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, metrics) = get(admin, "/metrics").expect("GET /metrics");
        if metrics
            .lines()
            .any(|line| line == "arbiter_fleet_leading 1")
        {
            return;
        }
        assert!(Instant::now() < deadline, "the matchmaker never leads");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Plays the bots frame by frame until `done` (checked every 200 ms), at most `limit`.
fn play_until(
    swarm: &mut Swarm,
    started: Instant,
    what: &str,
    limit: Duration,
    done: &mut dyn FnMut() -> bool,
) -> Duration {
    let frame = Duration::from_millis(16);
    let since = Instant::now();
    let mut last_check = Instant::now();
    loop {
        swarm.play_frame(frame, started.elapsed().as_micros() as u64);
        std::thread::sleep(frame);
        if last_check.elapsed() >= Duration::from_millis(200) {
            last_check = Instant::now();
            if done() {
                return since.elapsed();
            }
        }
        assert!(since.elapsed() < limit, "never: {what}");
    }
}

/// Plays the bots frame by frame while `going_on` says so, at most a minute.
fn play_while(swarm: &mut Swarm, started: Instant, what: &str, going_on: impl Fn(&Swarm) -> bool) {
    let frame = Duration::from_millis(16);
    let deadline = Instant::now() + Duration::from_secs(60);
    while going_on(swarm) {
        swarm.play_frame(frame, started.elapsed().as_micros() as u64);
        std::thread::sleep(frame);
        assert!(Instant::now() < deadline, "never: {what}");
    }
}

/// A live match on a game server of `fleet` other than those at `except` (by port): the server's
/// port, the match and its players. Its first player's session names it (a dead server's list
/// lingers a while after its players moved on).
fn live_match_on_a_game_server(
    query_api: SocketAddr,
    fleet: &ProcessFleet,
    except: &[u16],
) -> Option<(u16, u64, Vec<u64>)> {
    live_matches(query_api)
        .into_iter()
        .find_map(|(match_id, players)| {
            let session = query(query_api, &format!("/v1/sessions/{}", players.first()?))?;
            if session["match_id"].as_u64() != Some(match_id) {
                return None;
            }
            let server = session["server_id"].as_str()?;
            let port = server.rsplit(':').next()?.parse::<u16>().ok()?;
            let wanted = fleet.games.contains_key(&port) && !except.contains(&port);
            wanted.then_some((port, match_id, players))
        })
}

/// Fails if a player is in two live matches at once.
fn assert_no_player_in_two_matches(live: &HashMap<u64, Vec<u64>>) {
    let mut seen: HashMap<u64, u64> = HashMap::new();
    for (match_id, players) in live {
        for player in players {
            if let Some(other) = seen.insert(*player, *match_id) {
                panic!("player {player} is in matches {other} and {match_id}");
            }
        }
    }
}

#[test]
fn a_killed_game_server_sends_its_players_back_and_every_history_verifies_clean() {
    let redis = arbiter_testing::databases::runtime().block_on(redis_server::fresh_database(5));
    let Some(redis) = redis else {
        return;
    };
    on_postgres(2, |shards| async move {
        let mut fleet = ProcessFleet::start(&shards, &redis, 1, 3);
        let query_api = fleet.matchmakers[0].process.query_address();
        let lobby = [loopback(fleet.matchmakers[0].port)];
        let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
        for client in fleet.bots(1..=BOTS, &lobby) {
            swarm.add(client, Behavior::Honest);
        }
        let started = Instant::now();

        // A live match on a game server: its players are the victims of that server's death.
        let mut target: Option<(u16, u64, Vec<u64>)> = None;
        play_until(
            &mut swarm,
            started,
            "a live match on a game server",
            Duration::from_secs(90),
            &mut || {
                target = live_match_on_a_game_server(query_api, &fleet, &[]);
                target.is_some()
            },
        );
        let (port, dead_match, players) = target.clone().expect("found");
        // A session says which server and which match.
        let session = query(query_api, &format!("/v1/sessions/{}", players[0])).expect("online");
        assert_eq!(session["match_id"].as_u64(), Some(dead_match), "{session}");
        // Every match on that server: its players are all victims.
        let victims: Vec<u64> = live_matches(query_api)
            .into_values()
            .flatten()
            .filter(|player| {
                server_of(query_api, *player)
                    .is_some_and(|server| server.ends_with(&format!(":{port}")))
            })
            .collect();
        assert!(!victims.is_empty());
        fleet.games[&port].process.signal("KILL");

        // Back: a victim's session names another server — the lobby, or already its next game
        // server (it passed through the lobby). Polled every 200 ms.
        let dead = format!("127.0.0.1:{port}");
        let killed_at = Instant::now();
        let mut back_after: HashMap<u64, Duration> = HashMap::new();
        play_until(
            &mut swarm,
            started,
            "the victims back",
            Duration::from_secs(30),
            &mut || {
                for victim in &victims {
                    let elsewhere =
                        server_of(query_api, *victim).is_some_and(|server| server != dead);
                    if elsewhere {
                        back_after
                            .entry(*victim)
                            .or_insert_with(|| killed_at.elapsed());
                    }
                }
                back_after.len() == victims.len()
            },
        );
        assert!(
            back_after
                .values()
                .all(|after| *after <= Duration::from_secs(10)),
            "{back_after:?}"
        );

        let mut playing_again: HashSet<u64> = HashSet::new();
        play_until(
            &mut swarm,
            started,
            "the victims in a match again",
            Duration::from_secs(90),
            &mut || {
                for (match_id, players) in live_matches(query_api) {
                    if match_id != dead_match {
                        playing_again
                            .extend(players.iter().filter(|player| victims.contains(player)));
                    }
                }
                playing_again.len() == victims.len()
            },
        );
        // Their new matches play to the end (and are stored by the servers that ran them).
        play_while(&mut swarm, started, "the new matches ended", |swarm| {
            swarm.report().matches_completed < victims.len() as u64
        });
        let report = swarm.report();
        assert_eq!(report.kicked, 0, "{report:#?}");
        assert!(report.fallbacks >= victims.len() as u64, "{report:#?}");

        // Another game server asked to stop (SIGTERM) while its match is live drains: the match
        // plays out, its players come back the usual way (no fallback), and only then does the
        // process exit, cleanly.
        let mut draining: Option<(u16, u64, Vec<u64>)> = None;
        play_until(
            &mut swarm,
            started,
            "a live match on another game server",
            Duration::from_secs(90),
            &mut || {
                draining = live_match_on_a_game_server(query_api, &fleet, &[port]);
                draining.is_some()
            },
        );
        let (drained_port, drained_match, drained_players) = draining.expect("found");
        let before = swarm.report();
        fleet.games[&drained_port].process.signal("TERM");
        let drained = format!("127.0.0.1:{drained_port}");
        play_until(
            &mut swarm,
            started,
            "the drained match over and its players gone from its server",
            Duration::from_secs(30),
            &mut || {
                !live_matches(query_api).contains_key(&drained_match)
                    && drained_players.iter().all(|player| {
                        server_of(query_api, *player).is_some_and(|server| server != drained)
                    })
            },
        );
        let after = swarm.report();
        assert_eq!(after.fallbacks, before.fallbacks, "{after:#?}");
        assert!(
            after.matches_completed >= before.matches_completed + drained_players.len() as u64,
            "the drained match was played to its end: {after:#?}"
        );
        let exit = fleet
            .games
            .get_mut(&drained_port)
            .expect("the drained server")
            .process
            .wait_exit(Duration::from_secs(30));
        assert!(exit.success(), "{exit:?}");
        swarm.leave();
        fleet
            .stop_and_verify(&redis, BOTS, &[port, drained_port])
            .await;
    });
}

#[test]
fn a_killed_leading_matchmaker_hands_its_players_to_the_standby_and_no_player_is_in_two_matches() {
    let redis = arbiter_testing::databases::runtime().block_on(redis_server::fresh_database(6));
    let Some(redis) = redis else {
        return;
    };
    on_postgres(2, |shards| async move {
        // 18 bots in matches of 4: two wait in the lobby whenever the rest play.
        let bots = 18;
        let fleet = ProcessFleet::start(&shards, &redis, 2, 2);
        let (leader, standby) = (&fleet.matchmakers[0], &fleet.matchmakers[1]);
        let (leader_at, standby_at) = (loopback(leader.port), loopback(standby.port));
        let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
        // Half the bots try the standby first: it denies them, and they go on to the leader.
        let half = bots / 2;
        let clients = fleet
            .bots(1..=half, &[leader_at, standby_at])
            .into_iter()
            .chain(fleet.bots(half + 1..=bots, &[standby_at, leader_at]));
        for client in clients {
            swarm.add(client, Behavior::Honest);
        }
        // A game server's query API: fleet-wide, and it outlives the matchmakers.
        let query_api = fleet
            .games
            .values()
            .next()
            .expect("a game")
            .process
            .query_address();
        let started = Instant::now();
        // Every bot online, none on the standby: at the leader, or on a game server already.
        let standby_name = standby_at.to_string();
        play_until(
            &mut swarm,
            started,
            "every bot online",
            Duration::from_secs(60),
            &mut || {
                let servers: Vec<Option<String>> =
                    (1..=bots).map(|id| server_of(query_api, id)).collect();
                assert!(
                    !servers.contains(&Some(standby_name.clone())),
                    "{servers:?}"
                );
                servers.iter().all(Option::is_some)
            },
        );

        // Once it has placed a match (some bots are on game servers), the leader is killed the
        // moment Redis runs its next allocation (watched with MONITOR): in the middle of a
        // placement, its slot reserved, the match's claims and tokens not (or only just) made.
        let leader_admin = leader.process.admin_address();
        play_until(
            &mut swarm,
            started,
            "a match placed",
            Duration::from_secs(60),
            &mut || {
                let (_, metrics) = get(leader_admin, "/metrics").expect("GET /metrics");
                metrics.lines().any(|line| {
                    line.starts_with("arbiter_fleet_placements_total{result=\"placed\"}")
                })
            },
        );
        let lease: String =
            redis_server::run(&redis, redis::cmd("GET").arg("{processes}:leader")).await;
        let old_epoch: u64 = lease
            .split(' ')
            .next()
            .and_then(|epoch| epoch.parse().ok())
            .expect("an epoch");
        let allocate = redis::Script::new(include_str!("../src/fleet/scripts/allocate.lua"));
        let watcher = redis_server::kill_at_command(
            &redis,
            allocate.get_hash(),
            leader.process.pid(),
            Duration::from_secs(60),
        );
        play_until(
            &mut swarm,
            started,
            "the leader killed while it allocates",
            Duration::from_secs(60),
            &mut || watcher.is_finished(),
        );
        let allocation = watcher.join().expect("the watcher").expect("an allocation");
        assert!(allocation.contains("{processes}"), "{allocation}");
        wait_until_leading(standby);

        // Every bot plays a match the new leader placed (a later epoch in its id), reaching it
        // from the lobby (its fallback) or from its game server (the next lobby address); and at
        // no moment is a player in two matches.
        let mut in_new_matches: HashSet<u64> = HashSet::new();
        let all_again = play_until(
            &mut swarm,
            started,
            "every bot in a match the new leader placed",
            Duration::from_secs(150),
            &mut || {
                let live = live_matches(query_api);
                assert_no_player_in_two_matches(&live);
                for (match_id, players) in live {
                    if match_id >> 32 > old_epoch {
                        in_new_matches.extend(players);
                    }
                }
                in_new_matches.len() == bots as usize
            },
        );
        let report = swarm.report();
        #[expect(clippy::print_stderr, reason = "the figure the README quotes")]
        {
            eprintln!(
                "every bot in a match of the new leader {all_again:?} after the kill; {} fallback(s) used",
                report.fallbacks
            );
        }
        assert_eq!(report.kicked, 0, "{report:#?}");
        assert!(
            report.fallbacks >= 1,
            "the lobby's bots used their fallback: {report:#?}"
        );
        swarm.leave();
        fleet
            .stop_and_verify(&redis, bots, &[leader_at.port()])
            .await;
    });
}
