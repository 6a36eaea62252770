//! The read side through its HTTP query API, with real databases: every route's success, 400 and 404,
//! the OpenAPI document, leaderboards against a sort of the database, cache refresh on flush, TTL and
//! single-flight, on the in-process implementation and on a real Redis — and with Redis unreachable.

use arbiter::admin::EndpointAddrs;
use arbiter::guild::GUILD_KIND;
use arbiter::persistence::object::{ObjectChange, ObjectEvent, replay_object};
use arbiter::persistence::{
    MatchOutcome, ObjectKey, PartEvent, PlayerEvent, PlayerRecord, Progress, ShardBatch, Store,
    StoredEvent,
};
use arbiter::read::{Board, ReadModel, SharedReadModel};
use arbiter::runtime::AsyncRuntime;
use arbiter::settings::{CacheBackend, PersistenceSettings, ServerConfig};
use arbiter::store_commands::open_store;
use arbiter_components::guild::{GuildEvent, guild_id_of};
use arbiter_components::inventory::{EquipSlot, Inventory};
use arbiter_components::items::Catalog;
use arbiter_components::matchmaking::Match;
use arbiter_components::player::PlayerId;
use arbiter_components::session::Session;
use arbiter_testing::persisted_app::persisted_app;
use arbiter_testing::{http, proxy, redis_server};
use bevy_app::App;
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PLAYERS: u64 = 300;
/// Guilds "Guild 00" to "Guild 19": guild `g` holds players `10g + 1` (its leader) to `10g + 10`.
const GUILDS: u64 = 20;
/// Members whose mean rating ranks a guild (the default of `[guilds] board_top_members`).
const TOP_MEMBERS: usize = 5;

fn guild_name(guild: u64) -> String {
    format!("Guild {guild:02}")
}

fn guild_members(guild: u64) -> Vec<u64> {
    (guild * 10 + 1..=guild * 10 + 10).collect()
}

/// The expected guild leaderboard: guild ids by score (then id), both descending.
fn sorted_guilds(board: Board) -> Vec<(u64, i64)> {
    let mut scored: Vec<(u64, i64)> = (0..GUILDS)
        .map(|guild| {
            let mut scores: Vec<i64> = guild_members(guild)
                .iter()
                .map(|id| board.score(&record(*id)))
                .collect();
            let score = match board {
                Board::Rating => {
                    scores.sort_unstable_by(|a, b| b.cmp(a));
                    scores[..TOP_MEMBERS].iter().sum::<i64>() / TOP_MEMBERS as i64
                }
                Board::Kills => scores.iter().sum(),
            };
            (guild_id_of(&guild_name(guild)), score)
        })
        .collect();
    scored.sort_by_key(|(id, score)| std::cmp::Reverse((*score, *id)));
    scored
}

/// Player `id`'s stored state: ratings and kills spread out, with ties.
fn record(id: u64) -> PlayerRecord {
    let mut record = PlayerRecord::new(id);
    let event = PlayerEvent::MatchPlayed {
        match_id: id,
        outcome: MatchOutcome::Win,
        kills: (id % 37) as u32,
        deaths: 1,
        rating: 1000.0 + ((id * 7919) % 1000) as f64 / 2.0,
        uncertainty: 300.0,
    };
    record.apply(1, 1_800_000_000_000, &event);
    record
}

/// A server app with persistence, the read side and both HTTP endpoints, over 2 SQLite shards holding
/// players 1..=PLAYERS.
struct QueryServer {
    app: App,
    admin: SocketAddr,
    query: SocketAddr,
    /// For the test's own async calls (the app has its own).
    runtime: AsyncRuntime,
    model: Arc<ReadModel>,
    store: Store,
    _dir: tempfile::TempDir,
}

