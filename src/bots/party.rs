//! A social bot's party: the founder of each guild group leads a party of [`PARTY_SIZE`] made of
//! its guild's members (it invites them as they show up in its guild), the others accept any
//! invitation. The leader queues the party once it is whole, or alone after [`FORM_FRAMES`]; a
//! member of a party never queues itself (its leader does); a bot left out queues alone then.

use arbiter_client::party::PartyTracker;
use arbiter_client::protocol::{ClientMessage, PartyRequest, ServerMessage};
use std::collections::BTreeMap;

/// Players per bot party (within a team of the default match size, 10).
const PARTY_SIZE: usize = 3;
/// Frames a social bot waits for its party before it queues without one (20 s at 60 frames a
/// second: guilds form first).
const FORM_FRAMES: u64 = 1200;
/// Frames between two invitations of a leader.
const INVITE_EVERY_FRAMES: u64 = 60;

/// What party play did for one bot.
#[derive(Debug, Default, Clone)]
pub(super) struct PartyStats {
    /// Matches found while in a party of two or more.
    pub(super) matches_in_party: u64,
    /// Refused party requests, by the server's reason.
    pub(super) refusals: BTreeMap<String, u64>,
    /// Times its party's ticket left the queue without a match.
    pub(super) queue_cancelled: u64,
}

#[derive(Debug, Clone, Default)]
pub(super) struct BotParty {
    /// Social bots only: the others queue alone at once.
    social: bool,
    leads: bool,
    tracker: PartyTracker,
    next_invite_frame: u64,
    pub(super) stats: PartyStats,
}

impl BotParty {
    /// Makes the bot a social one, leading a party or not.
    pub(super) fn assign(&mut self, leads: bool) {
        self.social = true;
        self.leads = leads;
    }

    pub(super) fn observe(&mut self, message: &ServerMessage) {
        self.tracker.observe(message);
        match message {
            ServerMessage::PartyRefused { reason, .. } => {
                *self
                    .stats
                    .refusals
                    .entry(reason.as_str().to_owned())
                    .or_default() += 1;
            }
            ServerMessage::QueueCancelled { .. } => self.stats.queue_cancelled += 1,
            ServerMessage::MatchFound { .. } if self.tracker.size() > 1 => {
                self.stats.matches_in_party += 1;
            }
            _ => {}
        }
    }

    /// This frame's party requests: answers to invitations, and a leader's next invitation to a
    /// member of its guild (`guild_members`, by id, asked for only when it invites) not in its
    /// party yet.
    pub(super) fn requests(
        &mut self,
        frame: u64,
        guild_members: impl FnOnce() -> Vec<u64>,
    ) -> Vec<ClientMessage> {
        let mut requests: Vec<ClientMessage> = Vec::new();
        if !self.social {
            return requests;
        }
        for invitation in self.tracker.invitations().to_vec() {
            let accept = !self.leads;
            requests.push(self.tracker.answer(invitation, accept));
        }
        let (members, invited) = self
            .tracker
            .party()
            .map_or((1, 0), |party| (party.members.len(), party.invited.len()));
        if self.leads && members + invited < PARTY_SIZE && frame >= self.next_invite_frame {
            let taken = |id: &u64| {
                self.tracker.party().is_some_and(|party| {
                    party.invited.contains(id)
                        || party.members.iter().any(|member| member.player_id == *id)
                })
            };
            if let Some(player_id) = guild_members().iter().find(|id| !taken(id)) {
                requests.push(ClientMessage::Party(PartyRequest::Invite {
                    player_id: *player_id,
                }));
                self.next_invite_frame = frame + INVITE_EVERY_FRAMES;
            }
        }
        requests
    }

    /// Whether the bot queues now (alone, or as its party's leader).
    pub(super) fn may_queue(&self, frame: u64) -> bool {
        if !self.social {
            return true;
        }
        match self.tracker.party() {
            Some(_) if !self.tracker.is_leader() => false,
            Some(_) => self.tracker.size() >= PARTY_SIZE || frame >= FORM_FRAMES,
            None => frame >= FORM_FRAMES,
        }
    }
}
