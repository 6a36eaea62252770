//! The settings the rules read, as read from `assets/config/server.toml`.
//!
//! Every section is also an ECS resource, so a rule reads only the section it needs
//! (`Res<MatchmakingSettings>`) and can use change detection to react to a hot reload. The server's
//! deploy settings (sockets, persistence, cache, admin, logs) and the whole file's shape live in the
//! `arbiter` crate, as do parsing, environment overrides and file watching; this module only defines
//! the shape, the defaults and the checks of its sections.

mod anticheat;
mod economy;
mod guilds;
mod invalid;
mod matches;
mod matchmaking;
mod movement;

pub use anticheat::AnticheatSettings;
pub use economy::EconomySettings;
pub use guilds::GuildSettings;
pub use invalid::{InvalidSetting, check_range};
pub use matches::MatchSettings;
pub use matchmaking::MatchmakingSettings;
pub use movement::MovementSettings;
