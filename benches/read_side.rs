//! The read side: rank and top-10 on a 1 M-player leaderboard (in process, and Redis), session
//! lookups (in process, and Redis), and profile reads through the HTTP query API at 5,000 requests/s
//! on loopback, cache hits against misses (SQLite primary; in-process cache, and Redis); inventory
//! reads of 200-item inventories the same way (in-process cache).
//!
//! Redis runs against 127.0.0.1:6379, database 14 (emptied first); without it those parts are skipped
//! with a message. Percentiles are printed for the Redis and HTTP parts (criterion shows medians).

use arbiter::admin::EndpointAddrs;
use arbiter::guild::GUILD_KIND;
use arbiter::persistence::part::PartState;
use arbiter::persistence::{ObjectKey, ObjectRecord, PlayerRecord, ShardBatch};
use arbiter::read::board::{Board, MemoryBoard};
use arbiter::read::leaderboards::Leaderboards;
use arbiter::read::presence::Presence;
use arbiter::read::redis_link::RedisLink;
use arbiter::read::{SessionInfo, SharedReadModel};
use arbiter::runtime::AsyncRuntime;
use arbiter::settings::{CacheBackend, ServerConfig};
use arbiter::store_commands::open_store;
use arbiter_components::guild::{Guild, GuildEvent, guild_id_of};
use arbiter_components::items::Catalog;
use arbiter_testing::persisted_app::persisted_app;
use arbiter_testing::{items, redis_server};
use bevy_app::App;
use criterion::Criterion;
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const BOARD_PLAYERS: u64 = 1_000_000;

fn score(id: u64) -> i64 {
    ((id.wrapping_mul(2_654_435_761)) % 3_000_000) as i64
}

fn print(line: String) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// p50, p99 and max of `samples`, as text.
fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |share: f64| samples[((samples.len() - 1) as f64 * share).round() as usize];
    format!(
        "n {}, p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.5),
        at(0.99),
        samples[samples.len() - 1]
    )
}

/// Players `0..count` online on one server.
async fn connect_sessions(presence: &Presence, count: u64) {
    for id in 0..count {
        presence
            .connected(SessionInfo {
                player_id: id,
                server_id: "127.0.0.1:5000".into(),
                connected_at_ms: 0,
                match_id: None,
            })
            .await;
    }
}

fn in_process(c: &mut Criterion) {
    let mut board = MemoryBoard::default();
    for id in 1..=BOARD_PLAYERS {
        board.set(id, score(id));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    c.bench_function("rank_in_process_1m", |b| {
        b.iter(|| board.standing(black_box(rng.random_range(1..=BOARD_PLAYERS))))
    });
    c.bench_function("top_10_in_process_1m", |b| b.iter(|| board.range(0, 10)));
    c.bench_function("score_update_in_process_1m", |b| {
        b.iter(|| {
            let id = rng.random_range(1..=BOARD_PLAYERS);
            board.set(id, score(id) + rng.random_range(-50..50));
        })
    });
    let presence = Presence::new(None);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(connect_sessions(&presence, 100_000));
    c.bench_function("session_lookup_in_process_100k", |b| {
        b.iter(|| presence.local_lookup(black_box(rng.random_range(0..100_000))))
    });
}

/// How often Redis has run one command (`INFO commandstats`): a figure labelled Redis is checked
/// to have been answered by Redis, not by the in-process fallback.
struct RedisCalls<'a> {
    url: &'a str,
    command: &'static str,
    before: u64,
}

impl<'a> RedisCalls<'a> {
    fn count(runtime: &AsyncRuntime, url: &str, command: &str) -> u64 {
        let info: String = runtime.block_on(redis_server::run(
            url,
            redis::cmd("INFO").arg("commandstats"),
        ));
        let prefix = format!("cmdstat_{command}:calls=");
        info.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|rest| rest.split(',').next()?.parse().ok())
            .unwrap_or(0)
    }

    fn before(runtime: &AsyncRuntime, url: &'a str, command: &'static str) -> Self {
        Self {
            url,
            command,
            before: Self::count(runtime, url, command),
        }
    }

    /// Redis ran the command at least once per sample since [`RedisCalls::before`].
    fn assert_all(&self, runtime: &AsyncRuntime, samples: usize) {
        let calls = Self::count(runtime, self.url, self.command) - self.before;
        assert!(
            calls >= samples as u64,
            "Redis ran {} {calls} times for {samples} samples: the reads did not reach it",
            self.command
        );
    }
}

