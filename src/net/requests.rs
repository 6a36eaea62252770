//! Each client message, decoded once, goes to exactly one place: the network layer itself (inputs,
//! pings) or the typed request message of the rule that owns it. This match is the only one on the
//! wire enum; a new request is a variant, an arm here and the rule's own message.

use arbiter_components::guild::GuildRequested;
use arbiter_components::party::PartyRequested;
use arbiter_components::protocol::{ClientMessage, InputFrame};
use arbiter_components::trade::TradeRequested;
use arbiter_systems::economy::ItemRequested;
use arbiter_systems::matchmaking::{QueueJoinRequested, QueueLeaveRequested};
use arbiter_systems::shots::FireRequested;
use bevy_app::App;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::system::SystemParam;

/// What the network layer handles itself.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum NetRequest {
    Input(InputFrame),
    Ping { client_time_us: u64 },
    AckSnapshot { tick: u64 },
}

/// The writers of every rule's typed requests.
#[derive(SystemParam)]
pub(super) struct RequestWriters<'w> {
    fire: MessageWriter<'w, FireRequested>,
    join_queue: MessageWriter<'w, QueueJoinRequested>,
    leave_queue: MessageWriter<'w, QueueLeaveRequested>,
    item: MessageWriter<'w, ItemRequested>,
    trade: MessageWriter<'w, TradeRequested>,
    guild: MessageWriter<'w, GuildRequested>,
    party: MessageWriter<'w, PartyRequested>,
}

impl RequestWriters<'_> {
    /// Sends `message` from `player` to the rule that owns it, or returns it to the network layer.
    pub(super) fn route(&mut self, player: Entity, message: ClientMessage) -> Option<NetRequest> {
        match message {
            ClientMessage::Input(frame) => return Some(NetRequest::Input(frame)),
            ClientMessage::Ping { client_time_us } => {
                return Some(NetRequest::Ping { client_time_us });
            }
            ClientMessage::AckSnapshot { tick } => return Some(NetRequest::AckSnapshot { tick }),
            ClientMessage::Fire {
                client_tick,
                yaw,
                pitch,
                weapon,
                target,
            } => {
                self.fire.write(FireRequested {
                    player,
                    client_tick,
                    yaw,
                    pitch,
                    weapon,
                    target,
                });
            }
            ClientMessage::JoinQueue { mode } => {
                self.join_queue.write(QueueJoinRequested::new(player, mode));
            }
            ClientMessage::LeaveQueue => {
                self.leave_queue.write(QueueLeaveRequested { player });
            }
            ClientMessage::Item(request) => {
                self.item.write(ItemRequested { player, request });
            }
            ClientMessage::Trade(request) => {
                self.trade.write(TradeRequested { player, request });
            }
            ClientMessage::Guild(request) => {
                self.guild.write(GuildRequested { player, request });
            }
            ClientMessage::Party(request) => {
                self.party.write(PartyRequested { player, request });
            }
        }
        None
    }
}

