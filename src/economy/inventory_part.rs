//! The inventory as a stored part: one row per stack, per instance, for the equipped consumable and
//! for the serial counter (`entry` says which), and the `item_*` events.

use crate::persistence::StoredPart;
use crate::persistence::part::{Column, ColumnKind, Row, SqlValue, TableSpec};
use arbiter_components::inventory::{InstanceId, Inventory, InventoryEvent, Loadout};
use std::collections::BTreeMap;

const STACK: &str = "stack";
const INSTANCE: &str = "instance";
const CONSUMABLE: &str = "consumable";
const SERIAL: &str = "serial";

/// The slot column of an instance row.
const PRIMARY: &str = "primary";
const SECONDARY: &str = "secondary";

const fn column(name: &'static str, kind: ColumnKind) -> Column {
    Column { name, kind }
}

impl StoredPart for Inventory {
    const NAME: &'static str = "inventory";
    /// Keyed by `(entry, item, origin, serial)`: a stack is `(stack, item, 0, 0)` with its `qty`, an
    /// instance `(instance, item, origin, serial)` with its `slot`, the equipped consumable
    /// `(consumable, item, 0, 0)`, the next serial `(serial, "", 0, 0)` in `qty`.
    const TABLE: TableSpec = TableSpec {
        name: "inventory_items",
        columns: &[
            column("entry", ColumnKind::Text),
            column("item", ColumnKind::Text),
            column("origin", ColumnKind::Integer),
            column("serial", ColumnKind::Integer),
            column("qty", ColumnKind::Integer),
            column("slot", ColumnKind::Text),
        ],
        key_columns: 4,
    };
    const EVENTS: &'static [&'static str] = &[
        "item_granted",
        "item_bought",
        "item_used",
        "item_discarded",
        "item_equipped",
        "item_unequipped",
    ];
    type Event = InventoryEvent;

    fn apply(&mut self, event: &InventoryEvent) {
        Inventory::apply(self, event);
    }

    fn to_rows(&self) -> Vec<Row> {
        let row = |entry: &str, item: &str, origin: u64, serial: u64, qty: u64, slot: &str| {
            vec![
                SqlValue::Text(entry.to_owned()),
                SqlValue::Text(item.to_owned()),
                SqlValue::Integer(origin as i64),
                SqlValue::Integer(serial as i64),
                SqlValue::Integer(qty as i64),
                SqlValue::Text(slot.to_owned()),
            ]
        };
        let loadout = self.loadout();
        let slot_of = |instance: &InstanceId| {
            if loadout.primary == Some(*instance) {
                PRIMARY
            } else if loadout.secondary == Some(*instance) {
                SECONDARY
            } else {
                ""
            }
        };
        let stacks = self
            .stacks()
            .iter()
            .map(|(item, qty)| row(STACK, item, 0, 0, u64::from(*qty), ""));
        let instances = self.instances().iter().map(|(instance, item)| {
            row(
                INSTANCE,
                item,
                instance.origin,
                instance.serial,
                1,
                slot_of(instance),
            )
        });
        let consumable = loadout
            .consumable
            .iter()
            .map(|item| row(CONSUMABLE, item, 0, 0, 0, CONSUMABLE));
        let serial =
            (self.next_serial() > 0).then(|| row(SERIAL, "", 0, 0, self.next_serial(), ""));
        stacks
            .chain(instances)
            .chain(consumable)
            .chain(serial)
            .collect()
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let mut stacks = BTreeMap::new();
        let mut instances = BTreeMap::new();
        let mut loadout = Loadout::default();
        let mut next_serial = 0;
        for row in rows {
            let [entry, item, origin, serial, qty, slot] = row.as_slice() else {
                return Err(format!("an inventory row has {} values", row.len()));
            };
            let item = item.as_str()?.to_owned();
            let qty = qty.as_i64()?;
            match entry.as_str()? {
                STACK => {
                    let qty = u32::try_from(qty).map_err(|_| format!("a stack of {qty} {item}"))?;
                    stacks.insert(item, qty);
                }
                INSTANCE => {
                    let instance = InstanceId {
                        origin: origin.as_i64()? as u64,
                        serial: serial.as_i64()? as u64,
                    };
                    match slot.as_str()? {
                        PRIMARY => loadout.primary = Some(instance),
                        SECONDARY => loadout.secondary = Some(instance),
                        "" => {}
                        other => return Err(format!("an instance in slot {other:?}")),
                    }
                    instances.insert(instance, item);
                }
                CONSUMABLE => loadout.consumable = Some(item),
                SERIAL => next_serial = qty as u64,
                other => return Err(format!("an inventory row of kind {other:?}")),
            }
        }
        Inventory::restore(stacks, instances, loadout, next_serial)
    }
}
