//! Players' guild requests, in the order they arrived: checked against the player's role and the
//! guild's rules, then applied (or handed on: a founding or an application waits for its guild
//! to load, a join goes to the shell).

use super::bank::{self, Lines};
use super::chat::{ChatWindow, say};
use super::joining::{Waiting, WaitingForGuilds};
use super::tell::GuildNews;
use super::{
    GuildApplied, GuildDesk, GuildDirectory, GuildId, GuildMemberOf, GuildRefused, GuildTransfer,
    JoiningGuild, MembershipApplied, OnlineMembers,
};
use arbiter_components::config::GuildSettings;
use arbiter_components::guild::{
    CalendarDay, Guild, GuildEvent, GuildRefusal, GuildRequest, GuildRequested, GuildRole,
    Membership, MembershipEvent, guild_id_of, is_valid_name, is_valid_tag,
};
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::items::Catalog;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::GuildChange;
use arbiter_components::session::AwaitingReconnect;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::query::Has;
use bevy_ecs::system::{Commands, Query, Res, ResMut, SystemParam};
use std::collections::HashMap;

/// A player as the guild rules read and change it.
pub(super) type Player<'a> = (
    Entity,
    &'a PlayerId,
    &'a mut Membership,
    Option<&'a GuildMemberOf>,
    Has<JoiningGuild>,
    Has<AwaitingReconnect>,
    &'a Wallet,
    &'a mut ChatWindow,
    &'a Inventory,
);

/// A guild entity as the rules read and change it (its `Guild` absent while it loads).
pub(super) type GuildParts<'a> = (
    &'a GuildId,
    Option<&'a mut Guild>,
    &'a mut GuildDesk,
    Option<&'a OnlineMembers>,
);

/// What the guild rules announce.
#[derive(SystemParam)]
pub struct GuildWriters<'w, 's> {
    pub(super) commands: Commands<'w, 's>,
    pub(super) refused: MessageWriter<'w, GuildRefused>,
    pub(super) applied: MessageWriter<'w, GuildApplied>,
    pub(super) membership: MessageWriter<'w, MembershipApplied>,
    pub(super) join: MessageWriter<'w, GuildTransfer>,
    pub(super) news: MessageWriter<'w, GuildNews>,
}

impl std::fmt::Debug for GuildWriters<'_, '_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("GuildWriters")
            .finish_non_exhaustive()
    }
}

/// What guild requests are checked against: the settings, the catalog, the tick (for expiries)
/// and the day (for the bank's daily limits).
#[derive(SystemParam, Debug)]
pub struct GuildTerms<'w> {
    pub(super) settings: Res<'w, GuildSettings>,
    pub(super) catalog: Res<'w, Catalog>,
    pub(super) tick: Res<'w, ServerTick>,
    pub(super) rate: Res<'w, TickRate>,
    pub(super) day: Res<'w, CalendarDay>,
}

impl GuildTerms<'_> {
    pub(super) fn now(&self) -> u64 {
        self.tick.get()
    }

    /// The tick an invitation or application made now expires at.
    fn expiry(&self) -> u64 {
        self.now() + self.rate.ticks_in_secs(self.settings.invite_secs)
    }
}

