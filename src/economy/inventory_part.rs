//! The inventory as a stored part: one row per player holding its next serial and its holdings
//! packed as keyed lines, so a login reads one value per player and not one row per item; and the
//! `item_*` events.

use crate::persistence::StoredPart;
use crate::persistence::part::keyed_lines::{self, KeyedLines};
use crate::persistence::part::{Column, ColumnKind, HeldIn, Row, SqlValue, TableSpec};
use arbiter_components::inventory::{InstanceId, Inventory, InventoryEvent, Loadout};
use std::collections::BTreeMap;

/// Where a stored inventory says which items it holds.
pub(crate) const HELD_ITEMS: HeldIn = HeldIn::LineKeys("holdings");

const PRIMARY: &str = "primary";
const SECONDARY: &str = "secondary";
const CONSUMABLE: &str = "consumable";

impl StoredPart for Inventory {
    const NAME: &'static str = "inventory";
    /// `holdings` has a line per stack, `<item> <qty>`, and per instance,
    /// `<item> #<origin>:<serial>`; an equipped one ends with its slot (`medkit 3 consumable`,
    /// `rifle #7:1 primary`).
    const TABLE: TableSpec = TableSpec {
        name: "inventories",
        columns: &[
            Column {
                name: "next_serial",
                kind: ColumnKind::Integer,
            },
            Column {
                name: "holdings",
                kind: ColumnKind::Text,
            },
        ],
        key_columns: 0,
    };
    const EVENTS: &'static [&'static str] = &[
        "item_granted",
        "item_bought",
        "item_used",
        "item_discarded",
        "item_equipped",
        "item_unequipped",
        "items_traded",
    ];
    type Event = InventoryEvent;

    fn apply(&mut self, event: &InventoryEvent) {
        Inventory::apply(self, event);
    }

    fn to_rows(&self) -> Vec<Row> {
        if *self == Self::default() {
            return Vec::new();
        }
        let loadout = self.loadout();
        let mut holdings = KeyedLines::with_capacity(24 * self.slots_used() as usize);
        for (item, qty) in self.stacks_in_order() {
            match loadout.consumable.as_deref() == Some(item) {
                true => holdings.push(item, format_args!("{qty} {CONSUMABLE}")),
                false => holdings.push(item, qty),
            }
        }
        for (instance, item) in self.instances() {
            let InstanceId { origin, serial } = instance;
            match slot_of(loadout, *instance) {
                Some(slot) => holdings.push(item, format_args!("#{origin}:{serial} {slot}")),
                None => holdings.push(item, format_args!("#{origin}:{serial}")),
            }
        }
        vec![vec![
            SqlValue::Integer(self.next_serial() as i64),
            SqlValue::Text(holdings.into_string()),
        ]]
    }

    fn from_rows(rows: Vec<Row>) -> Result<Self, String> {
        let [row] = rows.as_slice() else {
            return Err(format!("{} inventory rows for one player", rows.len()));
        };
        let [next_serial, holdings] = row.as_slice() else {
            return Err(format!("an inventory row has {} values", row.len()));
        };
        let holdings = holdings.as_str()?;
        // Lines are written in key order, so the maps are built in bulk from sorted lists.
        let lines = memchr::memchr_iter(b'\n', holdings.as_bytes()).count();
        let mut stacks = Vec::with_capacity(lines);
        let mut instances = Vec::new();
        let mut loadout = Loadout::default();
        for entry in keyed_lines::entries(holdings) {
            let (item, held) = entry?;
            let (amount, slot) = keyed_lines::split_word(held);
            let unreadable = || format!("an unreadable holding: {item} {held}");
            match amount.strip_prefix('#') {
                Some(id) => {
                    let (origin, serial) = id.split_once(':').ok_or_else(unreadable)?;
                    let instance = InstanceId {
                        origin: origin.parse().map_err(|_| unreadable())?,
                        serial: serial.parse().map_err(|_| unreadable())?,
                    };
                    match slot {
                        Some(PRIMARY) => loadout.primary = Some(instance),
                        Some(SECONDARY) => loadout.secondary = Some(instance),
                        None => {}
                        Some(_) => return Err(unreadable()),
                    }
                    instances.push((instance, item.into()));
                }
                None => {
                    match slot {
                        Some(CONSUMABLE) => loadout.consumable = Some(item.into()),
                        None => {}
                        Some(_) => return Err(unreadable()),
                    }
                    stacks.push((item.into(), amount.parse().map_err(|_| unreadable())?));
                }
            }
        }
        let next_serial = u64::try_from(next_serial.as_i64()?)
            .map_err(|_| format!("a negative next serial {next_serial:?}"))?;
        Inventory::restore(stacks, BTreeMap::from_iter(instances), loadout, next_serial)
    }
}

/// The weapon slot `instance` is equipped in.
fn slot_of(loadout: &Loadout, instance: InstanceId) -> Option<&'static str> {
    if loadout.primary == Some(instance) {
        Some(PRIMARY)
    } else if loadout.secondary == Some(instance) {
        Some(SECONDARY)
    } else {
        None
    }
}
