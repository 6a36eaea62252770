//! What any client may send: decoded, checked, and what decodes encodes to bytes that decode and
//! encode to the same bytes (compared as bytes: a NaN in a malformed input is not equal to itself).
#![no_main]

use arbiter_components::protocol::{decode_client, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(message) = decode_client(bytes, 1024) {
        let _ = message.is_well_formed();
        let _ = message.channel();
        let encoded = encode(&message);
        let again = decode_client(&encoded, usize::MAX).expect("what was encoded decodes");
        assert_eq!(encode(&again), encoded);
    }
});
