//! Wires the read side into the server: builds the read model (Redis when configured), feeds it the
//! writer's commits, this server's sessions and live matches, keeps Redis sessions alive, rebuilds
//! the leaderboards from the databases at start and whenever Redis has lost them, and relays the
//! outbox to the event stream.

use super::board::Board;
use super::cache::ProfileCache;
use super::guilds::GuildIndex;
use super::leaderboards::Leaderboards;
use super::live::LiveMatches;
use super::model::{LiveMatch, ReadModel};
use super::outbox;
use super::presence::{Presence, SESSION_TTL_SECS, SessionInfo};
use super::redis_link::RedisLink;
use crate::persistence::{CommitFeed, Committed, Store};
use crate::phase::TickSystems;
use crate::runtime::AsyncRuntime;
use crate::settings::ServerSettings;
use crate::settings::{CacheBackend, CacheSettings, PersistenceSettings};
use arbiter_components::config::GuildSettings;
use arbiter_components::matchmaking::{InMatch, Match, MatchState};
use arbiter_components::player::PlayerId;
use arbiter_components::session::Session;
use bevy_app::{App, Plugin, PostUpdate};
use bevy_ecs::entity::Entity;
use bevy_ecs::lifecycle::RemovedComponents;
use bevy_ecs::query::{Added, Changed, With};
use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::schedule::common_conditions::resource_changed;
use bevy_ecs::system::{Local, Query, Res, SystemParam};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedSender};

/// When committed players' cached profiles are dropped a second time.
const SECOND_INVALIDATION_AFTER: Duration = Duration::from_secs(1);
/// How often Redis is checked for lost leaderboards (one `ZCARD`).
const BOARD_CHECK_INTERVAL: Duration = Duration::from_secs(2);
/// How often sessions are re-announced to Redis, well within their TTL (and expired in-process
/// cache entries dropped).
const SESSION_REFRESH_INTERVAL: Duration = Duration::from_secs(SESSION_TTL_SECS / 3);

/// The read model, shared with the admin endpoint.
#[derive(Resource, Debug, Clone)]
pub struct SharedReadModel(pub Arc<ReadModel>);

/// Adds the read side over `store`.
#[derive(Debug)]
pub struct ReadPlugin {
    store: Store,
}

impl ReadPlugin {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn redis_link(settings: &CacheSettings, runtime: &AsyncRuntime) -> Option<RedisLink> {
    if settings.backend != CacheBackend::Redis {
        return None;
    }
    let _inside = runtime.enter();
    match RedisLink::lazy(&settings.redis_url) {
        Ok(link) => Some(link),
        Err(error) => {
            tracing::error!(url = %settings.redis_url, %error, "cache.redis_url unusable; the read side runs in process");
            None
        }
    }
}

impl Plugin for ReadPlugin {
    fn build(&self, app: &mut App) {
        let settings = app
            .world_mut()
            .get_resource_or_init::<CacheSettings>()
            .clone();
        let runtime = app
            .world_mut()
            .get_resource_or_init::<AsyncRuntime>()
            .clone();
        let redis = redis_link(&settings, &runtime);
        let cache = match &redis {
            Some(link) => ProfileCache::redis(link.clone(), settings.profile_ttl_secs),
            None => ProfileCache::memory(settings.profile_ttl_secs),
        };
        if let Some(link) = &redis {
            runtime.spawn(outbox::relay(self.store.clone(), link.clone()));
        }
        let persistence = app
            .world_mut()
            .get_resource_or_init::<PersistenceSettings>()
            .clone();
        let data_dir = server_data_dir(app);
        let guild_settings = app
            .world_mut()
            .get_resource_or_init::<GuildSettings>()
            .clone();
        let model = Arc::new(ReadModel::new(
            self.store.clone(),
            replicas(&persistence, &data_dir, &runtime),
            cache,
            Leaderboards::new(redis.clone()),
            Presence::new(redis.clone()),
            LiveMatches::new(redis.clone()),
            GuildIndex::new(guild_settings.board_top_members, redis),
        ));
        let (commits, mut committed) = mpsc::unbounded_channel::<Committed>();
        let feed = model.clone();
        runtime.spawn(async move {
            while let Some(Committed {
                players: records,
                objects,
            }) = committed.recv().await
            {
                feed.objects_committed(&objects).await;
                feed.committed(&records).await;
                // A profile read that raced this commit may have cached the row it replaced; a second
                // invalidation a moment later removes that (reads take milliseconds).
                let ids: Vec<u64> = records.iter().map(|record| record.id).collect();
                let model = feed.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(SECOND_INVALIDATION_AFTER).await;
                    model.cache.invalidate(&ids).await;
                });
            }
        });
        runtime.spawn(upkeep(model.clone()));
        let (presence_changes, presence_feed) = mpsc::unbounded_channel();
        runtime.spawn(apply_presence(model.clone(), presence_feed));
        app.insert_resource(SharedReadModel(model))
            .insert_resource(CommitFeed(commits))
            .insert_resource(PresenceFeed(presence_changes))
            .init_resource::<ServerSettings>()
            .add_systems(
                PostUpdate,
                (
                    publish_sessions,
                    publish_live_matches,
                    apply_cache_ttl.run_if(resource_changed::<CacheSettings>),
                )
                    .in_set(TickSystems::Publish),
            );
    }
}

