//! What the server reads of a renet packet's header (renet 2.0's wire format, pinned by the tests
//! below): its type byte, and for a packet that carries messages, the channel they are on. A
//! packet type renet does not know is read as carrying nothing; renet itself refuses it.

/// renet's packet type byte for a packet of acknowledgements only. A datagram of nothing else
/// needs no answer: answering it would be acknowledged in turn, and two idle peers would trade
/// acks every tick. Nor does a client awaiting an ack need one while renet has only acks for it
/// (renet adds them whenever any are unconfirmed).
const ACK: u8 = 4;

/// renet's packet types that carry messages: small reliable, small unreliable, and a slice of
/// a reliable or unreliable message. Each is followed by a sequence number and the channel id.
const WITH_MESSAGES: std::ops::RangeInclusive<u8> = 0..=3;

/// Whether a renet packet carries acknowledgements and nothing else.
pub(super) fn is_ack(packet: &[u8]) -> bool {
    packet.first() == Some(&ACK)
}

/// Whether renet's `packets` are acknowledgements and nothing else (or none at all).
pub(super) fn acks_only<'a>(mut packets: impl Iterator<Item = &'a [u8]>) -> bool {
    packets.all(is_ack)
}

/// The channel whose messages the packet carries, if it carries any. The sequence number
/// before it is a QUIC varint (RFC 9000): its first byte's top two bits give its length.
pub(super) fn channel_of(packet: &[u8]) -> Option<u8> {
    let (kind, rest) = packet.split_first()?;
    if !WITH_MESSAGES.contains(kind) {
        return None;
    }
    let sequence_bytes = 1usize << (rest.first()? >> 6);
    rest.get(sequence_bytes).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::protocol::{ClientChannel, connection_config};
    use renet::RenetClient;

    fn connected() -> RenetClient {
        let mut client = RenetClient::new(connection_config(64_000));
        client.set_connected();
        client
    }

    #[test]
    fn renets_acknowledgement_packets_start_with_the_byte_taken_for_them() {
        let (mut server_side, mut client_side) = (connected(), connected());
        server_side.send_message(ClientChannel::Command, vec![1, 2, 3]);
        for packet in server_side.get_packets_to_send() {
            client_side.process_packet(&packet);
        }
        let packets = client_side.get_packets_to_send();
        assert_eq!(packets.len(), 1, "one ack packet");
        assert!(is_ack(&packets[0]));
        assert_eq!(channel_of(&packets[0]), None);
    }

    #[test]
    fn every_packet_with_messages_names_its_channel_whatever_its_sequence_numbers_length() {
        let (mut client, mut server) = (connected(), connected());
        // Sequence numbers from 0 to past 16,384 (1-, 2- and 4-byte varints), small messages
        // and sliced ones, on both channels; the server's acks keep the reliable channel free.
        for round in 0..17_000u32 {
            let channel = [ClientChannel::Input, ClientChannel::Command][round as usize % 2];
            let size = if round % 997 == 0 { 3_000 } else { 8 };
            client.send_message(channel, vec![round as u8; size]);
            let packets = client.get_packets_to_send();
            let with_messages = packets.iter().filter(|packet| !is_ack(packet));
            assert!(with_messages.clone().count() > 0, "round {round}");
            for packet in with_messages {
                assert_eq!(channel_of(packet), Some(u8::from(channel)), "round {round}");
            }
            for packet in &packets {
                server.process_packet(packet);
            }
            for ack in server.get_packets_to_send() {
                client.process_packet(&ack);
            }
        }
    }

    #[test]
    fn a_packet_too_short_or_of_an_unknown_type_names_no_channel() {
        for packet in [&[][..], &[0], &[1, 0x40, 7], &[6, 0, 0], &[0xff, 0, 0]] {
            assert_eq!(channel_of(packet), None, "{packet:?}");
        }
        assert_eq!(channel_of(&[1, 0x40, 7, 1]), Some(1));
    }
}
