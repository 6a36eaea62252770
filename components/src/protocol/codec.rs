//! Encoding and decoding messages. Decoding never panics, whatever the bytes.

use super::{ClientMessage, ServerMessage};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why bytes were not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message of {len} bytes exceeds the limit of {limit}")]
    TooLarge { len: usize, limit: usize },
    #[error("not a valid message: {0}")]
    Invalid(String),
    #[error("{0} bytes left over after the message")]
    TrailingBytes(usize),
}

/// Encodes any protocol message.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode_into(message, &mut bytes);
    bytes
}

/// Encodes any protocol message at the end of `out` (a reused buffer: no allocation once it is
/// large enough).
pub fn encode_into<T: Serialize>(message: &T, out: &mut Vec<u8>) {
    match postcard::to_extend(message, std::mem::take(out)) {
        Ok(extended) => *out = extended,
        Err(error) => unreachable!("protocol messages always serialize to a Vec: {error}"),
    }
}

/// Decodes a client message of at most `limit` bytes.
pub fn decode_client(bytes: &[u8], limit: usize) -> Result<ClientMessage, DecodeError> {
    decode(bytes, limit)
}

/// Decodes a server message (clients use this; no size limit beyond the transport's).
pub fn decode_server(bytes: &[u8]) -> Result<ServerMessage, DecodeError> {
    decode(bytes, usize::MAX)
}

