//! The handshake: a connection request earns a challenge; the challenge's response, from the same
//! address, earns a slot. Between the two the server keeps an *encryption mapping* per address,
//! and remembers each token's tag so a token cannot be used from a second address.

use super::client::{Client, timeout_of};
use super::request_limit::RequestLimiter;
use super::{NetcodeServer, Received, Refusal};
use arbiter_client::netcode::{
    ChallengeToken, ConnectionRequest, Header, MAC_BYTES, Outbound, PacketError, PacketKey,
    PacketKind, PrivateToken, ReplayProtection, USER_DATA_BYTES, open_challenge_token, open_packet,
    seal_challenge_token,
};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::SocketAddr;
use std::time::Duration;

/// How often spent tokens whose expiry passed are forgotten.
const TOKEN_PRUNE_INTERVAL: Duration = Duration::from_secs(1);

/// An address that was sent a challenge.
#[derive(Debug)]
struct Pending {
    client_id: u64,
    outbound: Outbound,
    receive_key: PacketKey,
    user_data: [u8; USER_DATA_BYTES],
    timeout: Option<Duration>,
    expire_timestamp: u64,
    /// The mapping lapses after the token's timeout without a packet.
    last_received: Duration,
}

/// A token already used, and from where.
#[derive(Debug, Clone, Copy)]
struct SpentToken {
    address: SocketAddr,
    expire_timestamp: u64,
}

#[derive(Debug)]
pub(super) struct Handshakes {
    challenge_key: PacketKey,
    challenge_sequence: u64,
    pending: HashMap<SocketAddr, Box<Pending>>,
    max_pending: usize,
    spent: HashMap<[u8; MAC_BYTES], SpentToken>,
    pruned_at: Duration,
    requests: RequestLimiter,
}

impl Handshakes {
    pub(super) fn new(challenge_key: PacketKey, max_pending: usize, requests_per_sec: u32) -> Self {
        Self {
            challenge_key,
            challenge_sequence: 0,
            pending: HashMap::new(),
            max_pending,
            spent: HashMap::new(),
            pruned_at: Duration::ZERO,
            requests: RequestLimiter::new(requests_per_sec),
        }
    }

    /// Forgets handshakes that went quiet and spent tokens that expired.
    pub(super) fn expire(&mut self, now: Duration) {
        self.pending.retain(|_, pending| {
            now.as_secs() < pending.expire_timestamp
                && pending
                    .timeout
                    .is_none_or(|timeout| now.saturating_sub(pending.last_received) < timeout)
        });
        if now.saturating_sub(self.pruned_at) >= TOKEN_PRUNE_INTERVAL {
            self.pruned_at = now;
            self.spent
                .retain(|_, spent| now.as_secs() < spent.expire_timestamp);
        }
    }
}

