//! What a social bot does besides playing honestly: social bots form guilds in groups of
//! [`GROUP`] (in the order they are added, the first of each founds one, the others apply and
//! its founder accepts them), then chat, deposit and withdraw coins now and then. Each request
//! is timed from its sending to the server's answer that shows it done (or refused).

use super::rng::BotRng;
use arbiter_client::guild::GuildTracker;
use arbiter_client::protocol::{
    ClientMessage, GuildChange, GuildRefusal, GuildRequest, ServerMessage,
};
use arbiter_components::guild::guild_id_of;
use std::collections::BTreeMap;

/// Bots per guild.
pub(super) const GROUP: usize = 5;
/// Frames between two guild requests of one bot (1.5 s at 60 frames a second: with a quarter of
/// them chat, 10 lines a minute, within the default `[guilds] chat_per_minute`).
const EVERY_FRAMES: u64 = 90;
/// Frames an unanswered request waits before the bot stops waiting for it (it counts as lost).
const ANSWER_FRAMES: u64 = 600;
const COINS: &str = "coins";

/// The bot's part in its group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Role {
    /// Founds the guild `name`.
    Founder { name: String },
    /// Applies to the guild its founder names `name`.
    Joiner { name: String },
}

/// What guild play did for one bot.
#[derive(Debug, Default, Clone)]
pub(super) struct GuildStats {
    /// Requests answered as done, by kind.
    pub(super) done: BTreeMap<String, u64>,
    /// Refused requests, by the server's reason.
    pub(super) refusals: BTreeMap<String, u64>,
    /// Microseconds from each timed request to its answer, by the request's kind.
    pub(super) answer_us: Vec<(&'static str, u64)>,
    /// Requests never answered within [`ANSWER_FRAMES`].
    pub(super) unanswered: u64,
    /// Chat lines heard (its own included).
    pub(super) chat_heard: u64,
}

/// A request on its way: what it was, when it left, at which frame.
#[derive(Debug, Clone)]
struct Asked {
    kind: &'static str,
    sent_us: u64,
    frame: u64,
}

#[derive(Debug, Clone)]
pub(super) struct BotGuild {
    role: Option<Role>,
    me: u64,
    tracker: GuildTracker,
    rng: BotRng,
    asked: Option<Asked>,
    next_frame: u64,
    /// Its role's daily limit is used up: it stops withdrawing.
    limit_reached: bool,
    pub(super) stats: GuildStats,
}

impl BotGuild {
    pub(super) fn new(seed: u64) -> Self {
        Self {
            role: None,
            me: 0,
            tracker: GuildTracker::default(),
            rng: BotRng::new(seed.rotate_left(17)),
            asked: None,
            next_frame: 0,
            limit_reached: false,
            stats: GuildStats::default(),
        }
    }

    /// Gives the bot its part (social bots only; the others never ask anything of guilds).
    pub(super) fn assign(&mut self, role: Role) {
        self.role = Some(role);
    }

    /// Its guild's other members, by id (none without a guild).
    pub(super) fn other_members(&self) -> Vec<u64> {
        self.tracker.guild().map_or_else(Vec::new, |guild| {
            guild
                .members
                .iter()
                .map(|member| member.player_id)
                .filter(|id| *id != self.me)
                .collect()
        })
    }

