//! The whole simulation with 100 concurrent 10-player matches on the arena and no network: 1,000
//! players walking (inputs every tick) and each firing 10 shots/s at a random opponent where it saw
//! it 100 ms ago, with a small aim error and a claimed hit — so walls, misses, hits, deaths and
//! respawns all happen. Every player holds 100 items (a rifle, equipped, and 99 stacks) and ten
//! players buy from the shop every tick. One `App::update` is one tick at 128 Hz; only the update
//! is timed.
//!
//! `cargo bench --bench match_simulation`

use arbiter::ServerPlugins;
use arbiter::config::LoadedConfig;
use arbiter::economy::EconomyData;
use arbiter::maps::shipped_maps;
use arbiter::weapons::{WEAPONS_FILE, load_weapons};
use arbiter_components::combat::{ShotVerdict, Weapons};
use arbiter_components::history::PositionHistory;
use arbiter_components::input::InputBuffer;
use arbiter_components::inventory::Inventory;
use arbiter_components::items::{Catalog, ItemKind};
use arbiter_components::matchmaking::{InMatch, Match, MatchState, Team};
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::InputFrame;
use arbiter_components::protocol::ItemRequest;
use arbiter_components::rewards::{CurrencyAmount, KitItem, Rewards, StarterKit};
use arbiter_components::shop::{Offer, Shop};
use arbiter_components::tick::ServerTick;
use arbiter_systems::economy::{ItemRefused, ItemRequested};
use arbiter_systems::matchmaking::MatchFormed;
use arbiter_systems::shots::{EYE_HEIGHT_M, FireRequested, ShotJudged};
use arbiter_testing::items;
use bevy_app::App;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_math::Vec3;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

const MATCHES: usize = 100;
const TEAM_SIZE: usize = 5;
const TICK_RATE_HZ: u32 = 128;
/// 100 ms of interpolation at 128 Hz.
const CLAIM_AGE_TICKS: u64 = 13;
/// 128 Hz / 13 ≈ 9.8 shots per second per player.
const FIRE_EVERY_TICKS: u64 = 13;
const WARMUP_TICKS: u64 = 256;
const BUYERS_PER_TICK: usize = 10;
const MEASURED_TICKS: usize = 2560;

fn no_env(_: &str) -> Option<String> {
    None
}

/// One item per weapon and 99 materials; the kit: the first weapon, equipped, 10 of each material
/// and coins for every purchase of the run; the shop sells material_0 for 1 coin.
fn economy(weapons: &Weapons) -> EconomyData {
    let mut catalog = Catalog::for_weapons(weapons);
    catalog.items.extend(items::materials(99).items);
    let mut kit: Vec<KitItem> = catalog
        .items
        .iter()
        .filter(|item| item.kind == ItemKind::Material)
        .map(|item| KitItem {
            item: item.id.clone(),
            qty: 10,
            equip: false,
        })
        .collect();
    kit.extend(Rewards::first_weapon_of(&catalog).starter_kit.items);
    EconomyData {
        shop: Shop {
            offers: vec![Offer {
                id: "material_0".into(),
                item: "material_0".into(),
                qty: 1,
                currency: "coins".into(),
                price: 1,
            }],
        },
        rewards: Rewards {
            starter_kit: StarterKit {
                items: kit,
                currencies: vec![CurrencyAmount {
                    currency: "coins".into(),
                    amount: 1_000_000,
                }],
            },
            ..Rewards::default()
        },
        catalog,
        files: None,
    }
}

/// The server app without network or admin, 100 live matches of 10 on the arena.
fn app() -> (App, Vec<Vec<Entity>>) {
    let mut loaded = LoadedConfig::embedded(&no_env).expect("embedded defaults are valid");
    loaded.config.server.tick_rate_hz = TICK_RATE_HZ;
    loaded.config.matches.score_limit = 10_000;
    loaded.config.matches.time_limit_secs = 7200;
    loaded.config.economy.inventory_capacity = 200;
    let weapons = load_weapons(Path::new(WEAPONS_FILE)).expect("weapons");
    let plugins = ServerPlugins::new(loaded)
        .with_maps(shipped_maps().expect("shipped maps"))
        .expect("arena ships")
        .with_economy(economy(&weapons))
        .with_weapons(weapons);
    let mut app = App::new();
    app.add_plugins(plugins);
    app.finish();
    app.cleanup();
    let mut rosters = Vec::with_capacity(MATCHES);
    for index in 0..MATCHES {
        let match_id = index as u64 + 1;
        let world = app.world_mut();
        let match_entity = world.spawn_empty().id();
        let teams: [Vec<Entity>; 2] = [0u8, 1].map(|team| {
            (0..TEAM_SIZE)
                .map(|seat| {
                    let id = match_id * 100 + u64::from(team) * 10 + seat as u64;
                    world
                        .spawn((PlayerId(id), InMatch(match_entity), Team(team)))
                        .id()
                })
                .collect()
        });
        rosters.push(teams.concat());
        let mut found = Match::new(match_id, 0, "arena".into(), teams, 0);
        found.state = MatchState::Live;
        world.entity_mut(match_entity).insert(found);
        world.write_message(MatchFormed {
            match_entity,
            match_id,
            waits_ticks: Vec::new(),
            ticket_seats: Vec::new(),
            rating_span: 0,
            team_imbalance: 0.0,
        });
    }
    (app, rosters)
}

