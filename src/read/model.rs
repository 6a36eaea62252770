//! The read model behind the query API: profiles through the cache (single-flight on a miss) from the
//! primary databases, leaderboards, sessions and live matches. Writes never come through here; they
//! reach it as flush commits.

use super::board::{Board, Standing};
use super::cache::{MatchSummary, ProfileCache, StoredProfile};
use super::guilds::{GuildBadge, GuildIndex};
use super::inventory::InventoryReport;
use super::leaderboards::Leaderboards;
use super::live::LiveMatches;
use super::presence::{Presence, SessionInfo};
use super::single_flight::SingleFlight;
use super::trades::{TradeSummary, TradesPage};
use crate::persistence::{ObjectKey, ObjectRecord, PlayerEvent, PlayerRecord, Store};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Matches listed in a profile.
const LAST_MATCHES: u32 = 10;
/// Rows per page when rebuilding leaderboards from the databases.
const REBUILD_PAGE: u32 = 5_000;

/// A player as the query API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Profile {
    pub id: u64,
    pub name: String,
    pub rating: f64,
    pub uncertainty: f64,
    /// Place on the rating leaderboard (1 is the top); absent before the first flush.
    pub rank: Option<u64>,
    pub kills: u64,
    pub deaths: u64,
    pub wins: u64,
    pub losses: u64,
    pub matches: u64,
    /// Where the player is connected now; absent when offline.
    pub online: Option<SessionInfo>,
    /// The guild the player is a member of, as last committed; absent when in none.
    pub guild: Option<GuildBadge>,
    /// Newest first.
    pub last_matches: Vec<MatchSummary>,
}

/// A match being played now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiveMatch {
    pub match_id: u64,
    pub mode: u16,
    pub map: String,
    /// `warmup` or `live`.
    pub state: String,
    pub scores: [u32; 2],
    /// Player ids per team.
    pub teams: [Vec<u64>; 2],
}

/// Why a read could not be answered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// Everything the query API reads.
#[derive(Debug)]
pub struct ReadModel {
    store: Store,
    /// Read replicas per shard (the primary's URL where a shard has none), when configured.
    replicas: Option<Store>,
    pub(super) cache: ProfileCache,
    pub(super) boards: Leaderboards,
    pub(super) presence: Presence,
    pub(super) guilds: GuildIndex,
    flights: SingleFlight<u64, Result<Option<StoredProfile>, Unavailable>>,
    pub(super) live: LiveMatches,
    database_reads: AtomicU64,
}

impl ReadModel {
    pub fn new(
        store: Store,
        replicas: Option<Store>,
        cache: ProfileCache,
        boards: Leaderboards,
        presence: Presence,
        live: LiveMatches,
        guilds: GuildIndex,
    ) -> Self {
        Self {
            store,
            replicas,
            cache,
            boards,
            presence,
            guilds,
            flights: SingleFlight::default(),
            live,
            database_reads: AtomicU64::new(0),
        }
    }

    /// Profile reads that went to a database (for operators' tests of the cache).
    pub fn database_reads(&self) -> u64 {
        self.database_reads.load(Ordering::Relaxed)
    }

    /// A player's profile: cache, else one database read however many ask at once. `Ok(None)`:
    /// stored nowhere. `Err`: the cache missed and the player's database cannot answer.
    pub async fn profile(&self, player_id: u64) -> Result<Option<Profile>, Unavailable> {
        // Three lookups at once: on Redis they share one multiplexed connection, so a cache hit
        // costs about one round trip, not three.
        let (stored, standing, online) = tokio::join!(
            self.stored(player_id),
            self.boards.standing(Board::Rating, player_id),
            self.presence.lookup(player_id)
        );
        let Some(stored) = stored? else {
            return Ok(None);
        };
        let rank = standing.map(|standing| standing.rank);
        let StoredProfile {
            record,
            last_matches,
        } = stored;
        Ok(Some(Profile {
            id: record.id,
            name: record.name,
            rating: record.rating,
            uncertainty: record.uncertainty,
            rank,
            kills: record.kills,
            deaths: record.deaths,
            wins: record.wins,
            losses: record.losses,
            matches: record.matches,
            online,
            guild: self.guilds.badge(player_id),
            last_matches,
        }))
    }

