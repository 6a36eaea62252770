//! What a fleet seals into a player's connect token besides the player id (in the token's user
//! data, after the id, encrypted with the key the fleet shares, so the client cannot change it):
//!
//! - a [`Seat`]: the match on the game server the token is for, with everything that server needs
//!   to start it when the whole roster has arrived — without asking anyone;
//! - a [`Requeue`]: on a token back to the matchmaker after a match that did not happen (called off,
//!   or its game server died): queue the player again at once, in the same mode, with the wait it
//!   had when the match formed.
//!
//! Both carry that wait as a duration, not a time: matchmakers and game servers need not agree on
//! a clock, and whichever matchmaker the player comes back to credits it the same.
//!
//! Layout after the player id (bytes 0..8), little-endian: a kind byte (0 nothing, 1 seat,
//! 2 requeue), then for a seat: match id (8), team (1), players per team (2 × 1), mode (2), wait in
//! ms (4), map name length (1), map name (UTF-8, at most [`MAX_MAP_BYTES`]); for a requeue: match
//! id (8), mode (2), wait in ms (4), called off (1: 0 or 1).

use crate::netcode::USER_DATA_BYTES;

/// The longest map name a seat carries.
pub const MAX_MAP_BYTES: usize = USER_DATA_BYTES - PAYLOAD - 18;

const KIND: usize = 8;
const PAYLOAD: usize = 9;
const SEAT: u8 = 1;
const REQUEUE: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// Never 0.
    pub match_id: u64,
    /// 0 or 1.
    pub team: u8,
    /// How many players each team has: the match starts when they all arrived.
    pub team_sizes: [u8; 2],
    pub mode: u16,
    /// How long the player had queued for this match: kept should it not happen.
    pub waited_ms: u32,
    pub map: String,
}

/// Queue the player again at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requeue {
    /// The match that did not happen.
    pub match_id: u64,
    pub mode: u16,
    /// How long the player had queued for it: its ticket is as old as that.
    pub waited_ms: u32,
    /// Its game server called the match off (not every player arrived, or it had no room), rather
    /// than went silent: the player queues again even while its claim still names the match.
    pub called_off: bool,
}

/// Why a seat cannot go into a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeatError {
    #[error("a seat's match id is never 0")]
    NoMatch,
    #[error("team {0} does not exist (0 or 1)")]
    Team(u8),
    #[error("map name {0:?} is longer than {MAX_MAP_BYTES} bytes")]
    MapName(String),
}

impl Seat {
    /// Writes the seat into user data that already carries the player id.
    pub fn write(&self, user_data: &mut [u8; USER_DATA_BYTES]) -> Result<(), SeatError> {
        if self.match_id == 0 {
            return Err(SeatError::NoMatch);
        }
        if self.team > 1 {
            return Err(SeatError::Team(self.team));
        }
        let map = self.map.as_bytes();
        if map.len() > MAX_MAP_BYTES {
            return Err(SeatError::MapName(self.map.clone()));
        }
        user_data[KIND] = SEAT;
        let seat = &mut user_data[PAYLOAD..];
        seat[..8].copy_from_slice(&self.match_id.to_le_bytes());
        seat[8] = self.team;
        seat[9..11].copy_from_slice(&self.team_sizes);
        seat[11..13].copy_from_slice(&self.mode.to_le_bytes());
        seat[13..17].copy_from_slice(&self.waited_ms.to_le_bytes());
        seat[17] = map.len() as u8;
        seat[18..18 + map.len()].copy_from_slice(map);
        Ok(())
    }

    /// The seat in user data, if the token has one (and it is well formed: the issuer is trusted,
    /// but a token from an older issuer may carry nothing).
    pub fn read(user_data: &[u8; USER_DATA_BYTES]) -> Option<Self> {
        if user_data[KIND] != SEAT {
            return None;
        }
        let seat = &user_data[PAYLOAD..];
        let match_id = u64::from_le_bytes(seat[..8].try_into().ok()?);
        let map_len = usize::from(seat[17]);
        if match_id == 0 || seat[8] > 1 || map_len > MAX_MAP_BYTES {
            return None;
        }
        Some(Self {
            match_id,
            team: seat[8],
            team_sizes: [seat[9], seat[10]],
            mode: u16::from_le_bytes([seat[11], seat[12]]),
            waited_ms: u32::from_le_bytes(seat[13..17].try_into().ok()?),
            map: String::from_utf8(seat[18..18 + map_len].to_vec()).ok()?,
        })
    }
}

impl Requeue {
    /// Writes the requeue into user data that already carries the player id.
    pub fn write(&self, user_data: &mut [u8; USER_DATA_BYTES]) {
        user_data[KIND] = REQUEUE;
        let requeue = &mut user_data[PAYLOAD..];
        requeue[..8].copy_from_slice(&self.match_id.to_le_bytes());
        requeue[8..10].copy_from_slice(&self.mode.to_le_bytes());
        requeue[10..14].copy_from_slice(&self.waited_ms.to_le_bytes());
        requeue[14] = u8::from(self.called_off);
    }

    pub fn read(user_data: &[u8; USER_DATA_BYTES]) -> Option<Self> {
        if user_data[KIND] != REQUEUE {
            return None;
        }
        let requeue = &user_data[PAYLOAD..];
        Some(Self {
            match_id: u64::from_le_bytes(requeue[..8].try_into().ok()?),
            mode: u16::from_le_bytes([requeue[8], requeue[9]]),
            waited_ms: u32::from_le_bytes(requeue[10..14].try_into().ok()?),
            called_off: requeue[14] == 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{player_id_from_user_data, user_data_for_player};

    fn seat() -> Seat {
        Seat {
            match_id: (7 << 32) | 12,
            team: 1,
            team_sizes: [5, 4],
            mode: 3,
            waited_ms: 41_250,
            map: "x".repeat(MAX_MAP_BYTES),
        }
    }

    #[test]
    fn a_seat_survives_the_user_data_next_to_the_player_id() {
        let mut user_data = user_data_for_player(99);
        assert_eq!(Seat::read(&user_data), None, "no seat yet");
        seat().write(&mut user_data).expect("fits");
        assert_eq!(Seat::read(&user_data), Some(seat()));
        assert_eq!(Requeue::read(&user_data), None, "a seat is no requeue");
        assert_eq!(player_id_from_user_data(&user_data), 99);
    }

    #[test]
    fn a_requeue_survives_the_user_data_next_to_the_player_id() {
        let requeue = Requeue {
            match_id: 9,
            mode: 2,
            waited_ms: u32::MAX,
            called_off: true,
        };
        let mut user_data = user_data_for_player(5);
        requeue.write(&mut user_data);
        assert_eq!(Requeue::read(&user_data), Some(requeue));
        assert_eq!(Seat::read(&user_data), None, "a requeue is no seat");
        assert_eq!(player_id_from_user_data(&user_data), 5);
    }

    #[test]
    fn a_seat_that_cannot_be_read_back_is_refused() {
        let mut user_data = user_data_for_player(1);
        let long = Seat {
            map: "x".repeat(MAX_MAP_BYTES + 1),
            ..seat()
        };
        assert!(matches!(
            long.write(&mut user_data),
            Err(SeatError::MapName(_))
        ));
        let no_match = Seat {
            match_id: 0,
            ..seat()
        };
        assert_eq!(no_match.write(&mut user_data), Err(SeatError::NoMatch));
        assert_eq!(
            Seat { team: 2, ..seat() }.write(&mut user_data),
            Err(SeatError::Team(2))
        );
    }
}
