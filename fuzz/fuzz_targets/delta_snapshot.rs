//! A delta snapshot as a client reads it (from a server, or anyone pretending to be one), against no
//! baseline and against the state it decoded to: what decodes re-encodes to something that decodes
//! to the same state.
#![no_main]

use arbiter_components::protocol::{decode_delta, encode_delta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(states) = decode_delta(None, bytes, 1024) else {
        return;
    };
    let mut sorted = states.clone();
    sorted.sort_by_key(|state| state.player_id);
    sorted.dedup_by_key(|state| state.player_id);
    for baseline in [None, Some(sorted.as_slice())] {
        let mut encoded = Vec::new();
        encode_delta(baseline, &sorted, &mut encoded);
        assert_eq!(decode_delta(baseline, &encoded, 1024).expect("what was encoded decodes"), sorted);
        let _ = decode_delta(baseline, bytes, 1024);
    }
});
