//! Guilds on the wire: the player's guild whole, each change of it, invitations, applications
//! and chat. Players are named by id.

use crate::guild::{BankMove, Guild, GuildBank, GuildEvent, GuildRole};
use crate::inventory::InstanceId;
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::collections::BTreeMap;

/// One member as its guild's other members see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildMemberView {
    pub player_id: u64,
    pub role: GuildRole,
    pub online: bool,
}

/// The client's guild, whole: when it comes online in one, founds or joins one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildView {
    pub guild: u64,
    pub name: String,
    pub tag: String,
    /// By player id.
    pub members: Vec<GuildMemberView>,
    pub bank: BankView,
}

impl GuildView {
    /// `guild` (id `id`), its members online as `online` says.
    pub fn new(id: u64, guild: &Guild, online: impl Fn(u64) -> bool) -> Self {
        Self {
            guild: id,
            name: guild.name().to_owned(),
            tag: guild.tag().to_owned(),
            members: guild
                .members()
                .iter()
                .map(|(player_id, role)| GuildMemberView {
                    player_id: *player_id,
                    role: *role,
                    online: online(*player_id),
                })
                .collect(),
            bank: BankView::of_bank(guild.bank()),
        }
    }
}

/// One change of the client's guild, with who made it (`by`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuildChange {
    Joined {
        player_id: u64,
        by: u64,
    },
    Left {
        player_id: u64,
    },
    Kicked {
        player_id: u64,
        by: u64,
    },
    Banned {
        player_id: u64,
        by: u64,
    },
    Unbanned {
        player_id: u64,
        by: u64,
    },
    RoleChanged {
        player_id: u64,
        role: GuildRole,
        by: u64,
    },
    LeaderChanged {
        from: u64,
        to: u64,
    },
    /// The guild is gone; so is the client's membership.
    Disbanded {
        by: u64,
    },
    /// A member came online or went offline.
    Online {
        player_id: u64,
        online: bool,
    },
    /// `player_id` put `moved` into the bank.
    BankDeposited {
        player_id: u64,
        moved: BankView,
    },
    /// `player_id` took `moved` out of the bank.
    BankWithdrawn {
        player_id: u64,
        moved: BankView,
    },
}

/// Items and currencies in a guild's bank, or moving in or out of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankView {
    /// Units of stackable items: `(item, units)`.
    pub stacks: Vec<(SmolStr, u32)>,
    /// Instances: `(id, item)`.
    pub instances: Vec<(InstanceId, SmolStr)>,
    /// `(currency, amount)`.
    pub currencies: Vec<(SmolStr, u64)>,
}

impl BankView {
    pub fn of_bank(bank: &GuildBank) -> Self {
        Self::of(&bank.stacks, &bank.instances, &bank.currencies)
    }

    pub fn of_move(moved: &BankMove) -> Self {
        Self::of(
            &moved.items.stacks,
            &moved.items.instances,
            &moved.currencies,
        )
    }

    fn of(
        stacks: &BTreeMap<SmolStr, u32>,
        instances: &BTreeMap<InstanceId, SmolStr>,
        currencies: &BTreeMap<SmolStr, u64>,
    ) -> Self {
        Self {
            stacks: stacks.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            instances: instances.iter().map(|(k, v)| (*k, v.clone())).collect(),
            currencies: currencies.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }
}

impl GuildChange {
    /// Its name, and the player it is about (the new leader for `LeaderChanged`, who disbanded for
    /// `Disbanded`).
    pub fn describe(&self) -> (&'static str, u64) {
        match *self {
            GuildChange::Joined { player_id, .. } => ("joined", player_id),
            GuildChange::Left { player_id } => ("left", player_id),
            GuildChange::Kicked { player_id, .. } => ("kicked", player_id),
            GuildChange::Banned { player_id, .. } => ("banned", player_id),
            GuildChange::Unbanned { player_id, .. } => ("unbanned", player_id),
            GuildChange::RoleChanged { player_id, .. } => ("role_changed", player_id),
            GuildChange::LeaderChanged { to, .. } => ("leader_changed", to),
            GuildChange::Disbanded { by } => ("disbanded", by),
            GuildChange::Online { player_id, .. } => ("online", player_id),
            GuildChange::BankDeposited { player_id, .. } => ("bank_deposited", player_id),
            GuildChange::BankWithdrawn { player_id, .. } => ("bank_withdrawn", player_id),
        }
    }

    /// What members are told of a stored event; founding is told as the whole guild instead.
    pub fn of(event: &GuildEvent) -> Option<Self> {
        Some(match *event {
            GuildEvent::GuildBankDeposited { by, ref moved } => GuildChange::BankDeposited {
                player_id: by,
                moved: BankView::of_move(moved),
            },
            GuildEvent::GuildBankWithdrawn { by, ref moved, .. } => GuildChange::BankWithdrawn {
                player_id: by,
                moved: BankView::of_move(moved),
            },
            GuildEvent::GuildFounded { .. } => return None,
            GuildEvent::GuildJoined { player, by } => GuildChange::Joined {
                player_id: player,
                by,
            },
            GuildEvent::GuildLeft { player } => GuildChange::Left { player_id: player },
            GuildEvent::GuildKicked { player, by } => GuildChange::Kicked {
                player_id: player,
                by,
            },
            GuildEvent::GuildBanned { player, by } => GuildChange::Banned {
                player_id: player,
                by,
            },
            GuildEvent::GuildUnbanned { player, by } => GuildChange::Unbanned {
                player_id: player,
                by,
            },
            GuildEvent::GuildRoleChanged { player, role, by } => GuildChange::RoleChanged {
                player_id: player,
                role,
                by,
            },
            GuildEvent::GuildLeaderChanged { from, to } => GuildChange::LeaderChanged { from, to },
            GuildEvent::GuildDisbanded { by } => GuildChange::Disbanded { by },
            // Told as `GuildChat`, not as a change of the guild.
            GuildEvent::GuildChatSaid { .. } => return None,
        })
    }
}

/// A chat line of the client's guild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuildChatLine {
    pub from: u64,
    /// The server tick it was said at (clients know the server's tick from `Welcome` and
    /// snapshots).
    pub tick: u64,
    pub text: String,
}
