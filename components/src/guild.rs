//! Guilds: a named group of players with roles, stored as an object of its own (sharded by the
//! guild's id), and each player's side of it, the guild it belongs to, stored with the player.
//!
//! The guild's member list is the truth. A player's [`Membership`] is set in the same transfer
//! that adds it to a guild (both or neither, across shards and crashes), so no guild lists a
//! player whose membership names another guild; a membership left behind by a kick or a disband
//! while the player was away is found out, and cleared, when it next logs in.

mod bank;
mod request;

pub use bank::{BankMove, GuildBank};
pub use request::{
    GuildRefusal, GuildRequest, GuildRequested, MAX_CHAT_BYTES, MAX_NAME_CHARS, is_valid_name,
    is_valid_tag,
};

use crate::protocol::GuildChatLine;
use bevy_ecs::component::Component;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// Chat lines a guild keeps, at most: the largest `guilds.chat_history` allows. Members are sent
/// the last `chat_history` of them.
pub const MAX_KEPT_CHAT_LINES: usize = 1000;

/// Today: days since the Unix epoch (UTC), for the bank's daily limits. The rules have no clock;
/// the server sets it every tick.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CalendarDay(pub u32);

/// What a member may do: a leader everything, an officer invite, kick members and accept
/// applications, a member deposit and chat.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum GuildRole {
    #[default]
    Member,
    Officer,
    Leader,
}

impl GuildRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GuildRole::Member => "member",
            GuildRole::Officer => "officer",
            GuildRole::Leader => "leader",
        }
    }

    /// Whether it may invite, accept applications and kick members.
    pub fn manages_members(self) -> bool {
        self >= GuildRole::Officer
    }
}

/// A guild's id: derived from its name, lower-cased, so that a name is unique without an index
/// of all names — founding a guild of a taken name finds that guild under that id. Never 0, and
/// below 2^53: exact in a signed 64-bit column and as a JSON number, even in JavaScript.
pub fn guild_id_of(name: &str) -> u64 {
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.trim().to_lowercase().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash >> 11).max(1)
}

/// A guild's stored state: the fold of its events. A guild with no members does not exist (never
/// founded, or disbanded): its name is free again.
#[derive(Component, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guild {
    name: String,
    tag: String,
    /// Player ids and their roles; exactly one leader while the guild exists.
    members: BTreeMap<u64, GuildRole>,
    banned: BTreeSet<u64>,
    bank: GuildBank,
    /// What each member withdrew on its last day of withdrawals: `(day, units)`.
    withdrawn: BTreeMap<u64, (u32, u64)>,
    /// The last lines said in guild chat, oldest first (at most [`MAX_KEPT_CHAT_LINES`]). Shared:
    /// each flush of a changed guild copies its state in the tick, and the lines are the bulk of it,
    /// so they are copied only when a line is said while a copy is still on its way to the database.
    chat: Arc<VecDeque<GuildChatLine>>,
}

/// Something that happened to a guild, with who did it (`by`, a player id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GuildEvent {
    /// Founded by `leader`, its first member.
    GuildFounded {
        name: String,
        tag: String,
        leader: u64,
    },
    /// `player` joined: invited by `by`, or its application accepted by `by`.
    GuildJoined {
        player: u64,
        by: u64,
    },
    GuildLeft {
        player: u64,
    },
    GuildKicked {
        player: u64,
        by: u64,
    },
    /// `player` may not join again until unbanned; a member is removed.
    GuildBanned {
        player: u64,
        by: u64,
    },
    GuildUnbanned {
        player: u64,
        by: u64,
    },
    /// Promoted to officer or demoted to member.
    GuildRoleChanged {
        player: u64,
        role: GuildRole,
        by: u64,
    },
    /// The leader made `to` leader and became an officer.
    GuildLeaderChanged {
        from: u64,
        to: u64,
    },
    /// Every member left with it; bans are forgotten and the name is free. Only a guild with an
    /// empty bank is disbanded.
    GuildDisbanded {
        by: u64,
    },
    /// `by` put `moved` into the bank.
    GuildBankDeposited {
        by: u64,
        moved: BankMove,
    },
    /// `by` took `moved` out of the bank on `day` (days since the Unix epoch, UTC).
    GuildBankWithdrawn {
        by: u64,
        moved: BankMove,
        day: u32,
    },
    /// `from` said `text` in guild chat at server tick `tick`.
    GuildChatSaid {
        from: u64,
        tick: u64,
        text: String,
    },
}

