//! Maps: every `assets/maps/*.toml`, read and validated at start into parry3d geometry. Without that
//! directory (the binary run from elsewhere) the shipped maps compiled into it are used.

use crate::toml_file::{ReadError, TomlError, parse_toml, read_text};
use arbiter_components::map::{InvalidMap, MapDefinition};
use arbiter_systems::map::{MapGeometry, Maps};
use std::path::{Path, PathBuf};

/// Where map files are looked for.
pub const MAPS_DIR: &str = "assets/maps";

/// The maps shipped with Arbiter, compiled in.
const SHIPPED_MAPS: [(&str, &str); 2] = [
    ("arena.toml", include_str!("../assets/maps/arena.toml")),
    ("test.toml", include_str!("../assets/maps/test.toml")),
];

/// Why the maps could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Syntax(#[from] TomlError),
    #[error("{}: {source}", origin.display())]
    Invalid {
        origin: PathBuf,
        #[source]
        source: InvalidMap,
    },
    #[error("{}: a map named {name:?} is defined twice", origin.display())]
    Duplicate { origin: PathBuf, name: String },
    #[error("matchmaking.maps names {name:?}, which no map file defines (known: {known})")]
    Unknown { name: String, known: String },
}

/// `dir/*.toml` if `dir` exists, else the shipped maps.
pub fn load_maps(dir: &Path) -> Result<Maps, MapError> {
    if !dir.is_dir() {
        return shipped_maps();
    }
    let entries = std::fs::read_dir(dir).map_err(ReadError::new("maps directory", dir))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "toml")
        })
        .collect();
    files.sort();
    let mut maps = Maps::default();
    for path in files {
        let text = read_text(&path, "map")?;
        add(&mut maps, &text, &path)?;
    }
    Ok(maps)
}

/// The maps compiled into the binary.
pub fn shipped_maps() -> Result<Maps, MapError> {
    let mut maps = Maps::default();
    for (file, text) in SHIPPED_MAPS {
        add(&mut maps, text, &Path::new("<shipped>").join(file))?;
    }
    Ok(maps)
}

/// Fails unless every name in `wanted` is among `maps`.
pub fn require_maps<'a>(
    maps: &Maps,
    wanted: impl IntoIterator<Item = &'a String>,
) -> Result<(), MapError> {
    match wanted.into_iter().find(|name| maps.get(name).is_none()) {
        Some(name) => Err(MapError::Unknown {
            name: name.clone(),
            known: maps.names().collect::<Vec<_>>().join(", "),
        }),
        None => Ok(()),
    }
}

fn add(maps: &mut Maps, text: &str, origin: &Path) -> Result<(), MapError> {
    maps.insert(parse_map(text, origin)?)
        .map_err(|name| MapError::Duplicate {
            origin: origin.to_owned(),
            name,
        })
}

/// Makes the loaded maps available to the rules.
#[derive(Debug)]
pub struct MapsPlugin(pub Maps);

impl bevy_app::Plugin for MapsPlugin {
    fn build(&self, app: &mut bevy_app::App) {
        app.insert_resource(self.0.clone());
    }
}

/// Parses and validates one map file.
pub fn parse_map(text: &str, origin: &Path) -> Result<MapGeometry, MapError> {
    let definition: MapDefinition = parse_toml(text, origin)?;
    MapGeometry::new(definition).map_err(|source| MapError::Invalid {
        origin: origin.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_maps_load_and_the_arena_has_hundreds_of_boxes() {
        let maps = shipped_maps().expect("shipped maps are valid");
        assert_eq!(maps.names().collect::<Vec<_>>(), ["arena", "test"]);
        let arena = maps.get("arena").expect("arena");
        assert!(arena.spawns(0).count() >= 5 && arena.spawns(1).count() >= 5);
        assert!(require_maps(&maps, &["arena".to_owned()]).is_ok());
        let unknown = require_maps(&maps, &["dust".to_owned()]).expect_err("no such map");
        assert!(
            unknown.to_string().contains("known: arena, test"),
            "{unknown}"
        );
    }

    #[test]
    fn a_broken_map_file_is_refused_with_its_position() {
        let error =
            parse_map("name = \"x\"\nbounds = 5\n", Path::new("x.toml")).expect_err("bad bounds");
        assert!(error.to_string().starts_with("x.toml:2:10:"), "{error}");
    }
}
