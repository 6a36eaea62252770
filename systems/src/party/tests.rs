//! Party rules in a minimal app (matchmaking and parties): every operation and its refusals, a
//! party queued as one ticket and placed on one team, and what takes its ticket out.

use super::*;
use crate::matchmaking::{MatchmakingPlugin, QueueJoinRequested, QueueLeaveRequested};
use arbiter_components::matchmaking::{Queued, Rating, Team, Ticket};
use arbiter_components::party::{Party, PartyMemberOf, PartyMembers, PartyRefusal, PartyRequest};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{
    ErrorCode, PartyExit, PartyMemberView, PartyView, QueueCancel, ServerMessage,
};
use arbiter_components::session::Session;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_app::App;
use bevy_ecs::message::Messages;

/// Matches of `match_size` (parties of up to half that), invitations lasting 10 s at 10 Hz.
fn app(match_size: u32) -> App {
    let mut app = App::new();
    app.add_plugins((MatchmakingPlugin, PartyPlugin))
        .insert_resource(MatchmakingSettings {
            match_size,
            party_invite_secs: 10,
            ..MatchmakingSettings::default()
        })
        .insert_resource(TickRate::new(10));
    app.world_mut().resource_mut::<ServerTick>().advance();
    app
}

fn session(id: u64) -> Session {
    Session {
        client_id: id,
        addr: "127.0.0.1:1".parse().expect("literal address"),
        connected_at_tick: 0,
        rtt_ms: 0.0,
        bytes_sent: 0,
    }
}

fn player(app: &mut App, id: u64, rating: i32) -> Entity {
    app.world_mut()
        .spawn((PlayerId(id), Rating::new(f64::from(rating)), session(id)))
        .id()
}

/// What a tick asks for: party requests, and queue joins and leaves.
enum Ask {
    Party(Entity, PartyRequest),
    Join(Entity),
    Leave(Entity),
}

/// Runs one tick with `asks`; returns what each player was sent.
fn tick(app: &mut App, asks: Vec<Ask>) -> Vec<(Entity, ServerMessage)> {
    let world = app.world_mut();
    for ask in asks {
        match ask {
            Ask::Party(player, request) => {
                world.write_message(PartyRequested { player, request });
            }
            Ask::Join(player) => {
                world.write_message(QueueJoinRequested::new(player, 0));
            }
            Ask::Leave(player) => {
                world.write_message(QueueLeaveRequested { player });
            }
        }
    }
    world.run_schedule(FixedUpdate);
    world.resource_mut::<ServerTick>().advance();
    world
        .resource_mut::<Messages<Outbound>>()
        .drain()
        .map(|outbound| (outbound.player, outbound.message))
        .collect()
}

fn to(sent: &[(Entity, ServerMessage)], player: Entity) -> Vec<ServerMessage> {
    sent.iter()
        .filter(|(to, _)| *to == player)
        .map(|(_, message)| message.clone())
        .collect()
}

fn invite(leader: Entity, player_id: u64) -> Ask {
    Ask::Party(leader, PartyRequest::Invite { player_id })
}

fn answer(player: Entity, party: u64, accept: bool) -> Ask {
    Ask::Party(player, PartyRequest::Answer { party, accept })
}

fn refused(sent: &[(Entity, ServerMessage)], player: Entity) -> Vec<PartyRefusal> {
    to(sent, player)
        .into_iter()
        .filter_map(|message| match message {
            ServerMessage::PartyRefused { reason, .. } => Some(reason),
            _ => None,
        })
        .collect()
}

fn last_view(sent: &[(Entity, ServerMessage)], player: Entity) -> Option<PartyView> {
    to(sent, player)
        .into_iter()
        .rev()
        .find_map(|message| match message {
            ServerMessage::Party(view) => Some(view),
            _ => None,
        })
}

/// The wire id of `member`'s party.
fn party_id(app: &App, member: Entity) -> u64 {
    let party = app
        .world()
        .get::<PartyMemberOf>(member)
        .expect("in a party")
        .0;
    app.world().get::<Party>(party).expect("a party").id
}

