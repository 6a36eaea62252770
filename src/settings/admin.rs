use super::keep_running;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[admin]`: the HTTP endpoint for `/health` and `/metrics`.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// Address of the admin HTTP endpoint; port 0 picks a free port (logged). Restart only;
    /// `ARBITER_ADMIN_BIND` overrides.
    pub bind: SocketAddr,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

impl AdminSettings {
    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running("admin.bind", &mut self.bind, &running.bind, changed);
    }
}
