//! What the server sends.

use super::ServerChannel;
use super::economy::{InventoryDelta, InventoryView, ItemRefusal};
use super::guild::{GuildChange, GuildChatLine, GuildView};
use super::party::{PartyExit, PartyView, QueueCancel};
use super::trade::{TradeOutcome, TradeView};
use crate::guild::{GuildRefusal, GuildRequest};
use crate::party::{PartyRefusal, PartyRequest};
use crate::trade::{TradeRefusal, TradeRequest};
use serde::{Deserialize, Serialize};

/// State of one player as it appears in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EntityState {
    pub player_id: u64,
    /// Metres.
    pub position: [f32; 3],
    /// Metres per second.
    pub velocity: [f32; 3],
    pub yaw: f32,
    pub pitch: f32,
    pub health: u16,
    pub alive: bool,
}

/// One player's line on a final scoreboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreLine {
    pub player_id: u64,
    pub team: u8,
    pub kills: u32,
    pub deaths: u32,
    pub rating_before: i32,
    pub rating_after: i32,
}

/// Why the server closed a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KickReason {
    /// Sent more or larger messages than allowed for too long.
    Flooding,
    /// Sent too many messages that do not decode or are out of range.
    Malformed,
    /// The same player connected again; this older connection is closed.
    LoggedInElsewhere,
    /// The server is shutting down.
    ServerShutdown,
    /// Anti-cheat decided; the text says why.
    Cheating(String),
    /// The server cannot take new players now (its database is behind); try again later.
    ServerBusy,
    /// A game server of a fleet takes only the players of the matches placed on it; connect
    /// through the matchmaker.
    NotExpected,
}

impl KickReason {
    /// Every reason's name in metrics and logs, for series that exist before the first kick.
    pub const NAMES: [&'static str; 7] = [
        "flooding",
        "malformed",
        "logged_in_elsewhere",
        "server_shutdown",
        "cheating",
        "server_busy",
        "not_expected",
    ];

    /// Its name in metrics and logs.
    pub fn as_str(&self) -> &'static str {
        let index = match self {
            KickReason::Flooding => 0,
            KickReason::Malformed => 1,
            KickReason::LoggedInElsewhere => 2,
            KickReason::ServerShutdown => 3,
            KickReason::Cheating(_) => 4,
            KickReason::ServerBusy => 5,
            KickReason::NotExpected => 6,
        };
        Self::NAMES[index]
    }
}

/// Outcome of a `Fire`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShotOutcome {
    /// Hit `target` for `damage`.
    Hit {
        target: u64,
        damage: u16,
    },
    Miss,
    /// Refused by server-side validation; the text says which check failed.
    Rejected(String),
}

/// Machine-readable class of an `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The message was understood but is not allowed now (e.g. `JoinQueue` while in a match).
    NotAllowed,
    /// The message could not be decoded or has out-of-range values.
    Malformed,
    /// Something failed on the server; retrying later may work.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::Malformed => "malformed",
            ErrorCode::Internal => "internal",
        }
    }
}

