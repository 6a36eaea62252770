//! `ArbiterClient`, a Godot 4 node: it connects with a token, runs the connection in `_process`
//! (never blocking), and turns each server message into a signal, emitted on the main thread.
//! GDScript connects to the signals and calls the methods; nothing else is needed.
//!
//! ```gdscript
//! @onready var arbiter := $ArbiterClient
//! func _ready():
//!     arbiter.welcome.connect(func(player_id, _tick, _hz): arbiter.join_queue(0))
//!     arbiter.snapshot.connect(_on_snapshot)
//!     arbiter.connect_to_server(token_from_your_login_service)
//! ```
//!
//! Ids are 64-bit unsigned on the wire and `int` (signed 64-bit) in Godot: the bits are kept.
//! Only the game loop's messages have their own signals; inventory, trade, guild and party
//! messages arrive as `server_event(kind)` (use the C API or `arbiter_client` for their views).

use arbiter_client::ArbiterClient as Connection;
use arbiter_client::protocol::{ClientMessage, InputFrame, ServerMessage, ShotOutcome};
use arbiter_client::token::decode_token;
use godot::classes::{INode, Node};
use godot::prelude::*;
use std::time::Duration;

mod entry;

/// A connection to an Arbiter server, as a node.
#[derive(GodotClass)]
#[class(init, base = Node)]
struct ArbiterClient {
    base: Base<Node>,
    connection: Option<Connection>,
    /// Whether `disconnected` was emitted for the current connection.
    ended: bool,
}

impl std::fmt::Debug for ArbiterClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ArbiterClient")
            .field("connection", &self.connection)
            .finish_non_exhaustive()
    }
}

/// Godot's `int` for a 64-bit id: the same bits.
fn id(value: u64) -> i64 {
    value as i64
}

#[godot_api]
impl INode for ArbiterClient {
    fn process(&mut self, delta: f64) {
        let Some(connection) = self.connection.as_mut() else {
            return;
        };
        let elapsed = Duration::from_secs_f64(delta.clamp(0.0, 10.0));
        let ended = connection
            .update(elapsed)
            .and_then(|()| connection.flush())
            .is_err();
        let arrived: Vec<ServerMessage> = connection.receive().collect();
        for message in arrived {
            self.emit(message);
        }
        if ended && !self.ended {
            self.ended = true;
            let reason = self
                .connection
                .as_ref()
                .and_then(Connection::disconnect_reason)
                .map_or("socket", |reason| reason.as_str());
            self.signals().disconnected().emit(&GString::from(reason));
        }
    }

    fn exit_tree(&mut self) {
        self.disconnect_from_server();
    }
}

#[godot_api]
impl ArbiterClient {
    #[signal]
    fn welcome(player_id: i64, server_tick: i64, tick_rate_hz: i64);
    /// The players of the client's match at `tick`: ids, positions (metres), health.
    #[signal]
    fn snapshot(
        tick: i64,
        ack_input_tick: i64,
        player_ids: PackedInt64Array,
        positions: PackedVector3Array,
        health: PackedInt32Array,
    );
    #[signal]
    fn match_found(match_id: i64, team: i64, map: GString);
    #[signal]
    fn match_live(match_id: i64, time_limit_secs: i64, score_limit: i64);
    #[signal]
    fn player_killed(killer: i64, victim: i64, respawn_ms: i64);
    /// `outcome` is "hit", "miss" or "rejected" (then `reason` says why).
    #[signal]
    fn shot_result(client_tick: i64, outcome: GString, target: i64, damage: i64, reason: GString);
    /// `winning_team` is -1 for a draw.
    #[signal]
    fn match_ended(match_id: i64, winning_team: i64, score_0: i64, score_1: i64);
    #[signal]
    fn queue_timed_out();
    #[signal]
    fn pong(client_time_us: i64, server_tick: i64);
    #[signal]
    fn kicked(reason: GString);
    #[signal]
    fn server_error(code: GString, message: GString);
    /// Every other message, by kind: "inventory", "trade_changed", "guild_chat", …
    #[signal]
    fn server_event(kind: GString);
    /// The connection ended: "timed_out", "by_server", "by_client", "denied", …
    #[signal]
    fn disconnected(reason: GString);

    /// Starts connecting with a base64 connect token; false when the token is not one or no
    /// socket could be opened.
    #[func]
    fn connect_to_server(&mut self, token: GString) -> bool {
        let Ok(token) = decode_token(token.to_string().trim()) else {
            return false;
        };
        self.disconnect_from_server();
        self.connection = Connection::connect(token, None).ok();
        self.ended = false;
        self.connection.is_some()
    }

    #[func]
    fn disconnect_from_server(&mut self) {
        if let Some(mut connection) = self.connection.take() {
            connection.disconnect();
        }
    }

    #[func]
    fn is_connected_to_server(&self) -> bool {
        self.connection
            .as_ref()
            .is_some_and(Connection::is_connected)
    }

    /// Round-trip time in milliseconds.
    #[func]
    fn rtt_ms(&self) -> f64 {
        self.connection.as_ref().map_or(0.0, Connection::rtt_ms)
    }

    /// Queues one frame of input; false when it is out of range or there is no connection.
    #[func]
    fn send_input(
        &mut self,
        tick: i64,
        move_x: f64,
        move_y: f64,
        yaw: f64,
        pitch: f64,
        buttons: i64,
    ) -> bool {
        let frame = InputFrame {
            tick: tick as u64,
            move_x: move_x as f32,
            move_y: move_y as f32,
            yaw: yaw as f32,
            pitch: pitch as f32,
            buttons: buttons as u32,
        };
        frame.is_well_formed() && self.send(ClientMessage::Input(frame))
    }

