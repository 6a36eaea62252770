//! Trade metrics: trades opened, how they ended (cancellations by reason), refused requests by
//! reason. (The settle latency is recorded where trades settle.)

use crate::telemetry::metrics::{TRADE_REFUSALS_TOTAL, TRADES_OPENED_TOTAL, TRADES_TOTAL};
use arbiter_components::trade::{
    TradeCancelled, TradeChanged, TradePhase, TradeRefused, TradeSettled,
};
use bevy_ecs::message::MessageReader;

pub(super) fn record_trades(
    mut changed: MessageReader<TradeChanged>,
    mut settled: MessageReader<TradeSettled>,
    mut cancelled: MessageReader<TradeCancelled>,
    mut refused: MessageReader<TradeRefused>,
) {
    let opened = changed
        .read()
        .filter(|change| change.phase == TradePhase::Invited)
        .count();
    metrics::counter!(TRADES_OPENED_TOTAL).increment(opened as u64);
    metrics::counter!(TRADES_TOTAL, "result" => "settled", "reason" => "")
        .increment(settled.read().count() as u64);
    for cancel in cancelled.read() {
        metrics::counter!(TRADES_TOTAL, "result" => "cancelled", "reason" => cancel.reason.as_str())
            .increment(1);
    }
    for refusal in refused.read() {
        metrics::counter!(TRADE_REFUSALS_TOTAL, "reason" => refusal.reason.as_str()).increment(1);
    }
}
