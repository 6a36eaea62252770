//! Foundings, joins and bank moves: the guild's event, the player's membership, payment or
//! goods move in one system run, and are stored as one transfer with a leg on the player and a
//! leg on the guild — on two shards in general. As for a trade, the fence: a transfer is carried
//! out only when the player has no changes waiting for the database, so its leg lands on exactly
//! its stored state, and when the guild's legs still in flight cannot change how the guild's leg
//! folds (see `legs_in_flight`); a crash between the two shards' commits is completed at the next
//! start.
//!
//! A founding's payment is consumed (a currency sink), recorded with the reason
//! `guild_founded:<guild id>`.

use super::legs_in_flight::GuildLegsInFlight;
use crate::economy::FenceClock;
use crate::guild::stored::GUILD_KIND;
use crate::persistence::{
    FlushNow, ObjectJournal, ObjectKey, PartEvent, Progress, Transfer, TransferLeg, now_ms,
};
use crate::telemetry::metrics::GUILD_TRANSFER_SECONDS;
use arbiter_components::config::{EconomySettings, GuildSettings};
use arbiter_components::guild::{Guild, GuildEvent, GuildRefusal, Membership, MembershipEvent};
use arbiter_components::inventory::{
    Inventory, InventoryError, InventoryEvent, TradedItems, Wallet, WalletEvent,
};
use arbiter_components::items::Catalog;
use arbiter_components::player::PlayerId;
use arbiter_systems::economy::Ledger;
use arbiter_systems::guild::{GuildTransfer, GuildTransferFailed, GuildTransferred};
use bevy_ecs::change_detection::Mut;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Query, Res, ResMut, SystemParam};
use smol_str::{SmolStr, format_smolstr};
use std::sync::Arc;

/// How long a join waits for its sides' earlier changes to be stored before it is given up.
const FENCE_TIMEOUT_SECS: u32 = 10;

/// Joins waiting at the fence, each with the tick it first asked.
#[derive(Resource, Debug, Default)]
pub struct FencedJoins(Vec<(GuildTransfer, u64)>);

/// A joining player as settlement reads and changes it.
type Joiner<'a> = (
    &'a PlayerId,
    &'a mut Membership,
    &'a mut Inventory,
    &'a mut Wallet,
    Option<&'a mut Progress>,
);

/// A joining player, fetched.
type JoinerItem<'w> = (
    &'w PlayerId,
    Mut<'w, Membership>,
    Mut<'w, Inventory>,
    Mut<'w, Wallet>,
    Option<Mut<'w, Progress>>,
);

/// A guild as settlement reads and changes it.
/// Its journal and legs in flight come together, with persistence.
type Joined<'a> = (
    &'a mut Guild,
    Option<(&'a mut ObjectJournal, &'a mut GuildLegsInFlight)>,
);

/// A guild, fetched.
type JoinedItem<'w> = (
    Mut<'w, Guild>,
    Option<(Mut<'w, ObjectJournal>, Mut<'w, GuildLegsInFlight>)>,
);

/// What a transfer is checked against: the catalog, the inventory capacity, the bank's limits.
#[derive(SystemParam, Debug)]
pub struct TransferTerms<'w> {
    catalog: Res<'w, Catalog>,
    economy: Res<'w, EconomySettings>,
    guilds: Res<'w, GuildSettings>,
}

/// Where a join's outcome goes.
#[derive(SystemParam)]
pub struct JoinNews<'w> {
    joined: MessageWriter<'w, GuildTransferred>,
    failed: MessageWriter<'w, GuildTransferFailed>,
    flush: MessageWriter<'w, FlushNow>,
    ledger: Ledger<'w>,
}

impl std::fmt::Debug for JoinNews<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("JoinNews").finish_non_exhaustive()
    }
}

impl JoinNews<'_> {
    fn fail(&mut self, join: &GuildTransfer, reason: GuildRefusal) {
        self.failed.write(GuildTransferFailed {
            player: join.player,
            guild: join.guild,
            event: join.event.clone(),
            request: join.request.clone(),
            reason,
        });
    }
}

