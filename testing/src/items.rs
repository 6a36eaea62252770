//! Big inventories for benches and tests: a catalog of stackable materials and a stored player
//! holding some of each.

use arbiter::components::inventory::{Inventory, Wallet};
use arbiter::components::items::{Catalog, ItemKind, ItemSpec};
use arbiter::economy::EconomyData;

/// A catalog of `count` materials (`material_0`, …, stacks of up to 1,000) and `coins`.
pub fn materials(count: u32) -> Catalog {
    Catalog::with_coins(
        (0..count)
            .map(|index| ItemSpec::new(&format!("material_{index}"), ItemKind::Material, 1000))
            .collect(),
    )
}

/// `owner`'s inventory holding 10 of every item of `catalog`.
pub fn holding_all(catalog: &Catalog, owner: u64) -> Inventory {
    let mut inventory = Inventory::default();
    let capacity = u32::try_from(catalog.items.len()).unwrap_or(u32::MAX);
    for item in &catalog.items {
        let event = inventory
            .grant(catalog, &item.id, 10, capacity, owner, "bench")
            .expect("every item fits");
        inventory.apply(&event);
    }
    inventory
}

/// The economy that ships in `assets/config` (catalog, shop, rewards), checked against the shipped
/// weapons.
pub fn shipped_economy() -> EconomyData {
    let weapons =
        arbiter::weapons::load_weapons(std::path::Path::new(arbiter::weapons::WEAPONS_FILE))
            .expect("the shipped weapons");
    EconomyData::load(&weapons).expect("the shipped economy")
}

/// A wallet holding `amount` of `currency`.
pub fn wallet_with(catalog: &Catalog, currency: &str, amount: i64) -> Wallet {
    let mut wallet = Wallet::default();
    let event = wallet
        .change(catalog, currency, amount, "bench")
        .expect("a credit of a known currency");
    wallet.apply(&event);
    wallet
}

/// Asserts that `ids`' stored state replays from their logs, that the economy audit finds nothing
/// (conservation, capacity, unique instances), and that no transfer is half-written.
pub async fn assert_store_clean(store: &arbiter::persistence::Store, ids: &[u64]) {
    let mismatches = arbiter::persistence::verify_players(store, ids)
        .await
        .expect("verify runs");
    assert_eq!(mismatches, vec![]);
    let violations = arbiter::guild::audit_players_and_banks(store, ids, 40)
        .await
        .expect("the audit runs")
        .violations;
    assert_eq!(violations, vec![]);
    let half_written = store.half_written_transfers().await.expect("checked");
    assert_eq!(half_written, vec![]);
}
