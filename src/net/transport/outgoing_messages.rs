//! The tick's messages outside renet (snapshots), for every client, back to back in one reused
//! buffer: sending a client its snapshot costs no allocation, and the bundles read them per client.

use std::ops::Range;

#[derive(Debug, Default)]
pub(super) struct OutgoingMessages {
    bytes: Vec<u8>,
    /// Each message's client and place in `bytes`, in the order written until sorted.
    messages: Vec<(u64, Range<usize>)>,
}

impl OutgoingMessages {
    /// Appends a message `write` encodes for the client; returns its length.
    pub(super) fn write(&mut self, client_id: u64, write: impl FnOnce(&mut Vec<u8>)) -> usize {
        let start = self.bytes.len();
        write(&mut self.bytes);
        self.messages.push((client_id, start..self.bytes.len()));
        self.bytes.len() - start
    }

    /// Takes back the message written last (it goes another way); none when there is none.
    pub(super) fn take_last(&mut self) -> Option<Vec<u8>> {
        let (_, range) = self.messages.pop()?;
        let message = self.bytes[range.clone()].to_vec();
        self.bytes.truncate(range.start);
        Some(message)
    }

    /// Orders the messages by client, each client's in the order written.
    pub(super) fn sort_by_client(&mut self) {
        self.messages.sort_by_key(|(client_id, _)| *client_id);
    }

    /// The client of the `index`-th message (after sorting), if there is one.
    pub(super) fn client_at(&self, index: usize) -> Option<u64> {
        self.messages.get(index).map(|(client_id, _)| *client_id)
    }

    /// The client's messages from the `index`-th on (none unless that one is the client's), and
    /// the index after them.
    pub(super) fn messages_of(
        &self,
        client_id: u64,
        index: usize,
    ) -> (impl Iterator<Item = &[u8]>, usize) {
        let from = index.min(self.messages.len());
        let count = self.messages[from..]
            .iter()
            .take_while(|(of, _)| *of == client_id)
            .count();
        let messages = self.messages[from..from + count]
            .iter()
            .map(|(_, range)| &self.bytes[range.clone()]);
        (messages, from + count)
    }

    pub(super) fn clear(&mut self) {
        self.bytes.clear();
        self.messages.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_grouped_by_client_in_the_order_written() {
        let mut outgoing = OutgoingMessages::default();
        assert_eq!(outgoing.write(5, |out| out.extend([1, 1])), 2);
        outgoing.write(3, |out| out.push(2));
        outgoing.write(5, |out| out.push(3));
        outgoing.write(9, |out| out.push(4));
        assert_eq!(outgoing.take_last(), Some(vec![4]));
        outgoing.sort_by_client();
        let mut read = Vec::new();
        let mut index = 0;
        assert_eq!(
            outgoing.messages_of(5, 0).1,
            0,
            "the first is another client's"
        );
        while let Some(client_id) = outgoing.client_at(index) {
            let (messages, next) = outgoing.messages_of(client_id, index);
            read.push((client_id, messages.map(<[u8]>::to_vec).collect::<Vec<_>>()));
            index = next;
        }
        assert_eq!(
            read,
            vec![(3, vec![vec![2]]), (5, vec![vec![1, 1], vec![3]])]
        );
        outgoing.clear();
        assert_eq!(outgoing.client_at(0), None);
        assert_eq!(outgoing.take_last(), None);
    }
}