fn redis_parts(runtime: &AsyncRuntime, url: &str) {
    let link = {
        let _inside = runtime.enter();
        RedisLink::lazy(url).expect("Redis URL")
    };
    let boards = Leaderboards::new(Some(link.clone()));
    let started = Instant::now();
    runtime.block_on(async {
        let records: Vec<PlayerRecord> = (1..=BOARD_PLAYERS)
            .map(|id| {
                let mut record = PlayerRecord::new(id);
                record.rating = score(id) as f64 / 1000.0;
                record.kills = id % 500;
                record
            })
            .collect();
        for chunk in records.chunks(20_000) {
            assert!(boards.update(chunk).await, "Redis took the scores");
        }
    });
    // As the server's upkeep does once a board is whole: from now on reads go to Redis (before
    // this, they fell back to the process and measured it under a Redis label).
    boards.redis_rebuilt();
    print(format!(
        "redis_board_load: 1,000,000 players on 2 boards in {:.1} s (pipelined ZADD)",
        started.elapsed().as_secs_f64()
    ));
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let answered = RedisCalls::before(runtime, url, "zrevrank");
    let samples: Vec<Duration> = (0..20_000)
        .map(|_| {
            let id = rng.random_range(1..=BOARD_PLAYERS);
            let started = Instant::now();
            let standing = runtime.block_on(boards.standing(Board::Rating, id));
            assert!(standing.is_some());
            started.elapsed()
        })
        .collect();
    answered.assert_all(runtime, samples.len());
    print(format!(
        "rank_redis_1m (ZREVRANK + ZSCORE, one round trip): {}",
        percentiles(samples)
    ));
    let answered = RedisCalls::before(runtime, url, "zrevrange");
    let samples: Vec<Duration> = (0..5_000)
        .map(|_| {
            let started = Instant::now();
            assert_eq!(
                runtime.block_on(boards.range(Board::Rating, 0, 10)).len(),
                10
            );
            started.elapsed()
        })
        .collect();
    answered.assert_all(runtime, samples.len());
    print(format!("top_10_redis_1m: {}", percentiles(samples)));

    let presence = Presence::new(Some(link));
    runtime.block_on(connect_sessions(&presence, 10_000));
    let answered = RedisCalls::before(runtime, url, "get");
    let samples: Vec<Duration> = (0..20_000)
        .map(|_| {
            let id = rng.random_range(0..10_000);
            let started = Instant::now();
            assert!(runtime.block_on(presence.lookup(id)).is_some());
            started.elapsed()
        })
        .collect();
    answered.assert_all(runtime, samples.len());
    print(format!("session_lookup_redis: {}", percentiles(samples)));
}

