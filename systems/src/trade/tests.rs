//! Trades on a bare `World`: invitation, offers, versions, review, settlement's answer, and what
//! cancels a trade.

use super::*;
use arbiter_components::inventory::{Inventory, InventoryEvent, Wallet, WalletEvent};
use arbiter_components::items::{ItemKind, ItemSpec};
use arbiter_components::matchmaking::InMatch;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{ServerMessage, TradeOutcome};
use arbiter_components::session::AwaitingReconnect;
use arbiter_components::trade::{TradeFailure, TradeRefusal, TradeRequest};
use bevy_ecs::message::Messages;
use bevy_ecs::system::RunSystemOnce;
use bevy_ecs::world::World;

fn world() -> World {
    let mut world = World::new();
    let wood = ItemSpec {
        tradable: true,
        ..ItemSpec::new("wood", ItemKind::Material, 100)
    };
    world.insert_resource(Catalog::with_coins(vec![wood]));
    world.init_resource::<Shop>();
    world.init_resource::<EconomySettings>();
    world.init_resource::<ServerTick>();
    world.insert_resource(TickRate::new(10));
    world.init_resource::<NextTradeId>();
    world.init_resource::<Messages<TradeRequested>>();
    world.init_resource::<Messages<TradeRefused>>();
    world.init_resource::<Messages<TradeChanged>>();
    world.init_resource::<Messages<TradeCancelled>>();
    world.init_resource::<Messages<SettleTrade>>();
    world.init_resource::<Messages<TradeSettled>>();
    world.init_resource::<Messages<TradeFailed>>();
    world.init_resource::<Messages<Outbound>>();
    world
}

/// A player holding 10 wood and 50 coins.
fn player(world: &mut World, id: u64) -> Entity {
    let catalog = world.resource::<Catalog>().clone();
    let mut inventory = Inventory::default();
    let grant = inventory
        .grant(&catalog, "wood", 10, 40, id, "test")
        .expect("fits");
    inventory.apply(&grant);
    let mut wallet = Wallet::default();
    wallet.apply(&WalletEvent::CurrencyChanged {
        currency: "coins".into(),
        delta: 50,
        reason: "test".into(),
    });
    world.spawn((PlayerId(id), inventory, wallet)).id()
}

/// What one tick of trading said.
#[derive(Debug, Default)]
struct Said {
    refused: Vec<TradeRefusal>,
    changed: Vec<TradeChanged>,
    cancelled: Vec<TradeCancel>,
    settle: Vec<SettleTrade>,
}

fn drain<M: bevy_ecs::message::Message>(world: &mut World) -> Vec<M> {
    world.resource_mut::<Messages<M>>().drain().collect()
}

/// Runs one tick of trading on `requests`.
fn tick(world: &mut World, requests: &[(Entity, TradeRequest)]) -> Said {
    for (player, request) in requests {
        world.write_message(TradeRequested {
            player: *player,
            request: request.clone(),
        });
    }
    world.run_system_once(finish_trades).expect("runs");
    world.run_system_once(handle_trade_requests).expect("runs");
    world.run_system_once(watch_trades).expect("runs");
    drain::<TradeRequested>(world);
    drain::<TradeSettled>(world);
    drain::<TradeFailed>(world);
    Said {
        refused: drain::<TradeRefused>(world)
            .into_iter()
            .map(|refused| refused.reason)
            .collect(),
        changed: drain(world),
        cancelled: drain::<TradeCancelled>(world)
            .into_iter()
            .map(|cancelled| cancelled.reason)
            .collect(),
        settle: drain(world),
    }
}

fn offer(trade: u64, wood: u32, coins: u64) -> TradeRequest {
    TradeRequest::SetOffer {
        trade,
        stacks: [("wood".to_owned(), wood)]
            .into_iter()
            .filter(|(_, qty)| *qty > 0)
            .collect(),
        instances: Vec::new(),
        currencies: [("coins".to_owned(), coins)]
            .into_iter()
            .filter(|(_, amount)| *amount > 0)
            .collect(),
    }
}

fn accept(trade: u64, version: u32) -> TradeRequest {
    TradeRequest::Accept { trade, version }
}

/// `a` invites `b`, who accepts: the trade's id.
fn opened(world: &mut World, a: Entity, b: Entity) -> u64 {
    let said = tick(world, &[(a, TradeRequest::Invite { player_id: 2 })]);
    let trade = said.changed[0].trade;
    let said = tick(
        world,
        &[(
            b,
            TradeRequest::Respond {
                trade,
                accept: true,
            },
        )],
    );
    assert_eq!(said.changed[0].phase, TradePhase::Offer);
    trade
}