fn members_of(app: &App, member: Entity) -> Vec<Entity> {
    let party = app
        .world()
        .get::<PartyMemberOf>(member)
        .expect("in a party")
        .0;
    app.world()
        .get::<PartyMembers>(party)
        .expect("members")
        .members()
        .to_vec()
}

/// `leader` (id 1) founds a party and each of `others` (ids from 2) joins it. Returns its id.
fn party_of(app: &mut App, leader: Entity, others: &[Entity]) -> u64 {
    let mut id = 0;
    for (offset, other) in others.iter().enumerate() {
        let sent = tick(app, vec![invite(leader, offset as u64 + 2)]);
        id = to(&sent, *other)
            .into_iter()
            .find_map(|message| match message {
                ServerMessage::PartyInvited { party, .. } => Some(party),
                _ => None,
            })
            .expect("invited");
        tick(app, vec![answer(*other, id, true)]);
    }
    id
}

#[test]
fn an_invitation_founds_a_party_and_an_accepted_one_joins_it_and_everyone_sees_it_whole() {
    let mut app = app(4);
    let (ann, bob) = (player(&mut app, 1, 1500), player(&mut app, 2, 1500));
    let sent = tick(&mut app, vec![invite(ann, 2)]);
    let party = match to(&sent, bob).as_slice() {
        [ServerMessage::PartyInvited { party, by: 1 }] => *party,
        other => panic!("bob is invited: {other:?}"),
    };
    let view = last_view(&sent, ann).expect("ann sees her new party");
    assert_eq!((view.leader, view.invited.clone()), (1, vec![2]));
    assert_eq!(
        view.members,
        vec![PartyMemberView {
            player_id: 1,
            online: true
        }]
    );

    let sent = tick(&mut app, vec![answer(bob, party, true)]);
    for member in [ann, bob] {
        let view = last_view(&sent, member).expect("both told");
        let ids: Vec<u64> = view.members.iter().map(|member| member.player_id).collect();
        assert_eq!(
            (ids, view.invited.len(), view.queued),
            (vec![1, 2], 0, false)
        );
    }
    assert_eq!(members_of(&app, bob), vec![ann, bob]);
}

#[test]
fn invitations_are_refused_with_a_reason() {
    let mut app = app(4); // Teams of two: a party holds two.
    let ann = player(&mut app, 1, 1500);
    let bob = player(&mut app, 2, 1500);
    let cat = player(&mut app, 3, 1500);
    let dan = player(&mut app, 4, 1500);
    let sent = tick(&mut app, vec![invite(ann, 1), invite(ann, 99)]);
    assert_eq!(
        refused(&sent, ann),
        vec![PartyRefusal::Yourself, PartyRefusal::NoSuchPlayer]
    );
    let party = party_of(&mut app, ann, &[bob]);
    let sent = tick(
        &mut app,
        vec![invite(bob, 3), invite(ann, 3), invite(cat, 2)],
    );
    assert_eq!(refused(&sent, bob), vec![PartyRefusal::NotLeader]);
    assert_eq!(refused(&sent, ann), vec![PartyRefusal::Full]);
    assert_eq!(refused(&sent, cat), vec![PartyRefusal::AlreadyInParty]);
    // Cat's own party (founded by inviting Dan) cannot take Bob: he is in Ann's.
    let sent = tick(&mut app, vec![answer(dan, party, true)]);
    assert_eq!(refused(&sent, dan), vec![PartyRefusal::NoInvitation]);
    // A player who went offline cannot be invited.
    app.world_mut().entity_mut(dan).remove::<Session>();
    let sent = tick(&mut app, vec![invite(cat, 4)]);
    assert_eq!(refused(&sent, cat), vec![PartyRefusal::NoSuchPlayer]);
}

