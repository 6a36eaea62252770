//! What one handle owns: the connection, the client's copies of its inventory, trade, guild and
//! party, the events not yet polled, and the borrowed data of the last call.

use crate::events::ArbiterEvent;
use crate::result::ArbiterResult;
use crate::scratch::Scratch;
use arbiter_client::guild::GuildTracker;
use arbiter_client::inventory::OwnedItems;
use arbiter_client::party::PartyTracker;
use arbiter_client::protocol::{ClientMessage, ServerMessage};
use arbiter_client::trade::TradeTracker;
use arbiter_client::{ArbiterClient, ClientError};
use std::collections::VecDeque;
use std::time::Duration;

/// Server messages kept for polling at most; beyond, the oldest are dropped (a caller that never
/// polls must not grow without bound). Snapshots alone at 60 Hz fill it in about a minute.
const MAX_PENDING_EVENTS: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct Session {
    /// `None` only for a session taken out of a freed handle.
    pub(crate) client: Option<ArbiterClient>,
    pub(crate) items: OwnedItems,
    pub(crate) trade: TradeTracker,
    pub(crate) guild: GuildTracker,
    pub(crate) party: PartyTracker,
    pending: VecDeque<ServerMessage>,
    /// Events dropped because the caller did not poll.
    pub(crate) dropped_events: u64,
    disconnect_polled: bool,
    pub(crate) player_id: u64,
    pub(crate) server_tick: u64,
    pub(crate) scratch: Scratch,
}

impl Session {
    pub(crate) fn new(client: ArbiterClient) -> Self {
        Self {
            client: Some(client),
            ..Self::default()
        }
    }

    /// Called at the start of every call: what the last call lent is no longer valid.
    pub(crate) fn begin_call(&mut self) {
        self.scratch.clear();
    }

    /// Receives, runs the handshake and keep-alives, folds what arrived into the client's copies,
    /// and sends what is queued.
    pub(crate) fn update(&mut self, elapsed: Duration) -> ArbiterResult {
        let Some(client) = self.client.as_mut() else {
            return ArbiterResult::InvalidHandle;
        };
        let updated = client.update(elapsed).and_then(|()| client.flush());
        let arrived: Vec<ServerMessage> = client.receive().collect();
        for message in arrived {
            self.observe(message);
        }
        match updated {
            Ok(()) => ArbiterResult::Ok,
            Err(ClientError::Disconnected(_)) => ArbiterResult::Disconnected,
            Err(ClientError::Io(_)) => ArbiterResult::Socket,
        }
    }

    fn observe(&mut self, message: ServerMessage) {
        match &message {
            ServerMessage::Welcome {
                player_id,
                server_tick,
                ..
            } => {
                self.player_id = *player_id;
                self.server_tick = *server_tick;
            }
            ServerMessage::Snapshot { tick, .. } => self.server_tick = *tick,
            _ => {}
        }
        self.items.observe(&message);
        self.trade.observe(&message);
        self.guild.observe(&message);
        self.party.observe(&message);
        if self.pending.len() == MAX_PENDING_EVENTS {
            self.pending.pop_front();
            self.dropped_events += 1;
        }
        self.pending.push_back(message);
    }

    /// The next event, its data in the scratch; the disconnection comes once, after the rest.
    pub(crate) fn poll(&mut self) -> Option<ArbiterEvent> {
        while let Some(message) = self.pending.pop_front() {
            if let Some(event) = ArbiterEvent::of(&message, &mut self.scratch) {
                return Some(event);
            }
        }
        let reason = self.client.as_ref()?.disconnect_reason()?;
        if self.disconnect_polled {
            return None;
        }
        self.disconnect_polled = true;
        Some(ArbiterEvent::disconnected(reason, &mut self.scratch))
    }

    pub(crate) fn pending_events(&self) -> usize {
        self.pending.len()
    }

    /// Queues `message` for the next update; refused once the connection has ended.
    pub(crate) fn send(&mut self, message: &ClientMessage) -> ArbiterResult {
        match self.client.as_mut() {
            Some(client) if client.disconnect_reason().is_none() => {
                client.send(message);
                ArbiterResult::Ok
            }
            Some(_) => ArbiterResult::Disconnected,
            None => ArbiterResult::InvalidHandle,
        }
    }
}
