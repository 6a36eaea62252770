//! Handing a value (a bound socket, a loaded config) from a plugin's constructor to its `build`.

use std::sync::Mutex;

/// A value a plugin gives to the app when bevy builds it. Bevy's `Plugin::build` takes `&self` and
/// plugins must be `Sync`, hence the mutex; bevy builds each plugin exactly once.
#[derive(Debug)]
pub(crate) struct BuildOnce<T>(Mutex<Option<T>>);

impl<T> BuildOnce<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(Mutex::new(Some(value)))
    }

    pub(crate) fn take(&self) -> T {
        match self.0.lock().map(|mut slot| slot.take()) {
            Ok(Some(value)) => value,
            _ => unreachable!("bevy builds a plugin once"),
        }
    }
}