#[test]
fn an_invitation_lapses_after_its_time_and_a_declined_one_is_gone() {
    let mut app = app(6);
    let ann = player(&mut app, 1, 1500);
    let bob = player(&mut app, 2, 1500);
    let cat = player(&mut app, 3, 1500);
    let sent = tick(&mut app, vec![invite(ann, 2), invite(ann, 3)]);
    let party = last_view(&sent, ann).expect("founded").party;
    let sent = tick(&mut app, vec![answer(cat, party, false)]);
    assert_eq!(last_view(&sent, ann).expect("told").invited, vec![2]);
    let sent = tick(&mut app, vec![answer(cat, party, true)]);
    assert_eq!(refused(&sent, cat), vec![PartyRefusal::NoInvitation]);
    // 10 s at 10 Hz: the invitation is gone after 100 ticks, and Ann sees it go.
    let mut lapsed = false;
    for _ in 0..100 {
        let sent = tick(&mut app, vec![]);
        lapsed |= last_view(&sent, ann).is_some_and(|view| view.invited.is_empty());
    }
    assert!(lapsed, "ann is told the invitation lapsed");
    let sent = tick(&mut app, vec![answer(bob, party, true)]);
    assert_eq!(refused(&sent, bob), vec![PartyRefusal::NoInvitation]);
}

#[test]
fn two_answers_in_one_tick_cannot_both_take_the_last_place_the_second_waits_and_is_refused() {
    let mut app = app(6); // Teams of three.
    let ann = player(&mut app, 1, 1500);
    let bob = player(&mut app, 2, 1500);
    let cat = player(&mut app, 3, 1500);
    let dan = player(&mut app, 4, 1500);
    let party = party_of(&mut app, ann, &[bob]);
    tick(&mut app, vec![invite(ann, 3)]);
    // Two invitations out for the one place left (as after a smaller match size came in by a
    // reload): the first answer takes it, the second finds the party full.
    app.world_mut()
        .query::<&mut Party>()
        .single_mut(app.world_mut())
        .expect("one party")
        .invited
        .push((dan, 1_000));
    let sent = tick(
        &mut app,
        vec![answer(cat, party, true), answer(dan, party, true)],
    );
    assert!(refused(&sent, cat).is_empty());
    // Dan's answer touches the party Cat just joined: it waits a tick, and finds it full.
    assert!(refused(&sent, dan).is_empty());
    assert_eq!(members_of(&app, ann), vec![ann, bob, cat]);
    let sent = tick(&mut app, vec![]);
    assert_eq!(refused(&sent, dan), vec![PartyRefusal::Full]);
    assert_eq!(members_of(&app, ann), vec![ann, bob, cat]);
}

#[test]
fn leaving_kicking_and_disbanding_tell_who_is_out_and_why() {
    let mut app = app(8);
    let players: Vec<Entity> = (1..=4).map(|id| player(&mut app, id, 1500)).collect();
    let [ann, bob, cat, dan] = players[..] else {
        unreachable!()
    };
    let party = party_of(&mut app, ann, &[bob, cat, dan]);
    let sent = tick(
        &mut app,
        vec![
            Ask::Party(bob, PartyRequest::Kick { player_id: 3 }),
            Ask::Party(ann, PartyRequest::Kick { player_id: 1 }),
            Ask::Party(ann, PartyRequest::Kick { player_id: 9 }),
        ],
    );
    assert_eq!(refused(&sent, bob), vec![PartyRefusal::NotLeader]);
    assert_eq!(
        refused(&sent, ann),
        vec![PartyRefusal::Yourself, PartyRefusal::NoSuchPlayer]
    );

    let sent = tick(
        &mut app,
        vec![Ask::Party(ann, PartyRequest::Kick { player_id: 3 })],
    );
    assert!(to(&sent, cat).contains(&ServerMessage::PartyEnded {
        party,
        reason: PartyExit::Kicked
    }));
    assert!(app.world().get::<PartyMemberOf>(cat).is_none());
    let sent = tick(&mut app, vec![Ask::Party(cat, PartyRequest::Leave)]);
    assert_eq!(refused(&sent, cat), vec![PartyRefusal::NotInParty]);

    // The leader leaves: the member who joined next leads.
    let sent = tick(&mut app, vec![Ask::Party(ann, PartyRequest::Leave)]);
    assert!(to(&sent, ann).contains(&ServerMessage::PartyEnded {
        party,
        reason: PartyExit::Left
    }));
    assert_eq!(last_view(&sent, dan).expect("told").leader, 2);

    let sent = tick(
        &mut app,
        vec![
            Ask::Party(dan, PartyRequest::Disband),
            Ask::Party(bob, PartyRequest::Disband),
        ],
    );
    assert_eq!(refused(&sent, dan), vec![PartyRefusal::NotLeader]);
    for member in [bob, dan] {
        assert!(to(&sent, member).contains(&ServerMessage::PartyEnded {
            party,
            reason: PartyExit::Disbanded
        }));
    }
    tick(&mut app, vec![]);
    assert!(app.world().resource::<PartyDirectory>().is_empty());
    assert_eq!(
        app.world_mut().query::<&Party>().iter(app.world()).count(),
        0
    );
}

