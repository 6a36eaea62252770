//! The matchmaking queue: waiting tickets indexed by skill bucket, matched with mutual acceptance.
//!
//! **Rules.** A ticket is one player or a party, and holds that many *seats*; a match is exactly
//! `match_size` seats that split into two teams with every party whole on one team. A ticket's bucket is `⌊rating / bucket_width⌋`. Its search radius is 0 when it enters
//! and grows by its bucket's *speed* (1 or more buckets) every `expand_every_ticks`, up to
//! `max_radius`; the speed follows the population seen around the bucket and the target wait
//! (see `queue/pace.rs`). A ticket *accepts* a match
//! when every member's bucket is within its own radius of its own bucket; a match is formed only if
//! every member accepts it, so a long wait widens that ticket's window but never drags a fresh,
//! far-rated player into its lobby. Among possible matches the queue takes the one whose tickets
//! have waited longest in total (per seat), then the one with the smallest bucket span. Within a
//! bucket range the oldest tickets are taken, skipping one only when the match could then not be
//! filled (see [`packing`](super::packing)).
//!
//! **Cost.** Within a bucket, tickets are kept oldest first, and a ticket's *level* (intervals
//! waited) only grows with age while its radius is the level times a speed shared by the whole
//! bucket, so the tickets of a bucket that accept a distance `d` are a prefix; each bucket keeps
//! `at_level[l]`, the seats of the prefix at level `l` or more, which answers for any speed. Whether a bucket range `[lo, hi]` has the seats for a match is then a sum
//! over its buckets, without looking at a single ticket. Tickets are kept in one lane per party
//! size, so forming a match reads only the few oldest of each size. A tick examines only *dirty* buckets — those that got
//! a ticket or in which a ticket's radius grew (found by binary search in a tick-ordered FIFO) —
//! because any match that became possible must contain such a ticket. Work per tick follows what
//! changed, not how many tickets wait.

mod pace;

use super::packing::{max_party_size, pick, team_capacities};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use bevy_platform::collections::HashMap;
use pace::{BucketPace, need, warm_up_factor};
use std::collections::VecDeque;

/// The queue's settings, in buckets and ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueParams {
    pub bucket_width: u32,
    pub match_size: u32,
    pub expand_every_ticks: u64,
    pub max_radius: u32,
    pub timeout_ticks: u64,
    /// The wait within which a ticket should find its match: buckets whose neighbourhood sees too
    /// few arrivals for that widen faster (see `queue/pace.rs`). 0: every bucket widens at the plain pace.
    pub target_wait_ticks: u64,
}

/// A ticket as the queue holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedTicket {
    pub ticket: Entity,
    pub mode: u16,
    pub rating: i32,
    /// Players on the ticket: 1, or a party's size.
    pub seats: u32,
    pub enqueued_tick: u64,
}

/// Tickets that will play together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormedMatch {
    pub mode: u16,
    pub tickets: Vec<QueuedTicket>,
}

/// What one tick of matchmaking decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickOutcome {
    pub matches: Vec<FormedMatch>,
    pub timed_out: Vec<QueuedTicket>,
}

/// Where a waiting ticket sits in the queue. [`MatchmakingQueue::enqueue`] hands it out; the ticket
/// entity keeps it (it is a component) so the ticket can be removed without a lookup table.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TicketHandle {
    slot: u32,
    generation: u32,
}

/// A ticket in a bucket: everything forming a match reads, so matching never touches the slot.
#[derive(Debug, Clone, Copy)]
struct Entry {
    handle: TicketHandle,
    tick: u64,
    ticket: Entity,
    rating: i32,
    seats: u32,
}

#[derive(Debug, Clone, Copy)]
struct FifoEntry {
    tick: u64,
    handle: TicketHandle,
}

/// What the queue knows of a ticket beyond its bucket entry; read on timeouts, radius growth and
/// removals, never while forming matches.
#[derive(Debug, Clone)]
struct Slot {
    ticket: QueuedTicket,
    bucket: i32,
    /// Expansion intervals waited, up to `max_radius`: the radius is this times the bucket's speed.
    level: u32,
}