/// Carries out the joins asked for this tick and those waiting at the fence.
pub fn settle_guild_joins(
    mut requests: MessageReader<GuildTransfer>,
    mut fenced: ResMut<FencedJoins>,
    mut players: Query<Joiner>,
    mut guilds: Query<Joined>,
    terms: TransferTerms,
    clock: FenceClock,
    mut news: JoinNews,
) {
    let now = clock.now();
    let timeout = clock.ticks_in_secs(FENCE_TIMEOUT_SECS);
    let due: Vec<(GuildTransfer, u64)> = std::mem::take(&mut fenced.0)
        .into_iter()
        .chain(requests.read().map(|join| (join.clone(), now)))
        .collect();
    for (join, since) in due {
        let (Ok(mut player), Ok(mut guild)) =
            (players.get_mut(join.player), guilds.get_mut(join.guild))
        else {
            news.fail(&join, GuildRefusal::Unavailable);
            continue;
        };
        let player_settled = player.4.as_ref().is_none_or(|p| p.is_settled());
        let guild_settled = match &mut guild.1 {
            Some((journal, in_flight)) => in_flight.admit(&guild.0, journal, &join.event),
            None => true,
        };
        if !(player_settled && guild_settled) {
            if now.saturating_sub(since) >= timeout {
                news.fail(&join, GuildRefusal::Unavailable);
                continue;
            }
            // Changes already on their way to the database need no second asking.
            if player.4.as_ref().is_some_and(|p| p.has_unsaved()) {
                news.flush.write(FlushNow(join.player));
            }
            if guild.1.as_ref().is_some_and(|(j, _)| j.has_unsaved()) {
                news.flush.write(FlushNow(join.guild));
            }
            fenced.0.push((join, since));
            continue;
        }
        match carry_out(&join, &mut player, &mut guild, &terms, &mut news) {
            Ok(()) => {
                let waited = clock.secs_of(now.saturating_sub(since));
                metrics::histogram!(GUILD_TRANSFER_SECONDS).record(f64::from(waited));
                news.joined.write(GuildTransferred {
                    player: join.player,
                    guild: join.guild,
                    id: join.id,
                    event: join.event.clone(),
                });
            }
            Err(reason) => news.fail(&join, reason),
        }
    }
}

/// The player's share of a transfer: its inventory event (if items move), its currency changes,
/// its membership change.
#[derive(Debug, Default)]
struct Share {
    items: Option<InventoryEvent>,
    currencies: Vec<WalletEvent>,
    membership: Option<MembershipEvent>,
}

/// Checks the transfer again against both sides as they are now, applies it to both and records
/// it on both as one transfer.
fn carry_out(
    due: &GuildTransfer,
    player: &mut JoinerItem<'_>,
    (guild, stored): &mut JoinedItem<'_>,
    terms: &TransferTerms,
    news: &mut JoinNews,
) -> Result<(), GuildRefusal> {
    let (player_id, membership, inventory, wallet, progress) = player;
    let id = match progress {
        Some(progress) => progress.next_transfer_id(),
        None => format_smolstr!("{}:guild:{}", player_id.0, due.id),
    };
    let share = share(
        due,
        (player_id.0, membership, inventory, wallet),
        guild,
        terms,
        &id,
    )?;
    news.ledger.transfer_share(
        due.player,
        (inventory, wallet),
        share.items.as_ref(),
        &share.currencies,
    );
    if let Some(change) = &share.membership {
        membership.apply(change);
    }
    guild.apply(&due.event);
    if let (Some(progress), Some((journal, in_flight))) = (progress.as_mut(), stored.as_mut()) {
        let transfer = Arc::new(transfer(id, player_id.0, due, share));
        progress.record_transfer(transfer.clone(), transfer.at_ms);
        journal.record_transfer(transfer.clone(), transfer.at_ms);
        in_flight.recorded(journal, &due.event);
        news.flush.write(FlushNow(due.player));
        news.flush.write(FlushNow(due.guild));
    }
    Ok(())
}

