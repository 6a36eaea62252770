//! How guilds are stored. A guild is a stored object of kind [`GUILD_KIND`]: one row of `guilds`
//! on the shard of its id, its members and bans packed as keyed lines (`<player> <role>`), so a
//! guild of 10,000 members loads as one value. A player's membership is a player part: one row
//! of `guild_memberships` on the player's shard, while it is in a guild.

use crate::persistence::StoredPart;
use crate::persistence::part::keyed_lines::{self, KeyedLines};
use crate::persistence::part::{Column, ColumnKind, Row, SqlValue, TableSpec};
use arbiter_components::guild::{
    Guild, GuildBank, GuildEvent, GuildRole, Membership, MembershipEvent,
};
use arbiter_components::inventory::InstanceId;
use arbiter_components::protocol::GuildChatLine;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The kind of a guild's stored object.
pub const GUILD_KIND: &str = "guild";

impl StoredPart for Guild {
    const NAME: &'static str = GUILD_KIND;
    const TABLE: TableSpec = TableSpec {
        name: "guilds",
        columns: &[
            Column {
                name: "name",
                kind: ColumnKind::Text,
            },
            Column {
                name: "tag",
                kind: ColumnKind::Text,
            },
            Column {
                name: "members",
                kind: ColumnKind::Text,
            },
            Column {
                name: "banned",
                kind: ColumnKind::Text,
            },
            Column {
                name: "bank",
                kind: ColumnKind::Text,
            },
            Column {
                name: "withdrawn",
                kind: ColumnKind::Text,
            },
            // The kept chat lines as a JSON array (their text is free-form), empty when none.
            // Added after the first release: older rows get '' (see `create_part_tables`).
            Column {
                name: "chat",
                kind: ColumnKind::Text,
            },
        ],
        key_columns: 0,
    };
    const EVENTS: &'static [&'static str] = GuildEvent::TYPES;
    type Event = GuildEvent;

    fn apply(&mut self, event: &GuildEvent) {
        Guild::apply(self, event);
    }

    fn to_rows(&self) -> Vec<Row> {
        if *self == Self::default() {
            return Vec::new();
        }
        let mut members = KeyedLines::with_capacity(16 * self.members().len());
        for (player, role) in self.members() {
            members.push(&player.to_string(), role.as_str());
        }
        // A ban has no more to say than its key: its line is `<player> -`.
        let mut banned = KeyedLines::with_capacity(16 * self.banned().len());
        for player in self.banned() {
            banned.push(&player.to_string(), '-');
        }
        let bank = self.bank();
        let mut held = KeyedLines::default();
        for (currency, amount) in &bank.currencies {
            held.push(&format!("{CURRENCY}{currency}"), amount);
        }
        for (item, qty) in &bank.stacks {
            held.push(&format!("{STACK}{item}"), qty);
        }
        for (instance, item) in &bank.instances {
            held.push(
                &format!("{INSTANCE}{}:{}", instance.origin, instance.serial),
                item,
            );
        }
        let mut withdrawn = KeyedLines::default();
        for (player, (day, units)) in self.withdrawn() {
            withdrawn.push(&player.to_string(), format_args!("{day} {units}"));
        }
        let chat = match self.chat().is_empty() {
            true => String::new(),
            false => serde_json::to_string(self.chat())
                .unwrap_or_else(|_| unreachable!("chat lines are plain data")),
        };
        vec![vec![
            SqlValue::Text(self.name().to_owned()),
            SqlValue::Text(self.tag().to_owned()),
            SqlValue::Text(members.into_string()),
            SqlValue::Text(banned.into_string()),
            SqlValue::Text(held.into_string()),
            SqlValue::Text(withdrawn.into_string()),
            SqlValue::Text(chat),
        ]]
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let [row] = rows.as_slice() else {
            return Err(format!("{} guild rows for one guild", rows.len()));
        };
        let [name, tag, members, banned, bank, withdrawn, chat] = row.as_slice() else {
            return Err(format!("a guild row has {} values", row.len()));
        };
        let members = keyed_lines::entries(members.as_str()?)
            .map(|entry| {
                let (player, role) = entry?;
                Ok((player_id(player)?, role_named(role)?))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        let banned = keyed_lines::entries(banned.as_str()?)
            .map(|entry| player_id(entry?.0))
            .collect::<Result<BTreeSet<_>, String>>()?;
        let withdrawn = keyed_lines::entries(withdrawn.as_str()?)
            .map(|entry| {
                let (player, rest) = entry?;
                let (day, units) = rest
                    .split_once(' ')
                    .ok_or_else(|| format!("a withdrawal without day and units: {rest:?}"))?;
                let day = day
                    .parse()
                    .map_err(|error| format!("day {day:?}: {error}"))?;
                let units = units
                    .parse()
                    .map_err(|error| format!("units {units:?}: {error}"))?;
                Ok((player_id(player)?, (day, units)))
            })
            .collect::<Result<BTreeMap<_, _>, String>>()?;
        Guild::from_parts(
            (name.as_str()?.to_owned(), tag.as_str()?.to_owned()),
            members,
            banned,
            bank_of(bank.as_str()?)?,
            withdrawn,
            chat_of(chat.as_str()?)?,
        )
    }
}

/// A bank line's key starts with what it holds: a currency, a stack or an instance.
const CURRENCY: &str = "c:";
const STACK: &str = "s:";
const INSTANCE: &str = "i:";

fn bank_of(text: &str) -> Result<GuildBank, String> {
    let mut bank = GuildBank::default();
    for entry in keyed_lines::entries(text) {
        let (key, rest) = entry?;
        let number = |text: &str| {
            text.parse::<u64>()
                .map_err(|error| format!("bank line {key} {text:?}: {error}"))
        };
        if let Some(currency) = key.strip_prefix(CURRENCY) {
            bank.currencies.insert(currency.into(), number(rest)?);
        } else if let Some(item) = key.strip_prefix(STACK) {
            let qty = u32::try_from(number(rest)?).map_err(|error| format!("{key}: {error}"))?;
            bank.stacks.insert(item.into(), qty);
        } else if let Some(instance) = key.strip_prefix(INSTANCE) {
            let (origin, serial) = instance
                .split_once(':')
                .ok_or_else(|| format!("instance {instance:?} is not ORIGIN:SERIAL"))?;
            let instance = InstanceId {
                origin: number(origin)?,
                serial: number(serial)?,
            };
            bank.instances.insert(instance, rest.into());
        } else {
            return Err(format!("a bank line of no known kind: {key:?}"));
        }
    }
    Ok(bank)
}

fn chat_of(text: &str) -> Result<VecDeque<GuildChatLine>, String> {
    if text.is_empty() {
        return Ok(VecDeque::new());
    }
    serde_json::from_str(text).map_err(|error| format!("chat lines: {error}"))
}

fn player_id(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|error| format!("player id {text:?}: {error}"))
}