#[test]
fn the_last_member_leaving_ends_the_party() {
    let mut app = app(4);
    let (ann, bob) = (player(&mut app, 1, 1500), player(&mut app, 2, 1500));
    party_of(&mut app, ann, &[bob]);
    tick(&mut app, vec![Ask::Party(ann, PartyRequest::Leave)]);
    tick(&mut app, vec![Ask::Party(bob, PartyRequest::Leave)]);
    tick(&mut app, vec![]);
    assert!(app.world().resource::<PartyDirectory>().is_empty());
}

#[test]
fn the_leader_queues_the_party_as_one_ticket_and_it_plays_on_one_team() {
    let mut app = app(4);
    let ann = player(&mut app, 1, 1400);
    let bob = player(&mut app, 2, 1600);
    party_of(&mut app, ann, &[bob]);
    let sent = tick(&mut app, vec![Ask::Join(bob)]);
    assert!(matches!(
        to(&sent, bob).as_slice(),
        [ServerMessage::Error { code: ErrorCode::NotAllowed, message }] if message.contains("leader")
    ));
    let sent = tick(&mut app, vec![Ask::Join(ann)]);
    assert!(last_view(&sent, bob).expect("bob told").queued);
    let ticket = app.world().get::<Queued>(ann).expect("queued").ticket;
    assert_eq!(
        app.world().get::<Queued>(bob).map(|q| q.ticket),
        Some(ticket)
    );
    let queued = app.world().get::<Ticket>(ticket).expect("a ticket").clone();
    // Mean 1500, spread 200, a quarter of it on top.
    assert_eq!((queued.players, queued.rating), (vec![ann, bob], 1550));

    let solos = [player(&mut app, 3, 1500), player(&mut app, 4, 1500)];
    tick(&mut app, vec![Ask::Join(solos[0]), Ask::Join(solos[1])]);
    let team = |player| app.world().get::<Team>(player).copied();
    assert!(team(ann).is_some());
    assert_eq!(team(ann), team(bob), "the party plays together");
    assert_eq!(team(solos[0]), team(solos[1]));
    assert_ne!(team(ann), team(solos[0]));
    // The party outlives its match.
    assert_eq!(members_of(&app, ann), vec![ann, bob]);
}

