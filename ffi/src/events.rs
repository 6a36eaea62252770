//! Events: what the server said, one per `arbiter_poll`, as a tagged union.
//!
//! `kind` says which member of `body` is set. Names of reasons are the snake_case names the
//! server uses in its metrics and logs (`"stale_version"`, `"cheating"`); strings and arrays are
//! borrowed until the next call on the handle. Kinds without a body (`QUEUE_TIMED_OUT`) leave it
//! unset. Whole views of the inventory, trade, guild and party are read with the functions in
//! [`crate::views`] after their `*_CHANGED` event.

use crate::scratch::Scratch;
use arbiter_client::netcode::DisconnectReason;
use arbiter_client::protocol::TradePhase;
use arbiter_client::protocol::{
    EntityState, GuildChatLine, KickReason, ScoreLine, ServerMessage, ShotOutcome, TradeOutcome,
};
use std::ffi::c_char;

/// Which member of `ArbiterEventBody` an event carries.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArbiterEventKind {
    /// `body.welcome`: the first event of a connection.
    Welcome = 1,
    /// `body.snapshot`: the players of the client's match (or the client alone) at a tick.
    Snapshot = 2,
    /// `body.match_found`: the client is in a match, in warm-up.
    MatchFound = 3,
    /// `body.match_live`: warm-up is over; kills count.
    MatchLive = 4,
    /// `body.player_killed`.
    PlayerKilled = 5,
    /// No body: the matchmaking ticket waited too long and was removed.
    QueueTimedOut = 6,
    /// `body.shot_result`: the server's verdict on a shot.
    ShotResult = 7,
    /// `body.match_ended`: the client is back in the lobby.
    MatchEnded = 8,
    /// `body.kicked`: the server closes the connection; `DISCONNECTED` follows.
    Kicked = 9,
    /// `body.error`: a request was not allowed or not understood.
    Error = 10,
    /// `body.pong`: the answer to `arbiter_ping` (unreliable: a lost one is not resent).
    Pong = 11,
    /// `body.inventory_changed`: read `arbiter_inventory`.
    InventoryChanged = 12,
    /// `body.refused`: an item request was refused; nothing changed.
    ItemRefused = 13,
    /// `body.trade_changed`: a trade began or changed; read `arbiter_trade`.
    TradeChanged = 14,
    /// `body.trade_ended`.
    TradeEnded = 15,
    /// `body.refused`: a trade request was refused; nothing changed.
    TradeRefused = 16,
    /// `body.guild_changed`: read `arbiter_guild` (empty once the client is out).
    GuildChanged = 17,
    /// `body.guild_invited`: answer with `arbiter_guild_answer_invite`.
    GuildInvited = 18,
    /// `body.guild_applied`: to officers; answer with `arbiter_guild_answer_application`.
    GuildApplied = 19,
    /// `body.guild_chat`: lines as said, or the kept history on joining.
    GuildChat = 20,
    /// `body.refused`: a guild request was refused; nothing changed.
    GuildRefused = 21,
    /// `body.party_changed`: read `arbiter_party`.
    PartyChanged = 22,
    /// `body.party_invited`: answer with `arbiter_party_answer`.
    PartyInvited = 23,
    /// `body.party_ended`: the client is no longer in the party.
    PartyEnded = 24,
    /// `body.refused`: a party request was refused; nothing changed.
    PartyRefused = 25,
    /// `body.queue_cancelled`: the party's ticket left the queue without a match.
    QueueCancelled = 26,
    /// `body.disconnected`: the connection ended (the last event of a connection).
    Disconnected = 27,
    /// `body.redirected`: a fleet moves the client to another of its servers, and the client goes
    /// by itself — to the game server of a match, or back to the lobby. A `WELCOME` from there
    /// follows (a game to show a loading screen meanwhile).
    Redirected = 28,
}

