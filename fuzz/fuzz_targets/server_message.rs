//! What a client library reads from a server (or from anyone pretending to be one).
#![no_main]

use arbiter_components::protocol::{decode_server, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(message) = decode_server(bytes) {
        assert_eq!(decode_server(&encode(&message)), Ok(message));
    }
});
