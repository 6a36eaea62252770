//! The real binary: starts on free ports, serves `/health`, `/metrics` and guest tokens, hot-reloads
//! its config file, plays against `arbiter bots`, and stops on SIGTERM with exit code 0.

use arbiter_testing::http;
use arbiter_testing::net::free_udp_port;
use arbiter_testing::process::ServerProcess;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const POLL_TIMEOUT: Duration = Duration::from_secs(10);

fn health(admin: SocketAddr) -> serde_json::Value {
    let (status, body) = http::get(admin, "/health").expect("GET /health");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).expect("/health returns JSON")
}

/// Polls `/health` until `done` holds for its JSON.
fn wait_for_health(
    admin: SocketAddr,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + POLL_TIMEOUT;
    loop {
        let report = health(admin);
        if done(&report) {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "/health never got there: {report}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn metrics(admin: SocketAddr) -> String {
    let (status, body) = http::get(admin, "/metrics").expect("GET /metrics");
    assert_eq!(status, 200);
    body
}

#[test]
fn serves_health_and_metrics_reloads_its_config_and_stops_on_sigterm() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("server.toml");
    let data_dir = directory.path().join("data").display().to_string();
    let write_config = |tick_rate_hz: u32| {
        std::fs::write(
            &config,
            format!(
                "[server]\ntick_rate_hz = {tick_rate_hz}\nbind = \"127.0.0.1:0\"\ndata_dir = {data_dir:?}\n\n\
                 [admin]\nbind = \"127.0.0.1:0\"\n[query]\nbind = \"127.0.0.1:0\"\n"
            ),
        )
        .expect("write config");
    };
    write_config(100);
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &config);
    let admin = server.admin_address();

    let report = wait_for_health(admin, |report| report["tick"].as_u64() > Some(0));
    assert_eq!(report["status"], "running");
    assert_eq!(report["tick_rate_hz"], 100);
    assert_eq!(report["config_version"], 1);
    assert!(report["uptime_secs"].as_f64().is_some());
    let text = metrics(admin);
    for name in [
        "arbiter_ticks_total",
        "arbiter_tick_rate_hz",
        "arbiter_tick_duration_seconds_bucket",
        "arbiter_tick_overruns_total",
        "arbiter_config_reloads_total{result=\"error\"}",
        "arbiter_config_version",
    ] {
        assert!(text.contains(name), "/metrics lacks {name}:\n{text}");
    }
    assert_eq!(
        http::metric_value(&text, "arbiter_tick_rate_hz"),
        Some(100.0)
    );

    // A broken file is refused and counted; the server keeps its config and keeps ticking.
    write_config(0);
    let report = wait_for_health(admin, |report| report["config_reload_errors"] == 1);
    assert_eq!(report["config_version"], 1);
    assert_eq!(report["tick_rate_hz"], 100);
    let error = report["last_config_error"].as_str().unwrap_or_default();
    assert!(
        error.contains(":2:16: `server.tick_rate_hz` is 0"),
        "{error}"
    );
    let text = metrics(admin);
    assert_eq!(
        http::metric_value(&text, "arbiter_config_reloads_total{result=\"error\"}"),
        Some(1.0)
    );

    // A valid file is applied.
    write_config(50);
    wait_for_health(admin, |report| {
        report["config_version"] == 2 && report["tick_rate_hz"] == 50
    });
    let text = metrics(admin);
    assert_eq!(
        http::metric_value(&text, "arbiter_tick_rate_hz"),
        Some(50.0)
    );
    assert_eq!(
        http::metric_value(&text, "arbiter_config_version"),
        Some(2.0)
    );
    assert_eq!(
        http::metric_value(&text, "arbiter_config_reloads_total{result=\"ok\"}"),
        Some(1.0)
    );

    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "exit status {status}");
}

