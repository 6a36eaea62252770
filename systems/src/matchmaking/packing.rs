//! Seats into two teams: which tickets (solos and parties) can fill a match exactly, with every
//! party whole on one team.
//!
//! A set of tickets with `total` seats fits when its seats split into team 0 and team 1 within the
//! teams' capacities. Since team 1 holds `total − team 0`, the splits of a set are just the possible
//! team-0 seat counts: a bit set ([`Splits`]). Capacities are at most 64 (a match has at most 128
//! players), so one `u128` holds them all.

/// Seats per team for a match of `match_size` players: team 0 takes the odd seat.
pub fn team_capacities(match_size: u32) -> [u32; 2] {
    [match_size.div_ceil(2), match_size / 2]
}

/// The largest party a match of `match_size` can hold: one team.
pub fn max_party_size(match_size: u32) -> u32 {
    match_size / 2
}

/// The possible team-0 seat counts of a set of tickets holding `total` seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Splits {
    team0: u128,
    total: u32,
}

impl Splits {
    /// No ticket yet: both teams empty.
    fn empty() -> Self {
        Self { team0: 1, total: 0 }
    }

    /// The splits once a ticket of `seats` joins, if any still fits the capacities.
    fn with(self, seats: u32, capacities: [u32; 2]) -> Option<Self> {
        if seats > 64 {
            return None;
        }
        let total = self.total + seats;
        let team0 = (self.team0 | self.team0 << seats) & range_mask(total, capacities);
        (team0 != 0).then_some(Self { team0, total })
    }

    /// Whether the set fills both teams exactly.
    fn is_full(self, capacities: [u32; 2]) -> bool {
        self.total == capacities[0] + capacities[1] && self.team0 != 0
    }
}

/// Team-0 seat counts `s` with `s ≤ cap0` and `total − s ≤ cap1`.
fn range_mask(total: u32, capacities: [u32; 2]) -> u128 {
    let low = total.saturating_sub(capacities[1]);
    let high = total.min(capacities[0]);
    if low > high {
        return 0;
    }
    bits_up_to(high) & !((1u128 << low) - 1)
}

/// Bits `0..=n` set (`n` ≤ 64).
fn bits_up_to(n: u32) -> u128 {
    (1u128 << (n + 1)) - 1
}

/// Which tickets to take, given their seats in priority order (oldest first): each in turn,
/// whenever the match can still be filled with it. `None` when no subset fills the match.
///
/// Same-sized tickets are interchangeable, so this takes the oldest of each size it uses. Most
/// of the time taking every ticket that still fits fills the match and is that same choice;
/// only when it does not are the completions of every suffix worked out.
pub(super) fn pick(seats: &[u32], capacities: [u32; 2]) -> Option<Vec<usize>> {
    if let Some(greedy) = pick_greedily(seats, capacities) {
        return Some(greedy);
    }
    let completions = Completions::of(seats, capacities);
    let mut splits = Splits::empty();
    let mut picked = Vec::new();
    let seats_in_match = capacities[0] + capacities[1];
    for (index, &size) in seats.iter().enumerate() {
        if splits.total == seats_in_match {
            break;
        }
        let Some(taken) = splits.with(size, capacities) else {
            continue;
        };
        if completions.completes(index + 1, taken, capacities) {
            splits = taken;
            picked.push(index);
        }
    }
    splits.is_full(capacities).then_some(picked)
}

/// Takes every ticket that still fits; `Some` only if that fills the match.
fn pick_greedily(seats: &[u32], capacities: [u32; 2]) -> Option<Vec<usize>> {
    let mut splits = Splits::empty();
    let mut picked = Vec::new();
    for (index, &size) in seats.iter().enumerate() {
        if let Some(taken) = splits.with(size, capacities) {
            splits = taken;
            picked.push(index);
            if splits.is_full(capacities) {
                return Some(picked);
            }
        }
    }
    None
}

/// For each suffix of a ticket list, the seat pairs (team 0, team 1) some subset of it fills
/// exactly: `rows[i][team1]` is a bit set of team-0 counts.
struct Completions {
    rows: Vec<Vec<u128>>,
}

impl Completions {
    fn of(seats: &[u32], capacities: [u32; 2]) -> Self {
        let width = capacities[1] as usize + 1;
        let team0_mask = bits_up_to(capacities[0]);
        let mut rows = vec![vec![0u128; width]; seats.len() + 1];
        rows[seats.len()][0] = 1;
        for index in (0..seats.len()).rev() {
            let size = seats[index] as usize;
            let (head, tail) = rows.split_at_mut(index + 1);
            let (row, next) = (&mut head[index], &tail[0]);
            for team1 in 0..width {
                let mut reachable = next[team1];
                if size <= 64 {
                    reachable |= (next[team1] << size) & team0_mask;
                }
                if team1 >= size {
                    reachable |= next[team1 - size];
                }
                row[team1] = reachable;
            }
        }
        Self { rows }
    }

