//! What guilds tell clients: each change to the members online (and to one it took out), the
//! whole guild and its recent chat to one that comes online or joins, chat lines, invitations,
//! applications to those who answer them, and refusals to the one refused.

use super::{GuildId, GuildMemberOf, GuildRefused, OnlineMembers};
use arbiter_components::config::GuildSettings;
use arbiter_components::guild::{Guild, GuildRole};
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{GuildChange, GuildChatLine, GuildView, ServerMessage};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{Message, MessageReader, MessageWriter};
use bevy_ecs::system::{Query, Res};
use std::collections::HashSet;

/// Something to tell about a guild, gathered by the rules during the tick.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub enum GuildNews {
    /// To the guild's members online, and to `also` (taken out of it this tick).
    Changed {
        guild: Entity,
        change: GuildChange,
        also: Vec<Entity>,
    },
    /// The whole guild and its kept chat, to `player` (online in it, or just joined).
    Whole { guild: Entity, player: Entity },
    /// A line of chat, to the guild's members online.
    Chat { guild: Entity, line: GuildChatLine },
    /// An invitation, to the invited.
    Invited {
        guild: Entity,
        player: Entity,
        by: u64,
    },
    /// An application, to the guild's leader and officers online.
    Applied { guild: Entity, player_id: u64 },
}

/// A guild as telling reads it.
type Told<'a> = (&'a GuildId, Option<&'a Guild>, Option<&'a OnlineMembers>);

/// Sends this tick's guild news, in the order it happened, then the refusals.
pub fn tell_guild_members(
    mut news: MessageReader<GuildNews>,
    mut refused: MessageReader<GuildRefused>,
    guilds: Query<Told>,
    players: Query<(&PlayerId, Option<&GuildMemberOf>)>,
    settings: Res<GuildSettings>,
    mut outbound: MessageWriter<Outbound>,
) {
    let mut send = |player: Entity, message: ServerMessage| {
        outbound.write(Outbound { player, message });
    };
    for item in news.read() {
        match item {
            GuildNews::Changed {
                guild,
                change,
                also,
            } => {
                let Ok((id, _, online)) = guilds.get(*guild) else {
                    continue;
                };
                let message = ServerMessage::GuildChanged {
                    guild: id.0,
                    change: change.clone(),
                };
                for player in members(online).chain(also.iter().copied()) {
                    send(player, message.clone());
                }
            }
            GuildNews::Whole { guild, player } => {
                let Ok((id, Some(state), online)) = guilds.get(*guild) else {
                    continue;
                };
                let online_ids: HashSet<u64> = members(online)
                    .filter_map(|member| players.get(member).ok())
                    .map(|(player_id, _)| player_id.0)
                    .collect();
                let view = GuildView::new(id.0, state, |member| online_ids.contains(&member));
                send(*player, ServerMessage::Guild(Box::new(view)));
                let kept = state.chat();
                let told = kept.len().min(settings.chat_history as usize);
                if told > 0 {
                    let lines = kept.iter().skip(kept.len() - told).cloned().collect();
                    send(*player, ServerMessage::GuildChat { guild: id.0, lines });
                }
            }
            GuildNews::Chat { guild, line } => {
                let Ok((id, _, online)) = guilds.get(*guild) else {
                    continue;
                };
                let message = ServerMessage::GuildChat {
                    guild: id.0,
                    lines: vec![line.clone()],
                };
                for player in members(online) {
                    send(player, message.clone());
                }
            }
            GuildNews::Invited { guild, player, by } => {
                if let Ok((id, Some(state), ..)) = guilds.get(*guild) {
                    let message = ServerMessage::GuildInvited {
                        guild: id.0,
                        name: state.name().to_owned(),
                        tag: state.tag().to_owned(),
                        by: *by,
                    };
                    send(*player, message);
                }
            }
            GuildNews::Applied { guild, player_id } => {
                let Ok((id, Some(state), online)) = guilds.get(*guild) else {
                    continue;
                };
                let managers = members(online).filter(|member| {
                    players.get(*member).is_ok_and(|(member_id, _)| {
                        state
                            .role_of(member_id.0)
                            .is_some_and(GuildRole::manages_members)
                    })
                });
                let message = ServerMessage::GuildApplied {
                    guild: id.0,
                    player_id: *player_id,
                };
                for manager in managers {
                    send(manager, message.clone());
                }
            }
        }
    }
    for refusal in refused.read() {
        let message = ServerMessage::GuildRefused {
            request: refusal.request.clone(),
            reason: refusal.reason.clone(),
        };
        send(refusal.player, message);
    }
}

fn members(online: Option<&OnlineMembers>) -> impl Iterator<Item = Entity> + '_ {
    online.into_iter().flat_map(OnlineMembers::iter)
}
