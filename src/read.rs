//! The read side (CQRS): queries are answered from a denormalised read model — cached profiles,
//! leaderboards, sessions, live matches — never from the world. Redis holds the shared parts when
//! `[cache] backend = "redis"`; without it everything has an in-process implementation, and when
//! Redis is down every read falls back to the process and the databases.

pub mod api;
pub mod board;
mod cache;
pub mod guilds;
pub mod inventory;
pub mod leaderboards;
pub mod live;
mod model;
pub mod outbox;
mod plugin;
pub mod presence;
pub mod redis_link;
mod single_flight;
pub mod tail;
pub mod trades;

pub use board::{Board, Standing};
pub use cache::MatchSummary;
pub use model::{LiveMatch, Profile, ReadModel, Unavailable};
pub use plugin::{ReadPlugin, SharedReadModel};
pub use presence::SessionInfo;
