//! Party requests: invite, answer, leave, kick, disband — each checked, then applied whole.

use super::PartyDirectory;
use crate::matchmaking::{QueueDesk, max_party_size};
use arbiter_components::config::MatchmakingSettings;
use arbiter_components::matchmaking::Queued;
use arbiter_components::messages::Outbound;
use arbiter_components::party::{
    Party, PartyMemberOf, PartyMembers, PartyRefusal, PartyRequest, PartyRequested,
};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{PartyExit, QueueCancel, ServerMessage};
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageReader;
use bevy_ecs::query::Has;
use bevy_ecs::system::{Local, Query, Res, ResMut, SystemParam};
use std::collections::HashSet;

/// A player as the party rules see it: id, party, waiting ticket, connected.
type PartyPlayer = (
    Entity,
    &'static PlayerId,
    Option<&'static PartyMemberOf>,
    Option<&'static Queued>,
    Has<Session>,
);

/// What applying one party request reads and changes.
#[derive(SystemParam)]
pub struct PartyRules<'w, 's> {
    players: Query<'w, 's, PartyPlayer>,
    parties: Query<'w, 's, (&'static mut Party, Option<&'static PartyMembers>)>,
    directory: ResMut<'w, PartyDirectory>,
    settings: Res<'w, MatchmakingSettings>,
    rate: Res<'w, TickRate>,
    tick: Res<'w, ServerTick>,
    desk: QueueDesk<'w, 's>,
}

impl core::fmt::Debug for PartyRules<'_, '_> {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter
            .debug_struct("PartyRules")
            .field("parties", &self.directory.len())
            .finish_non_exhaustive()
    }
}

/// Applies party requests in the order they came. Who is in which party changes at the end of the
/// system (commands), so a request that touches a player or party whose members changed earlier
/// this tick waits for the next tick (with every later request of its sender): each sees the
/// effects of those before it, and two answers in one tick cannot both take a party's last place.
pub fn handle_party_requests(
    mut requests: MessageReader<PartyRequested>,
    mut waiting: Local<Vec<PartyRequested>>,
    mut rules: PartyRules,
) {
    let due: Vec<PartyRequested> = std::mem::take(&mut *waiting)
        .into_iter()
        .chain(requests.read().cloned())
        .collect();
    let mut touched: HashSet<Entity> = HashSet::new();
    let mut held_back: HashSet<Entity> = HashSet::new();
    for requested in due {
        let touches = rules.touches(&requested);
        if held_back.contains(&requested.player)
            || touches.iter().any(|entity| touched.contains(entity))
        {
            held_back.insert(requested.player);
            waiting.push(requested);
            continue;
        }
        if rules.apply(requested) {
            touched.extend(touches);
        }
    }
}

impl PartyRules<'_, '_> {
    /// The players and parties `requested` may change.
    fn touches(&self, requested: &PartyRequested) -> Vec<Entity> {
        let player = requested.player;
        let party = self
            .players
            .get(player)
            .ok()
            .and_then(|(_, _, link, ..)| link)
            .map(|link| link.0);
        let mut touches: Vec<Entity> = [Some(player), party].into_iter().flatten().collect();
        match &requested.request {
            PartyRequest::Answer { party: id, .. } => touches.extend(self.directory.get(*id)),
            PartyRequest::Kick { .. } | PartyRequest::Disband => {
                touches.extend(party.into_iter().flat_map(|party| self.members_of(party)));
            }
            PartyRequest::Invite { .. } | PartyRequest::Leave => {}
        }
        touches
    }

