use super::*;
use crate::inventory::EquipSlot;
use crate::items::{ItemKind, ItemSpec};

const CAPACITY: u32 = 3;

fn catalog() -> Catalog {
    let tradable = |id: &str, kind, max_stack| ItemSpec {
        tradable: true,
        ..ItemSpec::new(id, kind, max_stack)
    };
    Catalog::with_coins(vec![
        tradable("rifle", ItemKind::Weapon, 1),
        tradable("wood", ItemKind::Material, 100),
        tradable("stone", ItemKind::Material, 100),
        ItemSpec::new("badge", ItemKind::Cosmetic, 1),
    ])
}

/// An inventory of player `owner` holding `wood` units of wood, a rifle (equipped) and a badge.
fn holding(owner: u64, wood: u32) -> (Inventory, InstanceId) {
    let catalog = catalog();
    let mut inventory = Inventory::default();
    for (item, qty) in [("wood", wood), ("rifle", 1), ("badge", 1)] {
        let event = inventory
            .grant(&catalog, item, qty, CAPACITY, owner, "test")
            .expect("fits");
        inventory.apply(&event);
    }
    let rifle = *inventory.instances().keys().next().expect("a rifle");
    let equip = inventory
        .equip(&catalog, EquipSlot::Primary, "rifle", Some(rifle))
        .expect("equips");
    inventory.apply(&equip);
    (inventory, rifle)
}

#[test]
fn an_offer_holds_only_what_is_held_and_tradable() {
    let catalog = catalog();
    let (inventory, rifle) = holding(1, 10);
    let badge = *inventory.instances().keys().nth(1).expect("a badge");
    let offer = inventory
        .offer(
            &catalog,
            &[("wood".into(), 4), ("wood".into(), 6)],
            &[rifle],
        )
        .expect("held and tradable");
    assert_eq!(offer.stacks, BTreeMap::from([("wood".into(), 10)]));
    assert_eq!(offer.instances, BTreeMap::from([(rifle, "rifle".into())]));
    let refused = |stacks: &[(String, u32)], instances: &[InstanceId]| {
        inventory
            .offer(&catalog, stacks, instances)
            .expect_err("refused")
    };
    assert_eq!(
        refused(&[("wood".into(), 11)], &[]),
        InventoryError::NotOwned
    );
    assert_eq!(
        refused(&[("stone".into(), 1)], &[]),
        InventoryError::NotOwned
    );
    assert_eq!(
        refused(&[("wood".into(), 0)], &[]),
        InventoryError::InvalidQuantity
    );
    assert_eq!(
        refused(&[("gold".into(), 1)], &[]),
        InventoryError::UnknownItem
    );
    assert_eq!(
        refused(&[("rifle".into(), 1)], &[]),
        InventoryError::InvalidQuantity
    );
    assert_eq!(refused(&[], &[badge]), InventoryError::NotTradable);
    let stranger = InstanceId {
        origin: 2,
        serial: 0,
    };
    assert_eq!(refused(&[], &[stranger]), InventoryError::NotOwned);
}

#[test]
fn a_trade_moves_items_both_ways_and_keeps_instance_ids_and_serials() {
    let catalog = catalog();
    let (mut seller, rifle) = holding(1, 10);
    let (mut buyer, _) = holding(2, 50);
    let rifle_and_wood = seller
        .offer(&catalog, &[("wood".into(), 10)], &[rifle])
        .map(Arc::new)
        .expect("offered");
    let wood = buyer
        .offer(&catalog, &[("wood".into(), 20)], &[])
        .map(Arc::new)
        .expect("offered");
    let serials = (seller.next_serial(), buyer.next_serial());

    let sold = seller
        .trade(&catalog, "1:9", &rifle_and_wood, &wood, CAPACITY)
        .expect("fits: the rifle's slot is freed");
    assert_eq!(
        buyer.trade(&catalog, "1:9", &wood, &rifle_and_wood, CAPACITY),
        Err(InventoryError::InventoryFull),
        "the buyer's three slots are used, and the rifle needs one"
    );
    let bought = buyer
        .trade(&catalog, "1:9", &wood, &rifle_and_wood, CAPACITY + 1)
        .expect("fits in a bigger inventory");
    seller.apply(&sold);
    buyer.apply(&bought);

    assert_eq!((seller.count("wood"), seller.count("rifle")), (20, 0));
    assert_eq!(
        seller.loadout().primary,
        None,
        "the traded rifle is unequipped"
    );
    assert_eq!((buyer.count("wood"), buyer.count("rifle")), (40, 2));
    assert_eq!(
        buyer.instances().get(&rifle).map(SmolStr::as_str),
        Some("rifle")
    );
    assert_eq!((seller.next_serial(), buyer.next_serial()), serials);
}

#[test]
fn a_trade_that_does_not_fit_or_gives_what_is_gone_is_refused() {
    let catalog = catalog();
    let (full, rifle) = holding(1, 95);
    let (other, other_rifle) = holding(2, 10);
    let wood = |qty| {
        other
            .offer(&catalog, &[("wood".into(), qty)], &[])
            .map(Arc::new)
            .expect("offered")
    };
    let nothing = Arc::default();
    assert_eq!(
        full.trade(&catalog, "t", &nothing, &wood(6), CAPACITY),
        Err(InventoryError::StackFull)
    );
    assert!(
        full.trade(&catalog, "t", &nothing, &wood(5), CAPACITY)
            .is_ok()
    );
    let stone = Arc::new(TradedItems {
        stacks: BTreeMap::from([("stone".into(), 1)]),
        ..TradedItems::default()
    });
    assert_eq!(
        full.trade(&catalog, "t", &nothing, &stone, CAPACITY),
        Err(InventoryError::InventoryFull),
        "three slots are used"
    );
    let their_rifle = other
        .offer(&catalog, &[], &[other_rifle])
        .map(Arc::new)
        .expect("offered");
    let my_rifle = full
        .offer(&catalog, &[], &[rifle])
        .map(Arc::new)
        .expect("offered");
    assert!(
        full.trade(&catalog, "t", &my_rifle, &their_rifle, CAPACITY)
            .is_ok(),
        "a slot given frees a slot for what comes"
    );
    assert_eq!(
        full.trade(&catalog, "t", &their_rifle, &nothing, CAPACITY),
        Err(InventoryError::NotOwned),
        "what it gives must be held at settlement"
    );
}
