//! Foundings and joins: the guild's event, the player's membership and (for a founding) its
//! payment move in one system run, and are stored as one transfer with a leg on the player and a
//! leg on the guild — on two shards in general. As for a trade, the fence: a join is carried out
//! only when neither side has changes waiting for the database, so each leg lands on exactly its
//! stored state, and a crash between the two shards' commits is completed at the next start.
//!
//! A founding's payment is consumed (a currency sink), recorded with the reason
//! `guild_founded:<guild id>`.

use crate::economy::FenceClock;
use crate::guild::stored::GUILD_KIND;
use crate::persistence::{
    FlushNow, ObjectJournal, ObjectKey, PartEvent, Progress, Transfer, TransferLeg, now_ms,
};
use crate::telemetry::metrics::GUILD_JOIN_SECONDS;
use arbiter_components::guild::{Guild, GuildEvent, GuildRefusal, Membership, MembershipEvent};
use arbiter_components::inventory::{Inventory, Wallet, WalletEvent};
use arbiter_components::items::Catalog;
use arbiter_components::player::PlayerId;
use arbiter_systems::economy::Ledger;
use arbiter_systems::guild::{GuildJoined, JoinFailed, JoinGuild};
use bevy_ecs::change_detection::Mut;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Query, Res, ResMut, SystemParam};
use std::sync::Arc;

/// How long a join waits for its sides' earlier changes to be stored before it is given up.
const FENCE_TIMEOUT_SECS: u32 = 10;

/// Joins waiting at the fence, each with the tick it first asked.
#[derive(Resource, Debug, Default)]
pub struct FencedJoins(Vec<(JoinGuild, u64)>);

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
type Joined<'a> = (&'a mut Guild, Option<&'a mut ObjectJournal>);

/// Where a join's outcome goes.
#[derive(SystemParam)]
pub struct JoinNews<'w> {
    joined: MessageWriter<'w, GuildJoined>,
    failed: MessageWriter<'w, JoinFailed>,
    flush: MessageWriter<'w, FlushNow>,
    ledger: Ledger<'w>,
}

impl std::fmt::Debug for JoinNews<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("JoinNews").finish_non_exhaustive()
    }
}

impl JoinNews<'_> {
    fn fail(&mut self, join: &JoinGuild, reason: GuildRefusal) {
        self.failed.write(JoinFailed {
            player: join.player,
            guild: join.guild,
            request: join.request.clone(),
            reason,
        });
    }
}

/// Carries out the joins asked for this tick and those waiting at the fence.
pub fn settle_guild_joins(
    mut requests: MessageReader<JoinGuild>,
    mut fenced: ResMut<FencedJoins>,
    mut players: Query<Joiner>,
    mut guilds: Query<Joined>,
    catalog: Res<Catalog>,
    clock: FenceClock,
    mut news: JoinNews,
) {
    let now = clock.now();
    let timeout = clock.ticks_in_secs(FENCE_TIMEOUT_SECS);
    let due: Vec<(JoinGuild, u64)> = std::mem::take(&mut fenced.0)
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
        let guild_settled = guild.1.as_ref().is_none_or(|j| j.is_settled());
        if !(player_settled && guild_settled) {
            if now.saturating_sub(since) >= timeout {
                news.fail(&join, GuildRefusal::Unavailable);
                continue;
            }
            // Changes already on their way to the database need no second asking.
            if player.4.as_ref().is_some_and(|p| p.has_unsaved()) {
                news.flush.write(FlushNow(join.player));
            }
            if guild.1.as_ref().is_some_and(|j| j.has_unsaved()) {
                news.flush.write(FlushNow(join.guild));
            }
            fenced.0.push((join, since));
            continue;
        }
        match carry_out(&join, &mut player, &mut guild, &catalog, &mut news) {
            Ok(()) => {
                let waited = clock.secs_of(now.saturating_sub(since));
                metrics::histogram!(GUILD_JOIN_SECONDS).record(f64::from(waited));
                news.joined.write(GuildJoined {
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

/// Checks the join again against both sides as they are now, applies it to both and records it
/// on both as one transfer.
fn carry_out(
    join: &JoinGuild,
    (player_id, membership, inventory, wallet, progress): &mut JoinerItem<'_>,
    (guild, journal): &mut (Mut<Guild>, Option<Mut<ObjectJournal>>),
    catalog: &Catalog,
    news: &mut JoinNews,
) -> Result<(), GuildRefusal> {
    if membership.guild().is_some() {
        return Err(GuildRefusal::AlreadyInGuild);
    }
    match &join.event {
        GuildEvent::GuildFounded { .. } if guild.exists() => return Err(GuildRefusal::NameTaken),
        GuildEvent::GuildJoined { .. } if !guild.exists() => {
            return Err(GuildRefusal::NoSuchGuild);
        }
        GuildEvent::GuildJoined { player, .. } if guild.is_banned(*player) => {
            return Err(GuildRefusal::Banned);
        }
        _ => {}
    }
    let payment = match &join.price {
        Some((currency, price)) => {
            let delta = -i64::try_from(*price).unwrap_or(i64::MAX);
            let reason = format!("guild_founded:{}", join.id);
            let paid = wallet
                .change(catalog, currency, delta, &reason)
                .map_err(|_| GuildRefusal::CannotAfford {
                    currency: currency.clone(),
                    price: *price,
                })?;
            Some(paid)
        }
        None => None,
    };
    let began = MembershipEvent::MembershipBegan { guild: join.id };
    news.ledger
        .transfer_share(join.player, (inventory, wallet), None, payment.as_slice());
    membership.apply(&began);
    guild.apply(&join.event);
    if let (Some(progress), Some(journal)) = (progress.as_mut(), journal.as_mut()) {
        let transfer = Arc::new(transfer(
            player_id.0,
            progress.record().version,
            join,
            payment,
            began,
        ));
        progress.record_transfer(transfer.clone(), transfer.at_ms);
        journal.record_transfer(transfer.clone(), transfer.at_ms);
        news.flush.write(FlushNow(join.player));
        news.flush.write(FlushNow(join.guild));
    }
    Ok(())
}

/// The join as stored: the player's leg (its payment, its membership) and the guild's (its
/// event), named by the player's id and the seq its transfer event takes.
fn transfer(
    player: u64,
    version: u64,
    join: &JoinGuild,
    payment: Option<WalletEvent>,
    began: MembershipEvent,
) -> Transfer {
    let mut player_events: Vec<PartEvent> = payment.into_iter().map(PartEvent::deferred).collect();
    player_events.push(PartEvent::deferred(began));
    Transfer {
        id: format!("{player}:{}", version + 1),
        at_ms: now_ms(),
        legs: vec![
            TransferLeg::player(player, player_events),
            TransferLeg::object(
                &ObjectKey::new(GUILD_KIND, join.id),
                vec![PartEvent::deferred(join.event.clone())],
            ),
        ],
    }
}
