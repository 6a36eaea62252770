use super::keep_running;
use arbiter_components::config::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[query]`: the public, read-only query API (`/v1/players…`, `/v1/leaderboard…`,
/// `/v1/sessions…`, `/v1/matches`, `/v1/openapi.json`), for a game's website and clients.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuerySettings {
    /// Address of the query API; port 0 picks a free port (logged). Restart only;
    /// `ARBITER_QUERY_BIND` overrides.
    pub bind: SocketAddr,
    /// Requests per second each client address may make, in bursts of as many (1–1000000);
    /// beyond, `429` with `Retry-After`. Restart only.
    pub requests_per_sec: u32,
    /// Largest request body, in bytes (1024–16777216); beyond, `413`. Restart only.
    pub max_body_bytes: u32,
}

impl Default for QuerySettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8081)),
            requests_per_sec: 10_000,
            max_body_bytes: 16_384,
        }
    }
}

impl QuerySettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        check_range(
            "query.requests_per_sec",
            self.requests_per_sec,
            1..=1_000_000,
        )?;
        check_range(
            "query.max_body_bytes",
            self.max_body_bytes,
            1024..=16_777_216,
        )
    }

    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running("query.bind", &mut self.bind, &running.bind, changed);
        keep_running(
            "query.requests_per_sec",
            &mut self.requests_per_sec,
            &running.requests_per_sec,
            changed,
        );
        keep_running(
            "query.max_body_bytes",
            &mut self.max_body_bytes,
            &running.max_body_bytes,
            changed,
        );
    }
}
