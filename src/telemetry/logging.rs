//! The process's log output: human-readable or JSON lines, with a level that hot reload can change.

use crate::settings::{LogFormat, LogLevel, LogSettings};
use bevy_ecs::resource::Resource;
use bevy_ecs::system::Res;
use std::io::IsTerminal;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

type FilterHandle = reload::Handle<EnvFilter, Registry>;

/// Changes the log level of a running server. Present when [`init`] installed the subscriber and
/// `RUST_LOG` did not take charge of the level.
#[derive(Resource, Debug, Clone)]
pub struct LogLevelControl {
    handle: FilterHandle,
}

/// Installs the global subscriber. `RUST_LOG`, when set, decides the filter and hot reload leaves it
/// alone; otherwise `[log] level` does and can be changed live.
pub fn init(settings: &LogSettings) -> anyhow::Result<Option<LogLevelControl>> {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|value| !value.is_empty());
    let filter = match &from_env {
        Some(directives) => EnvFilter::try_new(directives)?,
        None => filter_for(settings.level),
    };
    let (filter, handle) = reload::Layer::new(filter);
    let output = match settings.format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(output)
        .try_init()?;
    Ok(from_env.is_none().then_some(LogLevelControl { handle }))
}

fn filter_for(level: LogLevel) -> EnvFilter {
    EnvFilter::new(level.as_str())
}

/// Applies `[log] level` after a reload.
pub fn sync_log_level(settings: Res<LogSettings>, control: Option<Res<LogLevelControl>>) {
    let Some(control) = control else { return };
    match control.handle.reload(filter_for(settings.level)) {
        Ok(()) => tracing::debug!(level = settings.level.as_str(), "log level applied"),
        Err(error) => tracing::warn!(%error, "cannot change the log level"),
    }
}
