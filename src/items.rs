//! The item catalog: `assets/config/items.toml`, or the compiled-in copy when the file is absent.
//! Checked on its own and against the weapons table; errors name `file:line:column`.

use crate::toml_file::{ReadError, TomlError, line_and_column, parse_toml, read_text};
use arbiter_components::combat::Weapons;
use arbiter_components::items::Catalog;
use std::path::{Path, PathBuf};

/// Where the catalog is looked for.
pub const ITEMS_FILE: &str = "assets/config/items.toml";

const SHIPPED_ITEMS: &str = include_str!("../assets/config/items.toml");

/// Why the catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Syntax(#[from] TomlError),
    #[error("{}:{line}:{column}: {problem}", origin.display())]
    Invalid {
        origin: PathBuf,
        line: usize,
        column: usize,
        problem: String,
    },
}

/// Reads `path` if it exists, else the shipped catalog, and checks it against `weapons`.
pub fn load_catalog(path: &Path, weapons: &Weapons) -> Result<Catalog, CatalogError> {
    if !path.is_file() {
        return parse_catalog(SHIPPED_ITEMS, Path::new("<shipped>/items.toml"), weapons);
    }
    let text = read_text(path, "item catalog")?;
    parse_catalog(&text, path, weapons)
}

/// Parses and checks a catalog; a problem points at the line where the id it is about is written
/// (the top of the file for an id that is missing).
pub fn parse_catalog(
    text: &str,
    origin: &Path,
    weapons: &Weapons,
) -> Result<Catalog, CatalogError> {
    let catalog: Catalog = parse_toml(text, origin)?;
    catalog.validate(weapons).map_err(|problem| {
        let offset = text.find(&format!("\"{}\"", problem.id)).unwrap_or(0);
        let (line, column) = line_and_column(text, offset);
        CatalogError::Invalid {
            origin: origin.to_owned(),
            line,
            column,
            problem: problem.message,
        }
    })?;
    Ok(catalog)
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
