use super::keep_running;
use arbiter_components::config::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[admin]`: the operators' HTTP endpoint — `/health`, `/metrics`, token minting — never for the
/// public.
#[derive(Resource, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Address of the admin HTTP endpoint; port 0 picks a free port (logged). Restart only;
    /// `ARBITER_ADMIN_BIND` overrides.
    pub bind: SocketAddr,
    /// Bearer token every request but `/health` must carry (`Authorization: Bearer …`); empty: none.
    /// Required when `bind` is not a loopback address. Restart only; `ARBITER_ADMIN_TOKEN` overrides.
    pub token: String,
    /// Requests per second each client address may make, in bursts of as many (1–100000); beyond,
    /// `429` with `Retry-After`. Restart only.
    pub requests_per_sec: u32,
    /// Largest request body, in bytes (1024–16777216); beyond, `413`. Restart only.
    pub max_body_bytes: u32,
}

impl std::fmt::Debug for AdminSettings {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("AdminSettings")
            .field("bind", &self.bind)
            .field("token", &if self.token.is_empty() { "" } else { "<set>" })
            .field("requests_per_sec", &self.requests_per_sec)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: String::new(),
            requests_per_sec: 200,
            max_body_bytes: 65_536,
        }
    }
}

impl AdminSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        if !self.bind.ip().is_loopback() && self.token.is_empty() {
            return Err(InvalidSetting::new(
                "admin.bind",
                format!(
                    "is {}, not a loopback address: set admin.token (or ARBITER_ADMIN_TOKEN) so \
                     that only operators reach /metrics and token minting",
                    self.bind
                ),
            ));
        }
        check_range("admin.requests_per_sec", self.requests_per_sec, 1..=100_000)?;
        check_range(
            "admin.max_body_bytes",
            self.max_body_bytes,
            1024..=16_777_216,
        )
    }

    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running("admin.bind", &mut self.bind, &running.bind, changed);
        keep_running("admin.token", &mut self.token, &running.token, changed);
        keep_running(
            "admin.requests_per_sec",
            &mut self.requests_per_sec,
            &running.requests_per_sec,
            changed,
        );
        keep_running(
            "admin.max_body_bytes",
            &mut self.max_body_bytes,
            &running.max_body_bytes,
            changed,
        );
    }
}