pub fn handle_guild_requests(
    mut requests: MessageReader<GuildRequested>,
    mut players: Query<Player>,
    mut guilds: Query<GuildParts>,
    mut directory: ResMut<GuildDirectory>,
    mut waiting: ResMut<WaitingForGuilds>,
    terms: GuildTerms,
    mut out: GuildWriters,
) {
    // Online players by id, gathered once for this run's invitations (none: never gathered).
    let mut online: Option<HashMap<u64, Entity>> = None;
    for GuildRequested { player, request } in requests.read() {
        let Ok((_, id, membership, link, joining, ..)) = players.get(*player) else {
            continue;
        };
        let (actor, linked) = (id.0, link.map(|link| link.0));
        let free = membership.guild().is_none() && !joining;
        let result = match request {
            GuildRequest::Create { name, tag } => found(*player, name, tag, free, &players, &terms)
                .map(|guild_id| {
                    let guild = directory.entity_of(&mut out.commands, guild_id, terms.now());
                    waiting
                        .0
                        .push(Waiting::new(*player, guild, request, terms.now()));
                }),
            GuildRequest::Apply { guild } => match free {
                true => {
                    let guild = directory.entity_of(&mut out.commands, *guild, terms.now());
                    waiting
                        .0
                        .push(Waiting::new(*player, guild, request, terms.now()));
                    Ok(())
                }
                false => Err(GuildRefusal::AlreadyInGuild),
            },
            GuildRequest::AnswerInvite { guild, accept } => {
                let guild = directory.0.get(guild).copied();
                let asked = Asked {
                    player: *player,
                    actor,
                    request,
                };
                answer_invite(asked, guild, *accept, free, &mut guilds, &terms).map(|join| {
                    if let Some(join) = join {
                        hand_over(&mut out, join);
                    }
                })
            }
            GuildRequest::Invite { player_id } => {
                let online = online.get_or_insert_with(|| online_players(&players));
                let invited = online.get(player_id).copied();
                own(membership, linked).and_then(|guild| {
                    invite(
                        guild,
                        actor,
                        invited,
                        &players,
                        &mut guilds,
                        &terms,
                        &mut out,
                    )
                })
            }
            GuildRequest::AnswerApplication { player_id, accept } => {
                let online = online.get_or_insert_with(|| online_players(&players));
                let applicant = online.get(player_id).copied();
                own(membership, linked).and_then(|guild| {
                    let answer = Answer {
                        applicant_id: *player_id,
                        applicant,
                        accept: *accept,
                    };
                    let asked = Asked {
                        player: *player,
                        actor,
                        request,
                    };
                    answer_application(asked, guild, answer, &players, &mut guilds, &terms).map(
                        |join| {
                            if let Some(join) = join {
                                hand_over(&mut out, join);
                            }
                        },
                    )
                })
            }
            GuildRequest::Chat { text } => own(membership, linked).and_then(|guild| {
                let Ok((.., mut window, _)) = players.get_mut(*player) else {
                    return Err(GuildRefusal::NotInGuild);
                };
                say(
                    guild,
                    actor,
                    text,
                    &mut window,
                    &mut guilds,
                    &terms,
                    &mut out,
                )
            }),
            GuildRequest::Deposit {
                stacks,
                instances,
                currencies,
            }
            | GuildRequest::Withdraw {
                stacks,
                instances,
                currencies,
            } => own(membership, linked).and_then(|guild| {
                let lines = Lines {
                    stacks,
                    instances,
                    currencies,
                };
                let asked = bank::Asked {
                    player: *player,
                    actor,
                    request,
                };
                match request {
                    GuildRequest::Deposit { .. } => {
                        bank::deposit(asked, guild, lines, &players, &guilds, &terms)
                    }
                    _ => bank::withdraw(asked, guild, lines, &guilds, &terms),
                }
                .map(|transfer| hand_over(&mut out, transfer))
            }),
            GuildRequest::Leave
            | GuildRequest::Kick { .. }
            | GuildRequest::Ban { .. }
            | GuildRequest::Unban { .. }
            | GuildRequest::Promote { .. }
            | GuildRequest::Demote { .. }
            | GuildRequest::TransferLeadership { .. }
            | GuildRequest::Disband => own(membership, linked).and_then(|guild| {
                manage(guild, actor, request, &mut guilds)
                    .map(|event| apply(guild, event, &mut players, &mut guilds, &terms, &mut out))
            }),
        };
        if let Err(reason) = result {
            out.refused.write(GuildRefused {
                player: *player,
                request: request.clone(),
                reason,
            });
        }
    }
}

/// The guild entity of the player's own guild.
fn own(membership: &Membership, linked: Option<Entity>) -> Result<Entity, GuildRefusal> {
    match (linked, membership.guild()) {
        (Some(guild), _) => Ok(guild),
        // Its guild is still loading: it is not linked yet.
        (None, Some(_)) => Err(GuildRefusal::Unavailable),
        (None, None) => Err(GuildRefusal::NotInGuild),
    }
}

