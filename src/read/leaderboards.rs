//! The rating and kills leaderboards: always in process (O(log N) rank and top-k), mirrored into
//! Redis sorted sets (`ZADD` per flush, pipelined) when Redis is configured. Reads ask Redis first
//! (shared by every instance) and fall back to the process when it cannot answer.

use super::board::{Board, MemoryBoard, Standing};
use super::redis_link::RedisLink;
use crate::persistence::PlayerRecord;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Zero-padded members sort lexicographically as numbers, so Redis breaks ties like the process.
fn member(player_id: u64) -> String {
    format!("{player_id:020}")
}

#[derive(Debug, Default)]
pub struct Leaderboards {
    rating: RwLock<MemoryBoard>,
    kills: RwLock<MemoryBoard>,
    redis: Option<RedisLink>,
    /// Whether Redis holds complete boards: false until built and while rebuilding, when reads
    /// come from the process instead of a partial Redis board.
    redis_complete: AtomicBool,
}

impl Leaderboards {
    pub fn new(redis: Option<RedisLink>) -> Self {
        Self {
            redis,
            ..Self::default()
        }
    }

    /// Redis, when it holds complete boards.
    fn complete_redis(&self) -> Option<&RedisLink> {
        self.redis
            .as_ref()
            .filter(|_| self.redis_complete.load(Ordering::Acquire))
    }

    /// The Redis boards are complete again (a rebuild finished).
    pub fn redis_rebuilt(&self) {
        self.redis_complete.store(true, Ordering::Release);
    }

    fn memory(&self, board: Board) -> &RwLock<MemoryBoard> {
        match board {
            Board::Rating => &self.rating,
            Board::Kills => &self.kills,
        }
    }

    fn read(&self, board: Board) -> std::sync::RwLockReadGuard<'_, MemoryBoard> {
        self.memory(board)
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A player's score on the in-process board.
    pub fn local_score(&self, board: Board, player_id: u64) -> Option<i64> {
        self.read(board).score(player_id)
    }

    /// Players on the in-process board.
    pub fn len(&self, board: Board) -> usize {
        self.read(board).len()
    }

    /// Puts `records` (just committed) on every board: in process now, in Redis in one pipeline.
    /// Returns whether Redis took them (`true` without Redis).
    pub async fn update(&self, records: &[PlayerRecord]) -> bool {
        self.put(records, false).await
    }

    /// Puts `records` (read from a database while rebuilding) on every board where the player is not
    /// yet: a score set by a commit meanwhile is newer and stays (`ZADD NX` on Redis).
    pub async fn fill(&self, records: &[PlayerRecord]) -> bool {
        self.put(records, true).await
    }

    async fn put(&self, records: &[PlayerRecord], only_new: bool) -> bool {
        for board in Board::ALL {
            let mut memory = self
                .memory(board)
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for record in records {
                if only_new {
                    memory.set_if_absent(record.id, board.score(record));
                } else {
                    memory.set(record.id, board.score(record));
                }
            }
        }
        let Some(redis) = &self.redis else {
            return true;
        };
        let mut pipeline = redis::pipe();
        for board in Board::ALL {
            for chunk in records.chunks(1000) {
                let command = pipeline.cmd("ZADD").arg(board.redis_key());
                if only_new {
                    command.arg("NX");
                }
                for record in chunk {
                    command.arg(board.score(record)).arg(member(record.id));
                }
                command.ignore();
            }
        }
        redis.pipeline::<()>(&pipeline).await.is_ok()
    }

    /// Players on the Redis board, `None` without Redis or when it cannot answer.
    pub async fn redis_len(&self, board: Board) -> Option<usize> {
        let redis = self.redis.as_ref()?;
        redis
            .command(redis::cmd("ZCARD").arg(board.redis_key()))
            .await
            .ok()
    }

