//! The Agones paths against a stand-in that speaks the SDK sidecar's REST gateway and
//! agones-allocator's REST interface (test code: no cluster runs here). The stand-in keeps one
//! GameServer the way Agones does — state, address and game port, annotations, a `matches`
//! counter — and allocates it when a selector matches. A matchmaker and a game server of the
//! fleet, with bots, play through it: the lifecycle calls come in order, health pings come only
//! while the game server's tick advances, the counter stays exact across matches (and across a
//! placement whose players never come), allocation requests carry the documented fields, and a
//! server asked to stop drains — labelled as taking no match, so the allocator passes it over —
//! before it calls Shutdown. The matchmaker leads through a Kubernetes Lease (a stand-in for the
//! API's Leases, over TLS).

use arbiter::bots::{Arsenal, Swarm};
use arbiter::cli::Behavior;
use arbiter::fleet::game::GameRolePlugin;
use arbiter::fleet::matchmaker::MatchmakerRolePlugin;
use arbiter::settings::{Orchestrator, ServerConfig};
use arbiter::shutdown::{DrainHold, Shutdown, ShutdownSignal};
use arbiter_testing::databases::runtime;
use arbiter_testing::kubernetes::KubernetesStandIn;
use arbiter_testing::net::{self, TestServer};
use arbiter_testing::redis_server;
use arbiter_testing::tls::Authority;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BOTS: u64 = 8;
const MATCHES_EACH: u64 = 2;
const CAPACITY: i64 = 2;

/// The one GameServer the stand-in keeps, as Agones would.
#[derive(Debug, Default)]
struct GameServer {
    state: String,
    port: u16,
    /// Those of the Fleet's template, and those set through the SDK (prefixed as Agones does).
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    count: i64,
    capacity: i64,
    /// Every SDK call, in order: "POST /ready", "PATCH matches {…}", …
    calls: Vec<String>,
    /// Every allocation request body.
    allocations: Vec<Value>,
    /// The highest count seen.
    peak: i64,
}

type Shared = Arc<Mutex<GameServer>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, GameServer> {
    shared.lock().expect("stand-in state")
}

async fn lifecycle(State(shared): State<Shared>, uri: axum::http::Uri) -> Json<Value> {
    let mut server = lock(&shared);
    server.calls.push(format!("POST {}", uri.path()));
    match uri.path() {
        "/ready" => server.state = "Ready".into(),
        "/shutdown" => server.state = "Shutdown".into(),
        _ => {}
    }
    Json(json!({}))
}

async fn game_server(State(shared): State<Shared>) -> Json<Value> {
    let server = lock(&shared);
    Json(json!({
        "object_meta": { "name": "arbiter-game-abcde", "annotations": server.annotations },
        "status": {
            "state": server.state,
            "address": "127.0.0.1",
            "ports": [{ "name": "game", "port": server.port }],
        },
    }))
}

/// `PUT /metadata/label`: `{"key", "value"}`, stored under `agones.dev/sdk-<key>`.
async fn label(State(shared): State<Shared>, Json(label): Json<Value>) -> Json<Value> {
    let mut server = lock(&shared);
    server.calls.push(format!("PUT /metadata/label {label}"));
    let (key, value) = (label["key"].as_str(), label["value"].as_str());
    if let (Some(key), Some(value)) = (key, value) {
        server
            .labels
            .insert(format!("agones.dev/sdk-{key}"), value.to_owned());
    }
    Json(json!({}))
}

/// `PATCH /v1beta1/counters/{name}`: count, capacity or countDiff, as int64 strings.
async fn counter(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    Json(update): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let mut server = lock(&shared);
    server.calls.push(format!("PATCH {name} {update}"));
    if name != "matches" {
        return Err(StatusCode::NOT_FOUND);
    }
    let field = |key: &str| update.get(key).and_then(Value::as_str)?.parse::<i64>().ok();
    if let Some(capacity) = field("capacity") {
        server.capacity = capacity;
    }
    if let Some(count) = field("count") {
        server.count = count;
    }
    if let Some(diff) = field("countDiff") {
        let count = server.count + diff;
        if count < 0 || count > server.capacity {
            return Err(StatusCode::BAD_REQUEST);
        }
        server.count = count;
    }
    Ok(Json(json!({
        "name": name,
        "count": server.count.to_string(),
        "capacity": server.capacity.to_string(),
    })))
}

