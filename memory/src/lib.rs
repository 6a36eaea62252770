//! What the process's C allocator holds, and handing its free pages back to the system.
//!
//! glibc's malloc returns freed memory to the system only from the top of each arena. A server
//! whose live data is interleaved with short-lived buffers (a flush batch, a burst of reconnects,
//! the retries of a database outage) keeps the pages those buffers used resident after they are
//! freed, so its RSS climbs to each new high-water mark of fragmentation and stays there.
//! `malloc_trim(0)` walks every arena and gives the free pages back (`madvise`), which is what
//! keeps the resident size following the live heap. Elsewhere (musl, macOS, Windows) these
//! calls do nothing: those allocators return memory on their own or have no such call.

/// What the allocator holds, from glibc's `mallinfo2` (summed over its arenas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapUsage {
    /// Bytes in live allocations, including those the allocator mapped on their own.
    pub in_use: u64,
    /// Bytes the allocator holds free for later allocations.
    pub free: u64,
}

/// What the allocator holds now; `None` where the allocator cannot say (not glibc).
pub fn heap_usage() -> Option<HeapUsage> {
    imp::heap_usage()
}

/// Gives the allocator's free pages back to the system; whether any were given. It locks each
/// arena in turn while it walks it, so call it from a thread of its own, not the tick's.
pub fn release_free_pages() -> bool {
    imp::release_free_pages()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    use super::HeapUsage;

    pub(super) fn heap_usage() -> Option<HeapUsage> {
        #[expect(unsafe_code, reason = "glibc's mallinfo2, a C call")]
        // SAFETY: mallinfo2 takes no arguments and returns a struct by value; glibc locks each
        // arena while it reads it.
        let info = unsafe { libc::mallinfo2() };
        Some(HeapUsage {
            in_use: (info.uordblks + info.hblkhd) as u64,
            free: info.fordblks as u64,
        })
    }

    pub(super) fn release_free_pages() -> bool {
        #[expect(unsafe_code, reason = "glibc's malloc_trim, a C call")]
        // SAFETY: malloc_trim takes no pointers; glibc serialises it with every other allocator
        // call by the arenas' locks.
        let released = unsafe { libc::malloc_trim(0) };
        released == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    use super::HeapUsage;

    pub(super) fn heap_usage() -> Option<HeapUsage> {
        None
    }

    pub(super) fn release_free_pages() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_memory_leaves_the_in_use_count_and_trimming_gives_free_pages_back() {
        let before = heap_usage().expect("glibc reports its heap");
        // Blocks below the mmap threshold (so from an arena), then every other one freed: whole
        // free pages the arena holds between live blocks, which only a trim gives back.
        const BLOCK: u64 = 64 * 1024;
        let mut blocks: Vec<Vec<u8>> = (0..256).map(|_| vec![1u8; BLOCK as usize]).collect();
        let during = heap_usage().expect("glibc reports its heap");
        assert!(
            during.in_use >= before.in_use + 256 * BLOCK,
            "{before:?} → {during:?}"
        );
        let mut index = 0;
        blocks.retain(|_| {
            index += 1;
            index % 2 == 0
        });
        let freed = heap_usage().expect("glibc reports its heap");
        assert!(
            freed.in_use + 128 * BLOCK <= during.in_use,
            "{during:?} → {freed:?}"
        );
        assert!(freed.free >= 128 * BLOCK, "{freed:?}");
        assert!(release_free_pages(), "free whole pages were held");
        drop(blocks);
    }
}