/// The server app with persistence, the read side and the query endpoint, `players` stored (each
/// holding 10 of every item of `holding`, when given; all members of one guild, [`GUILD`], when
/// `guild`).
fn query_server(
    redis: Option<&str>,
    players: u64,
    holding: Option<&Catalog>,
    guild: bool,
    dir: &tempfile::TempDir,
) -> (App, SocketAddr) {
    let mut config = ServerConfig::default();
    config.server.data_dir = dir.path().display().to_string();
    config.admin.bind = "127.0.0.1:0".parse().expect("literal address");
    config.query.bind = config.admin.bind;
    if let Some(url) = redis {
        config.cache.backend = CacheBackend::Redis;
        config.cache.redis_url = url.into();
    }
    let store = open_store(&config).expect("store");
    AsyncRuntime::start().block_on(async {
        let mut batch = ShardBatch::default();
        for id in 1..=players {
            let mut record = PlayerRecord::new(id);
            record.version = 1;
            record.rating = score(id) as f64 / 1000.0;
            if let Some(catalog) = holding {
                record.set_part(items::holding_all(catalog, id));
                batch.repaired.push(id);
            }
            batch.players.push(record);
        }
        store.write(0, &batch).await.expect("populated");
        if guild {
            let mut state = Guild::default();
            state.apply(&GuildEvent::GuildFounded {
                name: GUILD.into(),
                tag: "BIG".into(),
                leader: 1,
            });
            for player in 2..=players {
                state.apply(&GuildEvent::GuildJoined { player, by: 1 });
            }
            let key = ObjectKey::new(GUILD_KIND, guild_id_of(GUILD));
            let mut head = ObjectRecord::new(key.clone());
            head.version = 1;
            head.state = Some(PartState::new(state));
            let batch = ShardBatch {
                objects: vec![head],
                ..ShardBatch::default()
            };
            store
                .write(store.shard_of(key.id), &batch)
                .await
                .expect("guild stored");
        }
    });
    let app = persisted_app(config, &store, true);
    let query = app.world().resource::<EndpointAddrs>().query;
    let model = app.world().resource::<SharedReadModel>().0.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    while model.board_len(Board::Rating) < players as usize
        || model.guilds().len() < usize::from(guild)
    {
        assert!(Instant::now() < deadline, "leaderboards never built");
        std::thread::sleep(Duration::from_millis(20));
    }
    (app, query)
}

/// One keep-alive HTTP/1.1 connection: GET `path`, read the whole response.
async fn get(stream: &mut BufReader<tokio::net::TcpStream>, path: &str) -> std::io::Result<u16> {
    stream
        .get_mut()
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").as_bytes())
        .await?;
    let mut status_line = String::new();
    stream.read_line(&mut status_line).await?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).await?;
        if header == "\r\n" || header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    Ok(status)
}

/// `rate` requests/s for `seconds` over 16 keep-alive connections; `path(n)` is the n-th path.
fn load(
    query: SocketAddr,
    rate: u32,
    seconds: u32,
    path: impl Fn(u64) -> String + Send + Sync + 'static,
) -> Vec<Duration> {
    const CONNECTIONS: u64 = 16;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let path = std::sync::Arc::new(path);
    runtime.block_on(async move {
        let per_connection = f64::from(rate) / CONNECTIONS as f64;
        let requests = (per_connection * f64::from(seconds)) as u64;
        let mut tasks = tokio::task::JoinSet::new();
        for connection in 0..CONNECTIONS {
            let path = path.clone();
            tasks.spawn(async move {
                let mut stream = BufReader::new(
                    tokio::net::TcpStream::connect(query)
                        .await
                        .expect("connect"),
                );
                let start = tokio::time::Instant::now()
                    + Duration::from_secs_f64(connection as f64 / f64::from(rate));
                let mut samples = Vec::with_capacity(requests as usize);
                for n in 0..requests {
                    let due = start + Duration::from_secs_f64(n as f64 / per_connection);
                    tokio::time::sleep_until(due).await;
                    let sent = Instant::now();
                    let status = get(&mut stream, &path(n * CONNECTIONS + connection))
                        .await
                        .expect("response");
                    assert_eq!(status, 200);
                    samples.push(sent.elapsed());
                }
                samples
            });
        }
        let mut all = Vec::new();
        while let Some(samples) = tasks.join_next().await {
            all.extend(samples.expect("client task"));
        }
        all
    })
}

fn profile_reads(redis: Option<&str>, label: &str) {
    const PLAYERS: u64 = 40_000;
    const HOT: u64 = 1_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, query) = query_server(redis, PLAYERS, None, false, &dir);
    // Warm the hot set, then: hits on it, and misses on players never read before.
    load(query, 5_000, 1, |n| format!("/v1/players/{}", n % HOT + 1));
    let runtime = AsyncRuntime::start();
    let answered = redis.map(|url| RedisCalls::before(&runtime, url, "get"));
    let hits = load(query, 5_000, 5, |n| format!("/v1/players/{}", n % HOT + 1));
    if let Some(answered) = answered {
        answered.assert_all(&runtime, hits.len());
    }
    print(format!(
        "profile_read_hit_{label} at 5000 req/s: {}",
        percentiles(hits)
    ));
    let misses = load(query, 5_000, 5, |n| format!("/v1/players/{}", HOT + 1 + n));
    print(format!(
        "profile_read_miss_{label} at 5000 req/s: {}",
        percentiles(misses)
    ));
}

