//! Splitting a match into two teams of (nearly) equal strength, parties kept together.

use super::packing::{assign, team_capacities};

/// A ticket as team balancing sees it: how many players, and their mean rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamUnit {
    pub players: u32,
    pub rating: i32,
}

/// Above this many tickets the exhaustive search (2^n) gives way to a greedy split.
const EXHAUSTIVE_LIMIT: usize = 16;

/// Assigns each unit to team 0 or 1: team sizes differ by at most one player where the parties allow
/// it, and the difference of mean ratings is minimal (exhaustive up to 16 tickets, greedy beyond).
pub fn balance_teams(units: &[TeamUnit]) -> Vec<u8> {
    if units.len() <= EXHAUSTIVE_LIMIT {
        exhaustive(units)
    } else {
        greedy(units)
    }
}

/// |mean rating of team 0 − mean rating of team 1|, per player.
pub fn imbalance(units: &[TeamUnit], teams: &[u8]) -> f64 {
    let mut sums = [0f64; 2];
    let mut players = [0u32; 2];
    for (unit, team) in units.iter().zip(teams) {
        let team = usize::from(*team);
        sums[team] += f64::from(unit.rating) * f64::from(unit.players);
        players[team] += unit.players;
    }
    let mean = |team: usize| {
        if players[team] == 0 {
            0.0
        } else {
            sums[team] / f64::from(players[team])
        }
    };
    (mean(0) - mean(1)).abs()
}

/// Players on team 0 and on team 1.
pub fn team_sizes(units: &[TeamUnit], teams: &[u8]) -> [u32; 2] {
    let mut sizes = [0u32; 2];
    for (unit, team) in units.iter().zip(teams) {
        sizes[usize::from(*team)] += unit.players;
    }
    sizes
}

fn exhaustive(units: &[TeamUnit]) -> Vec<u8> {
    let mut best: Option<((u32, f64), u32)> = None;
    // Unit 0 always in team 0: each split is considered once.
    for mask in 0..(1u32 << units.len().saturating_sub(1)) {
        let mask = mask << 1;
        let teams: Vec<u8> = (0..units.len())
            .map(|index| u8::from(mask & (1 << index) != 0))
            .collect();
        let [zero, one] = team_sizes(units, &teams);
        let size_gap = zero.abs_diff(one);
        let key = (size_gap, imbalance(units, &teams));
        if best.is_none_or(|(best_key, _)| {
            key.0 < best_key.0 || (key.0 == best_key.0 && key.1 < best_key.1)
        }) {
            best = Some((key, mask));
        }
    }
    let mask = best.map_or(0, |(_, mask)| mask);
    (0..units.len())
        .map(|index| u8::from(mask & (1 << index) != 0))
        .collect()
}

/// Parties first, then solo players, strongest first within each; each to the weaker team where
/// both teams can still be filled exactly, so parties stay whole and sizes come out equal. Units
/// that admit no exact split (never a match the queue formed) go strongest first to the weaker team
/// with room.
fn greedy(units: &[TeamUnit]) -> Vec<u8> {
    let total: u32 = units.iter().map(|unit| unit.players).sum();
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|index| {
        let unit = units[*index];
        (unit.players == 1, std::cmp::Reverse(unit.rating))
    });
    let seats: Vec<u32> = order.iter().map(|index| units[*index].players).collect();
    let mut strength = [0i64; 2];
    let mut counted = 0;
    let weaker = |position: usize, decided: &[u8]| {
        for (at, team) in decided.iter().enumerate().skip(counted) {
            let unit = units[order[at]];
            strength[usize::from(*team)] += i64::from(unit.rating) * i64::from(unit.players);
        }
        counted = position;
        u8::from(strength[1] < strength[0])
    };
    match assign(&seats, team_capacities(total), weaker) {
        Some(in_order) => {
            let mut teams = vec![0u8; units.len()];
            for (position, team) in in_order.into_iter().enumerate() {
                teams[order[position]] = team;
            }
            teams
        }
        None => strongest_to_weaker_with_room(units),
    }
}