    /// A player's items and currencies, through the same cache and databases as its profile.
    pub async fn inventory(&self, player_id: u64) -> Result<Option<InventoryReport>, Unavailable> {
        let Some(stored) = self.stored(player_id).await? else {
            return Ok(None);
        };
        InventoryReport::of(&stored.record)
            .map(Some)
            .map_err(Unavailable)
    }

    /// Up to `limit` of a player's settled trades with a seq below `before`, newest first, from
    /// its shard's primary (pages are not cached: each is one indexed read); `None` for a player
    /// stored nowhere.
    pub async fn trades(
        &self,
        player_id: u64,
        before: u64,
        limit: u32,
    ) -> Result<Option<TradesPage>, Unavailable> {
        if self.stored(player_id).await?.is_none() {
            return Ok(None);
        }
        let events = self
            .store
            .recent_events(player_id, "transfer", before, limit)
            .await
            .map_err(|error| Unavailable(error.to_string()))?;
        let trades: Vec<TradeSummary> = events
            .iter()
            .filter_map(|stored| TradeSummary::of(player_id, stored))
            .collect();
        let next_before = (trades.len() == limit as usize)
            .then(|| trades.last().map(|trade| trade.seq))
            .flatten();
        Ok(Some(TradesPage {
            id: player_id,
            trades,
            next_before,
        }))
    }

    /// The stored player: cache, else one database read however many ask at once.
    async fn stored(&self, player_id: u64) -> Result<Option<StoredProfile>, Unavailable> {
        if let Some(stored) = self.cache.get(player_id).await {
            return Ok(Some(stored));
        }
        self.flights
            .run(player_id, || self.load_profile(player_id))
            .await
    }

    /// The cache once more (a flight that just ended may have filled it), then the replica, then the
    /// primary when there is no replica, it fails, or it lacks the player (replication lag).
    async fn load_profile(&self, player_id: u64) -> Result<Option<StoredProfile>, Unavailable> {
        if let Some(stored) = self.cache.recheck(player_id).await {
            return Ok(Some(stored));
        }
        self.database_reads.fetch_add(1, Ordering::Relaxed);
        if let Some(replicas) = &self.replicas
            && let Ok(Some(stored)) = Self::load_from(replicas, player_id).await
        {
            self.cache.put(&stored).await;
            return Ok(Some(stored));
        }
        let stored = Self::load_from(&self.store, player_id).await?;
        if let Some(stored) = &stored {
            self.cache.put(stored).await;
        }
        Ok(stored)
    }

    async fn load_from(
        store: &Store,
        player_id: u64,
    ) -> Result<Option<StoredProfile>, Unavailable> {
        let unavailable = |error: crate::persistence::StoreError| Unavailable(error.to_string());
        let mut loaded = store.load_players(&[player_id]).await;
        if let Some(failure) = loaded.failed.pop() {
            return Err(unavailable(failure.error));
        }
        let Some(record) = loaded.players.pop() else {
            return Ok(None);
        };
        let events = store
            .recent_events(player_id, "match_played", u64::MAX, LAST_MATCHES)
            .await
            .map_err(unavailable)?;
        let last_matches = events
            .into_iter()
            .filter_map(|stored| match stored.event {
                PlayerEvent::MatchPlayed {
                    match_id,
                    outcome,
                    kills,
                    deaths,
                    rating,
                    ..
                } => Some(MatchSummary {
                    match_id,
                    outcome: format!("{outcome:?}").to_lowercase(),
                    kills,
                    deaths,
                    rating,
                    at_ms: stored.at_ms,
                }),
                PlayerEvent::Registered { .. }
                | PlayerEvent::Transfer(_)
                | PlayerEvent::Part(_) => None,
            })
            .take(LAST_MATCHES as usize)
            .collect();
        Ok(Some(StoredProfile {
            record,
            last_matches,
        }))
    }

