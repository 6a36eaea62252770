use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, VecDeque};

fn state(player_id: u64, x: f32) -> EntityState {
    EntityState {
        player_id,
        position: [x, 1.5, -x],
        velocity: [4.0, 0.0, -4.0],
        yaw: 0.7,
        pitch: -0.1,
        health: 100,
        alive: true,
    }
}

fn quantised(states: &[EntityState]) -> Vec<QuantisedState> {
    states.iter().map(QuantisedState::from_state).collect()
}

fn round_trip(
    baseline: Option<&[QuantisedState]>,
    current: &[QuantisedState],
) -> (usize, Vec<QuantisedState>) {
    let mut bytes = Vec::new();
    encode_delta(baseline, current, &mut bytes);
    let decoded = decode_delta(baseline, &bytes, 256).expect("decodes");
    (bytes.len(), decoded)
}

#[test]
fn quantising_keeps_centimetres_and_tenth_milliradians() {
    let original = state(1, 12.345_678);
    let back = QuantisedState::from_state(&original).to_state();
    assert!((back.position[0] - 12.35).abs() < 1e-4);
    assert!((back.yaw - 0.7).abs() < TAU / ANGLE_UNITS);
    assert_eq!(
        QuantisedState::from_state(&back),
        QuantisedState::from_state(&original)
    );
}

#[test]
fn a_full_snapshot_and_a_delta_decode_to_the_same_state_and_the_delta_is_small() {
    let players: Vec<u64> = (0..10).map(|n| (1 << 52) + 1000 + n).collect();
    let baseline = quantised(
        &players
            .iter()
            .map(|id| state(*id, 10.0))
            .collect::<Vec<_>>(),
    );
    let current = quantised(
        &players
            .iter()
            .map(|id| state(*id, 10.4))
            .collect::<Vec<_>>(),
    );
    let (full_len, full) = round_trip(None, &current);
    let (delta_len, delta) = round_trip(Some(&baseline), &current);
    assert_eq!(full, current);
    assert_eq!(delta, current);
    // Ten players moved 40 cm along x and z: two channels of ten 7-bit values (each with a changed
    // bit, a width and a mode bit), seven unchanged channels of one bit, after one flag byte.
    assert_eq!(
        delta_len,
        1 + (2 * (1 + 6 + 1 + 10 * 7) + 7usize).div_ceil(8)
    );
    assert!(
        full_len > 2 * delta_len,
        "full {full_len}, delta {delta_len}"
    );
}

#[test]
fn players_joining_and_leaving_are_carried_by_id() {
    let baseline = quantised(&[state(5, 1.0), state(9, 2.0), state(12, 3.0)]);
    let current = quantised(&[state(5, 1.0), state(12, 3.5), state(40, 0.0)]);
    assert_eq!(round_trip(Some(&baseline), &current).1, current);
    assert_eq!(round_trip(Some(&baseline), &[]).1, Vec::new());
}

#[test]
fn a_delta_without_its_baseline_or_cut_short_is_refused() {
    let baseline = quantised(&[state(5, 1.0)]);
    let current = quantised(&[state(5, 2.0)]);
    let mut bytes = Vec::new();
    encode_delta(Some(&baseline), &current, &mut bytes);
    assert_eq!(decode_delta(None, &bytes, 256), Err(DeltaError::NoBaseline));
    assert_eq!(
        decode_delta(Some(&baseline), &[0x02], 256),
        Err(DeltaError::Flags)
    );
    assert_eq!(
        decode_delta(Some(&baseline), &bytes[..bytes.len() - 1], 256),
        Err(DeltaError::Truncated)
    );
    let mut full = Vec::new();
    encode_delta(None, &quantised(&[state(1, 0.0), state(2, 0.0)]), &mut full);
    assert_eq!(decode_delta(None, &full, 1), Err(DeltaError::TooMany));
    // A player count of 2 padded with a zero group, and one past 64 bits: not the shortest form.
    let padded = [&[0x00, 0x82, 0x00][..], &full[2..]].concat();
    assert_eq!(decode_delta(None, &padded, 256), Err(DeltaError::Varint));
    let too_wide = [
        0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02,
    ];
    assert_eq!(decode_delta(None, &too_wide, 256), Err(DeltaError::Varint));
}

