//! The shipped config and map files are valid, and the documented defaults are the code's defaults.

use arbiter::config::{EMBEDDED_DEFAULTS, load_file, parse_config};
use arbiter::settings::ServerConfig;
use std::path::Path;

fn no_env(_: &str) -> Option<String> {
    None
}

/// The item catalog of `directory`, checked against its weapons table.
fn catalog(directory: &Path) -> arbiter_components::items::Catalog {
    let weapons = arbiter::weapons::load_weapons(&directory.join("weapons.toml"))
        .unwrap_or_else(|error| panic!("{error}"));
    arbiter::items::load_catalog(&directory.join("items.toml"), &weapons)
        .unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn every_file_in_assets_config_parses_and_validates() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config");
    let mut checked = 0;
    for entry in std::fs::read_dir(&directory).expect("assets/config exists") {
        let path = entry.expect("directory entry").path();
        if path.file_name().is_some_and(|name| name == "weapons.toml") {
            arbiter::weapons::load_weapons(&path).unwrap_or_else(|error| panic!("{error}"));
            checked += 1;
        } else if path.file_name().is_some_and(|name| name == "items.toml") {
            catalog(&directory);
            checked += 1;
        } else if path.file_name().is_some_and(|name| name == "shop.toml") {
            let shop = arbiter::shop::load_shop(&path, &catalog(&directory))
                .unwrap_or_else(|error| panic!("{error}"));
            assert!(!shop.offers.is_empty(), "the shipped shop sells something");
            checked += 1;
        } else if path.file_name().is_some_and(|name| name == "rewards.toml") {
            let rewards = arbiter::rewards::load_rewards(&path, &catalog(&directory))
                .unwrap_or_else(|error| panic!("{error}"));
            assert!(
                !rewards.starter_kit.items.is_empty(),
                "the shipped starter kit holds items"
            );
            checked += 1;
        } else if path
            .extension()
            .is_some_and(|extension| extension == "toml")
        {
            load_file(&path, &no_env).unwrap_or_else(|error| panic!("{error}"));
            checked += 1;
        }
    }
    assert!(
        checked >= 5,
        "server.toml, weapons.toml, items.toml, shop.toml and rewards.toml in {}",
        directory.display()
    );
}

#[test]
fn the_commented_server_toml_states_exactly_the_code_defaults() {
    let documented = parse_config(EMBEDDED_DEFAULTS, Path::new("server.toml"), &no_env)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(documented, ServerConfig::default());
}

#[test]
fn every_map_in_assets_maps_loads_and_the_default_config_names_only_existing_maps() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/maps");
    let maps = arbiter::maps::load_maps(&directory).unwrap_or_else(|error| panic!("{error}"));
    assert!(maps.names().count() >= 2);
    arbiter::maps::require_maps(&maps, &ServerConfig::default().matchmaking.maps)
        .unwrap_or_else(|error| panic!("{error}"));
}

/// The `server.toml` files of `deploy/agones/config.yaml`'s ConfigMaps (block scalars indented by
/// four spaces under `server.toml: |`), in order: the matchmaker's, then the game servers'.
fn deployed_server_tomls() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/agones/config.yaml");
    let yaml = std::fs::read_to_string(path).expect("deploy/agones/config.yaml");
    let mut files = Vec::new();
    let mut lines = yaml.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim_end() != "  server.toml: |" {
            continue;
        }
        let mut file = String::new();
        while let Some(body) = lines.next_if(|line| line.is_empty() || line.starts_with("    ")) {
            file.push_str(body.get(4..).unwrap_or_default());
            file.push('\n');
        }
        files.push(file);
    }
    files
}

#[test]
fn the_deployments_two_server_toml_files_parse_and_validate() {
    let secrets = |name: &str| match name {
        "ARBITER_DATABASE_URL" => Some("postgres://arbiter@db.example:5432/arbiter".to_owned()),
        "ARBITER_ADMIN_TOKEN" => Some("a-token-from-the-secret".to_owned()),
        _ => None,
    };
    let files = deployed_server_tomls();
    assert_eq!(files.len(), 2, "the matchmaker's and the game servers'");
    let configs: Vec<ServerConfig> = files
        .iter()
        .map(|file| {
            parse_config(file, Path::new("deploy/agones/config.yaml"), &secrets)
                .unwrap_or_else(|error| panic!("{error}"))
        })
        .collect();
    // The matchmaker's lobby tick is real-time (matchmaker.yaml grants SYS_NICE for it); the game
    // servers', many to a node, are not.
    assert!(configs[0].server.tick_realtime);
    assert!(!configs[1].server.tick_realtime);
}
