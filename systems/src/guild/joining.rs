//! Requests that wait for their guild to load (a founding must know whether the name is taken; an
//! application, whether the guild exists), and the end of joins the shell carried out.

use super::requests::{
    GuildParts, GuildTerms, GuildWriters, Player, check_price, check_room, hand_over,
};
use super::tell::GuildNews;
use super::{
    GuildDesk, GuildMemberOf, GuildRefused, GuildTransfer, GuildTransferFailed, GuildTransferred,
    JoiningGuild, is_join,
};
use arbiter_components::guild::{GuildEvent, GuildRefusal, GuildRequest};
use arbiter_components::protocol::GuildChange;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageReader;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::{Query, ResMut};

/// How long a request waits for its guild to load before it is refused as unavailable.
const LOAD_TIMEOUT_SECS: u32 = 10;

/// A founding or an application waiting for its guild's entity to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Waiting {
    player: Entity,
    guild: Entity,
    request: GuildRequest,
    since: u64,
}

impl Waiting {
    pub(super) fn new(player: Entity, guild: Entity, request: &GuildRequest, since: u64) -> Self {
        Self {
            player,
            guild,
            request: request.clone(),
            since,
        }
    }
}

/// Requests waiting for their guild, in arrival order.
#[derive(Resource, Debug, Default)]
pub struct WaitingForGuilds(pub(super) Vec<Waiting>);

/// Serves the waiting requests whose guild has loaded; refuses those that waited too long.
pub fn serve_waiting_requests(
    mut waiting: ResMut<WaitingForGuilds>,
    players: Query<Player>,
    mut guilds: Query<GuildParts>,
    terms: GuildTerms,
    mut out: GuildWriters,
) {
    let timeout = terms.rate.ticks_in_secs(LOAD_TIMEOUT_SECS);
    let mut still = Vec::new();
    for asked in std::mem::take(&mut waiting.0) {
        let loaded = guilds
            .get(asked.guild)
            .is_ok_and(|(_, state, ..)| state.is_some());
        if !loaded && terms.now().saturating_sub(asked.since) < timeout {
            still.push(asked);
            continue;
        }
        let served = match loaded {
            true => serve(&asked, &players, &mut guilds, &terms, &mut out),
            false => Err(GuildRefusal::Unavailable),
        };
        if let Err(reason) = served {
            out.refused.write(GuildRefused {
                player: asked.player,
                request: asked.request,
                reason,
            });
        }
    }
    waiting.0 = still;
}

fn serve(
    asked: &Waiting,
    players: &Query<Player>,
    guilds: &mut Query<GuildParts>,
    terms: &GuildTerms,
    out: &mut GuildWriters,
) -> Result<(), GuildRefusal> {
    let Ok((_, player_id, membership, _, joining, ..)) = players.get(asked.player) else {
        return Ok(()); // Gone while it waited: nobody to answer.
    };
    if membership.guild().is_some() || joining {
        return Err(GuildRefusal::AlreadyInGuild);
    }
    let Ok((id, Some(state), mut desk, _)) = guilds.get_mut(asked.guild) else {
        return Err(GuildRefusal::Unavailable);
    };
    desk.last_used_tick = terms.now();
    match &asked.request {
        GuildRequest::Create { name, tag } => {
            // A founding under way holds the name as much as a guild that exists.
            if state.exists() || desk.joins_under_way > 0 {
                return Err(GuildRefusal::NameTaken);
            }
            check_price(asked.player, players, &terms.settings)?;
            desk.joins_under_way += 1;
            let price = &terms.settings;
            hand_over(
                out,
                GuildTransfer {
                    player: asked.player,
                    guild: asked.guild,
                    id: id.0,
                    event: GuildEvent::GuildFounded {
                        name: name.clone(),
                        tag: tag.clone(),
                        leader: player_id.0,
                    },
                    price: (price.price > 0).then(|| (price.price_currency.clone(), price.price)),
                    request: asked.request.clone(),
                },
            );
            Ok(())
        }
        GuildRequest::Apply { .. } => {
            if !state.exists() {
                return Err(GuildRefusal::NoSuchGuild);
            }
            check_room(&state, &desk, player_id.0, &terms.settings)?;
            let expiry = terms.now() + terms.rate.ticks_in_secs(terms.settings.invite_secs);
            let now = terms.now();
            desk.applications
                .retain(|(applicant, until)| *applicant != player_id.0 && *until > now);
            desk.applications.push((player_id.0, expiry));
            out.news.write(GuildNews::Applied {
                guild: asked.guild,
                player_id: player_id.0,
            });
            Ok(())
        }
        _ => unreachable!("only foundings and applications wait for their guild"),
    }
}

/// Ends the transfers the shell answered: a joined player is linked to its guild and told it
/// whole, the guild told of the change; a failed transfer is refused to its player with why.
pub fn finish_transfers(
    mut done: MessageReader<GuildTransferred>,
    mut failed: MessageReader<GuildTransferFailed>,
    mut desks: Query<&mut GuildDesk>,
    mut out: GuildWriters,
) {
    // A join no longer under way frees its player and its place in the guild.
    let mut joined = |guild: Entity, out: &mut GuildWriters, player: Entity| {
        if let Ok(mut desk) = desks.get_mut(guild) {
            desk.joins_under_way = desk.joins_under_way.saturating_sub(1);
        }
        if let Ok(mut player) = out.commands.get_entity(player) {
            player.remove::<JoiningGuild>();
        }
    };
    for transfer in done.read() {
        if is_join(&transfer.event) {
            joined(transfer.guild, &mut out, transfer.player);
            if let Ok(mut player) = out.commands.get_entity(transfer.player) {
                player.insert(GuildMemberOf(transfer.guild));
            }
            out.news.write(GuildNews::Whole {
                guild: transfer.guild,
                player: transfer.player,
            });
        }
        if let Some(change) = GuildChange::of(&transfer.event) {
            out.news.write(GuildNews::Changed {
                guild: transfer.guild,
                change,
                also: Vec::new(),
            });
        }
    }
    for failure in failed.read() {
        if is_join(&failure.event) {
            joined(failure.guild, &mut out, failure.player);
        }
        out.refused.write(GuildRefused {
            player: failure.player,
            request: failure.request.clone(),
            reason: failure.reason.clone(),
        });
    }
}
