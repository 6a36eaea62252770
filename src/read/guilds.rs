//! Guilds on the read side: every guild's name, tag, members and bank as last committed, found by
//! id, by name prefix and by member, and the guild leaderboards — by the mean rating of a guild's
//! best `[guilds] board_top_members` members and by its members' total kills. Fed by the writer's
//! commits (guilds and players) and rebuilt from the databases at start; in process, and the
//! boards mirrored into the Redis sorted sets `guild_leaderboard:rating` and
//! `guild_leaderboard:kills` when Redis is configured (read from there first, as the player
//! boards are).

use super::board::{Board, MemoryBoard};
use super::redis_link::RedisLink;
use crate::persistence::ObjectRecord;
use arbiter_components::guild::{Guild, GuildRole};
use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long a member page, as served, is served again: a big guild's list is read far more often
/// than its members come and go. A commit of the guild drops its pages at once; who is online may
/// be this much behind, and a little more while an older page is served during its rebuild.
const MEMBER_PAGE_TTL: Duration = Duration::from_secs(1);
/// An older page is served while one request builds it again, but never one older than this: a
/// rebuild that never finished does not leave it served for good.
const MEMBER_PAGE_STALE_AT_MOST: Duration = Duration::from_secs(5);
/// Member pages kept at most (all are dropped when it is reached).
const MEMBER_PAGES_KEPT: usize = 10_000;

/// A member page's key: guild, offset, limit.
type PageKey = (u64, u64, u64);

/// A member page as served, kept.
#[derive(Debug)]
struct KeptPage {
    served: Instant,
    body: Bytes,
    /// A request is building it again.
    rebuilding: bool,
}

/// What the cache holds for a member page.
#[derive(Debug, Clone, PartialEq)]
pub enum CachedPage {
    /// Served less than a second ago: serve it.
    Fresh(Bytes),
    /// Older: serve it; `rebuild` is true for the one request that builds it again (the others
    /// do not all ask Redis for the same thousand members at once).
    Stale { body: Bytes, rebuild: bool },
    /// None: build it.
    Missing,
}

/// A guild's new scores on both boards, or `None`: it left them.
type ScoreChange = (u64, Option<(i64, i64)>);

fn redis_key(board: Board) -> &'static str {
    match board {
        Board::Rating => "guild_leaderboard:rating",
        Board::Kills => "guild_leaderboard:kills",
    }
}

/// Zero-padded members sort lexicographically as numbers, so Redis breaks ties like the process.
fn member(guild: u64) -> String {
    format!("{guild:020}")
}

/// One entry of a guild's bank: an item or currency and how much of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Amount {
    pub id: String,
    pub amount: u64,
}

/// What a guild's bank holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BankSummary {
    pub currencies: Vec<Amount>,
    /// Units per item, instances counted one each.
    pub items: Vec<Amount>,
}

/// A guild as the query API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuildSummary {
    pub id: u64,
    pub name: String,
    pub tag: String,
    pub leader: u64,
    pub member_count: u64,
    pub bank: BankSummary,
    /// Place on the rating guild leaderboard (1 is the top).
    pub rank: Option<u64>,
}

/// One member of a guild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuildMember {
    pub player_id: u64,
    /// `leader`, `officer` or `member`.
    pub role: String,
    pub online: bool,
}

/// A player's guild, in its profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuildBadge {
    pub id: u64,
    pub name: String,
    pub tag: String,
    /// `leader`, `officer` or `member`.
    pub role: String,
}

/// One place on a guild leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuildStanding {
    /// 1 is the top.
    pub rank: u64,
    pub guild_id: u64,
    pub name: String,
    pub tag: String,
    /// Rating board: the mean rating of the best members, times 1000; kills board: total kills.
    pub score: i64,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    tag: String,
    /// By player id.
    members: Vec<(u64, GuildRole)>,
    bank: BankSummary,
}

#[derive(Debug, Default)]
struct Index {
    guilds: HashMap<u64, Entry>,
    /// Lower-cased names, for prefix search.
    names: BTreeMap<String, u64>,
    member_of: HashMap<u64, u64>,
    rating: MemoryBoard,
    kills: MemoryBoard,
}

/// The guilds as last committed.
#[derive(Debug)]
pub struct GuildIndex {
    index: RwLock<Index>,
    pages: Mutex<HashMap<PageKey, KeptPage>>,
    /// Members whose ratings make a guild's rating score.
    top_members: usize,
    redis: Option<RedisLink>,
    /// Whether Redis holds complete guild boards (after a rebuild).
    redis_complete: AtomicBool,
}