fn online_players(players: &Query<Player>) -> HashMap<u64, Entity> {
    players
        .iter()
        .filter(|(.., reconnecting, _, _, _)| !reconnecting)
        .map(|(entity, id, ..)| (id.0, entity))
        .collect()
}

/// Checks a founding before its guild is looked up: the name, the tag, the player free, the price
/// affordable. Returns the guild's id.
fn found(
    player: Entity,
    name: &str,
    tag: &str,
    free: bool,
    players: &Query<Player>,
    terms: &GuildTerms,
) -> Result<u64, GuildRefusal> {
    if !is_valid_name(name) {
        return Err(GuildRefusal::InvalidName);
    }
    if !is_valid_tag(tag) {
        return Err(GuildRefusal::InvalidTag);
    }
    if !free {
        return Err(GuildRefusal::AlreadyInGuild);
    }
    check_price(player, players, &terms.settings)?;
    Ok(guild_id_of(name))
}

/// Refuses a founding the player cannot pay for.
pub(super) fn check_price(
    player: Entity,
    players: &Query<Player>,
    settings: &GuildSettings,
) -> Result<(), GuildRefusal> {
    let balance = players.get(player).map_or(0, |(.., wallet, _, _)| {
        wallet.balance(&settings.price_currency)
    });
    match balance >= settings.price {
        true => Ok(()),
        false => Err(GuildRefusal::CannotAfford {
            currency: settings.price_currency.clone(),
            price: settings.price,
        }),
    }
}

/// Refuses a join into a guild that is full (counting joins under way) or has banned the player.
pub(super) fn check_room(
    guild: &Guild,
    desk: &GuildDesk,
    player: u64,
    settings: &GuildSettings,
) -> Result<(), GuildRefusal> {
    if guild.is_banned(player) {
        return Err(GuildRefusal::Banned);
    }
    let members = guild.members().len() + desk.joins_under_way as usize;
    match members < settings.max_members as usize {
        true => Ok(()),
        false => Err(GuildRefusal::Full),
    }
}

/// Sends a transfer to the shell; a joining player waits for its answer.
pub(super) fn hand_over(out: &mut GuildWriters, transfer: GuildTransfer) {
    if transfer.is_join() {
        out.commands.entity(transfer.player).insert(JoiningGuild);
    }
    out.join.write(transfer);
}

/// Who asked what.
#[derive(Debug, Clone, Copy)]
struct Asked<'a> {
    player: Entity,
    actor: u64,
    request: &'a GuildRequest,
}

fn invite(
    guild: Entity,
    actor: u64,
    invited: Option<Entity>,
    players: &Query<Player>,
    guilds: &mut Query<GuildParts>,
    terms: &GuildTerms,
    out: &mut GuildWriters,
) -> Result<(), GuildRefusal> {
    let Ok((_, Some(state), mut desk, _)) = guilds.get_mut(guild) else {
        return Err(GuildRefusal::Unavailable);
    };
    if !state.role_of(actor).is_some_and(GuildRole::manages_members) {
        return Err(GuildRefusal::NotAllowed);
    }
    let Some((player, id, membership, _, joining, ..)) =
        invited.and_then(|invited| players.get(invited).ok())
    else {
        return Err(GuildRefusal::NoSuchPlayer);
    };
    if membership.guild().is_some() || joining {
        return Err(GuildRefusal::AlreadyInGuild);
    }
    check_room(&state, &desk, id.0, &terms.settings)?;
    let now = terms.now();
    desk.invitations
        .retain(|(invited, _, expiry)| *invited != id.0 && *expiry > now);
    desk.invitations.push((id.0, actor, terms.expiry()));
    desk.last_used_tick = now;
    out.news.write(GuildNews::Invited {
        guild,
        player,
        by: actor,
    });
    Ok(())
}

