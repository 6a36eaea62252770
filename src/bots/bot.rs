//! One simulated player: plays a frame at a time as its behaviour says, counts what happens to it.

use super::aim::{Pick, plan_shot};
use super::items::BotItems;
use super::party::BotParty;
use super::rng::BotRng;
use super::social::BotGuild;
use super::trading::BotTrades;
use super::view::MatchView;
use crate::cli::Behavior;
use crate::economy::EconomyData;
use crate::maps::shipped_maps;
use crate::weapons::{WEAPONS_FILE, load_weapons};
use arbiter_client::ArbiterClient;
use arbiter_client::protocol::{
    ClientMessage, InputFrame, InventoryDelta, ServerMessage, ShotOutcome,
};
use arbiter_components::combat::Weapons;
use arbiter_components::items::Catalog;
use arbiter_components::shop::{PURCHASE_REASON_PREFIX, Shop};
use arbiter_systems::map::Maps;
use arbiter_systems::shots::yaw_pitch;
use bevy_math::Vec3;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How often a bot pings, by the bot process's clock: twice a second however many frames a
/// second the swarm manages (one too big for its thread runs fewer, and its pings must not thin
/// out with them, or a load test carries less load than it says).
const PING_EVERY_US: u64 = 500_000;
/// How far behind the newest snapshot an honest client renders, as the server assumes by default
/// (`[anticheat] interp_delay_ms`).
const INTERPOLATION_DELAY_MS: u64 = 100;
/// How far back a backtracking cheat claims to have fired: 550 ms further back than an honest
/// client's claim on the same connection, far beyond the default 200 ms tolerance.
const BACKTRACK_MS: u64 = 650;

/// The bot's first ping time after `now_us`. Each bot pings at its own phase of the period, so a
/// swarm started together does not ping all at once.
fn ping_slot_after(now_us: u64, seed: u64) -> u64 {
    let phase = seed.wrapping_mul(7_919) % PING_EVERY_US;
    let slot = now_us - now_us % PING_EVERY_US + phase;
    if slot > now_us {
        slot
    } else {
        slot + PING_EVERY_US
    }
}

/// How a bot's hands and eyes work: the standard deviation of its aim error in radians, and how
/// long an opponent must have been in sight before it fires at it, in milliseconds.
fn aim_profile(behavior: Behavior) -> (f32, u64) {
    match behavior {
        Behavior::Skilled => (0.002, 150),
        // Cheats aim dead on what they pick (a claimed hit through a wall must be on the line).
        Behavior::Aimbot
        | Behavior::Wallhack
        | Behavior::Longshot
        | Behavior::Backtrack
        | Behavior::Rapidfire => (0.0, 0),
        // About half a degree; a typical human visual reaction.
        _ => (0.008, 220),
    }
}

/// What happened to one bot.
#[derive(Debug, Default, Clone)]
pub(super) struct BotStats {
    pub(super) connected: bool,
    pub(super) disconnected: bool,
    /// Why the transport says the connection ended, when it dropped without a `Kicked` message
    /// (`DisconnectedByServer`: the server closed it, e.g. a kick whose message was lost).
    pub(super) disconnect_reason: Option<String>,
    pub(super) kicked: bool,
    /// Moves between the servers of a fleet (`Redirect`s its client followed).
    pub(super) redirects: u64,
    /// Returns to the lobby because a fleet's game server went silent (`Fallback` used).
    pub(super) fallbacks: u64,
    pub(super) matches_played: u64,
    pub(super) matches_completed: u64,
    /// Tickets the server took out of the queue without a match (`QueueTimedOut`).
    pub(super) queue_timeouts: u64,
    pub(super) inputs_sent: u64,
    pub(super) snapshots_received: u64,
    pub(super) shots_sent: u64,
    pub(super) shots_hit: u64,
    pub(super) shots_missed: u64,
    pub(super) shots_rejected: u64,
    /// Rejected shots by the server's reason.
    pub(super) rejections: BTreeMap<String, u64>,
    pub(super) kills: u64,
    /// Shop purchases the server confirmed.
    pub(super) purchases: u64,
    /// Refused item requests by the server's reason.
    pub(super) item_refusals: BTreeMap<String, u64>,
    /// Units and currency the server moved, by source (see [`BehaviorReport::item_changes`]).
    pub(super) item_changes: BTreeMap<String, i64>,
    pub(super) rtt_samples_ms: Vec<f64>,
    /// When (on the caller's clock) a cheating bot first cheated, and when it was kicked.
    pub(super) first_cheat_us: Option<u64>,
    pub(super) kicked_us: Option<u64>,
    /// When each hit since the first cheat was told (the caller's clock): when the evidence an
    /// aim statistic judges came to exist.
    pub(super) cheat_hits_us: Vec<u64>,
}

