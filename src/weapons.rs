//! The weapons table: `assets/config/weapons.toml`, or the compiled-in copy when the file is absent.

use crate::toml_file::{ReadError, TomlError, parse_toml, read_text};
use arbiter_components::combat::Weapons;
use std::path::{Path, PathBuf};

/// Where the weapons table is looked for.
pub const WEAPONS_FILE: &str = "assets/config/weapons.toml";

const SHIPPED_WEAPONS: &str = include_str!("../assets/config/weapons.toml");

/// Why the weapons table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WeaponsError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Syntax(#[from] TomlError),
    #[error("{}: {problem}", origin.display())]
    Invalid { origin: PathBuf, problem: String },
}

/// Reads `path` if it exists, else the shipped table.
pub fn load_weapons(path: &Path) -> Result<Weapons, WeaponsError> {
    if !path.is_file() {
        return parse_weapons(SHIPPED_WEAPONS, Path::new("<shipped>/weapons.toml"));
    }
    let text = read_text(path, "weapons table")?;
    parse_weapons(&text, path)
}

/// Parses and validates a weapons table.
pub fn parse_weapons(text: &str, origin: &Path) -> Result<Weapons, WeaponsError> {
    let weapons: Weapons = parse_toml(text, origin)?;
    weapons
        .validate()
        .map_err(|problem| WeaponsError::Invalid {
            origin: origin.to_owned(),
            problem,
        })?;
    Ok(weapons)
}

/// Makes the weapons table available to the rules.
#[derive(Debug)]
pub struct WeaponsPlugin(pub Weapons);

impl bevy_app::Plugin for WeaponsPlugin {
    fn build(&self, app: &mut bevy_app::App) {
        app.insert_resource(self.0.clone());
    }
}
