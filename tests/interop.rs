//! A netcode client written from the standard alone, in another language (Python, with PyNaCl from
//! PyPI), connects to the real binary with a token from `arbiter token` and exchanges payloads:
//! proof that any conforming client reaches Arbiter, and that what the server sends conforms.

use arbiter_testing::http;
use arbiter_testing::net::free_udp_port;
use arbiter_testing::process::{ServerProcess, run_command};
use arbiter_testing::python::python_module_available;
use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant};

const CLIENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/interop/netcode_client.py"
);
#[test]
fn a_python_netcode_client_written_from_the_standard_connects_and_exchanges_payloads() {
    if !python_module_available("nacl.bindings", "pynacl>=1.5,<2") {
        return;
    }
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("server.toml");
    let game_port = free_udp_port();
    std::fs::write(
        &config,
        format!(
            "[server]\nbind = \"127.0.0.1:{}\"\ndata_dir = {:?}\n[admin]\nbind = \"127.0.0.1:0\"\n\
             [query]\nbind = \"127.0.0.1:0\"\n",
            game_port,
            directory.path().join("data").display().to_string()
        ),
    )
    .expect("write config");
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &config);
    let admin = server.admin_address();
    let token = run_command(
        env!("CARGO_BIN_EXE_arbiter"),
        &config,
        &["token", "--player-id", "31337"],
    );
    assert_eq!(
        base64_len(token.trim()),
        2048,
        "the standard's public connect token"
    );

    let output = Command::new("python3")
        .args([CLIENT, token.trim(), "15"])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(report["state"], "connected", "{report}");
    assert_eq!(report["welcome_player_id"], 31337, "{report}");
    assert_eq!(report["pong"], true, "{report}");
    assert_eq!(report["nonconformant_packets"], 0, "{report}");

    let (_, metrics) = http::get(admin, "/metrics").expect("GET /metrics");
    assert_eq!(
        http::metric_value(&metrics, "arbiter_connections_total{result=\"new\"}"),
        Some(1.0),
        "{metrics}"
    );

    // Datagrams that are not netcode, or from nobody the server knows, are ignored and counted.
    let stranger = UdpSocket::bind("127.0.0.1:0").expect("socket");
    stranger
        .send_to(&[1, 2, 3], ("127.0.0.1", game_port))
        .expect("send");
    stranger
        .send_to(&[0x15; 40], ("127.0.0.1", game_port))
        .expect("send");
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = |reason: &str| {
        let (_, metrics) = http::get(admin, "/metrics").expect("GET /metrics");
        http::metric_value(
            &metrics,
            &format!("arbiter_packets_refused_total{{reason=\"{reason}\"}}"),
        )
    };
    while refused("too_small").is_none() || refused("unknown_address").is_none() {
        assert!(Instant::now() < deadline, "refusals were not counted");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(refused("too_small"), Some(1.0));
}

/// Decoded length of standard base64 text.
fn base64_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|byte| *byte == b'=').count();
    text.len() / 4 * 3 - padding
}
