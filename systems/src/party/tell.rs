//! Keeping parties whole and their members told: a leader who left hands the lead on, an empty
//! party goes, lapsed invitations drop, and every change reaches every member as the party whole.

use super::PartyDirectory;
use arbiter_components::matchmaking::Queued;
use arbiter_components::messages::Outbound;
use arbiter_components::party::{Party, PartyMemberOf, PartyMembers};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{PartyMemberView, PartyView, ServerMessage};
use arbiter_components::session::Session;
use arbiter_components::tick::ServerTick;
use bevy_ecs::entity::Entity;
use bevy_ecs::lifecycle::RemovedComponents;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::query::{Added, Changed, Has, Or, With, Without};
use bevy_ecs::system::{Commands, Query, Res, ResMut};
use std::collections::BTreeSet;

/// A party whose leader is gone (left, kicked by nobody, despawned) is led by the member who
/// joined first; a party without members goes.
pub fn tidy_parties(
    mut commands: Commands,
    mut directory: ResMut<PartyDirectory>,
    mut changed: Query<(&mut Party, &PartyMembers), Changed<PartyMembers>>,
    empty: Query<(Entity, &Party), Without<PartyMembers>>,
) {
    for (mut party, members) in &mut changed {
        if !members.members().contains(&party.leader)
            && let Some(next) = members.members().first()
        {
            party.leader = *next;
        }
    }
    for (entity, party) in &empty {
        directory.forget(party.id);
        commands.entity(entity).despawn();
    }
}

/// Drops invitations not answered in time (their party's members see them go).
pub fn lapse_party_invitations(mut parties: Query<&mut Party>, tick: Res<ServerTick>) {
    let now = tick.get();
    for mut party in &mut parties {
        if party.invited.iter().any(|(_, lapses)| *lapses <= now) {
            party.invited.retain(|(_, lapses)| *lapses > now);
        }
    }
}

/// Parties whose own data or members changed this tick.
type PartyNews = (With<Party>, Or<(Changed<Party>, Changed<PartyMembers>)>);

/// Members whose waiting or connection changed this tick.
type MemberNews = (Or<(Changed<Queued>, Added<Session>)>, With<PartyMemberOf>);

/// Tells every member of each party that changed this tick — members, leader, invitations, a
/// member's ticket or connection — the party whole.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn tell_party_changes(
    parties: Query<(&Party, &PartyMembers)>,
    changed: Query<Entity, PartyNews>,
    news: Query<&PartyMemberOf, MemberNews>,
    mut unqueued: RemovedComponents<Queued>,
    mut disconnected: RemovedComponents<Session>,
    links: Query<&PartyMemberOf>,
    members: Query<(&PlayerId, Has<Session>, Has<Queued>)>,
    mut outbound: MessageWriter<Outbound>,
) {
    // Ordered, so members hear of several parties' changes in the same order every run.
    let mut dirty: BTreeSet<Entity> = changed.iter().collect();
    dirty.extend(news.iter().map(|link| link.0));
    for player in unqueued.read().chain(disconnected.read()) {
        if let Ok(link) = links.get(player) {
            dirty.insert(link.0);
        }
    }
    for party in dirty {
        let Ok((state, roster)) = parties.get(party) else {
            continue;
        };
        let id_of = |player: Entity| members.get(player).map_or(0, |(id, ..)| id.0);
        let view = PartyView {
            party: state.id,
            leader: id_of(state.leader),
            members: roster
                .members()
                .iter()
                .filter_map(|member| members.get(*member).ok())
                .map(|(id, online, _)| PartyMemberView {
                    player_id: id.0,
                    online,
                })
                .collect(),
            invited: state
                .invited
                .iter()
                .filter_map(|(player, _)| members.get(*player).ok())
                .map(|(id, ..)| id.0)
                .collect(),
            queued: members.get(state.leader).is_ok_and(|(.., queued)| queued),
        };
        for member in roster.members() {
            outbound.write(Outbound {
                player: *member,
                message: ServerMessage::Party(view.clone()),
            });
        }
    }
}