fn strongest_to_weaker_with_room(units: &[TeamUnit]) -> Vec<u8> {
    let total: u32 = units.iter().map(|unit| unit.players).sum();
    let capacity = team_capacities(total);
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|index| std::cmp::Reverse(units[*index].rating));
    let mut teams = vec![0u8; units.len()];
    let mut players = [0u32; 2];
    let mut strength = [0i64; 2];
    for index in order {
        let unit = units[index];
        let fits = |team: usize| players[team] + unit.players <= capacity[team];
        let team = match (fits(0), fits(1)) {
            (true, true) => usize::from(strength[1] < strength[0]),
            (false, true) => 1,
            _ => 0,
        };
        teams[index] = team as u8;
        players[team] += unit.players;
        strength[team] += i64::from(unit.rating) * i64::from(unit.players);
    }
    teams
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solo(rating: i32) -> TeamUnit {
        TeamUnit { players: 1, rating }
    }

    #[test]
    fn ten_solo_players_split_five_five_with_the_best_balance() {
        let units: Vec<_> = [1000, 1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 2300]
            .map(solo)
            .to_vec();
        let teams = balance_teams(&units);
        assert_eq!(teams.iter().filter(|team| **team == 0).count(), 5);
        // Total 14,900: the best 5/5 split has sums 7,400 and 7,500.
        assert!(
            (imbalance(&units, &teams) - 20.0).abs() < 1e-9,
            "{}",
            imbalance(&units, &teams)
        );
    }

    #[test]
    fn a_party_stays_on_one_team() {
        let units = vec![
            TeamUnit {
                players: 3,
                rating: 1500,
            },
            solo(1400),
            solo(1600),
            solo(1500),
            TeamUnit {
                players: 2,
                rating: 1500,
            },
            solo(1500),
            solo(1500),
        ];
        let teams = balance_teams(&units);
        assert_eq!(team_sizes(&units, &teams), [5, 5]);
        assert!(imbalance(&units, &teams) < 1e-9);
    }

    #[test]
    fn large_matches_fall_back_to_a_greedy_split_of_equal_size() {
        let units: Vec<_> = (0..40).map(|index| solo(1000 + index * 25)).collect();
        let teams = balance_teams(&units);
        assert_eq!(teams.iter().filter(|team| **team == 0).count(), 20);
        assert!(
            imbalance(&units, &teams) < 30.0,
            "{}",
            imbalance(&units, &teams)
        );
    }

    #[test]
    fn large_matches_with_parties_keep_them_whole_in_equal_teams() {
        // 3 + 3 + 2 + 2 + 2 and 24 solos: 36 players, 18 a side.
        let mut units = vec![
            TeamUnit {
                players: 3,
                rating: 2000,
            },
            TeamUnit {
                players: 3,
                rating: 1900,
            },
            TeamUnit {
                players: 2,
                rating: 1800,
            },
            TeamUnit {
                players: 2,
                rating: 1700,
            },
            TeamUnit {
                players: 2,
                rating: 1600,
            },
        ];
        units.extend((0..24).map(|index| solo(1200 + index * 20)));
        let teams = balance_teams(&units);
        assert_eq!(team_sizes(&units, &teams), [18, 18]);
        assert!(
            imbalance(&units, &teams) < 60.0,
            "{}",
            imbalance(&units, &teams)
        );
    }

    #[test]
    fn parties_that_cannot_split_evenly_still_get_teams_as_even_as_they_allow() {
        // 17 pairs: 34 players, but pairs only make even teams, so 18 against 16 at best.
        let units: Vec<_> = (0..17)
            .map(|index| TeamUnit {
                players: 2,
                rating: 1500 + index,
            })
            .collect();
        let teams = balance_teams(&units);
        let [zero, one] = team_sizes(&units, &teams);
        assert_eq!(zero.abs_diff(one), 2);
    }
}
