//! Parties on the wire: the client's party whole on every change, invitations, the party's end and
//! a party ticket leaving the queue. Players are named by id.

use serde::{Deserialize, Serialize};

/// One member as its party sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyMemberView {
    pub player_id: u64,
    /// Connected now; a party with a member away cannot queue.
    pub online: bool,
}

/// The client's party, whole: sent to every member whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyView {
    pub party: u64,
    pub leader: u64,
    /// In the order they joined.
    pub members: Vec<PartyMemberView>,
    /// Players invited who have not answered yet.
    pub invited: Vec<u64>,
    /// Whether the party's ticket waits in the matchmaking queue (until `MatchFound`,
    /// `QueueTimedOut` or `QueueCancelled`).
    pub queued: bool,
}

/// Why the client is no longer in its party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyExit {
    /// The client left.
    Left,
    /// The leader removed the client.
    Kicked,
    /// The leader ended the party.
    Disbanded,
}

impl PartyExit {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyExit::Left => "left",
            PartyExit::Kicked => "kicked",
            PartyExit::Disbanded => "disbanded",
        }
    }
}

/// Why a party's ticket left the queue without a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueCancel {
    /// A member asked to leave the queue.
    LeftQueue,
    /// A member disconnected.
    Disconnected,
    /// A member joined, left or was removed: the leader queues the new party again.
    PartyChanged,
}

impl QueueCancel {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueCancel::LeftQueue => "left_queue",
            QueueCancel::Disconnected => "disconnected",
            QueueCancel::PartyChanged => "party_changed",
        }
    }
}
