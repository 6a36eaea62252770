//! Which shard holds a player: jump consistent hash (Lamping & Veach, 2014) of the player id.
//!
//! Why not `id % shards` (the seed's choice): going from N to N + 1 shards moves only ~1/(N + 1) of the
//! players with jump hash, against ~N/(N + 1) with modulo, and only into the new shard. To add a
//! shard, an operator stops the server, appends its URL to `[persistence] shards` (never reorders or
//! removes one), runs `arbiter rebalance` (which migrates the new shard and moves the players that now
//! belong to it, see [`super::Store::rebalance`]), and starts the server again.

/// The shard of `player_id` among `shards` shards (0 when there are none or one).
pub fn shard_of(player_id: u64, shards: usize) -> usize {
    let buckets = shards.max(1) as i64;
    let mut key = player_id;
    let mut bucket: i64 = -1;
    let mut next: i64 = 0;
    while next < buckets {
        bucket = next;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        next = ((bucket + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    bucket as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shard_holds_everyone_and_shards_share_players_evenly() {
        assert_eq!(shard_of(12_345, 1), 0);
        assert_eq!(shard_of(12_345, 0), 0);
        let mut counts = [0u32; 4];
        for id in 0..40_000u64 {
            counts[shard_of(id, 4)] += 1;
        }
        for count in counts {
            assert!((9_000..11_000).contains(&count), "{counts:?}");
        }
    }

    #[test]
    fn adding_a_shard_moves_about_one_player_in_n_and_only_to_the_new_shard() {
        let players = 100_000u64;
        let moved: Vec<u64> = (0..players)
            .filter(|id| shard_of(*id, 4) != shard_of(*id, 5))
            .collect();
        let share = moved.len() as f64 / players as f64;
        assert!((0.18..0.22).contains(&share), "moved {share}");
        assert!(moved.iter().all(|id| shard_of(*id, 5) == 4));
    }

    #[test]
    fn the_mapping_is_stable_across_releases() {
        // Changing these moves stored players: never change the function.
        let shards: Vec<usize> = [1u64, 2, 3, 1 << 52, u64::MAX]
            .iter()
            .map(|id| shard_of(*id, 8))
            .collect();
        // Computed independently (Python, the paper's algorithm).
        assert_eq!(shards, [6, 6, 3, 0, 7]);
    }
}