impl GuildEvent {
    /// The stored `type` of each guild event.
    pub const TYPES: &'static [&'static str] = &[
        "guild_founded",
        "guild_joined",
        "guild_left",
        "guild_kicked",
        "guild_banned",
        "guild_unbanned",
        "guild_role_changed",
        "guild_leader_changed",
        "guild_disbanded",
        "guild_bank_deposited",
        "guild_bank_withdrawn",
        "guild_chat_said",
    ];

    /// Its name in metrics and logs: its stored type without the `guild_` prefix.
    pub fn kind(&self) -> &'static str {
        let index = match self {
            GuildEvent::GuildFounded { .. } => 0,
            GuildEvent::GuildJoined { .. } => 1,
            GuildEvent::GuildLeft { .. } => 2,
            GuildEvent::GuildKicked { .. } => 3,
            GuildEvent::GuildBanned { .. } => 4,
            GuildEvent::GuildUnbanned { .. } => 5,
            GuildEvent::GuildRoleChanged { .. } => 6,
            GuildEvent::GuildLeaderChanged { .. } => 7,
            GuildEvent::GuildDisbanded { .. } => 8,
            GuildEvent::GuildBankDeposited { .. } => 9,
            GuildEvent::GuildBankWithdrawn { .. } => 10,
            GuildEvent::GuildChatSaid { .. } => 11,
        };
        &Self::TYPES[index]["guild_".len()..]
    }

    /// The player it takes out of the guild, if any (the disbanding leader's members are all
    /// taken out, see [`Guild::apply`]).
    pub fn removes(&self) -> Option<u64> {
        match self {
            GuildEvent::GuildLeft { player }
            | GuildEvent::GuildKicked { player, .. }
            | GuildEvent::GuildBanned { player, .. } => Some(*player),
            _ => None,
        }
    }
}

