//! The item catalog (`assets/config/items.toml`): what items and currencies exist. Data only; the
//! server reads and validates the file, the rules look items up here.

use crate::combat::Weapons;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

mod index;

use index::ItemIndex;

/// What an item is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Fired with `Fire`; must be equipped. Every weapon of the weapons table is one.
    Weapon,
    /// Used with `UseItem` (a medkit), then gone.
    Consumable,
    /// Shown, never used.
    Cosmetic,
    /// Crafting and trading goods.
    Material,
}

/// How rare an item is (for loot tables and clients' colours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rarity {
    Common,
    Uncommon,
    Rare,
    Epic,
    Legendary,
}

/// One item of the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// Stable id: lower-case letters, digits and `_`; what the wire, the database and the shop use.
    pub id: String,
    /// Shown to players.
    pub name: String,
    pub kind: ItemKind,
    /// Whether units are interchangeable and held as one stack `(item, qty)`; otherwise each unit
    /// is an instance with a unique id.
    #[serde(default)]
    pub stackable: bool,
    /// Most units in a stack (1 for items that are not stackable).
    #[serde(default = "one")]
    pub max_stack: u32,
    /// Whether players may trade it.
    #[serde(default)]
    pub tradable: bool,
    pub rarity: Rarity,
    /// Consumables: least time between two uses, in seconds.
    #[serde(default)]
    pub cooldown_secs: f32,
    /// Consumables: hit points restored by one use.
    #[serde(default)]
    pub heal: u16,
}

fn one() -> u32 {
    1
}

/// One currency (`coins`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrencySpec {
    pub id: String,
    pub name: String,
}

/// What is wrong with a catalog, and the id it is about (so a loader can point at its line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CatalogProblem {
    pub id: String,
    pub message: String,
}

impl CatalogProblem {
    fn new(id: &str, message: String) -> Self {
        Self {
            id: id.to_owned(),
            message,
        }
    }
}

/// Longest id of an item, currency or offer.
pub const MAX_ID_LEN: usize = 64;

/// Largest stack any item may have: a stack's count always fits in a 32-bit integer with room.
pub const MAX_STACK_LIMIT: u32 = 1_000_000;

/// The catalog: items and currencies.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    #[serde(default)]
    pub currencies: Vec<CurrencySpec>,
    #[serde(default)]
    pub items: Vec<ItemSpec>,
    #[serde(skip)]
    index: ItemIndex,
}

impl Catalog {
    /// One item per weapon of `weapons` and the currency `coins`: the catalog of a server given no
    /// items file.
    pub fn for_weapons(weapons: &Weapons) -> Self {
        Self::with_coins(
            weapons
                .weapons
                .iter()
                .map(|weapon| ItemSpec::new(&weapon.name, ItemKind::Weapon, 1))
                .collect(),
        )
    }

    /// `items` and one currency, `coins`.
    pub fn with_coins(items: Vec<ItemSpec>) -> Self {
        Self {
            currencies: vec![CurrencySpec {
                id: "coins".into(),
                name: "Coins".into(),
            }],
            items,
            index: ItemIndex::default(),
        }
    }

    pub fn item(&self, id: &str) -> Option<&ItemSpec> {
        self.index.find(&self.items, id)
    }

    pub fn currency(&self, id: &str) -> Option<&CurrencySpec> {
        self.currencies.iter().find(|currency| currency.id == id)
    }

