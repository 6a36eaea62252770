//! The C API end to end against a real server (in process, real UDP on loopback), called the way a
//! C program calls it: events polled, views read, requests refused with reasons, reconnection,
//! disconnection — and a client behind a lossy, jittery link.
#![expect(
    unsafe_code,
    reason = "calls the exported functions and reads the event union, as C does"
)]

use arbiter_client::token::encode_token;
use arbiter_ffi::client::{
    arbiter_connect, arbiter_disconnect, arbiter_free, arbiter_poll, arbiter_reconnect,
    arbiter_stats, arbiter_update, ArbiterLink, ArbiterState, ArbiterStats,
};
use arbiter_ffi::events::{ArbiterEvent, ArbiterEventKind as Kind};
use arbiter_ffi::handles::ArbiterHandle;
use arbiter_ffi::requests::{
    arbiter_party_answer, arbiter_party_invite, arbiter_party_kick, arbiter_ping,
    arbiter_trade_accept, arbiter_use_item,
};
use arbiter_ffi::views::{arbiter_inventory, arbiter_party, ArbiterInventory, ArbiterParty};
use arbiter_ffi::ArbiterResult;
use arbiter_testing::net::TestServer;
use std::ffi::{c_char, CStr, CString};
use std::mem::MaybeUninit;

const OK: i32 = ArbiterResult::Ok as i32;
const FRAME_SECONDS: f64 = 1.0 / 60.0;
const MAX_FRAMES: usize = 1200;

struct Client(ArbiterHandle);

impl Client {
    fn connect(server: &TestServer, player_id: u64, link: Option<ArbiterLink>) -> Self {
        let token = token(server, player_id);
        let mut handle = 0;
        let link = link
            .as_ref()
            .map_or(std::ptr::null(), |link| link as *const _);
        // SAFETY: a NUL-terminated token, a link or null, a writable handle.
        let result = unsafe { arbiter_connect(token.as_ptr(), link, &mut handle) };
        assert_eq!(result, OK);
        Self(handle)
    }

    fn stats(&self) -> ArbiterStats {
        let mut stats = MaybeUninit::uninit();
        // SAFETY: a writable `ArbiterStats`.
        assert_eq!(unsafe { arbiter_stats(self.0, stats.as_mut_ptr()) }, OK);
        // SAFETY: written by the successful call.
        unsafe { stats.assume_init() }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        arbiter_free(self.0);
    }
}

fn token(server: &TestServer, player_id: u64) -> CString {
    CString::new(encode_token(&server.token(player_id))).expect("base64 has no NUL")
}

fn text(pointer: *const c_char) -> String {
    // SAFETY: the API hands out NUL-terminated strings, valid until the next call.
    unsafe { CStr::from_ptr(pointer) }
        .to_string_lossy()
        .into_owned()
}

/// What the tests look at in an event, copied out before the next call.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Welcome(u64),
    Inventory { whole: bool },
    Pong(u64),
    Refused(Kind, u64, String),
    PartyInvited { party: u64, by: u64 },
    PartyChanged(u64),
    Disconnected(String),
    Other(Kind),
}

fn seen(event: &ArbiterEvent) -> Seen {
    // SAFETY: each arm reads the member its kind names.
    unsafe {
        match event.kind {
            Kind::Welcome => Seen::Welcome(event.body.welcome.player_id),
            Kind::InventoryChanged => Seen::Inventory {
                whole: event.body.inventory_changed.whole == 1,
            },
            Kind::Pong => Seen::Pong(event.body.pong.client_time_us),
            Kind::ItemRefused | Kind::TradeRefused | Kind::PartyRefused | Kind::GuildRefused => {
                Seen::Refused(
                    event.kind,
                    event.body.refused.trade,
                    text(event.body.refused.reason),
                )
            }
            Kind::PartyInvited => Seen::PartyInvited {
                party: event.body.party_invited.party,
                by: event.body.party_invited.by,
            },
            Kind::PartyChanged => Seen::PartyChanged(event.body.party_changed.party),
            Kind::Disconnected => Seen::Disconnected(text(event.body.disconnected.reason)),
            other => Seen::Other(other),
        }
    }
}

/// Steps the server and each client's frame until `done` holds for what `client` saw; returns
/// everything each client saw.
fn run_until(
    server: &mut TestServer,
    clients: &[&Client],
    watched: usize,
    mut done: impl FnMut(&[Seen]) -> bool,
) -> Vec<Vec<Seen>> {
    let mut heard = vec![Vec::new(); clients.len()];
    for _ in 0..MAX_FRAMES {
        server.step(&mut []);
        std::thread::sleep(std::time::Duration::from_millis(1));
        for (client, heard) in clients.iter().zip(heard.iter_mut()) {
            arbiter_update(client.0, FRAME_SECONDS);
            let mut event = MaybeUninit::uninit();
            // SAFETY: `event` is writable; it is read only after a successful poll.
            while unsafe { arbiter_poll(client.0, event.as_mut_ptr()) } == OK {
                // SAFETY: the successful poll wrote it.
                let event = unsafe { event.assume_init_ref() };
                heard.push(seen(event));
            }
        }
        if done(&heard[watched]) {
            return heard;
        }
    }
    panic!("not seen within {MAX_FRAMES} frames: {heard:?}");
}

