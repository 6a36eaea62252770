//! The observability pack in `deploy/`: every metric the Grafana dashboard and the Prometheus alert
//! rules name exists in the `/metrics` of the real binary (with Redis as its cache, one player
//! connected and stored, one query served), so no panel or alert watches a series that is never
//! there.

use arbiter_client::ArbiterClient;
use arbiter_testing::http;
use arbiter_testing::process::ServerProcess;
use arbiter_testing::redis_server;
use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

/// The `arbiter_…` metric names in `text`, histogram series (`_bucket`, `_sum`, `_count`) by
/// their metric's name.
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("arbiter_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(name);
        names.insert(base.to_owned());
        rest = &tail[end..];
    }
    names
}

fn deploy_file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/deploy/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("the deploy file exists")
}

#[test]
fn every_metric_the_dashboard_and_the_alerts_name_is_in_metrics() {
    let dashboard = deploy_file("grafana-dashboard.json");
    let parsed: serde_json::Value =
        serde_json::from_str(&dashboard).expect("the dashboard is JSON");
    assert!(
        parsed["panels"]
            .as_array()
            .is_some_and(|panels| !panels.is_empty())
    );
    let alerts = deploy_file("prometheus-alerts.yml");
    assert!(alerts.contains("groups:") && alerts.contains("- alert: "));
    let named: BTreeSet<String> = metric_names(&dashboard)
        .into_iter()
        .chain(metric_names(&alerts))
        .collect();
    assert!(named.len() >= 15, "{named:?}");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let Some(redis) = runtime.block_on(redis_server::fresh_database(13)) else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let game_port = arbiter_testing::net::free_udp_port();
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nbind = \"127.0.0.1:{game_port}\"\ndata_dir = {:?}\n\
             [admin]\nbind = \"127.0.0.1:0\"\n[query]\nbind = \"127.0.0.1:0\"\n[persistence]\nflush_interval_secs = 1\n\
             [cache]\nbackend = \"redis\"\nredis_url = {redis:?}\n",
            dir.path().join("data").display().to_string()
        ),
    )
    .expect("write config");
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &config);
    let admin = server.admin_address();
    let query = server.query_address();
    let token = Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["token", "--player-id", "7", "--config"])
        .arg(&config)
        .output()
        .expect("arbiter token runs");
    let token = arbiter_client::token::decode_token(String::from_utf8_lossy(&token.stdout).trim())
        .expect("a token");
    let mut client = ArbiterClient::connect(token, None).expect("client socket");

    // Until the player is stored and a query was answered, every named series is expected.
    let deadline = Instant::now() + Duration::from_secs(20);
    let missing = loop {
        let _ = client.update(Duration::from_millis(10));
        client.receive().for_each(drop);
        let _ = client.flush();
        let (status, _) = http::get(query, "/v1/players/7").expect("a query");
        assert!(status == 200 || status == 404, "{status}");
        let (_, metrics) = http::get(admin, "/metrics").expect("GET /metrics");
        let present = metric_names(&metrics);
        let missing: Vec<&String> = named.difference(&present).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.into_iter().cloned().collect::<Vec<_>>();
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(missing.is_empty(), "named but not in /metrics: {missing:?}");
    client.disconnect();
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).success());
}