    /// Applies one party request, or refuses it with its reason. Returns whether it changed who is
    /// in a party (founding one included).
    fn apply(&mut self, requested: PartyRequested) -> bool {
        let PartyRequested { player, request } = requested;
        let Ok((_, &me, party, ..)) = self.players.get(player) else {
            return false;
        };
        let party = party.map(|link| link.0);
        let applied = match &request {
            PartyRequest::Invite { player_id } => self.invite(player, me, party, *player_id),
            PartyRequest::Answer {
                party: id,
                accept: true,
            } => self.accept(player, party, *id),
            PartyRequest::Answer {
                party: id,
                accept: false,
            } => self.decline(player, *id),
            PartyRequest::Leave => self.leave(player, party),
            PartyRequest::Kick { player_id } => self.kick(player, me, party, *player_id),
            PartyRequest::Disband => self.disband(player, party),
        };
        let Err(reason) = applied else {
            return match request {
                PartyRequest::Invite { .. } => party.is_none(),
                PartyRequest::Answer { accept, .. } => accept,
                PartyRequest::Leave | PartyRequest::Kick { .. } | PartyRequest::Disband => true,
            };
        };
        self.desk.outbound.write(Outbound {
            player,
            message: ServerMessage::PartyRefused { request, reason },
        });
        false
    }

    fn invite(
        &mut self,
        player: Entity,
        me: PlayerId,
        party: Option<Entity>,
        invited_id: u64,
    ) -> Result<(), PartyRefusal> {
        if invited_id == me.0 {
            return Err(PartyRefusal::Yourself);
        }
        if let Some(party) = party {
            self.leader_of(party, player)?;
        }
        let invited = self
            .players
            .iter()
            .find(|(_, id, .., online)| id.0 == invited_id && *online)
            .map(|(entity, _, link, ..)| (entity, link.is_some()));
        let Some((invited, in_a_party)) = invited else {
            return Err(PartyRefusal::NoSuchPlayer);
        };
        if in_a_party {
            return Err(PartyRefusal::AlreadyInParty);
        }
        let now = self.tick.get();
        let until = now + self.rate.ticks_in_secs(self.settings.party_invite_secs);
        let largest = max_party_size(self.settings.match_size) as usize;
        let party_id = match party {
            Some(party) => {
                let (mut state, members) = self
                    .parties
                    .get_mut(party)
                    .map_err(|_| PartyRefusal::NotInParty)?;
                let members = members.map_or(0, |members| members.members().len());
                state
                    .invited
                    .retain(|(other, lapses)| *other != invited && *lapses > now);
                if members + state.invited.len() >= largest {
                    return Err(PartyRefusal::Full);
                }
                state.invited.push((invited, until));
                self.party_id(party)
            }
            None => {
                if largest < 2 {
                    return Err(PartyRefusal::Full);
                }
                let founded = self.desk.commands.spawn_empty().id();
                let id = self.directory.register(founded);
                self.desk.commands.entity(founded).insert(Party {
                    id,
                    leader: player,
                    invited: vec![(invited, until)],
                });
                self.desk
                    .commands
                    .entity(player)
                    .insert(PartyMemberOf(founded));
                id
            }
        };
        self.desk.outbound.write(Outbound {
            player: invited,
            message: ServerMessage::PartyInvited {
                party: party_id,
                by: me.0,
            },
        });
        Ok(())
    }

    fn accept(
        &mut self,
        player: Entity,
        own_party: Option<Entity>,
        id: u64,
    ) -> Result<(), PartyRefusal> {
        let party = self.invitation(player, id)?;
        if own_party.is_some() {
            return Err(PartyRefusal::AlreadyInParty);
        }
        if self.ticket_of(player).is_some() {
            return Err(PartyRefusal::Queued);
        }
        let largest = max_party_size(self.settings.match_size) as usize;
        let (mut state, members) = self
            .parties
            .get_mut(party)
            .map_err(|_| PartyRefusal::NoInvitation)?;
        if members.map_or(0, |members| members.members().len()) >= largest {
            return Err(PartyRefusal::Full);
        }
        state.invited.retain(|(invited, _)| *invited != player);
        let leader = state.leader;
        self.cancel_ticket_of(leader, player);
        self.desk
            .commands
            .entity(player)
            .insert(PartyMemberOf(party));
        Ok(())
    }