impl QueryServer {
    fn start(redis_url: Option<String>, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::default();
        config.server.data_dir = dir.path().display().to_string();
        config.persistence.shards = (0..2)
            .map(|shard| format!("sqlite://{}/shard{shard}.db", dir.path().display()))
            .collect();
        config.admin.bind = "127.0.0.1:0".parse().expect("literal address");
        config.query.bind = config.admin.bind;
        if let Some(url) = redis_url {
            config.cache.backend = CacheBackend::Redis;
            config.cache.redis_url = url;
        }
        adjust(&mut config);
        let store = open_store(&config).expect("store");
        let runtime = AsyncRuntime::start();
        runtime.block_on(populate(&store));
        let app = persisted_app(config, &store, true);
        let EndpointAddrs { admin, query } = *app.world().resource::<EndpointAddrs>();
        let model = app.world().resource::<SharedReadModel>().0.clone();
        let mut server = Self {
            app,
            admin,
            query,
            runtime,
            model,
            store,
            _dir: dir,
        };
        server.wait(
            "the leaderboards and the guild index to be built",
            |server| {
                server.model.board_len(Board::Rating) == PLAYERS as usize
                    && server.model.guilds().len() == GUILDS as usize
            },
        );
        server
    }

    /// Ticks until `done`, at most 15 s.
    fn wait(&mut self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.app.update();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (status, body) = http::get(self.query, path).expect("the query endpoint answers");
        let json = serde_json::from_str(&body)
            .unwrap_or_else(|error| panic!("{path}: not JSON ({error}): {body}"));
        (status, json)
    }