    pub async fn leaderboard(&self, board: Board, offset: u64, limit: u64) -> Vec<Standing> {
        self.boards.range(board, offset, limit).await
    }

    pub async fn around(&self, board: Board, player_id: u64, radius: u64) -> Option<Vec<Standing>> {
        self.boards.around(board, player_id, radius).await
    }

    pub async fn standing(&self, board: Board, player_id: u64) -> Option<Standing> {
        self.boards.standing(board, player_id).await
    }

    /// Players on a leaderboard (the process's count).
    pub fn board_len(&self, board: Board) -> usize {
        self.boards.len(board)
    }

    pub async fn session(&self, player_id: u64) -> Option<SessionInfo> {
        self.presence.lookup(player_id).await
    }

    /// The matches being played in the fleet (every server sharing this Redis), or on this server
    /// without Redis.
    pub async fn live_matches(&self) -> Vec<LiveMatch> {
        self.live.fleet().await
    }

    /// A flush committed `records`: their cached profiles go, the leaderboards take their scores.
    pub async fn committed(&self, records: &[PlayerRecord]) {
        let ids: Vec<u64> = records.iter().map(|record| record.id).collect();
        self.cache.invalidate(&ids).await;
        self.boards.update(records).await;
        let changes = self
            .guilds
            .players_changed(&ids, |board, player| self.boards.local_score(board, player));
        self.guilds.mirror(&changes).await;
    }

    /// Takes committed stored objects: guilds go into the guild index (and its boards).
    pub async fn objects_committed(&self, records: &[ObjectRecord]) {
        let changes = self.guilds.committed(records, |board, player| {
            self.boards.local_score(board, player)
        });
        self.guilds.mirror(&changes).await;
    }

    /// The guild index, for the query API.
    pub fn guilds(&self) -> &GuildIndex {
        &self.guilds
    }

    /// Whether `players` are online (on any server when Redis is configured), in order.
    pub async fn online(&self, players: &[u64]) -> Vec<bool> {
        self.presence.online(players).await
    }

    /// Fills the guild index from every database (after the player boards: guild scores are
    /// made of their members' scores).
    pub async fn rebuild_guilds(&self) -> Result<usize, Unavailable> {
        let unavailable = |error: crate::persistence::StoreError| Unavailable(error.to_string());
        let keys: Vec<ObjectKey> = self
            .store
            .object_keys()
            .await
            .map_err(unavailable)?
            .into_iter()
            .filter(|key| key.kind == crate::guild::GUILD_KIND)
            .collect();
        for chunk in keys.chunks(REBUILD_PAGE as usize) {
            let (records, mut failed) = self.store.load_objects(chunk).await;
            if let Some(failure) = failed.pop() {
                return Err(unavailable(failure.error));
            }
            self.guilds.committed(&records, |board, player| {
                self.boards.local_score(board, player)
            });
        }
        self.guilds.mirror_all().await;
        Ok(self.guilds.len())
    }

    /// Refills the leaderboards from every database, a page at a time. Scores already on a board
    /// stay: they came from commits during the rebuild and are newer than the pages.
    pub async fn rebuild_leaderboards(&self) -> Result<usize, Unavailable> {
        self.boards.clear_redis().await;
        let mut players = 0;
        for shard in 0..self.store.shard_count() {
            let mut after = i64::MIN;
            loop {
                let page = self
                    .store
                    .players_page(shard, after, REBUILD_PAGE)
                    .await
                    .map_err(|error| Unavailable(error.to_string()))?;
                let Some(last) = page.last() else {
                    break;
                };
                after = last.id as i64;
                players += page.len();
                self.boards.fill(&page).await;
                if page.len() < REBUILD_PAGE as usize {
                    break;
                }
            }
        }
        self.boards.redis_rebuilt();
        Ok(players)
    }
}
