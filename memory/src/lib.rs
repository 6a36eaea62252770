//! The process's allocator — mimalloc — what it holds, and handing its free pages back.
//!
//! Linking this crate makes mimalloc (its v2 series) the global allocator of the whole binary:
//! the server, and the tests and benches that link it, run on the allocator that ships. It costs
//! 0.6 of glibc's time settling 1,000 trades and 0.85–0.9 of it per client in the transport
//! (BENCHMARKS.md), and it hands freed pages back to the system on its own after a short delay
//! (`MADV_DONTNEED`), where glibc's malloc keeps every page not at the top of an arena until a
//! `malloc_trim`. It is built without transparent huge pages (the `no_thp` feature): with them each
//! thread's segments are backed by 2 MiB pages, which held 24 MB more resident in the soak for a
//! few per cent of speed. What the process holds is read from the kernel, not from the allocator.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::ffi::c_void;
use std::time::{Duration, Instant};

/// Not under `cargo fuzz` (`--cfg fuzzing`): there the sanitizer's own allocator checks every
/// access, which it can only do for memory it handed out.
#[cfg(not(fuzzing))]
#[global_allocator]
static ALLOCATOR: Mimalloc = Mimalloc;

/// mimalloc as Rust's allocator. Its blocks are whole words from the start of their page, so every
/// block is aligned to a word; only a larger alignment takes mimalloc's aligned calls, which check
/// the alignment and fall back to a slower path for any block over 1 KiB. (The `mimalloc` crate
/// takes them for every allocation.)
#[derive(Debug)]
pub struct Mimalloc;

/// Whether mimalloc's plain calls serve `align`: every mimalloc block is aligned to a word.
fn plain_call_aligns(align: usize) -> bool {
    align <= size_of::<usize>()
}

#[expect(
    unsafe_code,
    reason = "a global allocator is an unsafe trait over mimalloc's C calls"
)]
// SAFETY: each call returns a block of at least `layout.size()` bytes aligned to `layout.align()`
// (a word by mimalloc's layout, more by its aligned calls), or null; blocks are freed and resized
// only through mimalloc, which owns them.
unsafe impl GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: a plain allocation call and its aligned twin.
        unsafe {
            allocate(
                layout,
                libmimalloc_sys::mi_malloc,
                libmimalloc_sys::mi_malloc_aligned,
            )
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: a plain allocation call and its aligned twin.
        unsafe {
            allocate(
                layout,
                libmimalloc_sys::mi_zalloc,
                libmimalloc_sys::mi_zalloc_aligned,
            )
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, _layout: Layout) {
        // SAFETY: the caller hands back a block this allocator gave, so mimalloc's.
        unsafe { libmimalloc_sys::mi_free(block.cast::<c_void>()) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `block` is mimalloc's (given by this allocator with `layout`); the new block
        // keeps the alignment, by the same rule as `alloc`.
        let moved = unsafe {
            match plain_call_aligns(layout.align()) {
                true => libmimalloc_sys::mi_realloc(block.cast::<c_void>(), new_size),
                false => libmimalloc_sys::mi_realloc_aligned(
                    block.cast::<c_void>(),
                    new_size,
                    layout.align(),
                ),
            }
        };
        moved.cast()
    }
}

/// A block for `layout` from `plain` when a word's alignment is enough, else from `aligned`.
///
/// # Safety
/// `plain` and `aligned` are one of mimalloc's allocation calls and its aligned twin: they take
/// any size (and a power-of-two alignment) and return a block of it or null.
#[expect(unsafe_code, reason = "calls into mimalloc")]
#[inline]
unsafe fn allocate(
    layout: Layout,
    plain: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: as the caller promises; a `Layout`'s alignment is a power of two.
    let block = unsafe {
        match plain_call_aligns(layout.align()) {
            true => plain(layout.size()),
            false => aligned(layout.size(), layout.align()),
        }
    };
    block.cast()
}

/// What the process holds in memory, from the kernel's count (`/proc/self/status`). mimalloc's
/// own count cannot stand in: on Linux it commits its whole arena (1 GiB) up front and counts
/// that, while the kernel counts only the pages in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resident {
    /// Anonymous pages: the heap, the threads' stacks. What a leak would grow.
    pub anonymous: u64,
    /// Pages of mapped files: the program and its libraries.
    pub file: u64,
}

/// What the process holds now; `None` where the kernel does not say (not Linux).
pub fn resident() -> Option<Resident> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some(Resident {
        anonymous: status_kib(&status, "RssAnon:")? * 1024,
        file: status_kib(&status, "RssFile:")? * 1024,
    })
}

/// A `Name:   123 kB` line's number.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find_map(|line| line.strip_prefix(name))?;
    line.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// Hands back to the system, now rather than after mimalloc's purge delay, the free pages the
