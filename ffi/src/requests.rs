//! Typed senders, one per client request. Each queues its message; the next `arbiter_update`
//! sends it. A request the server refuses comes back as a `*_REFUSED` or `ERROR` event; these
//! functions only refuse what can never be sent (a null, an oversized argument, a closed
//! connection).
#![expect(
    unsafe_code,
    reason = "exported under C names; pointer arguments go through crate::raw"
)]

use crate::handles::{self, ArbiterHandle};
use crate::raw::{array_arg, optional_arg, text_arg};
use crate::result::ArbiterResult;
use arbiter_client::protocol::{
    ClientMessage, GuildRequest, InputFrame, ItemRequest, PartyRequest, TradeRequest,
};
use arbiter_components::guild::{MAX_CHAT_BYTES, MAX_NAME_CHARS};
use arbiter_components::inventory::{EquipSlot, InstanceId};
use arbiter_components::items::MAX_ID_LEN;
use arbiter_components::protocol::MAX_OFFER_LINES;
use std::ffi::c_char;

/// One frame of input.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterInput {
    /// The server tick this input is for (the client's estimate of the server clock).
    pub tick: u64,
    /// Strafe, -1 (left) to 1 (right).
    pub move_x: f32,
    /// Forward, -1 (back) to 1 (forward).
    pub move_y: f32,
    /// Radians around the vertical axis.
    pub yaw: f32,
    /// Radians, -pi/2 (down) to pi/2 (up).
    pub pitch: f32,
    /// Bit 0 jump, bit 1 crouch, bit 2 sprint.
    pub buttons: u32,
}

/// A weapon or consumable instance: unique across the game.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArbiterInstanceId {
    pub origin: u64,
    pub serial: u64,
}

/// Units of a stackable item.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterStack {
    pub item: *const c_char,
    pub units: u32,
}

/// An amount of a currency.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterCurrency {
    pub currency: *const c_char,
    pub amount: u64,
}

/// Items and currency to move: a trade offer, a guild bank deposit or withdrawal. Each array may be
/// null when its count is 0, and holds at most 256 lines.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterOffer {
    pub stacks: *const ArbiterStack,
    pub stack_count: usize,
    pub instances: *const ArbiterInstanceId,
    pub instance_count: usize,
    pub currencies: *const ArbiterCurrency,
    pub currency_count: usize,
}

/// An equipment slot.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArbiterSlot {
    Primary = 0,
    Secondary = 1,
    Consumable = 2,
}

impl From<ArbiterInstanceId> for InstanceId {
    fn from(id: ArbiterInstanceId) -> Self {
        InstanceId {
            origin: id.origin,
            serial: id.serial,
        }
    }
}

fn slot_of(slot: i32) -> Result<EquipSlot, ArbiterResult> {
    match slot {
        0 => Ok(EquipSlot::Primary),
        1 => Ok(EquipSlot::Secondary),
        2 => Ok(EquipSlot::Consumable),
        _ => Err(ArbiterResult::InvalidArgument),
    }
}

/// Queues `message` on `handle`'s connection.
fn send(handle: ArbiterHandle, message: ClientMessage) -> i32 {
    handles::with_session(handle, |session| session.send(&message)) as i32
}

/// Builds the message (reading the caller's arguments), then queues it.
fn send_built(
    handle: ArbiterHandle,
    build: impl FnOnce() -> Result<ClientMessage, ArbiterResult>,
) -> i32 {
    handles::with_session(handle, |session| match build() {
        Ok(message) => session.send(&message),
        Err(error) => error,
    }) as i32
}

/// An item or offer id argument.
///
/// # Safety
/// As [`text_arg`].
unsafe fn id_arg(pointer: *const c_char) -> Result<String, ArbiterResult> {
    // SAFETY: passed on under the caller's contract.
    let id = unsafe { text_arg(pointer, MAX_ID_LEN) }?;
    if id.is_empty() {
        return Err(ArbiterResult::InvalidArgument);
    }
    Ok(id.to_owned())
}

/// The stacks, instances and currencies of an offer argument, as the protocol lists them.
type Moved = (Vec<(String, u32)>, Vec<InstanceId>, Vec<(String, u64)>);

