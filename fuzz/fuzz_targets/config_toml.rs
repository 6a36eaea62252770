//! The server's config file, as an operator (or a bad deploy) may write it: parsed, overridden by
//! no environment, validated. A refusal is fine; a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = arbiter::config::parse_config(text, Path::new("server.toml"), &|_| None);
    }
});