#[test]
fn a_member_disconnecting_takes_the_ticket_out_and_the_others_are_told() {
    let mut app = app(6);
    let (ann, bob, cat) = (
        player(&mut app, 1, 1500),
        player(&mut app, 2, 1500),
        player(&mut app, 3, 1500),
    );
    party_of(&mut app, ann, &[bob, cat]);
    tick(&mut app, vec![Ask::Join(ann)]);
    app.world_mut().entity_mut(cat).remove::<Session>();
    let sent = tick(&mut app, vec![]);
    for member in [ann, bob] {
        assert!(to(&sent, member).contains(&ServerMessage::QueueCancelled {
            by: 3,
            reason: QueueCancel::Disconnected
        }));
        let view = last_view(&sent, member).expect("told");
        assert!(!view.queued);
        assert_eq!(
            view.members[2],
            PartyMemberView {
                player_id: 3,
                online: false
            }
        );
    }
    assert_eq!(
        app.world()
            .resource::<crate::matchmaking::MatchmakingQueue>()
            .waiting(),
        0
    );
    assert!(app.world().get::<Queued>(ann).is_none());
    let sent = tick(&mut app, vec![Ask::Join(ann)]);
    assert!(matches!(
        to(&sent, ann).as_slice(),
        [ServerMessage::Error { message, .. }] if message.contains("party member 3 is offline")
    ));
    // Back online: the party may queue again.
    app.world_mut().entity_mut(cat).insert(session(3));
    let sent = tick(&mut app, vec![Ask::Join(ann)]);
    assert!(last_view(&sent, bob).expect("told").queued);
}

#[test]
fn a_member_leaving_the_queue_or_the_party_takes_the_ticket_out() {
    let mut app = app(6);
    let (ann, bob, cat) = (
        player(&mut app, 1, 1500),
        player(&mut app, 2, 1500),
        player(&mut app, 3, 1500),
    );
    party_of(&mut app, ann, &[bob]);
    tick(&mut app, vec![Ask::Join(ann)]);
    let sent = tick(&mut app, vec![Ask::Leave(bob)]);
    assert!(to(&sent, ann).contains(&ServerMessage::QueueCancelled {
        by: 2,
        reason: QueueCancel::LeftQueue
    }));
    assert!(
        to(&sent, bob)
            .iter()
            .all(|message| !matches!(message, ServerMessage::QueueCancelled { .. }))
    );

    tick(&mut app, vec![Ask::Join(ann)]);
    tick(&mut app, vec![invite(ann, 3)]);
    let party = last_view(&tick(&mut app, vec![]), ann).map(|view| view.party);
    assert!(party.is_none(), "nothing changed, nothing told");
    let id = party_id(&app, ann);
    let sent = tick(&mut app, vec![answer(cat, id, true)]);
    for member in [ann, bob] {
        assert!(to(&sent, member).contains(&ServerMessage::QueueCancelled {
            by: 3,
            reason: QueueCancel::PartyChanged
        }));
    }
    assert_eq!(
        app.world()
            .resource::<crate::matchmaking::MatchmakingQueue>()
            .waiting(),
        0
    );
    assert_eq!(members_of(&app, ann), vec![ann, bob, cat]);
}

#[test]
fn a_player_waiting_alone_must_leave_the_queue_before_joining_a_party() {
    let mut app = app(6);
    let (ann, bob) = (player(&mut app, 1, 1500), player(&mut app, 2, 1500));
    tick(&mut app, vec![Ask::Join(bob), invite(ann, 2)]);
    let party = party_id(&app, ann);
    let sent = tick(&mut app, vec![answer(bob, party, true)]);
    assert_eq!(refused(&sent, bob), vec![PartyRefusal::Queued]);
    let sent = tick(&mut app, vec![Ask::Leave(bob)]);
    assert!(refused(&sent, bob).is_empty());
    let sent = tick(&mut app, vec![answer(bob, party, true)]);
    assert!(refused(&sent, bob).is_empty());
    assert_eq!(members_of(&app, ann), vec![ann, bob]);
}

#[test]
fn a_party_larger_than_a_team_is_not_queued() {
    let mut app = app(6);
    let players: Vec<Entity> = (1..=3).map(|id| player(&mut app, id, 1500)).collect();
    party_of(&mut app, players[0], &players[1..]);
    // The mode's matches shrink to four players: teams of two.
    app.world_mut()
        .resource_mut::<MatchmakingSettings>()
        .match_size = 4;
    let sent = tick(&mut app, vec![Ask::Join(players[0])]);
    assert!(matches!(
        to(&sent, players[0]).as_slice(),
        [ServerMessage::Error { message, .. }] if message.contains("larger than a team")
    ));
}
