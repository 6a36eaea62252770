//! Delta snapshots: each player's state quantised, then encoded against a snapshot the client
//! acknowledged (its *baseline*), or against nothing (a full snapshot). Decoding yields exactly the
//! quantised state the server encoded, whatever was lost or reordered in between, because the
//! server encodes only against snapshots the client says it holds. The layout is in
//! `docs/protocol.md` (*Delta snapshots*).

use super::EntityState;
use crate::kinematics::{Position, Velocity};
use crate::player::{Aim, Health, PlayerId};
use bevy_math::Vec3;
use bits::{BitReader, BitWriter};
use core::f32::consts::TAU;

/// Centimetres per metre: positions travel in whole centimetres, velocities in cm/s.
const CENTIMETRES: f32 = 100.0;
/// Angle units per turn: yaw and pitch travel in 1/65,536 of a turn (~0.1 mrad).
const ANGLE_UNITS: f32 = 65_536.0;

const SAME_PLAYERS: u8 = 0x01;
/// A player's fields in the order the delta carries them: position x, y, z, velocity x, y, z, yaw,
/// pitch, health.
const CHANNELS: usize = 9;
/// Bits of a channel's width field (the width less one: 1 to 64 bits).
const WIDTH_BITS: u32 = 6;

/// One player's state at the wire's resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuantisedState {
    pub player_id: u64,
    /// Centimetres.
    pub position: [i32; 3],
    /// Centimetres per second.
    pub velocity: [i32; 3],
    /// Turns / 65,536, wrapping.
    pub yaw: u16,
    /// Turns / 65,536, wrapping.
    pub pitch: u16,
    /// Alive is health above zero, as on the server.
    pub health: u16,
}

impl QuantisedState {
    /// A player's state, from its components.
    pub fn of(
        player: &PlayerId,
        position: &Position,
        velocity: &Velocity,
        aim: &Aim,
        health: &Health,
    ) -> Self {
        Self {
            player_id: player.0,
            position: position.0.to_array().map(centimetres),
            velocity: velocity.0.to_array().map(centimetres),
            yaw: angle_units(aim.yaw),
            pitch: angle_units(aim.pitch),
            health: health.0,
        }
    }

    pub fn from_state(state: &EntityState) -> Self {
        Self {
            player_id: state.player_id,
            position: state.position.map(centimetres),
            velocity: state.velocity.map(centimetres),
            yaw: angle_units(state.yaw),
            pitch: angle_units(state.pitch),
            health: state.health,
        }
    }

    /// The state the client sees: metres, and angles in (-π, π].
    pub fn to_state(&self) -> EntityState {
        EntityState {
            player_id: self.player_id,
            position: self.position.map(metres),
            velocity: self.velocity.map(metres),
            yaw: radians(self.yaw),
            pitch: radians(self.pitch),
            health: self.health,
            alive: self.health > 0,
        }
    }
}

/// A position as clients see it in snapshots: each coordinate rounded to the centimetre. What a
/// client aims at is this, not the server's exact position.
pub fn as_sent(position: Vec3) -> Vec3 {
    Vec3::from_array(position.to_array().map(|value| metres(centimetres(value))))
}

fn metres(centimetres: i32) -> f32 {
    centimetres as f32 / CENTIMETRES
}

fn centimetres(metres: f32) -> i32 {
    // `as` saturates; NaN becomes 0.
    (metres * CENTIMETRES).round() as i32
}

fn angle_units(radians: f32) -> u16 {
    ((radians / TAU * ANGLE_UNITS).round() as i64).rem_euclid(65_536) as u16
}

fn radians(units: u16) -> f32 {
    f32::from(units as i16) * TAU / ANGLE_UNITS
}

/// Why a delta could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    #[error("the delta is cut short or has bytes left over")]
    Truncated,
    #[error("the delta says the players are the baseline's, but there is no baseline")]
    NoBaseline,
    #[error("a varint is longer than its type")]
    Varint,
    #[error("too many players for one snapshot")]
    TooMany,
    #[error("the last byte's unused bits are not zero")]
    Padding,
    #[error("a flag the protocol does not define is set")]
    Flags,
}

