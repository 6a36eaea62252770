//! Parties over real UDP, every packet through a lossy, jittery link: a leader invites two players
//! who accept, a member's own `JoinQueue` is refused, the leader queues the party, three solo
//! players queue, and the match puts the party on one team; then, in a second server, a member of
//! a waiting party disconnects and the others are told its ticket left the queue and it is
//! offline.

use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_components::party::PartyRequest;
use arbiter_components::protocol::{
    ClientMessage, ErrorCode, PartyView, QueueCancel, ServerMessage,
};
use arbiter_testing::net::TestServer;
use std::time::Duration;

/// Players online, and what each has heard so far.
struct Lobby {
    server: TestServer,
    clients: Vec<ArbiterClient>,
    heard: Vec<Vec<ServerMessage>>,
}

impl Lobby {
    /// Players 1..=`players` on a server with matches of `match_size`, each behind 2 % loss,
    /// 20 ± 5 ms.
    fn open(match_size: u32, players: u64) -> Self {
        let server = TestServer::start_with(move |config| {
            config.matchmaking.match_size = match_size;
        });
        let clients = (1..=players)
            .map(|id| {
                let link = LinkConditioner::new(
                    Duration::from_millis(20),
                    Duration::from_millis(5),
                    0.02,
                    id,
                );
                ArbiterClient::connect(server.token(id), Some(link)).expect("socket")
            })
            .collect();
        let mut lobby = Self {
            server,
            clients,
            heard: vec![Vec::new(); players as usize],
        };
        lobby.until("everyone is welcomed", |heard| {
            heard.iter().all(|messages| {
                messages
                    .iter()
                    .any(|message| matches!(message, ServerMessage::Welcome { .. }))
            })
        });
        lobby
    }

    /// Player `id` sends `message`.
    fn send(&mut self, id: u64, message: ClientMessage) {
        self.clients[id as usize - 1].send(&message);
    }

    fn heard(&self, id: u64) -> &[ServerMessage] {
        &self.heard[id as usize - 1]
    }

    /// Steps until `done` holds for what was heard (at most 3,000 steps).
    fn until(&mut self, what: &str, done: impl Fn(&[Vec<ServerMessage>]) -> bool) {
        self.server
            .hear_until(&mut self.clients, &mut self.heard, what, done);
    }

    /// Player 1 founds a party and players 2..=`size` join it.
    fn form_party(&mut self, size: u64) {
        for id in 2..=size {
            self.send(
                1,
                ClientMessage::Party(PartyRequest::Invite { player_id: id }),
            );
        }
        let at = |id: u64| id as usize - 1;
        self.until("the invitations arrive", |heard| {
            (2..=size).all(|id| {
                heard[at(id)]
                    .iter()
                    .any(|m| matches!(m, ServerMessage::PartyInvited { by: 1, .. }))
            })
        });
        for id in 2..=size {
            let party = self
                .heard(id)
                .iter()
                .find_map(|message| match message {
                    ServerMessage::PartyInvited { party, .. } => Some(*party),
                    _ => None,
                })
                .expect("invited");
            self.send(
                id,
                ClientMessage::Party(PartyRequest::Answer {
                    party,
                    accept: true,
                }),
            );
        }
        self.until("every member sees the whole party", |heard| {
            (1..=size).all(|id| {
                party_view(&heard[at(id)]).is_some_and(|view| view.members.len() == size as usize)
            })
        });
    }
}

fn party_view(heard: &[ServerMessage]) -> Option<&PartyView> {
    heard.iter().rev().find_map(|message| match message {
        ServerMessage::Party(view) => Some(view),
        _ => None,
    })
}

fn found_team(heard: &[ServerMessage]) -> Option<(u8, [Vec<u64>; 2])> {
    heard.iter().find_map(|message| match message {
        ServerMessage::MatchFound { team, teams, .. } => Some((*team, teams.clone())),
        _ => None,
    })
}

#[test]
fn a_party_queued_by_its_leader_is_matched_onto_one_team() {
    let mut lobby = Lobby::open(6, 6);
    lobby.form_party(3);
    let view = party_view(lobby.heard(2)).expect("a party").clone();
    assert_eq!(view.leader, 1);
    assert!(view.members.iter().all(|member| member.online));

    lobby.send(2, ClientMessage::JoinQueue { mode: 0 });
    lobby.until("a member's own JoinQueue is refused", |heard| {
        heard[1].iter().any(|message| {
            matches!(message, ServerMessage::Error { code: ErrorCode::NotAllowed, message } if message.contains("leader"))
        })
    });
    lobby.send(1, ClientMessage::JoinQueue { mode: 0 });
    lobby.until("the members see the party queued", |heard| {
        party_view(&heard[2]).is_some_and(|view| view.queued)
    });
    for solo in 4..=6 {
        lobby.send(solo, ClientMessage::JoinQueue { mode: 0 });
    }
    lobby.until("all six find the match", |heard| {
        heard.iter().all(|messages| found_team(messages).is_some())
    });
    let (team, teams) = found_team(lobby.heard(1)).expect("found");
    let mut party_team = teams[usize::from(team)].clone();
    party_team.sort_unstable();
    assert_eq!(party_team, vec![1, 2, 3], "the party makes one whole team");
    for member in 2..=3 {
        assert_eq!(
            found_team(lobby.heard(member)).map(|(team, _)| team),
            Some(team)
        );
    }
    for solo in 4..=6 {
        assert_ne!(
            found_team(lobby.heard(solo)).map(|(team, _)| team),
            Some(team)
        );
    }
}

#[test]
fn a_member_who_disconnects_takes_the_party_out_of_the_queue_and_the_others_are_told() {
    // Matches of ten: three players alone never fill one, so the party waits.
    let mut lobby = Lobby::open(10, 3);
    lobby.form_party(3);
    lobby.send(1, ClientMessage::JoinQueue { mode: 0 });
    lobby.until("the members see the party queued", |heard| {
        party_view(&heard[1]).is_some_and(|view| view.queued)
    });
    lobby.clients[2].disconnect();
    lobby.until("both others hear the ticket left the queue", |heard| {
        heard[..2].iter().all(|messages| {
            messages.contains(&ServerMessage::QueueCancelled {
                by: 3,
                reason: QueueCancel::Disconnected,
            })
        })
    });
    lobby.until(
        "both others see the member offline and the party not queued",
        |heard| {
            heard[..2].iter().all(|messages| {
                party_view(messages).is_some_and(|view| {
                    !view.queued
                        && view
                            .members
                            .iter()
                            .any(|member| member.player_id == 3 && !member.online)
                })
            })
        },
    );
    lobby.send(1, ClientMessage::JoinQueue { mode: 0 });
    lobby.until("the leader cannot queue with a member away", |heard| {
        heard[0].iter().any(|message| {
            matches!(message, ServerMessage::Error { message, .. } if message.contains("party member 3 is offline"))
        })
    });
}
