//! Asking agones-allocator for a game server (`AllocationService.Allocate` through its REST/JSON
//! interface, `POST /gameserverallocation`, field names as in Agones' `allocation.proto`), over
//! TLS with a client certificate as the allocator asks by default, or plain HTTP where its TLS
//! is off.
//!
//! For each region in order of preference: first a server of the fleet that is already
//! `Allocated` and still has a free match slot on its counter, then a `Ready` one — so matches pack
//! onto running servers and idle ones can be scaled down; the fullest first (counter priority
//! "Ascending": Agones orders by the counter's available capacity, least first). The allocation increments the counter and annotates the game server with the
//! match and the Unix second its players must arrive by, so a match whose players never come is
//! taken off the counter by the game server itself. Only game servers that say they take matches
//! (the SDK label [`ACCEPTING_LABEL`] "true") are asked: one draining before it stops is left alone.

use super::port::{Port, players_address};
use super::sdk::{ACCEPTING_LABEL, MATCH_ANNOTATION_PREFIX, SDK_LABEL_PREFIX};
use crate::fleet::http::{HttpError, Target, request};
use crate::fleet::tls::TlsClient;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

/// The label every game server of a fleet carries (set by Agones).
const FLEET_LABEL: &str = "agones.dev/fleet";
/// The label a Fleet's template gives its game servers to say where they run.
pub const REGION_LABEL: &str = "arbiter.dev/region";

/// agones-allocator, for one fleet.
#[derive(Debug, Clone)]
pub struct Allocator {
    /// `host:port` of the allocator service.
    pub endpoint: String,
    pub namespace: String,
    pub fleet: String,
    /// The game servers' counter of matches.
    pub counter: String,
    /// TLS with a client certificate (the allocator's default); `None`: plain HTTP.
    pub tls: Option<TlsClient>,
}

#[derive(Debug, Deserialize)]
struct AllocationJson {
    #[serde(rename = "gameServerName", default)]
    game_server_name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    ports: Vec<Port>,
}

/// A game server the allocator gave a match to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocated {
    pub game_server: String,
    pub address: SocketAddr,
}

#[derive(Debug, thiserror::Error)]
pub enum AllocatorError {
    #[error("agones-allocator: {0}")]
    Http(#[from] HttpError),
    #[error("agones-allocator: unexpected answer: {0}")]
    Json(#[from] serde_json::Error),
    #[error("agones-allocator: the allocated game server {0} has no usable address")]
    Address(String),
}

impl Allocator {
    /// The request for `match_id`, whose players must arrive within `deadline` (from `now_secs`).
    pub fn request_body(
        &self,
        match_id: u64,
        regions: &[&str],
        deadline: Duration,
        now_secs: u64,
    ) -> serde_json::Value {
        let counter = &self.counter;
        let accepting = format!("{SDK_LABEL_PREFIX}{ACCEPTING_LABEL}");
        let selectors: Vec<serde_json::Value> = regions
            .iter()
            .flat_map(|region| {
                ["ALLOCATED", "READY"].map(|state| {
                    json!({
                        "matchLabels": {
                            FLEET_LABEL: self.fleet,
                            REGION_LABEL: region,
                            accepting.as_str(): "true",
                        },
                        "gameServerState": state,
                        "counters": { counter: { "minAvailable": "1" } },
                    })
                })
            })
            .collect();
        json!({
            "namespace": self.namespace,
            "gameServerSelectors": selectors,
            "scheduling": "Packed",
            "priorities": [{ "type": "Counter", "key": counter, "order": "Ascending" }],
            "counters": { counter: { "action": "Increment", "amount": "1" } },
            "metadata": {
                "annotations": {
                    format!("{MATCH_ANNOTATION_PREFIX}{match_id}"):
                        (now_secs + deadline.as_secs()).to_string(),
                },
            },
        })
    }

    /// A game server for `match_id`, or `None` when no server of the fleet has room.
    pub async fn allocate(
        &self,
        match_id: u64,
        regions: &[&str],
        deadline: Duration,
    ) -> Result<Option<Allocated>, AllocatorError> {
        let now = crate::net::unix_now().as_secs();
        let body = self
            .request_body(match_id, regions, deadline, now)
            .to_string();
        let target = Target {
            server: &self.endpoint,
            tls: self.tls.as_ref(),
            bearer: None,
        };
        let answer = request(target, Method::POST, "/gameserverallocation", Some(body)).await;
        let bytes = match answer {
            Ok(bytes) => bytes,
            // gRPC's ResourceExhausted through the gateway: no game server matched any selector.
            Err(HttpError::Status {
                status: StatusCode::TOO_MANY_REQUESTS,
                ..
            }) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let allocation: AllocationJson = serde_json::from_slice(&bytes)?;
        match players_address(&allocation.address, &allocation.ports) {
            Some(address) => Ok(Some(Allocated {
                game_server: allocation.game_server_name,
                address,
            })),
            None => Err(AllocatorError::Address(allocation.game_server_name)),
        }
    }
}
