//! The Agones SDK, through the sidecar's REST gateway (`http://localhost:$AGONES_SDK_HTTP_PORT`),
//! not the `agones` crate's gRPC: gRPC needs protoc-generated code or a tonic stack, and the
//! gateway is the documented interface for exactly this case, plain JSON over HTTP/1.1 on loopback.
//! Paths and bodies as in Agones' `sdk.swagger.json` and `beta.swagger.json` (counters).

use super::port::{Port, players_address};
use crate::fleet::http::{HttpError, Target, request};
use hyper::Method;
use hyper::body::Bytes;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;

/// The gateway's port when Agones does not say (`AGONES_SDK_HTTP_PORT`).
const DEFAULT_HTTP_PORT: u16 = 9358;

/// The annotation prefix with which an allocation tells a game server about a match placed on it
/// (the value: the Unix second by which its players must have arrived).
pub const MATCH_ANNOTATION_PREFIX: &str = "arbiter.dev/match-";

/// The label a game server sets through the SDK to say whether it takes new matches: "true" once
/// it is ready, "false" while it drains before stopping.
pub const ACCEPTING_LABEL: &str = "arbiter-accepting";

/// Agones prefixes the labels a game server sets through the SDK with this.
pub const SDK_LABEL_PREFIX: &str = "agones.dev/sdk-";

/// The SDK sidecar of this game server's pod.
#[derive(Debug, Clone, Copy)]
pub struct AgonesSdk {
    gateway: SocketAddr,
}

/// What the sidecar says about this game server.
#[derive(Debug, Clone, PartialEq)]
pub struct GameServerInfo {
    /// `Scheduled`, `RequestReady`, `Ready`, `Allocated`, `Shutdown`, …
    pub state: String,
    /// Where players reach it ([`players_address`]).
    pub address: Option<SocketAddr>,
    pub annotations: HashMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct GameServerJson {
    object_meta: ObjectMetaJson,
    status: StatusJson,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct ObjectMetaJson {
    annotations: HashMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct StatusJson {
    state: String,
    address: String,
    ports: Vec<Port>,
}

/// Why the SDK call failed.
#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    #[error("agones sdk: {0}")]
    Http(#[from] HttpError),
    #[error("agones sdk: unexpected answer: {0}")]
    Json(#[from] serde_json::Error),
    #[error("agones sdk: the game server (state {0:?}) has no address and game port yet")]
    NoAddress(String),
}

impl AgonesSdk {
    /// The sidecar on loopback at `port`, or (0) at `AGONES_SDK_HTTP_PORT` or its default port.
    pub fn on_port(port: u16) -> Self {
        let port = match port {
            0 => std::env::var("AGONES_SDK_HTTP_PORT")
                .ok()
                .and_then(|port| port.parse().ok())
                .unwrap_or(DEFAULT_HTTP_PORT),
            port => port,
        };
        Self::at(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// Where players reach this game server, once Agones has placed it (retried: the sidecar may
    /// start after the game server, and the address comes with scheduling).
    pub async fn wait_for_address(
        &self,
        patience: std::time::Duration,
    ) -> Result<SocketAddr, SdkError> {
        let give_up = tokio::time::Instant::now() + patience;
        loop {
            let outcome = self.game_server().await;
            if let Ok(GameServerInfo {
                address: Some(address),
                ..
            }) = outcome
            {
                return Ok(address);
            }
            if tokio::time::Instant::now() >= give_up {
                return outcome.and_then(|info| Err(SdkError::NoAddress(info.state)));
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }

    pub fn at(gateway: SocketAddr) -> Self {
        Self { gateway }
    }

    pub async fn ready(&self) -> Result<(), SdkError> {
        self.post("/ready").await
    }

    /// One health ping; Agones marks the server unhealthy after the Fleet's failure threshold.
    pub async fn health(&self) -> Result<(), SdkError> {
        self.post("/health").await
    }

    pub async fn shutdown(&self) -> Result<(), SdkError> {
        self.post("/shutdown").await
    }

    /// Sets the label `key` (Agones stores it as [`SDK_LABEL_PREFIX`] + `key`) to `value`.
    pub async fn set_label(&self, key: &str, value: &str) -> Result<(), SdkError> {
        let body = serde_json::json!({ "key": key, "value": value }).to_string();
        self.call(Method::PUT, "/metadata/label", Some(body))
            .await
            .map(drop)
    }

    pub async fn game_server(&self) -> Result<GameServerInfo, SdkError> {
        let body = self.call(Method::GET, "/gameserver", None).await?;
        let json: GameServerJson = serde_json::from_slice(&body)?;
        Ok(GameServerInfo {
            address: players_address(&json.status.address, &json.status.ports),
            state: json.status.state,
            annotations: json.object_meta.annotations,
        })
    }

    /// Sets the counter's capacity (matches this server can run).
    pub async fn set_counter_capacity(&self, counter: &str, capacity: u32) -> Result<(), SdkError> {
        self.patch_counter(counter, &format!(r#"{{"capacity":"{capacity}"}}"#))
            .await
    }

    /// Adds `diff` (negative: takes away) to the counter's count.
    pub async fn add_to_counter(&self, counter: &str, diff: i64) -> Result<(), SdkError> {
        self.patch_counter(counter, &format!(r#"{{"countDiff":"{diff}"}}"#))
            .await
    }

    async fn patch_counter(&self, counter: &str, body: &str) -> Result<(), SdkError> {
        let path = format!("/v1beta1/counters/{counter}");
        self.call(Method::PATCH, &path, Some(body.to_owned()))
            .await
            .map(drop)
    }

    async fn post(&self, path: &str) -> Result<(), SdkError> {
        self.call(Method::POST, path, Some("{}".to_owned()))
            .await
            .map(drop)
    }

    /// `method path` with a JSON `body` to the sidecar (plain HTTP on localhost).
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Bytes, SdkError> {
        let gateway = self.gateway.to_string();
        Ok(request(Target::plain(&gateway), method, path, body).await?)
    }
}