/// This tick's inputs and fire requests, as the network layer would hand them over.
fn feed(app: &mut App, rosters: &[Vec<Entity>], rng: &mut StdRng) {
    let world = app.world_mut();
    let now = world.resource::<ServerTick>().get();
    let claimed = now.saturating_sub(CLAIM_AGE_TICKS);
    let mut fires = Vec::new();
    for roster in rosters {
        for (seat, player) in roster.iter().enumerate() {
            let opponent = roster[(seat + 1 + 2 * rng.random_range(0..TEAM_SIZE)) % roster.len()];
            let (Some(eye), Some(chest), Some(opponent_id)) = (
                position_at(world, *player, claimed).map(|feet| feet + Vec3::Y * EYE_HEIGHT_M),
                position_at(world, opponent, claimed).map(|feet| feet + Vec3::Y * 1.2),
                world.get::<PlayerId>(opponent).map(|id| id.0),
            ) else {
                continue;
            };
            let aim = (chest - eye).normalize_or_zero()
                + Vec3::new(
                    rng.random_range(-0.01..0.01),
                    rng.random_range(-0.01..0.01),
                    0.0,
                );
            let (yaw, pitch) = ((-aim.x).atan2(-aim.z), aim.normalize_or_zero().y.asin());
            if let Some(mut inputs) = world.get_mut::<InputBuffer>(*player) {
                let _ = inputs.push(
                    InputFrame {
                        tick: now + 1,
                        move_x: rng.random_range(-1.0..1.0),
                        move_y: 1.0,
                        yaw,
                        pitch: 0.0,
                        buttons: 0,
                    },
                    now,
                );
            }
            if (now + seat as u64).is_multiple_of(FIRE_EVERY_TICKS) {
                fires.push(FireRequested {
                    player: *player,
                    client_tick: claimed,
                    yaw,
                    pitch,
                    weapon: 0,
                    target: Some(opponent_id),
                });
            }
        }
    }
    world.write_message_batch(fires);
    // Ten purchases a tick, round the rosters.
    let players: Vec<Entity> = rosters.iter().flatten().copied().collect();
    let buyers = (0..BUYERS_PER_TICK).map(|index| ItemRequested {
        player: players[(now as usize * BUYERS_PER_TICK + index) % players.len()],
        request: ItemRequest::Buy {
            offer: "material_0".into(),
        },
    });
    world.write_message_batch(buyers);
}

fn position_at(world: &bevy_ecs::world::World, player: Entity, tick: u64) -> Option<Vec3> {
    world.get::<PositionHistory>(player)?.at(tick)
}

fn main() {
    let (mut app, rosters) = app();
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..WARMUP_TICKS {
        feed(&mut app, &rosters, &mut rng);
        app.update();
    }
    let held = app
        .world()
        .get::<Inventory>(rosters[0][0])
        .map_or(0, Inventory::slots_used);
    assert_eq!(held, 100, "every player holds 100 items");
    let mut refusals = app
        .world()
        .resource::<Messages<ItemRefused>>()
        .get_cursor_current();
    let mut refused = 0;
    let mut verdicts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut cursor = app
        .world()
        .resource::<Messages<ShotJudged>>()
        .get_cursor_current();
    let mut nanos = Vec::with_capacity(MEASURED_TICKS);
    for _ in 0..MEASURED_TICKS {
        feed(&mut app, &rosters, &mut rng);
        let started = Instant::now();
        app.update();
        nanos.push(started.elapsed().as_nanos());
        let judged = app.world().resource::<Messages<ShotJudged>>();
        for judged in cursor.read(judged) {
            let label = match judged.verdict {
                ShotVerdict::Hit { .. } => "hit",
                ShotVerdict::Miss => "miss",
                ShotVerdict::Rejected(rejection) => rejection.as_str(),
            };
            *verdicts.entry(label).or_default() += 1;
        }
        refused += refusals
            .read(app.world().resource::<Messages<ItemRefused>>())
            .count();
    }
    assert_eq!(refused, 0, "every purchase applied");
    nanos.sort_unstable();
    let micros = |quantile: f64| nanos[(nanos.len() as f64 * quantile) as usize] as f64 / 1000.0;
    let shots: u64 = verdicts.values().sum();
    #[expect(clippy::print_stderr, reason = "the figures BENCHMARKS.md quotes")]
    {
        eprintln!(
            "{MATCHES} matches x {} players (100 items each, {BUYERS_PER_TICK} purchases/tick) at {TICK_RATE_HZ} Hz, {MEASURED_TICKS} ticks: p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs; {:.1} shots/tick; verdicts {verdicts:?}",
            2 * TEAM_SIZE,
            micros(0.50),
            micros(0.90),
            micros(0.99),
            nanos[nanos.len() - 1] as f64 / 1000.0,
            shots as f64 / MEASURED_TICKS as f64,
        );
    }
}
