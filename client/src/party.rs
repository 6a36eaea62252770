//! The client's view of its player's party: the party whole as the server last sent it, the
//! invitations waiting for an answer, and whether the party waits in the queue. The server holds
//! the party; this copy is for showing it and for knowing who may queue (its leader).

use arbiter_components::protocol::{ClientMessage, PartyRequest, PartyView, ServerMessage};

/// An invitation to a party, waiting for the player's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartyInvitation {
    pub party: u64,
    pub by: u64,
}

/// The player's party as the server last said, and its invitations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyTracker {
    me: Option<u64>,
    party: Option<PartyView>,
    invitations: Vec<PartyInvitation>,
}

impl PartyTracker {
    /// Folds `message` in if it is about parties or the party's place in the queue (or is the
    /// `Welcome` naming the player); returns whether it was.
    pub fn observe(&mut self, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::Welcome { player_id, .. } => self.me = Some(*player_id),
            ServerMessage::Party(view) => {
                self.invitations
                    .retain(|invitation| invitation.party != view.party);
                self.party = Some(view.clone());
            }
            ServerMessage::PartyInvited { party, by } => {
                self.invitations
                    .retain(|invitation| invitation.party != *party);
                self.invitations.push(PartyInvitation {
                    party: *party,
                    by: *by,
                });
            }
            ServerMessage::PartyEnded { party, .. } => {
                if self.party.as_ref().is_some_and(|view| view.party == *party) {
                    self.party = None;
                }
            }
            ServerMessage::QueueCancelled { .. }
            | ServerMessage::QueueTimedOut
            | ServerMessage::MatchFound { .. } => {
                if let Some(view) = &mut self.party {
                    view.queued = false;
                }
            }
            ServerMessage::PartyRefused { .. } => {}
            _ => return false,
        }
        true
    }

    pub fn party(&self) -> Option<&PartyView> {
        self.party.as_ref()
    }

    /// Whether the player leads its party (a player without one queues for itself).
    pub fn is_leader(&self) -> bool {
        self.party
            .as_ref()
            .is_some_and(|view| Some(view.leader) == self.me)
    }

    /// Players in the party, the player included (0 without one).
    pub fn size(&self) -> usize {
        self.party.as_ref().map_or(0, |view| view.members.len())
    }

    pub fn invitations(&self) -> &[PartyInvitation] {
        &self.invitations
    }

    /// The request answering `invitation`; the invitation is forgotten.
    pub fn answer(&mut self, invitation: PartyInvitation, accept: bool) -> ClientMessage {
        self.invitations.retain(|other| *other != invitation);
        ClientMessage::Party(PartyRequest::Answer {
            party: invitation.party,
            accept,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::protocol::{PartyExit, PartyMemberView, QueueCancel};

    fn view(leader: u64, members: &[u64], queued: bool) -> PartyView {
        PartyView {
            party: 7,
            leader,
            members: members
                .iter()
                .map(|player_id| PartyMemberView {
                    player_id: *player_id,
                    online: true,
                })
                .collect(),
            invited: Vec::new(),
            queued,
        }
    }

    #[test]
    fn the_tracker_follows_invitation_membership_queueing_and_the_end() {
        let mut tracker = PartyTracker::default();
        tracker.observe(&ServerMessage::Welcome {
            player_id: 2,
            server_tick: 1,
            tick_rate_hz: 60,
        });
        assert!(tracker.observe(&ServerMessage::PartyInvited { party: 7, by: 1 }));
        let invitation = tracker.invitations()[0];
        assert_eq!(
            tracker.answer(invitation, true),
            ClientMessage::Party(PartyRequest::Answer {
                party: 7,
                accept: true
            })
        );
        tracker.observe(&ServerMessage::Party(view(1, &[1, 2], true)));
        assert_eq!((tracker.size(), tracker.is_leader()), (2, false));
        tracker.observe(&ServerMessage::QueueCancelled {
            by: 1,
            reason: QueueCancel::LeftQueue,
        });
        assert_eq!(tracker.party().map(|party| party.queued), Some(false));
        tracker.observe(&ServerMessage::Party(view(2, &[2], false)));
        assert!(tracker.is_leader(), "the lead passed on");
        tracker.observe(&ServerMessage::PartyEnded {
            party: 7,
            reason: PartyExit::Disbanded,
        });
        assert_eq!(tracker.party(), None);
        assert!(!tracker.observe(&ServerMessage::Pong {
            client_time_us: 1,
            server_tick: 2
        }));
    }
}