    /// A shot; `target` is the player the game's own hit detection says it hit, or -1 for none.
    #[func]
    fn fire(&mut self, client_tick: i64, yaw: f64, pitch: f64, weapon: i64, target: i64) -> bool {
        let Ok(weapon) = u8::try_from(weapon) else {
            return false;
        };
        self.send(ClientMessage::Fire {
            client_tick: client_tick as u64,
            yaw: yaw as f32,
            pitch: pitch as f32,
            weapon,
            target: (target >= 0).then_some(target as u64),
        })
    }

    #[func]
    fn join_queue(&mut self, mode: i64) -> bool {
        u16::try_from(mode).is_ok_and(|mode| self.send(ClientMessage::JoinQueue { mode }))
    }

    #[func]
    fn leave_queue(&mut self) -> bool {
        self.send(ClientMessage::LeaveQueue)
    }

    #[func]
    fn ping(&mut self, client_time_us: i64) -> bool {
        self.send(ClientMessage::Ping {
            client_time_us: client_time_us as u64,
        })
    }
}

impl ArbiterClient {
    fn send(&mut self, message: ClientMessage) -> bool {
        match self.connection.as_mut() {
            Some(connection) if connection.disconnect_reason().is_none() => {
                connection.send(&message);
                true
            }
            _ => false,
        }
    }

    /// Emits the signal for `message`.
    fn emit(&mut self, message: ServerMessage) {
        let mut signals = self.signals();
        match message {
            ServerMessage::Welcome {
                player_id,
                server_tick,
                tick_rate_hz,
            } => signals
                .welcome()
                .emit(id(player_id), id(server_tick), i64::from(tick_rate_hz)),
            ServerMessage::Snapshot {
                tick,
                ack_input_tick,
                entities,
            } => {
                let ids: PackedInt64Array =
                    entities.iter().map(|state| id(state.player_id)).collect();
                let positions: PackedVector3Array = entities
                    .iter()
                    .map(|state| {
                        Vector3::new(state.position[0], state.position[1], state.position[2])
                    })
                    .collect();
                let health: PackedInt32Array = entities
                    .iter()
                    .map(|state| i32::from(state.health))
                    .collect();
                signals
                    .snapshot()
                    .emit(id(tick), id(ack_input_tick), &ids, &positions, &health);
            }
            ServerMessage::MatchFound {
                match_id,
                team,
                map,
                ..
            } => signals.match_found().emit(
                id(match_id),
                i64::from(team),
                &GString::from(map.as_str()),
            ),
            ServerMessage::MatchLive {
                match_id,
                time_limit_secs,
                score_limit,
            } => signals.match_live().emit(
                id(match_id),
                i64::from(time_limit_secs),
                i64::from(score_limit),
            ),
            ServerMessage::PlayerKilled {
                killer,
                victim,
                respawn_ms,
            } => signals
                .player_killed()
                .emit(id(killer), id(victim), i64::from(respawn_ms)),
            ServerMessage::QueueTimedOut => signals.queue_timed_out().emit(),
            ServerMessage::ShotResult {
                client_tick,
                outcome,
            } => {
                let (name, target, damage, reason) = match &outcome {
                    ShotOutcome::Hit { target, damage } => {
                        ("hit", id(*target), i64::from(*damage), "")
                    }
                    ShotOutcome::Miss => ("miss", -1, 0, ""),
                    ShotOutcome::Rejected(reason) => ("rejected", -1, 0, reason.as_str()),
                };
                signals.shot_result().emit(
                    id(client_tick),
                    &GString::from(name),
                    target,
                    damage,
                    &GString::from(reason),
                );
            }
            ServerMessage::MatchEnded {
                match_id,
                winning_team,
                scores,
                ..
            } => signals.match_ended().emit(
                id(match_id),
                winning_team.map_or(-1, i64::from),
                i64::from(scores[0]),
                i64::from(scores[1]),
            ),
            ServerMessage::Pong {
                client_time_us,
                server_tick,
            } => signals.pong().emit(id(client_time_us), id(server_tick)),
            ServerMessage::Kicked { reason } => {
                signals.kicked().emit(&GString::from(reason.as_str()))
            }
            ServerMessage::Error { code, message } => signals.server_error().emit(
                &GString::from(code.as_str()),
                &GString::from(message.as_str()),
            ),
            other => signals.server_event().emit(&GString::from(kind_of(&other))),
        }
    }
}

/// The snake_case kind of a message without a signal of its own.
fn kind_of(message: &ServerMessage) -> &'static str {
    match message {
        ServerMessage::Inventory(_) => "inventory",
        ServerMessage::InventoryChanged(_) => "inventory_changed",
        ServerMessage::ItemRefused(_) => "item_refused",
        ServerMessage::TradeChanged(_) => "trade_changed",
        ServerMessage::TradeEnded { .. } => "trade_ended",
        ServerMessage::TradeRefused { .. } => "trade_refused",
        ServerMessage::Guild(_) => "guild",
        ServerMessage::GuildChanged { .. } => "guild_changed",
        ServerMessage::GuildInvited { .. } => "guild_invited",
        ServerMessage::GuildApplied { .. } => "guild_applied",
        ServerMessage::GuildChat { .. } => "guild_chat",
        ServerMessage::GuildRefused { .. } => "guild_refused",
        ServerMessage::Party(_) => "party",
        ServerMessage::PartyInvited { .. } => "party_invited",
        ServerMessage::PartyEnded { .. } => "party_ended",
        ServerMessage::PartyRefused { .. } => "party_refused",
        ServerMessage::QueueCancelled { .. } => "queue_cancelled",
        _ => "other",
    }
}