fn role_named(text: &str) -> Result<GuildRole, String> {
    [GuildRole::Member, GuildRole::Officer, GuildRole::Leader]
        .into_iter()
        .find(|role| role.as_str() == text)
        .ok_or_else(|| format!("no guild role is called {text:?}"))
}

impl StoredPart for Membership {
    const NAME: &'static str = "guild_membership";
    const TABLE: TableSpec = TableSpec {
        name: "guild_memberships",
        columns: &[Column {
            name: "guild_id",
            kind: ColumnKind::Integer,
        }],
        key_columns: 0,
    };
    const EVENTS: &'static [&'static str] = &["membership_began", "membership_ended"];
    type Event = MembershipEvent;

    fn apply(&mut self, event: &MembershipEvent) {
        Membership::apply(self, event);
    }

    fn to_rows(&self) -> Vec<Row> {
        self.guild()
            .map(|guild| vec![SqlValue::Integer(guild as i64)])
            .into_iter()
            .collect()
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let [row] = rows.as_slice() else {
            return Err(format!("{} membership rows for one player", rows.len()));
        };
        let [guild] = row.as_slice() else {
            return Err(format!("a membership row has {} values", row.len()));
        };
        Ok(Membership::in_guild(guild.as_i64()? as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guild_and_a_membership_read_back_from_their_rows() {
        let mut guild = Guild::default();
        guild.apply(&GuildEvent::GuildFounded {
            name: "Iron Wolves".into(),
            tag: "IW".into(),
            leader: 7,
        });
        guild.apply(&GuildEvent::GuildJoined { player: 8, by: 7 });
        guild.apply(&GuildEvent::GuildBanned { player: 9, by: 7 });
        let mut moved = arbiter_components::guild::BankMove::default();
        moved.currencies.insert("coins".into(), 40);
        moved.items.stacks.insert("wood".into(), 3);
        let instance = InstanceId {
            origin: 7,
            serial: 2,
        };
        moved.items.instances.insert(instance, "rifle".into());
        guild.apply(&GuildEvent::GuildBankDeposited { by: 8, moved });
        let mut coins = arbiter_components::guild::BankMove::default();
        coins.currencies.insert("coins".into(), 15);
        guild.apply(&GuildEvent::GuildBankWithdrawn {
            by: 8,
            moved: coins,
            day: 20_000,
        });
        assert_eq!(Guild::from_rows(guild.to_rows()), Ok(guild));
        assert!(Guild::default().to_rows().is_empty());
        let membership = Membership::in_guild(1 << 62);
        assert_eq!(Membership::from_rows(membership.to_rows()), Ok(membership));
        assert!(Membership::default().to_rows().is_empty());
    }

    #[test]
    fn rows_that_break_a_guild_are_refused_with_why() {
        let row = |members: &str| {
            vec![vec![
                SqlValue::Text("Iron Wolves".into()),
                SqlValue::Text("IW".into()),
                SqlValue::Text(members.into()),
                SqlValue::Text(String::new()),
                SqlValue::Text(String::new()),
                SqlValue::Text(String::new()),
            ]]
        };
        assert!(Guild::from_rows(row("\n7 leader\n8 leader")).is_err());
        assert!(Guild::from_rows(row("\n7 emperor")).is_err());
        assert!(Guild::from_rows(row("\nseven leader")).is_err());
    }
}