#[test]
fn behind_a_lossy_jittery_link_a_client_is_welcomed_sees_its_inventory_and_hears_its_pong() {
    let mut server = TestServer::start();
    let link = ArbiterLink {
        latency_ms: 40,
        jitter_ms: 15,
        loss: 0.1,
        seed: 7,
    };
    let client = Client::connect(&server, 5, Some(link));
    run_until(&mut server, &[&client], 0, |seen| {
        seen.contains(&Seen::Welcome(5)) && seen.contains(&Seen::Inventory { whole: true })
    });
    let mut inventory = MaybeUninit::<ArbiterInventory>::uninit();
    // SAFETY: a writable `ArbiterInventory`.
    let result = unsafe { arbiter_inventory(client.0, inventory.as_mut_ptr()) };
    assert_eq!(result, OK);
    // SAFETY: written by the successful call.
    let inventory = unsafe { inventory.assume_init() };
    assert!(inventory.capacity > 0, "{inventory:?}");
    assert_eq!(arbiter_ping(client.0, 987_654), OK);
    run_until(&mut server, &[&client], 0, |seen| {
        seen.contains(&Seen::Pong(987_654))
    });
    let stats = client.stats();
    assert_eq!(stats.state, ArbiterState::Connected);
    assert_eq!(stats.player_id, 5);
    assert!(stats.rtt_ms > 50.0, "two 40 ms legs: {stats:?}");
    assert_eq!(stats.malformed_received, 0);
}

#[test]
fn refused_requests_come_back_as_events_with_the_servers_reason() {
    let mut server = TestServer::start();
    let client = Client::connect(&server, 6, None);
    run_until(&mut server, &[&client], 0, |seen| {
        seen.contains(&Seen::Welcome(6))
    });
    assert_eq!(arbiter_trade_accept(client.0, 4242, 1), OK);
    assert_eq!(arbiter_party_kick(client.0, 99), OK);
    // SAFETY: a NUL-terminated item id.
    let result = unsafe { arbiter_use_item(client.0, c"no_such_item".as_ptr()) };
    assert_eq!(result, OK);
    let heard = run_until(&mut server, &[&client], 0, |seen| {
        seen.iter()
            .filter(|seen| matches!(seen, Seen::Refused(..)))
            .count()
            == 3
    });
    let refused: Vec<&Seen> = heard[0]
        .iter()
        .filter(|seen| matches!(seen, Seen::Refused(..)))
        .collect();
    assert!(refused.contains(&&Seen::Refused(
        Kind::TradeRefused,
        4242,
        "no_such_trade".into()
    )));
    assert!(refused.contains(&&Seen::Refused(
        Kind::PartyRefused,
        0,
        "not_in_party".into()
    )));
    assert!(
        refused.iter().any(
            |seen| matches!(seen, Seen::Refused(Kind::ItemRefused, 0, reason) if !reason.is_empty())
        ),
        "{refused:?}"
    );
}

#[test]
fn an_invitation_answered_through_the_api_forms_a_party_both_views_show() {
    let mut server = TestServer::start();
    let (leader, friend) = (
        Client::connect(&server, 11, None),
        Client::connect(&server, 12, None),
    );
    run_until(&mut server, &[&leader, &friend], 1, |seen| {
        seen.contains(&Seen::Welcome(12))
    });
    assert_eq!(arbiter_party_invite(leader.0, 12), OK);
    let heard = run_until(&mut server, &[&leader, &friend], 1, |seen| {
        seen.iter()
            .any(|seen| matches!(seen, Seen::PartyInvited { by: 11, .. }))
    });
    let party = heard[1]
        .iter()
        .find_map(|seen| match seen {
            Seen::PartyInvited { party, .. } => Some(*party),
            _ => None,
        })
        .expect("invited");
    assert_eq!(arbiter_party_answer(friend.0, party, 1), OK);
    run_until(&mut server, &[&leader, &friend], 1, |seen| {
        seen.contains(&Seen::PartyChanged(party))
    });
    for client in [&leader, &friend] {
        let mut view = MaybeUninit::<ArbiterParty>::uninit();
        // SAFETY: a writable `ArbiterParty`.
        assert_eq!(unsafe { arbiter_party(client.0, view.as_mut_ptr()) }, OK);
        // SAFETY: written by the successful call; its array is valid until the next call.
        let (view, members) = unsafe {
            let view = view.assume_init();
            (
                view,
                std::slice::from_raw_parts(view.members, view.member_count),
            )
        };
        assert_eq!((view.party, view.leader), (party, 11));
        let ids: Vec<u64> = members.iter().map(|member| member.player_id).collect();
        assert_eq!(ids, [11, 12]);
    }
}

#[test]
fn reconnecting_keeps_the_handle_and_the_player_and_disconnecting_ends_with_one_event() {
    let mut server = TestServer::start();
    let client = Client::connect(&server, 21, None);
    run_until(&mut server, &[&client], 0, |seen| {
        seen.contains(&Seen::Welcome(21))
    });
    let fresh = token(&server, 21);
    // SAFETY: a NUL-terminated token.
    assert_eq!(unsafe { arbiter_reconnect(client.0, fresh.as_ptr()) }, OK);
    assert_eq!(
        client.stats().player_id,
        0,
        "a new connection, not yet welcomed"
    );
    run_until(&mut server, &[&client], 0, |seen| {
        seen.contains(&Seen::Welcome(21))
    });

    assert_eq!(arbiter_disconnect(client.0), OK);
    let heard = run_until(&mut server, &[&client], 0, |seen| {
        seen.contains(&Seen::Disconnected("by_client".into()))
    });
    let goodbyes = heard[0]
        .iter()
        .filter(|seen| matches!(seen, Seen::Disconnected(_)))
        .count();
    assert_eq!(goodbyes, 1);
    assert_eq!(client.stats().state, ArbiterState::Disconnected);
    assert_eq!(
        arbiter_ping(client.0, 1),
        ArbiterResult::Disconnected as i32
    );
    assert_eq!(
        arbiter_update(client.0, FRAME_SECONDS),
        ArbiterResult::Disconnected as i32
    );
}
