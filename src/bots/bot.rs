//! One simulated player: plays a frame at a time, counts what happens to it.

use arbiter_client::ArbiterClient;
use arbiter_client::protocol::{ClientMessage, InputFrame, ServerMessage, ShotOutcome};
use std::time::Duration;

/// Fire every this many frames, ping every this many.
const FIRE_EVERY_FRAMES: u64 = 20;
const PING_EVERY_FRAMES: u64 = 30;
/// How far behind the newest snapshot an honest client renders, as the server assumes by default
/// (`[anticheat] interp_delay_ms`).
const INTERPOLATION_DELAY_MS: u64 = 100;
/// Honest bots do not aim yet: they fire upwards, into the open sky, so no shot can hit anyone
/// through a wall (which the server would rightly refuse).
const FIRE_PITCH: f32 = 0.8;

/// What happened to one bot.
#[derive(Debug, Default, Clone)]
pub(super) struct BotStats {
    pub(super) connected: bool,
    pub(super) disconnected: bool,
    pub(super) kicked: bool,
    pub(super) matches_played: u64,
    pub(super) inputs_sent: u64,
    pub(super) snapshots_received: u64,
    pub(super) shots_sent: u64,
    pub(super) shots_hit: u64,
    pub(super) shots_rejected: u64,
    pub(super) rtt_samples_ms: Vec<f64>,
}

pub(super) struct Bot {
    client: ArbiterClient,
    seed: u64,
    frame: u64,
    joined_queue: bool,
    /// Tick the next input is for: just ahead of the newest server tick seen.
    next_input_tick: u64,
    /// Newest server tick seen in a snapshot, and the server's tick rate (from `Welcome`).
    newest_snapshot_tick: u64,
    tick_rate_hz: u32,
    done: bool,
    pub(super) stats: BotStats,
}

impl Bot {
    pub(super) fn new(client: ArbiterClient, seed: u64) -> Self {
        Self {
            client,
            seed,
            frame: 0,
            joined_queue: false,
            next_input_tick: 0,
            newest_snapshot_tick: 0,
            tick_rate_hz: 60,
            done: false,
            stats: BotStats::default(),
        }
    }

    /// One frame: read, react, send. `now_us` is the bot process's clock, for ping round trips.
    pub(super) fn play_frame(&mut self, elapsed: Duration, now_us: u64) {
        if self.done {
            return;
        }
        self.frame += 1;
        if self.client.update(elapsed).is_err() {
            self.stats.disconnected = self.stats.connected && !self.stats.kicked;
            self.done = true;
            return;
        }
        let messages: Vec<_> = self.client.receive().collect();
        for message in messages {
            self.observe(message, now_us);
        }
        if !self.client.is_connected() {
            return;
        }
        self.stats.connected = true;
        if !self.joined_queue {
            self.client.send(&ClientMessage::JoinQueue { mode: 0 });
            self.joined_queue = true;
        }
        self.send_input();
        if self.frame.is_multiple_of(FIRE_EVERY_FRAMES) {
            // Claim the tick on screen: the newest snapshot, rendered an interpolation delay late.
            let rendered_ticks_behind =
                INTERPOLATION_DELAY_MS * u64::from(self.tick_rate_hz) / 1000;
            self.client.send(&ClientMessage::Fire {
                client_tick: self
                    .newest_snapshot_tick
                    .saturating_sub(rendered_ticks_behind),
                yaw: self.yaw(),
                pitch: FIRE_PITCH,
                weapon: 0,
            });
            self.stats.shots_sent += 1;
        }
        if self.frame.is_multiple_of(PING_EVERY_FRAMES) {
            self.client.send(&ClientMessage::Ping {
                client_time_us: now_us,
            });
        }
        let _ = self.client.flush();
    }

    fn observe(&mut self, message: ServerMessage, now_us: u64) {
        match message {
            ServerMessage::Welcome {
                server_tick,
                tick_rate_hz,
                ..
            } => {
                self.tick_rate_hz = tick_rate_hz;
                self.track_server_tick(server_tick);
            }
            ServerMessage::Snapshot { tick, .. } => {
                self.stats.snapshots_received += 1;
                self.newest_snapshot_tick = self.newest_snapshot_tick.max(tick);
                self.track_server_tick(tick);
            }
            ServerMessage::MatchFound { .. } => self.stats.matches_played += 1,
            ServerMessage::ShotResult { outcome, .. } => match outcome {
                ShotOutcome::Hit { .. } => self.stats.shots_hit += 1,
                ShotOutcome::Rejected(_) => self.stats.shots_rejected += 1,
                ShotOutcome::Miss => {}
            },
            ServerMessage::Kicked { .. } => self.stats.kicked = true,
            ServerMessage::Pong { client_time_us, .. } => {
                self.stats
                    .rtt_samples_ms
                    .push(now_us.saturating_sub(client_time_us) as f64 / 1000.0);
            }
            ServerMessage::QueueTimedOut => self.joined_queue = false,
            ServerMessage::MatchEnded { .. } | ServerMessage::Error { .. } => {}
        }
    }

    fn track_server_tick(&mut self, tick: u64) {
        self.next_input_tick = self.next_input_tick.max(tick + 2);
    }

    /// Walks in a slowly turning circle.
    fn send_input(&mut self) {
        self.client.send(&ClientMessage::Input(InputFrame {
            tick: self.next_input_tick,
            move_x: 0.0,
            move_y: 1.0,
            yaw: self.yaw(),
            pitch: 0.0,
            buttons: 0,
        }));
        self.next_input_tick += 1;
        self.stats.inputs_sent += 1;
    }

    fn yaw(&self) -> f32 {
        ((self.frame + self.seed * 97) % 628) as f32 / 100.0 - std::f32::consts::PI
    }

    /// Disconnects politely at the end of the run.
    pub(super) fn leave(&mut self) {
        self.client.disconnect();
    }
}
