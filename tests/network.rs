//! The game network end to end: real UDP on 127.0.0.1, secure connect tokens, sessions, inputs,
//! snapshots, reconnects, abuse and matchmaking. Bots playing full matches are `tests/fairness.rs`'s.

use arbiter::net::{Sessions, TokenIssuer, load_or_create_key, unix_now};
use arbiter::persistence::{PersistStats, Progress};
use arbiter::settings::{NetSettings, PersistenceSettings};
use arbiter::tick::SkippedTicks;
use arbiter_client::netcode::{ConnectToken, PrivateToken, random_bytes};
use arbiter_client::token::{insecure_token, user_data_for_player};
use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_components::input::{InputBuffer, InputCadenceAnomalies};
use arbiter_components::messages::KickRequest;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{
    ClientChannel, ClientMessage, InputFrame, KickReason, ServerMessage, protocol_id,
};
use arbiter_testing::net::{TICK, TestServer, drain};
use std::collections::HashMap;
use std::net::UdpSocket;
use std::time::Duration;

fn input(tick: u64) -> ClientMessage {
    ClientMessage::Input(InputFrame {
        tick,
        move_x: 0.0,
        move_y: 1.0,
        yaw: 0.0,
        pitch: 0.0,
        buttons: 0,
    })
}

fn connect(server: &TestServer, player_id: u64) -> ArbiterClient {
    ArbiterClient::connect(server.token(player_id), None).expect("client socket")
}

