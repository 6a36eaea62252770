//! The client side of Arbiter's protocol, for bots, tests and game clients.
//!
//! It depends on `arbiter_components` only, so a game client never links the server. The connection,
//! input and snapshot API arrive with the networking work; today it re-exports the shared data types a
//! client already needs to interpret server state.

pub use arbiter_components::{kinematics, tick};
