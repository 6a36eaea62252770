//! The only code that reads or writes through the caller's pointers. Every function checks what
//! can be checked (null, length limits, UTF-8) and states what the caller must guarantee.
#![expect(
    unsafe_code,
    reason = "reading the caller's arguments through raw pointers"
)]

use crate::result::ArbiterResult;
use std::ffi::c_char;

/// A NUL-terminated UTF-8 argument of at most `limit` bytes.
///
/// # Safety
/// `pointer` is null or points to readable bytes up to a NUL or at least `limit + 1` bytes,
/// unchanged during the call.
pub(crate) unsafe fn text_arg<'a>(
    pointer: *const c_char,
    limit: usize,
) -> Result<&'a str, ArbiterResult> {
    if pointer.is_null() {
        return Err(ArbiterResult::NullArgument);
    }
    let bytes = pointer.cast::<u8>();
    let mut len = 0;
    // SAFETY: the caller guarantees bytes up to the NUL, or `limit + 1` of them, are readable; the
    // loop reads no further than either.
    while unsafe { *bytes.add(len) } != 0 {
        if len == limit {
            return Err(ArbiterResult::TooLong);
        }
        len += 1;
    }
    // SAFETY: the `len` bytes before the NUL were just read.
    let slice = unsafe { std::slice::from_raw_parts(bytes, len) };
    std::str::from_utf8(slice).map_err(|_| ArbiterResult::InvalidArgument)
}

/// An array argument of `count` elements, at most `limit`; `pointer` may be null when `count` is 0.
///
/// # Safety
/// When `count` is not 0 and at most `limit`, `pointer` is null or points to `count` initialised
/// elements, unchanged during the call.
pub(crate) unsafe fn array_arg<'a, T>(
    pointer: *const T,
    count: usize,
    limit: usize,
) -> Result<&'a [T], ArbiterResult> {
    if count == 0 {
        return Ok(&[]);
    }
    if count > limit {
        return Err(ArbiterResult::TooLong);
    }
    if pointer.is_null() {
        return Err(ArbiterResult::NullArgument);
    }
    // SAFETY: non-null, and the caller guarantees `count` initialised elements.
    Ok(unsafe { std::slice::from_raw_parts(pointer, count) })
}

/// An optional struct argument: `None` for null.
///
/// # Safety
/// `pointer` is null or points to an initialised `T`.
pub(crate) unsafe fn optional_arg<T: Copy>(pointer: *const T) -> Option<T> {
    // SAFETY: the caller guarantees a non-null pointer points to an initialised `T`.
    (!pointer.is_null()).then(|| unsafe { pointer.read_unaligned() })
}

/// Writes `value` to the caller's `out`.
///
/// # Safety
/// `out` is null or points to memory writable as a `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) -> ArbiterResult {
    if out.is_null() {
        return ArbiterResult::NullArgument;
    }
    // SAFETY: non-null, and the caller guarantees it is writable as a `T`.
    unsafe { out.write_unaligned(value) };
    ArbiterResult::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_arguments_are_bounded_checked_for_null_and_utf8() {
        // SAFETY: each pointer is a NUL-terminated literal or null.
        unsafe {
            assert_eq!(text_arg(c"sword".as_ptr(), 8), Ok("sword"));
            assert_eq!(text_arg(c"".as_ptr(), 8), Ok(""));
            assert_eq!(
                text_arg(c"longsword".as_ptr(), 8),
                Err(ArbiterResult::TooLong)
            );
            assert_eq!(
                text_arg(c"\xff\xfe".as_ptr(), 8),
                Err(ArbiterResult::InvalidArgument)
            );
            assert_eq!(
                text_arg(std::ptr::null(), 8),
                Err(ArbiterResult::NullArgument)
            );
        }
    }

    #[test]
    fn array_arguments_are_bounded_and_may_be_null_only_when_empty() {
        let values = [1u32, 2, 3];
        // SAFETY: `values` holds 3 elements; the null pointers come with counts the checks refuse
        // before reading.
        unsafe {
            assert_eq!(array_arg(values.as_ptr(), 3, 3), Ok(&values[..]));
            assert_eq!(
                array_arg(values.as_ptr(), 3, 2),
                Err(ArbiterResult::TooLong)
            );
            assert_eq!(array_arg::<u32>(std::ptr::null(), 0, 2), Ok(&[][..]));
            assert_eq!(
                array_arg::<u32>(std::ptr::null(), 1, 2),
                Err(ArbiterResult::NullArgument)
            );
        }
    }
}
