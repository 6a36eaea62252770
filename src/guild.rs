//! Guilds in the server: each guild a stored object of its own (see `stored`), loaded when a
//! member comes online or a request names it and unloaded when idle; foundings and joins carried
//! out as transfers between the player and the guild (see `settlement`); and the rules' guild
//! events recorded in the guild's log, membership events in the player's.

mod bank_audit;
mod calendar;
mod legs_in_flight;
mod loading;
mod plugin;
mod recording;
mod settlement;
mod stored;

pub use bank_audit::{audit_guild_banks, audit_players_and_banks};
pub use plugin::GuildStoragePlugin;
pub use settlement::{FencedJoins, settle_guild_joins};
pub use stored::GUILD_KIND;

use crate::persistence::StoredParts;

/// The guild's parts of a player, to open a store with (with the economy's).
pub fn guild_player_parts(parts: StoredParts) -> StoredParts {
    parts.with::<arbiter_components::guild::Membership>()
}

/// The stored object kinds of guilds: `Store::with_objects(guild_objects())`.
pub fn guild_objects() -> StoredParts {
    StoredParts::default().with::<arbiter_components::guild::Guild>()
}
