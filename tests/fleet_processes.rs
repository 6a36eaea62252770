//! A fleet of real processes on loopback: one `arbiter matchmaker` and three
//! `arbiter serve --role game`, sharing PostgreSQL shards, Redis and one token key; honest bots in
//! this process know only the matchmaker. A game server is killed with SIGKILL while its match is
//! live: its players are back in the matchmaker's lobby within 10 s and play on another server, and
//! at the end every player's stored history verifies clean. Seen from outside, through the query
//! API: `/v1/matches` (fleet-wide) and `/v1/sessions/{id}` (which server a player is on).

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
/// Redis and key; game servers send players back to `lobby`.
fn write_config(
    dir: &Path,
    port: u16,
    shards: &[String],
    redis: &str,
    key: &Path,
    lobby: u16,
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
         lobby_addresses = [\"127.0.0.1:{lobby}\"]\n",
        data = dir.join("data").display().to_string(),
        key = key.display().to_string(),
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

#[test]
fn a_killed_game_server_sends_its_players_back_and_every_history_verifies_clean() {
    let redis = arbiter_testing::databases::runtime().block_on(redis_server::fresh_database(5));
    let Some(redis) = redis else {
        return;
    };
    on_postgres(2, |shards| async move {
        let root = tempfile::tempdir().expect("temp dir");
        let key = root.path().join("fleet.key");
        std::fs::write(&key, arbiter_client::netcode::random_bytes::<32>()).expect("key");
        let lobby_port = free_udp_port();
        let mut dirs = Vec::new();
        for name in ["matchmaker", "game-1", "game-2", "game-3"] {
            let dir = root.path().join(name);
            std::fs::create_dir_all(&dir).expect("dir");
            let port = if name == "matchmaker" {
                lobby_port
            } else {
                free_udp_port()
            };
            dirs.push((
                write_config(&dir, port, &shards, &redis, &key, lobby_port),
                port,
            ));
        }
        let matchmaker = ServerProcess::start_command(BINARY, &["matchmaker"], &dirs[0].0);
        let query_api = matchmaker.query_address();
        // One at a time: each applies the migrations at start.
        let mut games: HashMap<u16, ServerProcess> = HashMap::new();
        for (config, port) in &dirs[1..] {
            let game = ServerProcess::start_command(BINARY, &["serve", "--role", "game"], config);
            game.admin_address();
            games.insert(*port, game);
        }

        let issuer = TokenIssuer::new(
            std::fs::read(&key)
                .expect("key")
                .try_into()
                .expect("32 bytes"),
            vec![SocketAddr::from(([127, 0, 0, 1], lobby_port))],
            &NetSettings::default(),
        );
        let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
        for id in 1..=BOTS {
            let token = issuer.issue(id).expect("a token");
            swarm.add(
                ArbiterClient::connect(token, None).expect("socket"),
                Behavior::Honest,
            );
        }
        let frame = Duration::from_millis(16);
        let started = Instant::now();
        let mut play_until = |what: &str, limit: Duration, done: &mut dyn FnMut() -> bool| {
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
        };

        // A live match on a game server: its players are the victims of that server's death.
        let mut target: Option<(u16, u64, Vec<u64>)> = None;
        play_until(
            "a live match on a game server",
            Duration::from_secs(90),
            &mut || {
                for (match_id, players) in live_matches(query_api) {
                    let server = players
                        .first()
                        .and_then(|player| server_of(query_api, *player));
                    let port =
                        server.and_then(|server| server.rsplit(':').next()?.parse::<u16>().ok());
                    if let Some(port) = port.filter(|port| games.contains_key(port)) {
                        target = Some((port, match_id, players));
                        return true;
                    }
                }
                false
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
        games.get(&port).expect("the server").signal("KILL");

        // Back: a victim's session names another server — the lobby, or already its next game
        // server (it passed through the lobby). Polled every 200 ms.
        let dead = format!("127.0.0.1:{port}");
        let killed_at = Instant::now();
        let mut back_after: HashMap<u64, Duration> = HashMap::new();
        play_until("the victims back", Duration::from_secs(30), &mut || {
            for victim in &victims {
                let elsewhere = server_of(query_api, *victim).is_some_and(|server| server != dead);
                if elsewhere {
                    back_after
                        .entry(*victim)
                        .or_insert_with(|| killed_at.elapsed());
                }
            }
            back_after.len() == victims.len()
        });
        assert!(
            back_after
                .values()
                .all(|after| *after <= Duration::from_secs(10)),
            "{back_after:?}"
        );

        let mut playing_again: HashSet<u64> = HashSet::new();
        play_until(
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
        let deadline = Instant::now() + Duration::from_secs(60);
        while swarm.report().matches_completed < victims.len() as u64 {
            swarm.play_frame(frame, started.elapsed().as_micros() as u64);
            std::thread::sleep(frame);
            assert!(Instant::now() < deadline, "the new matches never ended");
        }
        let report = swarm.report();
        assert_eq!(report.kicked, 0, "{report:#?}");
        assert!(report.fallbacks >= victims.len() as u64, "{report:#?}");
        swarm.leave();

        // Everyone stops; every history replays to its stored row (`verify` exits 0 only then).
        for (game_port, game) in &games {
            if *game_port != port {
                game.signal("TERM");
            }
        }
        matchmaker.signal("TERM");
        for game in games.values_mut() {
            game.wait_exit(Duration::from_secs(30));
        }
        let mut matchmaker = matchmaker;
        matchmaker.wait_exit(Duration::from_secs(30));
        // The stopped matchmaker gave its lease up: another may lead at once.
        let leader: Option<String> =
            redis_server::run(&redis, redis::cmd("GET").arg("{processes}:leader")).await;
        assert_eq!(leader, None);
        let verified = run_command(BINARY, &dirs[0].0, &["verify"]);
        assert!(
            verified.contains(&format!("checked {BOTS} player(s)"))
                && verified.contains(" 0 mismatch(es), 0 economy violation(s)"),
            "{verified}"
        );
    });
}
