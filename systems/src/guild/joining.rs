//! Requests that wait for their guild to load (a founding must know whether the name is taken; an
//! application, whether the guild exists), and the end of joins the shell carried out.

use super::requests::{
    GuildClock, GuildParts, GuildWriters, Player, check_price, check_room, hand_over,
};
use super::tell::GuildNews;
use super::{
    GuildDesk, GuildJoined, GuildMemberOf, GuildRefused, JoinFailed, JoinGuild, JoiningGuild,
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
    clock: GuildClock,
    mut out: GuildWriters,
) {
    let timeout = clock.rate.ticks_in_secs(LOAD_TIMEOUT_SECS);
    let mut still = Vec::new();
    for asked in std::mem::take(&mut waiting.0) {
        let loaded = guilds
            .get(asked.guild)
            .is_ok_and(|(_, state, ..)| state.is_some());
        if !loaded && clock.now().saturating_sub(asked.since) < timeout {
            still.push(asked);
            continue;
        }
        let served = match loaded {
            true => serve(&asked, &players, &mut guilds, &clock, &mut out),
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
    clock: &GuildClock,
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
    desk.last_used_tick = clock.now();
    match &asked.request {
        GuildRequest::Create { name, tag } => {
            // A founding under way holds the name as much as a guild that exists.
            if state.exists() || desk.joins_under_way > 0 {
                return Err(GuildRefusal::NameTaken);
            }
            check_price(asked.player, players, &clock.settings)?;
            desk.joins_under_way += 1;
            let price = &clock.settings;
            hand_over(
                out,
                JoinGuild {
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
            check_room(&state, &desk, player_id.0, &clock.settings)?;
            let expiry = clock.now() + clock.rate.ticks_in_secs(clock.settings.invite_secs);
            let now = clock.now();
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

/// Links the players whose join the shell carried out to their guild and tells them (and the
/// guild); frees those whose join failed.
pub fn finish_joins(
    mut joined: MessageReader<GuildJoined>,
    mut failed: MessageReader<JoinFailed>,
    mut desks: Query<&mut GuildDesk>,
    mut out: GuildWriters,
) {
    let mut done = |guild: Entity, out: &mut GuildWriters, player: Entity| {
        if let Ok(mut desk) = desks.get_mut(guild) {
            desk.joins_under_way = desk.joins_under_way.saturating_sub(1);
        }
        if let Ok(mut player) = out.commands.get_entity(player) {
            player.remove::<JoiningGuild>();
        }
    };
    for join in joined.read() {
        done(join.guild, &mut out, join.player);
        if let Ok(mut player) = out.commands.get_entity(join.player) {
            player.insert(GuildMemberOf(join.guild));
        }
        if let Some(change) = GuildChange::of(&join.event) {
            out.news.write(GuildNews::Changed {
                guild: join.guild,
                change,
                also: Vec::new(),
            });
        }
        out.news.write(GuildNews::Whole {
            guild: join.guild,
            player: join.player,
        });
    }
    for failure in failed.read() {
        done(failure.guild, &mut out, failure.player);
        out.refused.write(GuildRefused {
            player: failure.player,
            request: failure.request.clone(),
            reason: failure.reason.clone(),
        });
    }
}