impl GuildIndex {
    pub fn new(top_members: u32, redis: Option<RedisLink>) -> Self {
        Self {
            index: RwLock::default(),
            pages: Mutex::default(),
            top_members: top_members.max(1) as usize,
            redis,
            redis_complete: AtomicBool::new(false),
        }
    }

    /// Redis, when it holds complete guild boards.
    fn complete_redis(&self) -> Option<&RedisLink> {
        self.redis
            .as_ref()
            .filter(|_| self.redis_complete.load(Ordering::Acquire))
    }

    /// Puts score changes into the Redis boards (one pipeline); nothing without Redis. A failure
    /// leaves Redis behind: reads fall back to the process until the next rebuild.
    pub async fn mirror(&self, changes: &[ScoreChange]) {
        if !self.write_redis(changes, false).await {
            self.redis_complete.store(false, Ordering::Release);
        }
    }

    /// Writes score changes into Redis (only for guilds not there yet, when `only_new`: a score a
    /// commit wrote meanwhile is newer); whether it took them (`true` without Redis).
    async fn write_redis(&self, changes: &[ScoreChange], only_new: bool) -> bool {
        let Some(redis) = &self.redis else {
            return true;
        };
        if changes.is_empty() {
            return true;
        }
        let mut pipeline = redis::pipe();
        for (guild, scores) in changes {
            match scores {
                Some((rating, kills)) => {
                    for (board, score) in [(Board::Rating, rating), (Board::Kills, kills)] {
                        let command = pipeline.cmd("ZADD").arg(redis_key(board));
                        if only_new {
                            command.arg("NX");
                        }
                        command.arg(score).arg(member(*guild)).ignore();
                    }
                }
                None => {
                    for board in Board::ALL {
                        pipeline
                            .cmd("ZREM")
                            .arg(redis_key(board))
                            .arg(member(*guild))
                            .ignore();
                    }
                }
            }
        }
        redis.pipeline::<()>(&pipeline).await.is_ok()
    }

