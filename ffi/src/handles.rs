//! Generational handles: what the caller holds instead of a pointer.
//!
//! A handle is `generation << 32 | (slot + 1)`; zero is never a handle. Freeing a client bumps its
//! slot's generation, so the old handle (a double free, a use after free) finds a different
//! generation and is refused instead of reaching another client. Each client records the thread
//! that created it and refuses calls from any other, and it is poisoned by a panic inside a call.

use crate::result::ArbiterResult;
use crate::session::Session;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::ThreadId;

/// What a C caller holds for one client.
pub type ArbiterHandle = u64;

/// One live client and what guards it.
#[derive(Debug)]
struct Entry {
    owner: ThreadId,
    poisoned: AtomicBool,
    session: Mutex<Session>,
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    entry: Option<Arc<Entry>>,
}

#[derive(Debug, Default)]
struct Registry {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    slots: Vec::new(),
    free: Vec::new(),
});

/// The registry, even if a panic elsewhere poisoned its lock: its own updates cannot panic
/// half-way, so what it holds is consistent.
fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

fn split(handle: ArbiterHandle) -> Option<(usize, u32)> {
    let slot = (handle & u64::from(u32::MAX)).checked_sub(1)?;
    Some((usize::try_from(slot).ok()?, (handle >> 32) as u32))
}

/// Stores `session`, owned by the calling thread, and returns its handle.
pub(crate) fn insert(session: Session) -> ArbiterHandle {
    let entry = Arc::new(Entry {
        owner: std::thread::current().id(),
        poisoned: AtomicBool::new(false),
        session: Mutex::new(session),
    });
    let mut registry = registry();
    let index = match registry.free.pop() {
        Some(index) => index,
        None => {
            registry.slots.push(Slot::default());
            (registry.slots.len() - 1) as u32
        }
    };
    let slot = &mut registry.slots[index as usize];
    slot.entry = Some(entry);
    (u64::from(slot.generation) << 32) | (u64::from(index) + 1)
}

/// The live entry `handle` names, if any.
fn lookup(handle: ArbiterHandle) -> Option<Arc<Entry>> {
    let (index, generation) = split(handle)?;
    let registry = registry();
    let slot = registry.slots.get(index)?;
    (slot.generation == generation)
        .then(|| slot.entry.clone())
        .flatten()
}

/// Runs `call` on the session `handle` names, from its owner thread, catching any panic.
pub(crate) fn with_session(
    handle: ArbiterHandle,
    call: impl FnOnce(&mut Session) -> ArbiterResult,
) -> ArbiterResult {
    let Some(entry) = lookup(handle) else {
        return ArbiterResult::InvalidHandle;
    };
    if entry.owner != std::thread::current().id() {
        return ArbiterResult::WrongThread;
    }
    if entry.poisoned.load(Ordering::Acquire) {
        return ArbiterResult::Poisoned;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut session = entry.session.lock().unwrap_or_else(PoisonError::into_inner);
        session.begin_call();
        call(&mut session)
    }));
    outcome.unwrap_or_else(|_| {
        entry.poisoned.store(true, Ordering::Release);
        ArbiterResult::Panic
    })
}

/// Removes the client `handle` names, from any thread; its handle is stale from now on. Returns the
/// session to close, unless it is poisoned (then it is dropped without a goodbye).
pub(crate) fn remove(handle: ArbiterHandle) -> Result<Option<Session>, ArbiterResult> {
    let (index, generation) = split(handle).ok_or(ArbiterResult::InvalidHandle)?;
    let entry = {
        let mut registry = registry();
        let slot = registry
            .slots
            .get_mut(index)
            .filter(|slot| slot.generation == generation && slot.entry.is_some())
            .ok_or(ArbiterResult::InvalidHandle)?;
        let entry = slot.entry.take();
        slot.generation = slot.generation.wrapping_add(1);
        registry.free.push(index as u32);
        entry
    };
    let entry = entry.ok_or(ArbiterResult::InvalidHandle)?;
    if entry.poisoned.load(Ordering::Acquire) {
        return Ok(None);
    }
    // A call still running on the owner thread holds the lock; it finishes first.
    let session =
        std::mem::take(&mut *entry.session.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(Some(session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_handle_is_refused_and_its_slot_reused_under_another_handle() {
        let first = insert(Session::default());
        assert_eq!(
            with_session(first, |_| ArbiterResult::Ok),
            ArbiterResult::Ok
        );
        assert!(remove(first).is_ok());
        assert_eq!(remove(first).err(), Some(ArbiterResult::InvalidHandle));
        assert_eq!(
            with_session(first, |_| ArbiterResult::Ok),
            ArbiterResult::InvalidHandle
        );
        let second = insert(Session::default());
        assert_ne!(first, second, "a reused slot gets a new generation");
        assert_eq!(
            with_session(second, |_| ArbiterResult::Ok),
            ArbiterResult::Ok
        );
        assert!(remove(second).is_ok());
    }

    #[test]
    fn zero_and_forged_handles_are_refused() {
        for forged in [0, 1 << 40, u64::MAX, 0xFFFF_FFFF] {
            assert_eq!(
                with_session(forged, |_| ArbiterResult::Ok),
                ArbiterResult::InvalidHandle
            );
            assert_eq!(remove(forged).err(), Some(ArbiterResult::InvalidHandle));
        }
    }

    #[test]
    fn a_panic_poisons_only_its_handle_and_free_still_works() {
        let broken = insert(Session::default());
        let healthy = insert(Session::default());
        assert_eq!(
            with_session(broken, |_| panic!("a bug")),
            ArbiterResult::Panic
        );
        assert_eq!(
            with_session(broken, |_| ArbiterResult::Ok),
            ArbiterResult::Poisoned
        );
        assert_eq!(
            with_session(healthy, |_| ArbiterResult::Ok),
            ArbiterResult::Ok
        );
        assert!(matches!(remove(broken), Ok(None)));
        assert!(matches!(remove(healthy), Ok(Some(_))));
    }

    #[test]
    fn another_thread_is_refused_but_may_free() {
        let handle = insert(Session::default());
        let (refused, freed) = std::thread::spawn(move || {
            let refused = with_session(handle, |_| ArbiterResult::Ok);
            (refused, remove(handle).is_ok())
        })
        .join()
        .expect("the thread runs");
        assert_eq!(refused, ArbiterResult::WrongThread);
        assert!(freed);
        assert_eq!(
            with_session(handle, |_| ArbiterResult::Ok),
            ArbiterResult::InvalidHandle
        );
    }
}
