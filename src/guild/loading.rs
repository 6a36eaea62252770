//! Guild entities come and go: one spawned by the rules (a member online, a request naming it)
//! is loaded from its shard; one idle long enough, with nobody online and nothing unsaved, is
//! unloaded. Without persistence a guild lives in memory only: it starts empty at once and stays.

use super::stored::GUILD_KIND;
use crate::persistence::{ObjectJournal, ObjectKey};
use arbiter_components::guild::Guild;
use arbiter_components::tick::{ServerTick, TickRate};
use arbiter_systems::guild::{GuildDesk, GuildDirectory, GuildId, OnlineMembers};
use bevy_ecs::entity::Entity;
use bevy_ecs::query::{Added, Without};
use bevy_ecs::system::{Commands, Query, Res, ResMut};

/// A guild nobody is online in stays this long after its last use.
const IDLE_GUILD_SECS: u32 = 300;
/// A name looked up and found free (a founding refused or not yet made) stays this long.
const IDLE_NOTHING_SECS: u32 = 30;

/// Asks persistence to load each guild the rules spawned.
pub(super) fn load_new_guilds(
    mut commands: Commands,
    spawned: Query<(Entity, &GuildId), Added<GuildId>>,
) {
    for (guild, id) in &spawned {
        commands
            .entity(guild)
            .insert(ObjectKey::new(GUILD_KIND, id.0));
    }
}

/// Without persistence: each guild the rules spawned is new and empty.
pub(super) fn start_guilds_empty(
    mut commands: Commands,
    spawned: Query<Entity, (Added<GuildId>, Without<Guild>)>,
) {
    for guild in &spawned {
        commands.entity(guild).insert(Guild::default());
    }
}

/// A loaded guild as unloading reads it.
type Loaded<'a> = (
    Entity,
    &'a GuildId,
    &'a Guild,
    &'a GuildDesk,
    Option<&'a OnlineMembers>,
    &'a ObjectJournal,
);

/// Unloads loaded guilds with nobody online, no join under way, everything stored, idle long
/// enough.
pub(super) fn unload_idle_guilds(
    mut commands: Commands,
    guilds: Query<Loaded>,
    mut directory: ResMut<GuildDirectory>,
    tick: Res<ServerTick>,
    rate: Res<TickRate>,
) {
    let now = tick.get();
    for (entity, id, guild, desk, online, journal) in &guilds {
        let idle = match guild.exists() {
            true => rate.ticks_in_secs(IDLE_GUILD_SECS),
            false => rate.ticks_in_secs(IDLE_NOTHING_SECS),
        };
        let quiet = online.is_none_or(OnlineMembers::is_empty) && desk.joins_under_way == 0;
        if quiet && journal.is_settled() && now.saturating_sub(desk.last_used_tick) >= idle {
            commands.entity(entity).despawn();
            directory.0.remove(&id.0);
        }
    }
}
