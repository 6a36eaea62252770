use super::cache::check_redis_url;
use super::keep_running;
use arbiter_components::config::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

/// Where Kubernetes mounts a pod's service account.
const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Who runs the game servers and hands them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orchestrator {
    /// Game servers register themselves in Redis; matchmakers reserve slots there.
    Registry,
    /// Game servers are Agones `GameServer`s (lifecycle through the SDK sidecar); matchmakers ask
    /// agones-allocator.
    Agones,
}

/// `[fleet]`: how a matchmaker (`arbiter matchmaker`) and game servers (`arbiter serve --role game`)
/// share their state in Redis. Unused by `arbiter serve` alone. Restart only.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetSettings {
    /// The fleet's name: every key in Redis starts with `{name}`; fleets may share a Redis.
    pub name: String,
    /// The Redis holding the fleet's registry, leadership and claims.
    pub redis_url: String,
    /// A game server's region.
    pub region: String,
    /// The regions a matchmaker places matches in, in order of preference (empty: `region`).
    pub regions: Vec<String>,
    /// Matches a game server runs at once (1–1000).
    pub capacity: u32,
    /// Seconds a matched player has to reach the game server (1–300); the connect token and the
    /// reserved slot last as long.
    pub arrival_deadline_secs: u32,
    /// Milliseconds between a game server's reports, sent only while its tick advances (100–10000).
    pub heartbeat_ms: u32,
    /// Reports a game server may miss before the fleet drops it, and a matchmaker's lease in
    /// heartbeats (2–60).
    pub missed_heartbeats: u32,
    /// The lobby: every matchmaker's public address, as in connect tokens. Where a game server
    /// sends its players after their match (required for `--role game`), and where a matchmaker's
    /// lobby players fall back to should it die or stand by.
    pub lobby_addresses: Vec<SocketAddr>,
    /// `registry` (Redis, no Kubernetes) or `agones`.
    pub orchestrator: Orchestrator,
    /// Agones: the SDK sidecar's REST port on loopback (0: `AGONES_SDK_HTTP_PORT`, which Agones
    /// sets, else 9358).
    pub agones_sdk_port: u16,
    /// Agones: the GameServer counter of matches (count: matches placed, capacity: `capacity`).
    pub agones_counter: String,
    /// Agones: agones-allocator's REST endpoint, `host:port`; its host is the name the
    /// allocator's certificate must carry.
    pub allocator_endpoint: String,
    /// Agones: PEM files for the allocator's mutual TLS: the CA its certificate must chain to
    /// (Agones' `allocator-tls-ca` secret), and this matchmaker's client certificate and key (an
    /// `allocator-client` secret). All three, or none for plain HTTP (the allocator's TLS off).
    pub allocator_tls_ca: String,
    pub allocator_tls_cert: String,
    pub allocator_tls_key: String,
    /// The name of a Kubernetes Lease that decides which matchmaker leads (in the pod's
    /// namespace; its service account may get, create and update leases). Empty: the lease in
    /// Redis. Either way, claims are fenced in Redis.
    pub kubernetes_lease: String,
    /// The Kubernetes API, `host:port` (empty: `KUBERNETES_SERVICE_HOST`/`_PORT`, set in every pod).
    pub kubernetes_api: String,
    /// The service account's files: `token`, `ca.crt` and `namespace`.
    pub kubernetes_credentials: String,
    /// Agones: the namespace and the Fleet whose game servers are allocated.
    pub allocator_namespace: String,
    pub allocator_fleet: String,
}

impl Default for FleetSettings {
    fn default() -> Self {
        Self {
            name: "arbiter".into(),
            redis_url: "redis://127.0.0.1:6379".into(),
            region: "local".into(),
            regions: Vec::new(),
            capacity: 8,
            arrival_deadline_secs: 15,
            heartbeat_ms: 1000,
            missed_heartbeats: 3,
            lobby_addresses: Vec::new(),
            orchestrator: Orchestrator::Registry,
            agones_sdk_port: 0,
            agones_counter: "matches".into(),
            allocator_endpoint: "agones-allocator.agones-system.svc.cluster.local:443".into(),
            allocator_tls_ca: String::new(),
            allocator_tls_cert: String::new(),
            allocator_tls_key: String::new(),
            kubernetes_lease: String::new(),
            kubernetes_api: String::new(),
            kubernetes_credentials: SERVICE_ACCOUNT_DIR.into(),
            allocator_namespace: "default".into(),
            allocator_fleet: "arbiter-game".into(),
        }
    }
}

impl FleetSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        check_redis_url("fleet.redis_url", &self.redis_url)?;
        if self.name.is_empty() || self.name.contains(['{', '}']) {
            return Err(InvalidSetting::new(
                "fleet.name",
                format!("is {:?}; it must be non-empty, without braces", self.name),
            ));
        }
        if self.agones_counter.is_empty() || self.agones_counter.contains(['/', '?', '#']) {
            return Err(InvalidSetting::new(
                "fleet.agones_counter",
                format!("is {:?}; it must be a counter name", self.agones_counter),
            ));
        }
        let tls_files = self.allocator_tls_settings();
        let given = tls_files.iter().filter(|file| !file.is_empty()).count();
        if given != 0 && given != tls_files.len() {
            return Err(InvalidSetting::new(
                "fleet.allocator_tls_ca",
                "allocator_tls_ca, allocator_tls_cert and allocator_tls_key go together: set all \
                 three for mutual TLS, or none for plain HTTP"
                    .to_owned(),
            ));
        }
        let lease = &self.kubernetes_lease;
        let dns_name = lease.len() <= 253
            && lease.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|char| {
                        char.is_ascii_lowercase() || char.is_ascii_digit() || char == '-'
                    })
            });
        if !lease.is_empty() && !dns_name {
            return Err(InvalidSetting::new(
                "fleet.kubernetes_lease",
                format!("is {lease:?}; a Lease's name is lowercase letters, digits, '-' and '.'"),
            ));
        }
        check_range("fleet.capacity", self.capacity, 1..=1000)?;
        check_range(
            "fleet.arrival_deadline_secs",
            self.arrival_deadline_secs,
            1..=300,
        )?;
        check_range("fleet.heartbeat_ms", self.heartbeat_ms, 100..=10_000)?;
        check_range("fleet.missed_heartbeats", self.missed_heartbeats, 2..=60)
    }

    /// The allocator's mutual TLS files (CA, certificate, key), when set.
    pub fn allocator_tls_files(&self) -> Option<[&Path; 3]> {
        let files = self.allocator_tls_settings();
        (!files[0].is_empty()).then(|| files.map(Path::new))
    }

    /// The allocator's TLS settings as given (CA, certificate, key): all set, or none.
    fn allocator_tls_settings(&self) -> [&str; 3] {
        [
            &self.allocator_tls_ca,
            &self.allocator_tls_cert,
            &self.allocator_tls_key,
        ]
    }

    /// The regions to place matches in, most preferred first.
    pub fn placement_regions(&self) -> Vec<&str> {
        if self.regions.is_empty() {
            vec![self.region.as_str()]
        } else {
            self.regions.iter().map(String::as_str).collect()
        }
    }

    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running("fleet", self, running, changed);
    }
}