    /// GET `path`, expecting `status` and, for errors, the JSON error with `code`.
    fn expect(&self, path: &str, status: u16) -> Value {
        let (got, json) = self.get(path);
        assert_eq!(got, status, "{path}: {json}");
        let code = match status {
            400 => Some("bad_request"),
            404 => Some("not_found"),
            _ => None,
        };
        if let Some(code) = code {
            assert_eq!(json["code"], code, "{path}: {json}");
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        json
    }
}

async fn populate(store: &Store) {
    let mut batches = vec![ShardBatch::default(); store.shard_count()];
    for id in 1..=PLAYERS {
        let record = record(id);
        let batch = &mut batches[store.shard_of(id)];
        batch.events.push(StoredEvent {
            player_id: id,
            seq: 1,
            at_ms: record.updated_at_ms,
            event: PlayerEvent::MatchPlayed {
                match_id: id,
                outcome: MatchOutcome::Win,
                kills: record.kills as u32,
                deaths: 1,
                rating: record.rating,
                uncertainty: 300.0,
            },
        });
        batch.players.push(record);
    }
    for guild in 0..GUILDS {
        let key = ObjectKey::new(GUILD_KIND, guild_id_of(&guild_name(guild)));
        let members = guild_members(guild);
        let founded = GuildEvent::GuildFounded {
            name: guild_name(guild),
            tag: "G".into(),
            leader: members[0],
        };
        let joined = members[1..].iter().map(|player| GuildEvent::GuildJoined {
            player: *player,
            by: members[0],
        });
        let events: Vec<ObjectEvent> = std::iter::once(founded)
            .chain(joined)
            .zip(1..)
            .map(|(event, seq)| ObjectEvent {
                key: key.clone(),
                seq,
                at_ms: 1_800_000_000_000,
                event: ObjectChange::Part(PartEvent::new(&event).expect("json")),
            })
            .collect();
        let head = replay_object(&key, None, &events, store.objects()).expect("folds");
        let batch = &mut batches[store.shard_of(key.id)];
        batch.objects.push(head);
        batch.object_events.extend(events);
    }
    for (shard, batch) in batches.iter().enumerate() {
        store.write(shard, batch).await.expect("populated");
    }
}

/// The expected order of a board: a sort of the stored rows by score, then id, both descending.
fn sorted_ids(board: Board) -> Vec<u64> {
    let mut ids: Vec<u64> = (1..=PLAYERS).collect();
    ids.sort_by_key(|id| std::cmp::Reverse((board.score(&record(*id)), *id)));
    ids
}

fn entry_ids(json: &Value) -> Vec<u64> {
    json.as_array()
        .or_else(|| json["entries"].as_array())
        .expect("a list of standings")
        .iter()
        .map(|entry| entry["player_id"].as_u64().expect("player id"))
        .collect()
}

const ROUTES: [&str; 12] = [
    "/v1/players/{id}",
    "/v1/players/{id}/inventory",
    "/v1/players/{id}/trades",
    "/v1/players/{id}/rank",
    "/v1/leaderboard",
    "/v1/leaderboard/around/{id}",
    "/v1/sessions/{id}",
    "/v1/matches",
    "/v1/guilds/{id}",
    "/v1/guilds/{id}/members",
    "/v1/guilds",
    "/v1/guilds/leaderboard",
];

/// Every route: success, 400, 404; the OpenAPI document lists exactly these routes.
fn every_route_answers(server: &mut QueryServer) {
    // A player online on this server and a match in progress, as the network and matchmaking make them.
    let online = server
        .app
        .world_mut()
        .spawn((
            PlayerId(7),
            Session {
                client_id: 1,
                addr: "127.0.0.1:9".parse().expect("address"),
                connected_at_tick: 0,
                rtt_ms: 0.0,
                bytes_sent: 0,
            },
        ))
        .id();
    let other = server.app.world_mut().spawn(PlayerId(8)).id();
    server.app.world_mut().spawn(Match::new(
        42,
        0,
        "arena".into(),
        [vec![online], vec![other]],
        0,
    ));
    server.wait("the session to be published", |server| {
        server.runtime.block_on(server.model.session(7)).is_some()
    });

    let profile = server.expect("/v1/players/5", 200);
    assert_eq!(profile["id"], 5);
    assert_eq!(profile["rating"], record(5).rating);
    assert_eq!(profile["kills"], record(5).kills);
    assert_eq!(profile["matches"], 1);
    assert!(profile["rank"].as_u64().is_some(), "{profile}");
    assert_eq!(profile["last_matches"][0]["match_id"], 5);
    assert_eq!(profile["online"], Value::Null);
    assert_eq!(
        server.expect("/v1/players/7", 200)["online"]["player_id"],
        7
    );
    for bad in ["-1", "abc", "1.5", "18446744073709551616"] {
        server.expect(&format!("/v1/players/{bad}"), 400);
    }
    server.expect("/v1/players/999999", 404);

    let inventory = server.expect("/v1/players/5/inventory", 200);
    assert_eq!(inventory["id"], 5);
    assert_eq!(
        inventory["instances"],
        Value::Array(Vec::new()),
        "{inventory}"
    );
    assert_eq!(inventory["wallet"], Value::Array(Vec::new()), "{inventory}");
    server.expect("/v1/players/x/inventory", 400);
    server.expect("/v1/players/999999/inventory", 404);

    let trades = server.expect("/v1/players/5/trades?limit=5", 200);
    assert_eq!(trades["trades"], Value::Array(Vec::new()), "{trades}");
    assert_eq!(trades["next_before"], Value::Null, "{trades}");
    server.expect("/v1/players/x/trades", 400);
    server.expect("/v1/players/5/trades?limit=0", 400);
    server.expect("/v1/players/5/trades?before=x", 400);
    server.expect("/v1/players/999999/trades", 404);

    let rank = server.expect("/v1/players/5/rank?board=kills", 200);
    let expected = sorted_ids(Board::Kills)
        .iter()
        .position(|id| *id == 5)
        .map(|index| index as u64 + 1);
    assert_eq!(rank["rank"].as_u64(), expected);
    server.expect("/v1/players/x/rank", 400);
    server.expect("/v1/players/5/rank?board=speed", 400);
    server.expect("/v1/players/999999/rank", 404);

    let page = server.expect("/v1/leaderboard?limit=5&offset=10", 200);
    assert_eq!(page["total"], PLAYERS);
    assert_eq!(entry_ids(&page), sorted_ids(Board::Rating)[10..15]);
    server.expect("/v1/leaderboard?limit=0", 400);
    server.expect("/v1/leaderboard?limit=1001", 400);
    server.expect("/v1/leaderboard?offset=-3", 400);

    let around = server.expect("/v1/leaderboard/around/5?radius=2", 200);
    assert_eq!(entry_ids(&around).len(), 5);
    server.expect("/v1/leaderboard/around/-5", 400);
    server.expect("/v1/leaderboard/around/5?radius=501", 400);
    server.expect("/v1/leaderboard/around/999999", 404);

    let session = server.expect("/v1/sessions/7", 200);
    assert_eq!(session["player_id"], 7);
    assert!(session["server_id"].as_str().is_some());
    server.expect("/v1/sessions/nope", 400);
    server.expect("/v1/sessions/5", 404);

    // Guilds: one, its members with who is online (player 7), a search, the boards, a profile's.
    let first = guild_id_of(&guild_name(0));
    let guild = server.expect(&format!("/v1/guilds/{first}"), 200);
    assert_eq!(
        (guild["name"].as_str(), guild["leader"].as_u64()),
        (Some("Guild 00"), Some(1))
    );
    assert_eq!(guild["member_count"], 10);
    assert!(guild["rank"].as_u64().is_some(), "{guild}");
    let page = server.expect(&format!("/v1/guilds/{first}/members?limit=3&offset=5"), 200);
    assert_eq!(page["total"], 10);
    let members: Vec<(u64, bool)> = page["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|member| {
            (
                member["player_id"].as_u64().expect("id"),
                member["online"] == true,
            )
        })
        .collect();
    assert_eq!(members, vec![(6, false), (7, true), (8, false)]);
    let found = server.expect("/v1/guilds?name_prefix=GUILD%201&limit=5", 200);
    let names: Vec<&str> = found
        .as_array()
        .expect("guilds")
        .iter()
        .map(|guild| guild["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(
        names,
        ["Guild 10", "Guild 11", "Guild 12", "Guild 13", "Guild 14"]
    );
    for board in Board::ALL {
        let name = format!("{board:?}").to_lowercase();
        let page = server.expect(
            &format!("/v1/guilds/leaderboard?board={name}&limit=100"),
            200,
        );
        assert_eq!(page["total"], GUILDS);
        let listed: Vec<(u64, i64)> = page["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|entry| {
                let id = entry["guild_id"].as_u64().expect("id");
                (id, entry["score"].as_i64().expect("score"))
            })
            .collect();
        assert_eq!(listed, sorted_guilds(board), "{name}");
    }
    assert_eq!(server.expect("/v1/players/7", 200)["guild"]["id"], first);
    assert_eq!(server.expect("/v1/players/299", 200)["guild"], Value::Null);
    for bad in [
        "/v1/guilds/x",
        "/v1/guilds/x/members",
        "/v1/guilds/1/members?limit=0",
        "/v1/guilds?limit=101",
        "/v1/guilds/leaderboard?board=speed",
    ] {
        server.expect(bad, 400);
    }
    server.expect("/v1/guilds/999", 404);
    server.expect("/v1/guilds/999/members", 404);