/// The player's checked share of `due`, named `id`.
fn share(
    due: &GuildTransfer,
    (player, membership, inventory, wallet): (u64, &Membership, &Inventory, &Wallet),
    guild: &Guild,
    terms: &TransferTerms,
    id: &str,
) -> Result<Share, GuildRefusal> {
    let (catalog, capacity) = (&terms.catalog, terms.economy.inventory_capacity);
    let bank_items = |items: &TradedItems, deposit: bool| {
        bank_share(inventory, (catalog, capacity), id, items, deposit)
    };
    let change = |currency: &str, delta: i64, reason: &str| {
        wallet
            .change(catalog, currency, delta, reason)
            .map_err(GuildRefusal::Items)
    };
    let signed = |amount: u64| {
        i64::try_from(amount).map_err(|_| GuildRefusal::Items(InventoryError::Overflow))
    };
    match &due.event {
        GuildEvent::GuildFounded { .. } | GuildEvent::GuildJoined { .. } => {
            if membership.guild().is_some() {
                return Err(GuildRefusal::AlreadyInGuild);
            }
            match &due.event {
                GuildEvent::GuildFounded { .. } if guild.exists() => {
                    return Err(GuildRefusal::NameTaken);
                }
                GuildEvent::GuildJoined { .. } if !guild.exists() => {
                    return Err(GuildRefusal::NoSuchGuild);
                }
                _ if guild.is_banned(player) => return Err(GuildRefusal::Banned),
                _ => {}
            }
            let currencies = match &due.price {
                Some((currency, price)) => {
                    let reason = format!("guild_founded:{}", due.id);
                    vec![change(currency, -signed(*price)?, &reason).map_err(|_| {
                        GuildRefusal::CannotAfford {
                            currency: currency.clone(),
                            price: *price,
                        }
                    })?]
                }
                None => Vec::new(),
            };
            Ok(Share {
                items: None,
                currencies,
                membership: Some(MembershipEvent::MembershipBegan { guild: due.id }),
            })
        }
        GuildEvent::GuildBankDeposited { moved, .. } => {
            guild.role_of(player).ok_or(GuildRefusal::NotInGuild)?;
            let items = bank_items(&moved.items, true)?;
            let reason = format!("guild_bank:{}", due.id);
            let currencies = moved
                .currencies
                .iter()
                .map(|(currency, amount)| change(currency, -signed(*amount)?, &reason))
                .collect::<Result<_, _>>()?;
            Ok(Share {
                items,
                currencies,
                membership: None,
            })
        }
        GuildEvent::GuildBankWithdrawn { moved, day, .. } => {
            let role = guild.role_of(player).ok_or(GuildRefusal::NotInGuild)?;
            if !guild.bank().holds(moved) {
                return Err(GuildRefusal::BankShort);
            }
            let left = guild.withdrawable(player, *day, terms.guilds.daily_limit(role));
            if moved.size() > left {
                return Err(GuildRefusal::OverDailyLimit { left });
            }
            let items = bank_items(&moved.items, false)?;
            let reason = format!("guild_bank:{}", due.id);
            let currencies = moved
                .currencies
                .iter()
                .map(|(currency, amount)| change(currency, signed(*amount)?, &reason))
                .collect::<Result<_, _>>()?;
            Ok(Share {
                items,
                currencies,
                membership: None,
            })
        }
        other => unreachable!("only joins and the bank are transfers, not {other:?}"),
    }
}

/// The player's share of `items` moving into the guild's bank (`deposit`) or out of it; none when
/// no items move.
fn bank_share(
    inventory: &Inventory,
    (catalog, capacity): (&Catalog, u32),
    id: &str,
    items: &TradedItems,
    deposit: bool,
) -> Result<Option<InventoryEvent>, GuildRefusal> {
    if items.is_empty() {
        return Ok(None);
    }
    let (moved, none) = (Arc::new(items.clone()), Arc::default());
    let (gave, got) = if deposit {
        (&moved, &none)
    } else {
        (&none, &moved)
    };
    inventory
        .trade(catalog, id, gave, got, capacity)
        .map(Some)
        .map_err(GuildRefusal::Items)
}

/// The transfer as stored: the player's leg (its share) and the guild's (its event).
fn transfer(id: SmolStr, player: u64, due: &GuildTransfer, share: Share) -> Transfer {
    let items = share.items.into_iter().map(PartEvent::deferred);
    let currencies = share.currencies.into_iter().map(PartEvent::deferred);
    let membership = share.membership.into_iter().map(PartEvent::deferred);
    Transfer {
        id,
        at_ms: now_ms(),
        legs: vec![
            TransferLeg::player(player, items.chain(currencies).chain(membership).collect()),
            TransferLeg::object(
                &ObjectKey::new(GUILD_KIND, due.id),
                vec![PartEvent::deferred(due.event.clone())],
            ),
        ],
    }
}