impl Guild {
    pub fn exists(&self) -> bool {
        !self.members.is_empty()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Player ids and roles, by id.
    pub fn members(&self) -> &BTreeMap<u64, GuildRole> {
        &self.members
    }

    pub fn banned(&self) -> &BTreeSet<u64> {
        &self.banned
    }

    pub fn role_of(&self, player: u64) -> Option<GuildRole> {
        self.members.get(&player).copied()
    }

    pub fn leader(&self) -> Option<u64> {
        self.members
            .iter()
            .find(|(_, role)| **role == GuildRole::Leader)
            .map(|(player, _)| *player)
    }

    pub fn is_banned(&self, player: u64) -> bool {
        self.banned.contains(&player)
    }

    pub fn bank(&self) -> &GuildBank {
        &self.bank
    }

    /// What each member withdrew on its last day of withdrawals: `(day, units)`.
    pub fn withdrawn(&self) -> &BTreeMap<u64, (u32, u64)> {
        &self.withdrawn
    }

    /// The last lines said in guild chat, oldest first.
    pub fn chat(&self) -> &VecDeque<GuildChatLine> {
        &self.chat
    }

    /// Units `player` may still withdraw on `day` under a daily limit of `limit`.
    pub fn withdrawable(&self, player: u64, day: u32, limit: u64) -> u64 {
        let used = match self.withdrawn.get(&player) {
            Some((last, units)) if *last == day => *units,
            _ => 0,
        };
        limit.saturating_sub(used)
    }

    /// Folds one event in. Events are checked before they happen; folding trusts them.
    pub fn apply(&mut self, event: &GuildEvent) {
        match event {
            GuildEvent::GuildFounded { name, tag, leader } => {
                *self = Guild {
                    name: name.clone(),
                    tag: tag.clone(),
                    members: BTreeMap::from([(*leader, GuildRole::Leader)]),
                    ..Guild::default()
                };
            }
            GuildEvent::GuildJoined { player, .. } => {
                self.members.insert(*player, GuildRole::Member);
            }
            GuildEvent::GuildLeft { player } | GuildEvent::GuildKicked { player, .. } => {
                self.members.remove(player);
            }
            GuildEvent::GuildBanned { player, .. } => {
                self.members.remove(player);
                self.banned.insert(*player);
            }
            GuildEvent::GuildUnbanned { player, .. } => {
                self.banned.remove(player);
            }
            GuildEvent::GuildRoleChanged { player, role, .. } => {
                if let Some(held) = self.members.get_mut(player) {
                    *held = *role;
                }
            }
            GuildEvent::GuildLeaderChanged { from, to } => {
                self.members.insert(*from, GuildRole::Officer);
                self.members.insert(*to, GuildRole::Leader);
            }
            GuildEvent::GuildDisbanded { .. } => *self = Guild::default(),
            GuildEvent::GuildBankDeposited { moved, .. } => self.bank.deposit(moved),
            GuildEvent::GuildBankWithdrawn { by, moved, day } => {
                self.bank.withdraw(moved);
                let units = moved.size();
                // A day's count, never set back by an older day's withdrawal: after a crash the
                // legs of a guild's transfers may be rolled forward in another order.
                let entry = self.withdrawn.entry(*by).or_insert((*day, 0));
                *entry = match entry.0.cmp(day) {
                    std::cmp::Ordering::Equal => (*day, entry.1.saturating_add(units)),
                    std::cmp::Ordering::Less => (*day, units),
                    std::cmp::Ordering::Greater => *entry,
                };
            }
            GuildEvent::GuildChatSaid { from, tick, text } => {
                let chat = Arc::make_mut(&mut self.chat);
                chat.push_back(GuildChatLine {
                    from: *from,
                    tick: *tick,
                    text: text.clone(),
                });
                while chat.len() > MAX_KEPT_CHAT_LINES {
                    chat.pop_front();
                }
            }
        }
    }

    /// The guild as its stored rows hold it; an error if they break a guild's invariants (no
    /// name, not exactly one leader, a banned member, a bank, withdrawals or chat without members,
    /// more chat than is kept).
    pub fn from_parts(
        (name, tag): (String, String),
        members: BTreeMap<u64, GuildRole>,
        banned: BTreeSet<u64>,
        bank: GuildBank,
        withdrawn: BTreeMap<u64, (u32, u64)>,
        chat: VecDeque<GuildChatLine>,
    ) -> Result<Self, String> {
        let leaders = members
            .values()
            .filter(|role| **role == GuildRole::Leader)
            .count();
        if !members.is_empty() && leaders != 1 {
            return Err(format!("{leaders} leaders"));
        }
        if !members.is_empty() && name.is_empty() {
            return Err("a guild without a name".into());
        }
        if let Some(player) = members.keys().find(|player| banned.contains(player)) {
            return Err(format!("member {player} is banned"));
        }
        if members.is_empty()
            && !(bank.is_empty() && withdrawn.is_empty() && banned.is_empty() && chat.is_empty())
        {
            return Err("a guild without members holds a bank, bans, withdrawals or chat".into());
        }
        if chat.len() > MAX_KEPT_CHAT_LINES {
            return Err(format!("{} chat lines kept", chat.len()));
        }
        Ok(Self {
            name,
            tag,
            members,
            banned,
            bank,
            withdrawn,
            chat: Arc::new(chat),
        })
    }
}

/// A player's side of guild membership, stored with the player: the guild it joined last and has
/// not left. See the module's documentation for why it can be stale, and how that is resolved.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    guild: Option<u64>,
}

/// A change of a player's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MembershipEvent {
    /// Joined (or founded) `guild`.
    MembershipBegan { guild: u64 },
    /// Left `guild`, was removed from it, or it was disbanded.
    MembershipEnded { guild: u64 },
}

impl Membership {
    pub fn guild(&self) -> Option<u64> {
        self.guild
    }

