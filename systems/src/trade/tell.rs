//! What trading tells the clients: every change of a trade to both sides, how it ended to both,
//! and a refusal to the one refused. Trades name players by entity; clients see player ids.

use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{ServerMessage, TradeOffer, TradeOutcome, TradeView};
use arbiter_components::trade::{TradeCancelled, TradeChanged, TradeRefused, TradeSettled};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::system::{Query, SystemParam};

/// The trade news of this tick.
#[derive(SystemParam)]
pub struct TradeReports<'w, 's> {
    changed: MessageReader<'w, 's, TradeChanged>,
    cancelled: MessageReader<'w, 's, TradeCancelled>,
    refused: MessageReader<'w, 's, TradeRefused>,
    settled: MessageReader<'w, 's, TradeSettled>,
}

impl std::fmt::Debug for TradeReports<'_, '_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TradeReports")
            .finish_non_exhaustive()
    }
}

/// Sends this tick's trade news to the players it concerns, in the order it happened per kind:
/// changes, then ends, then refusals.
pub fn tell_traders(
    mut reports: TradeReports,
    ids: Query<&PlayerId>,
    mut outbound: MessageWriter<Outbound>,
) {
    let id_of = |player: Entity| ids.get(player).map_or(0, |id| id.0);
    let mut tell = |players: &[Entity], message: ServerMessage| {
        for player in players {
            outbound.write(Outbound {
                player: *player,
                message: message.clone(),
            });
        }
    };
    for change in reports.changed.read() {
        let sides = [0, 1].map(|side| {
            let offer = &change.sides[side];
            TradeOffer::new(id_of(offer.player), offer, change.accepted[side])
        });
        let players = change.sides.each_ref().map(|side| side.player);
        let view = TradeView {
            trade: change.trade,
            phase: change.phase,
            version: change.version,
            sides,
        };
        tell(&players, ServerMessage::TradeChanged(Box::new(view)));
    }
    let cancelled = reports.cancelled.read().map(|cancelled| {
        let outcome = TradeOutcome::Cancelled(cancelled.reason.clone());
        (cancelled.trade, cancelled.players, outcome)
    });
    let settled = reports.settled.read().map(|settled| {
        let transfer = settled.transfer.to_string();
        (
            settled.trade,
            settled.players,
            TradeOutcome::Settled { transfer },
        )
    });
    for (trade, players, outcome) in cancelled.chain(settled) {
        tell(&players, ServerMessage::TradeEnded { trade, outcome });
    }
    for refused in reports.refused.read() {
        let message = ServerMessage::TradeRefused {
            request: refused.request.clone(),
            reason: refused.reason.clone(),
        };
        tell(&[refused.player], message);
    }
}