#[test]
fn refuses_to_start_on_a_broken_config_file_and_says_where() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("server.toml");
    std::fs::write(&config, "[server]\ntick_rate_hz = 60\n[nonsense]\n").expect("write config");

    let output = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .arg("--config")
        .arg(&config)
        .output()
        .expect("the arbiter binary runs");

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("server.toml:3:2: unknown field `nonsense`"),
        "{stderr}"
    );
}

/// A UDP port that was free a moment ago, for a server whose port a token must name in advance.
#[test]
fn bots_and_cli_tokens_play_against_the_real_server_and_guest_tokens_can_be_turned_off() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("server.toml");
    let game_port = free_udp_port();
    let data_dir = directory.path().join("data").display().to_string();
    let write_config = |guest_tokens: bool| {
        std::fs::write(
            &config,
            format!(
                "[server]\nbind = \"127.0.0.1:{game_port}\"\ndata_dir = {data_dir:?}\n\
                 [net]\nguest_tokens = {guest_tokens}\n[admin]\nbind = \"127.0.0.1:0\"\n[query]\nbind = \"127.0.0.1:0\"\n"
            ),
        )
        .expect("write config");
    };
    write_config(true);
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &config);
    let admin = server.admin_address();

    let bots = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["bots", "--count", "20", "--duration", "2", "--admin"])
        .arg(format!("http://{admin}"))
        .args(["--server", &format!("127.0.0.1:{game_port}")])
        .stderr(Stdio::inherit())
        .output()
        .expect("arbiter bots runs");
    assert!(bots.status.success(), "arbiter bots failed");
    let report: serde_json::Value = serde_json::from_slice(&bots.stdout).expect("a JSON report");
    assert_eq!(report["bots"], 20, "{report}");
    assert_eq!(report["connected"], 20, "{report}");
    assert_eq!(report["failed_connects"], 0, "{report}");
    assert_eq!(report["disconnects"], 0, "{report}");
    assert_eq!(report["kicked"], 0, "{report}");
    assert_eq!(
        report["matches_played"], 20,
        "every bot queued and was matched: {report}"
    );
    assert!(report["inputs_sent"].as_u64() > Some(20 * 60), "{report}");
    assert!(
        report["snapshots_received"].as_u64() > Some(20 * 60),
        "{report}"
    );
    assert!(report["rtt_ms_p50"].as_f64().is_some(), "{report}");
    let text = metrics(admin);
    assert_eq!(
        http::metric_value(&text, "arbiter_connections_total{result=\"new\"}"),
        Some(20.0)
    );
    assert_eq!(
        http::metric_value(&text, "arbiter_matches_active"),
        Some(2.0),
        "two matches of ten, in warm-up"
    );

    // A token from the command line connects as the player it names.
    let token = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["token", "--player-id", "4242", "--config"])
        .arg(&config)
        .output()
        .expect("arbiter token runs");
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = arbiter_client::token::decode_token(&String::from_utf8_lossy(&token.stdout))
        .expect("a token");
    let mut client = arbiter_client::ArbiterClient::connect(token, None).expect("socket");
    let deadline = Instant::now() + POLL_TIMEOUT;
    let welcomed_as = loop {
        client
            .update(Duration::from_millis(10))
            .expect("connection stays up");
        client.flush().expect("send");
        let welcome = client.receive().find_map(|message| match message {
            arbiter_components::protocol::ServerMessage::Welcome { player_id, .. } => {
                Some(player_id)
            }
            _ => None,
        });
        if let Some(player_id) = welcome {
            break player_id;
        }
        assert!(Instant::now() < deadline, "no Welcome for the CLI token");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(welcomed_as, 4242);
    client.disconnect();

    // Guest tokens: on, then off by a hot reload.
    assert_eq!(
        http::request(admin, "POST", "/v1/tokens").expect("POST").0,
        200
    );
    write_config(false);
    wait_for_health(admin, |report| report["config_version"] == 2);
    let (status, body) = http::request(admin, "POST", "/v1/tokens").expect("POST");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("net.guest_tokens"), "{body}");
}