#[test]
fn offers_reviewed_and_accepted_at_their_version_go_to_settlement_once() {
    let mut world = world();
    let (a, b) = (player(&mut world, 1), player(&mut world, 2));
    let trade = opened(&mut world, a, b);

    let said = tick(
        &mut world,
        &[(a, offer(trade, 4, 0)), (b, offer(trade, 0, 30))],
    );
    assert_eq!(said.changed.last().map(|changed| changed.version), Some(2));
    // A accept of the version before b's offer is stale; accepting twice changes nothing.
    let said = tick(
        &mut world,
        &[
            (a, accept(trade, 1)),
            (a, accept(trade, 2)),
            (a, accept(trade, 2)),
        ],
    );
    assert_eq!(said.refused, [TradeRefusal::StaleVersion]);
    assert_eq!(said.changed.len(), 1);
    // Changing an offer clears both accepts.
    let said = tick(&mut world, &[(b, offer(trade, 0, 20))]);
    assert_eq!(said.changed[0].accepted, [false, false]);
    let said = tick(&mut world, &[(a, accept(trade, 3)), (b, accept(trade, 3))]);
    let review = said.changed.last().expect("changed");
    assert_eq!((review.phase, review.version), (TradePhase::Review, 4));
    assert!(world.get::<TradeLock>(a).is_some() && world.get::<TradeLock>(b).is_some());
    // Frozen: no offer changes in review.
    let said = tick(&mut world, &[(a, offer(trade, 1, 0))]);
    assert_eq!(said.refused, [TradeRefusal::WrongPhase]);

    let said = tick(&mut world, &[(a, accept(trade, 4)), (b, accept(trade, 4))]);
    assert_eq!(said.settle.len(), 1);
    let [give, get] = &said.settle[0].sides;
    assert_eq!((give.player, give.items.stacks.get("wood")), (a, Some(&4)));
    assert_eq!((get.player, get.currencies.get("coins")), (b, Some(&20)));
    let said = tick(
        &mut world,
        &[(a, TradeRequest::Cancel { trade }), (b, accept(trade, 4))],
    );
    assert_eq!(
        said.refused,
        [TradeRefusal::WrongPhase, TradeRefusal::WrongPhase]
    );
    assert!(said.settle.is_empty(), "settled once");

    world.write_message(TradeSettled {
        trade,
        transfer: "1:9".into(),
        players: [a, b],
    });
    tick(&mut world, &[]);
    assert!(
        world.query::<&Trade>().iter(&world).next().is_none(),
        "the trade ended"
    );
    for player in [a, b] {
        assert!(world.get::<InTrade>(player).is_none());
        assert!(world.get::<TradeLock>(player).is_none());
    }
}

#[test]
fn invitations_are_refused_to_the_busy_the_absent_and_oneself() {
    let mut world = world();
    let (a, b) = (player(&mut world, 1), player(&mut world, 2));
    let c = player(&mut world, 3);
    let said = tick(
        &mut world,
        &[
            (a, TradeRequest::Invite { player_id: 1 }),
            (a, TradeRequest::Invite { player_id: 99 }),
            (a, TradeRequest::Invite { player_id: 2 }),
            (c, TradeRequest::Invite { player_id: 2 }),
        ],
    );
    assert_eq!(
        said.refused,
        [
            TradeRefusal::SelfTrade,
            TradeRefusal::NoSuchPlayer,
            TradeRefusal::Busy
        ]
    );
    let trade = said.changed[0].trade;
    let said = tick(
        &mut world,
        &[(
            a,
            TradeRequest::Respond {
                trade,
                accept: true,
            },
        )],
    );
    assert_eq!(
        said.refused,
        [TradeRefusal::WrongPhase],
        "only the invited answers"
    );
    let said = tick(&mut world, &[(c, TradeRequest::Cancel { trade })]);
    assert_eq!(said.refused, [TradeRefusal::NoSuchTrade]);
    let said = tick(&mut world, &[(a, offer(trade, 1, 0))]);
    assert_eq!(
        said.refused,
        [TradeRefusal::WrongPhase],
        "no offers before the answer"
    );
    let said = tick(
        &mut world,
        &[(
            b,
            TradeRequest::Respond {
                trade,
                accept: false,
            },
        )],
    );
    assert_eq!(said.cancelled, [TradeCancel::Declined]);
}