/// Registers every routed message, so the network runs even when an embedder leaves a rule out
/// (its requests are then read by nobody).
pub(super) fn add_request_messages(app: &mut App) {
    app.add_message::<FireRequested>()
        .add_message::<QueueJoinRequested>()
        .add_message::<QueueLeaveRequested>()
        .add_message::<ItemRequested>()
        .add_message::<TradeRequested>()
        .add_message::<GuildRequested>()
        .add_message::<PartyRequested>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::guild::GuildRequest;
    use arbiter_components::party::PartyRequest;
    use arbiter_components::protocol::ItemRequest;
    use arbiter_components::trade::TradeRequest;
    use bevy_ecs::message::Messages;
    use bevy_ecs::system::RunSystemOnce;
    use bevy_ecs::world::World;

    /// One message of every variant; the exhaustive match makes a new variant fail to compile here
    /// until it has a sample.
    fn samples() -> Vec<ClientMessage> {
        let all = vec![
            ClientMessage::Input(InputFrame {
                tick: 1,
                move_x: 0.0,
                move_y: 1.0,
                yaw: 0.0,
                pitch: 0.0,
                buttons: 0,
            }),
            ClientMessage::Ping { client_time_us: 7 },
            ClientMessage::Fire {
                client_tick: 3,
                yaw: 0.5,
                pitch: 0.1,
                weapon: 0,
                target: Some(9),
            },
            ClientMessage::JoinQueue { mode: 2 },
            ClientMessage::LeaveQueue,
            ClientMessage::Item(ItemRequest::Buy {
                offer: "rifle".into(),
            }),
            ClientMessage::Trade(TradeRequest::Cancel { trade: 4 }),
            ClientMessage::Guild(GuildRequest::Leave),
            ClientMessage::Party(PartyRequest::Disband),
            ClientMessage::AckSnapshot { tick: 12 },
        ];
        let mut covered = [false; 10];
        for message in &all {
            covered[match message {
                ClientMessage::Input(_) => 0,
                ClientMessage::Ping { .. } => 1,
                ClientMessage::Fire { .. } => 2,
                ClientMessage::JoinQueue { .. } => 3,
                ClientMessage::LeaveQueue => 4,
                ClientMessage::Item(_) => 5,
                ClientMessage::Trade(_) => 6,
                ClientMessage::Guild(_) => 7,
                ClientMessage::Party(_) => 8,
                ClientMessage::AckSnapshot { .. } => 9,
            }] = true;
        }
        assert!(covered.iter().all(|seen| *seen), "a sample per variant");
        all
    }

    #[test]
    fn every_client_message_goes_to_exactly_one_destination() {
        for message in samples() {
            let mut world = World::new();
            world.init_resource::<Messages<FireRequested>>();
            world.init_resource::<Messages<QueueJoinRequested>>();
            world.init_resource::<Messages<QueueLeaveRequested>>();
            world.init_resource::<Messages<ItemRequested>>();
            world.init_resource::<Messages<TradeRequested>>();
            world.init_resource::<Messages<GuildRequested>>();
            world.init_resource::<Messages<PartyRequested>>();
            let player = world.spawn_empty().id();
            let sent = message.clone();
            let local = world
                .run_system_once(move |mut writers: RequestWriters| {
                    writers.route(player, sent.clone())
                })
                .expect("runs");
            let fire: Vec<FireRequested> = world
                .resource_mut::<Messages<FireRequested>>()
                .drain()
                .collect();
            let joins: Vec<QueueJoinRequested> = world
                .resource_mut::<Messages<QueueJoinRequested>>()
                .drain()
                .collect();
            let leaves: Vec<QueueLeaveRequested> = world
                .resource_mut::<Messages<QueueLeaveRequested>>()
                .drain()
                .collect();
            let items: Vec<ItemRequested> = world
                .resource_mut::<Messages<ItemRequested>>()
                .drain()
                .collect();
            let trades: Vec<TradeRequested> = world
                .resource_mut::<Messages<TradeRequested>>()
                .drain()
                .collect();
            let guilds: Vec<GuildRequested> = world
                .resource_mut::<Messages<GuildRequested>>()
                .drain()
                .collect();
            let parties: Vec<PartyRequested> = world
                .resource_mut::<Messages<PartyRequested>>()
                .drain()
                .collect();
            let destinations = usize::from(local.is_some())
                + guilds.len()
                + parties.len()
                + fire.len()
                + joins.len()
                + leaves.len()
                + items.len()
                + trades.len();
            assert_eq!(destinations, 1, "{message:?}");
            match message {
                ClientMessage::Input(frame) => assert_eq!(local, Some(NetRequest::Input(frame))),
                ClientMessage::Ping { client_time_us } => {
                    assert_eq!(local, Some(NetRequest::Ping { client_time_us }));
                }
                ClientMessage::AckSnapshot { tick } => {
                    assert_eq!(local, Some(NetRequest::AckSnapshot { tick }));
                }
                ClientMessage::Fire { client_tick, .. } => {
                    assert_eq!((fire[0].player, fire[0].client_tick), (player, client_tick));
                    assert_eq!(fire[0].target, Some(9));
                }
                ClientMessage::JoinQueue { mode } => {
                    assert_eq!(joins[0], QueueJoinRequested::new(player, mode));
                }
                ClientMessage::LeaveQueue => {
                    assert_eq!(leaves[0], QueueLeaveRequested { player });
                }
                ClientMessage::Item(request) => {
                    assert_eq!(items[0], ItemRequested { player, request });
                }
                ClientMessage::Trade(request) => {
                    assert_eq!(trades[0], TradeRequested { player, request });
                }
                ClientMessage::Guild(request) => {
                    assert_eq!(guilds[0], GuildRequested { player, request });
                }
                ClientMessage::Party(request) => {
                    assert_eq!(parties[0], PartyRequested { player, request });
                }
            }
        }
    }
}