/// The tickets of one size in a bucket.
#[derive(Debug)]
struct Lane {
    seats: u32,
    /// Oldest first; entries of removed tickets stay until they reach the front or are compacted.
    entries: VecDeque<Entry>,
    live: u32,
}

impl Lane {
    fn drop_dead_front(&mut self, generations: &[u32]) {
        while self
            .entries
            .front()
            .is_some_and(|entry| !is_live(generations, entry.handle))
        {
            self.entries.pop_front();
        }
    }

    fn oldest_live(&self, generations: &[u32]) -> Option<u64> {
        self.entries
            .iter()
            .find(|entry| is_live(generations, entry.handle))
            .map(|entry| entry.tick)
    }
}

#[derive(Debug, Default)]
struct Bucket {
    /// One per ticket size present; solo tickets almost always alone.
    lanes: Vec<Lane>,
    live: u32,
    /// `at_level[l]`: seats of the live tickets whose level is at least `l`.
    at_level: Vec<u32>,
    /// Buckets of radius per level, the same for every ticket here (from [`BucketPace`]).
    speed: u32,
    dirty: bool,
}

impl Bucket {
    /// Seats of the live tickets whose radius reaches `distance` (at most `max_radius`).
    fn eligible(&self, distance: u32, max_radius: u32) -> u32 {
        if distance > max_radius {
            return 0;
        }
        self.at_level
            .get(level_for(distance, self.speed) as usize)
            .copied()
            .unwrap_or(0)
    }

    fn oldest_live(&self, generations: &[u32]) -> Option<u64> {
        self.lanes
            .iter()
            .filter_map(|lane| lane.oldest_live(generations))
            .min()
    }
}

#[derive(Debug, Default)]
struct ModeQueue {
    buckets: HashMap<i32, Bucket>,
    /// Every bucket that has seen an arrival, emptied or not.
    paces: HashMap<i32, BucketPace>,
    /// The tick of the first arrival counted in `paces`.
    observed_since: Option<u64>,
    dirty: Vec<i32>,
}

/// Waiting tickets and the matching rules. One per server, all modes inside.
#[derive(Resource, Debug)]
pub struct MatchmakingQueue {
    params: QueueParams,
    slots: Vec<Slot>,
    /// One per slot, bumped when the slot is freed: a handle is live while its generation matches.
    /// Kept apart from the slots so liveness checks stay in cache.
    generations: Vec<u32>,
    free: Vec<u32>,
    waiting: usize,
    /// Waiting tickets of two or more players.
    parties_waiting: usize,
    /// Every ticket, oldest first by the tick its wait counts from (ticks never decrease), for
    /// timeouts and radius growth.
    fifo: VecDeque<FifoEntry>,
    modes: HashMap<u16, ModeQueue>,
    /// The modes with a dirty bucket, each once: a tick visits only these, not every mode that
    /// ever had a ticket.
    dirty_modes: Vec<u16>,
    last_tick: u64,
    /// Scratch for the tickets a bucket range offers, kept between searches.
    offered: Vec<(i32, Entry)>,
}

/// A candidate match: the tickets it would take (with their buckets) and how it ranks.
struct Candidate {
    /// Enqueue ticks summed over seats: every candidate has `match_size` seats, so lower is older.
    total_enqueue_ticks: u128,
    span: i32,
    lo: i32,
    picked: Vec<(i32, Entry)>,
}

impl MatchmakingQueue {
    pub fn new(params: QueueParams) -> Self {
        Self {
            params: sanitize(params),
            slots: Vec::new(),
            generations: Vec::new(),
            free: Vec::new(),
            waiting: 0,
            parties_waiting: 0,
            fifo: VecDeque::new(),
            modes: HashMap::default(),
            dirty_modes: Vec::new(),
            last_tick: 0,
            offered: Vec::new(),
        }
    }