    let matches = server.expect("/v1/matches", 200);
    assert_eq!(matches[0]["match_id"], 42, "{matches}");
    assert_eq!(matches[0]["teams"][0][0], 7);
    assert_eq!(matches[0]["state"], "warmup");

    // The document parses as OpenAPI 3.1, and every operation's parameters and responses resolve.
    let (status, raw) = http::get(server.query, "/v1/openapi.json").expect("GET openapi.json");
    assert_eq!(status, 200);
    let spec = oas3::from_json(&raw).expect("a valid OpenAPI document");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    assert_eq!(spec.operations().count(), ROUTES.len());
    for (path, _, operation) in spec.operations() {
        operation
            .parameters(&spec)
            .unwrap_or_else(|error| panic!("{path}: parameters do not resolve: {error}"));
        assert!(!operation.responses(&spec).is_empty(), "{path}");
    }
    let document = server.expect("/v1/openapi.json", 200);
    let paths: BTreeSet<&str> = document["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(paths, ROUTES.into_iter().collect());
    for route in ROUTES {
        let responses = &document["paths"][route]["get"]["responses"];
        assert!(responses["200"].is_object(), "{route} documents 200");
        if route.contains("{id}") {
            assert!(responses["400"].is_object(), "{route} documents 400");
            assert!(responses["404"].is_object(), "{route} documents 404");
        }
    }
}

/// Whole boards and neighbourhoods equal a sort of the stored rows.
fn leaderboards_agree_with_the_database(server: &QueryServer) {
    for board in Board::ALL {
        let name = format!("{board:?}").to_lowercase();
        let mut listed = Vec::new();
        for offset in (0..PLAYERS).step_by(100) {
            let page = server.expect(
                &format!("/v1/leaderboard?board={name}&limit=100&offset={offset}"),
                200,
            );
            listed.extend(entry_ids(&page));
        }
        let sorted = sorted_ids(board);
        assert_eq!(listed, sorted, "{name}");
        for id in [1, 150, PLAYERS] {
            let index = sorted
                .iter()
                .position(|found| *found == id)
                .expect("listed");
            let around = server.expect(
                &format!("/v1/leaderboard/around/{id}?board={name}&radius=3"),
                200,
            );
            assert_eq!(
                entry_ids(&around),
                sorted[index.saturating_sub(3)..(index + 4).min(sorted.len())]
            );
        }
    }
}

#[test]
fn in_process_every_route_answers_and_the_leaderboards_agree_with_the_database() {
    let mut server = QueryServer::start(None, |_| {});
    every_route_answers(&mut server);
    leaderboards_agree_with_the_database(&server);
}

#[test]
fn on_redis_every_route_answers_and_a_lost_leaderboard_is_rebuilt() {
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    let Some(url) = setup.block_on(redis_server::fresh_database(11)) else {
        return;
    };
    let mut server = QueryServer::start(Some(url.clone()), |_| {});
    every_route_answers(&mut server);
    leaderboards_agree_with_the_database(&server);

    // The guild boards are in Redis too, and read from there: a score changed behind the
    // server's back shows.
    server.wait("the guild boards in Redis", |_| {
        ["guild_leaderboard:rating", "guild_leaderboard:kills"]
            .iter()
            .all(|key| {
                setup.block_on(redis_server::run::<u64>(&url, redis::cmd("ZCARD").arg(key)))
                    == GUILDS
            })
    });
    let last = sorted_guilds(Board::Kills).last().expect("a guild").0;
    let mut tamper = redis::cmd("ZADD");
    tamper
        .arg("guild_leaderboard:kills")
        .arg(1_000_000)
        .arg(format!("{last:020}"));
    setup.block_on(redis_server::run::<u64>(&url, &tamper));
    let top = server.expect("/v1/guilds/leaderboard?board=kills&limit=1", 200);
    assert_eq!(top["entries"][0]["guild_id"], last, "{top}");

    // Redis loses everything; the leaderboards come back from the databases by themselves, and
    // queries meanwhile are answered from the process, never from a partial Redis board.
    setup.block_on(redis_server::run::<()>(&url, &redis::cmd("FLUSHDB")));
    let redis_boards_full = |_: &QueryServer| {
        Board::ALL.iter().all(|board| {
            setup.block_on(redis_server::run::<u64>(
                &url,
                redis::cmd("ZCARD").arg(board.redis_key()),
            )) == PLAYERS
        })
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while !redis_boards_full(&server) {
        assert!(Instant::now() < deadline, "Redis boards never rebuilt");
        leaderboards_agree_with_the_database(&server);
    }
    leaderboards_agree_with_the_database(&server);
    // Once complete, Redis answers again: a score changed behind the server's back shows.
    let mut tamper = redis::cmd("ZADD");
    tamper
        .arg(Board::Kills.redis_key())
        .arg(1_000_000)
        .arg(format!("{:020}", 1));
    setup.block_on(redis_server::run::<u64>(&url, &tamper));
    server.wait("reads from the rebuilt Redis board", |server| {
        server.get("/v1/players/1/rank?board=kills").1["rank"] == 1
    });
}

#[test]
fn with_redis_unreachable_every_route_still_answers() {
    // Nothing listens on port 1.
    let mut server = QueryServer::start(Some("redis://127.0.0.1:1".into()), |_| {});
    every_route_answers(&mut server);
    leaderboards_agree_with_the_database(&server);
    // The failed cache lookups are counted, and every route's latency is recorded.
    let (status, text) = http::get(server.admin, "/metrics").expect("GET /metrics");
    assert_eq!(status, 200);
    let errors = http::metric_value(&text, "arbiter_cache_requests_total{result=\"error\"}");
    assert!(errors.is_some_and(|count| count > 0.0), "{errors:?}");
    for route in ROUTES {
        let series = format!("arbiter_query_duration_seconds_count{{route=\"{route}\"}}");
        let count = http::metric_value(&text, &series);
        assert!(
            count.is_some_and(|count| count > 0.0),
            "{series}: {count:?}"
        );
    }
}

/// A flush refreshes the profile; the TTL expires entries; 100 concurrent misses read once.
fn cache_behaves(server: &mut QueryServer) {
    let reads = |server: &QueryServer| server.model.database_reads();
    let before = reads(server);
    assert_eq!(server.expect("/v1/players/9", 200)["matches"], 1);
    server.expect("/v1/players/9", 200);
    assert_eq!(reads(server), before + 1, "the second read is a cache hit");

    // The player plays a match; its flush must show in the next read.
    let player = server
        .app
        .world_mut()
        .spawn((PlayerId(9), Progress::loaded(record(9), 0)))
        .id();
    server
        .app
        .world_mut()
        .get_mut::<Progress>(player)
        .expect("progress")
        .record_event(
            PlayerEvent::MatchPlayed {
                match_id: 1000,
                outcome: MatchOutcome::Loss,
                kills: 4,
                deaths: 2,
                rating: 1234.5,
                uncertainty: 280.0,
            },
            1_800_000_000_500,
        );
    // …and is given a rifle, equipped, recorded as the rules record it.
    let catalog = server.app.world().resource::<Catalog>().clone();
    let mut held = Inventory::default();
    let granted = held
        .grant(&catalog, "rifle", 1, 10, 9, "grant:test")
        .expect("fits");
    held.apply(&granted);
    let instance = *held.instances().keys().next().expect("the rifle");
    let equipped = held
        .equip(&catalog, EquipSlot::Primary, "rifle", Some(instance))
        .expect("a weapon");
    held.apply(&equipped);
    let mut entity = server.app.world_mut().entity_mut(player);
    let mut progress = entity.get_mut::<Progress>().expect("progress");
    for event in [&granted, &equipped] {
        progress
            .record_part_event::<Inventory>(event, 1_800_000_000_600)
            .expect("recorded");
    }
    entity.insert(held);
    server
        .app
        .world_mut()
        .resource_mut::<PersistenceSettings>()
        .flush_interval_secs = 1;
    server.wait("the flush to reach the profile", |server| {
        server.get("/v1/players/9").1["matches"] == 2
    });
    let profile = server.expect("/v1/players/9", 200);
    assert_eq!(profile["rating"], 1234.5);
    assert_eq!(profile["last_matches"][0]["match_id"], 1000);
    // The inventory comes from the same cached player: no second database read.
    let settled = reads(server);
    let inventory = server.expect("/v1/players/9/inventory", 200);
    assert_eq!(reads(server), settled, "a cache hit");
    assert_eq!(inventory["instances"][0]["id"], "9:0", "{inventory}");
    assert_eq!(inventory["instances"][0]["item"], "rifle");
    assert_eq!(inventory["instances"][0]["slot"], "primary");

    // TTL: 1 s in this server (a player no flush touches).
    server.expect("/v1/players/10", 200);
    let settled = reads(server);
    server.expect("/v1/players/10", 200);
    assert_eq!(reads(server), settled, "cached");
    std::thread::sleep(Duration::from_millis(1100));
    server.expect("/v1/players/10", 200);
    assert_eq!(reads(server), settled + 1, "expired, read again");

    // 100 concurrent misses for one player: one database read.
    let before = reads(server);
    let model = server.model.clone();
    let loaded = server.runtime.block_on(async move {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let model = model.clone();
            tasks.spawn(async move { model.profile(77).await });
        }
        let mut loaded = 0;
        while let Some(result) = tasks.join_next().await {
            if matches!(result, Ok(Ok(Some(_)))) {
                loaded += 1;
            }
        }
        loaded
    });
    assert_eq!(loaded, 100);
    assert_eq!(reads(server), before + 1, "single flight");
}

#[test]
fn in_process_the_cache_refreshes_on_flush_expires_and_reads_once_for_concurrent_misses() {
    let mut server = QueryServer::start(None, |config| config.cache.profile_ttl_secs = 1);
    cache_behaves(&mut server);
}

#[test]
fn on_redis_the_cache_refreshes_on_flush_expires_and_reads_once_for_concurrent_misses() {
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    let Some(url) = setup.block_on(redis_server::fresh_database(12)) else {
        return;
    };
    let mut server = QueryServer::start(Some(url), |config| config.cache.profile_ttl_secs = 1);
    cache_behaves(&mut server);
}

/// The events in the stream of `url`: `(player_id, seq)` in stream order.
async fn streamed(url: &str) -> Vec<(u64, u64)> {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(arbiter::read::outbox::STREAM)
        .arg("-")
        .arg("+")
        .query_async(&mut connection)
        .await
        .expect("XRANGE");
    reply
        .ids
        .iter()
        .map(|entry| {
            let number = |field: &str| {
                entry
                    .get::<String>(field)
                    .and_then(|text| text.parse().ok())
                    .expect("a number field")
            };
            (number("player_id"), number("seq"))
        })
        .collect()
}

/// Every stored event is in the stream, each player's in seq order (a repeat may follow a failure).
fn assert_streamed_in_order(streamed: &[(u64, u64)], events_per_player: u64) {
    let mut next: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    for (player, seq) in streamed {
        let expected = next.entry(*player).or_insert(1);
        assert!(
            *seq <= *expected,
            "player {player}: seq {seq} before {expected}"
        );
        if *seq == *expected {
            *expected += 1;
        }
    }
    assert_eq!(next.len() as u64, PLAYERS);
    assert!(
        next.values().all(|after| *after == events_per_player + 1),
        "every event of every player arrived"
    );
}

#[test]
fn events_reach_the_stream_in_order_and_a_redis_outage_loses_none() {
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    let Some(direct) = setup.block_on(redis_server::fresh_database(13)) else {
        return;
    };
    let proxy = proxy::FlakyProxy::start("127.0.0.1:6379".parse().expect("address"));
    let through_proxy = format!("redis://{}/13", proxy.addr);
    let mut server = QueryServer::start(Some(through_proxy), |_| {});
    server.wait("the first events in the stream", |_| {
        setup.block_on(streamed(&direct)).len() as u64 >= PLAYERS
    });

    // More events while Redis is unreachable, then after it is back.
    let more = |server: &QueryServer, seq: u64| {
        let mut batches = vec![ShardBatch::default(); server.store.shard_count()];
        for id in 1..=PLAYERS {
            batches[server.store.shard_of(id)].events.push(StoredEvent {
                player_id: id,
                seq,
                at_ms: 1_800_000_000_000 + seq as i64,
                event: PlayerEvent::Registered {
                    name: format!("p{id}-{seq}"),
                },
            });
        }
        server.runtime.block_on(async {
            for (shard, batch) in batches.iter().enumerate() {
                server.store.write(shard, batch).await.expect("written");
            }
        });
    };
    proxy.cut();
    more(&server, 2);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        setup.block_on(streamed(&direct)).len() as u64,
        PLAYERS,
        "nothing relayed while Redis is away"
    );
    proxy.restore();
    more(&server, 3);
    server.wait("every event in the stream", |_| {
        setup.block_on(streamed(&direct)).len() as u64 >= 3 * PLAYERS
    });
    assert_streamed_in_order(&setup.block_on(streamed(&direct)), 3);