    /// Checks the catalog on its own and against the weapons table: ids well-formed and unique
    /// (items and currencies share one namespace), stacks within limits, consumables with a
    /// non-negative finite cooldown, and every weapon of `weapons` an item of kind `weapon`.
    pub fn validate(&self, weapons: &Weapons) -> Result<(), CatalogProblem> {
        let mut seen = HashSet::new();
        let ids = self
            .currencies
            .iter()
            .map(|currency| ("currency", currency.id.as_str()))
            .chain(self.items.iter().map(|item| ("item", item.id.as_str())));
        for (what, id) in ids {
            let well_formed = !id.is_empty()
                && id.len() <= MAX_ID_LEN
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !well_formed {
                return Err(CatalogProblem::new(
                    id,
                    format!("{what} id {id:?}: use 1 to 64 lower-case letters, digits and _"),
                ));
            }
            if !seen.insert(id) {
                return Err(CatalogProblem::new(
                    id,
                    format!("{what} id {id:?} is defined twice"),
                ));
            }
        }
        for item in &self.items {
            item.validate()
                .map_err(|message| CatalogProblem::new(&item.id, message))?;
        }
        for weapon in &weapons.weapons {
            match self.item(&weapon.name) {
                Some(item) if item.kind == ItemKind::Weapon => {}
                Some(item) => {
                    return Err(CatalogProblem::new(
                        &item.id,
                        format!(
                            "item {:?} is weapon {:?} of the weapons table but has kind {:?}",
                            item.id, weapon.name, item.kind
                        ),
                    ));
                }
                None => {
                    return Err(CatalogProblem::new(
                        &weapon.name,
                        format!(
                            "weapon {:?} of the weapons table has no item (add one of kind weapon)",
                            weapon.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl ItemSpec {
    /// An item named by its id, common, not tradable, stackable up to `max_stack` when that is above
    /// 1; change the fields for the rest.
    pub fn new(id: &str, kind: ItemKind, max_stack: u32) -> Self {
        Self {
            id: id.into(),
            name: id.into(),
            kind,
            stackable: max_stack > 1,
            max_stack: max_stack.max(1),
            tradable: false,
            rarity: Rarity::Common,
            cooldown_secs: 0.0,
            heal: 0,
        }
    }

    fn validate(&self) -> Result<(), String> {
        let id = &self.id;
        if self.stackable && !(1..=MAX_STACK_LIMIT).contains(&self.max_stack) {
            return Err(format!(
                "item {id:?}: max_stack must be 1 to {MAX_STACK_LIMIT}, is {}",
                self.max_stack
            ));
        }
        if !self.stackable && self.max_stack != 1 {
            return Err(format!(
                "item {id:?}: max_stack is {} but the item is not stackable (set stackable = true)",
                self.max_stack
            ));
        }
        if self.kind == ItemKind::Weapon && self.stackable {
            return Err(format!("item {id:?}: weapons are instances, not stackable"));
        }
        if !self.cooldown_secs.is_finite() || self.cooldown_secs < 0.0 {
            return Err(format!(
                "item {id:?}: cooldown_secs must be a finite number ≥ 0"
            ));
        }
        if self.kind != ItemKind::Consumable && (self.heal > 0 || self.cooldown_secs > 0.0) {
            return Err(format!(
                "item {id:?}: heal and cooldown_secs are for consumables"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combat::WeaponSpec;

    fn item(id: &str, kind: ItemKind) -> ItemSpec {
        ItemSpec::new(id, kind, 1)
    }

    fn catalog() -> Catalog {
        let mut medkit = item("medkit", ItemKind::Consumable);
        medkit.stackable = true;
        medkit.max_stack = 5;
        medkit.cooldown_secs = 2.0;
        medkit.heal = 50;
        Catalog::with_coins(vec![item("rifle", ItemKind::Weapon), medkit])
    }

    #[test]
    fn items_are_found_by_id_even_after_the_list_changed_under_the_index() {
        let mut catalog = catalog();
        assert_eq!(
            catalog.item("rifle").map(|item| item.kind),
            Some(ItemKind::Weapon)
        );
        assert!(catalog.item("pistol").is_none());
        catalog.items.swap(0, 1);
        catalog.items.push(item("pistol", ItemKind::Weapon));
        assert_eq!(catalog.item("rifle").map(|item| &*item.id), Some("rifle"));
        assert_eq!(catalog.item("medkit").map(|item| &*item.id), Some("medkit"));
        assert_eq!(catalog.item("pistol").map(|item| &*item.id), Some("pistol"));
        assert_eq!(catalog, catalog.clone(), "equal by their lists");
    }

    #[test]
    fn a_catalog_with_every_weapon_as_an_item_is_valid() {
        assert_eq!(catalog().validate(&Weapons::default()), Ok(()));
        assert_eq!(catalog().item("medkit").map(|item| item.max_stack), Some(5));
        assert!(catalog().currency("coins").is_some());
    }

    #[test]
    fn the_catalog_made_for_a_weapons_table_is_valid_for_it() {
        let weapons = Weapons::default();
        let catalog = Catalog::for_weapons(&weapons);
        assert_eq!(catalog.validate(&weapons), Ok(()));
        assert_eq!(catalog.items.len(), weapons.weapons.len());
    }

    #[test]
    fn mistakes_are_named() {
        let weapons = Weapons::default();
        let refused = |change: &dyn Fn(&mut Catalog)| {
            let mut catalog = catalog();
            change(&mut catalog);
            catalog.validate(&weapons).expect_err("refused").message
        };
        assert!(refused(&|c| c.items[1].id = "coins".into()).contains("defined twice"));
        assert!(refused(&|c| c.items[1].id = "Med Kit".into()).contains("lower-case"));
        assert!(refused(&|c| c.items[1].max_stack = 0).contains("max_stack"));
        assert!(refused(&|c| c.items[0].max_stack = 3).contains("not stackable"));
        assert!(refused(&|c| c.items[0].kind = ItemKind::Material).contains("has kind"));
        assert!(refused(&|c| c.items.remove(0).id.clear()).contains("has no item"));
        assert!(refused(&|c| c.items[1].cooldown_secs = f32::NAN).contains("cooldown_secs"));
        let mut two = Weapons::default();
        two.weapons.push(WeaponSpec {
            name: "bow".into(),
            ..two.weapons[0].clone()
        });
        let problem = catalog().validate(&two).expect_err("refused");
        assert_eq!(problem.id, "bow", "{problem}");
    }
}
