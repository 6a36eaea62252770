//! Whole views of what the client knows: its inventory, its trade, its guild and its party, as the
//! server last said. Read one after its `*_CHANGED` event (or any time); its strings and arrays
//! are valid until the next call on the handle.
#![expect(
    unsafe_code,
    reason = "exported under C names; out pointers go through crate::raw"
)]

use crate::events::ArbiterTradePhase;
use crate::handles::{self, ArbiterHandle};
use crate::raw::write_out;
use crate::requests::{ArbiterCurrency, ArbiterInstanceId, ArbiterStack};
use crate::result::ArbiterResult;
use crate::scratch::Scratch;
use arbiter_client::protocol::{BankView, GuildRole, TradeOffer};
use arbiter_components::inventory::InstanceId;
use smol_str::SmolStr;

/// A held instance and the item it is.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterInstance {
    pub id: ArbiterInstanceId,
    pub item: *const std::ffi::c_char,
}

/// Stacks, instances and currencies held or offered. Arrays are null when their count is 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterHoldings {
    pub stacks: *const ArbiterStack,
    pub stack_count: usize,
    pub instances: *const ArbiterInstance,
    pub instance_count: usize,
    pub currencies: *const ArbiterCurrency,
    pub currency_count: usize,
}

/// The client's items and wallet.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterInventory {
    /// Slots the inventory has.
    pub capacity: u32,
    /// 1 when a primary weapon is equipped (then `primary` names it).
    pub has_primary: u32,
    pub primary: ArbiterInstanceId,
    pub has_secondary: u32,
    pub secondary: ArbiterInstanceId,
    /// The consumable item equipped ("" when none).
    pub consumable: *const std::ffi::c_char,
    /// What is held; `currencies` is the wallet.
    pub held: ArbiterHoldings,
}

/// One side of a trade.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterTradeSide {
    pub player_id: u64,
    /// 1 when this side accepted the current version.
    pub accepted: u32,
    pub offer: ArbiterHoldings,
}

/// The trade the client is in.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterTrade {
    pub trade: u64,
    pub phase: ArbiterTradePhase,
    /// What `arbiter_trade_accept` must name.
    pub version: u32,
    /// 0 or 1: which of `sides` is the client's (0 if it invited).
    pub my_side: u32,
    pub sides: [ArbiterTradeSide; 2],
}

/// A guild member's rank.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArbiterGuildRole {
    Member = 0,
    Officer = 1,
    Leader = 2,
}

