//! The client side of Arbiter's protocol, for bots, tests and game clients.
//!
//! It depends on `arbiter_components` and the renet crates only, never on the server.
//!
//! ```no_run
//! use arbiter_client::{ArbiterClient, token::decode_token};
//! use arbiter_components::protocol::ClientMessage;
//! use std::time::Duration;
//!
//! let token = decode_token("…base64 from POST /v1/tokens…")?;
//! let mut client = ArbiterClient::connect(token, None)?;
//! loop {
//!     client.update(Duration::from_millis(16))?;
//!     for message in client.receive() { /* Welcome, Snapshot, … */ }
//!     if client.is_connected() {
//!         client.send(&ClientMessage::Ping { client_time_us: 0 });
//!     }
//!     client.flush()?;
//!     # break;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bundle;
mod conditioner;
mod connection;
mod fleet;
pub mod guild;
pub mod inventory;
pub mod message_queue;
pub mod netcode;
pub mod party;
pub mod renet_clock;
pub mod seat;
mod send_pace;
mod server_socket;
mod snapshots;
pub mod tick_ring;
pub mod token;
pub mod trade;

pub use arbiter_components::{kinematics, protocol, tick};
pub use conditioner::LinkConditioner;
pub use connection::{ArbiterClient, ClientError};
pub use snapshots::SnapshotError;