fn decode<T: DeserializeOwned>(bytes: &[u8], limit: usize) -> Result<T, DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    let (message, rest) = postcard::take_from_bytes(bytes)
        .map_err(|error| DecodeError::Invalid(error.to_string()))?;
    if rest.is_empty() {
        Ok(message)
    } else {
        Err(DecodeError::TrailingBytes(rest.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{EquipSlot, InstanceId, Inventory, InventoryError, Wallet};
    use crate::items::Catalog;
    use crate::protocol::{BankView, EntityState, GuildView, InputFrame};
    use crate::protocol::{InventoryDelta, InventoryView, ItemRefusal, ItemRequest};
    use crate::protocol::{MAX_OFFER_LINES, TradeOffer, TradeOutcome, TradeView};
    use crate::trade::{TradeCancel, TradePhase, TradeRefusal, TradeRequest};
    use proptest::prelude::*;

    #[test]
    fn client_messages_round_trip() {
        let messages = [
            ClientMessage::Input(InputFrame {
                tick: 1200,
                move_x: 0.5,
                move_y: -1.0,
                yaw: 3.0,
                pitch: 0.1,
                buttons: 0b101,
            }),
            ClientMessage::Fire {
                client_tick: 99,
                yaw: 1.0,
                pitch: 0.0,
                weapon: 2,
                target: Some(7),
            },
            ClientMessage::JoinQueue { mode: 1 },
            ClientMessage::LeaveQueue,
            ClientMessage::Ping {
                client_time_us: 123_456,
            },
            ClientMessage::Item(ItemRequest::Equip {
                slot: EquipSlot::Secondary,
                item: "pistol".into(),
                instance: Some(InstanceId {
                    origin: 7,
                    serial: 3,
                }),
            }),
            ClientMessage::Item(ItemRequest::Discard {
                item: "scrap".into(),
                qty: 5,
                instance: None,
            }),
            ClientMessage::Trade(TradeRequest::Invite { player_id: 12 }),
            ClientMessage::Trade(TradeRequest::SetOffer {
                trade: 3,
                stacks: vec![("scrap".into(), 4)],
                instances: vec![InstanceId {
                    origin: 7,
                    serial: 3,
                }],
                currencies: vec![("coins".into(), 250)],
            }),
            ClientMessage::Trade(TradeRequest::Accept {
                trade: 3,
                version: 2,
            }),
        ];
        for message in messages {
            assert_eq!(decode_client(&encode(&message), 1024), Ok(message));
        }
    }

    /// The worked examples in docs/protocol.md.
    #[test]
    fn documented_example_bytes() {
        let chat = ClientMessage::Guild(crate::guild::GuildRequest::Chat { text: "hi".into() });
        assert_eq!(encode(&chat), [0x07, 0x0D, 0x02, b'h', b'i']);
        let refused = ServerMessage::GuildRefused {
            request: crate::guild::GuildRequest::Leave,
            reason: crate::guild::GuildRefusal::LeaderMustTransfer,
        };
        assert_eq!(encode(&refused), [0x16, 0x05, 0x0B]);
        let invite = ClientMessage::Party(crate::party::PartyRequest::Invite { player_id: 5 });
        assert_eq!(encode(&invite), [0x08, 0x00, 0x05]);
        let cancelled = ServerMessage::QueueCancelled {
            by: 3,
            reason: super::super::QueueCancel::Disconnected,
        };
        assert_eq!(encode(&cancelled), [0x1B, 0x03, 0x01]);
        assert_eq!(
            encode(&ClientMessage::Ping {
                client_time_us: 300
            }),
            [0x04, 0xAC, 0x02]
        );
        let input = ClientMessage::Input(InputFrame {
            tick: 1,
            move_x: 0.0,
            move_y: 1.0,
            yaw: 0.0,
            pitch: 0.0,
            buttons: 0,
        });
        assert_eq!(
            encode(&input),
            [
                0x00, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0, 0x00
            ]
        );
        assert_eq!(
            encode(&ClientMessage::Item(ItemRequest::Buy {
                offer: "rifle".into()
            })),
            [0x05, 0x04, 0x05, b'r', b'i', b'f', b'l', b'e']
        );
        let refused = ServerMessage::ItemRefused(ItemRefusal {
            request: ItemRequest::UseItem {
                item: "medkit".into(),
            },
            reason: InventoryError::OnCooldown,
        });
        assert_eq!(
            encode(&refused),
            [0x0D, 0x02, 0x06, b'm', b'e', b'd', b'k', b'i', b't', 0x09]
        );
        assert_eq!(
            encode(&ClientMessage::Trade(TradeRequest::Accept {
                trade: 7,
                version: 2
            })),
            [0x06, 0x03, 0x07, 0x02]
        );
        let stale = ServerMessage::TradeRefused {
            request: TradeRequest::Accept {
                trade: 7,
                version: 1,
            },
            reason: TradeRefusal::StaleVersion,
        };
        assert_eq!(encode(&stale), [0x10, 0x03, 0x07, 0x01, 0x06]);
        let declined = ServerMessage::TradeEnded {
            trade: 7,
            outcome: TradeOutcome::Cancelled(TradeCancel::Declined),
        };
        assert_eq!(encode(&declined), [0x0F, 0x07, 0x01, 0x00]);
    }

    #[test]
    fn an_input_is_small_on_the_wire() {
        let input = ClientMessage::Input(InputFrame {
            tick: 100_000,
            move_x: 1.0,
            move_y: 0.0,
            yaw: 0.0,
            pitch: 0.0,
            buttons: 0,
        });
        assert!(encode(&input).len() <= 24, "{} bytes", encode(&input).len());
    }

    #[test]
    fn server_messages_round_trip() {
        let snapshot = ServerMessage::Snapshot {
            tick: 7,
            ack_input_tick: 6,
            entities: vec![EntityState {
                player_id: 42,
                position: [1.0, 2.0, 3.0],
                velocity: [0.0; 3],
                yaw: 0.5,
                pitch: 0.0,
                health: 100,
                alive: true,
            }],
        };
        assert_eq!(decode_server(&encode(&snapshot)), Ok(snapshot));
        let changed = ServerMessage::InventoryChanged(InventoryDelta::Balance {
            currency: "coins".into(),
            delta: -100,
            balance: 20,
            reason: "purchase:rifle".into(),
        });
        assert_eq!(decode_server(&encode(&changed)), Ok(changed));
        let whole = ServerMessage::Inventory(Box::new(inventory_view()));
        assert_eq!(decode_server(&encode(&whole)), Ok(whole));
        let trade = ServerMessage::TradeChanged(Box::new(trade_view()));
        assert_eq!(decode_server(&encode(&trade)), Ok(trade));
        let settled = ServerMessage::TradeEnded {
            trade: 4,
            outcome: TradeOutcome::Settled {
                transfer: "1:17".into(),
            },
        };
        assert_eq!(decode_server(&encode(&settled)), Ok(settled));
    }

    /// A rifle granted: an instance, equipped.
    fn inventory_view() -> InventoryView {
        let mut inventory = Inventory::default();
        let granted = inventory
            .grant(&catalog(), "rifle", 1, 10, 9, "starter_kit")
            .expect("fits");
        inventory.apply(&granted);
        InventoryView::new(&inventory, &Wallet::default(), 10)
    }

    /// Trade 4 in review: both sides offer scrap, a rifle and coins; the first accepted.
    fn trade_view() -> TradeView {
        let offer = |player_id, accepted| TradeOffer {
            player_id,
            stacks: vec![("scrap".into(), 3)],
            instances: vec![(
                InstanceId {
                    origin: 9,
                    serial: 0,
                },
                "rifle".into(),
            )],
            currencies: vec![("coins".into(), 40)],
            accepted,
        };
        TradeView {
            trade: 4,
            phase: TradePhase::Review,
            version: 3,
            sides: [offer(1, true), offer(2, false)],
        }
    }

    /// `ServerMessage` boxes its whole views to stay small in memory; on the wire each is its
    /// index, then the view's own fields, as docs/protocol.md's table says.
    #[test]
    fn a_whole_view_is_sent_as_its_index_then_the_view_itself() {
        let with_index = |index: u8, view: Vec<u8>| [vec![index], view].concat();
        assert_eq!(
            encode(&ServerMessage::Inventory(Box::new(inventory_view()))),
            with_index(11, encode(&inventory_view()))
        );
        assert_eq!(
            encode(&ServerMessage::TradeChanged(Box::new(trade_view()))),
            with_index(14, encode(&trade_view()))
        );
        let guild = GuildView {
            guild: 5,
            name: "Iron Wolves".into(),
            tag: "IW".into(),
            members: Vec::new(),
            bank: BankView::default(),
        };
        assert_eq!(
            encode(&ServerMessage::Guild(Box::new(guild.clone()))),
            with_index(17, encode(&guild))
        );
    }

    #[test]
    fn an_offer_of_impossible_size_or_ids_is_malformed() {
        let offer = |stacks: Vec<(String, u32)>| {
            ClientMessage::Trade(TradeRequest::SetOffer {
                trade: 1,
                stacks,
                instances: Vec::new(),
                currencies: Vec::new(),
            })
        };
        assert!(offer(vec![("scrap".into(), 1)]).is_well_formed());
        assert!(!offer(vec![(String::new(), 1)]).is_well_formed());
        assert!(!offer(vec![("x".repeat(65), 1)]).is_well_formed());
        assert!(!offer(vec![("scrap".into(), 1); MAX_OFFER_LINES + 1]).is_well_formed());
    }

    fn catalog() -> Catalog {
        Catalog::for_weapons(&crate::combat::Weapons::default())
    }

    /// Ids and reasons are `SmolStr` in the Rust types, held inline or on the heap by length; on
    /// the wire both are a `String` (docs/protocol.md): a client in another language sees no change.
    #[test]
    fn a_delta_with_inline_and_heap_ids_has_the_bytes_of_its_string_form() {
        #[derive(serde::Serialize)]
        enum StringDelta {
            _Added,
            _Removed,
            _Equipped,
            _Unequipped,
            Balance {
                currency: String,
                delta: i64,
                balance: u64,
                reason: String,
            },
        }
        let (currency, reason) = (
            "coins",
            "trade:1234567890:987654321 (a reason past 23 bytes)",
        );
        let delta = ServerMessage::InventoryChanged(InventoryDelta::Balance {
            currency: currency.into(),
            delta: -5,
            balance: 95,
            reason: reason.into(),
        });
        let encoded = postcard::to_allocvec(&delta).expect("encodes");
        let as_strings = postcard::to_allocvec(&StringDelta::Balance {
            currency: currency.to_owned(),
            delta: -5,
            balance: 95,
            reason: reason.to_owned(),
        })
        .expect("encodes");
        // After the message's one-byte variant (InventoryChanged, 12), the delta's bytes.
        assert_eq!(encoded[0], 12);
        assert_eq!(&encoded[1..], &as_strings[..]);
        assert_eq!(decode_server(&encoded).expect("decodes"), delta);
    }

    #[test]
    fn oversized_truncated_and_padded_messages_are_refused() {
        let ping = encode(&ClientMessage::Ping {
            client_time_us: u64::MAX,
        });
        assert!(matches!(
            decode_client(&ping, 4),
            Err(DecodeError::TooLarge { .. })
        ));
        assert!(matches!(
            decode_client(&ping[..ping.len() - 1], 64),
            Err(DecodeError::Invalid(_))
        ));
        let mut padded = ping.clone();
        padded.push(0);
        assert_eq!(
            decode_client(&padded, 64),
            Err(DecodeError::TrailingBytes(1))
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode_client(&bytes, 1024);
            let _ = decode_server(&bytes);
        }

        #[test]
        fn every_input_round_trips(tick: u64, move_x in -1.0f32..=1.0, move_y in -1.0f32..=1.0, yaw: f32, pitch in -1.5f32..1.5, buttons: u32) {
            let message = ClientMessage::Input(InputFrame { tick, move_x, move_y, yaw, pitch, buttons });
            let decoded = decode_client(&encode(&message), 1024).expect("round trip");
            // Compare bit patterns so NaN yaw values round-trip too.
            prop_assert_eq!(format!("{decoded:?}"), format!("{message:?}"));
        }
    }
}
