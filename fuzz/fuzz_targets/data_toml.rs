//! The data files a server loads and hot-reloads: a map, the weapons table, the item catalog and
//! the shop. The first byte picks which; each is parsed and checked as the server does.
#![no_main]

use arbiter_components::combat::Weapons;
use arbiter_components::items::Catalog;
use arbiter_components::shop::Shop;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|bytes: &[u8]| {
    let Some((kind, text)) = bytes.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    match kind % 4 {
        0 => {
            let _ = arbiter::maps::parse_map(text, Path::new("map.toml"));
        }
        1 => {
            let _ = arbiter::weapons::parse_weapons(text, Path::new("weapons.toml"));
        }
        2 => {
            if let Ok(catalog) = toml::from_str::<Catalog>(text) {
                let _ = catalog.validate(&Weapons::default());
            }
        }
        _ => {
            if let Ok(shop) = toml::from_str::<Shop>(text) {
                let _ = shop.validate(&arbiter_components::items::Catalog::for_weapons(
                    &Weapons::default(),
                ));
            }
        }
    }
});
