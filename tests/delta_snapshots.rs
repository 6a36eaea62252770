//! Delta snapshots end to end: ten players moving and turning in one group, every client behind a
//! lossy, jittery link; every snapshot a client reconstructs equals, to the wire's resolution, what
//! the server held at that tick, and the deltas are a fraction of full snapshots.

use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_components::kinematics::{Position, Velocity};
use arbiter_components::matchmaking::InMatch;
use arbiter_components::player::{Aim, Health, PlayerId};
use arbiter_components::protocol::{
    ClientMessage, EntityState, InputFrame, QuantisedState, ServerMessage, encode,
};
use arbiter_components::session::Session;
use arbiter_components::tick::ServerTick;
use arbiter_testing::net::{TestServer, drain};
use std::collections::HashMap;
use std::time::Duration;

const PLAYERS: u64 = 10;
const SECONDS: u64 = 5;

/// What the server holds of every player in the group now, quantised as the wire carries it.
fn server_states(server: &mut TestServer) -> Vec<QuantisedState> {
    let world = server.app.world_mut();
    let mut states: Vec<QuantisedState> = world
        .query::<(&PlayerId, &Position, &Velocity, &Aim, &Health)>()
        .iter(world)
        .map(|(player, position, velocity, aim, health)| {
            QuantisedState::of(player, position, velocity, aim, health)
        })
        .collect();
    states.sort_unstable_by_key(|state| state.player_id);
    states
}

fn snapshot_bytes(server: &TestServer) -> u64 {
    (1..=PLAYERS)
        .filter_map(|id| server.entity_of(id))
        .filter_map(|entity| server.app.world().get::<Session>(entity))
        .map(|session| session.bytes_sent)
        .sum()
}

#[test]
fn ten_moving_players_behind_a_lossy_link_reconstruct_every_snapshot_exactly_from_small_deltas() {
    let mut server = TestServer::start();
    let mut clients: Vec<ArbiterClient> = (1..=PLAYERS)
        .map(|id| {
            let link = LinkConditioner::new(
                Duration::from_millis(40),
                Duration::from_millis(10),
                0.05,
                id,
            );
            ArbiterClient::connect(server.token(id), Some(link)).expect("client socket")
        })
        .collect();
    assert!(server.step_until(&mut clients, 600, |server, clients| {
        server.connected() == PLAYERS as usize && clients.iter().all(ArbiterClient::is_connected)
    }));
    let group = server.app.world_mut().spawn_empty().id();
    for id in 1..=PLAYERS {
        let entity = server.entity_of(id).expect("player");
        server
            .app
            .world_mut()
            .entity_mut(entity)
            .insert(InMatch(group));
    }
    let bytes_before = snapshot_bytes(&server);
    // Snapshots of earlier ticks (each player alone) may still be in flight.
    let first_tick = server.app.world().resource::<ServerTick>().get() + 1;

    let mut held: HashMap<u64, Vec<QuantisedState>> = HashMap::new();
    let (mut reconstructed, mut full_bytes) = (0u64, 0u64);
    let steps = SECONDS * 60;
    for step in 0..steps {
        let tick = server.app.world().resource::<ServerTick>().get();
        for (index, client) in clients.iter_mut().enumerate() {
            // Each player runs its own circle, turning as it goes.
            let phase = (step as f32 + index as f32 * 6.0) / 40.0;
            client.send(&ClientMessage::Input(InputFrame {
                tick: tick + 1,
                move_x: phase.cos(),
                move_y: phase.sin(),
                yaw: phase,
                pitch: 0.2 * phase.sin(),
                buttons: 0,
            }));
        }
        server.step(&mut clients);
        let now = server.app.world().resource::<ServerTick>().get();
        let states = server_states(&mut server);
        let entities: Vec<EntityState> = states.iter().map(QuantisedState::to_state).collect();
        full_bytes += encode(&ServerMessage::Snapshot {
            tick: now,
            ack_input_tick: now,
            entities,
        })
        .len() as u64;
        held.insert(now, states);
        std::thread::sleep(Duration::from_micros(200));
        for client in &mut clients {
            for message in drain(client) {
                if let ServerMessage::Snapshot { tick, entities, .. } = message
                    && tick >= first_tick
                {
                    let received: Vec<QuantisedState> =
                        entities.iter().map(QuantisedState::from_state).collect();
                    assert_eq!(Some(&received), held.get(&tick), "snapshot of tick {tick}");
                    reconstructed += 1;
                }
            }
        }
    }
    for client in &clients {
        assert_eq!(client.malformed_received(), 0);
    }
    let sent = snapshot_bytes(&server) - bytes_before;
    let mean_delta = sent as f64 / (steps * PLAYERS) as f64;
    let mean_full = full_bytes as f64 / steps as f64;
    #[expect(clippy::print_stderr, reason = "the figure BENCHMARKS.md quotes")]
    {
        eprintln!(
            "10 moving players, 5 % loss: mean snapshot {mean_delta:.1} bytes (full snapshot {mean_full:.1} bytes), {reconstructed} reconstructed"
        );
    }
    // Most snapshots arrive (5 % loss, some in flight at the end) and all of them exactly.
    assert!(reconstructed > steps * PLAYERS * 8 / 10, "{reconstructed}");
    assert!(
        mean_delta < mean_full / 2.0,
        "deltas {mean_delta} vs full {mean_full}"
    );
}