/// Inventory reads (200 items each) through the query API: hits on a warm hot set, misses on
/// players never read before. Goals: hit p99 ≤ 1 ms, miss p99 ≤ 3 ms.
fn inventory_reads(redis: Option<&str>, label: &str) {
    const PLAYERS: u64 = 6_000;
    const HOT: u64 = 1_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = items::materials(200);
    let (_app, query) = query_server(redis, PLAYERS, Some(&catalog), false, &dir);
    load(query, 2_000, 1, |n| {
        format!("/v1/players/{}/inventory", n % HOT + 1)
    });
    let hits = load(query, 2_000, 5, |n| {
        format!("/v1/players/{}/inventory", n % HOT + 1)
    });
    print(format!(
        "inventory_read_hit_{label} (200 items) at 2000 req/s: {}",
        percentiles(hits)
    ));
    let misses = load(query, 2_000, 2, |n| {
        format!("/v1/players/{}/inventory", HOT + 1 + n)
    });
    print(format!(
        "inventory_read_miss_{label} (200 items) at 2000 req/s: {}",
        percentiles(misses)
    ));
    let unloaded = load(query, 200, 5, |n| {
        format!("/v1/players/{}/inventory", HOT + 4_001 + n)
    });
    print(format!(
        "inventory_read_miss_{label} (200 items) at 200 req/s: {}",
        percentiles(unloaded)
    ));
}

/// The guild whose member list is read.
const GUILD: &str = "Everyone";

/// The whole member list of a 1,000-member guild (one page of 1,000, with who is online), at
/// 2,000 requests/s: the guild index is in process, presence is one `MGET` on Redis.
fn guild_member_reads(redis: Option<&str>, label: &str) {
    const MEMBERS: u64 = 1_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let (_app, query) = query_server(redis, MEMBERS, None, true, &dir);
    let path = format!("/v1/guilds/{}/members?limit=1000", guild_id_of(GUILD));
    let warm = path.clone();
    load(query, 2_000, 1, move |_| warm.clone());
    let reads = load(query, 2_000, 5, move |_| path.clone());
    print(format!(
        "guild_members_{label} (1,000 members, one page) at 2000 req/s: {}",
        percentiles(reads)
    ));
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let wanted = |name: &str| only.as_deref().is_none_or(|filter| name.contains(filter));
    if wanted("in_process") {
        in_process(&mut c);
    }
    let runtime = AsyncRuntime::start();
    let redis = runtime.block_on(redis_server::fresh_database(14));
    if wanted("redis") {
        match &redis {
            Some(url) => redis_parts(&runtime, url),
            None => print("redis: SKIPPED, no Redis on 127.0.0.1:6379".into()),
        }
    }
    if wanted("guild") {
        guild_member_reads(None, "in_process_presence");
        match &redis {
            Some(url) => guild_member_reads(Some(url), "redis_presence"),
            None => print("guild redis_presence: SKIPPED, no Redis on 127.0.0.1:6379".into()),
        }
    }
    if wanted("inventory") {
        inventory_reads(None, "in_process_cache");
    }
    if wanted("profile") {
        profile_reads(None, "in_process_cache");
        if let Some(url) = &redis {
            runtime.block_on(redis_server::run::<()>(
                url,
                redis::cmd("FLUSHDB").arg("ASYNC"),
            ));
            profile_reads(Some(url), "redis_cache");
        } else {
            print("profile redis_cache: SKIPPED, no Redis on 127.0.0.1:6379".into());
        }
    }
    c.final_summary();
}