    /// A queue with room for `tickets` waiting tickets before it reallocates.
    pub fn with_capacity(params: QueueParams, tickets: usize) -> Self {
        let mut queue = Self::new(params);
        queue.slots.reserve(tickets);
        queue.generations.reserve(tickets);
        queue.fifo.reserve(tickets);
        queue
    }

    pub fn params(&self) -> QueueParams {
        self.params
    }

    /// Tickets waiting, all modes.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// Party tickets (two or more players) waiting, all modes.
    pub fn parties_waiting(&self) -> usize {
        self.parties_waiting
    }

    pub fn contains(&self, handle: TicketHandle) -> bool {
        self.is_live(handle)
    }

    /// Adds a ticket, waiting from `ticket.enqueued_tick` (the current tick). O(1). Keep the handle:
    /// it is what [`remove`](Self::remove) takes.
    ///
    /// Tickets enter in time order: one stamped earlier than the newest waiting ticket or the last
    /// tick run is treated as entering then, so the oldest-first order the index relies on holds.
    pub fn enqueue(&mut self, ticket: QueuedTicket) -> TicketHandle {
        self.enqueue_having_waited(ticket, 0)
    }

    /// Adds a ticket that already waited `waited_ticks` for a match that did not happen (its game
    /// server never started it): it takes its place among the tickets as if it had never left —
    /// same age, same radius — but keeps at least one expansion interval before its timeout, so a
    /// player who waited long is not timed out the moment it is back. Costs a move of the tickets
    /// younger than it (insertion into time order); `waited_ticks` 0 is [`enqueue`](Self::enqueue).
    pub fn enqueue_having_waited(
        &mut self,
        mut ticket: QueuedTicket,
        waited_ticks: u64,
    ) -> TicketHandle {
        let newest = self
            .fifo
            .back()
            .map_or(self.last_tick, |entry| entry.tick.max(self.last_tick));
        let now = ticket.enqueued_tick.max(newest);
        let longest_wait = self
            .params
            .timeout_ticks
            .saturating_sub(self.params.expand_every_ticks);
        ticket.enqueued_tick = now.saturating_sub(waited_ticks.min(longest_wait));
        let handle = self.allocate(ticket);
        self.slots[handle.slot as usize].level = self.level_at(ticket.enqueued_tick);
        let entry = FifoEntry {
            tick: ticket.enqueued_tick,
            handle,
        };
        insert_in_time_order(&mut self.fifo, entry, |entry| entry.tick);
        self.waiting += 1;
        self.parties_waiting += usize::from(ticket.seats > 1);
        self.arrive(handle, now);
        handle
    }

    /// Removes a waiting ticket (left the queue, disconnected). O(1). Returns whether it was waiting.
    pub fn remove(&mut self, handle: TicketHandle) -> bool {
        if !self.is_live(handle) {
            return false;
        }
        let slot = &self.slots[handle.slot as usize];
        let (mode, bucket, level) = (slot.ticket.mode, slot.bucket, slot.level);
        self.release(mode, bucket, handle, level, slot.ticket.seats);
        true
    }

    /// Applies new settings to every waiting ticket (re-bucketed, radii recomputed; the population
    /// counts start again from the waiting tickets, as if they had just arrived in order).
    pub fn set_params(&mut self, params: QueueParams) {
        let params = sanitize(params);
        if params == self.params {
            return;
        }
        let regroup = params.bucket_width != self.params.bucket_width
            || params.max_radius != self.params.max_radius
            || params.expand_every_ticks != self.params.expand_every_ticks
            || params.target_wait_ticks != self.params.target_wait_ticks;
        self.params = params;
        if regroup {
            self.modes.clear();
            self.dirty_modes.clear();
            let handles: Vec<TicketHandle> = self.fifo.iter().map(|entry| entry.handle).collect();
            for handle in handles {
                if self.is_live(handle) {
                    let slot = &mut self.slots[handle.slot as usize];
                    slot.level = 0;
                    let arrived = slot.ticket.enqueued_tick;
                    self.arrive(handle, arrived);
                }
            }
            self.grow_radii(0, self.last_tick);
        } else {
            for (mode_id, mode) in &mut self.modes {
                let keys: Vec<i32> = mode.buckets.keys().copied().collect();
                for key in keys {
                    mark_dirty(&mut self.dirty_modes, *mode_id, mode, key);
                }
            }
        }
    }

