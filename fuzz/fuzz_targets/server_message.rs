//! What a client library reads from a server (or from anyone pretending to be one): what decodes
//! encodes to bytes that decode and encode to the same bytes.
#![no_main]

use arbiter_components::protocol::{decode_server, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(message) = decode_server(bytes) {
        let encoded = encode(&message);
        let again = decode_server(&encoded).expect("what was encoded decodes");
        assert_eq!(encode(&again), encoded);
    }
});
