//! Crashes of the real binary with real bots playing real matches: `kill -9` after a completed flush
//! keeps that state (and the server starts again on it), SIGTERM writes everything before it exits.

use arbiter_client::ArbiterClient;
use arbiter_components::protocol::ServerMessage;
use arbiter_testing::http;
use arbiter_testing::process::ServerProcess;
use sqlx::sqlite::SqlitePoolOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BOTS: u64 = 10;

/// A server directory: config, data (token key, SQLite shard), and the game port tokens name.
struct Deployment {
    _dir: tempfile::TempDir,
    config: PathBuf,
    database: PathBuf,
    game_port: u16,
}

impl Deployment {
    fn new(flush_interval_secs: u32) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().join("data");
        let game_port = arbiter_testing::net::free_udp_port();
        let config = dir.path().join("server.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nbind = \"127.0.0.1:{game_port}\"\ndata_dir = {:?}\n\
                 [net]\nguest_tokens = true\n[admin]\nbind = \"127.0.0.1:0\"\n[query]\nbind = \"127.0.0.1:0\"\n\
                 [matches]\nwarmup_secs = 1\ntime_limit_secs = 10\nrespawn_secs = 1\n\
                 [persistence]\nflush_interval_secs = {flush_interval_secs}\n",
                data_dir.display().to_string()
            ),
        )
        .expect("write config");
        Self {
            config,
            database: data_dir.join("players.db"),
            game_port,
            _dir: dir,
        }
    }

    fn arbiter(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_arbiter"))
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .stderr(Stdio::inherit())
            .output()
            .expect("arbiter runs")
    }

    /// Ten bots play one match to its end (1 s warm-up, 10 s live), however long a loaded machine
    /// takes to form it.
    fn play_one_match(&self, admin: SocketAddr) {
        let bots = Command::new(env!("CARGO_BIN_EXE_arbiter"))
            .args(["bots", "--count", &BOTS.to_string()])
            .args(["--duration", "60", "--matches", "1"])
            .arg("--admin")
            .arg(format!("http://{admin}"))
            .args(["--server", &format!("127.0.0.1:{}", self.game_port)])
            .stderr(Stdio::inherit())
            .output()
            .expect("arbiter bots runs");
        assert!(bots.status.success(), "arbiter bots failed");
        let report: serde_json::Value =
            serde_json::from_slice(&bots.stdout).expect("a JSON report");
        assert_eq!(report["matches_completed"], BOTS, "{report}");
    }

    /// Runs `task` with a connection pool on the SQLite shard file.
    fn with_database<T>(&self, task: impl AsyncFnOnce(sqlx::SqlitePool) -> T) -> T {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let pool = SqlitePoolOptions::new()
                .connect(&format!("sqlite://{}", self.database.display()))
                .await
                .expect("the shard file opens");
            task(pool).await
        })
    }

    /// `(id, matches, version)` of every stored player, read straight from the SQLite file.
    fn stored_players(&self) -> Vec<(i64, i64, i64)> {
        self.with_database(async |pool| {
            sqlx::query_as("SELECT id, matches, version FROM players ORDER BY id")
                .fetch_all(&pool)
                .await
                .expect("players")
        })
    }

    /// Changes the shard file by hand.
    fn execute(&self, statement: &str) {
        let statement = sqlx::AssertSqlSafe(statement.to_owned());
        self.with_database(async |pool| {
            sqlx::query(statement)
                .execute(&pool)
                .await
                .expect("statement runs");
        });
    }

    fn verify_passes(&self) {
        let verify = self.arbiter(&["verify"]);
        let stdout = String::from_utf8_lossy(&verify.stdout);
        assert!(verify.status.success(), "{stdout}");
        assert!(
            stdout.contains(&format!(
                "checked {BOTS} player(s) and 0 object(s) on 1 shard(s): 0 mismatch(es), 0 economy \
                 violation(s), 0 half-written transfer(s)"
            )),
            "{stdout}"
        );
    }
}

