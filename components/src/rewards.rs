//! Where items and currencies come from (`assets/config/rewards.toml`): the starter kit a new
//! player gets, and what a finished match pays — currency for the result and each kill, and a draw
//! from a loot table by result. Data only; the server reads and validates the file.

use crate::items::{Catalog, CatalogProblem, ItemKind};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};

/// Units of one item in a kit or a loot entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KitItem {
    pub item: String,
    #[serde(default = "one")]
    pub qty: u32,
    /// Put it in the first free slot that takes it (weapons: primary, then secondary).
    #[serde(default)]
    pub equip: bool,
}

fn one() -> u32 {
    1
}

/// An amount of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurrencyAmount {
    pub currency: String,
    pub amount: u64,
}

/// What a player gets once, when it is registered.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarterKit {
    #[serde(default)]
    pub items: Vec<KitItem>,
    #[serde(default)]
    pub currencies: Vec<CurrencyAmount>,
}

impl StarterKit {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.currencies.is_empty()
    }
}

/// Currency paid to every rated player of a finished match.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchPay {
    pub currency: String,
    #[serde(default)]
    pub win: u64,
    #[serde(default)]
    pub loss: u64,
    #[serde(default)]
    pub draw: u64,
    #[serde(default)]
    pub per_kill: u64,
}

/// One entry of a loot table: `item` × `qty` with relative `weight`; no item is "nothing".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LootEntry {
    #[serde(default)]
    pub item: Option<String>,
    #[serde(default = "one")]
    pub qty: u32,
    pub weight: u32,
}

/// One draw per player per finished match, from the table of its result.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LootTables {
    #[serde(default)]
    pub win: Vec<LootEntry>,
    #[serde(default)]
    pub loss: Vec<LootEntry>,
    #[serde(default)]
    pub draw: Vec<LootEntry>,
}

/// How a player's match ended, for its pay and loot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchResult {
    Win,
    Loss,
    Draw,
}

impl MatchResult {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchResult::Win => "win",
            MatchResult::Loss => "loss",
            MatchResult::Draw => "draw",
        }
    }
}

/// The sources of items and currencies.
#[derive(Resource, Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rewards {
    #[serde(default)]
    pub starter_kit: StarterKit,
    #[serde(default)]
    pub match_pay: Option<MatchPay>,
    #[serde(default)]
    pub loot: LootTables,
}

impl Rewards {
    /// A starter kit of the first weapon of the catalog, equipped: what a server without a rewards
    /// file gives, so every player can fire.
    pub fn first_weapon_of(catalog: &Catalog) -> Self {
        let items = catalog
            .items
            .iter()
            .find(|item| item.kind == ItemKind::Weapon)
            .map(|weapon| KitItem {
                item: weapon.id.clone(),
                qty: 1,
                equip: true,
            })
            .into_iter()
            .collect();
        Self {
            starter_kit: StarterKit {
                items,
                currencies: Vec::new(),
            },
            ..Self::default()
        }
    }

    /// The loot table of `result`.
    pub fn loot(&self, result: MatchResult) -> &[LootEntry] {
        match result {
            MatchResult::Win => &self.loot.win,
            MatchResult::Loss => &self.loot.loss,
            MatchResult::Draw => &self.loot.draw,
        }
    }

    /// The entry a roll in `0..u64::MAX` picks from the table of `result`, weighted.
    pub fn draw_loot(&self, result: MatchResult, roll: u64) -> Option<&LootEntry> {
        let table = self.loot(result);
        let total: u64 = table.iter().map(|entry| u64::from(entry.weight)).sum();
        if total == 0 {
            return None;
        }
        let mut point = roll % total;
        table.iter().find(|entry| {
            let weight = u64::from(entry.weight);
            if point < weight {
                return true;
            }
            point -= weight;
            false
        })
    }

    /// Checks every item and currency named against `catalog`, and quantities against stacks.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), CatalogProblem> {
        let item = |id: &str, qty: u32, place: &str| -> Result<(), CatalogProblem> {
            let problem = |message: String| CatalogProblem {
                id: id.to_owned(),
                message,
            };
            let spec = catalog.item(id).ok_or_else(|| {
                problem(format!("{place}: item {id:?} is not in the item catalog"))
            })?;
            if qty == 0 || (spec.stackable && qty > spec.max_stack) {
                return Err(problem(format!(
                    "{place}: qty of {id:?} must be 1 to {}",
                    spec.max_stack.max(1)
                )));
            }
            Ok(())
        };
        let currency = |id: &str, place: &str| -> Result<(), CatalogProblem> {
            catalog
                .currency(id)
                .map(|_| ())
                .ok_or_else(|| CatalogProblem {
                    id: id.to_owned(),
                    message: format!("{place}: currency {id:?} is not in the item catalog"),
                })
        };
        for kit in &self.starter_kit.items {
            item(&kit.item, kit.qty, "starter_kit")?;
        }
        for amount in &self.starter_kit.currencies {
            currency(&amount.currency, "starter_kit")?;
        }
        if let Some(pay) = &self.match_pay {
            currency(&pay.currency, "match_pay")?;
        }
        for (result, table) in [
            (MatchResult::Win, &self.loot.win),
            (MatchResult::Loss, &self.loot.loss),
            (MatchResult::Draw, &self.loot.draw),
        ] {
            let place = format!("loot.{}", result.as_str());
            for entry in table {
                if let Some(id) = &entry.item {
                    item(id, entry.qty, &place)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::ItemSpec;

    fn catalog() -> Catalog {
        Catalog::with_coins(vec![
            ItemSpec::new("scrap", ItemKind::Material, 10),
            ItemSpec::new("rifle", ItemKind::Weapon, 1),
        ])
    }

    fn entry(item: Option<&str>, weight: u32) -> LootEntry {
        LootEntry {
            item: item.map(Into::into),
            qty: 1,
            weight,
        }
    }

    #[test]
    fn loot_is_drawn_by_weight_and_nothing_is_an_entry_too() {
        let mut rewards = Rewards::default();
        rewards.loot.win = vec![entry(Some("scrap"), 1), entry(None, 3)];
        let picks: Vec<Option<&str>> = (0..8)
            .map(|roll| {
                rewards
                    .draw_loot(MatchResult::Win, roll)
                    .and_then(|entry| entry.item.as_deref())
            })
            .collect();
        assert_eq!(picks.iter().filter(|pick| pick.is_some()).count(), 2);
        assert_eq!(picks[0], Some("scrap"));
        assert_eq!(rewards.draw_loot(MatchResult::Loss, 7), None);
    }

    #[test]
    fn rewards_naming_what_the_catalog_lacks_are_refused() {
        let mut rewards = Rewards::first_weapon_of(&catalog());
        assert_eq!(rewards.starter_kit.items[0].item, "rifle");
        assert_eq!(rewards.validate(&catalog()), Ok(()));
        rewards.loot.draw = vec![entry(Some("gold"), 1)];
        let problem = rewards.validate(&catalog()).expect_err("unknown item");
        assert_eq!(problem.id, "gold");
        assert!(problem.message.contains("loot.draw"), "{problem}");
        rewards.loot.draw.clear();
        rewards.starter_kit.items.push(KitItem {
            item: "scrap".into(),
            qty: 11,
            equip: false,
        });
        assert!(rewards.validate(&catalog()).is_err());
        rewards.starter_kit.items.pop();
        rewards.match_pay = Some(MatchPay {
            currency: "gems".into(),
            ..MatchPay::default()
        });
        assert_eq!(rewards.validate(&catalog()).expect_err("gems").id, "gems");
    }
}
