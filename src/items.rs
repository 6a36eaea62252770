//! The item catalog: `assets/config/items.toml`, or the compiled-in copy when the file is absent.
//! Checked on its own and against the weapons table; errors name `file:line:column`.

use crate::toml_file::{DataFileError, load_data_file, parse_data};
use arbiter_components::combat::Weapons;
use arbiter_components::items::Catalog;
use std::path::Path;

/// Where the catalog is looked for.
pub const ITEMS_FILE: &str = "assets/config/items.toml";

const SHIPPED_ITEMS: &str = include_str!("../assets/config/items.toml");

/// Reads `path` if it exists, else the shipped catalog, and checks it against `weapons`.
pub fn load_catalog(path: &Path, weapons: &Weapons) -> Result<Catalog, DataFileError> {
    load_data_file(
        path,
        "item catalog",
        SHIPPED_ITEMS,
        "<shipped>/items.toml",
        check(weapons),
    )
}

/// Parses and checks a catalog.
pub fn parse_catalog(
    text: &str,
    origin: &Path,
    weapons: &Weapons,
) -> Result<Catalog, DataFileError> {
    parse_data(text, origin, check(weapons))
}

fn check(weapons: &Weapons) -> impl FnOnce(&Catalog) -> Result<(), (String, String)> {
    move |catalog| {
        catalog
            .validate(weapons)
            .map_err(|problem| (problem.id, problem.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_is_valid_and_holds_every_weapon() {
        let weapons = crate::weapons::parse_weapons(
            include_str!("../assets/config/weapons.toml"),
            Path::new("weapons.toml"),
        )
        .expect("the shipped weapons");
        let catalog =
            parse_catalog(SHIPPED_ITEMS, Path::new("items.toml"), &weapons).expect("valid");
        for weapon in &weapons.weapons {
            assert!(catalog.item(&weapon.name).is_some(), "{}", weapon.name);
        }
        assert!(catalog.currency("coins").is_some());
    }

    #[test]
    fn a_problem_points_at_the_line_of_the_id_it_is_about() {
        let text = "[[items]]\nid = \"rifle\"\nname = \"Rifle\"\nkind = \"weapon\"\nrarity = \"common\"\n\n\
                    [[items]]\nid = \"ammo\"\nname = \"Ammo\"\nkind = \"material\"\nrarity = \"common\"\nmax_stack = 50\n";
        let error = parse_catalog(text, Path::new("items.toml"), &Weapons::default())
            .expect_err("ammo is not stackable but has a max_stack");
        let message = error.to_string();
        assert!(
            message.starts_with("items.toml:8:6: item \"ammo\""),
            "{message}"
        );

        let error = parse_catalog(
            "[[items]]\nid = 3\n",
            Path::new("items.toml"),
            &Weapons::default(),
        )
        .expect_err("an id is text");
        assert!(error.to_string().starts_with("items.toml:2:6:"), "{error}");
    }
}
