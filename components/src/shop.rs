//! The shop (`assets/config/shop.toml`): offers of items for a price in a currency.

use crate::items::{Catalog, CatalogProblem};
use bevy_ecs::resource::Resource;
use serde::{Deserialize, Serialize};
use smol_str::{SmolStr, format_smolstr};
use std::collections::HashSet;

/// How a purchase's changes name it, as their reason (`purchase:rifle`): the item it added and
/// the price it took.
pub fn purchase_reason(offer: &str) -> SmolStr {
    format_smolstr!("{PURCHASE_REASON_PREFIX}{offer}")
}

/// The start of a purchase's reason.
pub const PURCHASE_REASON_PREFIX: &str = "purchase:";

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
    pub fn validate(&self, catalog: &Catalog) -> Result<(), CatalogProblem> {
        let mut seen = HashSet::new();
        for offer in &self.offers {
            let problem = |message: String| CatalogProblem {
                id: offer.id.clone(),
                message,
            };
            if !seen.insert(offer.id.as_str()) {
                return Err(problem(format!("offer {:?} is defined twice", offer.id)));
            }
            offer.validate(catalog).map_err(problem)?;
        }
        Ok(())
    }
}

impl Offer {
    fn validate(&self, catalog: &Catalog) -> Result<(), String> {
        let id = &self.id;
        let item = catalog
            .item(&self.item)
            .ok_or_else(|| format!("offer {id:?}: no item {:?} in the catalog", self.item))?;
        if catalog.currency(&self.currency).is_none() {
            return Err(format!(
                "offer {id:?}: no currency {:?} in the catalog",
                self.currency
            ));
        }
        let most = if item.stackable { item.max_stack } else { 1 };
        if !(1..=most).contains(&self.qty) {
            return Err(format!("offer {id:?}: qty must be 1 to {most}"));
        }
        if self.price == 0 || self.price > i64::MAX as u64 {
            return Err(format!("offer {id:?}: price must be 1 to {}", i64::MAX));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::{ItemKind, ItemSpec};

    fn catalog() -> Catalog {
        let item = |id: &str, max_stack: u32| ItemSpec::new(id, ItemKind::Material, max_stack);
        Catalog::with_coins(vec![item("statue", 1), item("scrap", 10)])
    }

    fn offer(id: &str, item: &str, qty: u32, price: u64) -> Offer {
        Offer {
            id: id.into(),
            item: item.into(),
            qty,
            currency: "coins".into(),
            price,
        }
    }

    #[test]
    fn offers_must_name_what_exists_and_fit_a_stack() {
        let catalog = catalog();
        let shop = |offers: Vec<Offer>| Shop { offers }.validate(&catalog);
        assert_eq!(shop(vec![offer("a", "scrap", 10, 5)]), Ok(()));
        let refused = |offers| shop(offers).expect_err("refused");
        assert_eq!(refused(vec![offer("a", "gold", 1, 5)]).id, "a");
        assert!(
            refused(vec![offer("a", "scrap", 11, 5)])
                .message
                .contains("qty")
        );
        assert!(
            refused(vec![offer("a", "statue", 2, 5)])
                .message
                .contains("qty must be 1 to 1")
        );
        assert!(
            refused(vec![offer("a", "scrap", 1, 0)])
                .message
                .contains("price")
        );
        let twice = refused(vec![offer("a", "scrap", 1, 5), offer("a", "statue", 1, 5)]);
        assert!(twice.message.contains("twice"), "{twice}");
        let mut in_gems = offer("b", "scrap", 1, 5);
        in_gems.currency = "gems".into();
        assert!(refused(vec![in_gems]).message.contains("currency"));
    }
}
