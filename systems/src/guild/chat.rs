//! Guild chat: a member's line goes to every member online at once and into the guild's kept
//! history — an event of the guild, stored with it like any other, so the history outlives the
//! guild's unloading and restarts; lines are limited in size and, per member, in rate.

use super::GuildApplied;
use super::requests::{GuildParts, GuildTerms, GuildWriters};
use super::tell::GuildNews;
use arbiter_components::guild::{GuildEvent, GuildRefusal};
use arbiter_components::protocol::GuildChatLine;
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::system::Query;
use std::collections::VecDeque;

/// On a player: the ticks of its chat lines in the last minute, for the rate limit.
#[derive(Component, Debug, Default, Clone, PartialEq, Eq)]
pub struct ChatWindow(VecDeque<u64>);

/// Says `text` in the guild for member `actor`, if it is of a possible size and the member has
/// not said too much in the last minute.
pub(super) fn say(
    guild: Entity,
    actor: u64,
    text: &str,
    window: &mut ChatWindow,
    guilds: &mut Query<GuildParts>,
    terms: &GuildTerms,
    out: &mut GuildWriters,
) -> Result<(), GuildRefusal> {
    if text.is_empty() || text.len() > terms.settings.chat_max_bytes as usize {
        return Err(GuildRefusal::ChatTooLong);
    }
    let now = terms.now();
    let minute = terms.rate.ticks_in_secs(60);
    while window.0.front().is_some_and(|said| said + minute <= now) {
        window.0.pop_front();
    }
    if window.0.len() >= terms.settings.chat_per_minute as usize {
        return Err(GuildRefusal::ChatTooFast);
    }
    let Ok((id, Some(mut state), mut desk, _)) = guilds.get_mut(guild) else {
        return Err(GuildRefusal::Unavailable);
    };
    window.0.push_back(now);
    let line = GuildChatLine {
        from: actor,
        tick: now,
        text: text.to_owned(),
    };
    let event = GuildEvent::GuildChatSaid {
        from: actor,
        tick: now,
        text: line.text.clone(),
    };
    state.apply(&event);
    desk.last_used_tick = now;
    out.applied.write(GuildApplied {
        guild,
        id: id.0,
        event,
    });
    out.news.write(GuildNews::Chat { guild, line });
    Ok(())
}