/// Appends the encoding of `current` against `baseline` (`None`: a full snapshot) to `out`.
/// Both lists are sorted by player id, as the server keeps them.
pub fn encode_delta(
    baseline: Option<&[QuantisedState]>,
    current: &[QuantisedState],
    out: &mut Vec<u8>,
) {
    let same_players = baseline.is_some_and(|baseline| {
        baseline.len() == current.len()
            && baseline
                .iter()
                .zip(current)
                .all(|(old, new)| old.player_id == new.player_id)
    });
    if same_players {
        out.push(SAME_PLAYERS);
    } else {
        out.push(0);
        write_varint(out, current.len() as u64);
        let mut previous = 0;
        for state in current {
            write_varint(out, state.player_id.wrapping_sub(previous));
            previous = state.player_id;
        }
    }
    let zero = QuantisedState::default();
    let differences: Vec<[u64; CHANNELS]> = current
        .iter()
        .map(|state| {
            let old = baseline
                .and_then(|baseline| find(baseline, state.player_id))
                .unwrap_or(&zero);
            differences(state, old)
        })
        .collect();
    let mut bits = BitWriter::new(out);
    for channel in 0..CHANNELS {
        let values = differences.iter().map(|fields| fields[channel]);
        let (width, changed) = values.clone().fold((0, 0), |(width, changed), value| {
            (
                width.max(64 - value.leading_zeros()),
                changed + usize::from(value != 0),
            )
        });
        if width == 0 {
            bits.bit(false);
            continue;
        }
        bits.bit(true);
        bits.write(u64::from(width - 1), WIDTH_BITS);
        let sparse =
            differences.len() + changed * (width as usize) < differences.len() * (width as usize);
        bits.bit(sparse);
        for value in values {
            if sparse {
                bits.bit(value != 0);
                if value == 0 {
                    continue;
                }
            }
            bits.write(value, width);
        }
    }
}

/// Each field of `new` as its zigzagged difference from `old`, in channel order. Angles differ
/// by the wrapping 16-bit difference read as i16.
fn differences(new: &QuantisedState, old: &QuantisedState) -> [u64; CHANNELS] {
    let component = |new: i32, old: i32| zigzag(i64::from(new) - i64::from(old));
    let angle = |new: u16, old: u16| zigzag(i64::from(new.wrapping_sub(old) as i16));
    [
        component(new.position[0], old.position[0]),
        component(new.position[1], old.position[1]),
        component(new.position[2], old.position[2]),
        component(new.velocity[0], old.velocity[0]),
        component(new.velocity[1], old.velocity[1]),
        component(new.velocity[2], old.velocity[2]),
        angle(new.yaw, old.yaw),
        angle(new.pitch, old.pitch),
        zigzag(i64::from(new.health) - i64::from(old.health)),
    ]
}

/// Adds a zigzagged difference to one field of `state`, wrapping like the encoder's subtraction.
fn apply(state: &mut QuantisedState, channel: usize, zigzagged: u64) {
    let difference = unzigzag(zigzagged);
    let component = |value: &mut i32| *value = i64::from(*value).wrapping_add(difference) as i32;
    match channel {
        0..3 => component(&mut state.position[channel]),
        3..6 => component(&mut state.velocity[channel - 3]),
        6 => state.yaw = state.yaw.wrapping_add(difference as u16),
        7 => state.pitch = state.pitch.wrapping_add(difference as u16),
        _ => state.health = i64::from(state.health).wrapping_add(difference) as u16,
    }
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    (value >> 1) as i64 ^ -((value & 1) as i64)
}

/// The variant index of `ServerMessage::DeltaSnapshot` in postcard's encoding.
const DELTA_SNAPSHOT_VARIANT: u64 = 28;

/// A `ServerMessage::DeltaSnapshot` read in place: its fields, its delta borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeltaSnapshotRef<'a> {
    pub tick: u64,
    pub baseline_age: u32,
    pub input_lag: u64,
    pub delta: &'a [u8],
}

/// Reads `bytes` as the `ServerMessage::DeltaSnapshot` that [`encode_delta_snapshot`] writes,
/// without copying its delta: what `decode_server` would give, when this gives anything. None
/// for any other message, and for a snapshot written otherwise than the server writes it (a
/// varint padded with zero groups): the caller decodes those the ordinary way.
pub fn read_delta_snapshot(bytes: &[u8]) -> Option<DeltaSnapshotRef<'_>> {
    let mut reader = Reader(bytes);
    if reader.varint_within(1).ok()? != DELTA_SNAPSHOT_VARIANT {
        return None;
    }
    let tick = reader.varint().ok()?;
    let baseline_age = u32::try_from(reader.varint_within(5).ok()?).ok()?;
    let input_lag = reader.varint().ok()?;
    let len = reader.varint().ok()?;
    (usize::try_from(len).ok()? == reader.0.len()).then_some(DeltaSnapshotRef {
        tick,
        baseline_age,
        input_lag,
        delta: reader.0,
    })
}