fn answer_invite(
    asked: Asked<'_>,
    guild: Option<Entity>,
    accept: bool,
    free: bool,
    guilds: &mut Query<GuildParts>,
    terms: &GuildTerms,
) -> Result<Option<GuildTransfer>, GuildRefusal> {
    let Some((guild, (id, Some(state), mut desk, _))) =
        guild.and_then(|guild| guilds.get_mut(guild).ok().map(|parts| (guild, parts)))
    else {
        return Err(GuildRefusal::NoInvitation);
    };
    let (now, actor) = (terms.now(), asked.actor);
    let Some(index) = desk
        .invitations
        .iter()
        .position(|(invited, _, expiry)| *invited == actor && *expiry > now)
    else {
        return Err(GuildRefusal::NoInvitation);
    };
    if !accept {
        desk.invitations.swap_remove(index);
        return Ok(None);
    }
    if !free {
        return Err(GuildRefusal::AlreadyInGuild);
    }
    if !state.exists() {
        return Err(GuildRefusal::NoSuchGuild);
    }
    check_room(&state, &desk, actor, &terms.settings)?;
    let (_, by, _) = desk.invitations.swap_remove(index);
    desk.joins_under_way += 1;
    Ok(Some(GuildTransfer {
        player: asked.player,
        guild,
        id: id.0,
        event: GuildEvent::GuildJoined { player: actor, by },
        price: None,
        request: asked.request.clone(),
    }))
}

/// An officer's answer to an application.
struct Answer {
    applicant_id: u64,
    applicant: Option<Entity>,
    accept: bool,
}

fn answer_application(
    asked: Asked<'_>,
    guild: Entity,
    answer: Answer,
    players: &Query<Player>,
    guilds: &mut Query<GuildParts>,
    terms: &GuildTerms,
) -> Result<Option<GuildTransfer>, GuildRefusal> {
    let Ok((id, Some(state), mut desk, _)) = guilds.get_mut(guild) else {
        return Err(GuildRefusal::Unavailable);
    };
    if !state
        .role_of(asked.actor)
        .is_some_and(GuildRole::manages_members)
    {
        return Err(GuildRefusal::NotAllowed);
    }
    let now = terms.now();
    let Some(index) = desk
        .applications
        .iter()
        .position(|(applicant, expiry)| *applicant == answer.applicant_id && *expiry > now)
    else {
        return Err(GuildRefusal::NoInvitation);
    };
    desk.applications.swap_remove(index);
    if !answer.accept {
        return Ok(None);
    }
    let Some((player, _, membership, _, joining, ..)) = answer
        .applicant
        .and_then(|applicant| players.get(applicant).ok())
    else {
        return Err(GuildRefusal::NoSuchPlayer);
    };
    if membership.guild().is_some() || joining {
        return Err(GuildRefusal::AlreadyInGuild);
    }
    check_room(&state, &desk, answer.applicant_id, &terms.settings)?;
    desk.joins_under_way += 1;
    Ok(Some(GuildTransfer {
        player,
        guild,
        id: id.0,
        event: GuildEvent::GuildJoined {
            player: answer.applicant_id,
            by: asked.actor,
        },
        price: None,
        request: asked.request.clone(),
    }))
}

