//! In-process leaderboards: rank and top-k in O(log N), kept in the same order as Redis sorted sets
//! (score descending, then player id descending), so both implementations answer alike.

use indexset::BTreeSet;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::HashMap;

/// Which leaderboard.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Board {
    /// By rating (the skill estimate).
    #[default]
    Rating,
    /// By career kills.
    Kills,
}

impl Board {
    pub const ALL: [Board; 2] = [Board::Rating, Board::Kills];

    /// The score a player has on this board: ratings to three decimals, kills as they are. Integer
    /// scores keep both implementations exact (Redis stores doubles; these are exact up to 2^53).
    pub fn score(self, record: &crate::persistence::PlayerRecord) -> i64 {
        match self {
            Board::Rating => (record.rating * 1000.0).round() as i64,
            Board::Kills => record.kills.min(i64::MAX as u64) as i64,
        }
    }

    /// The Redis key of its sorted set.
    pub fn redis_key(self) -> &'static str {
        match self {
            Board::Rating => "leaderboard:rating",
            Board::Kills => "leaderboard:kills",
        }
    }
}

/// One place on a leaderboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Standing {
    /// 1 is the top.
    pub rank: u64,
    pub player_id: u64,
    pub score: i64,
}

/// Sort key: higher score first, then higher id first (as `ZREVRANGE` orders equal scores).
type Key = (Reverse<i64>, Reverse<u64>);

/// One leaderboard in memory.
#[derive(Debug, Default)]
pub struct MemoryBoard {
    order: BTreeSet<Key>,
    scores: HashMap<u64, i64>,
}

impl MemoryBoard {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// Sets a player's score (adding the player if new).
    pub fn set(&mut self, player_id: u64, score: i64) {
        if let Some(old) = self.scores.insert(player_id, score) {
            if old == score {
                return;
            }
            self.order.remove(&(Reverse(old), Reverse(player_id)));
        }
        self.order.insert((Reverse(score), Reverse(player_id)));
    }

    /// Takes a player off the board.
    pub fn remove(&mut self, player_id: u64) {
        if let Some(score) = self.scores.remove(&player_id) {
            self.order.remove(&(Reverse(score), Reverse(player_id)));
        }
    }

    /// The player's score, if it is on the board.
    pub fn score(&self, player_id: u64) -> Option<i64> {
        self.scores.get(&player_id).copied()
    }

    /// Sets a player's score only if the player is not on the board yet.
    pub fn set_if_absent(&mut self, player_id: u64, score: i64) {
        if !self.scores.contains_key(&player_id) {
            self.set(player_id, score);
        }
    }

    /// The player's place, if it is on the board.
    pub fn standing(&self, player_id: u64) -> Option<Standing> {
        let score = *self.scores.get(&player_id)?;
        let rank = self.order.rank(&(Reverse(score), Reverse(player_id))) as u64 + 1;
        Some(Standing {
            rank,
            player_id,
            score,
        })
    }

    /// Up to `limit` places from rank `offset + 1` down.
    pub fn range(&self, offset: u64, limit: u64) -> Vec<Standing> {
        (offset..offset.saturating_add(limit))
            .map_while(|index| {
                self.order
                    .get_index(index as usize)
                    .map(|(Reverse(score), Reverse(player_id))| Standing {
                        rank: index + 1,
                        player_id: *player_id,
                        score: *score,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_score_then_id_and_updates_move_players() {
        let mut board = MemoryBoard::default();
        for (id, score) in [(1, 50), (2, 70), (3, 50), (4, 90)] {
            board.set(id, score);
        }
        let order: Vec<u64> = board.range(0, 10).iter().map(|s| s.player_id).collect();
        assert_eq!(order, [4, 2, 3, 1], "equal scores: higher id first");
        assert_eq!(board.standing(3).map(|s| s.rank), Some(3));
        board.set(1, 100);
        assert_eq!(board.standing(1).map(|s| s.rank), Some(1));
        assert_eq!(board.standing(4).map(|s| s.rank), Some(2));
        assert_eq!(board.len(), 4);
        assert_eq!(board.range(3, 10).len(), 1);
        assert_eq!(board.standing(9), None);
    }
}
