//! Matchmaking: tickets wait in skill buckets, widen their search over time, time out, and become
//! matches of balanced teams.

mod queue;
mod teams;

pub use queue::{AlreadyQueued, FormedMatch, MatchmakingQueue, QueueParams, QueuedTicket, TickOutcome};
pub use teams::{TeamUnit, balance_teams, imbalance};
