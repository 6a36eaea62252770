//! The connected clients, held in slots by the standard's client index and found by address or
//! client id through small maps of indices.
//!
//! Each packet from a client costs one table lookup (its address) before its record: the maps hold
//! indices, not the records, so reading a packet no longer goes from the address to the client id
//! and then through a second table to the record. The sweep walks the slots themselves.

use super::client::Client;
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::net::SocketAddr;

/// Every connected client.
#[derive(Debug, Default)]
pub(super) struct ClientTable {
    /// By client index; freed slots are `None` until reused. Held in place, not boxed: a lookup
    /// goes from the index straight to the record. The vector grows to the peak population and
    /// its freed slots are reused, so no churn makes it grow further.
    slots: Vec<Option<Client>>,
    free_indices: Vec<u32>,
    by_id: HashMap<u64, u32, RandomState>,
    by_address: HashMap<SocketAddr, u32, RandomState>,
}

impl ClientTable {
    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(super) fn contains_id(&self, client_id: u64) -> bool {
        self.by_id.contains_key(&client_id)
    }

    pub(super) fn contains_address(&self, address: SocketAddr) -> bool {
        self.by_address.contains_key(&address)
    }

    pub(super) fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_id.keys().copied()
    }

    pub(super) fn get(&self, client_id: u64) -> Option<&Client> {
        let index = *self.by_id.get(&client_id)?;
        self.slot(index)
    }

    pub(super) fn get_mut(&mut self, client_id: u64) -> Option<&mut Client> {
        let index = *self.by_id.get(&client_id)?;
        self.slot_mut(index as usize)
    }

    /// The client connected from `address`.
    pub(super) fn at_address(&mut self, address: SocketAddr) -> Option<&mut Client> {
        let index = *self.by_address.get(&address)?;
        self.slot_mut(index as usize)
    }

    /// How many slots there are, taken or free: the sweep's round.
    pub(super) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The client in slot `index`, if the slot is taken.
    pub(super) fn slot_mut(&mut self, index: usize) -> Option<&mut Client> {
        self.slots.get_mut(index)?.as_mut()
    }

    /// Adds a client, made by `make` with the client index it gets (freed indices are reused).
    pub(super) fn insert(&mut self, make: impl FnOnce(u32) -> Client) {
        let index = self.free_indices.pop().unwrap_or_else(|| {
            self.slots.push(None);
            u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
        });
        let client = make(index);
        self.by_id.insert(client.client_id, index);
        self.by_address.insert(client.address, index);
        if let Some(slot) = self.slots.get_mut(index as usize) {
            *slot = Some(client);
        }
    }

    /// Takes a client out, freeing its index.
    pub(super) fn remove(&mut self, client_id: u64) -> Option<Client> {
        let index = self.by_id.remove(&client_id)?;
        let client = self.slots.get_mut(index as usize)?.take()?;
        self.by_address.remove(&client.address);
        self.free_indices.push(index);
        Some(client)
    }

    fn slot(&self, index: u32) -> Option<&Client> {
        self.slots.get(index as usize)?.as_ref()
    }
}
