//! The client's view of its player's guild: the whole guild from `Guild`, kept current by each
//! `GuildChanged` (members, roles, who is online, the bank), dropped when a change takes the
//! player out; waiting invitations; and the chat heard, newest last. The server holds the guild;
//! this copy is for showing it.

use arbiter_components::protocol::{
    BankView, ClientMessage, GuildChange, GuildChatLine, GuildMemberView, GuildRequest, GuildRole,
    GuildView, ServerMessage,
};
use smol_str::SmolStr;
use std::collections::VecDeque;

/// Chat lines kept (the server sends at most its own `[guilds] chat_history` on login).
const CHAT_KEPT: usize = 200;

/// An invitation to a guild, waiting for the player's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub guild: u64,
    pub name: String,
    pub tag: String,
    pub by: u64,
}

/// The player's guild as the server last said, its invitations and the chat heard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuildTracker {
    me: Option<u64>,
    guild: Option<GuildView>,
    invitations: Vec<Invitation>,
    applicants: Vec<u64>,
    chat: VecDeque<GuildChatLine>,
}

impl GuildTracker {
    /// Folds `message` in if it is about guilds (or is the `Welcome` naming the player); returns
    /// whether it was.
    pub fn observe(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::Welcome { player_id, .. } => self.me = Some(*player_id),
            ServerMessage::Guild(view) => {
                self.invitations
                    .retain(|invitation| invitation.guild != view.guild);
                self.guild = Some(GuildView::clone(view));
                self.chat.clear();
            }
            ServerMessage::GuildChanged { guild, change } => self.change(*guild, change),
            ServerMessage::GuildInvited {
                guild,
                name,
                tag,
                by,
            } => {
                self.invitations
                    .retain(|invitation| invitation.guild != *guild);
                self.invitations.push(Invitation {
                    guild: *guild,
                    name: name.clone(),
                    tag: tag.clone(),
                    by: *by,
                });
            }
            ServerMessage::GuildApplied { player_id, .. } => {
                if !self.applicants.contains(player_id) {
                    self.applicants.push(*player_id);
                }
            }
            ServerMessage::GuildChat { lines, .. } => {
                self.chat.extend(lines.iter().cloned());
                while self.chat.len() > CHAT_KEPT {
                    self.chat.pop_front();
                }
            }
            ServerMessage::GuildRefused { .. } => {}
            _ => return false,
        }
        true
    }

    /// The player's guild, if it is in one.
    pub fn guild(&self) -> Option<&GuildView> {
        self.guild.as_ref()
    }

    /// The player's own role in its guild.
    pub fn my_role(&self) -> Option<GuildRole> {
        let me = self.me?;
        self.member(me).map(|member| member.role)
    }

    pub fn invitations(&self) -> &[Invitation] {
        &self.invitations
    }

    /// Players who applied to the guild (told to leaders and officers), not yet answered here.
    pub fn applicants(&self) -> &[u64] {
        &self.applicants
    }

    /// The chat heard, oldest first.
    pub fn chat(&self) -> impl Iterator<Item = &GuildChatLine> {
        self.chat.iter()
    }

    /// Accepts (or declines) the invitation of `guild`, forgetting it.
    pub fn answer_invite(&mut self, guild: u64, accept: bool) -> ClientMessage {
        self.invitations
            .retain(|invitation| invitation.guild != guild);
        ClientMessage::Guild(GuildRequest::AnswerInvite { guild, accept })
    }

    /// Accepts (or declines) `player_id`'s application, forgetting it.
    pub fn answer_application(&mut self, player_id: u64, accept: bool) -> ClientMessage {
        self.applicants.retain(|applicant| *applicant != player_id);
        ClientMessage::Guild(GuildRequest::AnswerApplication { player_id, accept })
    }

    fn member(&self, player_id: u64) -> Option<&GuildMemberView> {
        let guild = self.guild.as_ref()?;
        guild
            .members
            .iter()
            .find(|member| member.player_id == player_id)
    }

    fn change(&mut self, id: u64, change: &GuildChange) {
        let me = self.me;
        let Some(guild) = self.guild.as_mut().filter(|guild| guild.guild == id) else {
            return;
        };
        let members = &mut guild.members;
        let set_role = |members: &mut Vec<GuildMemberView>, player: u64, role: GuildRole| {
            if let Some(member) = members.iter_mut().find(|m| m.player_id == player) {
                member.role = role;
            }
        };
        let gone = match change {
            GuildChange::Joined { player_id, .. } => {
                if let Err(at) = members.binary_search_by_key(player_id, |m| m.player_id) {
                    members.insert(
                        at,
                        GuildMemberView {
                            player_id: *player_id,
                            role: GuildRole::Member,
                            online: true,
                        },
                    );
                }
                None
            }
            GuildChange::Left { player_id }
            | GuildChange::Kicked { player_id, .. }
            | GuildChange::Banned { player_id, .. } => {
                members.retain(|member| member.player_id != *player_id);
                Some(*player_id)
            }
            GuildChange::Unbanned { .. } => None,
            GuildChange::RoleChanged {
                player_id, role, ..
            } => {
                set_role(members, *player_id, *role);
                None
            }
            GuildChange::LeaderChanged { from, to } => {
                set_role(members, *from, GuildRole::Officer);
                set_role(members, *to, GuildRole::Leader);
                None
            }
            GuildChange::Disbanded { .. } => me,
            GuildChange::Online { player_id, online } => {
                if let Some(member) = members.iter_mut().find(|m| m.player_id == *player_id) {
                    member.online = *online;
                }
                None
            }
            GuildChange::BankDeposited { moved, .. } => {
                add(&mut guild.bank, moved, true);
                None
            }
            GuildChange::BankWithdrawn { moved, .. } => {
                add(&mut guild.bank, moved, false);
                None
            }
        };
        if gone.is_some() && gone == me {
            self.guild = None;
            self.applicants.clear();
        }
    }
}

