//! The config file's watch: each saved version parsed and validated on the watch thread.

use super::apply::{ConfigReloads, Reload};
use super::env::process_env;
use super::file::load_file;
use crate::file_watch::watch_files;
use std::path::Path;
use std::time::Duration;

/// Starts watching `path`; the returned reloads receive every new version, parsed and validated.
pub(super) fn watch(path: &Path, debounce: Duration) -> notify::Result<ConfigReloads> {
    let owned = path.to_owned();
    let (watcher, reloads) = watch_files(
        &[path.to_owned()],
        debounce,
        "arbiter-config-watch",
        move || -> Reload { load_file(&owned, &process_env) },
    )?;
    Ok(ConfigReloads::watching(watcher, reloads))
}
