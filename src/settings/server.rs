use super::keep_running;
use arbiter_components::config::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

/// `[server]`: the tick and the game port.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Simulation ticks per second (1–1000). Hot: applied at the next tick.
    pub tick_rate_hz: u32,
    /// How far the tick may fall behind its schedule before the missed ticks are dropped instead of
    /// run back to back, in milliseconds (0–5000). Hot.
    pub max_catch_up_ms: u32,
    /// UDP address game clients connect to. Restart only.
    pub bind: SocketAddr,
    /// Directory for the server's own files (generated key, embedded database). Restart only.
    pub data_dir: String,
    /// How long shutdown waits for its steps (final flush, disconnects) before giving up, in seconds
    /// (1–600). Hot.
    pub shutdown_timeout_secs: u32,
    /// How often the allocator's free pages are handed back to the system at once and the
    /// resident memory is reported, in seconds (0–3600; 0: never). mimalloc hands pages back on
    /// its own after a short delay, but what a thread's heap keeps only that thread can release:
    /// the tick does at this interval. Hot.
    pub release_memory_secs: u32,
    /// Nice levels the tick's thread runs above the rest of the process (0–20; 0: the same).
    /// Raising a priority needs CAP_SYS_NICE or a matching RLIMIT_NICE; without it the tick runs
    /// unboosted and the log says so. Hot.
    pub tick_priority_boost: u32,
    /// Schedules the tick's thread real-time (SCHED_FIFO, the lowest real-time priority): every
    /// ordinary thread on its core waits for it. Needs CAP_SYS_NICE; a tick that never sleeps
    /// leaves the other threads on its core only what Linux keeps back for them (5 % by default).
    /// Hot.
    pub tick_realtime: bool,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            tick_rate_hz: 60,
            max_catch_up_ms: 250,
            bind: SocketAddr::from(([0, 0, 0, 0], 5000)),
            data_dir: "arbiter-data".into(),
            shutdown_timeout_secs: 10,
            release_memory_secs: 30,
            tick_priority_boost: 0,
            tick_realtime: false,
        }
    }
}

impl ServerSettings {
    pub(super) fn validate(&self) -> Result<(), InvalidSetting> {
        check_range("server.tick_rate_hz", self.tick_rate_hz, 1..=1000)?;
        check_range("server.max_catch_up_ms", self.max_catch_up_ms, 0..=5000)?;
        check_range(
            "server.shutdown_timeout_secs",
            self.shutdown_timeout_secs,
            1..=600,
        )?;
        check_range(
            "server.release_memory_secs",
            self.release_memory_secs,
            0..=3600,
        )?;
        check_range(
            "server.tick_priority_boost",
            self.tick_priority_boost,
            0..=20,
        )
    }

    /// Keeps the running value of `server.bind` and `server.data_dir` (read only at start-up) and
    /// records in `changed` the keys whose value `self` tried to change.
    pub(super) fn keep_restart_only_from(
        &mut self,
        running: &Self,
        changed: &mut Vec<&'static str>,
    ) {
        keep_running("server.bind", &mut self.bind, &running.bind, changed);
        keep_running(
            "server.data_dir",
            &mut self.data_dir,
            &running.data_dir,
            changed,
        );
    }
}
