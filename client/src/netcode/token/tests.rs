use super::*;
use proptest::prelude::*;

fn private_token() -> PrivateToken {
    PrivateToken {
        client_id: 0x0102_0304_0506_0708,
        timeout_seconds: 15,
        server_addresses: vec![
            "127.0.0.1:40000".parse().expect("address"),
            "[2001:db8::1]:40001".parse().expect("address"),
        ],
        client_to_server_key: [7; KEY_BYTES],
        server_to_client_key: [9; KEY_BYTES],
        user_data: [3; USER_DATA_BYTES],
    }
}

#[test]
fn a_token_round_trips_through_the_2048_byte_layout_and_its_private_part_opens_with_the_key() {
    let key = [42u8; KEY_BYTES];
    let private = private_token();
    let token = ConnectToken::seal(&private, 0xABCD, 1_000, 1_300, &key);
    let bytes = token.to_bytes();
    assert_eq!(bytes.len(), CONNECT_TOKEN_BYTES);
    assert_eq!(&bytes[..13], VERSION_INFO);
    let read = ConnectToken::from_bytes(&bytes).expect("valid token");
    assert_eq!(read, token);
    let opened = PrivateToken::open(
        &read.private_data,
        read.protocol_id,
        read.expire_timestamp,
        &read.nonce,
        &key,
    )
    .expect("opens with the server key");
    assert_eq!(opened, private);
}

#[test]
fn a_private_token_refuses_another_key_another_protocol_and_another_expiry() {
    let key = [42u8; KEY_BYTES];
    let token = ConnectToken::seal(&private_token(), 0xABCD, 1_000, 1_300, &key);
    let open = |protocol, expire, key: &[u8; KEY_BYTES]| {
        PrivateToken::open(&token.private_data, protocol, expire, &token.nonce, key)
    };
    assert_eq!(
        open(0xABCD, 1_300, &[41; KEY_BYTES]),
        Err(TokenError::Unauthentic)
    );
    assert_eq!(open(0xABCE, 1_300, &key), Err(TokenError::Unauthentic));
    assert_eq!(open(0xABCD, 1_301, &key), Err(TokenError::Unauthentic));
}

#[test]
fn malformed_public_tokens_get_a_reason() {
    let token = ConnectToken::seal(&private_token(), 1, 10, 20, &[1; KEY_BYTES]);
    let bytes = token.to_bytes();
    assert!(matches!(
        ConnectToken::from_bytes(&bytes[..1172]),
        Err(TokenError::Size { actual: 1172, .. })
    ));
    let mut version = bytes.clone();
    version[7] = b'0';
    assert_eq!(ConnectToken::from_bytes(&version), Err(TokenError::Version));
    let addresses_at = 13 + 8 * 3 + TOKEN_NONCE_BYTES + PRIVATE_TOKEN_BYTES + 4;
    let mut none = bytes.clone();
    none[addresses_at..addresses_at + 4].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(
        ConnectToken::from_bytes(&none),
        Err(TokenError::AddressCount(0))
    );
    let mut kind = bytes.clone();
    kind[addresses_at + 4] = 3;
    assert_eq!(
        ConnectToken::from_bytes(&kind),
        Err(TokenError::AddressType(3))
    );
    let mut backwards = bytes;
    backwards[13 + 8..13 + 16].copy_from_slice(&30u64.to_le_bytes());
    assert_eq!(
        ConnectToken::from_bytes(&backwards),
        Err(TokenError::Timestamps)
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_token_readers(bytes in proptest::collection::vec(any::<u8>(), 0..2100)) {
        let _ = ConnectToken::from_bytes(&bytes);
        let mut padded = bytes.clone();
        padded.resize(CONNECT_TOKEN_BYTES, 0);
        let _ = ConnectToken::from_bytes(&padded);
        let mut private = [0u8; PRIVATE_TOKEN_BYTES];
        let n = bytes.len().min(PRIVATE_TOKEN_BYTES);
        private[..n].copy_from_slice(&bytes[..n]);
        prop_assert_eq!(
            PrivateToken::open(&private, 1, 2, &[0; TOKEN_NONCE_BYTES], &[0; KEY_BYTES]),
            Err(TokenError::Unauthentic)
        );
    }
}
