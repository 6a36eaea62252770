//! The rewards: `assets/config/rewards.toml`, or the compiled-in copy when the file is absent.
//! Checked against the item catalog; errors name `file:line:column`.

use crate::toml_file::{DataFileError, load_data_file};
use arbiter_components::items::Catalog;
use arbiter_components::rewards::Rewards;
use std::path::Path;

/// Where the rewards are looked for.
pub const REWARDS_FILE: &str = "assets/config/rewards.toml";

const SHIPPED_REWARDS: &str = include_str!("../assets/config/rewards.toml");

/// Reads `path` if it exists, else the shipped rewards, and checks them against `catalog`.
pub fn load_rewards(path: &Path, catalog: &Catalog) -> Result<Rewards, DataFileError> {
    load_data_file(
        path,
        "rewards",
        SHIPPED_REWARDS,
        "<shipped>/rewards.toml",
        |rewards: &Rewards| {
            rewards
                .validate(catalog)
                .map_err(|problem| (problem.id, problem.message))
        },
    )
}
