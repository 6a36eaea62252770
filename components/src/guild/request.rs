//! What a player asks of its guild, and why the server may refuse it.

use crate::inventory::{InstanceId, InventoryError};
use crate::protocol::lines_well_formed;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;
use serde::{Deserialize, Serialize};

/// The longest guild name, in characters (at least 3).
pub const MAX_NAME_CHARS: usize = 24;
/// The longest tag, in characters (at least 2).
const MAX_TAG_CHARS: usize = 5;
/// The most bytes a chat message may hold on the wire; `[guilds] chat_max_bytes` is the limit the
/// server applies (at most this).
pub const MAX_CHAT_BYTES: usize = 2000;

/// A guild request. Players are named by id; the guild a request acts on is the player's own,
/// except for an application and the answer to an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuildRequest {
    /// Founds a guild, paying its price; the founder becomes its leader. `name`: 3–24 letters,
    /// digits or spaces, unique whatever the case; `tag`: 2–5 letters or digits.
    Create {
        name: String,
        tag: String,
    },
    /// Invites an online player without a guild (leader or officer).
    Invite {
        player_id: u64,
    },
    /// The invited player's answer.
    AnswerInvite {
        guild: u64,
        accept: bool,
    },
    /// Asks to join guild `guild`; its online leader and officers are told.
    Apply {
        guild: u64,
    },
    /// A leader's or officer's answer to an application (the applicant must still be online).
    AnswerApplication {
        player_id: u64,
        accept: bool,
    },
    /// Leaves the guild (a leader only when alone: then the guild is disbanded).
    Leave,
    /// Removes a member (an officer: members only; the leader: anyone).
    Kick {
        player_id: u64,
    },
    /// Removes a member if it is one and keeps it from joining again (leader or officer, as kick).
    Ban {
        player_id: u64,
    },
    Unban {
        player_id: u64,
    },
    /// Makes a member an officer (leader).
    Promote {
        player_id: u64,
    },
    /// Makes an officer a member (leader).
    Demote {
        player_id: u64,
    },
    /// Makes a member the leader; the old leader becomes an officer (leader).
    TransferLeadership {
        player_id: u64,
    },
    /// Ends the guild (leader).
    Disband,
    /// Says `text` to every online member.
    Chat {
        text: String,
    },
    /// Puts units of stackable items, instances and amounts of currencies into the guild's bank
    /// (any member; tradable items only).
    Deposit {
        stacks: Vec<(String, u32)>,
        instances: Vec<InstanceId>,
        currencies: Vec<(String, u64)>,
    },
    /// Takes them out of the bank (up to the daily limit of the member's role).
    Withdraw {
        stacks: Vec<(String, u32)>,
        instances: Vec<InstanceId>,
        currencies: Vec<(String, u64)>,
    },
}

impl GuildRequest {
    /// Whether its texts are of a possible size; anything else is a malformed message (the
    /// characters of a name or tag are the rules' to refuse, with a reason).
    pub fn is_well_formed(&self) -> bool {
        match self {
            GuildRequest::Create { name, tag } => {
                name.len() <= MAX_NAME_CHARS * 4 && tag.len() <= MAX_TAG_CHARS * 4
            }
            GuildRequest::Chat { text } => text.len() <= MAX_CHAT_BYTES,
            GuildRequest::Deposit {
                stacks,
                instances,
                currencies,
            }
            | GuildRequest::Withdraw {
                stacks,
                instances,
                currencies,
            } => lines_well_formed(stacks, instances, currencies),
            _ => true,
        }
    }

    /// Its name in metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            GuildRequest::Create { .. } => "create",
            GuildRequest::Invite { .. } => "invite",
            GuildRequest::AnswerInvite { .. } => "answer_invite",
            GuildRequest::Apply { .. } => "apply",
            GuildRequest::AnswerApplication { .. } => "answer_application",
            GuildRequest::Leave => "leave",
            GuildRequest::Kick { .. } => "kick",
            GuildRequest::Ban { .. } => "ban",
            GuildRequest::Unban { .. } => "unban",
            GuildRequest::Promote { .. } => "promote",
            GuildRequest::Demote { .. } => "demote",
            GuildRequest::TransferLeadership { .. } => "transfer_leadership",
            GuildRequest::Disband => "disband",
            GuildRequest::Chat { .. } => "chat",
            GuildRequest::Deposit { .. } => "deposit",
            GuildRequest::Withdraw { .. } => "withdraw",
        }
    }
}

/// Whether `name` is a possible guild name: 3–24 characters, letters, digits and single spaces,
/// not starting or ending with a space.
pub fn is_valid_name(name: &str) -> bool {
    let chars = name.chars().count();
    (3..=MAX_NAME_CHARS).contains(&chars)
        && name.chars().all(|c| c.is_alphanumeric() || c == ' ')
        && !name.starts_with(' ')
        && !name.ends_with(' ')
        && !name.contains("  ")
}

