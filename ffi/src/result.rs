//! Result codes: what every exported function returns, as an `int32`.

use std::ffi::{c_char, CStr};

/// Zero is success, positive values are successful outcomes worth telling apart, negative values
/// are errors.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArbiterResult {
    Ok = 0,
    /// Nothing to return: no event waiting, or no trade, guild or party to show.
    Empty = 1,
    /// A pointer argument that must not be null was null.
    NullArgument = -1,
    /// An argument is out of range: a negative or non-finite time, an unknown slot, invalid UTF-8.
    InvalidArgument = -2,
    /// A string or array argument is longer than the protocol allows.
    TooLong = -3,
    /// The handle is not a live client: never created, already freed, or from another process.
    InvalidHandle = -4,
    /// The handle belongs to another thread; only `arbiter_free` may be called from any thread.
    WrongThread = -5,
    /// A bug inside the library panicked during this call; the handle is poisoned.
    Panic = -6,
    /// An earlier call on this handle panicked; only `arbiter_free` works on it now.
    Poisoned = -7,
    /// The connect token is not base64 of a 2048-byte netcode connect token.
    BadToken = -8,
    /// The connection ended; `arbiter_stats` says why. Reconnect with a new token, or free it.
    Disconnected = -9,
    /// The operating system refused a socket operation.
    Socket = -10,
}

impl ArbiterResult {
    /// Every code, for names and tests.
    pub const ALL: [ArbiterResult; 12] = [
        ArbiterResult::Ok,
        ArbiterResult::Empty,
        ArbiterResult::NullArgument,
        ArbiterResult::InvalidArgument,
        ArbiterResult::TooLong,
        ArbiterResult::InvalidHandle,
        ArbiterResult::WrongThread,
        ArbiterResult::Panic,
        ArbiterResult::Poisoned,
        ArbiterResult::BadToken,
        ArbiterResult::Disconnected,
        ArbiterResult::Socket,
    ];

    /// Its name, as it appears in the header.
    pub fn name(self) -> &'static CStr {
        match self {
            ArbiterResult::Ok => c"ARBITER_RESULT_OK",
            ArbiterResult::Empty => c"ARBITER_RESULT_EMPTY",
            ArbiterResult::NullArgument => c"ARBITER_RESULT_NULL_ARGUMENT",
            ArbiterResult::InvalidArgument => c"ARBITER_RESULT_INVALID_ARGUMENT",
            ArbiterResult::TooLong => c"ARBITER_RESULT_TOO_LONG",
            ArbiterResult::InvalidHandle => c"ARBITER_RESULT_INVALID_HANDLE",
            ArbiterResult::WrongThread => c"ARBITER_RESULT_WRONG_THREAD",
            ArbiterResult::Panic => c"ARBITER_RESULT_PANIC",
            ArbiterResult::Poisoned => c"ARBITER_RESULT_POISONED",
            ArbiterResult::BadToken => c"ARBITER_RESULT_BAD_TOKEN",
            ArbiterResult::Disconnected => c"ARBITER_RESULT_DISCONNECTED",
            ArbiterResult::Socket => c"ARBITER_RESULT_SOCKET",
        }
    }
}

/// The name of result code `code` (`"ARBITER_RESULT_WRONG_THREAD"`), or `"ARBITER_RESULT_UNKNOWN"`.
/// The string is static: never free it.
#[expect(unsafe_code, reason = "exported under its C name")]
#[no_mangle]
pub extern "C" fn arbiter_result_name(code: i32) -> *const c_char {
    name_of(code).as_ptr()
}

fn name_of(code: i32) -> &'static CStr {
    ArbiterResult::ALL
        .into_iter()
        .find(|result| *result as i32 == code)
        .map_or(c"ARBITER_RESULT_UNKNOWN", ArbiterResult::name)
}

/// [`crate::ARBITER_ABI_VERSION`] of the library actually loaded.
#[expect(unsafe_code, reason = "exported under its C name")]
#[no_mangle]
pub extern "C" fn arbiter_abi_version() -> u32 {
    crate::ARBITER_ABI_VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_name_and_unknown_codes_say_so() {
        let names: std::collections::BTreeSet<_> = ArbiterResult::ALL
            .into_iter()
            .map(|result| result.name().to_str().expect("ASCII"))
            .collect();
        assert_eq!(names.len(), ArbiterResult::ALL.len());
        assert_eq!(name_of(-999), c"ARBITER_RESULT_UNKNOWN");
        assert_eq!(name_of(-5), c"ARBITER_RESULT_WRONG_THREAD");
    }
}