/// Every message the server can send. The whole views (inventory, trade, guild) are boxed: they
/// are rare, and held inline they would double the size of every message queued on the tick (a
/// snapshot, an inventory change). Boxing does not change the bytes on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMessage {
    /// First message after connecting.
    Welcome {
        player_id: u64,
        server_tick: u64,
        tick_rate_hz: u32,
    },
    /// The players of the client's match (or the client alone outside a match) at `tick`, and the
    /// last input tick the server applied for this client (for client-side reconciliation). The
    /// wire carries it as `DeltaSnapshot`; `arbiter_client` reconstructs it into this.
    Snapshot {
        tick: u64,
        ack_input_tick: u64,
        entities: Vec<EntityState>,
    },
    /// The client is in a match, in warm-up: `teams` lists the player ids of both teams, the
    /// client's own among them.
    MatchFound {
        match_id: u64,
        team: u8,
        teams: [Vec<u64>; 2],
        map: String,
    },
    /// Warm-up is over: everyone is back at a spawn point with full health, and kills now count.
    MatchLive {
        match_id: u64,
        time_limit_secs: u32,
        score_limit: u32,
    },
    /// Someone in the client's match died; the victim respawns after `respawn_ms`.
    PlayerKilled {
        killer: u64,
        victim: u64,
        respawn_ms: u32,
    },
    /// The matchmaking ticket waited longer than the timeout and was removed.
    QueueTimedOut,
    ShotResult {
        client_tick: u64,
        outcome: ShotOutcome,
    },
    /// The match was decided (`winning_team` is `None` for a draw); the client is back in the lobby
    /// and may queue again.
    MatchEnded {
        match_id: u64,
        winning_team: Option<u8>,
        scores: [u32; 2],
        scoreboard: Vec<ScoreLine>,
    },
    /// The connection is being closed; the reason comes first.
    Kicked {
        reason: KickReason,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
    /// Answer to `Ping`, on the unreliable Snapshot channel: a lost one is answered by the next
    /// `Ping`, and a reliable one would cost an idle client a datagram of its own to acknowledge it.
    Pong {
        client_time_us: u64,
        server_tick: u64,
    },
    /// The client's items and currencies, whole: once, right after `Welcome`.
    Inventory(Box<InventoryView>),
    /// One change to the client's items or currencies, in the order they happened.
    InventoryChanged(InventoryDelta),
    /// An item request was refused; nothing changed.
    ItemRefused(ItemRefusal),
    /// A trade the client is in changed (or began: an invitation, to both sides).
    TradeChanged(Box<TradeView>),
    /// A trade the client was in ended.
    TradeEnded {
        trade: u64,
        outcome: TradeOutcome,
    },
    /// A trade request was refused, echoed with its reason; nothing changed.
    TradeRefused {
        request: TradeRequest,
        reason: TradeRefusal,
    },
    /// The client's guild, whole: when the client comes online in one, founds or joins one.
    Guild(Box<GuildView>),
    /// One change of the client's guild; a change that takes the client out ends its membership.
    GuildChanged {
        guild: u64,
        change: GuildChange,
    },
    /// Guild `guild` (`name`, `tag`) invites the client; answer with `AnswerInvite`.
    GuildInvited {
        guild: u64,
        name: String,
        tag: String,
        by: u64,
    },
    /// To the guild's online leader and officers: `player_id` applied to join.
    GuildApplied {
        guild: u64,
        player_id: u64,
    },
    /// Chat of the client's guild: one line as it is said, or the kept history (oldest first)
    /// when the client comes online or joins.
    GuildChat {
        guild: u64,
        lines: Vec<GuildChatLine>,
    },
    /// A guild request was refused, echoed with its reason; nothing changed.
    GuildRefused {
        request: GuildRequest,
        reason: GuildRefusal,
    },
    /// The client's party, whole: when it founds or joins one and whenever it changes.
    Party(PartyView),
    /// Party `party`'s leader `by` invites the client; answer with `Answer`.
    PartyInvited {
        party: u64,
        by: u64,
    },
    /// The client is no longer in party `party`.
    PartyEnded {
        party: u64,
        reason: PartyExit,
    },
    /// A party request was refused, echoed with its reason; nothing changed.
    PartyRefused {
        request: PartyRequest,
        reason: PartyRefusal,
    },
    /// The client's party ticket left the queue without a match, because of player `by`.
    QueueCancelled {
        by: u64,
        reason: QueueCancel,
    },
    /// What the server sends in place of `Snapshot`: the same snapshot, quantised and encoded
    /// against the snapshot of tick `tick - baseline_age` that the client acknowledged
    /// (`baseline_age` 0: against nothing, a full snapshot); the last input tick applied is
    /// `tick - input_lag`. `arbiter_client` reconstructs it and hands the application a
    /// `Snapshot`. Layout of `delta`: `docs/protocol.md`.
    DeltaSnapshot {
        tick: u64,
        baseline_age: u32,
        input_lag: u64,
        delta: Vec<u8>,
    },
    /// Connect to another server of the fleet with `token` (a netcode connect token, 2,048 bytes;
    /// it names the server's addresses): the game server that runs match `match_id`, or, with
    /// `None`, the matchmaker's lobby once the match is over. The token is valid for a short
    /// time only; a client that does not use it in time is released and may queue again.
    Redirect {
        match_id: Option<u64>,
        token: Vec<u8>,
    },
    /// Where to go if this server goes silent (a fleet's game server sends it on arrival): a
    /// token for the matchmaker's lobby, valid as long as the match can last, that queues the
    /// player again at once. Use it when the connection times out; a normal end brings `Redirect`.
    Fallback {
        token: Vec<u8>,
    },
}

impl ServerMessage {
    /// The channel this message must be sent on.
    pub fn channel(&self) -> ServerChannel {
        match self {
            ServerMessage::Snapshot { .. }
            | ServerMessage::DeltaSnapshot { .. }
            | ServerMessage::Pong { .. } => ServerChannel::Snapshot,
            _ => ServerChannel::Event,
        }
    }
}
