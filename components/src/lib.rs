//! Arbiter's data: components, resources and settings shared by the rules (`arbiter_systems`), the server
//! shell (`arbiter`) and game clients (`arbiter_client`).
//!
//! This crate holds data only. It never performs I/O: no sockets, files, databases or clocks.

pub mod combat;
pub mod config;
pub mod guild;
pub mod history;
pub mod input;
pub mod inventory;
pub mod items;
pub mod kinematics;
pub mod map;
pub mod match_events;
pub mod matchmaking;
pub mod messages;
pub mod party;
pub mod player;
pub mod protocol;
pub mod rewards;
pub mod session;
pub mod shop;
pub mod tick;
pub mod trade;
