//! The thread that watches the config file and parses each saved version.
//!
//! It watches the file's directory, not the file: editors save by writing a new file and renaming it
//! over the old one, which a watch on the old inode would miss. A burst of events (write, chmod,
//! rename) is debounced into one read; a save that leaves the bytes unchanged is ignored.

use super::apply::{ConfigReloads, Reload};
use super::env::process_env;
use super::file::load_file;
use notify::{EventKind, RecursiveMode, Watcher};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// Starts watching `path`; the returned reloads receive every new version, parsed and validated.
pub(super) fn watch(path: &Path, debounce: Duration) -> notify::Result<ConfigReloads> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map(OsString::from).unwrap_or_default();
    let (events_tx, events_rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(events_tx)?;
    watcher.watch(&directory, RecursiveMode::NonRecursive)?;

    let (reloads_tx, reloads) = ConfigReloads::channel(watcher);
    let initial = std::fs::read(path).ok();
    let path = path.to_owned();
    std::thread::Builder::new()
        .name("arbiter-config-watch".into())
        .spawn(move || {
            watch_loop(
                &path,
                &file_name,
                initial,
                debounce,
                &events_rx,
                &reloads_tx,
            )
        })
        .map_err(notify::Error::io)?;
    Ok(reloads)
}

/// Runs until the watcher (owned by the reloads resource) or the reloads receiver is dropped.
fn watch_loop(
    path: &Path,
    file_name: &OsString,
    mut last_seen: Option<Vec<u8>>,
    debounce: Duration,
    events: &Receiver<notify::Result<notify::Event>>,
    reloads: &Sender<Reload>,
) {
    while let Ok(event) = events.recv() {
        if !concerns(&event, file_name) {
            continue;
        }
        // Let the burst settle: keep absorbing events until none arrives for `debounce`.
        loop {
            match events.recv_timeout(debounce) {
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let current = std::fs::read(path).ok();
        if current.is_some() && current == last_seen {
            continue;
        }
        last_seen = current;
        let outcome = load_file(path, &process_env);
        if reloads.send(outcome).is_err() {
            return;
        }
    }
}

/// Whether a watcher event may have changed the file we care about.
fn concerns(event: &notify::Result<notify::Event>, file_name: &OsString) -> bool {
    match event {
        Ok(event) => {
            !matches!(event.kind, EventKind::Access(_))
                && event
                    .paths
                    .iter()
                    .any(|changed| changed.file_name() == Some(file_name.as_os_str()))
        }
        Err(error) => {
            tracing::warn!(%error, "config watcher reported an error");
            false
        }
    }
}