/// What a bot needs to know of the game: the maps it may play on, the weapons table, the item
/// catalog and the shop, the same the server uses.
#[derive(Debug, Clone)]
pub struct Arsenal {
    maps: Arc<Maps>,
    weapons: Arc<Weapons>,
    catalog: Arc<Catalog>,
    shop: Arc<Shop>,
}

impl Arsenal {
    /// The shipped maps and `assets/config/{weapons,items,shop}.toml` (or their shipped copies).
    pub fn shipped() -> anyhow::Result<Self> {
        let weapons = load_weapons(Path::new(WEAPONS_FILE))?;
        let economy = EconomyData::load(&weapons)?;
        Ok(Self {
            maps: Arc::new(shipped_maps()?),
            weapons: Arc::new(weapons),
            catalog: Arc::new(economy.catalog),
            shop: Arc::new(economy.shop),
        })
    }
}

pub(super) struct Bot {
    client: ArbiterClient,
    pub(super) behavior: Behavior,
    arsenal: Arsenal,
    rng: BotRng,
    seed: u64,
    frame: u64,
    /// When its next ping is due, on the bot process's clock.
    next_ping_us: u64,
    joined_queue: bool,
    /// Matches to complete before it stops queueing (`--matches`); none: no limit.
    matches_wanted: Option<u64>,
    /// Tick the next input is for: just ahead of the newest server tick seen.
    next_input_tick: u64,
    tick_rate_hz: u32,
    view: MatchView,
    items: BotItems,
    pub(super) trades: BotTrades,
    pub(super) guild: BotGuild,
    pub(super) party: BotParty,
    /// The tick the last shot claimed, so an honest bot never claims faster than its weapon fires.
    last_claimed_tick: Option<u64>,
    /// Welcomed on this connection: its profile has loaded, it may queue.
    welcomed: bool,
    /// On a fleet's game server for a placed match (it does not queue there).
    placed: bool,
    done: bool,
    /// A frame's messages, read out of the client before the bot reacts to them: the buffer kept
    /// from frame to frame.
    inbox: Vec<ServerMessage>,
    pub(super) stats: BotStats,
}

impl Bot {
    pub(super) fn new(
        client: ArbiterClient,
        seed: u64,
        behavior: Behavior,
        arsenal: Arsenal,
        matches_wanted: Option<u64>,
    ) -> Self {
        let items = BotItems::new(behavior, &arsenal.weapons, &arsenal.catalog, &arsenal.shop);
        let trades = BotTrades::new(behavior, seed, &arsenal.catalog, &arsenal.shop);
        Self {
            trades,
            guild: BotGuild::new(seed),
            party: BotParty::default(),
            client,
            behavior,
            items,
            arsenal,
            rng: BotRng::new(seed),
            seed,
            frame: 0,
            next_ping_us: ping_slot_after(0, seed),
            joined_queue: false,
            matches_wanted,
            next_input_tick: 0,
            tick_rate_hz: 60,
            view: MatchView::default(),
            last_claimed_tick: None,
            welcomed: false,
            placed: false,
            done: false,
            inbox: Vec::new(),
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
            if self.stats.disconnected {
                self.stats.disconnect_reason = self
                    .client
                    .disconnect_reason()
                    .map(|reason| format!("{reason:?}"));
            }
            self.done = true;
            return;
        }
        // The client follows a fleet's moves by itself and counts them.
        self.stats.redirects = self.client.redirects_followed();
        if self.client.fallbacks_used() > self.stats.fallbacks {
            // The game server went silent: the client went back to the lobby, which queues it.
            self.stats.fallbacks = self.client.fallbacks_used();
            self.moved(false);
        }
        let mut inbox = std::mem::take(&mut self.inbox);
        inbox.extend(self.client.receive());
        for message in inbox.drain(..) {
            self.observe(message, now_us);
        }
        self.inbox = inbox;
        if !self.client.is_connected() {
            return;
        }
        self.stats.connected = true;
        // Queue once welcomed (the profile has loaded), and not on a fleet's game server. In a
        // match the first test settles it: the rest is state a bot in play need not touch.
        if !self.joined_queue
            && self.wants_a_match()
            && self.welcomed
            && !self.placed
            && self.party.may_queue(self.frame)
        {
            self.client.send(&ClientMessage::JoinQueue { mode: 0 });
            self.joined_queue = true;
        }
        // Movement only in a match, as a game client sends it.
        let inputs = if !self.view.in_match {
            0
        } else if self.behavior == Behavior::Speedhack {
            self.cheated(now_us);
            2
        } else {
            1
        };
        for _ in 0..inputs {
            self.send_input();
        }
        for request in self
            .items
            .requests(self.frame, self.view.me, self.view.in_match)
        {
            if self.behavior == Behavior::Itemhack {
                self.cheated(now_us);
            }
            self.client.send(&ClientMessage::Item(request));
        }
        // Only traders are paired, and only social bots have a guild and a party: the others'
        // trade, guild and party state is not touched each frame.
        if self.behavior.trades() {
            for request in self.trades.requests(self.frame, now_us, &self.items.owned) {
                self.client.send(&request);
            }
            if self.trades.leaving {
                let _ = self.client.flush();
                self.leave();
                self.done = true;
                return;
            }
        }
        if self.behavior == Behavior::Social {
            if let Some(request) = self.guild.requests(self.frame, now_us) {
                self.client.send(&request);
            }
            let guild = &self.guild;
            for request in self.party.requests(self.frame, || guild.other_members()) {
                self.client.send(&request);
            }
        }
        self.maybe_fire(now_us);
        if now_us >= self.next_ping_us {
            self.client.send(&ClientMessage::Ping {
                client_time_us: now_us,
            });
            self.next_ping_us = ping_slot_after(now_us, self.seed);
        }
        let _ = self.client.flush();
    }