    fn decline(&mut self, player: Entity, id: u64) -> Result<(), PartyRefusal> {
        let party = self.invitation(player, id)?;
        if let Ok((mut state, _)) = self.parties.get_mut(party) {
            state.invited.retain(|(invited, _)| *invited != player);
        }
        Ok(())
    }

    fn leave(&mut self, player: Entity, party: Option<Entity>) -> Result<(), PartyRefusal> {
        let party = party.ok_or(PartyRefusal::NotInParty)?;
        self.cancel_ticket_of(player, player);
        self.remove_member(party, player, PartyExit::Left);
        Ok(())
    }

    fn kick(
        &mut self,
        player: Entity,
        me: PlayerId,
        party: Option<Entity>,
        kicked_id: u64,
    ) -> Result<(), PartyRefusal> {
        let party = party.ok_or(PartyRefusal::NotInParty)?;
        self.leader_of(party, player)?;
        if kicked_id == me.0 {
            return Err(PartyRefusal::Yourself);
        }
        let kicked = self
            .members_of(party)
            .into_iter()
            .find(|member| {
                self.players
                    .get(*member)
                    .is_ok_and(|(_, id, ..)| id.0 == kicked_id)
            })
            .ok_or(PartyRefusal::NoSuchPlayer)?;
        self.cancel_ticket_of(player, player);
        self.remove_member(party, kicked, PartyExit::Kicked);
        Ok(())
    }

    fn disband(&mut self, player: Entity, party: Option<Entity>) -> Result<(), PartyRefusal> {
        let party = party.ok_or(PartyRefusal::NotInParty)?;
        self.leader_of(party, player)?;
        self.cancel_ticket_of(player, player);
        for member in self.members_of(party) {
            self.remove_member(party, member, PartyExit::Disbanded);
        }
        let id = self.party_id(party);
        self.directory.forget(id);
        self.desk.commands.entity(party).try_despawn();
        Ok(())
    }

    /// `Ok` when `player` leads `party`.
    fn leader_of(&self, party: Entity, player: Entity) -> Result<(), PartyRefusal> {
        match self.parties.get(party) {
            Ok((state, _)) if state.leader == player => Ok(()),
            Ok(_) => Err(PartyRefusal::NotLeader),
            Err(_) => Err(PartyRefusal::NotInParty),
        }
    }

    /// The party of wire id `id` if it holds a live invitation for `player`.
    fn invitation(&self, player: Entity, id: u64) -> Result<Entity, PartyRefusal> {
        let party = self.directory.get(id).ok_or(PartyRefusal::NoInvitation)?;
        match self.parties.get(party) {
            Ok((state, _)) if state.is_invited(player, self.tick.get()) => Ok(party),
            _ => Err(PartyRefusal::NoInvitation),
        }
    }

    fn party_id(&self, party: Entity) -> u64 {
        self.parties.get(party).map_or(0, |(state, _)| state.id)
    }

    fn members_of(&self, party: Entity) -> Vec<Entity> {
        self.parties
            .get(party)
            .ok()
            .and_then(|(_, members)| members)
            .map(|members| members.members().to_vec())
            .unwrap_or_default()
    }

    fn ticket_of(&self, player: Entity) -> Option<Entity> {
        self.players
            .get(player)
            .ok()
            .and_then(|(_, _, _, queued, _)| queued)
            .map(|queued| queued.ticket)
    }

    /// A party about to change takes its waiting ticket (found through `member`) out of the queue;
    /// everyone but `by` is told.
    fn cancel_ticket_of(&mut self, member: Entity, by: Entity) {
        if let Some(ticket) = self.ticket_of(member) {
            self.desk.cancel(ticket, by, QueueCancel::PartyChanged);
        }
    }

    fn remove_member(&mut self, party: Entity, member: Entity, why: PartyExit) {
        self.desk
            .commands
            .entity(member)
            .try_remove::<PartyMemberOf>();
        self.desk.outbound.write(Outbound {
            player: member,
            message: ServerMessage::PartyEnded {
                party: self.party_id(party),
                reason: why,
            },
        });
    }
}