/// Checks an operation on the player's own guild; returns the event it makes.
fn manage(
    guild: Entity,
    actor: u64,
    request: &GuildRequest,
    guilds: &mut Query<GuildParts>,
) -> Result<GuildEvent, GuildRefusal> {
    let Ok((_, Some(state), ..)) = guilds.get(guild) else {
        return Err(GuildRefusal::Unavailable);
    };
    let role = state.role_of(actor).ok_or(GuildRefusal::NotInGuild)?;
    let leader = role == GuildRole::Leader;
    // Whom a request names: a member, unless said otherwise.
    let member = |player: u64| state.role_of(player).ok_or(GuildRefusal::NoSuchPlayer);
    // Officers act on members only; the leader on anyone but itself.
    let outranks = |target: Option<GuildRole>| match target {
        Some(GuildRole::Leader) => false,
        Some(GuildRole::Officer) => leader,
        Some(GuildRole::Member) | None => role.manages_members(),
    };
    let allowed = |yes: bool| {
        if yes {
            Ok(())
        } else {
            Err(GuildRefusal::NotAllowed)
        }
    };
    Ok(match *request {
        GuildRequest::Leave | GuildRequest::Disband if leader && !state.bank().is_empty() => {
            return Err(GuildRefusal::BankNotEmpty);
        }
        GuildRequest::Leave => match (leader, state.members().len()) {
            (true, 1) => GuildEvent::GuildDisbanded { by: actor },
            (true, _) => return Err(GuildRefusal::LeaderMustTransfer),
            (false, _) => GuildEvent::GuildLeft { player: actor },
        },
        GuildRequest::Kick { player_id } => {
            let target = member(player_id)?;
            allowed(player_id != actor && outranks(Some(target)))?;
            GuildEvent::GuildKicked {
                player: player_id,
                by: actor,
            }
        }
        GuildRequest::Ban { player_id } => {
            allowed(player_id != actor && outranks(state.role_of(player_id)))?;
            if state.is_banned(player_id) {
                return Err(GuildRefusal::Banned);
            }
            GuildEvent::GuildBanned {
                player: player_id,
                by: actor,
            }
        }
        GuildRequest::Unban { player_id } => {
            allowed(role.manages_members())?;
            if !state.is_banned(player_id) {
                return Err(GuildRefusal::NoSuchPlayer);
            }
            GuildEvent::GuildUnbanned {
                player: player_id,
                by: actor,
            }
        }
        GuildRequest::Promote { player_id } | GuildRequest::Demote { player_id } => {
            let promote = matches!(request, GuildRequest::Promote { .. });
            let (from, to) = match promote {
                true => (GuildRole::Member, GuildRole::Officer),
                false => (GuildRole::Officer, GuildRole::Member),
            };
            allowed(leader)?;
            allowed(member(player_id)? == from)?;
            GuildEvent::GuildRoleChanged {
                player: player_id,
                role: to,
                by: actor,
            }
        }
        GuildRequest::TransferLeadership { player_id } => {
            allowed(leader)?;
            member(player_id)?;
            allowed(player_id != actor)?;
            GuildEvent::GuildLeaderChanged {
                from: actor,
                to: player_id,
            }
        }
        GuildRequest::Disband => {
            allowed(leader)?;
            GuildEvent::GuildDisbanded { by: actor }
        }
        _ => unreachable!("only member operations are managed"),
    })
}

/// Applies a checked operation: to the guild, to the online players it takes out, and to the
/// news.
fn apply(
    guild: Entity,
    event: GuildEvent,
    players: &mut Query<Player>,
    guilds: &mut Query<GuildParts>,
    terms: &GuildTerms,
    out: &mut GuildWriters,
) {
    let Ok((id, Some(mut state), mut desk, online)) = guilds.get_mut(guild) else {
        return;
    };
    // Who leaves the guild with it: one member, or every member of a disbanded guild.
    let leaving: Vec<u64> = match &event {
        GuildEvent::GuildDisbanded { .. } => state.members().keys().copied().collect(),
        other => other.removes().into_iter().collect(),
    };
    state.apply(&event);
    desk.last_used_tick = terms.now();
    let mut also = Vec::new();
    for member in online.into_iter().flat_map(OnlineMembers::iter) {
        let Ok((entity, player_id, mut membership, ..)) = players.get_mut(member) else {
            continue;
        };
        if leaving.contains(&player_id.0) {
            let ended = MembershipEvent::MembershipEnded { guild: id.0 };
            membership.apply(&ended);
            out.membership.write(MembershipApplied {
                player: entity,
                event: ended,
            });
            out.commands.entity(entity).remove::<GuildMemberOf>();
            also.push(entity);
        }
    }
    if let Some(change) = GuildChange::of(&event) {
        out.news.write(GuildNews::Changed {
            guild,
            change,
            also,
        });
    }
    out.applied.write(GuildApplied {
        guild,
        id: id.0,
        event,
    });
}
