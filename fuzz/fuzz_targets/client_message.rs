//! What any client may send: decoded, checked, and what decodes encodes back to a message that
//! decodes to itself.
#![no_main]

use arbiter_components::protocol::{decode_client, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(message) = decode_client(bytes, 1024) {
        let _ = message.is_well_formed();
        let _ = message.channel();
        assert_eq!(decode_client(&encode(&message), usize::MAX), Ok(message));
    }
});
