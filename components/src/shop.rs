//! The shop (`assets/config/shop.toml`): offers of items for a price in a currency.

use crate::items::Catalog;
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One offer: `qty` units of `item` for `price` of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub id: String,
    pub item: String,
    #[serde(default = "one")]
    pub qty: u32,
    pub currency: String,
    pub price: u64,
}

fn one() -> u32 {
    1
}

/// What the shop sells.
#[derive(Resource, Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shop {
    #[serde(default)]
    pub offers: Vec<Offer>,
}

impl Shop {
    pub fn offer(&self, id: &str) -> Option<&Offer> {
        self.offers.iter().find(|offer| offer.id == id)
    }

    /// Offer ids unique; every item and currency in the catalog; a quantity that fits a stack (one
    /// unit of an instance item); a price above 0 and within a balance.
    pub fn validate(&self, catalog: &Catalog) -> Result<(), String> {
        let mut seen = HashSet::new();
        for offer in &self.offers {
            let id = &offer.id;
            if !seen.insert(id.as_str()) {
                return Err(format!("offer {id:?} is defined twice"));
            }
            let item = catalog
                .item(&offer.item)
                .ok_or_else(|| format!("offer {id:?}: no item {:?} in the catalog", offer.item))?;
            if catalog.currency(&offer.currency).is_none() {
                return Err(format!(
                    "offer {id:?}: no currency {:?} in the catalog",
                    offer.currency
                ));
            }
            let most = if item.stackable { item.max_stack } else { 1 };
            if !(1..=most).contains(&offer.qty) {
                return Err(format!("offer {id:?}: qty must be 1 to {most}"));
            }
            if offer.price == 0 || offer.price > i64::MAX as u64 {
                return Err(format!("offer {id:?}: price must be 1 to {}", i64::MAX));
            }
        }
        Ok(())
    }
}