impl NetcodeServer {
    /// A connection request, checked in the standard's order; answered with a challenge (smaller
    /// than the request, so no amplification) or, when full or not admitting, a denial.
    pub(super) fn process_request<'p>(
        &mut self,
        from: SocketAddr,
        packet: &[u8],
        send: &mut impl FnMut(&[u8], SocketAddr),
    ) -> Result<Received<'p>, Refusal> {
        if !self.handshakes.requests.allow(from, self.time) {
            return Err(Refusal::RequestRateLimited);
        }
        let request = ConnectionRequest::read(packet, self.config.protocol_id)?;
        if request.expire_timestamp <= self.time.as_secs() {
            return Err(PacketError::Expired.into());
        }
        let token = PrivateToken::open(
            request.private_data,
            self.config.protocol_id,
            request.expire_timestamp,
            request.nonce,
            &self.key,
        )
        .map_err(|_| PacketError::Unauthentic)?;
        if self.config.private_key.is_some()
            && !self
                .config
                .public_addresses
                .iter()
                .any(|address| token.server_addresses.contains(address))
        {
            return Err(Refusal::NotForThisServer);
        }
        if self.clients.contains_address(from) || self.clients.contains_id(token.client_id) {
            return Err(Refusal::AlreadyConnected);
        }
        let mut tag = [0u8; MAC_BYTES];
        tag.copy_from_slice(&request.private_data[request.private_data.len() - MAC_BYTES..]);
        let denial = self.denial();
        let handshakes = &mut self.handshakes;
        match handshakes.spent.get(&tag) {
            Some(spent) if spent.address != from => return Err(Refusal::TokenReused),
            Some(_) => {}
            None => {
                handshakes.spent.insert(
                    tag,
                    SpentToken {
                        address: from,
                        expire_timestamp: request.expire_timestamp,
                    },
                );
            }
        }
        let mut outbound = Outbound::new(&token.server_to_client_key);
        if let Some(denial) = denial {
            let len = outbound.write(
                &mut self.out[..],
                PacketKind::Denied,
                &[],
                self.config.protocol_id,
            );
            send(&self.out[..len], from);
            return Err(denial);
        }
        if !handshakes.pending.contains_key(&from)
            && handshakes.pending.len() >= handshakes.max_pending
        {
            return Err(Refusal::TooManyHandshakes);
        }
        // A second request from the same address keeps its mapping (and its packet sequence)
        // when it carries the same token; a new token from that address starts over.
        let fresh = Box::new(Pending {
            client_id: token.client_id,
            outbound,
            receive_key: PacketKey::new(&token.client_to_server_key),
            user_data: token.user_data,
            timeout: timeout_of(token.timeout_seconds),
            expire_timestamp: request.expire_timestamp,
            last_received: self.time,
        });
        let pending = match handshakes.pending.entry(from) {
            Entry::Occupied(entry) if entry.get().client_id == fresh.client_id => entry.into_mut(),
            Entry::Occupied(mut entry) => {
                entry.insert(fresh);
                entry.into_mut()
            }
            Entry::Vacant(entry) => entry.insert(fresh),
        };
        pending.last_received = self.time;
        let challenge_sequence = handshakes.challenge_sequence;
        handshakes.challenge_sequence += 1;
        let sealed = seal_challenge_token(
            &ChallengeToken {
                client_id: pending.client_id,
                user_data: pending.user_data,
            },
            challenge_sequence,
            &handshakes.challenge_key,
        );
        let mut data = [0u8; 8 + 300];
        data[..8].copy_from_slice(&challenge_sequence.to_le_bytes());
        data[8..].copy_from_slice(&sealed);
        let len = pending.outbound.write(
            &mut self.out[..],
            PacketKind::Challenge,
            &data,
            self.config.protocol_id,
        );
        send(&self.out[..len], from);
        Ok(Received::Nothing)
    }

    /// A challenge response from an address that was challenged: the client gets a slot and a
    /// keep-alive.
    pub(super) fn process_response<'p>(
        &mut self,
        from: SocketAddr,
        header: &Header,
        packet: &mut [u8],
        send: &mut impl FnMut(&[u8], SocketAddr),
    ) -> Result<Received<'p>, Refusal> {
        let pending = self
            .handshakes
            .pending
            .get(&from)
            .ok_or(Refusal::UnknownAddress)?;
        let body = open_packet(
            packet,
            header,
            &pending.receive_key,
            self.config.protocol_id,
        )?;
        let (sequence, sealed) = body.split_at(8);
        let mut sequence_bytes = [0u8; 8];
        sequence_bytes.copy_from_slice(sequence);
        let challenge = open_challenge_token(
            sealed,
            u64::from_le_bytes(sequence_bytes),
            &self.handshakes.challenge_key,
        )?;
        if self.clients.contains_id(challenge.client_id) {
            return Err(Refusal::AlreadyConnected);
        }
        if let Some(denial) = self.denial() {
            let pending = self
                .handshakes
                .pending
                .get_mut(&from)
                .unwrap_or_else(|| unreachable!("looked up above"));
            let len = pending.outbound.write(
                &mut self.out[..],
                PacketKind::Denied,
                &[],
                self.config.protocol_id,
            );
            send(&self.out[..len], from);
            return Err(denial);
        }
        let pending = self
            .handshakes
            .pending
            .remove(&from)
            .unwrap_or_else(|| unreachable!("looked up above"));
        let client_id = challenge.client_id;
        let (now, max_clients, protocol_id) =
            (self.time, self.config.max_clients, self.config.protocol_id);
        let out = &mut self.out;
        self.clients.insert(|index| {
            let mut client = Client {
                client_id,
                address: from,
                index,
                outbound: pending.outbound,
                receive_key: pending.receive_key,
                user_data: challenge.user_data,
                timeout: pending.timeout,
                replay: ReplayProtection::default(),
                confirmed: false,
                last_received: now,
                last_sent: now,
            };
            let len = client.keep_alive(&mut out[..], max_clients, protocol_id);
            send(&out[..len], from);
            client
        });
        Ok(Received::Connected { client_id })
    }
}