/// One player in a snapshot.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArbiterEntity {
    pub player_id: u64,
    /// Metres.
    pub position: [f32; 3],
    /// Metres per second.
    pub velocity: [f32; 3],
    /// Radians.
    pub yaw: f32,
    pub pitch: f32,
    pub health: u16,
    /// 1 alive, 0 dead.
    pub alive: u8,
}

/// One line of a final scoreboard.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArbiterScoreLine {
    pub player_id: u64,
    pub team: u32,
    pub kills: u32,
    pub deaths: u32,
    pub rating_before: i32,
    pub rating_after: i32,
}

/// One guild chat line.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterChatLine {
    pub from: u64,
    pub tick: u64,
    pub text: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterWelcome {
    pub player_id: u64,
    pub server_tick: u64,
    pub tick_rate_hz: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterSnapshot {
    pub tick: u64,
    /// The last input tick the server applied for this client (for reconciliation).
    pub ack_input_tick: u64,
    pub entities: *const ArbiterEntity,
    pub entity_count: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterMatchFound {
    pub match_id: u64,
    /// 0 or 1: the client's team.
    pub team: u32,
    pub map: *const c_char,
    pub team_0: *const u64,
    pub team_0_count: usize,
    pub team_1: *const u64,
    pub team_1_count: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterMatchLive {
    pub match_id: u64,
    pub time_limit_secs: u32,
    pub score_limit: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterPlayerKilled {
    pub killer: u64,
    pub victim: u64,
    pub respawn_ms: u32,
}

/// What a shot did.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArbiterShotOutcome {
    Hit = 0,
    Miss = 1,
    /// Refused by validation; `reason` says which check failed.
    Rejected = 2,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterShotResult {
    pub client_tick: u64,
    pub outcome: ArbiterShotOutcome,
    pub damage: u32,
    /// The player hit (0 unless `HIT`).
    pub target: u64,
    /// Why it was rejected ("" unless `REJECTED`).
    pub reason: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterMatchEnded {
    pub match_id: u64,
    /// 0 or 1, or -1 for a draw.
    pub winning_team: i32,
    pub score_0: u32,
    pub score_1: u32,
    pub scoreboard: *const ArbiterScoreLine,
    pub scoreboard_count: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterKicked {
    /// "flooding", "malformed", "logged_in_elsewhere", "server_shutdown", "cheating", "server_busy",
    /// "not_expected".
    pub reason: *const c_char,
    /// What anti-cheat decided ("" for other reasons).
    pub detail: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterError {
    /// "not_allowed", "malformed" or "internal".
    pub code: *const c_char,
    pub message: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterPong {
    pub client_time_us: u64,
    pub server_tick: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterInventoryChanged {
    /// 1 when the whole inventory arrived (after `WELCOME`), 0 for one change.
    pub whole: u32,
}

/// A refused item, trade, guild or party request.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterRefused {
    /// The trade the refused request named (0 when none, or not a trade request).
    pub trade: u64,
    /// Why, e.g. "not_owned", "stale_version", "name_taken", "not_leader".
    pub reason: *const c_char,
}

/// Where a trade stands.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArbiterTradePhase {
    /// Waiting for the invited player's answer.
    Invited = 0,
    /// Both sides may change their offers.
    Offer = 1,
    /// Offers are frozen; both must accept this version.
    Review = 2,
    /// Both accepted; the server is moving the items.
    Settling = 3,
}

impl From<TradePhase> for ArbiterTradePhase {
    fn from(phase: TradePhase) -> Self {
        match phase {
            TradePhase::Invited => ArbiterTradePhase::Invited,
            TradePhase::Offer => ArbiterTradePhase::Offer,
            TradePhase::Review => ArbiterTradePhase::Review,
            TradePhase::Settling => ArbiterTradePhase::Settling,
        }
    }
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterTradeChanged {
    pub trade: u64,
    pub phase: ArbiterTradePhase,
    /// What `arbiter_trade_accept` must name.
    pub version: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterTradeEnded {
    pub trade: u64,
    /// 1 when the items moved, 0 when the trade was cancelled.
    pub settled: u32,
    /// Why it was cancelled ("" when settled): "declined", "idle", "disconnected", …
    pub cancel_reason: *const c_char,
    /// The id the settled trade is stored under ("" when cancelled).
    pub transfer: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterGuildChanged {
    pub guild: u64,
    /// "whole" (the guild arrived whole), or the change: "joined", "left", "kicked", "banned",
    /// "unbanned", "role_changed", "leader_changed", "disbanded", "online", "bank_deposited",
    /// "bank_withdrawn".
    pub change: *const c_char,
    /// The player the change is about (the new leader for "leader_changed"; 0 for "whole").
    pub player_id: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterGuildInvited {
    pub guild: u64,
    pub by: u64,
    pub name: *const c_char,
    pub tag: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterGuildApplied {
    pub guild: u64,
    pub player_id: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterGuildChat {
    pub guild: u64,
    /// Oldest first.
    pub lines: *const ArbiterChatLine,
    pub line_count: usize,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterPartyChanged {
    pub party: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterPartyInvited {
    pub party: u64,
    pub by: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterPartyEnded {
    pub party: u64,
    /// "left", "kicked" or "disbanded".
    pub reason: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterQueueCancelled {
    /// The member whose action cancelled it.
    pub by: u64,
    /// "left_queue", "disconnected" or "party_changed".
    pub reason: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterDisconnected {
    /// "token_expired", "request_timed_out", "response_timed_out", "denied", "timed_out",
    /// "by_server" or "by_client".
    pub reason: *const c_char,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterRedirected {
    /// The match the client goes to play; 0: back to the lobby.
    pub match_id: u64,
}

/// The data of an event; `ArbiterEvent::kind` says which member is set.
#[repr(C)]
#[derive(Clone, Copy)]
pub union ArbiterEventBody {
    pub welcome: ArbiterWelcome,
    pub snapshot: ArbiterSnapshot,
    pub match_found: ArbiterMatchFound,
    pub match_live: ArbiterMatchLive,
    pub player_killed: ArbiterPlayerKilled,
    pub shot_result: ArbiterShotResult,
    pub match_ended: ArbiterMatchEnded,
    pub kicked: ArbiterKicked,
    pub error: ArbiterError,
    pub pong: ArbiterPong,
    pub inventory_changed: ArbiterInventoryChanged,
    pub refused: ArbiterRefused,
    pub trade_changed: ArbiterTradeChanged,
    pub trade_ended: ArbiterTradeEnded,
    pub guild_changed: ArbiterGuildChanged,
    pub guild_invited: ArbiterGuildInvited,
    pub guild_applied: ArbiterGuildApplied,
    pub guild_chat: ArbiterGuildChat,
    pub party_changed: ArbiterPartyChanged,
    pub party_invited: ArbiterPartyInvited,
    pub party_ended: ArbiterPartyEnded,
    pub queue_cancelled: ArbiterQueueCancelled,
    pub disconnected: ArbiterDisconnected,
    pub redirected: ArbiterRedirected,
    /// Fixes the union's size, so later members do not change the ABI.
    pub reserved: [u64; 8],
}

impl std::fmt::Debug for ArbiterEventBody {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ArbiterEventBody")
            .finish_non_exhaustive()
    }
}

/// One event.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterEvent {
    pub kind: ArbiterEventKind,
    pub body: ArbiterEventBody,
}

impl ArbiterEvent {
    fn new(kind: ArbiterEventKind, body: ArbiterEventBody) -> Self {
        Self { kind, body }
    }

    fn empty(kind: ArbiterEventKind) -> Self {
        Self::new(kind, ArbiterEventBody { reserved: [0; 8] })
    }

    /// The event for the end of the connection.
    pub(crate) fn disconnected(reason: DisconnectReason, scratch: &mut Scratch) -> Self {
        let reason = scratch.text(reason.as_str());
        Self::new(
            ArbiterEventKind::Disconnected,
            ArbiterEventBody {
                disconnected: ArbiterDisconnected { reason },
            },
        )
    }

    /// The event for `message`, its strings and arrays kept in `scratch`. `None` for what the
    /// client library consumes itself (the wire's delta snapshots are delivered as `Snapshot`).
    pub(crate) fn of(message: &ServerMessage, scratch: &mut Scratch) -> Option<Self> {
        use ArbiterEventKind as Kind;
        let (kind, body) = match message {
            &ServerMessage::Welcome {
                player_id,
                server_tick,
                tick_rate_hz,
            } => (
                Kind::Welcome,
                ArbiterEventBody {
                    welcome: ArbiterWelcome {
                        player_id,
                        server_tick,
                        tick_rate_hz,
                    },
                },
            ),
            ServerMessage::Snapshot {
                tick,
                ack_input_tick,
                entities,
            } => {
                let (entities, entity_count) =
                    scratch.array(entities.iter().map(ArbiterEntity::from).collect());
                (
                    Kind::Snapshot,
                    ArbiterEventBody {
                        snapshot: ArbiterSnapshot {
                            tick: *tick,
                            ack_input_tick: *ack_input_tick,
                            entities,
                            entity_count,
                        },
                    },
                )
            }
            ServerMessage::MatchFound {
                match_id,
                team,
                teams,
                map,
            } => {
                let (team_0, team_0_count) = scratch.array(teams[0].clone());
                let (team_1, team_1_count) = scratch.array(teams[1].clone());
                let match_found = ArbiterMatchFound {
                    match_id: *match_id,
                    team: u32::from(*team),
                    map: scratch.text(map),
                    team_0,
                    team_0_count,
                    team_1,
                    team_1_count,
                };
                (Kind::MatchFound, ArbiterEventBody { match_found })
            }
            &ServerMessage::MatchLive {
                match_id,
                time_limit_secs,
                score_limit,
            } => (
                Kind::MatchLive,
                ArbiterEventBody {
                    match_live: ArbiterMatchLive {
                        match_id,
                        time_limit_secs,
                        score_limit,
                    },
                },
            ),
            &ServerMessage::PlayerKilled {
                killer,
                victim,
                respawn_ms,
            } => (
                Kind::PlayerKilled,
                ArbiterEventBody {
                    player_killed: ArbiterPlayerKilled {
                        killer,
                        victim,
                        respawn_ms,
                    },
                },
            ),
            ServerMessage::QueueTimedOut => return Some(Self::empty(Kind::QueueTimedOut)),
            ServerMessage::ShotResult {
                client_tick,
                outcome,
            } => {
                let (outcome, target, damage, reason) = match outcome {
                    ShotOutcome::Hit { target, damage } => {
                        (ArbiterShotOutcome::Hit, *target, *damage, "")
                    }
                    ShotOutcome::Miss => (ArbiterShotOutcome::Miss, 0, 0, ""),
                    ShotOutcome::Rejected(reason) => {
                        (ArbiterShotOutcome::Rejected, 0, 0, reason.as_str())
                    }
                };
                let shot_result = ArbiterShotResult {
                    client_tick: *client_tick,
                    outcome,
                    damage: u32::from(damage),
                    target,
                    reason: scratch.text(reason),
                };
                (Kind::ShotResult, ArbiterEventBody { shot_result })
            }
            ServerMessage::MatchEnded {
                match_id,
                winning_team,
                scores,
                scoreboard,
            } => {
                let (scoreboard, scoreboard_count) =
                    scratch.array(scoreboard.iter().map(ArbiterScoreLine::from).collect());
                let match_ended = ArbiterMatchEnded {
                    match_id: *match_id,
                    winning_team: winning_team.map_or(-1, i32::from),
                    score_0: scores[0],
                    score_1: scores[1],
                    scoreboard,
                    scoreboard_count,
                };
                (Kind::MatchEnded, ArbiterEventBody { match_ended })
            }
            ServerMessage::Kicked { reason } => {
                let detail = match reason {
                    KickReason::Cheating(detail) => detail.as_str(),
                    _ => "",
                };
                let kicked = ArbiterKicked {
                    reason: scratch.text(reason.as_str()),
                    detail: scratch.text(detail),
                };
                (Kind::Kicked, ArbiterEventBody { kicked })
            }
            ServerMessage::Error { code, message } => {
                let error = ArbiterError {
                    code: scratch.text(code.as_str()),
                    message: scratch.text(message),
                };
                (Kind::Error, ArbiterEventBody { error })
            }
            &ServerMessage::Pong {
                client_time_us,
                server_tick,
            } => (
                Kind::Pong,
                ArbiterEventBody {
                    pong: ArbiterPong {
                        client_time_us,
                        server_tick,
                    },
                },
            ),
            ServerMessage::Inventory(_) | ServerMessage::InventoryChanged(_) => (
                Kind::InventoryChanged,
                ArbiterEventBody {
                    inventory_changed: ArbiterInventoryChanged {
                        whole: u32::from(matches!(message, ServerMessage::Inventory(_))),
                    },
                },
            ),
            ServerMessage::ItemRefused(refusal) => (
                Kind::ItemRefused,
                refused(0, refusal.reason.as_str(), scratch),
            ),
            ServerMessage::TradeChanged(view) => (
                Kind::TradeChanged,
                ArbiterEventBody {
                    trade_changed: ArbiterTradeChanged {
                        trade: view.trade,
                        phase: view.phase.into(),
                        version: view.version,
                    },
                },
            ),
            ServerMessage::TradeEnded { trade, outcome } => {
                let (settled, cancel_reason, transfer) = match outcome {
                    TradeOutcome::Settled { transfer } => (1, "", transfer.as_str()),
                    TradeOutcome::Cancelled(reason) => (0, reason.as_str(), ""),
                };
                let trade_ended = ArbiterTradeEnded {
                    trade: *trade,
                    settled,
                    cancel_reason: scratch.text(cancel_reason),
                    transfer: scratch.text(transfer),
                };
                (Kind::TradeEnded, ArbiterEventBody { trade_ended })
            }
            ServerMessage::TradeRefused { request, reason } => (
                Kind::TradeRefused,
                refused(request.trade().unwrap_or(0), reason.as_str(), scratch),
            ),
            ServerMessage::Guild(view) => guild_changed(view.guild, "whole", 0, scratch),
            ServerMessage::GuildChanged { guild, change } => {
                let (name, player_id) = change.describe();
                guild_changed(*guild, name, player_id, scratch)
            }
            ServerMessage::GuildInvited {
                guild,
                name,
                tag,
                by,
            } => {
                let guild_invited = ArbiterGuildInvited {
                    guild: *guild,
                    by: *by,
                    name: scratch.text(name),
                    tag: scratch.text(tag),
                };
                (Kind::GuildInvited, ArbiterEventBody { guild_invited })
            }
            &ServerMessage::GuildApplied { guild, player_id } => (
                Kind::GuildApplied,
                ArbiterEventBody {
                    guild_applied: ArbiterGuildApplied { guild, player_id },
                },
            ),
            ServerMessage::GuildChat { guild, lines } => {
                let lines = lines
                    .iter()
                    .map(|line| ArbiterChatLine::of(line, scratch))
                    .collect();
                let (lines, line_count) = scratch.array(lines);
                let guild_chat = ArbiterGuildChat {
                    guild: *guild,
                    lines,
                    line_count,
                };
                (Kind::GuildChat, ArbiterEventBody { guild_chat })
            }
            ServerMessage::GuildRefused { reason, .. } => {
                (Kind::GuildRefused, refused(0, reason.as_str(), scratch))
            }
            ServerMessage::Party(view) => (
                Kind::PartyChanged,
                ArbiterEventBody {
                    party_changed: ArbiterPartyChanged { party: view.party },
                },
            ),
            &ServerMessage::PartyInvited { party, by } => (
                Kind::PartyInvited,
                ArbiterEventBody {
                    party_invited: ArbiterPartyInvited { party, by },
                },
            ),
            ServerMessage::PartyEnded { party, reason } => {
                let party_ended = ArbiterPartyEnded {
                    party: *party,
                    reason: scratch.text(reason.as_str()),
                };
                (Kind::PartyEnded, ArbiterEventBody { party_ended })
            }
            ServerMessage::PartyRefused { reason, .. } => {
                (Kind::PartyRefused, refused(0, reason.as_str(), scratch))
            }
            ServerMessage::QueueCancelled { by, reason } => {
                let queue_cancelled = ArbiterQueueCancelled {
                    by: *by,
                    reason: scratch.text(reason.as_str()),
                };
                (Kind::QueueCancelled, ArbiterEventBody { queue_cancelled })
            }
            ServerMessage::DeltaSnapshot { .. } => return None,
            // The client follows a fleet's moves by itself; the game hears where it goes.
            ServerMessage::Redirect { match_id, .. } => (
                Kind::Redirected,
                ArbiterEventBody {
                    redirected: ArbiterRedirected {
                        match_id: match_id.unwrap_or(0),
                    },
                },
            ),
            // A way back the client keeps for itself.
            ServerMessage::Fallback { .. } => return None,
        };
        Some(Self::new(kind, body))
    }
}

fn refused(trade: u64, reason: &str, scratch: &mut Scratch) -> ArbiterEventBody {
    ArbiterEventBody {
        refused: ArbiterRefused {
            trade,
            reason: scratch.text(reason),
        },
    }
}

fn guild_changed(
    guild: u64,
    change: &str,
    player_id: u64,
    scratch: &mut Scratch,
) -> (ArbiterEventKind, ArbiterEventBody) {
    let guild_changed = ArbiterGuildChanged {
        guild,
        change: scratch.text(change),
        player_id,
    };
    (
        ArbiterEventKind::GuildChanged,
        ArbiterEventBody { guild_changed },
    )
}

impl From<&EntityState> for ArbiterEntity {
    fn from(state: &EntityState) -> Self {
        Self {
            player_id: state.player_id,
            position: state.position,
            velocity: state.velocity,
            yaw: state.yaw,
            pitch: state.pitch,
            health: state.health,
            alive: u8::from(state.alive),
        }
    }
}

impl From<&ScoreLine> for ArbiterScoreLine {
    fn from(line: &ScoreLine) -> Self {
        Self {
            player_id: line.player_id,
            team: u32::from(line.team),
            kills: line.kills,
            deaths: line.deaths,
            rating_before: line.rating_before,
            rating_after: line.rating_after,
        }
    }
}

impl ArbiterChatLine {
    fn of(line: &GuildChatLine, scratch: &mut Scratch) -> Self {
        Self {
            from: line.from,
            tick: line.tick,
            text: scratch.text(&line.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(unsafe_code, reason = "reads the union member the event's kind names")]
    fn redirected(message: &ServerMessage) -> Option<u64> {
        let event = ArbiterEvent::of(message, &mut Scratch::default())?;
        assert_eq!(event.kind, ArbiterEventKind::Redirected);
        // SAFETY: `kind` says `redirected` is the member set.
        Some(unsafe { event.body.redirected.match_id })
    }

    #[test]
    fn a_redirect_says_where_the_client_goes_and_a_fallback_says_nothing() {
        let to_match = ServerMessage::Redirect {
            match_id: Some(7 << 32 | 3),
            token: vec![1, 2, 3],
        };
        assert_eq!(redirected(&to_match), Some(7 << 32 | 3));
        let to_lobby = ServerMessage::Redirect {
            match_id: None,
            token: vec![1],
        };
        assert_eq!(redirected(&to_lobby), Some(0));
        let fallback = ServerMessage::Fallback { token: vec![1] };
        assert!(ArbiterEvent::of(&fallback, &mut Scratch::default()).is_none());
    }
}