/// # Safety
/// `offer` is null or points to an `ArbiterOffer` whose arrays hold their counts of elements, and
/// whose strings are NUL-terminated.
unsafe fn offer_arg(offer: *const ArbiterOffer) -> Result<Moved, ArbiterResult> {
    // SAFETY: passed on under the caller's contract.
    let offer = unsafe { optional_arg(offer) }.ok_or(ArbiterResult::NullArgument)?;
    // SAFETY: the caller guarantees each array holds its count of elements.
    let (stacks, instances, currencies) = unsafe {
        (
            array_arg(offer.stacks, offer.stack_count, MAX_OFFER_LINES)?,
            array_arg(offer.instances, offer.instance_count, MAX_OFFER_LINES)?,
            array_arg(offer.currencies, offer.currency_count, MAX_OFFER_LINES)?,
        )
    };
    let stacks = stacks
        .iter()
        // SAFETY: the caller guarantees NUL-terminated item ids.
        .map(|stack| Ok((unsafe { id_arg(stack.item) }?, stack.units)))
        .collect::<Result<_, ArbiterResult>>()?;
    let currencies = currencies
        .iter()
        // SAFETY: the caller guarantees NUL-terminated currency ids.
        .map(|line| Ok((unsafe { id_arg(line.currency) }?, line.amount)))
        .collect::<Result<_, ArbiterResult>>()?;
    let instances = instances.iter().copied().map(InstanceId::from).collect();
    Ok((stacks, instances, currencies))
}

/// Queues one frame of input (unreliable, sent with the next update).
///
/// # Safety
/// `input` is null or points to an `ArbiterInput`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_send_input(
    handle: ArbiterHandle,
    input: *const ArbiterInput,
) -> i32 {
    send_built(handle, || {
        // SAFETY: the caller guarantees a non-null `input` points to an `ArbiterInput`.
        let input = unsafe { optional_arg(input) }.ok_or(ArbiterResult::NullArgument)?;
        let frame = InputFrame {
            tick: input.tick,
            move_x: input.move_x,
            move_y: input.move_y,
            yaw: input.yaw,
            pitch: input.pitch,
            buttons: input.buttons,
        };
        if !frame.is_well_formed() {
            return Err(ArbiterResult::InvalidArgument);
        }
        Ok(ClientMessage::Input(frame))
    })
}

/// A shot at `client_tick` (as the client saw the world then), claiming no hit.
#[no_mangle]
pub extern "C" fn arbiter_fire(
    handle: ArbiterHandle,
    client_tick: u64,
    yaw: f32,
    pitch: f32,
    weapon: u8,
) -> i32 {
    send(
        handle,
        ClientMessage::Fire {
            client_tick,
            yaw,
            pitch,
            weapon,
            target: None,
        },
    )
}

/// A shot that the client's own hit detection says hit player `target`; the server decides.
#[no_mangle]
pub extern "C" fn arbiter_fire_at(
    handle: ArbiterHandle,
    client_tick: u64,
    yaw: f32,
    pitch: f32,
    weapon: u8,
    target: u64,
) -> i32 {
    send(
        handle,
        ClientMessage::Fire {
            client_tick,
            yaw,
            pitch,
            weapon,
            target: Some(target),
        },
    )
}

/// Asks to be matched in game mode `mode` (the party's leader queues the whole party).
#[no_mangle]
pub extern "C" fn arbiter_join_queue(handle: ArbiterHandle, mode: u16) -> i32 {
    send(handle, ClientMessage::JoinQueue { mode })
}

#[no_mangle]
pub extern "C" fn arbiter_leave_queue(handle: ArbiterHandle) -> i32 {
    send(handle, ClientMessage::LeaveQueue)
}

/// A round-trip probe: a `PONG` event returns `client_time_us`. The pong travels unreliable, so on a
/// lossy link one may never come: probe again rather than wait for it.
#[no_mangle]
pub extern "C" fn arbiter_ping(handle: ArbiterHandle, client_time_us: u64) -> i32 {
    send(handle, ClientMessage::Ping { client_time_us })
}

/// Puts consumable `item` in `slot` (`ARBITER_SLOT_CONSUMABLE`).
///
/// # Safety
/// `item` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_equip(
    handle: ArbiterHandle,
    slot: i32,
    item: *const c_char,
) -> i32 {
    send_built(handle, || {
        Ok(ClientMessage::Item(ItemRequest::Equip {
            slot: slot_of(slot)?,
            // SAFETY: the caller guarantees `item` is NUL-terminated.
            item: unsafe { id_arg(item) }?,
            instance: None,
        }))
    })
}

/// Puts weapon `instance` of `item` in `slot` (`ARBITER_SLOT_PRIMARY` or `_SECONDARY`).
///
/// # Safety
/// `item` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_equip_instance(
    handle: ArbiterHandle,
    slot: i32,
    item: *const c_char,
    instance: ArbiterInstanceId,
) -> i32 {
    send_built(handle, || {
        Ok(ClientMessage::Item(ItemRequest::Equip {
            slot: slot_of(slot)?,
            // SAFETY: the caller guarantees `item` is NUL-terminated.
            item: unsafe { id_arg(item) }?,
            instance: Some(instance.into()),
        }))
    })
}

#[no_mangle]
pub extern "C" fn arbiter_unequip(handle: ArbiterHandle, slot: i32) -> i32 {
    send_built(handle, || {
        Ok(ClientMessage::Item(ItemRequest::Unequip {
            slot: slot_of(slot)?,
        }))
    })
}

