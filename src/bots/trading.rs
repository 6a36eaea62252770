//! What a trading bot does: pairs of bots trade random tradable items and coins back and forth.
//! A trader offers part of what it holds and accepts once both sides offered; a duper plays the
//! same game with a trick per trade (a stale accept, an offer switched right after the other side
//! accepted, an offered item used or discarded at once, a disconnect mid-settlement) and must gain
//! nothing by it.

use super::rng::BotRng;
use crate::cli::Behavior;
use arbiter_client::inventory::OwnedItems;
use arbiter_client::protocol::{
    ClientMessage, ItemRequest, ServerMessage, TradeOffer, TradeOutcome,
};
use arbiter_client::trade::TradeTracker;
use arbiter_components::items::Catalog;
use arbiter_components::shop::Shop;
use arbiter_components::trade::{TradePhase, TradeRequest};
use std::collections::BTreeMap;

/// The currency bots trade.
const COINS: &str = "coins";
/// Frames an inviter waits after a trade ends (or an invitation is refused) before the next one.
const PAUSE_FRAMES: u64 = 20;
/// A duper disconnects in the middle of settling its trade after this many settled ones.
const DISCONNECT_AFTER_SETTLED: u64 = 3;

/// The duper's trick for one trade, in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trick {
    /// Accept a version that is not the current one.
    StaleAccept,
    /// Replace its offer the moment the other side accepted, and accept the old version.
    SwitchAfterAccept,
    /// Under review, use, discard or spend what it offered.
    UseOffered,
}

const TRICKS: [Trick; 3] = [
    Trick::StaleAccept,
    Trick::SwitchAfterAccept,
    Trick::UseOffered,
];

/// What trading did for one bot.
#[derive(Debug, Default, Clone)]
pub(super) struct TradeStats {
    pub(super) settled: u64,
    /// Trades that ended unsettled, by the server's reason.
    pub(super) cancelled: BTreeMap<String, u64>,
    /// Refused trade requests, by the server's reason.
    pub(super) refusals: BTreeMap<String, u64>,
    /// Per settled trade: microseconds from this bot's accept under review to its `TradeEnded`.
    pub(super) settle_us: BTreeMap<u64, u64>,
    /// It disconnected right after its last accept (a duper's last trick).
    pub(super) walked_out: bool,
}

/// What the bot did in the trade in progress (the trade itself is its tracker's).
#[derive(Debug, Clone)]
struct Following {
    trade: u64,
    offered: bool,
    /// Its offer was not empty: it accepts only once the server shows it (an accept of the
    /// version before its own offer would be stale).
    offered_something: bool,
    /// The version it last accepted.
    accepted: Option<u32>,
    trick_done: bool,
    /// When it accepted under review.
    review_accept_us: Option<u64>,
}

/// A bot's trading: its partner, the trade it follows, its tricks.
#[derive(Debug, Clone)]
pub(super) struct BotTrades {
    duper: bool,
    /// The partner's player id and whether this bot invites it.
    partner: Option<(u64, bool)>,
    tracker: TradeTracker,
    following: Option<Following>,
    inviting: bool,
    next_invite_frame: u64,
    tradable: Vec<String>,
    /// A shop offer priced in coins: what a duper tries to buy with coins it offered.
    coin_offer: Option<String>,
    rng: BotRng,
    /// The duper disconnects now.
    pub(super) leaving: bool,
    pub(super) stats: TradeStats,
}

impl BotTrades {
    pub(super) fn new(behavior: Behavior, seed: u64, catalog: &Catalog, shop: &Shop) -> Self {
        Self {
            duper: behavior == Behavior::Duper,
            partner: None,
            tracker: TradeTracker::default(),
            following: None,
            inviting: false,
            next_invite_frame: 0,
            tradable: catalog
                .items
                .iter()
                .filter(|item| item.tradable)
                .map(|item| item.id.clone())
                .collect(),
            coin_offer: shop
                .offers
                .iter()
                .find(|offer| offer.currency == COINS)
                .map(|offer| offer.id.clone()),
            rng: BotRng::new(seed ^ 0x7472_6164_6572),
            leaving: false,
            stats: TradeStats::default(),
        }
    }