    fn observe(&mut self, message: ServerMessage, now_us: u64) {
        // A snapshot, the message of every frame, is the view's alone: the items', trades',
        // guild's and party's state (cold memory for each bot of a swarm) is not touched for it.
        if !matches!(message, ServerMessage::Snapshot { .. }) {
            if let Some(reason) = self.items.observe(&message) {
                *self.stats.item_refusals.entry(reason).or_default() += 1;
            }
            self.trades.observe(&message, self.frame, now_us);
            self.guild.observe(&message, now_us);
            self.party.observe(&message);
        }
        match message {
            ServerMessage::Welcome {
                player_id,
                server_tick,
                tick_rate_hz,
            } => {
                self.welcomed = true;
                self.view.me = player_id;
                self.tick_rate_hz = tick_rate_hz;
                self.track_server_tick(server_tick);
            }
            ServerMessage::Snapshot { tick, entities, .. } => {
                self.stats.snapshots_received += 1;
                let dropped = self.view.record(tick, entities);
                self.client.recycle_snapshot(dropped);
                self.view.track_sight(tick);
                self.track_server_tick(tick);
            }
            ServerMessage::MatchFound {
                team, teams, map, ..
            } => {
                self.stats.matches_played += 1;
                let opponents = teams.get(usize::from(1 - team.min(1))).cloned();
                let geometry = self.arsenal.maps.get(&map).cloned();
                self.view.join(geometry, opponents.unwrap_or_default());
            }
            ServerMessage::MatchEnded { .. } => {
                self.stats.matches_completed += 1;
                self.view.leave();
                self.joined_queue = false;
            }
            ServerMessage::ShotResult { outcome, .. } => match outcome {
                ShotOutcome::Hit { .. } => {
                    self.stats.shots_hit += 1;
                    if self.stats.first_cheat_us.is_some() {
                        self.stats.cheat_hits_us.push(now_us);
                    }
                }
                ShotOutcome::Miss => self.stats.shots_missed += 1,
                ShotOutcome::Rejected(reason) => {
                    self.stats.shots_rejected += 1;
                    *self.stats.rejections.entry(reason).or_default() += 1;
                }
            },
            ServerMessage::PlayerKilled { killer, .. } => {
                if killer == self.view.me {
                    self.stats.kills += 1;
                }
            }
            ServerMessage::Kicked { .. } => {
                self.stats.kicked = true;
                self.stats.kicked_us = Some(now_us);
            }
            ServerMessage::Pong { client_time_us, .. } => {
                self.stats
                    .rtt_samples_ms
                    .push(now_us.saturating_sub(client_time_us) as f64 / 1000.0);
            }
            ServerMessage::QueueTimedOut => {
                self.stats.queue_timeouts += 1;
                self.joined_queue = false;
            }
            ServerMessage::QueueCancelled { .. } => {
                self.joined_queue = false;
            }
            ServerMessage::MatchLive { .. }
            | ServerMessage::Error { .. }
            | ServerMessage::Inventory(_)
            | ServerMessage::ItemRefused(_)
            | ServerMessage::TradeChanged(_)
            | ServerMessage::TradeEnded { .. }
            | ServerMessage::TradeRefused { .. }
            | ServerMessage::Guild(_)
            | ServerMessage::GuildChanged { .. }
            | ServerMessage::GuildInvited { .. }
            | ServerMessage::GuildApplied { .. }
            | ServerMessage::GuildChat { .. }
            | ServerMessage::GuildRefused { .. }
            | ServerMessage::Party(_)
            | ServerMessage::PartyInvited { .. }
            | ServerMessage::PartyEnded { .. }
            | ServerMessage::PartyRefused { .. }
            // arbiter_client hands these over as `Snapshot`s.
            | ServerMessage::DeltaSnapshot { .. } => {}
            ServerMessage::InventoryChanged(delta) => self.count_change(&delta),
            ServerMessage::Redirect { match_id, .. } => self.moved(match_id.is_some()),
            // The client keeps it, and uses it if the server goes silent.
            ServerMessage::Fallback { .. } => {}
        }
    }

