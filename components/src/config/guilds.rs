use super::invalid::{InvalidSetting, check_range};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// `[guilds]`: what founding a guild costs, how big one may grow, and its chat's limits. Hot: a
/// smaller `max_members` refuses new members from the next tick and never removes one.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GuildSettings {
    /// The currency founding a guild is paid in (a currency of the catalog).
    pub price_currency: String,
    /// What founding a guild costs (0–10^9; 0: free).
    pub price: u64,
    /// Members a guild may have, its leader included (2–10000).
    pub max_members: u32,
    /// Seconds an invitation or an application waits for its answer (10–3600).
    pub invite_secs: u32,
    /// Bytes a chat message may hold (1–2000).
    pub chat_max_bytes: u32,
    /// Chat messages a member may send per minute (1–600).
    pub chat_per_minute: u32,
    /// Chat messages a guild keeps, delivered to a member when it comes online (0–1000).
    pub chat_history: u32,
    /// Units (items and currencies together) a member may withdraw from the bank per day
    /// (0–10^12; 0: none). A leader's withdrawals are not limited.
    pub bank_daily_limit_member: u64,
    /// The same for an officer.
    pub bank_daily_limit_officer: u64,
    /// Members whose mean rating ranks a guild on the rating guild leaderboard (1–100). Restart.
    pub board_top_members: u32,
}

impl Default for GuildSettings {
    fn default() -> Self {
        Self {
            price_currency: "coins".into(),
            price: 100,
            max_members: 100,
            invite_secs: 60,
            chat_max_bytes: 256,
            chat_per_minute: 20,
            chat_history: 100,
            bank_daily_limit_member: 100,
            bank_daily_limit_officer: 1000,
            board_top_members: 5,
        }
    }
}

impl GuildSettings {
    /// Units a member of `role` may withdraw per day (`u64::MAX` for the leader: no limit).
    pub fn daily_limit(&self, role: crate::guild::GuildRole) -> u64 {
        match role {
            crate::guild::GuildRole::Member => self.bank_daily_limit_member,
            crate::guild::GuildRole::Officer => self.bank_daily_limit_officer,
            crate::guild::GuildRole::Leader => u64::MAX,
        }
    }

    pub fn validate(&self) -> Result<(), InvalidSetting> {
        check_range("guilds.price", self.price, 0..=1_000_000_000)?;
        check_range("guilds.max_members", self.max_members, 2..=10_000)?;
        check_range("guilds.invite_secs", self.invite_secs, 10..=3600)?;
        check_range("guilds.chat_max_bytes", self.chat_max_bytes, 1..=2000)?;
        check_range("guilds.chat_per_minute", self.chat_per_minute, 1..=600)?;
        check_range("guilds.chat_history", self.chat_history, 0..=1000)?;
        let limit = 0..=1_000_000_000_000;
        check_range(
            "guilds.bank_daily_limit_member",
            self.bank_daily_limit_member,
            limit.clone(),
        )?;
        check_range(
            "guilds.bank_daily_limit_officer",
            self.bank_daily_limit_officer,
            limit,
        )?;
        check_range("guilds.board_top_members", self.board_top_members, 1..=100)?;
        if self.price_currency.is_empty() {
            return Err(InvalidSetting::new(
                "guilds.price_currency",
                "is empty; name a currency of the catalog",
            ));
        }
        Ok(())
    }
}