    pub async fn standing(&self, board: Board, player_id: u64) -> Option<Standing> {
        if let Some(redis) = self.complete_redis() {
            let mut pipeline = redis::pipe();
            pipeline
                .cmd("ZREVRANK")
                .arg(board.redis_key())
                .arg(member(player_id))
                .cmd("ZSCORE")
                .arg(board.redis_key())
                .arg(member(player_id));
            if let Ok((Some(rank), Some(score))) = redis
                .pipeline::<(Option<u64>, Option<f64>)>(&pipeline)
                .await
            {
                return Some(Standing {
                    rank: rank + 1,
                    player_id,
                    score: score as i64,
                });
            }
        }
        // Redis cannot answer, or lacks a player this process knows (it lost its data and the
        // upkeep has not noticed yet): the process answers.
        self.read(board).standing(player_id)
    }

    pub async fn range(&self, board: Board, offset: u64, limit: u64) -> Vec<Standing> {
        if limit == 0 {
            return Vec::new();
        }
        if let Some(redis) = self.complete_redis() {
            let mut command = redis::cmd("ZREVRANGE");
            command
                .arg(board.redis_key())
                .arg(offset)
                .arg(offset + limit - 1)
                .arg("WITHSCORES");
            let known = (self.read(board).len() as u64)
                .saturating_sub(offset)
                .min(limit);
            if let Ok(entries) = redis.command::<Vec<(String, f64)>>(&command).await
                && entries.len() as u64 >= known
            {
                return entries
                    .into_iter()
                    .zip(offset + 1..)
                    .filter_map(|((member, score), rank)| {
                        Some(Standing {
                            rank,
                            player_id: member.parse().ok()?,
                            score: score as i64,
                        })
                    })
                    .collect();
            }
        }
        self.read(board).range(offset, limit)
    }

    pub async fn around(&self, board: Board, player_id: u64, radius: u64) -> Option<Vec<Standing>> {
        let index = self.standing(board, player_id).await?.rank - 1;
        let first = index.saturating_sub(radius);
        Some(self.range(board, first, index + radius - first + 1).await)
    }

    /// Empties the Redis boards before a rebuild from the databases; reads use the process until
    /// [`Leaderboards::redis_rebuilt`].
    pub async fn clear_redis(&self) -> bool {
        let Some(redis) = &self.redis else {
            return true;
        };
        self.redis_complete.store(false, Ordering::Release);
        // UNLINK frees a big sorted set in the background instead of blocking Redis.
        let mut command = redis::cmd("UNLINK");
        for board in Board::ALL {
            command.arg(board.redis_key());
        }
        redis.command::<()>(&command).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn around_a_player_is_clipped_at_both_ends() {
        let boards = Leaderboards::new(None);
        let records: Vec<PlayerRecord> = (1..=10)
            .map(|id| {
                let mut record = PlayerRecord::new(id);
                record.kills = id * 10;
                record
            })
            .collect();
        assert!(boards.update(&records).await);
        let ranks = |list: Option<Vec<Standing>>| {
            list.unwrap_or_default()
                .iter()
                .map(|s| s.rank)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ranks(boards.around(Board::Kills, 5, 2).await),
            [4, 5, 6, 7, 8]
        );
        assert_eq!(ranks(boards.around(Board::Kills, 10, 2).await), [1, 2, 3]);
        assert_eq!(ranks(boards.around(Board::Kills, 1, 2).await), [8, 9, 10]);
        assert_eq!(boards.around(Board::Kills, 11, 2).await, None);
    }

    #[tokio::test]
    async fn a_rebuild_never_overwrites_a_newer_score() {
        let boards = Leaderboards::new(None);
        let mut newer = PlayerRecord::new(1);
        newer.kills = 50;
        boards.update(&[newer]).await;
        let mut stale = PlayerRecord::new(1);
        stale.kills = 10;
        let mut other = PlayerRecord::new(2);
        other.kills = 20;
        boards.fill(&[stale, other]).await;
        let kills = |id| boards.read(Board::Kills).standing(id).map(|s| s.score);
        assert_eq!(kills(1), Some(50));
        assert_eq!(kills(2), Some(20));
    }
}