    /// Now on another server of a fleet (the client followed a `Redirect` or used its `Fallback`):
    /// welcomed anew, out of any match view; on a game server (`placed`) it does not queue.
    fn moved(&mut self, placed: bool) {
        self.joined_queue = false;
        self.welcomed = false;
        self.placed = placed;
        self.view.moved();
    }

    /// Marks the moment a cheat first cheated.
    fn cheated(&mut self, now_us: u64) {
        self.stats.first_cheat_us.get_or_insert(now_us);
    }

    fn track_server_tick(&mut self, tick: u64) {
        self.next_input_tick = self.next_input_tick.max(tick + 2);
    }

    fn ms_to_ticks(&self, ms: u64) -> u64 {
        ms * u64::from(self.tick_rate_hz) / 1000
    }

    /// Counts an inventory change in the report, under its source (its reason up to the first `:`).
    fn count_change(&mut self, delta: &InventoryDelta) {
        let source = |reason: &str| reason.split(':').next().unwrap_or_default().to_owned();
        let (key, amount) = match delta {
            InventoryDelta::Added { qty, reason, .. } => (source(reason), i64::from(*qty)),
            InventoryDelta::Removed { qty, reason, .. } => (source(reason), -i64::from(*qty)),
            InventoryDelta::Equipped { .. } => ("equipped".to_owned(), 1),
            InventoryDelta::Unequipped { .. } => ("unequipped".to_owned(), 1),
            InventoryDelta::Balance {
                currency,
                delta,
                reason,
                ..
            } => (format!("{currency}:{}", source(reason)), *delta),
        };
        if matches!(delta, InventoryDelta::Added { reason, .. } if reason.starts_with(PURCHASE_REASON_PREFIX))
        {
            self.stats.purchases += 1;
        }
        *self.stats.item_changes.entry(key).or_default() += amount;
    }

    /// The weapon it fires: the one its items say (bought and equipped, or an item hacker's),
    /// else the first of the table (the starter kit's).
    fn weapon(&self) -> (u8, f32, f32) {
        let index = self.items.firing().unwrap_or(0);
        self.arsenal
            .weapons
            .get(index)
            .map_or((0, 1.0, 1.0), |weapon| {
                (index, weapon.max_range_m, weapon.fire_rate_hz)
            })
    }