/// calling thread's heap keeps, and those of the shared arena.
///
/// mimalloc gives every thread a heap of its own, and only that thread ever tidies it: blocks other
/// threads freed into its pages wait for it, and so do its emptied pages. A thread that goes quiet
/// after a burst (an I/O worker after a database outage, the tick after a wave of players left)
/// would keep them for good, so each busy thread calls this now and then: the tick every
/// `server.release_memory_secs`, the I/O workers through [`release_free_pages_every`]. On the
/// main thread it also takes over what exited threads left behind.
pub fn release_free_pages() {
    #[expect(unsafe_code, reason = "mimalloc's mi_collect, a C call")]
    // SAFETY: mi_collect takes no pointers and is thread safe.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

thread_local! {
    /// When [`release_free_pages_every`] last released this thread's free pages.
    static LAST_RELEASED: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// [`release_free_pages`], unless this thread did so within `interval`: for a hook that runs
/// often, such as a tokio worker going idle.
pub fn release_free_pages_every(interval: Duration) {
    LAST_RELEASED.with(|last| {
        let now = Instant::now();
        if last
            .get()
            .is_none_or(|at| now.duration_since(at) >= interval)
        {
            last.set(Some(now));
            release_free_pages();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    /// The tests that read the resident set run one at a time: each moves it by 64 MiB.
    static RESIDENT_SET: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn resident_set_alone() -> std::sync::MutexGuard<'static, ()> {
        RESIDENT_SET
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn touched_allocations_are_resident_and_freed_ones_go_back_to_the_system() {
        let _alone = resident_set_alone();
        let before = resident().expect("Linux reports the resident set");
        // Medium blocks (64 KiB): from the allocator's own pages, not mapped one by one.
        let blocks: Vec<Vec<u8>> = (0..1024).map(|_| vec![1u8; 64 * 1024]).collect();
        let during = resident().expect("Linux reports the resident set");
        assert!(
            during.anonymous >= before.anonymous + 60 * MIB,
            "{before:?} → {during:?}"
        );
        drop(blocks);
        release_free_pages();
        let after = resident().expect("Linux reports the resident set");
        assert!(
            after.anonymous + 60 * MIB <= during.anonymous,
            "{during:?} → {after:?}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn blocks_another_thread_freed_stay_resident_until_their_own_thread_releases_them() {
        let _alone = resident_set_alone();
        // Small blocks (1 KiB): from this thread's own pages.
        let blocks: Vec<Vec<u8>> = (0..64 * 1024).map(|_| vec![1u8; 1024]).collect();
        let during = resident().expect("Linux reports the resident set");
        std::thread::spawn(move || {
            drop(blocks);
            // Released from any thread but theirs (the upkeep thread, say), they stay.
            release_free_pages();
        })
        .join()
        .expect("the freeing thread ends");
        let freed_elsewhere = resident().expect("Linux reports the resident set");
        assert!(
            freed_elsewhere.anonymous + 32 * MIB > during.anonymous,
            "freed by another thread, the pages wait for theirs: {during:?} → {freed_elsewhere:?}"
        );
        release_free_pages();
        let released = resident().expect("Linux reports the resident set");
        assert!(
            released.anonymous + 48 * MIB <= during.anonymous,
            "{during:?} → {released:?}"
        );
    }

    #[test]
    fn a_thread_releases_at_most_once_an_interval() {
        release_free_pages_every(Duration::from_secs(3600));
        let first = LAST_RELEASED.with(Cell::get);
        assert!(first.is_some(), "a thread that never released does at once");
        release_free_pages_every(Duration::from_secs(3600));
        assert_eq!(
            LAST_RELEASED.with(Cell::get),
            first,
            "not again within the hour"
        );
        std::thread::sleep(Duration::from_millis(2));
        release_free_pages_every(Duration::from_millis(1));
        assert!(
            LAST_RELEASED.with(Cell::get) > first,
            "again once the interval is up"
        );
    }

    #[test]
    fn every_block_has_its_alignment_at_every_size() {
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 24, 40, 100, 1000, 1500, 70_000] {
                let layout = Layout::from_size_align(size, align).expect("a valid layout");
                #[expect(unsafe_code, reason = "the allocator called directly, as Rust does")]
                // SAFETY: the layout's size is not zero; the block is freed with the same layout,
                // and resized to a non-zero size.
                unsafe {
                    let block = Mimalloc.alloc(layout);
                    assert_eq!(block as usize % align, 0, "{layout:?}");
                    let zeroed = Mimalloc.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0, "{layout:?}");
                    assert!(
                        std::slice::from_raw_parts(zeroed, size)
                            .iter()
                            .all(|&b| b == 0)
                    );
                    let grown = Mimalloc.realloc(block, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "{layout:?} grown");
                    Mimalloc.dealloc(zeroed, layout);
                    let grown_layout = Layout::from_size_align(size * 3, align).expect("valid");
                    Mimalloc.dealloc(grown, grown_layout);
                }
            }
        }
    }

    #[test]
    fn a_status_line_is_read_in_kibibytes_and_a_missing_one_is_none() {
        let status = "Name:\tarbiter\nRssAnon:\t   10240 kB\nRssFile:\t 512 kB\n";
        assert_eq!(status_kib(status, "RssAnon:"), Some(10_240));
        assert_eq!(status_kib(status, "RssFile:"), Some(512));
        assert_eq!(status_kib(status, "RssShmem:"), None);
    }
}