    /// Whether tickets from `from` on can complete a set with these splits to a full match.
    fn completes(&self, from: usize, splits: Splits, capacities: [u32; 2]) -> bool {
        let row = &self.rows[from];
        (0..=capacities[0]).any(|team0| {
            if splits.team0 & (1u128 << team0) == 0 {
                return false;
            }
            let team1 = splits.total - team0;
            let (need0, need1) = (capacities[0] - team0, capacities[1] - team1);
            row[need1 as usize] & (1u128 << need0) != 0
        })
    }
}

/// A team for each ticket such that both teams are exactly full, if one exists. Where both teams
/// are possible the ticket goes to `prefer(index)`.
pub(super) fn assign(
    seats: &[u32],
    capacities: [u32; 2],
    mut prefer: impl FnMut(usize, &[u8]) -> u8,
) -> Option<Vec<u8>> {
    let completions = Completions::of(seats, capacities);
    let mut need = capacities;
    let mut teams = Vec::with_capacity(seats.len());
    for (index, &size) in seats.iter().enumerate() {
        let next = &completions.rows[index + 1];
        let fits = |team: usize| {
            let mut rest = need;
            if rest[team] < size {
                return false;
            }
            rest[team] -= size;
            next[rest[1] as usize] & (1u128 << rest[0]) != 0
        };
        let team = match (fits(0), fits(1)) {
            (true, true) => usize::from(prefer(index, &teams) == 1),
            (true, false) => 0,
            (false, true) => 1,
            (false, false) => return None,
        };
        need[team] -= size;
        teams.push(team as u8);
    }
    (need == [0, 0]).then_some(teams)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every subset, the slow way: does some subset split exactly?
    fn some_subset_fills(seats: &[u32], capacities: [u32; 2]) -> bool {
        (0u32..1 << seats.len()).any(|mask| {
            let chosen: Vec<u32> = (0..seats.len())
                .filter(|index| mask & (1 << index) != 0)
                .map(|index| seats[index])
                .collect();
            chosen.iter().sum::<u32>() == capacities[0] + capacities[1]
                && (0u32..1 << chosen.len()).any(|sides| {
                    let team0: u32 = (0..chosen.len())
                        .filter(|index| sides & (1 << index) == 0)
                        .map(|index| chosen[index])
                        .sum();
                    team0 == capacities[0]
                })
        })
    }

    #[test]
    fn taking_every_ticket_that_fits_can_miss_a_match_the_lookahead_finds() {
        // Teams of 3: 2 and 2 fit, then 1 makes 5 and nothing completes; 3 + (2, 1) does.
        let seats = [2, 2, 1, 3];
        assert_eq!(pick_greedily(&seats, [3, 3]), None);
        let picked = pick(&seats, [3, 3]).expect("a match exists");
        assert_eq!(picked, vec![0, 2, 3], "the oldest 2, the 1 and the 3");
    }

    #[test]
    fn parties_that_cannot_split_evenly_never_make_a_match() {
        // Teams of 5 from parties of 3 only: 3 + 3 > 5, so a team holds at most one party.
        assert_eq!(pick(&[3, 3, 3, 3], [5, 5]), None);
        assert_eq!(pick(&[3, 3, 2, 2], [5, 5]), Some(vec![0, 1, 2, 3]));
    }

    #[test]
    fn odd_matches_give_team_zero_the_extra_seat() {
        assert_eq!(team_capacities(7), [4, 3]);
        assert_eq!(max_party_size(7), 3);
        assert_eq!(assign(&[3, 4], [4, 3], |_, _| 0), Some(vec![1, 0]));
    }

    proptest! {
        #[test]
        fn picking_finds_a_match_exactly_when_one_exists(
            seats in proptest::collection::vec(1u32..5, 0..12),
            match_size in 2u32..11,
        ) {
            let capacities = team_capacities(match_size);
            let seats: Vec<u32> = seats.into_iter().filter(|size| *size <= capacities[1].max(1)).collect();
            let picked = pick(&seats, capacities);
            prop_assert_eq!(picked.is_some(), some_subset_fills(&seats, capacities));
            if let Some(picked) = picked {
                let chosen: Vec<u32> = picked.iter().map(|index| seats[*index]).collect();
                let teams = assign(&chosen, capacities, |index, _| (index % 2) as u8);
                let teams = teams.expect("a picked set splits into the two teams");
                for team in 0..2u8 {
                    let filled: u32 = chosen.iter().zip(&teams).filter(|(_, t)| **t == team).map(|(s, _)| *s).sum();
                    prop_assert_eq!(filled, capacities[usize::from(team)]);
                }
            }
        }
    }
}
