//! The rules' guild events go into the guild's log, membership events into the player's, for the
//! next flush.

use crate::persistence::{ObjectJournal, Progress, now_ms};
use arbiter_components::guild::{Guild, Membership};
use arbiter_systems::guild::{GuildApplied, MembershipApplied};
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::Query;

pub(super) fn record_guild_events(
    mut applied: MessageReader<GuildApplied>,
    mut memberships: MessageReader<MembershipApplied>,
    mut guilds: Query<&mut ObjectJournal>,
    mut players: Query<&mut Progress>,
) {
    let at_ms = now_ms();
    for GuildApplied { guild, id, event } in applied.read() {
        match guilds.get_mut(*guild) {
            Ok(mut journal) => logged(journal.record_event::<Guild>(event, at_ms)),
            Err(_) => tracing::error!(guild = id, ?event, "a guild event for a guild not loaded"),
        }
    }
    for MembershipApplied { player, event } in memberships.read() {
        if let Ok(mut progress) = players.get_mut(*player) {
            logged(progress.record_part_event::<Membership>(event, at_ms));
        }
    }
}

/// An event that does not serialize is a bug in its type; it is logged, never silently lost.
fn logged(recorded: Result<(), serde_json::Error>) {
    if let Err(error) = recorded {
        tracing::error!(%error, "a guild event does not serialize; not recorded");
    }
}
