//! A connect token as a client reads it (`arbiter_client::token::decode_token` after base64): what
//! reads writes back to the standard's 2,048 bytes and reads the same again.
#![no_main]

use arbiter_client::netcode::ConnectToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(token) = ConnectToken::from_bytes(bytes) {
        let written = token.to_bytes();
        assert_eq!(written.len(), 2048);
        assert_eq!(ConnectToken::from_bytes(&written).expect("what was written reads"), token);
    }
});