    /// Folds in a server message; ends the request in flight if this answers it.
    pub(super) fn observe(&mut self, message: &ServerMessage, now_us: u64) {
        if let ServerMessage::Welcome { player_id, .. } = message {
            self.me = *player_id;
        }
        if !self.tracker.observe(message) || self.role.is_none() {
            return;
        }
        let me = self.me;
        let answered = match message {
            ServerMessage::Guild(_) => Some(Ok("joined")),
            ServerMessage::GuildChat { lines, .. } => {
                self.stats.chat_heard += lines.len() as u64;
                lines
                    .iter()
                    .any(|line| line.from == me)
                    .then_some(Ok("chat"))
            }
            ServerMessage::GuildChanged { change, .. } => match change {
                GuildChange::BankDeposited { player_id, .. } if *player_id == me => {
                    Some(Ok("deposit"))
                }
                GuildChange::BankWithdrawn { player_id, .. } if *player_id == me => {
                    Some(Ok("withdraw"))
                }
                GuildChange::Joined { by, .. } if *by == me => Some(Ok("accept")),
                _ => None,
            },
            ServerMessage::GuildRefused { reason, .. } => {
                self.limit_reached |= matches!(reason, GuildRefusal::OverDailyLimit { .. });
                Some(Err(reason.as_str()))
            }
            _ => None,
        };
        let Some(answered) = answered else {
            return;
        };
        // The guild whole answers a founding as much as an accepted application.
        let founded = self
            .asked
            .as_ref()
            .is_some_and(|asked| asked.kind == "create");
        match answered {
            Ok("joined") if founded => *self.stats.done.entry("create".into()).or_default() += 1,
            Ok(kind) => *self.stats.done.entry(kind.to_owned()).or_default() += 1,
            Err(reason) => *self.stats.refusals.entry(reason.to_owned()).or_default() += 1,
        }
        // An application is answered by a person's decision, not by the server alone: it is not
        // timed.
        if let Some(asked) = self.asked.take()
            && asked.kind != "apply"
        {
            self.stats
                .answer_us
                .push((asked.kind, now_us.saturating_sub(asked.sent_us)));
        }
    }

    /// What it asks this frame, if anything: one request in flight at a time.
    pub(super) fn requests(&mut self, frame: u64, now_us: u64) -> Option<ClientMessage> {
        let role = self.role.clone()?;
        if self.me == 0 || frame < self.next_frame {
            return None;
        }
        if let Some(asked) = &self.asked {
            if frame.saturating_sub(asked.frame) < ANSWER_FRAMES {
                return None;
            }
            self.stats.unanswered += u64::from(asked.kind != "apply");
            self.asked = None;
        }
        self.next_frame = frame + EVERY_FRAMES;
        let (kind, request) = self.choose(&role)?;
        self.asked = Some(Asked {
            kind,
            sent_us: now_us,
            frame,
        });
        Some(request)
    }

    fn choose(&mut self, role: &Role) -> Option<(&'static str, ClientMessage)> {
        let guild = |request| ClientMessage::Guild(request);
        let Some(view) = self.tracker.guild() else {
            return Some(match role {
                Role::Founder { name } => (
                    "create",
                    guild(GuildRequest::Create {
                        name: name.clone(),
                        tag: "BOTS".into(),
                    }),
                ),
                Role::Joiner { name } => (
                    "apply",
                    guild(GuildRequest::Apply {
                        guild: guild_id_of(name),
                    }),
                ),
            });
        };
        if let Some(applicant) = self.tracker.applicants().first().copied() {
            return Some(("accept", self.tracker.answer_application(applicant, true)));
        }
        let banked = view
            .bank
            .currencies
            .iter()
            .find(|(currency, _)| currency == COINS)
            .map_or(0, |(_, amount)| *amount);
        let roll = self.rng.unit();
        let coins = |amount| vec![(COINS.to_owned(), amount)];
        Some(if roll < 0.25 {
            let text = format!("frame {} from {}", self.next_frame, self.me);
            ("chat", guild(GuildRequest::Chat { text }))
        } else if roll < 0.625 || banked < 3 || self.limit_reached {
            let deposit = GuildRequest::Deposit {
                stacks: Vec::new(),
                instances: Vec::new(),
                currencies: coins(5),
            };
            ("deposit", guild(deposit))
        } else {
            let withdraw = GuildRequest::Withdraw {
                stacks: Vec::new(),
                instances: Vec::new(),
                currencies: coins(3),
            };
            ("withdraw", guild(withdraw))
        })
    }
}