    /// Pairs this bot with `partner`; the one with `invites` sends the invitations.
    pub(super) fn pair(&mut self, partner: u64, invites: bool) {
        self.partner = Some((partner, invites));
    }

    pub(super) fn is_paired(&self) -> bool {
        self.partner.is_some()
    }

    /// Folds a server message in.
    pub(super) fn observe(&mut self, message: &ServerMessage, frame: u64, now_us: u64) {
        self.tracker.observe(message);
        match message {
            ServerMessage::TradeChanged(view) => {
                self.inviting = false;
                match &self.following {
                    Some(following) if following.trade == view.trade => {}
                    _ => {
                        self.following = Some(Following {
                            trade: view.trade,
                            offered: false,
                            offered_something: false,
                            accepted: None,
                            trick_done: false,
                            review_accept_us: None,
                        });
                    }
                }
            }
            ServerMessage::TradeEnded { trade, outcome } => {
                let Some(following) = self.following.take_if(|f| f.trade == *trade) else {
                    return;
                };
                match outcome {
                    TradeOutcome::Settled { .. } => {
                        self.stats.settled += 1;
                        if let Some(at) = following.review_accept_us {
                            self.stats
                                .settle_us
                                .insert(*trade, now_us.saturating_sub(at));
                        }
                    }
                    TradeOutcome::Cancelled(reason) => {
                        *self
                            .stats
                            .cancelled
                            .entry(reason.as_str().to_owned())
                            .or_default() += 1;
                    }
                }
                self.next_invite_frame = frame + PAUSE_FRAMES;
            }
            ServerMessage::TradeRefused { request, reason } => {
                *self
                    .stats
                    .refusals
                    .entry(reason.as_str().to_owned())
                    .or_default() += 1;
                if matches!(request, TradeRequest::Invite { .. }) {
                    self.inviting = false;
                    self.next_invite_frame = frame + PAUSE_FRAMES;
                }
            }
            _ => {}
        }
    }

    /// What to send this frame.
    pub(super) fn requests(
        &mut self,
        frame: u64,
        now_us: u64,
        owned: &OwnedItems,
    ) -> Vec<ClientMessage> {
        let Some((partner, invites)) = self.partner else {
            return Vec::new();
        };
        if !owned.known || self.leaving {
            return Vec::new();
        }
        let Some(mut following) = self.following.take() else {
            if invites && !self.inviting && frame >= self.next_invite_frame {
                self.inviting = true;
                return vec![trade(TradeRequest::Invite { player_id: partner })];
            }
            return Vec::new();
        };
        let sent = self.follow(&mut following, now_us, owned);
        self.following = Some(following);
        sent
    }

    fn follow(
        &mut self,
        following: &mut Following,
        now_us: u64,
        owned: &OwnedItems,
    ) -> Vec<ClientMessage> {
        let (Some(view), Some(side)) = (self.tracker.current().cloned(), self.tracker.my_side())
        else {
            return Vec::new();
        };
        let (id, version) = (view.trade, view.version);
        let trick = self.duper.then(|| {
            TRICKS[(self.stats.settled as usize
                + self.stats.cancelled.values().sum::<u64>() as usize)
                % TRICKS.len()]
        });
        let mine = &view.sides[side];
        let theirs = &view.sides[1 - side];
        let mut sent = Vec::new();
        match view.phase {
            TradePhase::Invited if side == 1 && following.accepted.is_none() => {
                following.accepted = Some(version);
                sent.push(trade(TradeRequest::Respond {
                    trade: id,
                    accept: true,
                }));
            }
            TradePhase::Offer if !following.offered => {
                following.offered = true;
                let (offer, something) = self.offer(id, owned);
                following.offered_something = something;
                sent.push(offer);
            }
            TradePhase::Offer
                if trick == Some(Trick::SwitchAfterAccept)
                    && theirs.accepted
                    && !following.trick_done =>
            {
                following.trick_done = true;
                sent.push(self.offer(id, owned).0);
                sent.push(accept(id, version));
            }
            TradePhase::Offer | TradePhase::Review
                if following.accepted != Some(version)
                    // A switching duper waits for the other side to accept first.
                    && !(trick == Some(Trick::SwitchAfterAccept)
                        && !following.trick_done
                        && view.phase == TradePhase::Offer)
                    && !mine.accepted
                    && (offers(mine) || !following.offered_something)
                    && (offers(theirs) || theirs.accepted) =>
            {
                if trick == Some(Trick::StaleAccept) && !following.trick_done {
                    following.trick_done = true;
                    sent.push(accept(id, version.wrapping_add(7)));
                }
                if view.phase == TradePhase::Review {
                    if trick == Some(Trick::UseOffered) && !following.trick_done {
                        following.trick_done = true;
                        sent.extend(self.use_offered(mine));
                    }
                    following.review_accept_us = Some(now_us);
                }
                following.accepted = Some(version);
                sent.push(accept(id, version));
                self.leaving = self.duper
                    && view.phase == TradePhase::Review
                    && self.stats.settled >= DISCONNECT_AFTER_SETTLED;
                self.stats.walked_out = self.leaving;
            }
            _ => {}
        }
        sent
    }

