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
use std::path::{Path, PathBuf};

/// What exists, what is sold and what is given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EconomyData {
    pub catalog: Catalog,
    pub shop: Shop,
    pub rewards: Rewards,
    /// The files it was read from, watched for hot reload; none for data built in code.
    pub files: Option<EconomyFiles>,
}

/// Where the economy's three files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EconomyFiles {
    pub items: PathBuf,
    pub shop: PathBuf,
    pub rewards: PathBuf,
}

impl EconomyFiles {
    /// `items.toml`, `shop.toml` and `rewards.toml` in `directory`.
    pub fn in_directory(directory: &Path) -> Self {
        Self {
            items: directory.join("items.toml"),
            shop: directory.join("shop.toml"),
            rewards: directory.join("rewards.toml"),
        }
    }

    pub fn paths(&self) -> Vec<PathBuf> {
        vec![self.items.clone(), self.shop.clone(), self.rewards.clone()]
    }
}

impl Default for EconomyFiles {
    /// Their places under the working directory.
    fn default() -> Self {
        Self {
            items: ITEMS_FILE.into(),
            shop: SHOP_FILE.into(),
            rewards: REWARDS_FILE.into(),
        }
    }
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
            files: None,
        }
    }

    /// Reads `items.toml`, `shop.toml` and `rewards.toml` from their places under the working
    /// directory (each falls back to its shipped copy when absent).
    pub fn load(weapons: &Weapons) -> Result<Self, DataFileError> {
        Self::load_from(&EconomyFiles::default(), weapons)
    }

    /// Reads the catalog, shop and rewards files at these paths.
    pub fn load_from(files: &EconomyFiles, weapons: &Weapons) -> Result<Self, DataFileError> {
        let catalog = load_catalog(&files.items, weapons)?;
        Ok(Self {
            shop: load_shop(&files.shop, &catalog)?,
            rewards: load_rewards(&files.rewards, &catalog)?,
            catalog,
            files: Some(files.clone()),
        })
    }
}
