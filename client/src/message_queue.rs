//! Protocol messages that travel outside renet ([`crate::bundle::MESSAGE_FRAME`]), held back to
//! back in one reused buffer: a client's queue for its next bundle, so a frame's input costs no
//! allocation, and the server's of what each client sent until the tick reads it.

use crate::bundle::Bundler;
use arbiter_components::protocol::{ClientMessage, encode_into};

#[derive(Debug, Default)]
pub struct MessageQueue {
    bytes: Vec<u8>,
    /// Where each message ends in `bytes`.
    ends: Vec<usize>,
}

impl MessageQueue {
    pub fn push(&mut self, message: &ClientMessage) {
        encode_into(message, &mut self.bytes);
        self.ends.push(self.bytes.len());
    }

    /// Queues bytes as they are, encoded or not (tests of the server's defences).
    pub fn push_raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len());
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The messages, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(start, end)| &self.bytes[start..end])
    }

    /// Adds every queued message to `bundler`, oldest first, and empties the queue.
    pub fn bundle_into(&mut self, bundler: &mut Bundler, flush: &mut impl FnMut(&[u8])) {
        for message in self.iter() {
            bundler.push_message(message, flush);
        }
        self.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{Frame, frames};
    use arbiter_components::protocol::{decode_client, encode};

    #[test]
    fn queued_messages_leave_in_order_as_message_frames_and_the_queue_empties() {
        let (mut queue, mut bundler, mut bundles) =
            (MessageQueue::default(), Bundler::default(), Vec::new());
        let ack = ClientMessage::AckSnapshot { tick: 300 };
        queue.push(&ack);
        queue.push_raw(&[0xFF, 0xFF]);
        assert_eq!(queue.iter().count(), 2);
        assert_eq!(queue.bytes(), encode(&ack).len() + 2);
        let mut flush = |bytes: &[u8]| bundles.push(bytes.to_vec());
        queue.bundle_into(&mut bundler, &mut flush);
        bundler.finish(&mut flush);
        assert!(queue.is_empty());
        let read: Vec<Frame<'_>> = frames(&bundles[0])
            .map(|frame| Frame::of(frame.expect("valid")))
            .collect();
        assert_eq!(
            read,
            vec![Frame::Message(&encode(&ack)), Frame::Message(&[0xFF, 0xFF])]
        );
        assert_eq!(decode_client(&encode(&ack), 64), Ok(ack));
    }
}