    pub fn in_guild(guild: u64) -> Self {
        Self { guild: Some(guild) }
    }

    pub fn apply(&mut self, event: &MembershipEvent) {
        match event {
            MembershipEvent::MembershipBegan { guild } => self.guild = Some(*guild),
            MembershipEvent::MembershipEnded { guild } => {
                if self.guild == Some(*guild) {
                    self.guild = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_and_its_other_cases_name_the_same_guild() {
        let id = guild_id_of("Iron Wolves");
        assert_eq!(id, guild_id_of("iron wolves"));
        assert_eq!(id, guild_id_of("  IRON WOLVES "));
        assert_ne!(id, guild_id_of("Iron Wolf"));
        assert!(id > 0 && id < 1 << 53);
    }

    #[test]
    fn withdrawals_of_two_days_count_the_later_day_in_either_order() {
        let withdrawal = |day, amount| GuildEvent::GuildBankWithdrawn {
            by: 7,
            moved: BankMove {
                currencies: BTreeMap::from([("coins".into(), amount)]),
                ..BankMove::default()
            },
            day,
        };
        let (earlier, later) = (withdrawal(5, 30), withdrawal(6, 20));
        let folded = |events: [&GuildEvent; 3]| {
            let mut guild = Guild::default();
            for event in events {
                guild.apply(event);
            }
            guild.withdrawn().clone()
        };
        let later_again = withdrawal(6, 5);
        let in_order = folded([&earlier, &later, &later_again]);
        assert_eq!(in_order, BTreeMap::from([(7, (6, 25))]));
        assert_eq!(folded([&later, &earlier, &later_again]), in_order);
        assert_eq!(folded([&later, &later_again, &earlier]), in_order);
    }

    #[test]
    fn founding_joining_and_disbanding_fold_into_the_member_list() {
        let mut guild = Guild::default();
        assert!(!guild.exists());
        guild.apply(&GuildEvent::GuildFounded {
            name: "Iron Wolves".into(),
            tag: "IW".into(),
            leader: 1,
        });
        guild.apply(&GuildEvent::GuildJoined { player: 2, by: 1 });
        guild.apply(&GuildEvent::GuildJoined { player: 3, by: 1 });
        guild.apply(&GuildEvent::GuildRoleChanged {
            player: 2,
            role: GuildRole::Officer,
            by: 1,
        });
        guild.apply(&GuildEvent::GuildBanned { player: 3, by: 2 });
        guild.apply(&GuildEvent::GuildLeaderChanged { from: 1, to: 2 });
        guild.apply(&GuildEvent::GuildChatSaid {
            from: 2,
            tick: 40,
            text: "hello".into(),
        });
        assert_eq!(guild.leader(), Some(2));
        assert_eq!(guild.chat().len(), 1);
        assert_eq!(guild.role_of(1), Some(GuildRole::Officer));
        assert_eq!(guild.role_of(3), None);
        assert!(guild.is_banned(3));
        let rebuilt = Guild::from_parts(
            (guild.name().into(), guild.tag().into()),
            guild.members().clone(),
            guild.banned().clone(),
            guild.bank().clone(),
            guild.withdrawn().clone(),
            guild.chat().clone(),
        );
        assert_eq!(rebuilt, Ok(guild.clone()));
        guild.apply(&GuildEvent::GuildDisbanded { by: 2 });
        assert_eq!(guild, Guild::default());
    }

    #[test]
    fn stored_rows_with_two_leaders_or_a_banned_member_are_refused() {
        let refused = |members, banned| {
            let names = ("a".to_owned(), "A".to_owned());
            Guild::from_parts(
                names,
                members,
                banned,
                GuildBank::default(),
                BTreeMap::new(),
                VecDeque::new(),
            )
            .is_err()
        };
        let two = BTreeMap::from([(1, GuildRole::Leader), (2, GuildRole::Leader)]);
        assert!(refused(two, BTreeSet::new()));
        let one = BTreeMap::from([(1, GuildRole::Leader)]);
        assert!(refused(one, BTreeSet::from([1])));
    }

    #[test]
    fn chat_keeps_the_last_lines_said_and_a_disband_forgets_them() {
        let mut guild = Guild::default();
        guild.apply(&GuildEvent::GuildFounded {
            name: "a".into(),
            tag: "A".into(),
            leader: 1,
        });
        for tick in 0..MAX_KEPT_CHAT_LINES as u64 + 5 {
            guild.apply(&GuildEvent::GuildChatSaid {
                from: 1,
                tick,
                text: format!("line {tick}"),
            });
        }
        assert_eq!(guild.chat().len(), MAX_KEPT_CHAT_LINES);
        assert_eq!(guild.chat().front().map(|line| line.tick), Some(5));
        guild.apply(&GuildEvent::GuildDisbanded { by: 1 });
        assert!(guild.chat().is_empty());
    }

    #[test]
    fn withdrawals_count_against_the_day_they_were_made_on() {
        let mut guild = Guild::default();
        guild.apply(&GuildEvent::GuildFounded {
            name: "a".into(),
            tag: "A".into(),
            leader: 1,
        });
        let coins = |amount| BankMove {
            currencies: BTreeMap::from([("coins".into(), amount)]),
            ..BankMove::default()
        };
        let withdraw = |amount, day| GuildEvent::GuildBankWithdrawn {
            by: 1,
            moved: coins(amount),
            day,
        };
        let deposit = GuildEvent::GuildBankDeposited {
            by: 1,
            moved: coins(100),
        };
        guild.apply(&deposit);
        assert!(guild.bank().holds(&coins(100)) && !guild.bank().holds(&coins(101)));
        guild.apply(&withdraw(30, 7));
        guild.apply(&withdraw(20, 7));
        assert_eq!(guild.withdrawable(1, 7, 60), 10);
        assert_eq!(guild.withdrawable(1, 8, 60), 60, "a new day, a new limit");
        assert_eq!(guild.bank().currencies["coins"], 50);
        guild.apply(&withdraw(50, 8));
        assert!(guild.bank().is_empty(), "nothing left is nothing held");
        assert_eq!(guild.withdrawn()[&1], (8, 50));
    }

    #[test]
    fn a_membership_ends_only_for_the_guild_it_names() {
        let mut membership = Membership::default();
        membership.apply(&MembershipEvent::MembershipBegan { guild: 5 });
        membership.apply(&MembershipEvent::MembershipEnded { guild: 6 });
        assert_eq!(membership.guild(), Some(5));
        membership.apply(&MembershipEvent::MembershipEnded { guild: 5 });
        assert_eq!(membership.guild(), None);
    }

    #[test]
    fn every_event_has_a_distinct_stored_type() {
        let events = [
            GuildEvent::GuildFounded {
                name: "a".into(),
                tag: "A".into(),
                leader: 1,
            },
            GuildEvent::GuildJoined { player: 2, by: 1 },
            GuildEvent::GuildLeft { player: 2 },
            GuildEvent::GuildKicked { player: 2, by: 1 },
            GuildEvent::GuildBanned { player: 2, by: 1 },
            GuildEvent::GuildUnbanned { player: 2, by: 1 },
            GuildEvent::GuildRoleChanged {
                player: 2,
                role: GuildRole::Officer,
                by: 1,
            },
            GuildEvent::GuildLeaderChanged { from: 1, to: 2 },
            GuildEvent::GuildDisbanded { by: 1 },
            GuildEvent::GuildBankDeposited {
                by: 1,
                moved: BankMove::default(),
            },
            GuildEvent::GuildBankWithdrawn {
                by: 1,
                moved: BankMove::default(),
                day: 1,
            },
            GuildEvent::GuildChatSaid {
                from: 1,
                tick: 2,
                text: "hi".into(),
            },
        ];
        assert_eq!(events.len(), GuildEvent::TYPES.len());
        for (event, stored) in events.iter().zip(GuildEvent::TYPES) {
            let json = serde_json::to_value(event).expect("serializes");
            assert_eq!(json["type"], *stored);
            assert_eq!(format!("guild_{}", event.kind()), *stored);
        }
    }
}