fn arbitrary_state() -> impl Strategy<Value = QuantisedState> {
    (
        0u64..40,
        any::<[i32; 3]>(),
        any::<[i32; 3]>(),
        any::<u16>(),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(
            |(player_id, position, velocity, yaw, pitch, health)| QuantisedState {
                player_id,
                position,
                velocity,
                yaw,
                pitch,
                health,
            },
        )
}

fn sorted_states() -> impl Strategy<Value = Vec<QuantisedState>> {
    proptest::collection::vec(arbitrary_state(), 0..12).prop_map(|states| {
        let by_id: BTreeMap<u64, QuantisedState> = states
            .into_iter()
            .map(|state| (state.player_id, state))
            .collect();
        by_id.into_values().collect()
    })
}

proptest! {
    #[test]
    fn any_state_decodes_exactly_against_any_baseline(baseline in sorted_states(), current in sorted_states()) {
        prop_assert_eq!(round_trip(Some(&baseline), &current).1, current.clone());
        prop_assert_eq!(round_trip(None, &current).1, current);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(baseline in sorted_states(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_delta(Some(&baseline), &bytes, 64);
        let _ = decode_delta(None, &bytes, 64);
    }

    /// The whole loop over a bad network: the server encodes each tick against the newest snapshot
    /// the client acknowledged (if it still has it), snapshots and acks are lost and reordered, and
    /// every snapshot the client decodes equals what the server encoded.
    #[test]
    fn over_loss_and_reordering_the_client_reconstructs_every_snapshot_exactly(
        ticks in proptest::collection::vec(sorted_states(), 1..60),
        fates in proptest::collection::vec((0u8..100, 0usize..4, 0u8..100, 0usize..4), 60),
    ) {
        const HISTORY: usize = 16;
        let mut server_history: VecDeque<(u64, Vec<QuantisedState>)> = VecDeque::new();
        let mut client_history: BTreeMap<u64, Vec<QuantisedState>> = BTreeMap::new();
        let mut acked: Option<u64> = None;
        let mut to_client: Vec<(usize, u64, Option<u64>, Vec<u8>)> = Vec::new();
        let mut to_server: Vec<(usize, u64)> = Vec::new();
        let mut decoded = 0;
        for (now, (current, (loss_out, delay_out, loss_back, delay_back))) in ticks.iter().zip(fates.iter().copied()).enumerate() {
            let tick = now as u64 + 1;
            let baseline = acked.and_then(|acked| server_history.iter().find(|(at, _)| *at == acked));
            let mut bytes = Vec::new();
            encode_delta(baseline.map(|(_, states)| states.as_slice()), current, &mut bytes);
            if loss_out >= 20 {
                to_client.push((now + delay_out, tick, baseline.map(|(at, _)| *at), bytes));
            }
            server_history.push_back((tick, current.clone()));
            if server_history.len() > HISTORY {
                server_history.pop_front();
            }
            let (due, later): (Vec<_>, Vec<_>) = to_client.drain(..).partition(|(at, ..)| *at <= now);
            to_client = later;
            for (_, tick, baseline, bytes) in due {
                let baseline = baseline.map(|at| client_history.get(&at).expect("the client holds every baseline it acked").as_slice());
                let states = decode_delta(baseline, &bytes, 64).expect("decodes");
                prop_assert_eq!(&states, &ticks[tick as usize - 1]);
                decoded += 1;
                client_history.insert(tick, states);
                if loss_back >= 20 {
                    to_server.push((now + delay_back, tick));
                }
            }
            let (due, later): (Vec<_>, Vec<_>) = to_server.drain(..).partition(|(at, _)| *at <= now);
            to_server = later;
            for (_, tick) in due {
                acked = Some(acked.map_or(tick, |acked| acked.max(tick)));
            }
        }
        prop_assert!(decoded > 0 || ticks.len() < 16);
    }
}

#[test]
fn the_documented_example_encodes_to_the_documented_bytes() {
    let player = QuantisedState {
        player_id: 5,
        position: [100, 0, -50],
        health: 100,
        ..QuantisedState::default()
    };
    let mut bytes = Vec::new();
    encode_delta(None, &[player], &mut bytes);
    assert_eq!(
        bytes,
        [0x00, 0x01, 0x05, 0x0F, 0xC8, 0x1A, 0xC6, 0xE0, 0x01, 0x19]
    );
}

#[test]
fn the_hand_written_delta_snapshot_encoding_is_postcards() {
    for (tick, age, ack, delta) in [
        (0, 0, 0, vec![]),
        (1_234_567, 5, 1_234_560, vec![1, 2, 3]),
        (u64::MAX, u32::MAX, 7, vec![9; 300]),
    ] {
        let message = crate::protocol::ServerMessage::DeltaSnapshot {
            tick,
            baseline_age: age,
            input_lag: ack,
            delta: delta.clone(),
        };
        let mut out = vec![0xAA];
        encode_delta_snapshot(&mut out, tick, age, ack, &delta);
        assert_eq!(out[0], 0xAA, "appended after what the buffer held");
        assert_eq!(out[1..], crate::protocol::encode(&message));
        assert_eq!(
            read_delta_snapshot(&out[1..]),
            Some(DeltaSnapshotRef {
                tick,
                baseline_age: age,
                input_lag: ack,
                delta: &delta
            }),
            "and reads back in place"
        );
    }
    let other = crate::protocol::encode(&crate::protocol::ServerMessage::Pong {
        client_time_us: 1,
        server_tick: 2,
    });
    assert_eq!(read_delta_snapshot(&other), None, "another message");
    // Tick 1 padded with a zero group: postcard reads it, the in-place reader leaves it to postcard.
    assert_eq!(read_delta_snapshot(&[28, 0x81, 0x00, 0, 0, 0]), None);
}

/// What `decode_server` makes of bytes that may be a delta snapshot.
fn decoded_by_postcard(bytes: &[u8]) -> Option<(u64, u32, u64, Vec<u8>)> {
    match crate::protocol::decode_server(bytes) {
        Ok(crate::protocol::ServerMessage::DeltaSnapshot {
            tick,
            baseline_age,
            input_lag,
            delta,
        }) => Some((tick, baseline_age, input_lag, delta)),
        _ => None,
    }
}

proptest! {
    #[test]
    fn whatever_the_in_place_reader_reads_postcard_reads_the_same(
        tail in proptest::collection::vec(any::<u8>(), 0..40),
        tick in any::<u64>(),
        age in any::<u32>(),
        lag in any::<u64>(),
        delta in proptest::collection::vec(any::<u8>(), 0..20),
        cut in any::<prop::sample::Index>(),
    ) {
        let arbitrary = [&[28u8][..], &tail].concat();
        let mut written = Vec::new();
        encode_delta_snapshot(&mut written, tick, age, lag, &delta);
        let truncated = &written[..cut.index(written.len() + 1)];
        for bytes in [&arbitrary[..], &written[..], truncated] {
            let in_place = read_delta_snapshot(bytes)
                .map(|read| (read.tick, read.baseline_age, read.input_lag, read.delta.to_vec()));
            if in_place.is_some() {
                prop_assert_eq!(&in_place, &decoded_by_postcard(bytes));
            }
        }
        prop_assert_eq!(
            read_delta_snapshot(&written).map(|read| read.delta),
            Some(&delta[..])
        );
    }

    #[test]
    fn decoding_into_a_reused_buffer_gives_what_a_fresh_one_does(
        first in proptest::collection::vec(any::<u8>(), 0..64),
        second in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut reused = Vec::new();
        for bytes in [&first, &second] {
            let fresh = decode_delta(None, bytes, 64);
            let into = decode_delta_into(None, bytes, 64, &mut reused);
            prop_assert_eq!(fresh.as_ref().err().copied(), into.err());
            if let Ok(fresh) = fresh {
                prop_assert_eq!(&fresh, &reused);
            }
        }
    }
}
