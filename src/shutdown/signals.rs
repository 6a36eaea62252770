//! SIGINT/SIGTERM: the first asks for a graceful shutdown, the second forces the process out.

use super::ShutdownSignal;
use crate::runtime::AsyncRuntime;
use bevy_app::{App, Plugin};

/// Exit code of a forced exit (as for a process killed by SIGINT).
const FORCED_EXIT_CODE: i32 = 130;

/// Listens for SIGINT and SIGTERM on the async runtime. Leave it out of apps embedded in tests.
#[derive(Debug, Default)]
pub struct SignalPlugin;

impl Plugin for SignalPlugin {
    fn build(&self, app: &mut App) {
        let signal = app
            .world_mut()
            .get_resource_or_init::<ShutdownSignal>()
            .clone();
        let runtime = app
            .world_mut()
            .get_resource_or_init::<AsyncRuntime>()
            .clone();
        runtime.spawn(async move {
            if let Err(error) = listen(signal).await {
                tracing::error!(%error, "cannot listen for shutdown signals");
            }
        });
    }
}

#[cfg(unix)]
async fn listen(signal: ShutdownSignal) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal as unix_signal};
    let mut interrupt = unix_signal(SignalKind::interrupt())?;
    let mut terminate = unix_signal(SignalKind::terminate())?;
    let mut received = 0u32;
    loop {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        received += 1;
        if received == 1 {
            tracing::info!(
                signal = name,
                "graceful shutdown requested; send it again to force exit"
            );
            signal.request();
        } else {
            tracing::warn!(
                signal = name,
                "second signal: exiting now without waiting for shutdown steps"
            );
            std::process::exit(FORCED_EXIT_CODE);
        }
    }
}

#[cfg(not(unix))]
async fn listen(signal: ShutdownSignal) -> std::io::Result<()> {
    tokio::signal::ctrl_c().await?;
    tracing::info!("graceful shutdown requested; press Ctrl-C again to force exit");
    signal.request();
    tokio::signal::ctrl_c().await?;
    std::process::exit(FORCED_EXIT_CODE);
}