    // `arbiter events tail` reads them back.
    let config = server._dir.path().join("tail.toml");
    std::fs::write(
        &config,
        format!("[cache]\nbackend = \"redis\"\nredis_url = \"{direct}\"\n"),
    )
    .expect("config");
    let tail = std::process::Command::new(env!("CARGO_BIN_EXE_arbiter"))
        .args(["events", "tail", "--from-start", "--count", "5", "--config"])
        .arg(&config)
        .output()
        .expect("arbiter events tail runs");
    assert!(
        tail.status.success(),
        "{}",
        String::from_utf8_lossy(&tail.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&tail.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(
        lines
            .iter()
            .all(|line| line["player_id"].is_u64() && line["seq"] == 1)
    );
    assert_eq!(lines[0]["type"], "match_played");
}

#[test]
fn profiles_come_from_a_replica_and_from_the_primary_when_it_lacks_the_player_or_fails() {
    let mut on_replica = 0;
    let server = QueryServer::start(None, |config| {
        let replica = format!("sqlite://{}/replica0.db", config.server.data_dir);
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        on_replica = runtime.block_on(async {
            let primaries = Store::open(&config.persistence.shards).expect("primaries");
            let replica_store = Store::open(std::slice::from_ref(&replica)).expect("replica");
            replica_store.migrate().await.expect("replica schema");
            // The replica holds one player of shard 0, under a name the primary does not have.
            let id = (1..=PLAYERS)
                .find(|id| primaries.shard_of(*id) == 0)
                .expect("a player on shard 0");
            let mut stale = record(id);
            stale.name = "from-replica".into();
            replica_store
                .write(
                    0,
                    &ShardBatch {
                        players: vec![stale],
                        ..ShardBatch::default()
                    },
                )
                .await
                .expect("replica written");
            id
        });
        config.persistence.replica_urls = vec![replica, String::new()];
    });
    let from_replica = server.expect(&format!("/v1/players/{on_replica}"), 200);
    assert_eq!(from_replica["name"], "from-replica");
    // Shard 0's replica lacks everyone else; shard 1 has no replica: both come from the primaries.
    for id in [on_replica + 1, on_replica + 2, on_replica + 3] {
        assert_eq!(server.expect(&format!("/v1/players/{id}"), 200)["name"], "");
    }

    let failing = QueryServer::start(None, |config| {
        config.persistence.replica_urls = vec![
            "postgres://postgres@127.0.0.1:1/nowhere".into(),
            "postgres://postgres@127.0.0.1:1/nowhere".into(),
        ];
    });
    assert_eq!(failing.expect("/v1/players/5", 200)["id"], 5);
}

#[test]
fn players_who_connect_and_leave_at_once_end_up_offline() {
    let mut server = QueryServer::start(None, |_| {});
    let players: Vec<u64> = (500..540).collect();
    for player_id in &players {
        let entity = server
            .app
            .world_mut()
            .spawn((
                PlayerId(*player_id),
                Session {
                    client_id: *player_id,
                    addr: "127.0.0.1:9".parse().expect("address"),
                    connected_at_tick: 0,
                    rtt_ms: 0.0,
                    bytes_sent: 0,
                },
            ))
            .id();
        server.app.update();
        server
            .app
            .world_mut()
            .entity_mut(entity)
            .remove::<Session>();
        server.app.update();
    }
    server.wait("every quick visitor to be offline", |server| {
        players
            .iter()
            .all(|id| server.runtime.block_on(server.model.session(*id)).is_none())
    });
    // And stays so: no connect arrives after its disconnect.
    std::thread::sleep(Duration::from_millis(200));
    for id in &players {
        server.expect(&format!("/v1/sessions/{id}"), 404);
    }
}

#[test]
fn the_public_query_api_and_the_admin_endpoint_are_apart_and_each_guarded() {
    let server = QueryServer::start(None, |config| {
        config.admin.token = "s3cret".into();
        config.query.requests_per_sec = 20;
        config.query.max_body_bytes = 1024;
    });
    let bearer = [("Authorization", "Bearer s3cret")];
    let send = |address, path: &str, headers: &[(&str, &str)]| {
        http::exchange(address, "GET", path, headers, b"").expect("an answer")
    };
    // Each endpoint serves its own routes only.
    assert_eq!(send(server.query, "/metrics", &[]).status, 404);
    assert_eq!(send(server.admin, "/v1/players/5", &bearer).status, 404);
    // The admin endpoint wants its token, except for probes of /health.
    assert_eq!(send(server.admin, "/health", &[]).status, 200);
    let refused = send(server.admin, "/metrics", &[]);
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));
    let wrong = [("Authorization", "Bearer s3cres")];
    assert_eq!(send(server.admin, "/metrics", &wrong).status, 401);
    assert_eq!(send(server.admin, "/metrics", &bearer).status, 200);
    // A body over the limit is refused before anything reads it.
    let big = vec![b'x'; 4096];
    let too_big = http::exchange(server.query, "GET", "/v1/matches", &[], &big).expect("an answer");
    assert_eq!(too_big.status, 413, "{too_big:?}");
    // Past its rate, an address is told when to come back, and counted.
    let throttled = (0..100)
        .map(|_| send(server.query, "/v1/matches", &[]))
        .find(|response| response.status == 429)
        .expect("throttled within 100 requests at 20 per second");
    let retry_after: u64 = throttled
        .header("retry-after")
        .and_then(|value| value.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(retry_after >= 1, "{throttled:?}");
    let metrics = send(server.admin, "/metrics", &bearer).body;
    let throttled = http::metric_value(&metrics, "arbiter_http_throttled_total");
    assert!(throttled.is_some_and(|count| count >= 1.0), "{throttled:?}");
}
