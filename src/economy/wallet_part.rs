//! The wallet as a stored part: one row per currency held, `currency_changed` events.

use crate::persistence::StoredPart;
use crate::persistence::part::{Column, ColumnKind, HeldIn, Row, SqlValue, TableSpec};
use arbiter_components::inventory::{Wallet, WalletEvent};
use std::collections::BTreeMap;

/// Where a stored wallet says which currencies it holds.
pub(crate) const HELD_CURRENCIES: HeldIn = HeldIn::Column("currency");

impl StoredPart for Wallet {
    const NAME: &'static str = "wallet";
    const TABLE: TableSpec = TableSpec {
        name: "wallet_balances",
        columns: &[
            Column {
                name: "currency",
                kind: ColumnKind::Text,
            },
            Column {
                name: "balance",
                kind: ColumnKind::Integer,
            },
        ],
        key_columns: 1,
    };
    const EVENTS: &'static [&'static str] = &["currency_changed"];
    type Event = WalletEvent;

    fn apply(&mut self, event: &WalletEvent) {
        Wallet::apply(self, event);
    }

    fn to_rows(&self) -> Vec<Row> {
        self.balances()
            .iter()
            .map(|(currency, balance)| {
                vec![
                    SqlValue::Text(currency.to_string()),
                    SqlValue::Integer(i64::try_from(*balance).unwrap_or(i64::MAX)),
                ]
            })
            .collect()
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let mut balances = BTreeMap::new();
        for row in rows {
            let [currency, balance] = row.as_slice() else {
                return Err(format!("a balance row has {} values", row.len()));
            };
            let balance = u64::try_from(balance.as_i64()?).map_err(|_| {
                format!("a negative balance of {}", currency.as_str().unwrap_or("?"))
            })?;
            balances.insert(currency.as_str()?.into(), balance);
        }
        Ok(Wallet::restore(balances))
    }
}
