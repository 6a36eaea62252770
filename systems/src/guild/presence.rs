//! A member coming online: its stored membership is checked against its guild (loaded for it if
//! need be) and, if the guild still lists it, linked to the guild's entity and told the guild
//! whole; a membership the guild no longer holds (kicked or disbanded while away) is ended.

use super::requests::GuildWriters;
use super::tell::GuildNews;
use super::{GuildDirectory, GuildMemberOf, JoiningGuild, MembershipApplied};
use arbiter_components::guild::{Guild, Membership, MembershipEvent};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::GuildChange;
use arbiter_components::tick::ServerTick;
use bevy_ecs::entity::Entity;
use bevy_ecs::lifecycle::Remove;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::observer::On;
use bevy_ecs::query::Without;
use bevy_ecs::system::{Query, Res, ResMut};

/// Players not linked to a guild, and not joining one.
type Unlinked = (Without<GuildMemberOf>, Without<JoiningGuild>);

pub fn link_online_members(
    mut players: Query<(Entity, &PlayerId, &mut Membership), Unlinked>,
    guilds: Query<Option<&Guild>>,
    mut directory: ResMut<GuildDirectory>,
    tick: Res<ServerTick>,
    mut out: GuildWriters,
) {
    for (player, player_id, mut membership) in &mut players {
        let Some(id) = membership.guild() else {
            continue;
        };
        let guild = directory.entity_of(&mut out.commands, id, tick.get());
        let Ok(Some(state)) = guilds.get(guild) else {
            continue; // Loading (or spawned just now): checked again next tick.
        };
        if state.role_of(player_id.0).is_some() {
            out.commands.entity(player).insert(GuildMemberOf(guild));
            out.news.write(GuildNews::Changed {
                guild,
                change: GuildChange::Online {
                    player_id: player_id.0,
                    online: true,
                },
                also: Vec::new(),
            });
            out.news.write(GuildNews::Whole { guild, player });
        } else {
            let ended = MembershipEvent::MembershipEnded { guild: id };
            membership.apply(&ended);
            out.membership.write(MembershipApplied {
                player,
                event: ended,
            });
        }
    }
}

/// A member whose entity leaves the world (its reconnect grace over) goes offline: its guild is
/// told. A member taken out of the guild (its membership ended first) is not "offline": its guild
/// was told why it left.
pub fn tell_member_offline(
    removed: On<Remove<GuildMemberOf>>,
    members: Query<(&PlayerId, &Membership, &GuildMemberOf)>,
    mut news: MessageWriter<GuildNews>,
) {
    let Ok((player, membership, link)) = members.get(removed.entity) else {
        return;
    };
    if membership.guild().is_none() {
        return;
    }
    news.write(GuildNews::Changed {
        guild: link.0,
        change: GuildChange::Online {
            player_id: player.0,
            online: false,
        },
        also: Vec::new(),
    });
}
