//! Guilds on the wire: the player's guild whole, each change of it, invitations, applications
//! and chat. Players are named by id.

use crate::guild::{Guild, GuildEvent, GuildRole};
use serde::{Deserialize, Serialize};

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
}

impl GuildChange {
    /// What members are told of a stored event; founding is told as the whole guild instead.
    pub fn of(event: &GuildEvent) -> Option<Self> {
        Some(match *event {
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