/// Uses one unit of consumable `item` (alive, in a match, not cooling down).
///
/// # Safety
/// `item` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_use_item(handle: ArbiterHandle, item: *const c_char) -> i32 {
    send_built(handle, || {
        Ok(ClientMessage::Item(ItemRequest::UseItem {
            // SAFETY: the caller guarantees `item` is NUL-terminated.
            item: unsafe { id_arg(item) }?,
        }))
    })
}

/// Throws away `units` of stackable `item`.
///
/// # Safety
/// `item` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_discard(
    handle: ArbiterHandle,
    item: *const c_char,
    units: u32,
) -> i32 {
    send_built(handle, || {
        Ok(ClientMessage::Item(ItemRequest::Discard {
            // SAFETY: the caller guarantees `item` is NUL-terminated.
            item: unsafe { id_arg(item) }?,
            qty: units,
            instance: None,
        }))
    })
}

/// Throws away `instance` of `item`.
///
/// # Safety
/// `item` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_discard_instance(
    handle: ArbiterHandle,
    item: *const c_char,
    instance: ArbiterInstanceId,
) -> i32 {
    send_built(handle, || {
        Ok(ClientMessage::Item(ItemRequest::Discard {
            // SAFETY: the caller guarantees `item` is NUL-terminated.
            item: unsafe { id_arg(item) }?,
            qty: 1,
            instance: Some(instance.into()),
        }))
    })
}

/// Buys shop offer `offer` once.
///
/// # Safety
/// `offer` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_buy(handle: ArbiterHandle, offer: *const c_char) -> i32 {
    send_built(handle, || {
        Ok(ClientMessage::Item(ItemRequest::Buy {
            // SAFETY: the caller guarantees `offer` is NUL-terminated.
            offer: unsafe { id_arg(offer) }?,
        }))
    })
}

/// Invites `player_id` to trade.
#[no_mangle]
pub extern "C" fn arbiter_trade_invite(handle: ArbiterHandle, player_id: u64) -> i32 {
    send(
        handle,
        ClientMessage::Trade(TradeRequest::Invite { player_id }),
    )
}

/// Accepts (`accept` non-zero) or declines an invitation to `trade`.
#[no_mangle]
pub extern "C" fn arbiter_trade_respond(handle: ArbiterHandle, trade: u64, accept: i32) -> i32 {
    send(
        handle,
        ClientMessage::Trade(TradeRequest::Respond {
            trade,
            accept: accept != 0,
        }),
    )
}

/// Replaces this side's offer in `trade`; both sides' accepts are cleared.
///
/// # Safety
/// `offer` is null or points to an `ArbiterOffer` whose arrays hold their counts of elements and
/// whose strings are NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn arbiter_trade_set_offer(
    handle: ArbiterHandle,
    trade: u64,
    offer: *const ArbiterOffer,
) -> i32 {
    send_built(handle, || {
        // SAFETY: passed on under the caller's contract.
        let (stacks, instances, currencies) = unsafe { offer_arg(offer) }?;
        Ok(ClientMessage::Trade(TradeRequest::SetOffer {
            trade,
            stacks,
            instances,
            currencies,
        }))
    })
}

/// Accepts `version` of `trade` (the version of its last `TRADE_CHANGED`); an older version is
/// refused with "stale_version".
#[no_mangle]
pub extern "C" fn arbiter_trade_accept(handle: ArbiterHandle, trade: u64, version: u32) -> i32 {
    send(
        handle,
        ClientMessage::Trade(TradeRequest::Accept { trade, version }),
    )
}

#[no_mangle]
pub extern "C" fn arbiter_trade_cancel(handle: ArbiterHandle, trade: u64) -> i32 {
    send(handle, ClientMessage::Trade(TradeRequest::Cancel { trade }))
}

fn guild(handle: ArbiterHandle, request: GuildRequest) -> i32 {
    send(handle, ClientMessage::Guild(request))
}