/// Adds `moved` to `bank` (or takes it out); a line that reaches zero goes.
fn add(bank: &mut BankView, moved: &BankView, into: bool) {
    fn merge<K: PartialEq + Clone>(lines: &mut Vec<(K, u64)>, moved: &[(K, u64)], into: bool) {
        for (key, amount) in moved {
            match lines.iter_mut().find(|(held, _)| held == key) {
                Some((_, held)) if into => *held = held.saturating_add(*amount),
                Some((_, held)) => *held = held.saturating_sub(*amount),
                None if into => lines.push((key.clone(), *amount)),
                None => {}
            }
        }
        lines.retain(|(_, held)| *held > 0);
    }
    let mut stacks: Vec<(SmolStr, u64)> = bank
        .stacks
        .iter()
        .map(|(item, qty)| (item.clone(), u64::from(*qty)))
        .collect();
    let moved_stacks: Vec<(SmolStr, u64)> = moved
        .stacks
        .iter()
        .map(|(item, qty)| (item.clone(), u64::from(*qty)))
        .collect();
    merge(&mut stacks, &moved_stacks, into);
    bank.stacks = stacks
        .into_iter()
        .map(|(item, qty)| (item, u32::try_from(qty).unwrap_or(u32::MAX)))
        .collect();
    merge(&mut bank.currencies, &moved.currencies, into);
    if into {
        bank.instances.extend(moved.instances.iter().cloned());
    } else {
        bank.instances
            .retain(|(instance, _)| !moved.instances.iter().any(|(gone, _)| gone == instance));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn welcome(player_id: u64) -> ServerMessage {
        ServerMessage::Welcome {
            player_id,
            server_tick: 1,
            tick_rate_hz: 60,
        }
    }

    fn view() -> ServerMessage {
        let member = |player_id, role| GuildMemberView {
            player_id,
            role,
            online: true,
        };
        ServerMessage::Guild(Box::new(GuildView {
            guild: 5,
            name: "Iron Wolves".into(),
            tag: "IW".into(),
            members: vec![member(1, GuildRole::Leader), member(2, GuildRole::Member)],
            bank: BankView::default(),
        }))
    }

    fn changed(change: GuildChange) -> ServerMessage {
        ServerMessage::GuildChanged { guild: 5, change }
    }

    #[test]
    fn it_follows_members_roles_and_the_bank_and_forgets_a_guild_that_put_it_out() {
        let mut tracker = GuildTracker::default();
        assert!(!tracker.observe(&ServerMessage::QueueTimedOut));
        tracker.observe(&welcome(2));
        tracker.observe(&ServerMessage::GuildInvited {
            guild: 5,
            name: "Iron Wolves".into(),
            tag: "IW".into(),
            by: 1,
        });
        assert_eq!(tracker.invitations().len(), 1);
        tracker.observe(&view());
        assert!(
            tracker.invitations().is_empty(),
            "joined: the invitation is used"
        );
        tracker.observe(&changed(GuildChange::Joined {
            player_id: 3,
            by: 1,
        }));
        tracker.observe(&changed(GuildChange::LeaderChanged { from: 1, to: 2 }));
        assert_eq!(tracker.my_role(), Some(GuildRole::Leader));
        let coins = BankView {
            currencies: vec![("coins".into(), 30)],
            ..BankView::default()
        };
        tracker.observe(&changed(GuildChange::BankDeposited {
            player_id: 3,
            moved: coins.clone(),
        }));
        let ten = BankView {
            currencies: vec![("coins".into(), 10)],
            ..BankView::default()
        };
        tracker.observe(&changed(GuildChange::BankWithdrawn {
            player_id: 3,
            moved: ten,
        }));
        let guild = tracker.guild().expect("in a guild");
        assert_eq!(guild.members.len(), 3);
        assert_eq!(guild.bank.currencies, vec![(SmolStr::from("coins"), 20)]);
        tracker.observe(&changed(GuildChange::Kicked {
            player_id: 2,
            by: 1,
        }));
        assert_eq!(tracker.guild(), None, "kicked: no guild");
    }
}
