//! Hot reload of items.toml, shop.toml and rewards.toml in a running server: a change applies
//! within the tick; a broken file, or one that removes an item a player (online, or only stored)
//! still holds, is refused and the running version stays.

use arbiter::economy::{EconomyData, EconomyFiles};
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter_components::items::Catalog;
use arbiter_components::shop::Shop;
use arbiter_testing::databases::sqlite_shards;
use arbiter_testing::http::metric_value;
use arbiter_testing::persisted_app::{log_in, persisted_app_with, step_until, step_until_durable};
use bevy_app::App;
use std::path::Path;

const PLAYER: u64 = 12;

fn shipped(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/config")
            .join(name),
    )
    .expect("a shipped file")
}

fn refusals() -> f64 {
    metric_value(
        &arbiter::telemetry::metrics::prometheus().render(),
        "arbiter_economy_reloads_total{result=\"refused\"}",
    )
    .unwrap_or(0.0)
}

fn server(files: &EconomyFiles, shards: &[String]) -> App {
    let mut config = ServerConfig::default();
    config.persistence.shards = shards.to_vec();
    config.persistence.flush_interval_secs = 1;
    let store = open_store(&config).expect("store");
    let weapons =
        arbiter::weapons::load_weapons(Path::new(arbiter::weapons::WEAPONS_FILE)).expect("weapons");
    let economy = EconomyData::load_from(files, &weapons).expect("the copied files load");
    persisted_app_with(config, &store, false, |plugins| {
        plugins.with_economy(economy)
    })
}

fn price(app: &App, offer: &str) -> Option<u64> {
    app.world()
        .resource::<Shop>()
        .offer(offer)
        .map(|offer| offer.price)
}

/// Writes `text` to `path` the way editors save: a new file renamed over the old one.
fn save(path: &Path, text: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text).expect("write");
    std::fs::rename(&temporary, path).expect("rename");
}

#[test]
fn a_reload_applies_a_new_price_and_refuses_broken_files_and_removing_what_players_hold() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).expect("dir");
    for name in ["items.toml", "shop.toml", "rewards.toml"] {
        std::fs::write(config_dir.join(name), shipped(name)).expect("copy");
    }
    let files = EconomyFiles::in_directory(&config_dir);
    let shards = sqlite_shards(&dir, 1);
    let mut app = server(&files, &shards);
    let player = log_in(&mut app, PLAYER);
    assert!(step_until_durable(&mut app, player), "the kit is stored");
    assert_eq!(price(&app, "pistol"), Some(60));

    // A new price applies.
    save(
        &files.shop,
        &shipped("shop.toml").replace("price = 60", "price = 75"),
    );
    assert!(
        step_until(&mut app, 3000, |app| price(app, "pistol") == Some(75)),
        "the new price never applied"
    );

    // A broken file is refused; the running shop stays.
    let refused = refusals();
    save(&files.shop, "[[offers]]\nid = ");
    assert!(step_until(&mut app, 3000, |_| refusals() > refused));
    assert_eq!(price(&app, "pistol"), Some(75));

    // Removing the medkit, which the player holds (its kit's two, stored), is refused. First the
    // shop and the rewards stop naming it (that applies), then the catalog drops it (refused).
    save(
        &files.rewards,
        &shipped("rewards.toml").replace("    { item = \"medkit\", qty = 2, equip = true },\n", ""),
    );
    save(
        &files.shop,
        &remove_offer(&shipped("shop.toml"), "medkits").replace("price = 60", "price = 75"),
    );
    assert!(
        step_until(&mut app, 3000, |app| app
            .world()
            .resource::<Shop>()
            .offer("medkits")
            .is_none()),
        "the shop without medkits applies"
    );
    let refused = refusals();
    save(&files.items, &remove_item(&shipped("items.toml"), "medkit"));
    assert!(step_until(&mut app, 3000, |_| refusals() > refused));
    assert!(
        app.world().resource::<Catalog>().item("medkit").is_some(),
        "the catalog keeps the medkit a player holds"
    );

    // An item nobody holds can go (camo_skin is only sold and looted: both removed with it).
    save(
        &files.shop,
        &remove_offer(&remove_offer(&shipped("shop.toml"), "medkits"), "camo_skin")
            .replace("price = 60", "price = 75"),
    );
    save(
        &files.rewards,
        &shipped("rewards.toml")
            .replace("    { item = \"medkit\", qty = 2, equip = true },\n", "")
            .replace("[[loot.win]]\nitem = \"camo_skin\"\nweight = 5\n\n", ""),
    );
    save(
        &files.items,
        &remove_item(&shipped("items.toml"), "camo_skin"),
    );
    assert!(
        step_until(&mut app, 3000, |app| {
            app.world()
                .resource::<Catalog>()
                .item("camo_skin")
                .is_none()
        }),
        "removing an item nobody holds applies"
    );
    assert!(app.world().resource::<Catalog>().item("medkit").is_some());
}

/// `catalog` without the `[[items]]` table of `id`.
fn remove_item(catalog: &str, id: &str) -> String {
    remove_table(catalog, "[[items]]", id)
}

/// `shop` without the `[[offers]]` table of `id`.
fn remove_offer(shop: &str, id: &str) -> String {
    remove_table(shop, "[[offers]]", id)
}

fn remove_table(text: &str, header: &str, id: &str) -> String {
    text.split(header)
        .enumerate()
        .filter(|(index, table)| *index == 0 || !table.contains(&format!("id = \"{id}\"")))
        .map(|(index, table)| {
            if index == 0 {
                table.to_owned()
            } else {
                format!("{header}{table}")
            }
        })
        .collect()
}
