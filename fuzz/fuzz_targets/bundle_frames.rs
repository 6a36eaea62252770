//! A netcode payload as the bundle framing reads it (server and client both): frames never reach
//! past the payload, and any run of frames, renet packets and messages alike, bundles and reads
//! back the same.
#![no_main]

use arbiter_client::bundle::{Bundler, Frame, frames};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let read: Vec<Frame<'_>> = frames(bytes).map_while(Result::ok).map(Frame::of).collect();
    let frame_bytes = |frame: &Frame<'_>| match frame {
        Frame::Renet(packet) => packet.len(),
        Frame::Message(message) => 1 + message.len(),
    };
    assert!(read.iter().map(frame_bytes).sum::<usize>() <= bytes.len());
    let mut bundles = Vec::new();
    let mut bundler = Bundler::default();
    let mut keep = |bundle: &[u8]| bundles.push(bundle.to_vec());
    for frame in &read {
        match frame {
            Frame::Renet(packet) => bundler.push(packet, &mut keep),
            Frame::Message(message) => bundler.push_message(message, &mut keep),
        }
    }
    bundler.finish(&mut keep);
    let again: Vec<Frame<'_>> = bundles
        .iter()
        .flat_map(|bundle| frames(bundle).map(|frame| Frame::of(frame.expect("bundled"))))
        .collect();
    assert_eq!(again, read);
});