fn server_data_dir(app: &mut App) -> String {
    app.world_mut()
        .get_resource_or_init::<ServerSettings>()
        .data_dir
        .clone()
}

/// The replica store, when `persistence.replica_urls` names any (opened lazily: a replica that is
/// down fails its reads, which go to the primary).
fn replicas(
    settings: &PersistenceSettings,
    data_dir: &str,
    runtime: &AsyncRuntime,
) -> Option<Store> {
    let urls = settings.read_urls(data_dir)?;
    let _inside = runtime.enter();
    match Store::open(&urls) {
        Ok(store) => Some(store),
        Err(error) => {
            tracing::error!(%error, "persistence.replica_urls unusable; profiles are read from the primaries");
            None
        }
    }
}

/// Fills the leaderboards from the databases at start; then re-announces sessions to Redis and
/// rebuilds the leaderboards whenever Redis has lost them (restart, failover, FLUSHALL), in the
/// background: the tick never waits for it.
async fn upkeep(model: Arc<ReadModel>) {
    rebuild(&model).await;
    let mut checks = tokio::time::interval(BOARD_CHECK_INTERVAL);
    let mut refreshes = tokio::time::interval(SESSION_REFRESH_INTERVAL);
    loop {
        tokio::select! {
            _ = checks.tick() => {
                let lost = model.boards.redis_len(Board::Rating).await == Some(0)
                    && model.board_len(Board::Rating) > 0;
                if lost {
                    tracing::warn!("Redis has no leaderboard; rebuilding it from the databases");
                    rebuild(&model).await;
                }
            }
            _ = refreshes.tick() => {
                model.presence.refresh().await;
                model.live.refresh().await;
                model.cache.sweep();
            }
        }
    }
}

async fn rebuild(model: &ReadModel) {
    match model.rebuild_leaderboards().await {
        Ok(players) => tracing::info!(players, "leaderboards built from the databases"),
        Err(error) => {
            tracing::warn!(%error, "cannot build the leaderboards now; the next upkeep retries")
        }
    }
    match model.rebuild_guilds().await {
        Ok(guilds) => tracing::info!(guilds, "guild index built from the databases"),
        Err(error) => tracing::warn!(%error, "cannot build the guild index now"),
    }
}

/// A change of who is online on this server, or of the matches it runs.
#[derive(Debug)]
enum PresenceChange {
    Connected(SessionInfo),
    Disconnected(u64),
    /// This server (by name) and every match it runs now.
    Matches(String, Vec<LiveMatch>),
}

/// Where presence changes go: one task applies them in order, so a quick disconnect can never be
/// overtaken by its own connect.
#[derive(Resource, Debug)]
struct PresenceFeed(UnboundedSender<PresenceChange>);

