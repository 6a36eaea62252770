//! The shop: `assets/config/shop.toml`, or the compiled-in copy when the file is absent. Checked
//! against the item catalog; errors name `file:line:column`.

use crate::toml_file::{DataFileError, load_data_file};
use arbiter_components::items::Catalog;
use arbiter_components::shop::Shop;
use std::path::Path;

/// Where the shop is looked for.
pub const SHOP_FILE: &str = "assets/config/shop.toml";

const SHIPPED_SHOP: &str = include_str!("../assets/config/shop.toml");

/// Reads `path` if it exists, else the shipped shop, and checks it against `catalog`.
pub fn load_shop(path: &Path, catalog: &Catalog) -> Result<Shop, DataFileError> {
    load_data_file(
        path,
        "shop",
        SHIPPED_SHOP,
        "<shipped>/shop.toml",
        |shop: &Shop| {
            shop.validate(catalog)
                .map_err(|problem| (problem.id, problem.message))
        },
    )
}
