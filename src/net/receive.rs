//! Client messages: decoded, checked against the limits, and routed to inputs, pongs and the rules'
//! typed requests.

use super::abuse::{Abuse, Violation};
use super::connections::UnreadChannels;
use super::requests::{NetRequest, RequestWriters};
use super::sessions::Sessions;
use super::snapshots::SnapshotBaseline;
use super::transport::GameServer;
use crate::settings::NetSettings;
use crate::telemetry::metrics::{MESSAGES_DROPPED_TOTAL, SPEED_HACK_SIGNALS_TOTAL};
use crate::tick::SkippedTicks;
use arbiter_client::message_queue::MessageQueue;
use arbiter_components::input::{InputBuffer, InputCadenceAnomalies};
use arbiter_components::protocol::{ClientChannel, DecodeError, ServerMessage, decode_client};
use arbiter_components::session::{HandedOff, Session};
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::entity::Entity;
use bevy_ecs::query::Has;
use bevy_ecs::system::{Local, Query, Res, ResMut};
use renet::Bytes;

/// A client with messages to read, and the channels they are on.
type UnreadClient = (u64, UnreadChannels);

/// A connected client as the receive path reads it.
type Client<'a> = (
    Entity,
    &'a mut Session,
    &'a mut InputBuffer,
    &'a mut Abuse,
    &'a mut SnapshotBaseline,
    Has<HandedOff>,
);

/// Drains the channels every connected client sent messages on since they were last read (the
/// other clients and channels have none, and cost nothing here), at most `max_messages_per_tick`
/// per channel for each tick of wall-clock time this tick stands for (more than one after a stall:
/// [`SkippedTicks`]). The Input channel's messages come outside renet (message frames) and, from
/// a client that sends them so, on renet's channel; both count against its limit. Each of them
/// also gets its round-trip time, which only what it sends changes. A client whose player is not
/// in the world yet is read on a later tick.
pub(super) fn receive_client_messages(
    mut server: ResMut<GameServer>,
    sessions: Res<Sessions>,
    (net, skipped): (Res<NetSettings>, Res<SkippedTicks>),
    tick: Res<ServerTick>,
    mut clients: Query<Client>,
    mut requests: RequestWriters,
    (mut unread, mut messages, mut outside_renet): (
        Local<Vec<UnreadClient>>,
        Local<Vec<Bytes>>,
        Local<MessageQueue>,
    ),
) {
    let limit = usize::try_from(u64::from(net.max_messages_per_tick) * skipped.ticks_covered())
        .unwrap_or(usize::MAX);
    let max_bytes = net.max_message_bytes as usize;
    // Inputs received now are for the tick about to be simulated.
    let next_tick = tick.get() + 1;
    server.connections().take_unread(&mut unread);
    for (client_id, channels) in unread.drain(..) {
        let client = sessions
            .entity_of_client(client_id)
            .and_then(|entity| clients.get_mut(entity).ok())
            .filter(|(_, session, ..)| session.client_id == client_id);
        let Some((player, mut session, mut inputs, mut abuse, mut baseline, handed_off)) = client
        else {
            server.connections().mark_unread(client_id, channels);
            continue;
        };
        let ignored = server.is_kicked(client_id) || handed_off;
        for channel in ClientChannel::ALL {
            let dropped = if channel == ClientChannel::Input && channels.has_outside_renet() {
                server
                    .connections()
                    .take_messages_outside_renet(client_id, &mut outside_renet)
            } else {
                0
            };
            if channels.has(channel) {
                server
                    .connections()
                    .take_messages(client_id, channel, &mut messages);
            }
            if ignored {
                // Kicked, or sent to another server of the fleet: what it still sends is dropped
                // unread until its connection closes.
                messages.clear();
                outside_renet.clear();
                continue;
            }
            for _ in 0..dropped {
                abuse.record(Violation::OverRateLimit);
            }
            let mut processed = 0;
            let received = outside_renet
                .iter()
                .chain(messages.iter().map(|bytes| &bytes[..]));
            for bytes in received {
                if processed == limit {
                    abuse.record(Violation::OverRateLimit);
                    continue;
                }
                processed += 1;
                let message = match decode_client(bytes, max_bytes) {
                    Ok(message) if message.channel() != channel => {
                        abuse.record(Violation::WrongChannel);
                        continue;
                    }
                    Ok(message) if !message.is_well_formed() => {
                        abuse.record(Violation::Malformed);
                        continue;
                    }
                    Ok(message) => message,
                    Err(DecodeError::TooLarge { .. }) => {
                        abuse.record(Violation::Oversized);
                        continue;
                    }
                    Err(_) => {
                        abuse.record(Violation::Malformed);
                        continue;
                    }
                };
                match requests.route(player, message) {
                    None => {}
                    Some(NetRequest::Input(frame)) => {
                        if let Err(refusal) = inputs.push(frame, next_tick) {
                            metrics::counter!(MESSAGES_DROPPED_TOTAL, "reason" => refusal.as_str())
                                .increment(1);
                        }
                    }
                    Some(NetRequest::AckSnapshot { tick: acked }) => {
                        baseline.acknowledge(acked, tick.get());
                        server.connections().snapshot_acknowledged(client_id, acked);
                    }
                    Some(NetRequest::Ping { client_time_us }) => {
                        server.send(
                            client_id,
                            &ServerMessage::Pong {
                                client_time_us,
                                server_tick: tick.get(),
                            },
                        );
                    }
                }
            }
            messages.clear();
            outside_renet.clear();
        }
        let rtt_ms = (server.connections().rtt(client_id) * 1000.0) as f32;
        if session.rtt_ms != rtt_ms {
            session.rtt_ms = rtt_ms;
        }
    }
}

/// Once a second, right after receiving, compares each player's inputs for new ticks with the ticks
/// that elapsed; anti-cheat scores what it finds in the next simulation step.
/// Ticks the runner dropped in the window count as elapsed: clients kept sending through a stall.
pub(super) fn check_input_cadence(
    tick: Res<ServerTick>,
    rate: Res<TickRate>,
    skipped: Res<SkippedTicks>,
    mut skipped_before_window: Local<u64>,
    mut players: Query<(&mut InputBuffer, &mut InputCadenceAnomalies)>,
) {
    let window = rate.ticks_in_secs(1);
    if !tick.get().is_multiple_of(window) {
        return;
    }
    let elapsed = window + (skipped.total() - *skipped_before_window);
    *skipped_before_window = skipped.total();
    // A little slack for inputs that arrive in bursts after a network hiccup.
    let allowed = elapsed + elapsed / 10 + 2;
    for (mut inputs, mut anomalies) in &mut players {
        if inputs.take_received_count() > allowed {
            anomalies.0 += 1;
            metrics::counter!(SPEED_HACK_SIGNALS_TOTAL).increment(1);
        }
    }
}
