//! The wire protocol between game clients and the server. `docs/protocol.md` describes it byte by
//! byte for clients written in other languages.
//!
//! Messages are serde enums encoded with postcard (varint integers, little-endian floats, one-byte
//! enum tags): compact on the wire, with a published format specification. Every message travels on
//! a renet channel chosen by its kind: inputs and snapshots unreliable, everything else reliable and
//! ordered.

mod channels;
mod client_message;
mod codec;
mod delta;
mod economy;
mod guild;
mod party;
mod server_message;
mod trade;

/// The guild and trade types on the wire, so that a client needs this module alone.
pub use crate::guild::{GuildRefusal, GuildRequest, GuildRole};
pub use crate::party::{PartyRefusal, PartyRequest};
pub use crate::trade::{TradeCancel, TradeFailure, TradePhase, TradeRefusal, TradeRequest};
pub use channels::{ClientChannel, IDLE_SEND_INTERVAL, ServerChannel, connection_config};
pub use client_message::{ClientMessage, InputFrame};
pub use codec::{DecodeError, decode_client, decode_server, encode, encode_into};
pub use delta::{
    DeltaError, DeltaSnapshotRef, QuantisedState, as_sent, decode_delta, decode_delta_into,
    encode_delta, encode_delta_snapshot, read_delta_snapshot,
};
pub use economy::{InventoryDelta, InventoryView, ItemRefusal, ItemRequest};
pub use guild::{BankView, GuildChange, GuildChatLine, GuildMemberView, GuildView};
pub use party::{PartyExit, PartyMemberView, PartyView, QueueCancel};
pub use server_message::{
    EntityState, ErrorCode, KickReason, ScoreLine, ServerMessage, ShotOutcome,
};
pub use trade::{MAX_OFFER_LINES, TradeOffer, TradeOutcome, TradeView, lines_well_formed};

/// Version of this protocol. Bump it on any change to a message or channel: it is folded into the
/// netcode protocol id, so clients of another version are refused at connect.
pub const PROTOCOL_VERSION: u32 = 11;

/// "ARBITER" in ASCII, the high bytes of the netcode protocol id.
const PROTOCOL_MAGIC: u64 = 0x4152_4249_5445_5200;

/// The netcode protocol id of this protocol version: connect tokens carry it and the server refuses
/// tokens with another.
pub const fn protocol_id() -> u64 {
    PROTOCOL_MAGIC ^ PROTOCOL_VERSION as u64
}