    /// One tick at `now`: drops timed-out tickets, widens radii, forms every match that became possible.
    pub fn run_tick(&mut self, now: u64) -> TickOutcome {
        let mut outcome = TickOutcome::default();
        self.expire(now, &mut outcome.timed_out);
        self.grow_radii(self.last_tick, now);
        self.last_tick = now;
        let mut modes = std::mem::take(&mut self.dirty_modes);
        // In a fixed order, whatever order their buckets were marked in.
        modes.sort_unstable();
        for mode in modes.drain(..) {
            self.match_mode(mode, &mut outcome.matches);
        }
        self.dirty_modes = modes;
        outcome
    }

    /// The tick a waiting ticket's wait counts from.
    pub fn waiting_since(&self, handle: TicketHandle) -> Option<u64> {
        self.is_live(handle)
            .then(|| self.slots[handle.slot as usize].ticket.enqueued_tick)
    }

    /// Radius of a waiting ticket at the last tick run (for tests and diagnostics).
    pub fn radius_of(&self, handle: TicketHandle) -> Option<u32> {
        self.is_live(handle)
            .then(|| self.slot_radius(&self.slots[handle.slot as usize]))
    }

    /// Every waiting ticket with its current radius, for invariant checks.
    pub fn waiting_tickets(&self) -> impl Iterator<Item = (QueuedTicket, u32)> + '_ {
        self.fifo
            .iter()
            .filter(|entry| self.is_live(entry.handle))
            .map(|entry| {
                let slot = &self.slots[entry.handle.slot as usize];
                (slot.ticket, self.slot_radius(slot))
            })
    }

    /// Buckets of radius per expansion interval for tickets of `bucket` in `mode` (1 where no
    /// ticket has arrived yet).
    pub fn widening_speed(&self, mode: u16, bucket: i32) -> u32 {
        self.modes
            .get(&mode)
            .and_then(|mode| mode.paces.get(&bucket))
            .map_or(1, |pace| pace.speed.max(1))
    }

    fn slot_radius(&self, slot: &Slot) -> u32 {
        radius(
            slot.level,
            self.widening_speed(slot.ticket.mode, slot.bucket),
            self.params.max_radius,
        )
    }

    /// Bucket of a rating under the current settings.
    pub fn bucket_of(&self, rating: i32) -> i32 {
        rating.div_euclid(self.params.bucket_width as i32)
    }

    /// Expansion intervals waited by a ticket enqueued at `enqueued_tick`, up to the maximum radius.
    fn level_at(&self, enqueued_tick: u64) -> u32 {
        let intervals =
            self.last_tick.saturating_sub(enqueued_tick) / self.params.expand_every_ticks;
        intervals.min(u64::from(self.params.max_radius)) as u32
    }

    fn allocate(&mut self, ticket: QueuedTicket) -> TicketHandle {
        let slot = Slot {
            ticket,
            bucket: self.bucket_of(ticket.rating),
            level: 0,
        };
        match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = slot;
                TicketHandle {
                    slot: index,
                    generation: self.generations[index as usize],
                }
            }
            None => {
                self.slots.push(slot);
                self.generations.push(0);
                TicketHandle {
                    slot: (self.slots.len() - 1) as u32,
                    generation: 0,
                }
            }
        }
    }

    /// Counts a live ticket's arrival at `now` in its bucket's population, then puts it in its
    /// bucket in time order (at the back, unless it had waited before), counted at its current level.
    fn arrive(&mut self, handle: TicketHandle, now: u64) {
        let params = self.params;
        let levels = params.max_radius as usize + 1;
        let slot = &mut self.slots[handle.slot as usize];
        slot.bucket = slot.ticket.rating.div_euclid(params.bucket_width as i32);
        let mode_id = slot.ticket.mode;
        let mode = self.modes.entry(mode_id).or_default();
        let speed = update_pace(mode, slot.bucket, slot.ticket.seats, now, params);
        let bucket = mode.buckets.entry(slot.bucket).or_default();
        bucket.speed = speed;
        bucket.at_level.resize(levels, 0);
        let seats = slot.ticket.seats;
        let lane = match bucket.lanes.iter().position(|lane| lane.seats == seats) {
            Some(index) => &mut bucket.lanes[index],
            None => {
                bucket.lanes.push(Lane {
                    seats,
                    entries: VecDeque::new(),
                    live: 0,
                });
                bucket
                    .lanes
                    .last_mut()
                    .unwrap_or_else(|| unreachable!("just pushed"))
            }
        };
        let entry = Entry {
            handle,
            tick: slot.ticket.enqueued_tick,
            ticket: slot.ticket.ticket,
            rating: slot.ticket.rating,
            seats,
        };
        insert_in_time_order(&mut lane.entries, entry, |entry| entry.tick);
        lane.live += 1;
        bucket.live += 1;
        for level in 0..=slot.level as usize {
            bucket.at_level[level] += seats;
        }
        mark_dirty(&mut self.dirty_modes, mode_id, mode, slot.bucket);
    }

    /// Frees a live ticket's slot and takes it out of its bucket's counts. Its level and seats
    /// come from the caller, who has them at hand: reading the slot here would cost a cache miss
    /// per matched ticket.
    fn release(
        &mut self,
        mode_id: u16,
        bucket_id: i32,
        handle: TicketHandle,
        level: u32,
        seats: u32,
    ) {
        debug_assert_eq!(
            (
                self.slots[handle.slot as usize].level,
                self.slots[handle.slot as usize].ticket.seats
            ),
            (level, seats),
            "tracked and derived level and seats agree"
        );
        let generation = &mut self.generations[handle.slot as usize];
        *generation = generation.wrapping_add(1);
        self.free.push(handle.slot);
        self.waiting -= 1;
        self.parties_waiting -= usize::from(seats > 1);
        let Some(mode) = self.modes.get_mut(&mode_id) else {
            return;
        };
        let Some(bucket) = mode.buckets.get_mut(&bucket_id) else {
            return;
        };
        bucket.live -= 1;
        for counted in &mut bucket.at_level[..=level as usize] {
            *counted -= seats;
        }
        if bucket.live == 0 {
            mode.buckets.remove(&bucket_id);
            return;
        }
        let Some(index) = bucket.lanes.iter().position(|lane| lane.seats == seats) else {
            return;
        };
        let lane = &mut bucket.lanes[index];
        lane.live -= 1;
        if lane.live == 0 {
            bucket.lanes.swap_remove(index);
        } else if lane.entries.len() > 2 * lane.live as usize + 32 {
            let generations = &self.generations;
            lane.entries
                .retain(|entry| is_live(generations, entry.handle));
        }
    }

    fn is_live(&self, handle: TicketHandle) -> bool {
        is_live(&self.generations, handle)
    }

    fn expire(&mut self, now: u64, timed_out: &mut Vec<QueuedTicket>) {
        while let Some(entry) = self.fifo.front().copied() {
            if !self.is_live(entry.handle) {
                self.fifo.pop_front();
            } else if now.saturating_sub(entry.tick) >= self.params.timeout_ticks {
                let slot = &self.slots[entry.handle.slot as usize];
                timed_out.push(slot.ticket);
                let (mode, bucket, level) = (slot.ticket.mode, slot.bucket, slot.level);
                let seats = slot.ticket.seats;
                self.release(mode, bucket, entry.handle, level, seats);
                self.fifo.pop_front();
            } else {
                break;
            }
        }
    }

    /// Raises the level of every ticket that crossed an expansion boundary in `(from, to]`.
    fn grow_radii(&mut self, from: u64, to: u64) {
        let every = self.params.expand_every_ticks;
        for level in 1..=u64::from(self.params.max_radius) {
            let Some(newest) = to.checked_sub(level * every) else {
                break;
            };
            let start = match from.checked_sub(level * every) {
                Some(tick) => self.fifo.partition_point(|entry| entry.tick <= tick),
                None => 0,
            };
            let end = self.fifo.partition_point(|entry| entry.tick <= newest);
            for position in start..end {
                let handle = self.fifo[position].handle;
                if self.is_live(handle) {
                    self.raise_level(handle.slot, level as u32);
                }
            }
        }
    }

    fn raise_level(&mut self, index: u32, level: u32) {
        let slot = &mut self.slots[index as usize];
        if slot.level >= level {
            return;
        }
        let Some(mode) = self.modes.get_mut(&slot.ticket.mode) else {
            return;
        };
        let Some(bucket) = mode.buckets.get_mut(&slot.bucket) else {
            return;
        };
        for counted in &mut bucket.at_level[slot.level as usize + 1..=level as usize] {
            *counted += slot.ticket.seats;
        }
        slot.level = level;
        mark_dirty(&mut self.dirty_modes, slot.ticket.mode, mode, slot.bucket);
    }

    fn match_mode(&mut self, mode_id: u16, matches: &mut Vec<FormedMatch>) {
        let Some(mode) = self.modes.get_mut(&mode_id) else {
            return;
        };
        let mut dirty = std::mem::take(&mut mode.dirty);
        // Oldest waiting first, for fairness between buckets.
        let oldest = |mode: &ModeQueue, generations: &[u32], bucket: i32| {
            mode.buckets
                .get(&bucket)
                .and_then(|bucket| bucket.oldest_live(generations))
                .unwrap_or(u64::MAX)
        };
        dirty.sort_by_key(|bucket| (oldest(mode, &self.generations, *bucket), *bucket));
        for bucket_id in dirty {
            if let Some(bucket) = self
                .modes
                .get_mut(&mode_id)
                .and_then(|mode| mode.buckets.get_mut(&bucket_id))
            {
                bucket.dirty = false;
            }
            while let Some(candidate) = self.best_match_through(mode_id, bucket_id) {
                let tickets = candidate
                    .picked
                    .iter()
                    .map(|(_, entry)| QueuedTicket {
                        ticket: entry.ticket,
                        mode: mode_id,
                        rating: entry.rating,
                        seats: entry.seats,
                        enqueued_tick: entry.tick,
                    })
                    .collect();
                for (bucket, entry) in candidate.picked {
                    let level = self.level_at(entry.tick);
                    self.release(mode_id, bucket, entry.handle, level, entry.seats);
                }
                matches.push(FormedMatch {
                    mode: mode_id,
                    tickets,
                });
            }
        }
    }

    /// The best match whose bucket range contains `bucket_id`, if any.
    fn best_match_through(&mut self, mode_id: u16, bucket_id: i32) -> Option<Candidate> {
        let (oldest_tick, speed) = {
            let bucket = self.modes.get_mut(&mode_id)?.buckets.get_mut(&bucket_id)?;
            for lane in &mut bucket.lanes {
                lane.drop_dead_front(&self.generations);
            }
            bucket
                .lanes
                .iter()
                .filter_map(|lane| lane.entries.front())
                .map(|entry| entry.tick)
                .min()
                .map(|tick| (tick, bucket.speed))?
        };
        // The oldest ticket has the largest radius: no range wider than it can use this bucket.
        let max_radius = self.params.max_radius;
        let reach = radius(self.level_at(oldest_tick), speed, max_radius) as i32;
        // One buffer for every range's offer: a tick tries many ranges.
        let mut offered = std::mem::take(&mut self.offered);
        let Some(mode) = self.modes.get(&mode_id) else {
            self.offered = offered;
            return None;
        };
        let max_span = max_radius as i32;
        let needed = self.params.match_size;
        // Every bucket within reach, looked up once.
        let window: Vec<Option<&Bucket>> = (bucket_id - reach..=bucket_id + reach)
            .map(|bucket| mode.buckets.get(&bucket))
            .collect();
        let eligible = |bucket: i32, distance: i32| -> u32 {
            window[(bucket - (bucket_id - reach)) as usize]
                .map_or(0, |bucket| bucket.eligible(distance as u32, max_radius))
        };
        let mut best: Option<Candidate> = None;
        for lo in bucket_id - reach..=bucket_id {
            for hi in bucket_id..=(bucket_id + reach).min(lo + max_span) {
                let span = hi - lo;
                // A range with an empty end is dominated by the narrower one inside it.
                if span > 0 && (eligible(lo, span) == 0 || eligible(hi, span) == 0) {
                    continue;
                }
                let count: u32 = (lo..=hi)
                    .map(|bucket| eligible(bucket, (bucket - lo).max(hi - bucket)))
                    .sum();
                if count < needed {
                    continue;
                }
                let Some((total_enqueue_ticks, span)) = self.select(mode, lo, hi, &mut offered)
                else {
                    continue;
                };
                let rank = (total_enqueue_ticks, span, lo);
                match &mut best {
                    Some(best) if rank >= (best.total_enqueue_ticks, best.span, best.lo) => {}
                    Some(best) => {
                        (best.total_enqueue_ticks, best.span, best.lo) = rank;
                        best.picked.clear();
                        best.picked.extend_from_slice(&offered);
                    }
                    None => {
                        best = Some(Candidate {
                            total_enqueue_ticks,
                            span,
                            lo,
                            picked: offered.clone(),
                        });
                    }
                }
            }
        }
        self.offered = offered;
        best
    }

    /// The oldest tickets of `[lo, hi]` that accept the range and fill a match exactly, if any do:
    /// left in `offered`, with the rank of the match they make (seat-weighted enqueue ticks, span).
    fn select(
        &self,
        mode: &ModeQueue,
        lo: i32,
        hi: i32,
        offered: &mut Vec<(i32, Entry)>,
    ) -> Option<(u128, i32)> {
        let match_size = self.params.match_size;
        let largest_party = max_party_size(match_size).max(1);
        offered.clear();
        for bucket_id in lo..=hi {
            let Some(bucket) = mode.buckets.get(&bucket_id) else {
                continue;
            };
            let level = level_for((bucket_id - lo).max(hi - bucket_id) as u32, bucket.speed);
            for lane in bucket
                .lanes
                .iter()
                .filter(|lane| lane.seats <= largest_party)
            {
                // A match holds at most this many tickets of the lane's size.
                let usable = (match_size / lane.seats) as usize;
                offered.extend(
                    lane.entries
                        .iter()
                        .filter(|entry| is_live(&self.generations, entry.handle))
                        .take_while(|entry| self.level_at(entry.tick) >= level)
                        .take(usable)
                        .map(|entry| (bucket_id, *entry)),
                );
            }
        }
        offered.sort_unstable_by_key(|(_, entry)| (entry.tick, entry.handle.slot));
        if offered.iter().all(|(_, entry)| entry.seats == 1) {
            // Solo players only (the common case): the oldest fill the match.
            if offered.len() < match_size as usize {
                return None;
            }
            offered.truncate(match_size as usize);
        } else {
            let seats: Vec<u32> = offered.iter().map(|(_, entry)| entry.seats).collect();
            let chosen = pick(&seats, team_capacities(match_size))?;
            let mut next = chosen.into_iter().peekable();
            let mut index = 0;
            offered.retain(|_| {
                let keep = next.next_if_eq(&index).is_some();
                index += 1;
                keep
            });
        }
        let buckets = offered.iter().map(|(bucket, _)| *bucket);
        let span = buckets.clone().max().unwrap_or(lo) - buckets.min().unwrap_or(lo);
        let total_enqueue_ticks = offered
            .iter()
            .map(|(_, entry)| u128::from(entry.tick) * u128::from(entry.seats))
            .sum();
        Some((total_enqueue_ticks, span))
    }
}