/// `POST /gameserverallocation`: the first selector that matches the one GameServer wins.
async fn allocate(
    State(shared): State<Shared>,
    Json(request): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let mut server = lock(&shared);
    server.allocations.push(request.clone());
    let selectors = request["gameServerSelectors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let matches = selectors.iter().any(|selector| {
        let state = match server.state.as_str() {
            "Ready" => "READY",
            "Allocated" => "ALLOCATED",
            _ => return false,
        };
        let labels = selector["matchLabels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let labelled = labels
            .iter()
            .all(|(key, value)| server.labels.get(key).map(String::as_str) == value.as_str());
        let min_available = selector["counters"]["matches"]["minAvailable"]
            .as_str()
            .and_then(|min| min.parse::<i64>().ok())
            .unwrap_or(0);
        selector["gameServerState"] == state
            && labelled
            && server.capacity - server.count >= min_available
    });
    if !matches {
        return Err(StatusCode::TOO_MANY_REQUESTS);
    }
    let increment = &request["counters"]["matches"];
    if increment["action"] == "Increment" {
        server.count += increment["amount"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
    }
    server.peak = server.peak.max(server.count);
    if let Some(annotations) = request["metadata"]["annotations"].as_object() {
        for (key, value) in annotations {
            server
                .annotations
                .insert(key.clone(), value.as_str().unwrap_or_default().to_owned());
        }
    }
    server.state = "Allocated".into();
    Ok(Json(json!({
        "gameServerName": "arbiter-game-abcde",
        "address": "127.0.0.1",
        "ports": [{ "name": "game", "port": server.port }],
        "nodeName": "node-1",
        "source": "local",
    })))
}

/// The stand-in on a free loopback port.
fn stand_in(runtime: &tokio::runtime::Runtime, shared: Shared) -> SocketAddr {
    let router = axum::Router::new()
        .route("/ready", post(lifecycle))
        .route("/health", post(lifecycle))
        .route("/shutdown", post(lifecycle))
        .route("/gameserver", get(game_server))
        .route("/metadata/label", put(label))
        .route("/v1beta1/counters/{name}", patch(counter))
        .route("/gameserverallocation", post(allocate))
        .with_state(shared);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    runtime.spawn(async move { axum::serve(listener, router).await });
    address
}

fn agones_config(
    config: &mut ServerConfig,
    key: &std::path::Path,
    redis: &str,
    stand_in: SocketAddr,
) {
    config.net.private_key_file = key.display().to_string();
    config.matchmaking.match_size = 4;
    config.matches.warmup_secs = 1;
    config.matches.time_limit_secs = 3;
    config.fleet.redis_url = redis.to_owned();
    config.fleet.name = "agones".into();
    config.fleet.region = "eu".into();
    config.fleet.capacity = CAPACITY as u32;
    config.fleet.heartbeat_ms = 200;
    // Tokens live this long in wall-clock time; the servers here tick faster than real time.
    config.fleet.arrival_deadline_secs = 120;
    config.fleet.orchestrator = Orchestrator::Agones;
    config.fleet.agones_sdk_port = stand_in.port();
    config.fleet.allocator_endpoint = stand_in.to_string();
}

fn calls(shared: &Shared, prefix: &str) -> usize {
    lock(shared)
        .calls
        .iter()
        .filter(|call| call.starts_with(prefix))
        .count()
}

#[test]
fn a_fleet_on_agones_keeps_the_lifecycle_the_counter_and_the_allocation_contract() {
    let runtime = runtime();
    let Some(redis) = runtime.block_on(redis_server::fresh_database(15)) else {
        return;
    };
    let shared: Shared = Arc::new(Mutex::new(GameServer {
        state: "Scheduled".into(),
        labels: BTreeMap::from([
            ("agones.dev/fleet".to_owned(), "arbiter-game".to_owned()),
            ("arbiter.dev/region".to_owned(), "eu".to_owned()),
        ]),
        ..GameServer::default()
    }));
    let stand_in = stand_in(&runtime, shared.clone());
    let key_dir = tempfile::tempdir().expect("temp dir");
    let key = key_dir.path().join("fleet.key");

    let mut settings = ServerConfig::default();
    agones_config(&mut settings, &key, &redis, stand_in);
    // The matchmaker leads through a Kubernetes Lease, as in the cluster.
    let credentials = tempfile::tempdir().expect("temp dir");
    let kubernetes = KubernetesStandIn::start(&runtime, &Authority::new(), credentials.path());
    let mut matchmaker_fleet = settings.fleet.clone();
    matchmaker_fleet.kubernetes_lease = "arbiter-matchmaker".into();
    matchmaker_fleet.kubernetes_api = kubernetes.endpoint();
    matchmaker_fleet.kubernetes_credentials = credentials.path().display().to_string();
    let (mm_key, mm_redis) = (key.clone(), redis.clone());
    let mut matchmaker = TestServer::builder()
        .config(move |config| agones_config(config, &mm_key, &mm_redis, stand_in))
        .plugin(MatchmakerRolePlugin {
            settings: matchmaker_fleet,
        })
        .start();
    settings.fleet.lobby_addresses = vec![matchmaker.addr];
    let (game_key, game_redis, lobby) = (key.clone(), redis.clone(), matchmaker.addr);
    let mut game = TestServer::builder()
        .config(move |config| {
            agones_config(config, &game_key, &game_redis, stand_in);
            config.fleet.lobby_addresses = vec![lobby];
        })
        .plugin(GameRolePlugin {
            settings: settings.fleet.clone(),
        })
        .start();
    lock(&shared).port = game.addr.port();

    // Until the first heartbeat: nothing; then capacity, Ready, and health pings.
    let step = |matchmaker: &mut TestServer, game: &mut TestServer| {
        matchmaker.tick();
        game.tick();
        std::thread::sleep(Duration::from_micros(500));
    };
    let started = Instant::now();
    while calls(&shared, "POST /health") < 2 && started.elapsed() < Duration::from_secs(20) {
        step(&mut matchmaker, &mut game);
    }
    assert!(calls(&shared, "POST /health") >= 2, "no health pings");
    {
        let server = lock(&shared);
        assert_eq!(
            server.calls[0], r#"PATCH matches {"capacity":"2"}"#,
            "{:?}",
            server.calls
        );
        assert_eq!(
            server.calls[1], r#"PUT /metadata/label {"key":"arbiter-accepting","value":"true"}"#,
            "{:?}",
            server.calls
        );
        assert_eq!(server.calls[2], "POST /ready", "{:?}", server.calls);
        assert_eq!(server.state, "Ready");
    }

    // A stalled tick sends no health ping.
    let before = calls(&shared, "POST /health");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        calls(&shared, "POST /health"),
        before,
        "pinged while the tick stood still"
    );

    // Bots play their matches through the allocator and the game server.
    let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
    swarm.stop_queueing_after(MATCHES_EACH);
    for id in 1..=BOTS {
        swarm.add(matchmaker.connect(id), Behavior::Honest);
    }
    let mut frames = 0u64;
    while frames < 6000 && !swarm.finished() {
        step(&mut matchmaker, &mut game);
        swarm.play_frame(net::TICK, frames * net::TICK.as_micros() as u64);
        frames += 1;
    }
    let report = swarm.report();
    assert!(swarm.finished(), "{report:#?}");
    assert_eq!(report.matches_completed, MATCHES_EACH * BOTS, "{report:#?}");
    swarm.leave();
    // It led by the Lease, in its first term, all along.
    let (holder, term) = kubernetes
        .leases()
        .holder("arbiter-matchmaker")
        .expect("the matchmaker made the Lease");
    assert!(holder.starts_with("eu/"), "{holder}");
    assert_eq!(term, 0);
    // Every match came off the counter; it never went past the capacity.
    let settled = Instant::now();
    while lock(&shared).count != 0 && settled.elapsed() < Duration::from_secs(10) {
        step(&mut matchmaker, &mut game);
    }
    {
        let server = lock(&shared);
        let matches = MATCHES_EACH * BOTS / 4;
        assert_eq!(server.count, 0, "{:?}", server.calls);
        assert!(
            server.peak <= CAPACITY && server.peak > 0,
            "peak {}",
            server.peak
        );
        assert_eq!(
            server.allocations.len() as u64,
            matches,
            "one allocation per match"
        );
        let request = &server.allocations[0];
        assert_eq!(request["namespace"], "default");
        assert_eq!(request["scheduling"], "Packed");
        assert_eq!(
            request["priorities"],
            json!([{ "type": "Counter", "key": "matches", "order": "Ascending" }]),
            "the least available capacity (the fullest server) first"
        );
        assert_eq!(
            request["counters"]["matches"],
            json!({ "action": "Increment", "amount": "1" })
        );
        let selectors = request["gameServerSelectors"]
            .as_array()
            .expect("selectors");
        let states: Vec<&Value> = selectors
            .iter()
            .map(|selector| &selector["gameServerState"])
            .collect();
        assert_eq!(
            states,
            ["ALLOCATED", "READY"],
            "allocated with room first, then ready"
        );
        for selector in selectors {
            assert_eq!(selector["matchLabels"]["agones.dev/fleet"], "arbiter-game");
            assert_eq!(selector["matchLabels"]["arbiter.dev/region"], "eu");
            assert_eq!(
                selector["matchLabels"]["agones.dev/sdk-arbiter-accepting"],
                "true"
            );
            assert_eq!(selector["counters"]["matches"]["minAvailable"], "1");
        }
        let annotations = request["metadata"]["annotations"]
            .as_object()
            .expect("annotations");
        assert!(
            annotations
                .keys()
                .all(|key| key.starts_with("arbiter.dev/match-"))
        );
        let decrements = server
            .calls
            .iter()
            .filter(|call| call.contains(r#""countDiff":"-1""#))
            .count();
        assert_eq!(
            decrements as u64, matches,
            "each match came off the counter once"
        );
    }
    // Idle again: back to Ready, where the autoscaler may remove it.
    let idle = Instant::now();
    while lock(&shared).state != "Ready" && idle.elapsed() < Duration::from_secs(10) {
        step(&mut matchmaker, &mut game);
    }
    assert_eq!(lock(&shared).state, "Ready", "idle after the matches");

    // A placement whose players never come: the game server frees its slot after the deadline.
    let allocator = arbiter::fleet::agones::Allocator {
        endpoint: stand_in.to_string(),
        namespace: "default".into(),
        fleet: "arbiter-game".into(),
        counter: "matches".into(),
        tls: None,
    };
    let placed = runtime
        .block_on(allocator.allocate(999, &["eu"], Duration::from_secs(1)))
        .expect("the allocator answers");
    assert!(placed.is_some());
    assert_eq!(lock(&shared).count, 1);
    let waited = Instant::now();
    while lock(&shared).count != 0 && waited.elapsed() < Duration::from_secs(10) {
        step(&mut matchmaker, &mut game);
    }
    assert_eq!(lock(&shared).count, 0, "the no-show's slot came back");
    while lock(&shared).state != "Ready" && waited.elapsed() < Duration::from_secs(10) {
        step(&mut matchmaker, &mut game);
    }
    assert_eq!(lock(&shared).state, "Ready", "idle after the no-show");

    // Asked to stop: it drains — labelled as taking no match, so the allocator passes it over —
    // and, with nothing running, lets the stop go on; Shutdown is called before the server exits.
    game.app.world().resource::<ShutdownSignal>().request();
    let draining = Instant::now();
    let accepting =
        |shared: &Shared| lock(shared).labels["agones.dev/sdk-arbiter-accepting"].clone();
    while accepting(&shared) == "true" && draining.elapsed() < Duration::from_secs(5) {
        step(&mut matchmaker, &mut game);
    }
    assert_eq!(accepting(&shared), "false");
    let refused = runtime
        .block_on(allocator.allocate(1000, &["eu"], Duration::from_secs(1)))
        .expect("the allocator answers");
    assert_eq!(refused, None, "a draining server takes no match");
    assert!(!game.app.world().resource::<DrainHold>().is_busy());
    game.app.world_mut().run_schedule(Shutdown);
    let stopping = Instant::now();
    while calls(&shared, "POST /shutdown") == 0 && stopping.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(calls(&shared, "POST /shutdown"), 1);
    assert_eq!(lock(&shared).state, "Shutdown");
}
