//! What the tick publishes for the admin endpoint to read without touching the world.

use crate::config::ConfigStatus;
use crate::settings::ServerSettings;
use crate::shutdown::ServerState;
use arbiter_components::tick::ServerTick;
use bevy_ecs::change_detection::DetectChanges;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::Res;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The server's vital signs, written by the tick and read by HTTP handlers on other threads.
#[derive(Resource, Debug, Clone)]
pub struct StatusBoard(Arc<Board>);

#[derive(Debug)]
struct Board {
    started: Instant,
    tick: AtomicU64,
    tick_rate_hz: AtomicU32,
    config_version: AtomicU64,
    config_errors: AtomicU64,
    last_config_error: Mutex<Option<String>>,
    shutting_down: AtomicBool,
}

impl Default for StatusBoard {
    fn default() -> Self {
        Self(Arc::new(Board {
            started: Instant::now(),
            tick: AtomicU64::new(0),
            tick_rate_hz: AtomicU32::new(0),
            config_version: AtomicU64::new(0),
            config_errors: AtomicU64::new(0),
            last_config_error: Mutex::new(None),
            shutting_down: AtomicBool::new(false),
        }))
    }
}

/// A consistent-enough copy of the board for one response.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StatusReport {
    pub status: &'static str,
    pub tick: u64,
    pub uptime_secs: f64,
    pub tick_rate_hz: u32,
    pub config_version: u64,
    pub config_reload_errors: u64,
    pub last_config_error: Option<String>,
}

impl StatusBoard {
    pub fn report(&self) -> StatusReport {
        let board = &self.0;
        let shutting_down = board.shutting_down.load(Ordering::Relaxed);
        StatusReport {
            status: if shutting_down {
                "shutting_down"
            } else {
                "running"
            },
            tick: board.tick.load(Ordering::Relaxed),
            uptime_secs: board.started.elapsed().as_secs_f64(),
            tick_rate_hz: board.tick_rate_hz.load(Ordering::Relaxed),
            config_version: board.config_version.load(Ordering::Relaxed),
            config_reload_errors: board.config_errors.load(Ordering::Relaxed),
            last_config_error: board
                .last_config_error
                .lock()
                .map(|error| error.clone())
                .unwrap_or_default(),
        }
    }
}

/// Copies the tick, tick rate and config status to the board; runs last in every tick.
pub fn publish_status(
    board: Res<StatusBoard>,
    tick: Res<ServerTick>,
    settings: Res<ServerSettings>,
    config: Option<Res<ConfigStatus>>,
    state: Option<Res<ServerState>>,
) {
    let board = &board.0;
    board.tick.store(tick.get(), Ordering::Relaxed);
    board
        .tick_rate_hz
        .store(settings.tick_rate_hz, Ordering::Relaxed);
    if let Some(state) = state.filter(|state| state.is_changed()) {
        board
            .shutting_down
            .store(*state == ServerState::ShuttingDown, Ordering::Relaxed);
    }
    if let Some(config) = config.filter(|config| config.is_changed()) {
        board
            .config_version
            .store(config.version, Ordering::Relaxed);
        board.config_errors.store(config.errors, Ordering::Relaxed);
        if let Ok(mut last) = board.last_config_error.lock() {
            last.clone_from(&config.last_error);
        }
    }
}