/// `ServerMessage::DeltaSnapshot` encoded exactly as `encode` would, straight from a borrowed
/// `delta`, at the end of `out`: the send path writes every client's snapshot into one reused
/// buffer, copying the shared delta once per client.
pub fn encode_delta_snapshot(
    out: &mut Vec<u8>,
    tick: u64,
    baseline_age: u32,
    input_lag: u64,
    delta: &[u8],
) {
    write_varint(out, DELTA_SNAPSHOT_VARIANT);
    write_varint(out, tick);
    write_varint(out, u64::from(baseline_age));
    write_varint(out, input_lag);
    write_varint(out, delta.len() as u64);
    out.extend_from_slice(delta);
}

/// Decodes `data` against `baseline`; `max_players` bounds what a hostile server could make a
/// client allocate.
pub fn decode_delta(
    baseline: Option<&[QuantisedState]>,
    data: &[u8],
    max_players: usize,
) -> Result<Vec<QuantisedState>, DeltaError> {
    let mut states = Vec::new();
    decode_delta_into(baseline, data, max_players, &mut states)?;
    Ok(states)
}

/// [`decode_delta`] into `states`, whose memory is reused (a client recycles its oldest
/// snapshot's); on an error `states` holds nothing of use.
pub fn decode_delta_into(
    baseline: Option<&[QuantisedState]>,
    data: &[u8],
    max_players: usize,
    states: &mut Vec<QuantisedState>,
) -> Result<(), DeltaError> {
    states.clear();
    let mut reader = Reader(data);
    let flags = reader.byte()?;
    if flags & !SAME_PLAYERS != 0 {
        return Err(DeltaError::Flags);
    }
    if flags & SAME_PLAYERS != 0 {
        states.extend_from_slice(baseline.ok_or(DeltaError::NoBaseline)?);
    } else {
        let count = usize::try_from(reader.varint()?).map_err(|_| DeltaError::TooMany)?;
        if count > max_players {
            return Err(DeltaError::TooMany);
        }
        let mut previous = 0u64;
        states.reserve(count);
        for _ in 0..count {
            previous = previous.wrapping_add(reader.varint()?);
            let old = baseline.and_then(|baseline| find(baseline, previous));
            states.push(old.copied().unwrap_or(QuantisedState {
                player_id: previous,
                ..QuantisedState::default()
            }));
        }
    }
    let mut bits = BitReader::new(reader.0);
    for channel in 0..CHANNELS {
        if !bits.bit()? {
            continue;
        }
        let width = bits.read(WIDTH_BITS)? as u32 + 1;
        let sparse = bits.bit()?;
        for state in states.iter_mut() {
            if sparse && !bits.bit()? {
                continue;
            }
            apply(state, channel, bits.read(width)?);
        }
    }
    bits.finish()
}

fn find(states: &[QuantisedState], player_id: u64) -> Option<&QuantisedState> {
    states
        .binary_search_by_key(&player_id, |state| state.player_id)
        .ok()
        .map(|index| &states[index])
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, DeltaError> {
        let (first, rest) = self.0.split_first().ok_or(DeltaError::Truncated)?;
        self.0 = rest;
        Ok(*first)
    }

    /// A varint of at most `max_bytes`, in the shortest form ([`write_varint`]'s): a last group
    /// of zero after the first, or bits past 64, are [`DeltaError::Varint`].
    fn varint_within(&mut self, max_bytes: u32) -> Result<u64, DeltaError> {
        let mut value = 0u64;
        for index in 0..max_bytes.min(10) {
            let byte = self.byte()?;
            let (bits, shift) = (u64::from(byte & 0x7f), 7 * index);
            if shift == 63 && bits > 1 {
                return Err(DeltaError::Varint);
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return if index > 0 && byte == 0 {
                    Err(DeltaError::Varint)
                } else {
                    Ok(value)
                };
            }
        }
        Err(DeltaError::Varint)
    }

    fn varint(&mut self) -> Result<u64, DeltaError> {
        self.varint_within(10)
    }
}

mod bits;
#[cfg(test)]
mod tests;
