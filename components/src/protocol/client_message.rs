//! What a client sends.

use super::ClientChannel;
use super::economy::ItemRequest;
use crate::guild::GuildRequest;
use crate::party::PartyRequest;
use crate::trade::TradeRequest;
use serde::{Deserialize, Serialize};

/// One frame of player input, for one server tick.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InputFrame {
    /// Server tick this input is meant for (the client's estimate of the server clock).
    pub tick: u64,
    /// Strafe, −1 (left) to 1 (right).
    pub move_x: f32,
    /// Forward, −1 (back) to 1 (forward).
    pub move_y: f32,
    /// Radians, around the vertical axis.
    pub yaw: f32,
    /// Radians, −π/2 (down) to π/2 (up).
    pub pitch: f32,
    /// Bit set of held buttons (bit 0: jump, bit 1: crouch, bit 2: sprint; others reserved).
    pub buttons: u32,
}

impl InputFrame {
    /// Whether every value is finite and in range; anything else is a malformed message.
    pub fn is_well_formed(&self) -> bool {
        let unit = -1.0..=1.0;
        unit.contains(&self.move_x)
            && unit.contains(&self.move_y)
            && self.yaw.is_finite()
            && (-core::f32::consts::FRAC_PI_2..=core::f32::consts::FRAC_PI_2).contains(&self.pitch)
    }
}

/// Every message a client can send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientMessage {
    /// Movement and aim for one tick.
    Input(InputFrame),
    /// A shot, as the client saw the world at `client_tick`. `target` is the player the client's own
    /// hit detection says it hit, if any: the server decides the hit itself, but a claimed target
    /// behind a wall or beyond range is refused (a wall hack or a long shot), while an unclaimed
    /// shot into a wall is just a miss.
    Fire {
        client_tick: u64,
        yaw: f32,
        pitch: f32,
        weapon: u8,
        target: Option<u64>,
    },
    /// Ask to be matched in game mode `mode`.
    JoinQueue { mode: u16 },
    /// Leave the matchmaking queue.
    LeaveQueue,
    /// Round-trip probe; the server answers `Pong` with the same `client_time_us`.
    Ping { client_time_us: u64 },
    /// Equip, unequip, use, discard or buy; answered by `InventoryChanged` or `ItemRefused`.
    Item(ItemRequest),
    /// Invite, answer, offer, accept or cancel; answered by `TradeChanged`, `TradeEnded` or
    /// `TradeRefused`.
    Trade(TradeRequest),
    /// Found, invite, apply, answer, leave, manage members, disband or chat; answered by `Guild`,
    /// `GuildChanged`, `GuildChat` or `GuildRefused`.
    Guild(GuildRequest),
    /// Invite, answer, leave, kick or disband; answered by `Party`, `PartyInvited`, `PartyEnded`
    /// or `PartyRefused`. The party's leader queues it with `JoinQueue`.
    Party(PartyRequest),
    /// The newest snapshot the client has reconstructed: the server encodes later snapshots as
    /// deltas against it. Unreliable; `arbiter_client` sends it whenever a newer snapshot arrived.
    AckSnapshot { tick: u64 },
}

impl ClientMessage {
    /// Whether its values are in range (inputs), its ids of a possible length (item and trade
    /// requests) and its offer of a possible size; anything else is a malformed message.
    pub fn is_well_formed(&self) -> bool {
        match self {
            ClientMessage::Input(frame) => frame.is_well_formed(),
            ClientMessage::Item(request) => request.is_well_formed(),
            ClientMessage::Trade(request) => request.is_well_formed(),
            ClientMessage::Guild(request) => request.is_well_formed(),
            _ => true,
        }
    }

    /// The channel this message must be sent on.
    pub fn channel(&self) -> ClientChannel {
        match self {
            ClientMessage::Input(_) | ClientMessage::AckSnapshot { .. } => ClientChannel::Input,
            _ => ClientChannel::Command,
        }
    }
}
