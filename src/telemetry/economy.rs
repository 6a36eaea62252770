//! Economy metrics: items in and out by what moved them, refusals by reason, and currency created
//! and destroyed per currency (an operator watching inflation compares the two).

use crate::telemetry::metrics::{
    ECONOMY_CURRENCY_CREATED_TOTAL, ECONOMY_CURRENCY_DESTROYED_TOTAL, ECONOMY_GRANTS_SKIPPED_TOTAL,
    ECONOMY_ITEMS_TOTAL, ECONOMY_REFUSALS_TOTAL,
};
use arbiter_components::inventory::{InventoryEvent, TRADE_REASON_PREFIX, WalletEvent};
use arbiter_components::player::PlayerId;
use arbiter_systems::economy::{GrantSkipped, InventoryApplied, ItemRefused, WalletApplied};
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::Query;

pub(super) fn record_economy(
    mut inventory: MessageReader<InventoryApplied>,
    mut wallet: MessageReader<WalletApplied>,
    mut refused: MessageReader<ItemRefused>,
    mut skipped: MessageReader<GrantSkipped>,
    players: Query<&PlayerId>,
) {
    for InventoryApplied { event, .. } in inventory.read() {
        let (movement, item, qty) = match event {
            InventoryEvent::ItemGranted { item, qty, .. } => ("granted", item, *qty),
            InventoryEvent::ItemBought { item, qty, .. } => ("bought", item, *qty),
            InventoryEvent::ItemUsed { item } => ("used", item, 1),
            InventoryEvent::ItemDiscarded { item, qty, .. } => ("discarded", item, *qty),
            // Equipping moves nothing; a trade moves items between players, making none.
            InventoryEvent::ItemEquipped { .. }
            | InventoryEvent::ItemUnequipped { .. }
            | InventoryEvent::ItemsTraded { .. } => continue,
        };
        metrics::counter!(ECONOMY_ITEMS_TOTAL, "movement" => movement, "item" => item.to_string())
            .increment(u64::from(qty));
    }
    for WalletApplied { event, .. } in wallet.read() {
        let WalletEvent::CurrencyChanged {
            currency,
            delta,
            reason,
        } = event;
        if reason.starts_with(TRADE_REASON_PREFIX) {
            continue;
        }
        let name = if *delta >= 0 {
            ECONOMY_CURRENCY_CREATED_TOTAL
        } else {
            ECONOMY_CURRENCY_DESTROYED_TOTAL
        };
        metrics::counter!(name, "currency" => currency.to_string()).increment(delta.unsigned_abs());
    }
    for refusal in refused.read() {
        metrics::counter!(ECONOMY_REFUSALS_TOTAL, "reason" => refusal.reason.as_str()).increment(1);
    }
    for skip in skipped.read() {
        metrics::counter!(ECONOMY_GRANTS_SKIPPED_TOTAL, "reason" => skip.reason.as_str())
            .increment(1);
        let player_id = players.get(skip.player).map_or(0, |id| id.0);
        tracing::warn!(player_id, what = %skip.what, reason = %skip.reason, "reward skipped: it does not fit");
    }
}
