use super::*;
use crate::netcode::{MAX_PACKET_BYTES, PacketKey, ReplayProtection};
use proptest::prelude::*;

const PROTOCOL: u64 = 0x1122_3344;

fn key() -> PacketKey {
    PacketKey::new(&[5; 32])
}

#[test]
fn a_packet_round_trips_with_one_to_eight_sequence_bytes() {
    let mut buffer = [0u8; MAX_PACKET_BYTES];
    for (sequence, bytes) in [(0u64, 1u8), (255, 1), (256, 2), (1000, 2), (u64::MAX, 8)] {
        let len = write_packet(
            &mut buffer,
            PacketKind::Payload,
            sequence,
            b"hello",
            &key(),
            PROTOCOL,
        );
        assert_eq!(buffer[0] >> 4, bytes, "sequence {sequence}");
        let header = Header::read(&buffer[..len]).expect("header");
        assert_eq!(
            (header.kind, header.sequence),
            (PacketKind::Payload, sequence)
        );
        let body = open_packet(&mut buffer[..len], &header, &key(), PROTOCOL).expect("opens");
        assert_eq!(body, b"hello");
    }
}

#[test]
fn a_keep_alive_with_sequence_zero_still_carries_one_sequence_byte() {
    let mut buffer = [0u8; MAX_PACKET_BYTES];
    let len = write_packet(
        &mut buffer,
        PacketKind::KeepAlive,
        0,
        &[0; 8],
        &key(),
        PROTOCOL,
    );
    assert_eq!(buffer[0], 0x14);
    assert_eq!(len, 1 + 1 + 8 + MAC_BYTES);
}

#[test]
fn altered_prefix_sequence_body_or_protocol_fail_authentication() {
    let mut original = [0u8; MAX_PACKET_BYTES];
    let len = write_packet(
        &mut original,
        PacketKind::Payload,
        77,
        b"data",
        &key(),
        PROTOCOL,
    );
    let alter = |at: usize, protocol: u64| {
        let mut packet = original;
        packet[at] ^= if at == 0 { 0x01 } else { 0x40 };
        let header = Header::read(&packet[..len]).expect("header");
        open_packet(&mut packet[..len], &header, &key(), protocol).map(<[u8]>::to_vec)
    };
    assert_eq!(
        alter(0, PROTOCOL),
        Err(PacketError::Unauthentic),
        "type changed"
    );
    assert_eq!(
        alter(1, PROTOCOL),
        Err(PacketError::Unauthentic),
        "sequence changed"
    );
    assert_eq!(
        alter(3, PROTOCOL),
        Err(PacketError::Unauthentic),
        "body changed"
    );
    let mut packet = original;
    let header = Header::read(&packet[..len]).expect("header");
    assert_eq!(
        open_packet(&mut packet[..len], &header, &key(), PROTOCOL + 1),
        Err(PacketError::Unauthentic)
    );
}

#[test]
fn a_keep_alive_of_the_wrong_size_is_refused_after_decryption() {
    let mut buffer = [0u8; MAX_PACKET_BYTES];
    let len = write_packet(
        &mut buffer,
        PacketKind::KeepAlive,
        3,
        &[0; 9],
        &key(),
        PROTOCOL,
    );
    let header = Header::read(&buffer[..len]).expect("header");
    assert_eq!(
        open_packet(&mut buffer[..len], &header, &key(), PROTOCOL),
        Err(PacketError::BodySize)
    );
}

#[test]
fn challenge_tokens_open_only_with_their_sequence_and_key() {
    let token = ChallengeToken {
        client_id: 9,
        user_data: [4; USER_DATA_BYTES],
    };
    let sealed = seal_challenge_token(&token, 12, &key());
    assert_eq!(open_challenge_token(&sealed, 12, &key()), Ok(token));
    assert_eq!(
        open_challenge_token(&sealed, 13, &key()),
        Err(PacketError::Unauthentic)
    );
    assert_eq!(
        open_challenge_token(&sealed, 12, &PacketKey::new(&[6; 32])),
        Err(PacketError::Unauthentic)
    );
}

#[test]
fn a_connection_request_is_read_back_and_refused_for_another_protocol_or_size() {
    let packet = ConnectionRequest::write(
        PROTOCOL,
        99,
        &[1; TOKEN_NONCE_BYTES],
        &[2; PRIVATE_TOKEN_BYTES],
    );
    assert_eq!(packet.len(), REQUEST_PACKET_BYTES);
    let request = ConnectionRequest::read(&packet, PROTOCOL).expect("request");
    assert_eq!(request.expire_timestamp, 99);
    assert_eq!(request.nonce, &[1; TOKEN_NONCE_BYTES]);
    assert!(ConnectionRequest::read(&packet, PROTOCOL + 1).is_err());
    assert!(ConnectionRequest::read(&packet[..REQUEST_PACKET_BYTES - 1], PROTOCOL).is_err());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_packet_readers(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut packet = bytes.clone();
        if let Ok(header) = Header::read(&packet) {
            prop_assert!(open_packet(&mut packet, &header, &key(), PROTOCOL).is_err());
        }
        prop_assert!(ConnectionRequest::read(&bytes, PROTOCOL).is_err() || bytes.len() == REQUEST_PACKET_BYTES);
        prop_assert!(open_challenge_token(&bytes, 0, &key()).is_err());
    }

    #[test]
    fn replay_protection_accepts_each_sequence_once(sequences in proptest::collection::vec(0u64..600, 1..200)) {
        let mut replay = ReplayProtection::default();
        let mut accepted = std::collections::HashSet::new();
        for sequence in sequences {
            if !replay.already_received(sequence) {
                prop_assert!(accepted.insert(sequence), "sequence {} accepted twice", sequence);
                replay.advance(sequence);
            }
        }
    }
}