/// Founds a guild (the price in `[guilds]` is paid from the wallet).
///
/// # Safety
/// `name` and `tag` are NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn arbiter_guild_create(
    handle: ArbiterHandle,
    name: *const c_char,
    tag: *const c_char,
) -> i32 {
    send_built(handle, || {
        // A character takes at most 4 bytes; the server refuses names and tags it does not like.
        let limit = MAX_NAME_CHARS * 4;
        // SAFETY: the caller guarantees both are NUL-terminated.
        let (name, tag) = unsafe { (text_arg(name, limit)?, text_arg(tag, limit)?) };
        Ok(ClientMessage::Guild(GuildRequest::Create {
            name: name.to_owned(),
            tag: tag.to_owned(),
        }))
    })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_invite(handle: ArbiterHandle, player_id: u64) -> i32 {
    guild(handle, GuildRequest::Invite { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_answer_invite(
    handle: ArbiterHandle,
    guild_id: u64,
    accept: i32,
) -> i32 {
    handles::with_session(handle, |session| {
        let answer = session.guild.answer_invite(guild_id, accept != 0);
        session.send(&answer)
    }) as i32
}

#[no_mangle]
pub extern "C" fn arbiter_guild_apply(handle: ArbiterHandle, guild_id: u64) -> i32 {
    guild(handle, GuildRequest::Apply { guild: guild_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_answer_application(
    handle: ArbiterHandle,
    player_id: u64,
    accept: i32,
) -> i32 {
    handles::with_session(handle, |session| {
        let answer = session.guild.answer_application(player_id, accept != 0);
        session.send(&answer)
    }) as i32
}

#[no_mangle]
pub extern "C" fn arbiter_guild_leave(handle: ArbiterHandle) -> i32 {
    guild(handle, GuildRequest::Leave)
}

#[no_mangle]
pub extern "C" fn arbiter_guild_kick(handle: ArbiterHandle, player_id: u64) -> i32 {
    guild(handle, GuildRequest::Kick { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_ban(handle: ArbiterHandle, player_id: u64) -> i32 {
    guild(handle, GuildRequest::Ban { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_unban(handle: ArbiterHandle, player_id: u64) -> i32 {
    guild(handle, GuildRequest::Unban { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_promote(handle: ArbiterHandle, player_id: u64) -> i32 {
    guild(handle, GuildRequest::Promote { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_demote(handle: ArbiterHandle, player_id: u64) -> i32 {
    guild(handle, GuildRequest::Demote { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_transfer_leadership(handle: ArbiterHandle, player_id: u64) -> i32 {
    guild(handle, GuildRequest::TransferLeadership { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_guild_disband(handle: ArbiterHandle) -> i32 {
    guild(handle, GuildRequest::Disband)
}

/// Says `text` (UTF-8, at most 2000 bytes) in the guild's chat.
///
/// # Safety
/// `text` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_guild_chat(handle: ArbiterHandle, text: *const c_char) -> i32 {
    send_built(handle, || {
        // SAFETY: the caller guarantees `text` is NUL-terminated.
        let text = unsafe { text_arg(text, MAX_CHAT_BYTES) }?;
        Ok(ClientMessage::Guild(GuildRequest::Chat {
            text: text.to_owned(),
        }))
    })
}

/// Puts items and currency into the guild's bank.
///
/// # Safety
/// As `arbiter_trade_set_offer`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_guild_deposit(
    handle: ArbiterHandle,
    offer: *const ArbiterOffer,
) -> i32 {
    send_built(handle, || {
        // SAFETY: passed on under the caller's contract.
        let (stacks, instances, currencies) = unsafe { offer_arg(offer) }?;
        Ok(ClientMessage::Guild(GuildRequest::Deposit {
            stacks,
            instances,
            currencies,
        }))
    })
}

/// Takes items and currency out of the guild's bank (up to the role's daily limit).
///
/// # Safety
/// As `arbiter_trade_set_offer`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_guild_withdraw(
    handle: ArbiterHandle,
    offer: *const ArbiterOffer,
) -> i32 {
    send_built(handle, || {
        // SAFETY: passed on under the caller's contract.
        let (stacks, instances, currencies) = unsafe { offer_arg(offer) }?;
        Ok(ClientMessage::Guild(GuildRequest::Withdraw {
            stacks,
            instances,
            currencies,
        }))
    })
}

fn party(handle: ArbiterHandle, request: PartyRequest) -> i32 {
    send(handle, ClientMessage::Party(request))
}

#[no_mangle]
pub extern "C" fn arbiter_party_invite(handle: ArbiterHandle, player_id: u64) -> i32 {
    party(handle, PartyRequest::Invite { player_id })
}

/// Accepts (`accept` non-zero) or declines the invitation to `party_id`.
#[no_mangle]
pub extern "C" fn arbiter_party_answer(handle: ArbiterHandle, party_id: u64, accept: i32) -> i32 {
    party(
        handle,
        PartyRequest::Answer {
            party: party_id,
            accept: accept != 0,
        },
    )
}

#[no_mangle]
pub extern "C" fn arbiter_party_leave(handle: ArbiterHandle) -> i32 {
    party(handle, PartyRequest::Leave)
}

#[no_mangle]
pub extern "C" fn arbiter_party_kick(handle: ArbiterHandle, player_id: u64) -> i32 {
    party(handle, PartyRequest::Kick { player_id })
}

#[no_mangle]
pub extern "C" fn arbiter_party_disband(handle: ArbiterHandle) -> i32 {
    party(handle, PartyRequest::Disband)
}