impl From<GuildRole> for ArbiterGuildRole {
    fn from(role: GuildRole) -> Self {
        match role {
            GuildRole::Member => ArbiterGuildRole::Member,
            GuildRole::Officer => ArbiterGuildRole::Officer,
            GuildRole::Leader => ArbiterGuildRole::Leader,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterGuildMember {
    pub player_id: u64,
    pub role: ArbiterGuildRole,
    /// 1 when connected now.
    pub online: u32,
}

/// The client's guild.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterGuild {
    pub guild: u64,
    pub name: *const std::ffi::c_char,
    pub tag: *const std::ffi::c_char,
    pub my_role: ArbiterGuildRole,
    pub members: *const ArbiterGuildMember,
    pub member_count: usize,
    pub bank: ArbiterHoldings,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterPartyMember {
    pub player_id: u64,
    /// 1 when connected now; a party with a member away cannot queue.
    pub online: u32,
}

/// The client's party.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterParty {
    pub party: u64,
    pub leader: u64,
    /// 1 while the party's ticket waits in the matchmaking queue.
    pub queued: u32,
    /// In the order they joined.
    pub members: *const ArbiterPartyMember,
    pub member_count: usize,
    /// Invited players who have not answered.
    pub invited: *const u64,
    pub invited_count: usize,
}

impl From<InstanceId> for ArbiterInstanceId {
    fn from(id: InstanceId) -> Self {
        Self {
            origin: id.origin,
            serial: id.serial,
        }
    }
}

fn holdings<'a>(
    stacks: impl Iterator<Item = (&'a SmolStr, u32)>,
    instances: impl Iterator<Item = (InstanceId, &'a SmolStr)>,
    currencies: impl Iterator<Item = (&'a SmolStr, u64)>,
    scratch: &mut Scratch,
) -> ArbiterHoldings {
    let stacks = stacks
        .map(|(item, units)| ArbiterStack {
            item: scratch.text(item),
            units,
        })
        .collect();
    let instances = instances
        .map(|(id, item)| ArbiterInstance {
            id: id.into(),
            item: scratch.text(item),
        })
        .collect();
    let currencies = currencies
        .map(|(currency, amount)| ArbiterCurrency {
            currency: scratch.text(currency),
            amount,
        })
        .collect();
    let (stacks, stack_count) = scratch.array(stacks);
    let (instances, instance_count) = scratch.array(instances);
    let (currencies, currency_count) = scratch.array(currencies);
    ArbiterHoldings {
        stacks,
        stack_count,
        instances,
        instance_count,
        currencies,
        currency_count,
    }
}

fn listed<'a>(
    stacks: &'a [(SmolStr, u32)],
    instances: &'a [(InstanceId, SmolStr)],
    currencies: &'a [(SmolStr, u64)],
    scratch: &mut Scratch,
) -> ArbiterHoldings {
    holdings(
        stacks.iter().map(|(item, units)| (item, *units)),
        instances.iter().map(|(id, item)| (*id, item)),
        currencies
            .iter()
            .map(|(currency, amount)| (currency, *amount)),
        scratch,
    )
}

fn bank(view: &BankView, scratch: &mut Scratch) -> ArbiterHoldings {
    listed(&view.stacks, &view.instances, &view.currencies, scratch)
}

fn side(offer: &TradeOffer, scratch: &mut Scratch) -> ArbiterTradeSide {
    ArbiterTradeSide {
        player_id: offer.player_id,
        accepted: u32::from(offer.accepted),
        offer: listed(&offer.stacks, &offer.instances, &offer.currencies, scratch),
    }
}

/// Writes the client's inventory to `out`; `ARBITER_RESULT_EMPTY` until it has arrived (just after
/// `WELCOME`).
///
/// # Safety
/// `out` is null or points to writable memory for an `ArbiterInventory`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_inventory(
    handle: ArbiterHandle,
    out: *mut ArbiterInventory,
) -> i32 {
    if out.is_null() {
        return ArbiterResult::NullArgument as i32;
    }
    handles::with_session(handle, |session| {
        let owned = &session.items;
        if !owned.known {
            return ArbiterResult::Empty;
        }
        let scratch = &mut session.scratch;
        let loadout = owned.inventory.loadout();
        let held = holdings(
            owned.inventory.stacks_in_order().into_iter(),
            owned
                .inventory
                .instances()
                .iter()
                .map(|(id, item)| (*id, item)),
            owned
                .wallet
                .balances()
                .iter()
                .map(|(currency, amount)| (currency, *amount)),
            scratch,
        );
        let inventory = ArbiterInventory {
            capacity: owned.capacity,
            has_primary: u32::from(loadout.primary.is_some()),
            primary: loadout
                .primary
                .map(Into::into)
                .unwrap_or(ArbiterInstanceId {
                    origin: 0,
                    serial: 0,
                }),
            has_secondary: u32::from(loadout.secondary.is_some()),
            secondary: loadout
                .secondary
                .map(Into::into)
                .unwrap_or(ArbiterInstanceId {
                    origin: 0,
                    serial: 0,
                }),
            consumable: scratch.text(loadout.consumable.as_deref().unwrap_or("")),
            held,
        };
        // SAFETY: `out` is not null, and the caller guarantees it is writable.
        unsafe { write_out(out, inventory) }
    }) as i32
}

/// Writes the trade the client is in to `out`; `ARBITER_RESULT_EMPTY` when it is in none.
///
/// # Safety
/// `out` is null or points to writable memory for an `ArbiterTrade`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_trade(handle: ArbiterHandle, out: *mut ArbiterTrade) -> i32 {
    if out.is_null() {
        return ArbiterResult::NullArgument as i32;
    }
    handles::with_session(handle, |session| {
        let (Some(view), Some(my_side)) = (session.trade.current(), session.trade.my_side()) else {
            return ArbiterResult::Empty;
        };
        let scratch = &mut session.scratch;
        let trade = ArbiterTrade {
            trade: view.trade,
            phase: view.phase.into(),
            version: view.version,
            my_side: my_side as u32,
            sides: [side(&view.sides[0], scratch), side(&view.sides[1], scratch)],
        };
        // SAFETY: `out` is not null, and the caller guarantees it is writable.
        unsafe { write_out(out, trade) }
    }) as i32
}

/// Writes the client's guild to `out`; `ARBITER_RESULT_EMPTY` when it is in none.
///
/// # Safety
/// `out` is null or points to writable memory for an `ArbiterGuild`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_guild(handle: ArbiterHandle, out: *mut ArbiterGuild) -> i32 {
    if out.is_null() {
        return ArbiterResult::NullArgument as i32;
    }
    handles::with_session(handle, |session| {
        let (Some(view), Some(my_role)) = (session.guild.guild(), session.guild.my_role()) else {
            return ArbiterResult::Empty;
        };
        let scratch = &mut session.scratch;
        let members = view
            .members
            .iter()
            .map(|member| ArbiterGuildMember {
                player_id: member.player_id,
                role: member.role.into(),
                online: u32::from(member.online),
            })
            .collect();
        let (members, member_count) = scratch.array(members);
        let guild = ArbiterGuild {
            guild: view.guild,
            name: scratch.text(&view.name),
            tag: scratch.text(&view.tag),
            my_role: my_role.into(),
            members,
            member_count,
            bank: bank(&view.bank, scratch),
        };
        // SAFETY: `out` is not null, and the caller guarantees it is writable.
        unsafe { write_out(out, guild) }
    }) as i32
}

/// Writes the client's party to `out`; `ARBITER_RESULT_EMPTY` when it is in none.
///
/// # Safety
/// `out` is null or points to writable memory for an `ArbiterParty`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_party(handle: ArbiterHandle, out: *mut ArbiterParty) -> i32 {
    if out.is_null() {
        return ArbiterResult::NullArgument as i32;
    }
    handles::with_session(handle, |session| {
        let Some(view) = session.party.party() else {
            return ArbiterResult::Empty;
        };
        let scratch = &mut session.scratch;
        let members = view
            .members
            .iter()
            .map(|member| ArbiterPartyMember {
                player_id: member.player_id,
                online: u32::from(member.online),
            })
            .collect();
        let (members, member_count) = scratch.array(members);
        let (invited, invited_count) = scratch.array(view.invited.clone());
        let party = ArbiterParty {
            party: view.party,
            leader: view.leader,
            queued: u32::from(view.queued),
            members,
            member_count,
            invited,
            invited_count,
        };
        // SAFETY: `out` is not null, and the caller guarantees it is writable.
        unsafe { write_out(out, party) }
    }) as i32
}