/// Puts `item` after every item of `items` (oldest first) not younger than it: at the back, in
/// O(1), unless it is older than the newest; otherwise the younger ones move (the fewer side).
fn insert_in_time_order<T>(items: &mut VecDeque<T>, item: T, tick: impl Fn(&T) -> u64) {
    let at = tick(&item);
    if items.back().is_none_or(|newest| tick(newest) <= at) {
        items.push_back(item);
    } else {
        let position = items.partition_point(|other| tick(other) <= at);
        items.insert(position, item);
    }
}

fn is_live(generations: &[u32], handle: TicketHandle) -> bool {
    generations.get(handle.slot as usize) == Some(&handle.generation)
}

/// Marks a bucket of mode `mode_id` for the next tick's matching, and the mode with its first.
fn mark_dirty(dirty_modes: &mut Vec<u16>, mode_id: u16, mode: &mut ModeQueue, bucket_id: i32) {
    if let Some(bucket) = mode.buckets.get_mut(&bucket_id)
        && !bucket.dirty
    {
        bucket.dirty = true;
        if mode.dirty.is_empty() {
            dirty_modes.push(mode_id);
        }
        mode.dirty.push(bucket_id);
    }
}

/// Keeps the arithmetic well-defined whatever the config says (it is validated there too).
fn sanitize(params: QueueParams) -> QueueParams {
    QueueParams {
        bucket_width: params.bucket_width.max(1),
        match_size: params.match_size.max(1),
        expand_every_ticks: params.expand_every_ticks.max(1),
        max_radius: params.max_radius,
        timeout_ticks: params.timeout_ticks.max(1),
        target_wait_ticks: params.target_wait_ticks,
    }
}