async fn apply_presence(
    model: Arc<ReadModel>,
    mut changes: mpsc::UnboundedReceiver<PresenceChange>,
) {
    while let Some(change) = changes.recv().await {
        match change {
            PresenceChange::Connected(session) => model.presence.connected(session).await,
            PresenceChange::Disconnected(player_id) => model.presence.disconnected(player_id).await,
            PresenceChange::Matches(server, matches) => model.live.publish(server, matches).await,
        }
    }
}

/// Tells the read model who connected and who left (on this server), and which match each
/// connected player is in.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
fn publish_sessions(
    feed: Res<PresenceFeed>,
    server: ServerName,
    arrived: Query<Entity, Added<Session>>,
    moved: Query<Entity, (With<Session>, Changed<InMatch>)>,
    mut left_match: RemovedComponents<InMatch>,
    mut left: RemovedComponents<Session>,
    players: Query<(&PlayerId, Option<&InMatch>), With<Session>>,
    matches: Query<&Match>,
    mut known: Local<HashMap<Entity, SessionInfo>>,
) {
    for entity in left.read() {
        if let Some(session) = known.remove(&entity) {
            let _ = feed.0.send(PresenceChange::Disconnected(session.player_id));
        }
    }
    let changed: HashSet<Entity> = arrived
        .iter()
        .chain(moved.iter())
        .chain(left_match.read())
        .collect();
    for entity in changed {
        let Ok((player, in_match)) = players.get(entity) else {
            continue;
        };
        let match_id = in_match
            .and_then(|in_match| matches.get(in_match.0).ok())
            .map(|found| found.id);
        let session = known.entry(entity).or_insert_with(|| SessionInfo {
            player_id: player.0,
            server_id: server.get(),
            connected_at_ms: crate::net::unix_now().as_millis() as i64,
            match_id: None,
        });
        if arrived.contains(entity) {
            session.server_id = server.get();
            session.connected_at_ms = crate::net::unix_now().as_millis() as i64;
        }
        session.match_id = match_id;
        let _ = feed.0.send(PresenceChange::Connected(session.clone()));
    }
}

/// Publishes the live matches when any match changed (formed, scored, went live, ended).
fn publish_live_matches(
    feed: Res<PresenceFeed>,
    server: ServerName,
    changed: Query<(), Changed<Match>>,
    mut ended: RemovedComponents<Match>,
    matches: Query<&Match>,
    ids: Query<&PlayerId>,
) {
    // Changed covers formed ones too; a despawned match shows as a removal.
    if changed.is_empty() && ended.read().count() == 0 {
        return;
    }
    let live = matches
        .iter()
        .filter(|found| found.state != MatchState::Ended)
        .map(|found| LiveMatch {
            match_id: found.id,
            mode: found.mode,
            map: found.map.clone(),
            state: match found.state {
                MatchState::Warmup => "warmup",
                _ => "live",
            }
            .into(),
            scores: found.scores,
            teams: found.teams.each_ref().map(|team| {
                team.iter()
                    .filter_map(|player| ids.get(*player).ok().map(|id| id.0))
                    .collect()
            }),
        })
        .collect();
    let _ = feed.0.send(PresenceChange::Matches(server.get(), live));
}

/// This server's name in a fleet's shared state: the first address its tokens name (unique per
/// process, where the bind address may be the same wildcard for all), else its bind address.
#[derive(SystemParam)]
struct ServerName<'w> {
    settings: Res<'w, ServerSettings>,
    issuer: Option<Res<'w, crate::net::TokenIssuer>>,
}

impl ServerName<'_> {
    fn get(&self) -> String {
        let public = self
            .issuer
            .as_ref()
            .and_then(|issuer| issuer.server_addresses().first().copied());
        public.unwrap_or(self.settings.bind).to_string()
    }
}

fn apply_cache_ttl(model: Res<SharedReadModel>, settings: Res<CacheSettings>) {
    model.0.cache.set_ttl_secs(settings.profile_ttl_secs);
}