    /// A random part of what it holds: some units of a tradable stack, perhaps an instance, and
    /// up to half its coins (never all, so it always has something to offer next time); and
    /// whether that is anything.
    fn offer(&mut self, id: u64, owned: &OwnedItems) -> (ClientMessage, bool) {
        let stacks: Vec<(String, u32)> = owned
            .inventory
            .stacks()
            .iter()
            .filter(|(item, qty)| **qty > 0 && self.tradable.iter().any(|id| id == *item))
            .map(|(item, qty)| (item.to_string(), *qty))
            .collect();
        let instances: Vec<_> = owned
            .inventory
            .instances()
            .iter()
            .filter(|(_, item)| self.tradable.iter().any(|id| id == *item))
            .map(|(instance, _)| *instance)
            .collect();
        let mut pick = |len: usize| (self.rng.unit() * len as f32) as usize % len.max(1);
        let stack = (!stacks.is_empty()).then(|| {
            let (item, held) = stacks[pick(stacks.len())].clone();
            (item, 1 + pick(held as usize) as u32)
        });
        let instance =
            (!instances.is_empty() && pick(2) == 0).then(|| instances[pick(instances.len())]);
        let coins = owned.balance(COINS) / 2;
        let coins = (coins > 0).then(|| (COINS.to_owned(), 1 + pick(coins as usize) as u64));
        let something = stack.is_some() || instance.is_some() || coins.is_some();
        let offer = trade(TradeRequest::SetOffer {
            trade: id,
            stacks: stack.into_iter().collect(),
            instances: instance.into_iter().collect(),
            currencies: coins.into_iter().collect(),
        });
        (offer, something)
    }

    /// A duper's try at what it offered, while it is frozen under review: each must be refused.
    fn use_offered(&self, mine: &TradeOffer) -> Vec<ClientMessage> {
        let discard_stack = mine.stacks.first().map(|(item, qty)| ItemRequest::Discard {
            item: item.to_string(),
            qty: *qty,
            instance: None,
        });
        let discard_instance =
            mine.instances
                .first()
                .map(|(instance, item)| ItemRequest::Discard {
                    item: item.to_string(),
                    qty: 1,
                    instance: Some(*instance),
                });
        let spend = (!mine.currencies.is_empty())
            .then(|| self.coin_offer.clone())
            .flatten()
            .map(|offer| ItemRequest::Buy { offer });
        [discard_stack, discard_instance, spend]
            .into_iter()
            .flatten()
            .map(ClientMessage::Item)
            .collect()
    }
}

/// Whether a side offers anything.
fn offers(side: &TradeOffer) -> bool {
    !(side.stacks.is_empty() && side.instances.is_empty() && side.currencies.is_empty())
}

fn trade(request: TradeRequest) -> ClientMessage {
    ClientMessage::Trade(request)
}

fn accept(trade: u64, version: u32) -> ClientMessage {
    ClientMessage::Trade(TradeRequest::Accept { trade, version })
}
