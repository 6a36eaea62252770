//! How guilds are stored. A guild is a stored object of kind [`GUILD_KIND`]: one row of `guilds`
//! on the shard of its id, its members and bans packed as keyed lines (`<player> <role>`), so a
//! guild of 10,000 members loads as one value. A player's membership is a player part: one row
//! of `guild_memberships` on the player's shard, while it is in a guild.

use crate::persistence::StoredPart;
use crate::persistence::part::keyed_lines::{self, KeyedLines};
use crate::persistence::part::{Column, ColumnKind, Row, SqlValue, TableSpec};
use arbiter_components::guild::{Guild, GuildEvent, GuildRole, Membership, MembershipEvent};
use std::collections::{BTreeMap, BTreeSet};

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
        vec![vec![
            SqlValue::Text(self.name().to_owned()),
            SqlValue::Text(self.tag().to_owned()),
            SqlValue::Text(members.into_string()),
            SqlValue::Text(banned.into_string()),
        ]]
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let [row] = rows.as_slice() else {
            return Err(format!("{} guild rows for one guild", rows.len()));
        };
        let [name, tag, members, banned] = row.as_slice() else {
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
        Guild::from_parts(
            name.as_str()?.to_owned(),
            tag.as_str()?.to_owned(),
            members,
            banned,
        )
    }
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
            ]]
        };
        assert!(Guild::from_rows(row("\n7 leader\n8 leader")).is_err());
        assert!(Guild::from_rows(row("\n7 emperor")).is_err());
        assert!(Guild::from_rows(row("\nseven leader")).is_err());
    }
}
