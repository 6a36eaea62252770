//! A netcode payload as the bundle framing reads it (server and client both): frames never reach
//! past the payload, and any run of packets bundles and reads back the same.
#![no_main]

use arbiter_client::bundle::{Bundler, frames};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let packets: Vec<&[u8]> = frames(bytes).map_while(Result::ok).collect();
    assert!(packets.iter().map(|packet| packet.len()).sum::<usize>() <= bytes.len());
    let mut bundles = Vec::new();
    let mut bundler = Bundler::default();
    let mut keep = |bundle: &[u8]| bundles.push(bundle.to_vec());
    for packet in &packets {
        bundler.push(packet, &mut keep);
    }
    bundler.finish(&mut keep);
    let again: Vec<Vec<u8>> = bundles
        .iter()
        .flat_map(|bundle| frames(bundle).map(|frame| frame.expect("bundled").to_vec()).collect::<Vec<_>>())
        .collect();
    assert_eq!(again, packets.iter().map(|packet| packet.to_vec()).collect::<Vec<_>>());
});
