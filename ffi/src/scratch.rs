//! Borrowed data handed to the caller: strings and arrays that live until the next call on the same
//! handle, when [`Scratch::clear`] drops them. Each is its own heap block, so keeping more of them
//! never moves the ones already handed out.
#![expect(
    unsafe_code,
    reason = "the borrowed views hold raw pointers, which are not Send"
)]

use std::any::Any;
use std::ffi::{c_char, CString};

#[derive(Debug, Default)]
pub(crate) struct Scratch {
    strings: Vec<CString>,
    arrays: Vec<Box<dyn Any>>,
}

// SAFETY: the arrays hold plain values and raw pointers into this same scratch's strings and
// arrays; nothing in them is shared with another owner or tied to a thread, so the whole moves
// between threads as one (a client freed from another thread drops its scratch there).
unsafe impl Send for Scratch {}

impl Scratch {
    pub(crate) fn clear(&mut self) {
        self.strings.clear();
        self.arrays.clear();
    }

    /// `text` as a NUL-terminated C string. A NUL inside (a chat line can hold anything) becomes
    /// U+FFFD, so the caller sees all of the text.
    pub(crate) fn text(&mut self, text: &str) -> *const c_char {
        let string = CString::new(text)
            .unwrap_or_else(|_| CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default());
        let pointer = string.as_ptr();
        self.strings.push(string);
        pointer
    }

    /// `items` as a pointer and a count (null and 0 when empty).
    pub(crate) fn array<T: 'static>(&mut self, items: Vec<T>) -> (*const T, usize) {
        if items.is_empty() {
            return (std::ptr::null(), 0);
        }
        let items = items.into_boxed_slice();
        let borrowed = (items.as_ptr(), items.len());
        self.arrays.push(Box::new(items));
        borrowed
    }
}
