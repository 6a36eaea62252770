//! A seat in a match placed on a game server of a fleet: the matchmaker seals it into the player's
//! connect token for that server (after the player id, in the token's user data), so the game server
//! knows which match and team the player came for, and everything it needs to start the match when
//! the whole roster has arrived — without asking anyone. The client cannot change it: the user data
//! is encrypted with the key the fleet shares.
//!
//! Layout after the player id (bytes 0..8), little-endian: match id (8), team (1), players per team
//! (2 × 1), mode (2), map name length (1) and the map name (UTF-8, at most [`MAX_MAP_BYTES`]).
//! A token without a seat has a zero match id.

use crate::netcode::USER_DATA_BYTES;

/// The longest map name a seat carries.
pub const MAX_MAP_BYTES: usize = USER_DATA_BYTES - SEAT_START - 15;

const SEAT_START: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// Never 0.
    pub match_id: u64,
    /// 0 or 1.
    pub team: u8,
    /// How many players each team has: the match starts when they all arrived.
    pub team_sizes: [u8; 2],
    pub mode: u16,
    pub map: String,
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
        let seat = &mut user_data[SEAT_START..];
        seat[..8].copy_from_slice(&self.match_id.to_le_bytes());
        seat[8] = self.team;
        seat[9..11].copy_from_slice(&self.team_sizes);
        seat[11..13].copy_from_slice(&self.mode.to_le_bytes());
        seat[13] = map.len() as u8;
        seat[14..14 + map.len()].copy_from_slice(map);
        Ok(())
    }

    /// The seat in user data, if the token has one (and it is well formed: the issuer is trusted,
    /// but a token from an older issuer may carry nothing).
    pub fn read(user_data: &[u8; USER_DATA_BYTES]) -> Option<Self> {
        let seat = &user_data[SEAT_START..];
        let match_id = u64::from_le_bytes(seat[..8].try_into().ok()?);
        let map_len = usize::from(seat[13]);
        if match_id == 0 || seat[8] > 1 || map_len > MAX_MAP_BYTES {
            return None;
        }
        Some(Self {
            match_id,
            team: seat[8],
            team_sizes: [seat[9], seat[10]],
            mode: u16::from_le_bytes([seat[11], seat[12]]),
            map: String::from_utf8(seat[14..14 + map_len].to_vec()).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::{player_id_from_user_data, user_data_for_player};

    #[test]
    fn a_seat_survives_the_user_data_next_to_the_player_id() {
        let seat = Seat {
            match_id: (7 << 32) | 12,
            team: 1,
            team_sizes: [5, 4],
            mode: 3,
            map: "x".repeat(MAX_MAP_BYTES),
        };
        let mut user_data = user_data_for_player(99);
        assert_eq!(Seat::read(&user_data), None, "no seat yet");
        seat.write(&mut user_data).expect("fits");
        assert_eq!(Seat::read(&user_data), Some(seat));
        assert_eq!(player_id_from_user_data(&user_data), 99);
    }

    #[test]
    fn a_seat_that_cannot_be_read_back_is_refused() {
        let seat = Seat {
            match_id: 1,
            team: 0,
            team_sizes: [1, 1],
            mode: 0,
            map: "m".into(),
        };
        let mut user_data = user_data_for_player(1);
        let long = Seat {
            map: "x".repeat(MAX_MAP_BYTES + 1),
            ..seat.clone()
        };
        assert!(matches!(
            long.write(&mut user_data),
            Err(SeatError::MapName(_))
        ));
        let no_match = Seat {
            match_id: 0,
            ..seat.clone()
        };
        assert_eq!(no_match.write(&mut user_data), Err(SeatError::NoMatch));
        assert_eq!(
            Seat { team: 2, ..seat }.write(&mut user_data),
            Err(SeatError::Team(2))
        );
    }
}