    /// Fires when the behaviour says so, claiming the tick it "saw".
    fn maybe_fire(&mut self, now_us: u64) {
        let Some(map) = self.view.geometry.clone() else {
            return;
        };
        let Some(newest) = self.view.newest_tick() else {
            return;
        };
        let (weapon, range_m, fire_rate_hz) = self.weapon();
        let behind_ms = match self.behavior {
            Behavior::Backtrack => BACKTRACK_MS,
            _ => INTERPOLATION_DELAY_MS,
        };
        let Some((claimed, entities)) = self
            .view
            .at_or_before(newest.saturating_sub(self.ms_to_ticks(behind_ms)))
        else {
            return;
        };
        // An honest client's claimed ticks advance with its render clock: never closer than the
        // weapon fires. A rapid-fire cheat ignores that.
        let gap = (f64::from(self.tick_rate_hz) / f64::from(fire_rate_hz)).ceil() as u64;
        let too_soon = self
            .last_claimed_tick
            .is_some_and(|last| claimed < last + gap);
        if too_soon && self.behavior != Behavior::Rapidfire {
            return;
        }
        let Some(me) = self.view.own(entities).copied() else {
            return;
        };
        let alive_now = self
            .view
            .at_or_before(newest)
            .and_then(|(_, now)| self.view.own(now))
            .is_some_and(|own| own.alive);
        if !me.alive || !alive_now {
            return;
        }
        let (error, reaction_ms) = aim_profile(self.behavior);
        let pick = match self.behavior {
            Behavior::Wallhack => Pick::Hidden,
            Behavior::Longshot => Pick::BeyondRange,
            // Shooting at whoever is nearest in range, seen or not, as often as it can.
            Behavior::Backtrack | Behavior::Rapidfire => Pick::Nearest,
            _ => Pick::Visible,
        };
        // Honest hands fire only at opponents in sight for a reaction time by the claimed tick.
        let reacted_by = claimed.checked_sub(self.ms_to_ticks(reaction_ms));
        let opponents: Vec<_> = self
            .view
            .living_opponents(entities)
            .filter(|opponent| {
                pick != Pick::Visible
                    || reaction_ms == 0
                    || reacted_by.is_some_and(|by| self.view.in_sight_since(opponent.player_id, by))
            })
            .copied()
            .collect();
        let Some(shot) = plan_shot(
            &me,
            opponents.iter(),
            &map,
            range_m,
            pick,
            error,
            &mut self.rng,
        ) else {
            return;
        };
        self.client.send(&ClientMessage::Fire {
            client_tick: claimed,
            yaw: shot.yaw,
            pitch: shot.pitch,
            weapon,
            target: shot.target,
        });
        self.last_claimed_tick = Some(claimed);
        self.stats.shots_sent += 1;
        let cheat = match self.behavior {
            Behavior::Rapidfire => too_soon,
            Behavior::Wallhack
            | Behavior::Longshot
            | Behavior::Backtrack
            | Behavior::Itemhack
            | Behavior::Aimbot => true,
            _ => false,
        };
        if cheat {
            self.cheated(now_us);
        }
    }

    /// Heads for the nearest opponent it knows of, weaving side to side; wanders in the lobby.
    fn send_input(&mut self) {
        let heading = self
            .view
            .newest_tick()
            .and_then(|tick| self.view.at_or_before(tick))
            .and_then(|(_, entities)| {
                let me = Vec3::from_array(self.view.own(entities)?.position);
                self.view
                    .living_opponents(entities)
                    .map(|opponent| Vec3::from_array(opponent.position) - me)
                    .min_by(|left, right| left.length().total_cmp(&right.length()))
            })
            .map(|towards| yaw_pitch(towards).0);
        let wander = ((self.frame + self.seed * 97) % 628) as f32 / 100.0 - std::f32::consts::PI;
        let weave = ((self.frame + self.seed * 31) as f32 / 40.0).sin();
        self.client.send(&ClientMessage::Input(InputFrame {
            tick: self.next_input_tick,
            move_x: weave,
            move_y: 1.0,
            yaw: heading.unwrap_or(wander),
            pitch: 0.0,
            buttons: 0,
        }));
        self.next_input_tick += 1;
        self.stats.inputs_sent += 1;
    }

    /// Whether it queues: a trader or a lobby bot stays in the lobby (entering a match would cancel
    /// a trade), and a bot that has completed the matches it was asked for is finished with them.
    fn wants_a_match(&self) -> bool {
        self.behavior.queues()
            && self
                .matches_wanted
                .is_none_or(|wanted| self.stats.matches_completed < wanted)
    }

    /// Whether it has nothing left to play: gone, or no match to queue for.
    pub(super) fn finished(&self) -> bool {
        self.done || !self.wants_a_match()
    }

    /// The player id the server welcomed this bot as (0 before that).
    pub(super) fn player_id(&self) -> u64 {
        self.view.me
    }

    /// Disconnects politely at the end of the run.
    pub(super) fn leave(&mut self) {
        self.client.disconnect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bot_pings_twice_a_second_at_its_own_phase_however_slow_its_frames() {
        let seed = 12;
        let first = ping_slot_after(0, seed);
        assert!(first > 0 && first <= PING_EVERY_US);
        assert_ne!(
            ping_slot_after(0, seed + 1),
            first,
            "another bot, another phase"
        );
        // A frame on the slot and one 40 ms late move on to the same next slot.
        assert_eq!(ping_slot_after(first, seed), first + PING_EVERY_US);
        assert_eq!(ping_slot_after(first + 40_000, seed), first + PING_EVERY_US);
        // A swarm too big for its thread, at 40 frames a second, over 10 s.
        let (mut next, mut pings) = (first, 0);
        for frame in 0..400u64 {
            let now_us = frame * 25_000;
            if now_us >= next {
                pings += 1;
                next = ping_slot_after(now_us, seed);
            }
        }
        assert_eq!(pings, 20);
    }
}
