//! Parties: players who queue together. A party lives in the server only (no storage) and lasts
//! across matches until its members leave or it is disbanded.

use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;
use serde::{Deserialize, Serialize};

/// A party, as its own entity; its members point at it with [`PartyMemberOf`].
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// Its id on the wire, unique for the life of the server.
    pub id: u64,
    pub leader: Entity,
    /// Players invited and not answered yet, with the tick their invitation lapses.
    pub invited: Vec<(Entity, u64)>,
}

impl Party {
    /// Whether `player` holds an invitation that has not lapsed at `tick`.
    pub fn is_invited(&self, player: Entity, tick: u64) -> bool {
        self.invited
            .iter()
            .any(|(invited, until)| *invited == player && *until > tick)
    }
}

/// A player's party: a relationship to the party entity, so bevy keeps [`PartyMembers`] in step
/// and takes a despawned player out of its party.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[component(storage = "SparseSet")]
#[relationship(relationship_target = PartyMembers)]
pub struct PartyMemberOf(pub Entity);

/// On a party entity: its members, in the order they joined (the leader first when it founded it).
#[derive(Component, Debug, Default, PartialEq, Eq)]
#[relationship_target(relationship = PartyMemberOf)]
pub struct PartyMembers(Vec<Entity>);

impl PartyMembers {
    pub fn members(&self) -> &[Entity] {
        &self.0
    }
}

/// The rating a party queues with: the mean of its members' ratings plus `spread_penalty` times
/// the gap between its best and worst member. A strong player carries a weak friend further than
/// the mean says, so a mixed party is matched a little higher than its mean.
pub fn party_rating(ratings: &[i32], spread_penalty: f64) -> i32 {
    let Some((&lowest, &highest)) = ratings.iter().min().zip(ratings.iter().max()) else {
        return 0;
    };
    let mean = ratings.iter().map(|rating| f64::from(*rating)).sum::<f64>() / ratings.len() as f64;
    (mean + spread_penalty * f64::from(highest - lowest)).round() as i32
}

/// A party request. Players are named by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyRequest {
    /// Invites an online player without a party (the leader; a player without a party founds one
    /// and leads it).
    Invite { player_id: u64 },
    /// The invited player's answer.
    Answer { party: u64, accept: bool },
    /// Leaves the party; a leader leaving hands the lead to the member who joined next.
    Leave,
    /// Removes a member (the leader).
    Kick { player_id: u64 },
    /// Ends the party (the leader).
    Disband,
}

/// A player's party request, for the party rules.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct PartyRequested {
    pub player: Entity,
    pub request: PartyRequest,
}

/// Why a party request was refused; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyRefusal {
    /// The player is in no party.
    NotInParty,
    /// The player answering (or the one invited) is in a party already.
    AlreadyInParty,
    /// Only the party's leader may do that.
    NotLeader,
    /// No player of that id is online (an invitation), or in the party (a kick).
    NoSuchPlayer,
    /// The party, with its open invitations, holds a team of the mode (`[matchmaking]
    /// match_size` / 2).
    Full,
    /// No invitation from that party is waiting (never sent, lapsed, or the party is gone).
    NoInvitation,
    /// The player is waiting in the queue alone: leave it first.
    Queued,
    /// A player cannot invite or kick itself.
    Yourself,
}

impl PartyRefusal {
    /// Its name in logs and bot reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            PartyRefusal::NotInParty => "not_in_party",
            PartyRefusal::AlreadyInParty => "already_in_party",
            PartyRefusal::NotLeader => "not_leader",
            PartyRefusal::NoSuchPlayer => "no_such_player",
            PartyRefusal::Full => "full",
            PartyRefusal::NoInvitation => "no_invitation",
            PartyRefusal::Queued => "queued",
            PartyRefusal::Yourself => "yourself",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_is_rated_at_its_mean_raised_by_its_spread() {
        assert_eq!(party_rating(&[1500, 1500, 1500], 0.25), 1500);
        // Mean 1500, spread 1000: a quarter of the spread on top.
        assert_eq!(party_rating(&[2000, 1000], 0.25), 1750);
        assert_eq!(party_rating(&[2000, 1000], 0.0), 1500);
        assert_eq!(party_rating(&[1234], 0.25), 1234);
        assert_eq!(party_rating(&[], 0.25), 0);
    }
}