/// A ticket's radius: its level times its bucket's speed, up to the maximum.
fn radius(level: u32, speed: u32, max_radius: u32) -> u32 {
    level.saturating_mul(speed).min(max_radius)
}

/// The level from which tickets of a bucket widening at `speed` reach `distance`.
fn level_for(distance: u32, speed: u32) -> u32 {
    distance.div_ceil(speed.max(1))
}

/// Counts `seats` arriving in `bucket` at `now` and returns the bucket's speed, recomputed from
/// the population around it when it is an expansion interval old: its own need, or a neighbour's
/// whose window covers it — a sparse bucket's tickets can only match players nearer the crowd if
/// those players widen as far.
fn update_pace(
    mode: &mut ModeQueue,
    bucket: i32,
    seats: u32,
    now: u64,
    params: QueueParams,
) -> u32 {
    let target = params.target_wait_ticks;
    if target == 0 {
        // No target wait: every bucket widens at the plain speed, and nobody needs the counts.
        return 1;
    }
    let pace = mode.paces.entry(bucket).or_default();
    pace.record(seats, now, target);
    if !pace.stale(now, params.expand_every_ticks) {
        return pace.speed;
    }
    let since = *mode.observed_since.get_or_insert(now);
    let warm_up = warm_up_factor(now.saturating_sub(since), target);
    let (paces, waiting) = (&mode.paces, &mode.buckets);
    let at = |distance: u32| {
        [bucket - distance as i32, bucket + distance as i32]
            .into_iter()
            .take(if distance == 0 { 1 } else { 2 })
    };
    let own_need = need(&params, |distance| {
        at(distance)
            .filter_map(|other| paces.get(&other))
            .map(|pace| pace.rate(now, target) * warm_up)
            .sum::<f64>()
    });
    // Only neighbours with tickets waiting ask for company.
    let covering = (1..=params.max_radius)
        .flat_map(|distance| {
            at(distance)
                .filter(|other| waiting.contains_key(other))
                .filter_map(|other| paces.get(&other))
                .map(move |pace| pace.need_reaching(distance, &params))
        })
        .max()
        .unwrap_or(0);
    let pace = mode.paces.entry(bucket).or_default();
    pace.set_speed(own_need, covering, now);
    pace.speed
}

#[cfg(test)]
mod tests;
