//! Deposits into and withdrawals from a guild's bank, checked here and carried out by the shell
//! as transfers between the member and the guild (checked again there, against both sides as
//! they are then).

use super::requests::{GuildParts, GuildTerms, Player};
use super::{GuildId, GuildTransfer};
use arbiter_components::guild::{BankMove, GuildEvent, GuildRefusal, GuildRequest};
use arbiter_components::inventory::{InstanceId, InventoryError, TradedItems};
use bevy_ecs::entity::Entity;
use bevy_ecs::system::Query;
use smol_str::SmolStr;
use std::collections::BTreeMap;

/// Who asked what.
#[derive(Debug, Clone, Copy)]
pub(super) struct Asked<'a> {
    pub(super) player: Entity,
    pub(super) actor: u64,
    pub(super) request: &'a GuildRequest,
}

/// The lines of a deposit or a withdrawal, as asked.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lines<'a> {
    pub(super) stacks: &'a [(String, u32)],
    pub(super) instances: &'a [InstanceId],
    pub(super) currencies: &'a [(String, u64)],
}

impl Lines<'_> {
    /// The currencies, each summed once; a zero amount or an unknown currency is refused.
    fn currencies(&self, terms: &GuildTerms) -> Result<BTreeMap<SmolStr, u64>, GuildRefusal> {
        let mut summed: BTreeMap<SmolStr, u64> = BTreeMap::new();
        for (currency, amount) in self.currencies {
            if terms.catalog.currency(currency).is_none() {
                return Err(GuildRefusal::Items(InventoryError::UnknownCurrency));
            }
            let total = summed.entry(SmolStr::new(currency)).or_default();
            *total = total
                .checked_add(*amount)
                .filter(|total| *total > 0 && *total <= i64::MAX as u64)
                .ok_or(GuildRefusal::Items(InventoryError::InvalidQuantity))?;
        }
        Ok(summed)
    }
}

/// A member's deposit: it holds what it gives (tradable items only).
pub(super) fn deposit(
    asked: Asked<'_>,
    guild: Entity,
    lines: Lines<'_>,
    players: &Query<Player>,
    guilds: &Query<GuildParts>,
    terms: &GuildTerms,
) -> Result<GuildTransfer, GuildRefusal> {
    let id = member_of(guild, asked.actor, guilds)?;
    let Ok((.., wallet, _, inventory)) = players.get(asked.player) else {
        return Err(GuildRefusal::NotInGuild);
    };
    let items = inventory
        .offer(&terms.catalog, lines.stacks, lines.instances)
        .map_err(GuildRefusal::Items)?;
    let currencies = lines.currencies(terms)?;
    if currencies
        .iter()
        .any(|(currency, amount)| wallet.balance(currency) < *amount)
    {
        return Err(GuildRefusal::Items(InventoryError::InsufficientFunds));
    }
    let moved = non_empty(BankMove { items, currencies })?;
    Ok(transfer(
        asked,
        guild,
        id,
        GuildEvent::GuildBankDeposited {
            by: asked.actor,
            moved,
        },
    ))
}

/// A member's withdrawal: the bank holds it, and the member's role may still take that much
/// today. (Whether it fits the member's inventory is the shell's to check, as it moves.)
pub(super) fn withdraw(
    asked: Asked<'_>,
    guild: Entity,
    lines: Lines<'_>,
    guilds: &Query<GuildParts>,
    terms: &GuildTerms,
) -> Result<GuildTransfer, GuildRefusal> {
    let id = member_of(guild, asked.actor, guilds)?;
    let Ok((_, Some(state), ..)) = guilds.get(guild) else {
        return Err(GuildRefusal::Unavailable);
    };
    let bank = state.bank();
    let mut items = TradedItems::default();
    for (item, qty) in lines.stacks {
        let total = items.stacks.entry(SmolStr::new(item)).or_default();
        *total = total
            .checked_add(*qty)
            .filter(|total| *total > 0)
            .ok_or(GuildRefusal::Items(InventoryError::InvalidQuantity))?;
    }
    for instance in lines.instances {
        let item = bank
            .instances
            .get(instance)
            .ok_or(GuildRefusal::BankShort)?;
        items.instances.insert(*instance, item.clone());
    }
    let moved = non_empty(BankMove {
        items,
        currencies: lines.currencies(terms)?,
    })?;
    if !bank.holds(&moved) {
        return Err(GuildRefusal::BankShort);
    }
    let role = state.role_of(asked.actor).ok_or(GuildRefusal::NotInGuild)?;
    let left = state.withdrawable(asked.actor, terms.day.0, terms.settings.daily_limit(role));
    if moved.size() > left {
        return Err(GuildRefusal::OverDailyLimit { left });
    }
    Ok(transfer(
        asked,
        guild,
        id,
        GuildEvent::GuildBankWithdrawn {
            by: asked.actor,
            moved,
            day: terms.day.0,
        },
    ))
}

/// The id of `guild` if `actor` is one of its members.
fn member_of(guild: Entity, actor: u64, guilds: &Query<GuildParts>) -> Result<u64, GuildRefusal> {
    match guilds.get(guild) {
        Ok((GuildId(id), Some(state), ..)) if state.role_of(actor).is_some() => Ok(*id),
        Ok((_, Some(_), ..)) => Err(GuildRefusal::NotInGuild),
        _ => Err(GuildRefusal::Unavailable),
    }
}

fn non_empty(moved: BankMove) -> Result<BankMove, GuildRefusal> {
    match moved.is_empty() {
        true => Err(GuildRefusal::Items(InventoryError::InvalidQuantity)),
        false => Ok(moved),
    }
}

fn transfer(asked: Asked<'_>, guild: Entity, id: u64, event: GuildEvent) -> GuildTransfer {
    GuildTransfer {
        player: asked.player,
        guild,
        id,
        event,
        price: None,
        request: asked.request.clone(),
    }
}