fn metric(admin: SocketAddr, series: &str) -> Option<f64> {
    let (status, body) = http::get(admin, "/metrics").expect("GET /metrics");
    assert_eq!(status, 200);
    http::metric_value(&body, series)
}

/// Every bot registered (with its starter kit) and played one match (paid for it): more events
/// than those two alone; verify checks the version against the log.
fn assert_one_match_each(players: &[(i64, i64, i64)]) {
    assert_eq!(players.len(), BOTS as usize, "{players:?}");
    assert!(
        players
            .iter()
            .all(|(_, matches, version)| *matches == 1 && *version > 2),
        "{players:?}"
    );
}

#[test]
fn kill_9_after_a_completed_flush_keeps_that_state_and_the_server_starts_on_it() {
    let deployment = Deployment::new(1);
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &deployment.config);
    let admin = server.admin_address();
    deployment.play_one_match(admin);
    let deadline = Instant::now() + Duration::from_secs(15);
    let all_played = || {
        let stored = deployment.stored_players();
        stored.len() == BOTS as usize && stored.iter().all(|(_, matches, _)| *matches == 1)
    };
    while !all_played() || metric(admin, "arbiter_persist_pending_players") != Some(0.0) {
        assert!(Instant::now() < deadline, "the flush never completed");
        std::thread::sleep(Duration::from_millis(50));
    }
    server.signal("KILL");
    assert!(!server.wait_exit(Duration::from_secs(10)).success());

    let stored = deployment.stored_players();
    assert_one_match_each(&stored);
    deployment.verify_passes();
    let player_id = stored[0].0 as u64;
    let replay = deployment.arbiter(&["replay", "--player-id", &player_id.to_string()]);
    assert!(replay.status.success());
    let replay: serde_json::Value = serde_json::from_slice(&replay.stdout).expect("JSON");
    assert_eq!(replay["matches"], true, "{replay}");
    assert_eq!(replay["replayed"]["matches"], 1, "{replay}");

    // The server starts on that state: a returning player is loaded, not registered anew.
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &deployment.config);
    let admin = server.admin_address();
    let token = deployment.arbiter(&["token", "--player-id", &player_id.to_string()]);
    assert!(token.status.success());
    let token = arbiter_client::token::decode_token(&String::from_utf8_lossy(&token.stdout))
        .expect("a token");
    let mut client = ArbiterClient::connect(token, None).expect("client socket");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        client
            .update(Duration::from_millis(10))
            .expect("connection stays up");
        client.flush().expect("send");
        if client
            .receive()
            .any(|message| matches!(message, ServerMessage::Welcome { .. }))
        {
            break;
        }
        assert!(Instant::now() < deadline, "no Welcome");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        metric(admin, "arbiter_persist_loads_total{result=\"stored\"}"),
        Some(1.0)
    );
    client.disconnect();
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).success());
    assert_eq!(deployment.stored_players(), stored, "nothing changed");
}

#[test]
fn sigterm_writes_every_change_before_the_server_exits() {
    // No flush in the server's life: everything reaches the database in the final flush.
    let deployment = Deployment::new(3600);
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &deployment.config);
    let admin = server.admin_address();
    deployment.play_one_match(admin);
    assert_eq!(
        metric(admin, "arbiter_persist_rows_total{table=\"players\"}"),
        None,
        "nothing written before shutdown"
    );
    assert!(deployment.stored_players().is_empty());

    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).success());
    let stored = deployment.stored_players();
    assert_one_match_each(&stored);
    deployment.verify_passes();

    // A row changed by hand no longer matches its history: verify names it and fails.
    let tampered = stored[3].0;
    deployment.execute(&format!(
        "UPDATE players SET kills = kills + 7 WHERE id = {tampered}"
    ));
    let verify = deployment.arbiter(&["verify"]);
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(!verify.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("MISMATCH player {tampered}:")),
        "{stdout}"
    );
    assert!(stdout.contains(": 1 mismatch(es)"), "{stdout}");
}
