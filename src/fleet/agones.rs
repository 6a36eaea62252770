//! Agones: game servers in Kubernetes, their lifecycle through the SDK sidecar ([`sdk`]), and
//! allocation through agones-allocator ([`allocator`]), both over their documented HTTP/JSON
//! interfaces ([`super::http`]).

pub mod allocator;
pub mod lifecycle;
pub mod port;
pub mod sdk;

pub use allocator::{Allocated, Allocator};
pub use sdk::{AgonesSdk, GameServerInfo};
