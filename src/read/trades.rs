//! A player's settled trades as the query API shows them: read from the transfer events in its
//! own log, newest first, a page at a time.

use super::inventory::{HeldStack, instance_text};
use crate::persistence::{PlayerEvent, StoredEvent};
use arbiter_components::inventory::{InventoryEvent, TradedItems, WalletEvent};
use serde::{Deserialize, Serialize};

/// Items and currency moving one way in a trade.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TradedGoods {
    pub stacks: Vec<HeldStack>,
    /// Instance ids (`ORIGIN:SERIAL`) with their items.
    pub instances: Vec<TradedInstance>,
    pub currencies: Vec<TradedCurrency>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TradedInstance {
    pub id: String,
    pub item: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TradedCurrency {
    pub currency: String,
    pub amount: u64,
}

/// One settled trade, from the player's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TradeSummary {
    /// The transfer id, the same on every side's record of it.
    pub trade: String,
    /// The event's seq in the player's log: pass it as `before` for the next page.
    pub seq: u64,
    pub at_ms: i64,
    /// The other sides' player ids.
    pub with: Vec<u64>,
    pub gave: TradedGoods,
    pub got: TradedGoods,
}

/// A page of a player's trades, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TradesPage {
    pub id: u64,
    pub trades: Vec<TradeSummary>,
    /// `before` for the next (older) page; absent on the last page.
    pub next_before: Option<u64>,
}

impl TradeSummary {
    /// The summary of player `id`'s transfer event, if `stored` is one.
    pub fn of(id: u64, stored: &StoredEvent) -> Option<Self> {
        let PlayerEvent::Transfer(transfer) = &stored.event else {
            return None;
        };
        let mut summary = Self {
            trade: transfer.id.to_string(),
            seq: stored.seq,
            at_ms: transfer.at_ms,
            with: transfer
                .legs
                .iter()
                .filter(|leg| leg.object.is_none() && leg.owner != id)
                .map(|leg| leg.owner)
                .collect(),
            gave: TradedGoods::default(),
            got: TradedGoods::default(),
        };
        for event in transfer.leg_of(id) {
            if let Ok(InventoryEvent::ItemsTraded { gave, got, .. }) =
                InventoryEvent::deserialize(event.data())
            {
                summary.gave.add_items(&gave);
                summary.got.add_items(&got);
            } else if let Ok(WalletEvent::CurrencyChanged {
                currency, delta, ..
            }) = WalletEvent::deserialize(event.data())
            {
                let side = if delta < 0 {
                    &mut summary.gave
                } else {
                    &mut summary.got
                };
                side.currencies.push(TradedCurrency {
                    currency: currency.to_string(),
                    amount: delta.unsigned_abs(),
                });
            }
        }
        Some(summary)
    }
}

impl TradedGoods {
    fn add_items(&mut self, items: &TradedItems) {
        self.stacks
            .extend(items.stacks.iter().map(|(item, qty)| HeldStack {
                item: item.to_string(),
                qty: *qty,
            }));
        self.instances.extend(
            items
                .instances
                .iter()
                .map(|(instance, item)| TradedInstance {
                    id: instance_text(instance),
                    item: item.to_string(),
                }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::{PartEvent, Transfer, TransferLeg};
    use arbiter_components::inventory::InstanceId;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    #[test]
    fn a_transfer_event_reads_as_what_the_player_gave_and_got() {
        let rifle = InstanceId {
            origin: 7,
            serial: 3,
        };
        let items = InventoryEvent::ItemsTraded {
            trade: "7:12".into(),
            gave: Arc::new(TradedItems {
                instances: BTreeMap::from([(rifle, "rifle".into())]),
                ..TradedItems::default()
            }),
            got: Arc::new(TradedItems {
                stacks: BTreeMap::from([("wood".into(), 4)]),
                ..TradedItems::default()
            }),
        };
        let coins = WalletEvent::CurrencyChanged {
            currency: "coins".into(),
            delta: 30,
            reason: "trade:7:12".into(),
        };
        let leg = TransferLeg::player(
            7,
            vec![
                PartEvent::new(&items).expect("serializes"),
                PartEvent::new(&coins).expect("serializes"),
            ],
        );
        let stored = StoredEvent {
            player_id: 7,
            seq: 12,
            at_ms: 99,
            event: PlayerEvent::Transfer(Arc::new(Transfer {
                id: "7:12".into(),
                at_ms: 99,
                legs: vec![leg, TransferLeg::player(8, Vec::new())],
            })),
        };
        let summary = TradeSummary::of(7, &stored).expect("a trade");
        assert_eq!(
            (summary.trade.as_str(), summary.seq, summary.with.as_slice()),
            ("7:12", 12, &[8][..])
        );
        assert_eq!(summary.gave.instances[0].id, "7:3");
        assert_eq!(summary.got.stacks[0].qty, 4);
        assert_eq!(summary.got.currencies[0].amount, 30);
        assert!(summary.gave.currencies.is_empty() && summary.gave.stacks.is_empty());
    }
}