#[test]
fn a_trade_is_cancelled_when_it_times_out_loses_a_side_or_its_offer() {
    let mut world = world();
    let (a, b) = (player(&mut world, 1), player(&mut world, 2));
    tick(&mut world, &[(a, TradeRequest::Invite { player_id: 2 })]);
    for _ in 0..30 * 10 {
        world.resource_mut::<ServerTick>().advance();
    }
    assert_eq!(
        tick(&mut world, &[]).cancelled,
        [TradeCancel::InviteExpired]
    );

    let trade = opened(&mut world, a, b);
    let said = tick(&mut world, &[(a, offer(trade, 5, 0))]);
    assert!(said.refused.is_empty());
    // A item used elsewhere: the offer is no longer held.
    let used = InventoryEvent::ItemDiscarded {
        item: "wood".into(),
        qty: 8,
        instances: Vec::new(),
    };
    world.get_mut::<Inventory>(a).expect("held").apply(&used);
    assert_eq!(tick(&mut world, &[]).cancelled, [TradeCancel::OfferInvalid]);

    let trade = opened(&mut world, a, b);
    world.entity_mut(b).insert(InMatch(a));
    assert_eq!(tick(&mut world, &[]).cancelled, [TradeCancel::EnteredMatch]);
    world.entity_mut(b).remove::<InMatch>();

    let trade_after = opened(&mut world, a, b);
    assert_ne!(trade, trade_after);
    // A connection that dropped ends the trade at once, though the player may come back.
    world
        .entity_mut(b)
        .insert(AwaitingReconnect { since_tick: 0 });
    assert_eq!(tick(&mut world, &[]).cancelled, [TradeCancel::Disconnected]);
    let said = tick(&mut world, &[(a, TradeRequest::Invite { player_id: 2 })]);
    assert_eq!(
        said.refused,
        [TradeRefusal::NoSuchPlayer],
        "b is not online"
    );
    world.entity_mut(b).remove::<AwaitingReconnect>();

    opened(&mut world, a, b);
    world.despawn(b);
    assert_eq!(tick(&mut world, &[]).cancelled, [TradeCancel::Disconnected]);

    let c = player(&mut world, 2);
    let trade = opened(&mut world, a, c);
    tick(&mut world, &[(a, accept(trade, 0)), (c, accept(trade, 0))]);
    let said = tick(&mut world, &[(a, accept(trade, 1)), (c, accept(trade, 1))]);
    assert_eq!(said.settle.len(), 1);
    world.write_message(TradeFailed {
        trade,
        players: [a, c],
        reason: TradeFailure::StorageUnavailable,
    });
    assert_eq!(
        tick(&mut world, &[]).cancelled,
        [TradeCancel::NotSettled(TradeFailure::StorageUnavailable)]
    );
}

/// What `tell_traders` says to each player for the news written so far.
fn told(world: &mut World, players: [Entity; 2]) -> [Vec<ServerMessage>; 2] {
    world.run_system_once(tell_traders).expect("runs");
    drain::<TradeChanged>(world);
    drain::<TradeCancelled>(world);
    drain::<TradeRefused>(world);
    drain::<TradeSettled>(world);
    let outbound: Vec<Outbound> = drain(world);
    players.map(|player| {
        outbound
            .iter()
            .filter(|message| message.player == player)
            .map(|message| message.message.clone())
            .collect()
    })
}

#[test]
fn clients_hear_of_their_trades_by_player_id_and_only_their_own_refusals() {
    let mut world = world();
    let (a, b) = (player(&mut world, 1), player(&mut world, 2));
    world.write_message(TradeRequested {
        player: a,
        request: TradeRequest::Invite { player_id: 2 },
    });
    world.run_system_once(handle_trade_requests).expect("runs");
    drain::<TradeRequested>(&mut world);
    let [to_a, to_b] = told(&mut world, [a, b]);
    assert_eq!(to_a, to_b, "both sides see the invitation");
    let ServerMessage::TradeChanged(view) = &to_a[0] else {
        panic!("a trade view, got {to_a:?}");
    };
    assert_eq!(view.sides.each_ref().map(|side| side.player_id), [1, 2]);
    assert_eq!(view.phase, TradePhase::Invited);
    let trade = view.trade;

    world.write_message(TradeRequested {
        player: a,
        request: TradeRequest::Respond {
            trade,
            accept: true,
        },
    });
    world.run_system_once(handle_trade_requests).expect("runs");
    drain::<TradeRequested>(&mut world);
    let [to_a, to_b] = told(&mut world, [a, b]);
    assert!(to_b.is_empty(), "b hears nothing of a's refused request");
    assert!(
        matches!(
            &to_a[..],
            [ServerMessage::TradeRefused {
                reason: TradeRefusal::WrongPhase,
                ..
            }]
        ),
        "{to_a:?}"
    );

    world.write_message(TradeSettled {
        trade,
        transfer: "1:5".into(),
        players: [a, b],
    });
    let [to_a, to_b] = told(&mut world, [a, b]);
    let settled = ServerMessage::TradeEnded {
        trade,
        outcome: TradeOutcome::Settled {
            transfer: "1:5".into(),
        },
    };
    assert_eq!((to_a, to_b), (vec![settled.clone()], vec![settled]));
}
