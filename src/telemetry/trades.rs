//! Trade metrics: trades opened, how they ended (cancellations by reason), and how long the
//! settlement took from the last accept.

use crate::telemetry::metrics::{TRADES_OPENED_TOTAL, TRADES_TOTAL};
use arbiter_components::trade::{
    TradeCancel, TradeCancelled, TradeChanged, TradePhase, TradeSettled,
};
use bevy_ecs::message::MessageReader;

pub(super) fn record_trades(
    mut changed: MessageReader<TradeChanged>,
    mut settled: MessageReader<TradeSettled>,
    mut cancelled: MessageReader<TradeCancelled>,
) {
    let opened = changed
        .read()
        .filter(|change| change.phase == TradePhase::Invited)
        .count();
    metrics::counter!(TRADES_OPENED_TOTAL).increment(opened as u64);
    metrics::counter!(TRADES_TOTAL, "result" => "settled", "reason" => "")
        .increment(settled.read().count() as u64);
    for cancel in cancelled.read() {
        metrics::counter!(TRADES_TOTAL, "result" => "cancelled", "reason" => reason(&cancel.reason))
            .increment(1);
    }
}

/// A cancellation's reason as a metric label.
fn reason(cancel: &TradeCancel) -> &'static str {
    match cancel {
        TradeCancel::Declined => "declined",
        TradeCancel::InviteExpired => "invite_expired",
        TradeCancel::Idle => "idle",
        TradeCancel::CancelledBy(_) => "cancelled",
        TradeCancel::Disconnected => "disconnected",
        TradeCancel::EnteredMatch => "entered_match",
        TradeCancel::OfferInvalid => "offer_invalid",
        TradeCancel::NotSettled(_) => "not_settled",
    }
}