    /// Writes both boards into Redis whole (after the index was built from the databases).
    pub async fn mirror_all(&self) {
        let Some(redis) = &self.redis else {
            return;
        };
        self.redis_complete.store(false, Ordering::Release);
        let mut unlink = redis::cmd("UNLINK");
        for board in Board::ALL {
            unlink.arg(redis_key(board));
        }
        if redis.command::<()>(&unlink).await.is_err() {
            return;
        }
        let changes: Vec<ScoreChange> = {
            let index = self.read();
            index
                .guilds
                .keys()
                .map(|guild| {
                    let scores = index.rating.score(*guild).zip(index.kills.score(*guild));
                    (*guild, scores)
                })
                .collect()
        };
        // Complete only once every guild is in: until then reads come from the process.
        if self.write_redis(&changes, true).await {
            self.redis_complete.store(true, Ordering::Release);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes committed guild records (other kinds are skipped); `score` is a player's score on a
    /// player board, for the guild boards. Returns the guilds' score changes, for [`Self::mirror`].
    pub fn committed(
        &self,
        records: &[ObjectRecord],
        score: impl Fn(Board, u64) -> Option<i64>,
    ) -> Vec<ScoreChange> {
        let mut changes = Vec::new();
        let mut index = self.write();
        for record in records
            .iter()
            .filter(|record| record.key.kind == crate::guild::GUILD_KIND)
        {
            let guild = match record.state.clone().map(|state| state.into_part::<Guild>()) {
                Some(Ok(guild)) => guild,
                None => Guild::default(),
                Some(Err(error)) => {
                    tracing::error!(guild = record.key.id, %error, "a committed guild does not decode");
                    continue;
                }
            };
            index.put(record.key.id, &guild);
            changes.push(self.rescore(&mut index, record.key.id, &score));
            self.pages()
                .retain(|(guild, ..), _| *guild != record.key.id);
        }
        changes
    }

    fn pages(&self) -> std::sync::MutexGuard<'_, HashMap<PageKey, KeptPage>> {
        self.pages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A member page as it was served, if kept: fresh, or older and to be built again.
    pub fn cached_page(&self, guild: u64, offset: u64, limit: u64) -> CachedPage {
        let mut pages = self.pages();
        let Some(page) = pages.get_mut(&(guild, offset, limit)) else {
            return CachedPage::Missing;
        };
        let age = page.served.elapsed();
        if age < MEMBER_PAGE_TTL {
            CachedPage::Fresh(page.body.clone())
        } else if age < MEMBER_PAGE_STALE_AT_MOST {
            let rebuild = !std::mem::replace(&mut page.rebuilding, true);
            CachedPage::Stale {
                body: page.body.clone(),
                rebuild,
            }
        } else {
            CachedPage::Missing
        }
    }

    /// Keeps a member page as served.
    pub fn cache_page(&self, guild: u64, offset: u64, limit: u64, body: Bytes) {
        let mut pages = self.pages();
        if pages.len() >= MEMBER_PAGES_KEPT {
            pages.clear();
        }
        let page = KeptPage {
            served: Instant::now(),
            body,
            rebuilding: false,
        };
        pages.insert((guild, offset, limit), page);
    }

    /// Drops a member page whose rebuild failed: the next request builds it and answers why.
    pub fn forget_page(&self, guild: u64, offset: u64, limit: u64) {
        self.pages().remove(&(guild, offset, limit));
    }

    /// Players whose scores changed: their guilds' scores follow (returned, for
    /// [`Self::mirror`]).
    pub fn players_changed(
        &self,
        players: &[u64],
        score: impl Fn(Board, u64) -> Option<i64>,
    ) -> Vec<ScoreChange> {
        let mut index = self.write();
        let mut guilds: Vec<u64> = players
            .iter()
            .filter_map(|player| index.member_of.get(player).copied())
            .collect();
        guilds.sort_unstable();
        guilds.dedup();
        guilds
            .into_iter()
            .map(|guild| self.rescore(&mut index, guild, &score))
            .collect()
    }

    fn rescore(
        &self,
        index: &mut Index,
        guild: u64,
        score: &impl Fn(Board, u64) -> Option<i64>,
    ) -> ScoreChange {
        let Some(entry) = index.guilds.get(&guild) else {
            index.rating.remove(guild);
            index.kills.remove(guild);
            return (guild, None);
        };
        let mut ratings: Vec<i64> = entry
            .members
            .iter()
            .filter_map(|(player, _)| score(Board::Rating, *player))
            .collect();
        ratings.sort_unstable_by(|a, b| b.cmp(a));
        ratings.truncate(self.top_members);
        let mean = match ratings.len() {
            0 => 0,
            n => (ratings.iter().map(|r| i128::from(*r)).sum::<i128>() / n as i128) as i64,
        };
        let kills: i64 = entry
            .members
            .iter()
            .filter_map(|(player, _)| score(Board::Kills, *player))
            .sum();
        index.rating.set(guild, mean);
        index.kills.set(guild, kills);
        (guild, Some((mean, kills)))
    }

    pub fn len(&self) -> usize {
        self.read().guilds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn summary(&self, id: u64) -> Option<GuildSummary> {
        let index = self.read();
        let entry = index.guilds.get(&id)?;
        Some(GuildSummary {
            id,
            name: entry.name.clone(),
            tag: entry.tag.clone(),
            leader: entry
                .members
                .iter()
                .find(|(_, role)| *role == GuildRole::Leader)
                .map_or(0, |(player, _)| *player),
            member_count: entry.members.len() as u64,
            bank: entry.bank.clone(),
            rank: index.rating.standing(id).map(|standing| standing.rank),
        })
    }

    /// Members `offset..offset + limit` by player id, with the total; `None` for no such guild.
    pub fn members(
        &self,
        id: u64,
        offset: u64,
        limit: u64,
    ) -> Option<(u64, Vec<(u64, GuildRole)>)> {
        let index = self.read();
        let entry = index.guilds.get(&id)?;
        let page = entry
            .members
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit as usize)
            .copied()
            .collect();
        Some((entry.members.len() as u64, page))
    }

    /// Up to `limit` guilds whose names start with `prefix` (in any case), by name.
    pub fn search(&self, prefix: &str, limit: usize) -> Vec<GuildSummary> {
        let prefix = prefix.to_lowercase();
        let ids: Vec<u64> = self
            .read()
            .names
            .range(prefix.clone()..)
            .take_while(|(name, _)| name.starts_with(&prefix))
            .take(limit)
            .map(|(_, id)| *id)
            .collect();
        ids.into_iter().filter_map(|id| self.summary(id)).collect()
    }

    /// The guild a player is a member of, as committed.
    pub fn badge(&self, player: u64) -> Option<GuildBadge> {
        let index = self.read();
        let id = *index.member_of.get(&player)?;
        let entry = index.guilds.get(&id)?;
        let role = entry
            .members
            .binary_search_by_key(&player, |(member, _)| *member)
            .ok()
            .map(|at| entry.members[at].1)?;
        Some(GuildBadge {
            id,
            name: entry.name.clone(),
            tag: entry.tag.clone(),
            role: role.as_str().to_owned(),
        })
    }

    /// A page of a guild leaderboard, with how many guilds are on it: from Redis when it holds
    /// the boards (shared by every instance), else from the process.
    pub async fn leaderboard(
        &self,
        board: Board,
        offset: u64,
        limit: u64,
    ) -> (u64, Vec<GuildStanding>) {
        if let Some(redis) = self.complete_redis()
            && limit > 0
        {
            let mut pipeline = redis::pipe();
            pipeline
                .cmd("ZCARD")
                .arg(redis_key(board))
                .cmd("ZREVRANGE")
                .arg(redis_key(board))
                .arg(offset)
                .arg(offset + limit - 1)
                .arg("WITHSCORES");
            if let Ok((total, entries)) =
                redis.pipeline::<(u64, Vec<(String, f64)>)>(&pipeline).await
            {
                let index = self.read();
                let standings: Option<Vec<GuildStanding>> = entries
                    .into_iter()
                    .zip(offset + 1..)
                    .map(|((member, score), rank)| {
                        let guild_id: u64 = member.parse().ok()?;
                        let entry = index.guilds.get(&guild_id)?;
                        Some(GuildStanding {
                            rank,
                            guild_id,
                            name: entry.name.clone(),
                            tag: entry.tag.clone(),
                            score: score as i64,
                        })
                    })
                    .collect();
                // A guild Redis knows and this process does not yet: the process answers.
                if let Some(standings) = standings {
                    return (total, standings);
                }
            }
        }
        self.local_leaderboard(board, offset, limit)
    }

    fn local_leaderboard(
        &self,
        board: Board,
        offset: u64,
        limit: u64,
    ) -> (u64, Vec<GuildStanding>) {
        let index = self.read();
        let memory = match board {
            Board::Rating => &index.rating,
            Board::Kills => &index.kills,
        };
        let entries = memory
            .range(offset, limit)
            .into_iter()
            .filter_map(|standing| {
                let entry = index.guilds.get(&standing.player_id)?;
                Some(GuildStanding {
                    rank: standing.rank,
                    guild_id: standing.player_id,
                    name: entry.name.clone(),
                    tag: entry.tag.clone(),
                    score: standing.score,
                })
            })
            .collect();
        (memory.len() as u64, entries)
    }
}

impl Index {
    /// Replaces guild `id` with `guild` (a guild that does not exist is removed).
    fn put(&mut self, id: u64, guild: &Guild) {
        if let Some(old) = self.guilds.remove(&id) {
            self.names.remove(&old.name.to_lowercase());
            for (player, _) in old.members {
                if self.member_of.get(&player) == Some(&id) {
                    self.member_of.remove(&player);
                }
            }
        }
        if !guild.exists() {
            return;
        }
        let bank = guild.bank();
        let mut items: BTreeMap<&str, u64> = BTreeMap::new();
        for (item, qty) in &bank.stacks {
            *items.entry(item).or_default() += u64::from(*qty);
        }
        for item in bank.instances.values() {
            *items.entry(item).or_default() += 1;
        }
        let amount = |(id, amount): (&str, u64)| Amount {
            id: id.to_owned(),
            amount,
        };
        let entry = Entry {
            name: guild.name().to_owned(),
            tag: guild.tag().to_owned(),
            members: guild.members().iter().map(|(p, r)| (*p, *r)).collect(),
            bank: BankSummary {
                currencies: bank
                    .currencies
                    .iter()
                    .map(|(currency, held)| amount((currency, *held)))
                    .collect(),
                items: items.into_iter().map(amount).collect(),
            },
        };
        for (player, _) in &entry.members {
            self.member_of.insert(*player, id);
        }
        self.names.insert(entry.name.to_lowercase(), id);
        self.guilds.insert(id, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::ObjectKey;
    use crate::persistence::part::PartState;
    use arbiter_components::guild::GuildEvent;

    fn record(id: u64, guild: Guild) -> ObjectRecord {
        ObjectRecord {
            key: ObjectKey::new(crate::guild::GUILD_KIND, id),
            version: 1,
            updated_at_ms: 0,
            state: guild.exists().then(|| PartState::new(guild)),
        }
    }

    fn guild(name: &str, members: &[u64]) -> Guild {
        let mut guild = Guild::default();
        guild.apply(&GuildEvent::GuildFounded {
            name: name.into(),
            tag: "T".into(),
            leader: members[0],
        });
        for player in &members[1..] {
            guild.apply(&GuildEvent::GuildJoined {
                player: *player,
                by: members[0],
            });
        }
        guild
    }

    #[test]
    fn guilds_are_found_by_id_prefix_and_member_and_ranked_by_their_best_members() {
        let index = GuildIndex::new(2, None);
        // Ratings: player id × 100; kills: 1 each.
        let score = |board: Board, player: u64| match board {
            Board::Rating => Some(player as i64 * 100),
            Board::Kills => Some(1),
        };
        index.committed(
            &[
                record(1, guild("Iron Wolves", &[10, 11, 1])),
                record(2, guild("Iron Bears", &[5, 6, 7, 8])),
            ],
            score,
        );
        assert_eq!(index.summary(1).map(|s| s.member_count), Some(3));
        let found: Vec<u64> = index.search("iron", 10).iter().map(|s| s.id).collect();
        assert_eq!(found, vec![2, 1], "by name");
        assert!(index.search("wolf", 10).is_empty());
        assert_eq!(index.badge(11).map(|b| b.id), Some(1));
        // Best two of wolves: 1100 and 1000; of bears: 800 and 700.
        let (total, top) = index.local_leaderboard(Board::Rating, 0, 10);
        assert_eq!(total, 2);
        assert_eq!((top[0].guild_id, top[0].score), (1, 1050));
        let (_, kills) = index.local_leaderboard(Board::Kills, 0, 10);
        assert_eq!((kills[0].guild_id, kills[0].score), (2, 4));
        let (count, page) = index.members(2, 1, 2).expect("a guild");
        assert_eq!((count, page.len(), page[0].0), (4, 2, 6));
        // A disbanded guild leaves the index, its members and its boards.
        index.committed(&[record(1, Guild::default())], score);
        assert_eq!(index.summary(1), None);
        assert_eq!(index.badge(11), None);
        assert_eq!(index.local_leaderboard(Board::Rating, 0, 10).0, 1);
    }

    #[test]
    fn an_older_member_page_is_served_while_one_request_builds_it_again() {
        let index = GuildIndex::new(2, None);
        let body = Bytes::from_static(b"page");
        assert_eq!(index.cached_page(1, 0, 10), CachedPage::Missing);
        index.cache_page(1, 0, 10, body.clone());
        assert_eq!(index.cached_page(1, 0, 10), CachedPage::Fresh(body.clone()));
        let age = |index: &GuildIndex, age: Duration| {
            let mut pages = index.pages();
            let page = pages.get_mut(&(1, 0, 10)).expect("kept");
            page.served = Instant::now() - age;
        };
        age(&index, MEMBER_PAGE_TTL);
        let stale = |body: &'static [u8], rebuild| CachedPage::Stale {
            body: Bytes::from_static(body),
            rebuild,
        };
        assert_eq!(
            index.cached_page(1, 0, 10),
            stale(b"page", true),
            "the first builds it"
        );
        assert_eq!(
            index.cached_page(1, 0, 10),
            stale(b"page", false),
            "the others do not"
        );
        index.cache_page(1, 0, 10, Bytes::from_static(b"new"));
        assert_eq!(
            index.cached_page(1, 0, 10),
            CachedPage::Fresh(Bytes::from_static(b"new"))
        );
        // A rebuild that failed: built by the next request.
        age(&index, MEMBER_PAGE_TTL);
        assert_eq!(index.cached_page(1, 0, 10), stale(b"new", true));
        index.forget_page(1, 0, 10);
        assert_eq!(index.cached_page(1, 0, 10), CachedPage::Missing);
        // One never rebuilt is not served for good.
        index.cache_page(1, 0, 10, body.clone());
        age(&index, MEMBER_PAGE_STALE_AT_MOST);
        assert_eq!(index.cached_page(1, 0, 10), CachedPage::Missing);
    }
}