#[test]
fn fifty_clients_connect_exchange_inputs_and_snapshots_and_disconnect_cleanly() {
    let mut server = TestServer::start();
    let mut clients: Vec<_> = (1..=50).map(|id| connect(&server, id)).collect();

    assert!(
        server.step_until(&mut clients, 300, |server, clients| {
            server.connected() == 50 && clients.iter().all(ArbiterClient::is_connected)
        }),
        "only {} of 50 connected",
        server.connected()
    );

    let mut welcomed = vec![false; clients.len()];
    let mut snapshots = vec![0u32; clients.len()];
    let mut acked = vec![0u64; clients.len()];
    for _ in 0..60 {
        let tick = server
            .app
            .world()
            .resource::<arbiter_components::tick::ServerTick>()
            .get();
        for client in &mut clients {
            client.send(&input(tick + 1));
        }
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
        for (index, client) in clients.iter_mut().enumerate() {
            for message in drain(client) {
                match message {
                    ServerMessage::Welcome { player_id, .. } => {
                        assert_eq!(player_id, index as u64 + 1, "the token's player id");
                        welcomed[index] = true;
                    }
                    ServerMessage::Snapshot {
                        ack_input_tick,
                        entities,
                        ..
                    } => {
                        snapshots[index] += 1;
                        acked[index] = acked[index].max(ack_input_tick);
                        assert_eq!(entities.len(), 1, "outside a match a client sees itself");
                        assert_eq!(entities[0].player_id, index as u64 + 1);
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        welcomed.iter().all(|welcomed| *welcomed),
        "every client got Welcome"
    );
    assert!(
        snapshots.iter().all(|count| *count >= 50),
        "snapshots per client: {snapshots:?}"
    );
    assert!(
        acked.iter().all(|tick| *tick > 0),
        "inputs were applied and acknowledged: {acked:?}"
    );

    for client in &mut clients {
        client.disconnect();
    }
    assert!(
        server.step_until(&mut [], 100, |server, _| server.connected() == 0),
        "{} still connected after a clean disconnect",
        server.connected()
    );
}

#[test]
fn refuses_expired_foreign_wrong_protocol_and_unsecure_clients() {
    let mut server = TestServer::start();
    let key_path = server.data_dir.path().join("netcode.key");
    let key = load_or_create_key(&key_path).expect("server key");
    let addresses = server.issuer().server_addresses().to_vec();

    let expired = server
        .issuer()
        .issue_at(1, unix_now() - Duration::from_secs(120), 60)
        .expect("token");
    let foreign = TokenIssuer::new([7; 32], addresses.clone(), &NetSettings::default())
        .issue(2)
        .expect("token");
    let private = PrivateToken {
        client_id: 3,
        timeout_seconds: 10,
        server_addresses: addresses.clone(),
        client_to_server_key: random_bytes(),
        server_to_client_key: random_bytes(),
        user_data: user_data_for_player(3),
    };
    let now = unix_now().as_secs();
    let other_protocol = ConnectToken::seal(&private, protocol_id() ^ 1, now, now + 300, &key);
    let unsecure = insecure_token(4, addresses[0]);

    let mut clients = vec![
        ArbiterClient::connect(expired, None).expect("socket"),
        ArbiterClient::connect(foreign, None).expect("socket"),
        ArbiterClient::connect(other_protocol, None).expect("socket"),
        ArbiterClient::connect(unsecure, None).expect("socket"),
    ];
    let anyone_connected = server.step_until(&mut clients, 180, |_, clients| {
        clients.iter().any(ArbiterClient::is_connected)
    });

    assert!(!anyone_connected, "a refused client connected");
    assert_eq!(server.connected(), 0);
    let control = connect(&server, 5);
    let mut control = [control];
    assert!(
        server.step_until(&mut control, 120, |_, clients| clients[0].is_connected()),
        "a valid token still connects"
    );
}

#[test]
fn a_reconnect_within_the_grace_period_resumes_the_same_entity_and_after_it_the_entity_is_gone() {
    let mut server = TestServer::start_with(|config| config.net.reconnect_grace_secs = 1);
    let mut client = [connect(&server, 77)];
    assert!(server.step_until(&mut client, 120, |server, _| server.connected() == 1));
    let entity = server.entity_of(77).expect("player entity");

    client[0].disconnect();
    assert!(server.step_until(&mut [], 60, |server, _| server.connected() == 0));
    assert_eq!(
        server.entity_of(77),
        Some(entity),
        "kept during the grace period"
    );

    let token = server.token(77);
    client[0].reconnect(token).expect("socket");
    assert!(server.step_until(&mut client, 120, |server, _| server.connected() == 1));
    assert_eq!(
        server.entity_of(77),
        Some(entity),
        "resumed the same entity"
    );

    client[0].disconnect();
    // 1 s of grace at 60 Hz, plus margin.
    server.step_until(&mut [], 90, |_, _| false);
    assert_eq!(server.entity_of(77), None, "gone after the grace period");
    assert!(server.app.world().get_entity(entity).is_err());
}

#[test]
fn a_player_who_left_is_removed_only_once_its_progress_is_stored() {
    let mut server = TestServer::start_persistent(|config| {
        config.net.reconnect_grace_secs = 1;
        config.persistence.flush_interval_secs = 3600;
    });
    let mut client = [connect(&server, 78)];
    let loaded = |server: &TestServer, _: &[ArbiterClient]| {
        server
            .entity_of(78)
            .is_some_and(|entity| server.app.world().get::<Progress>(entity).is_some())
    };
    assert!(server.step_until(&mut client, 300, loaded));
    let entity = server.entity_of(78).expect("player entity");

    client[0].disconnect();
    // Well past 1 s of grace at 60 Hz: its registration is not stored yet, so it stays.
    server.step_until(&mut [], 150, |_, _| false);
    assert_eq!(server.entity_of(78), Some(entity), "kept until stored");
    assert_eq!(server.app.world().resource::<PersistStats>().player_rows, 0);

    server
        .app
        .world_mut()
        .resource_mut::<PersistenceSettings>()
        .flush_interval_secs = 1;
    assert!(
        server.step_until(&mut [], 600, |server, _| server.entity_of(78).is_none()),
        "removed once its flush committed"
    );
    assert!(server.app.world().get_entity(entity).is_err());
    assert_eq!(server.app.world().resource::<PersistStats>().player_rows, 1);
}

#[test]
fn an_insecure_server_takes_zero_key_tokens_and_the_player_id_they_name() {
    let mut server = TestServer::start_with(|config| config.net.insecure = true);
    let mut client =
        [ArbiterClient::connect(insecure_token(808, server.addr), None).expect("socket")];
    assert!(
        server.step_until(&mut client, 300, |server, _| server
            .entity_of(808)
            .is_some()),
        "the insecure client connected as player 808"
    );
}

#[test]
fn the_same_player_connecting_twice_kicks_the_older_connection() {
    let mut server = TestServer::start();
    let mut clients = vec![connect(&server, 9)];
    assert!(server.step_until(&mut clients, 120, |server, _| server.connected() == 1));
    clients.push(connect(&server, 9));

    let mut older_kicked = false;
    server.step_until(&mut clients, 200, |_, _| false);
    for message in drain(&mut clients[0]) {
        older_kicked |= message
            == ServerMessage::Kicked {
                reason: KickReason::LoggedInElsewhere,
            };
    }
    assert!(older_kicked, "the older connection was told why");
    assert!(!clients[0].is_connected());
    assert!(clients[1].is_connected());
    assert_eq!(server.connected(), 1);
}

#[test]
fn clients_kicked_over_a_link_losing_40_percent_each_way_are_all_told_why_before_they_go() {
    let mut server = TestServer::start();
    let ids: Vec<u64> = (1..=8).collect();
    let mut clients: Vec<ArbiterClient> = ids.iter().map(|id| connect(&server, *id)).collect();
    assert!(server.step_until(&mut clients, 3000, |server, clients| {
        server.connected() == 8 && clients.iter().all(ArbiterClient::is_connected)
    }));
    // Then the network turns bad.
    for (client, id) in clients.iter_mut().zip(&ids) {
        let link = LinkConditioner::new(Duration::from_millis(20), Duration::ZERO, 0.4, *id);
        client.set_link(Some(link));
    }
    let reason = KickReason::Cheating("test".into());
    for id in &ids {
        let player = server
            .app
            .world()
            .resource::<Sessions>()
            .entity_of_player(PlayerId(*id))
            .expect("connected");
        server.app.world_mut().write_message(KickRequest {
            player,
            reason: reason.clone(),
        });
    }
    let mut told = vec![false; clients.len()];
    for _ in 0..5000 {
        if clients.iter().all(|client| !client.is_connected()) {
            break;
        }
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
        for (client, told) in clients.iter_mut().zip(&mut told) {
            *told |= drain(client).contains(&ServerMessage::Kicked {
                reason: reason.clone(),
            });
        }
    }
    assert!(clients.iter().all(|client| !client.is_connected()));
    // Closing right after sending would lose `Kicked` for about 40 % of them; held open until
    // it is acknowledged, every one hears it.
    assert_eq!(told, vec![true; clients.len()]);
}

#[test]
fn garbage_bad_messages_and_a_flood_never_panic_the_server_and_the_flooder_is_kicked() {
    let mut server = TestServer::start_with(|config| {
        config.net.max_violations_per_window = 100;
    });
    let mut clients = vec![
        connect(&server, 1),
        connect(&server, 2),
        connect(&server, 3),
    ];
    assert!(server.step_until(&mut clients, 300, |server, _| server.connected() == 3));

    // Raw garbage at the socket from an unconnected address.
    let stranger = UdpSocket::bind("127.0.0.1:0").expect("socket");
    for length in [0usize, 1, 13, 200, 1400, 1500] {
        let garbage: Vec<u8> = (0..length).map(|index| (index * 31 + 7) as u8).collect();
        let _ = stranger.send_to(&garbage, server.addr);
    }
    // A connected client sends undecodable, truncated, trailing and oversized messages.
    let valid = arbiter_components::protocol::encode(&ClientMessage::Ping { client_time_us: 1 });
    clients[1].send_raw(ClientChannel::Command, vec![0xff; 8]);
    clients[1].send_raw(ClientChannel::Command, valid[..valid.len() - 1].to_vec());
    clients[1].send_raw(ClientChannel::Command, [valid.as_slice(), &[0]].concat());
    clients[1].send_raw(ClientChannel::Input, vec![0; 4000]);
    // Outside renet (a message frame): a command where only inputs may come, and garbage.
    clients[1].send_raw(ClientChannel::Input, valid.clone());
    clients[1].send_raw(ClientChannel::Input, vec![0xff; 8]);

    // Client 0 floods: far more messages per tick than allowed, every tick.
    let mut honest_snapshots = 0;
    let mut flooder_kicked = false;
    for _ in 0..90 {
        let tick = server
            .app
            .world()
            .resource::<arbiter_components::tick::ServerTick>()
            .get();
        for _ in 0..40 {
            clients[0].send(&ClientMessage::Ping {
                client_time_us: tick,
            });
        }
        clients[2].send(&input(tick + 1));
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
        for message in drain(&mut clients[0]) {
            flooder_kicked |= message
                == ServerMessage::Kicked {
                    reason: KickReason::Flooding,
                };
        }
        honest_snapshots += drain(&mut clients[2])
            .iter()
            .filter(|message| matches!(message, ServerMessage::Snapshot { .. }))
            .count();
    }

    assert!(flooder_kicked, "the flooder was kicked for flooding");
    assert!(!clients[0].is_connected());
    assert!(
        clients[1].is_connected(),
        "a few bad messages are counted, not kicked"
    );
    assert!(clients[2].is_connected());
    assert!(
        honest_snapshots >= 85,
        "the honest client kept its snapshot rate: {honest_snapshots}/90"
    );
    let buffered = server
        .app
        .world()
        .get::<InputBuffer>(server.entity_of(3).expect("honest player"))
        .map(InputBuffer::last_applied_tick);
    assert!(
        buffered > Some(0),
        "the honest client's inputs were applied"
    );

    let metrics = arbiter::telemetry::metrics::prometheus().render();
    for series in [
        "arbiter_messages_dropped_total{reason=\"malformed\"}",
        "arbiter_messages_dropped_total{reason=\"oversized\"}",
        "arbiter_messages_dropped_total{reason=\"wrong_channel\"}",
        "arbiter_messages_dropped_total{reason=\"rate_limited\"}",
        "arbiter_kicks_total{reason=\"flooding\"}",
    ] {
        let count = metrics
            .lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse::<f64>().ok());
        assert!(count >= Some(1.0), "{series} not counted:\n{metrics}");
    }
}

/// Sends `count` datagrams from `flooder` to `server`: what a stranger throws at the socket, from
/// one address — junk of every size, forged connection requests (netcode packet type 0, the
/// standard's 1,078 bytes) and forged payload packets (type 5).
fn flood(flooder: &UdpSocket, server: std::net::SocketAddr, count: usize, round: usize) {
    for index in 0..count {
        let seed = (round * count + index) as u64;
        let datagram: Vec<u8> = match index % 4 {
            0 => [vec![0], vec![(seed % 251) as u8; 1077]].concat(),
            1 => [vec![5], seed.to_le_bytes().to_vec(), vec![7; 40]].concat(),
            _ => (0..(seed % 1200) as usize)
                .map(|byte| (seed as usize * 31 + byte * 17) as u8)
                .collect(),
        };
        let _ = flooder.send_to(&datagram, server);
    }
}

#[test]
fn a_datagram_flood_from_one_address_leaves_the_connected_players_served_and_is_counted() {
    let mut server = TestServer::start();
    let mut clients = vec![
        connect(&server, 1),
        connect(&server, 2),
        connect(&server, 3),
    ];
    assert!(server.step_until(&mut clients, 300, |server, _| server.connected() == 3));
    let flooder = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let refused_before = metric_sum("arbiter_packets_refused_total");

    // 2,000 datagrams a tick (120,000 a second) from one address: under the per-tick receive
    // budget, which the server drains every tick. Then 6,000 a tick: over it — the server reads
    // its budget and leaves the rest for the next tick, and the kernel drops what overflows.
    for (per_tick, ticks) in [(2_000, 120), (6_000, 60)] {
        let exhausted_before = metric_sum("arbiter_receive_budget_exhausted_total");
        let mut snapshots = vec![0; clients.len()];
        for round in 0..ticks {
            flood(&flooder, server.addr, per_tick, round);
            let tick = server
                .app
                .world()
                .resource::<arbiter_components::tick::ServerTick>()
                .get();
            for client in &mut clients {
                client.send(&input(tick + 1));
            }
            server.step(&mut clients);
            std::thread::sleep(Duration::from_micros(200));
            for (client, snapshots) in clients.iter_mut().zip(&mut snapshots) {
                *snapshots += drain(client)
                    .iter()
                    .filter(|message| matches!(message, ServerMessage::Snapshot { .. }))
                    .count();
            }
        }
        if per_tick > 4096 {
            let exhausted = metric_sum("arbiter_receive_budget_exhausted_total") - exhausted_before;
            assert!(
                exhausted >= ticks as f64 / 2.0,
                "over the budget, ticks stop reading at it: {exhausted} of {ticks}"
            );
        }
        assert_eq!(server.connected(), 3, "a flood of {per_tick} a tick");
        assert!(clients.iter().all(ArbiterClient::is_connected));
        for (player, snapshots) in (1..).zip(&snapshots) {
            assert!(
                *snapshots as f64 >= 0.95 * ticks as f64,
                "player {player} under a flood of {per_tick} a tick: {snapshots}/{ticks} snapshots"
            );
            let applied = server
                .app
                .world()
                .get::<InputBuffer>(server.entity_of(player).expect("player"))
                .map(InputBuffer::last_applied_tick);
            let now = server
                .app
                .world()
                .resource::<arbiter_components::tick::ServerTick>()
                .get();
            assert!(
                applied.is_some_and(|applied| applied + 10 >= now),
                "player {player}'s inputs still applied under a flood of {per_tick}: {applied:?} at {now}"
            );
        }
    }
    let refused = metric_sum("arbiter_packets_refused_total") - refused_before;
    assert!(
        refused >= 200_000.0,
        "the flood is counted by reason in arbiter_packets_refused_total: {refused}"
    );
}

/// A stall (a paused VM, the host swapping) makes the runner drop ticks; the clients kept playing
/// meanwhile, so the next tick receives seconds of their inputs at once. Before the limits allowed
/// for dropped ticks, a five-second stall in the soak test kicked 88 of 94 players for flooding.
#[test]
fn inputs_sent_while_the_server_stalled_are_not_taken_for_flooding_or_a_speed_hack() {
    let mut server = TestServer::start();
    let mut clients = vec![connect(&server, 1), connect(&server, 2)];
    assert!(server.step_until(&mut clients, 300, |server, _| server.connected() == 2));
    let server_tick = |server: &TestServer| {
        server
            .app
            .world()
            .resource::<arbiter_components::tick::ServerTick>()
            .get()
    };

    // Two seconds of the clients' frames while the server runs no tick: 120 inputs each, more
    // than `max_messages_per_tick` (16) plus `max_violations_per_window` (64).
    let stalled_at = server_tick(&server);
    for frame in 1..=120 {
        for client in &mut clients {
            client.send(&input(stalled_at + frame));
            let _ = client.update(TICK);
            let _ = client.flush();
        }
    }
    std::thread::sleep(Duration::from_millis(20));
    // What the runner does when it resumes: those 120 ticks are dropped, not caught up.
    server
        .app
        .world_mut()
        .resource_mut::<SkippedTicks>()
        .record(120);
    server.step(&mut clients);
    server
        .app
        .world_mut()
        .resource_mut::<SkippedTicks>()
        .record(0);

    // Then two seconds of play as usual, through the input-cadence windows.
    let mut kicked = Vec::new();
    for _ in 0..120 {
        let tick = server_tick(&server);
        for client in &mut clients {
            client.send(&input(tick + 1));
        }
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
        for client in &mut clients {
            kicked.extend(
                drain(client)
                    .into_iter()
                    .filter(|message| matches!(message, ServerMessage::Kicked { .. })),
            );
        }
    }
    assert_eq!(
        kicked,
        Vec::new(),
        "nobody is kicked for a stall of the server's"
    );
    assert!(clients.iter().all(ArbiterClient::is_connected));
    for player in [1, 2] {
        let entity = server.entity_of(player).expect("still connected");
        assert_eq!(
            server.app.world().get::<InputCadenceAnomalies>(entity),
            Some(&InputCadenceAnomalies(0)),
            "player {player}'s clock is not taken for running fast"
        );
    }
}

/// The sum of every series of counter `name` (every server in this test binary adds to it).
fn metric_sum(name: &str) -> f64 {
    arbiter::telemetry::metrics::prometheus()
        .render()
        .lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[test]
fn inputs_for_more_ticks_than_elapsed_raise_a_speed_hack_signal_for_that_player_only() {
    let mut server = TestServer::start();
    let mut clients = vec![connect(&server, 1), connect(&server, 2)];
    assert!(server.step_until(&mut clients, 300, |server, _| server.connected() == 2));

    let mut fast_tick = server
        .app
        .world()
        .resource::<arbiter_components::tick::ServerTick>()
        .get();
    for _ in 0..150 {
        let tick = server
            .app
            .world()
            .resource::<arbiter_components::tick::ServerTick>()
            .get();
        clients[0].send(&input(tick + 1));
        // The cheater's clock runs at double speed: two new ticks of input per real tick.
        for _ in 0..2 {
            fast_tick = fast_tick.max(tick) + 1;
            clients[1].send(&input(fast_tick));
        }
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
    }

    let anomalies = |player_id| {
        let entity = server.entity_of(player_id).expect("player");
        server
            .app
            .world()
            .get::<InputCadenceAnomalies>(entity)
            .map(|anomalies| anomalies.0)
    };
    assert_eq!(anomalies(1), Some(0), "an honest client raises no signal");
    assert!(anomalies(2) >= Some(1), "the fast client raised a signal");
}

#[test]
fn snapshots_of_a_ten_player_match_stay_within_the_bandwidth_budget() {
    const SECONDS: u64 = 2;
    let mut server = TestServer::start();
    let mut clients: Vec<_> = (1..=10).map(|id| connect(&server, id)).collect();
    assert!(server.step_until(&mut clients, 300, |server, _| server.connected() == 10));
    // One group that sees each other, without the match rules.
    let group = server.app.world_mut().spawn_empty().id();
    for player_id in 1..=10 {
        let entity = server.entity_of(player_id).expect("player");
        server
            .app
            .world_mut()
            .entity_mut(entity)
            .insert(arbiter_components::matchmaking::InMatch(group));
    }
    server.step(&mut clients);
    for client in &mut clients {
        drain(client);
    }
    let bytes_before: Vec<u64> = (1..=10).map(|id| snapshot_bytes(&server, id)).collect();

    let mut seen_in_snapshot = 0;
    for _ in 0..SECONDS * 60 {
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
        for client in &mut clients {
            for message in drain(client) {
                if let ServerMessage::Snapshot { entities, .. } = message {
                    seen_in_snapshot = seen_in_snapshot.max(entities.len());
                }
            }
        }
    }

    assert_eq!(seen_in_snapshot, 10, "a match member sees all ten players");
    let per_client_per_second: Vec<u64> = (1..=10)
        .zip(&bytes_before)
        .map(|(id, before)| (snapshot_bytes(&server, id) - before) / SECONDS)
        .collect();
    #[expect(clippy::print_stderr, reason = "the figure BENCHMARKS.md quotes")]
    {
        eprintln!(
            "snapshot payload bytes per client per second, 10-player match at 60 Hz: {per_client_per_second:?}"
        );
    }
    // 10 players × ~40 bytes × 60 Hz is ~25 KB/s; anything far above means the encoding regressed.
    assert!(
        per_client_per_second.iter().all(|rate| *rate <= 32_000),
        "{per_client_per_second:?}"
    );
}

fn snapshot_bytes(server: &TestServer, player_id: u64) -> u64 {
    let entity = server.entity_of(player_id).expect("player");
    server
        .app
        .world()
        .get::<arbiter_components::session::Session>(entity)
        .map_or(0, |session| session.bytes_sent)
}

#[test]
fn a_hundred_clients_join_the_queue_and_all_end_up_in_matches_of_ten() {
    let mut server = TestServer::start();
    let mut clients: Vec<ArbiterClient> = (1..=100)
        .map(|id| ArbiterClient::connect(server.token(id), None).expect("socket"))
        .collect();
    assert!(
        server.step_until(&mut clients, 600, |server, _| server.connected() == 100),
        "only {} connected",
        server.connected()
    );
    for client in &mut clients {
        client.send(&ClientMessage::JoinQueue { mode: 0 });
    }

    // match id -> the players it was announced to, and the roster each was given.
    let mut announced: HashMap<u64, Vec<(u64, Vec<u64>, u8)>> = HashMap::new();
    let mut found = vec![false; clients.len()];
    // 120 ticks: two seconds of server time.
    for _ in 0..120 {
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(300));
        for (index, client) in clients.iter_mut().enumerate() {
            for message in drain(client) {
                if let ServerMessage::MatchFound {
                    match_id,
                    team,
                    teams,
                    ..
                } = message
                {
                    found[index] = true;
                    announced.entry(match_id).or_default().push((
                        index as u64 + 1,
                        teams.concat(),
                        team,
                    ));
                }
            }
        }
        if found.iter().all(|found| *found) {
            break;
        }
    }

    let missing: Vec<usize> = (0..100).filter(|index| !found[*index]).collect();
    assert!(missing.is_empty(), "no MatchFound for clients {missing:?}");
    assert_eq!(announced.len(), 10, "ten matches of ten");
    for (match_id, members) in &announced {
        assert_eq!(members.len(), 10, "match {match_id}");
        let mut roster = members[0].1.clone();
        roster.sort_unstable();
        let mut told: Vec<u64> = members.iter().map(|(player, _, _)| *player).collect();
        told.sort_unstable();
        assert_eq!(roster, told, "the roster lists exactly the players told");
        let team_sizes = members.iter().fold([0; 2], |mut sizes, (_, _, team)| {
            sizes[usize::from(*team)] += 1;
            sizes
        });
        assert_eq!(team_sizes, [5, 5]);
    }
}

#[test]
fn a_backtracking_cheater_is_kicked_and_an_honest_shooter_is_never_refused() {
    use arbiter_components::matchmaking::{InMatch, Match};
    let mut server = TestServer::start();
    let mut clients = vec![connect(&server, 1), connect(&server, 2)];
    assert!(server.step_until(&mut clients, 300, |server, _| server.connected() == 2));
    // Put both in one match (no map: open ground).
    let game = server
        .app
        .world_mut()
        .spawn(Match::new(1, 0, "none".into(), [Vec::new(), Vec::new()], 0))
        .id();
    for player_id in [1, 2] {
        let entity = server.entity_of(player_id).expect("player");
        server
            .app
            .world_mut()
            .entity_mut(entity)
            .insert(InMatch(game));
    }

    // A second of play first, so there is history to rewind into.
    server.step_until(&mut clients, 60, |_, _| false);
    let mut honest_refusals = Vec::new();
    let mut honest_results = 0;
    let mut cheater_kicked = None;
    for step in 0..240u64 {
        let tick = server
            .app
            .world()
            .resource::<arbiter_components::tick::ServerTick>()
            .get();
        if step % 6 == 0 {
            // Honest: fires 10 times a second, claiming what it saw ~100 ms ago (interpolation).
            clients[0].send(&ClientMessage::Fire {
                client_tick: tick - 6,
                yaw: 0.0,
                pitch: 0.0,
                weapon: 0,
                target: None,
            });
        }
        if step % 3 == 0 && clients[1].is_connected() {
            // Backtracker: claims ticks 650 ms in the past to shoot where enemies were.
            clients[1].send(&ClientMessage::Fire {
                client_tick: tick - 39,
                yaw: 0.0,
                pitch: 0.0,
                weapon: 0,
                target: None,
            });
        }
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
        for message in drain(&mut clients[0]) {
            if let ServerMessage::ShotResult { outcome, .. } = message {
                honest_results += 1;
                if let arbiter_components::protocol::ShotOutcome::Rejected(reason) = outcome {
                    honest_refusals.push(reason);
                }
            }
        }
        for message in drain(&mut clients[1]) {
            if let ServerMessage::Kicked { reason } = message {
                cheater_kicked = Some(reason);
            }
        }
    }

    assert!(
        honest_results >= 35,
        "the honest shots were judged: {honest_results} results"
    );
    assert!(
        honest_refusals.is_empty(),
        "the honest shooter was refused: {honest_refusals:?}"
    );
    assert!(clients[0].is_connected());
    let Some(KickReason::Cheating(evidence)) = cheater_kicked else {
        panic!("the backtracker was not kicked for cheating: {cheater_kicked:?}")
    };
    assert!(evidence.contains("bad_tick"), "{evidence}");
    assert!(!clients[1].is_connected());
}

#[test]
fn a_client_behind_a_slow_jittery_lossy_link_still_connects_and_gets_snapshots() {
    let mut server = TestServer::start();
    let link = LinkConditioner::new(
        Duration::from_millis(75),
        Duration::from_millis(10),
        0.05,
        11,
    );
    let mut clients = vec![ArbiterClient::connect(server.token(5), Some(link)).expect("socket")];
    assert!(
        server.step_until(&mut clients, 600, |_, clients| clients[0].is_connected()),
        "never connected through the simulated link"
    );
    let mut snapshots = 0;
    for _ in 0..120 {
        server.step(&mut clients);
        std::thread::sleep(Duration::from_micros(200));
        snapshots += drain(&mut clients[0])
            .iter()
            .filter(|message| matches!(message, ServerMessage::Snapshot { .. }))
            .count();
    }
    assert!(
        snapshots >= 90,
        "{snapshots} snapshots in 120 ticks at 5 % loss"
    );
}