/// Whether `tag` is a possible tag: 2–5 letters or digits.
pub fn is_valid_tag(tag: &str) -> bool {
    (2..=MAX_TAG_CHARS).contains(&tag.chars().count()) && tag.chars().all(char::is_alphanumeric)
}

/// A player's guild request, decoded from the wire.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuildRequested {
    pub player: Entity,
    pub request: GuildRequest,
}

/// Why a guild request was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuildRefusal {
    /// A guild of that name (in any case) exists.
    NameTaken,
    /// The name is not 3–24 letters, digits and single spaces.
    InvalidName,
    /// The tag is not 2–5 letters or digits.
    InvalidTag,
    /// The player (or the one invited, or the applicant) is in a guild already, or joining one.
    AlreadyInGuild,
    /// The player is in no guild.
    NotInGuild,
    /// No guild of that id exists.
    NoSuchGuild,
    /// No player of that id is online (an invitation), or in the guild (a kick, a promotion).
    NoSuchPlayer,
    /// The player's role does not allow it.
    NotAllowed,
    /// The guild has `[guilds] max_members` members.
    Full,
    /// The player is banned from that guild.
    Banned,
    /// No invitation from that guild, or no application from that player, is waiting.
    NoInvitation,
    /// A leader with other members must make one of them leader first.
    LeaderMustTransfer,
    /// Founding costs `price` of `currency`, and the player holds less.
    CannotAfford { currency: String, price: u64 },
    /// The player's or the guild's stored state is still loading or could not be written in
    /// time; try again.
    Unavailable,
    /// The chat message is empty or longer than `[guilds] chat_max_bytes`.
    ChatTooLong,
    /// More than `[guilds] chat_per_minute` chat messages in the last minute.
    ChatTooFast,
    /// The player does not hold what it deposits (or it is not tradable), or what it withdraws
    /// does not fit its inventory.
    Items(InventoryError),
    /// The bank does not hold what was asked for.
    BankShort,
    /// The member's role may withdraw `left` more units today (items and currencies together).
    OverDailyLimit { left: u64 },
    /// A guild whose bank holds anything is not disbanded: empty it first.
    BankNotEmpty,
}

impl GuildRefusal {
    /// Every reason's name in metrics, for series that exist before the first refusal.
    pub const NAMES: [&'static str; 20] = [
        "name_taken",
        "invalid_name",
        "invalid_tag",
        "already_in_guild",
        "not_in_guild",
        "no_such_guild",
        "no_such_player",
        "not_allowed",
        "full",
        "banned",
        "no_invitation",
        "leader_must_transfer",
        "cannot_afford",
        "unavailable",
        "chat_too_long",
        "chat_too_fast",
        "items",
        "bank_short",
        "over_daily_limit",
        "bank_not_empty",
    ];

    /// Its name in metrics, logs and bot reports.
    pub fn as_str(&self) -> &'static str {
        let index = match self {
            GuildRefusal::NameTaken => 0,
            GuildRefusal::InvalidName => 1,
            GuildRefusal::InvalidTag => 2,
            GuildRefusal::AlreadyInGuild => 3,
            GuildRefusal::NotInGuild => 4,
            GuildRefusal::NoSuchGuild => 5,
            GuildRefusal::NoSuchPlayer => 6,
            GuildRefusal::NotAllowed => 7,
            GuildRefusal::Full => 8,
            GuildRefusal::Banned => 9,
            GuildRefusal::NoInvitation => 10,
            GuildRefusal::LeaderMustTransfer => 11,
            GuildRefusal::CannotAfford { .. } => 12,
            GuildRefusal::Unavailable => 13,
            GuildRefusal::ChatTooLong => 14,
            GuildRefusal::ChatTooFast => 15,
            GuildRefusal::Items(_) => 16,
            GuildRefusal::BankShort => 17,
            GuildRefusal::OverDailyLimit { .. } => 18,
            GuildRefusal::BankNotEmpty => 19,
        };
        Self::NAMES[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tags_of_the_wrong_shape_are_refused() {
        for good in ["Iron Wolves", "abc", "Ørnene 7"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in [
            "ab",
            " Wolves",
            "Wolves ",
            "Iron  Wolves",
            "Iron-Wolves",
            "",
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert!(!is_valid_name(&"x".repeat(MAX_NAME_CHARS + 1)));
        assert!(is_valid_tag("IW") && is_valid_tag("W0LF5"));
        assert!(!is_valid_tag("I") && !is_valid_tag("WOLVES") && !is_valid_tag("I W"));
    }

    #[test]
    fn oversized_texts_are_malformed() {
        let chat = GuildRequest::Chat {
            text: "x".repeat(MAX_CHAT_BYTES + 1),
        };
        assert!(!chat.is_well_formed());
        let create = GuildRequest::Create {
            name: "x".repeat(1000),
            tag: "IW".into(),
        };
        assert!(!create.is_well_formed());
    }
}
