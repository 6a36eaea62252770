//! The economy's data files, loaded together: the catalog, then the shop and the rewards checked
//! against it.

use crate::items::{ITEMS_FILE, load_catalog};
use crate::rewards::{REWARDS_FILE, load_rewards};
use crate::shop::{SHOP_FILE, load_shop};
use crate::toml_file::DataFileError;
use arbiter_components::combat::Weapons;
use arbiter_components::items::Catalog;
use arbiter_components::rewards::Rewards;
use arbiter_components::shop::Shop;
use std::path::Path;

/// What exists, what is sold and what is given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EconomyData {
    pub catalog: Catalog,
    pub shop: Shop,
    pub rewards: Rewards,
}

impl EconomyData {
    /// A server given no economy files: one item per weapon, nothing sold, and a starter kit of
    /// the first weapon, equipped (so every player can fire).
    pub fn for_weapons(weapons: &Weapons) -> Self {
        let catalog = Catalog::for_weapons(weapons);
        Self {
            rewards: Rewards::first_weapon_of(&catalog),
            shop: Shop::default(),
            catalog,
        }
    }

    /// Reads `items.toml`, `shop.toml` and `rewards.toml` from their places under the working
    /// directory (each falls back to its shipped copy when absent).
    pub fn load(weapons: &Weapons) -> Result<Self, DataFileError> {
        Self::load_from(
            (
                Path::new(ITEMS_FILE),
                Path::new(SHOP_FILE),
                Path::new(REWARDS_FILE),
            ),
            weapons,
        )
    }

    /// Reads the catalog, shop and rewards files at these paths.
    pub fn load_from(
        (items, shop, rewards): (&Path, &Path, &Path),
        weapons: &Weapons,
    ) -> Result<Self, DataFileError> {
        let catalog = load_catalog(items, weapons)?;
        Ok(Self {
            shop: load_shop(shop, &catalog)?,
            rewards: load_rewards(rewards, &catalog)?,
            catalog,
        })
    }
}
