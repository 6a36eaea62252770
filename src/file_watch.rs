//! A thread that watches files and loads them again after each save: the config file, the
//! economy's data files.
//!
//! It watches the files' directories, not the files: editors save by writing a new file and
//! renaming it over the old one, which a watch on the old inode would miss. A Kubernetes ConfigMap
//! (or Secret) volume changes none of its files' names at all: each file is a symlink through
//! `..data`, and an update swaps `..data` to a new directory atomically — so a change to an entry
//! named `..something` counts too. A burst of events (write, chmod, rename) is debounced into one
//! load; a save that leaves the bytes unchanged is ignored.

use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

/// Starts watching `paths`; after each change to any of them, `load` runs on the watch thread
/// and its result arrives on the returned receiver. The watcher must be kept alive.
pub(crate) fn watch_files<T: Send + 'static>(
    paths: &[PathBuf],
    debounce: Duration,
    thread_name: &str,
    load: impl FnMut() -> T + Send + 'static,
) -> notify::Result<(notify::RecommendedWatcher, Receiver<T>)> {
    let (events_tx, events_rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(events_tx)?;
    let directories: BTreeSet<PathBuf> = paths.iter().map(|path| directory_of(path)).collect();
    for directory in &directories {
        watcher.watch(directory, RecursiveMode::NonRecursive)?;
    }
    let names: Vec<OsString> = paths
        .iter()
        .filter_map(|path| path.file_name().map(OsString::from))
        .collect();
    let (loaded_tx, loaded) = mpsc::channel();
    let paths = paths.to_vec();
    let initial = contents(&paths);
    std::thread::Builder::new()
        .name(thread_name.into())
        .spawn(move || {
            watch_loop(
                &paths, &names, initial, debounce, &events_rx, &loaded_tx, load,
            )
        })
        .map_err(notify::Error::io)?;
    Ok((watcher, loaded))
}

fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// The bytes of every file (absent ones as `None`), to tell a real change from a touch.
fn contents(paths: &[PathBuf]) -> Vec<Option<Vec<u8>>> {
    paths.iter().map(|path| std::fs::read(path).ok()).collect()
}

/// Runs until the watcher or the receiver is dropped.
fn watch_loop<T>(
    paths: &[PathBuf],
    names: &[OsString],
    mut last_seen: Vec<Option<Vec<u8>>>,
    debounce: Duration,
    events: &Receiver<notify::Result<notify::Event>>,
    loaded: &Sender<T>,
    mut load: impl FnMut() -> T,
) {
    while let Ok(event) = events.recv() {
        if !concerns(&event, names) {
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
        let current = contents(paths);
        if current.iter().all(Option::is_some) && current == last_seen {
            continue;
        }
        last_seen = current;
        if loaded.send(load()).is_err() {
            return;
        }
    }
}

/// Whether a watcher event may have changed one of the files we care about: it names one, or the
/// hidden `..data` link (or its temporary twin) a ConfigMap volume's files resolve through.
fn concerns(event: &notify::Result<notify::Event>, names: &[OsString]) -> bool {
    match event {
        Ok(event) => {
            !matches!(event.kind, EventKind::Access(_))
                && event.paths.iter().any(|changed| {
                    changed.file_name().is_some_and(|name| {
                        names.iter().any(|watched| watched == name)
                            || name.as_encoded_bytes().starts_with(b"..")
                    })
                })
        }
        Err(error) => {
            tracing::warn!(%error, "file watcher reported an error");
            false
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    const DEBOUNCE: Duration = Duration::from_millis(50);

    /// A ConfigMap volume as the kubelet lays it out: `server.toml -> ..data/server.toml`,
    /// `..data -> ..<version>`; returns the path the server reads.
    fn config_map(root: &Path, version: &str, text: &str) -> PathBuf {
        let data = root.join(version);
        std::fs::create_dir(&data).expect("version dir");
        std::fs::write(data.join("server.toml"), text).expect("write");
        symlink(version, root.join("..data")).expect("..data");
        let file = root.join("server.toml");
        symlink("..data/server.toml", &file).expect("file link");
        file
    }

    /// An update as the kubelet makes it: a new version directory, `..data_tmp` pointing at it,
    /// renamed over `..data` in one step, the old version removed.
    fn update_config_map(root: &Path, old: &str, new: &str, text: &str) {
        let data = root.join(new);
        std::fs::create_dir(&data).expect("version dir");
        std::fs::write(data.join("server.toml"), text).expect("write");
        symlink(new, root.join("..data_tmp")).expect("..data_tmp");
        std::fs::rename(root.join("..data_tmp"), root.join("..data")).expect("swap");
        std::fs::remove_dir_all(root.join(old)).expect("old version");
    }

    #[test]
    fn a_config_map_update_swapping_its_data_link_is_loaded() {
        let root = tempfile::tempdir().expect("temp dir");
        let file = config_map(root.path(), "..2026_12_05_1", "version = 1\n");
        let read = file.clone();
        let (_watcher, loaded) = watch_files(&[file], DEBOUNCE, "test-watch", move || {
            std::fs::read_to_string(&read).expect("readable through the links")
        })
        .expect("watching");
        update_config_map(
            root.path(),
            "..2026_12_05_1",
            "..2026_12_05_2",
            "version = 2\n",
        );
        let text = loaded
            .recv_timeout(Duration::from_secs(10))
            .expect("the update was noticed");
        assert_eq!(text, "version = 2\n");
    }

    #[test]
    fn a_change_to_another_file_beside_it_loads_nothing() {
        let root = tempfile::tempdir().expect("temp dir");
        let file = root.path().join("server.toml");
        std::fs::write(&file, "version = 1\n").expect("write");
        let (_watcher, loaded) =
            watch_files(std::slice::from_ref(&file), DEBOUNCE, "test-watch", || ())
                .expect("watching");
        std::fs::write(root.path().join("shard0.db"), "pages").expect("write");
        assert!(loaded.recv_timeout(Duration::from_millis(500)).is_err());
        std::fs::write(&file, "version = 2\n").expect("write");
        assert!(loaded.recv_timeout(Duration::from_secs(10)).is_ok());
    }
}
