use super::*;
use crate::items::ItemSpec;
use proptest::prelude::*;

const OWNER: u64 = 77;
const CAPACITY: u32 = 4;

fn spec(id: &str, kind: ItemKind, max_stack: u32) -> ItemSpec {
    ItemSpec::new(id, kind, max_stack)
}

fn catalog() -> Catalog {
    Catalog::with_coins(vec![
        spec("rifle", ItemKind::Weapon, 1),
        spec("pistol", ItemKind::Weapon, 1),
        spec("medkit", ItemKind::Consumable, 5),
        spec("wood", ItemKind::Material, 100),
    ])
}

/// Makes the event with `make` and folds it in, as a rule does.
fn apply(
    inventory: &mut Inventory,
    make: impl FnOnce(&Inventory) -> Result<InventoryEvent, InventoryError>,
) -> Result<InventoryEvent, InventoryError> {
    let event = make(inventory)?;
    inventory.apply(&event);
    Ok(event)
}

#[test]
fn stackables_share_one_slot_up_to_their_max_stack() {
    let mut inventory = Inventory::default();
    let grant = |qty| {
        move |held: &Inventory| held.grant(&catalog(), "medkit", qty, CAPACITY, OWNER, "test")
    };
    let catalog = catalog();
    apply(&mut inventory, grant(3)).expect("fits");
    apply(&mut inventory, grant(2)).expect("fits exactly");
    assert_eq!((inventory.count("medkit"), inventory.slots_used()), (5, 1));
    assert_eq!(
        apply(&mut inventory, grant(1)),
        Err(InventoryError::StackFull)
    );
    assert_eq!(
        inventory.grant(&catalog, "medkit", 6, CAPACITY, OWNER, "test"),
        Err(InventoryError::InvalidQuantity),
        "more than a stack at once"
    );
    assert_eq!(
        inventory.grant(&catalog, "medkit", 0, CAPACITY, OWNER, "test"),
        Err(InventoryError::InvalidQuantity)
    );
    assert_eq!(
        inventory.grant(&catalog, "gold_bar", 1, CAPACITY, OWNER, "test"),
        Err(InventoryError::UnknownItem)
    );
}

#[test]
fn instances_get_ids_unique_to_their_owner_and_fill_slots() {
    let catalog = catalog();
    let mut inventory = Inventory::default();
    let granted = apply(&mut inventory, |held| {
        held.grant(&catalog, "rifle", 2, CAPACITY, OWNER, "test")
    })
    .expect("fits");
    let InventoryEvent::ItemGranted { instances, .. } = granted else {
        panic!("a grant");
    };
    assert_eq!(
        instances,
        [0, 1].map(|serial| InstanceId {
            origin: OWNER,
            serial
        })
    );
    apply(&mut inventory, |held| {
        held.grant(&catalog, "wood", 10, CAPACITY, OWNER, "test")
    })
    .expect("a third slot");
    assert_eq!(
        inventory.grant(&catalog, "pistol", 2, CAPACITY, OWNER, "test"),
        Err(InventoryError::InventoryFull),
        "two instances need two slots, one is free"
    );
    apply(&mut inventory, |held| {
        held.grant(&catalog, "pistol", 1, CAPACITY, OWNER, "test")
    })
    .expect("the last slot");
    assert_eq!(inventory.next_serial(), 3);
    assert_eq!(
        inventory.grant(&catalog, "medkit", 1, CAPACITY, OWNER, "test"),
        Err(InventoryError::InventoryFull),
        "a new stack needs a slot"
    );
    assert_eq!(
        inventory
            .grant(&catalog, "wood", 5, CAPACITY, OWNER, "test")
            .map(|_| ()),
        Ok(()),
        "an existing stack does not"
    );
}

#[test]
fn only_owned_items_are_equipped_used_or_discarded() {
    let catalog = catalog();
    let mut inventory = Inventory::default();
    let rifle = InstanceId {
        origin: OWNER,
        serial: 0,
    };
    let stranger = InstanceId {
        origin: 5,
        serial: 0,
    };
    assert_eq!(
        inventory.equip(&catalog, EquipSlot::Primary, "rifle", Some(rifle)),
        Err(InventoryError::NotOwned)
    );
    apply(&mut inventory, |held| {
        held.grant(&catalog, "rifle", 1, CAPACITY, OWNER, "test")
    })
    .expect("granted");
    assert!(
        !inventory.has_equipped_weapon("rifle"),
        "owned is not equipped"
    );
    assert_eq!(
        inventory.equip(&catalog, EquipSlot::Primary, "rifle", Some(stranger)),
        Err(InventoryError::NotOwned)
    );
    assert_eq!(
        inventory.equip(&catalog, EquipSlot::Consumable, "rifle", None),
        Err(InventoryError::WrongSlot)
    );
    apply(&mut inventory, |held| {
        held.equip(&catalog, EquipSlot::Primary, "rifle", Some(rifle))
    })
    .expect("equipped");
    assert!(inventory.has_equipped_weapon("rifle"));
    assert!(!inventory.has_equipped_weapon("pistol"));

    assert_eq!(
        inventory.use_one(&catalog, "medkit"),
        Err(InventoryError::NotOwned)
    );
    assert_eq!(
        inventory.use_one(&catalog, "rifle"),
        Err(InventoryError::WrongSlot)
    );
    assert_eq!(
        inventory.discard("rifle", 1, Some(stranger)),
        Err(InventoryError::NotOwned)
    );
    apply(&mut inventory, |held| held.discard("rifle", 1, Some(rifle))).expect("discarded");
    assert!(
        !inventory.has_equipped_weapon("rifle"),
        "a discarded weapon leaves its slot"
    );
    assert_eq!(inventory.slots_used(), 0);
}

#[test]
fn a_wallet_never_goes_negative_or_overflows() {
    let catalog = catalog();
    let mut wallet = Wallet::default();
    let event = wallet
        .change(&catalog, "coins", 100, "match_win")
        .expect("credit");
    wallet.apply(&event);
    assert_eq!(
        wallet.change(&catalog, "coins", -101, "purchase"),
        Err(InventoryError::InsufficientFunds)
    );
    assert_eq!(
        wallet.change(&catalog, "coins", i64::MAX, "grant"),
        Err(InventoryError::Overflow)
    );
    assert_eq!(
        wallet.change(&catalog, "gems", 1, "grant"),
        Err(InventoryError::UnknownCurrency)
    );
    let event = wallet
        .change(&catalog, "coins", -100, "purchase")
        .expect("debit");
    wallet.apply(&event);
    assert_eq!(wallet.balance("coins"), 0);
    assert_eq!(wallet, Wallet::default(), "an empty balance is no balance");
}

#[derive(Debug, Clone)]
enum Request {
    Grant(usize, u32),
    Use(usize),
    Discard(usize, u32),
    DiscardInstance(usize),
    Equip(usize),
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (0..4usize, 0..8u32).prop_map(|(item, qty)| Request::Grant(item, qty)),
        (0..4usize).prop_map(Request::Use),
        (0..4usize, 0..8u32).prop_map(|(item, qty)| Request::Discard(item, qty)),
        (0..8usize).prop_map(Request::DiscardInstance),
        (0..8usize).prop_map(Request::Equip),
    ]
}

proptest! {
    /// Whatever is asked, in whatever order: what is held is what was granted less what was used
    /// and discarded, per item; capacity and stacks hold; and folding the recorded events from
    /// nothing gives the same inventory.
    #[test]
    fn held_is_granted_less_consumed_and_the_log_replays_to_the_state(
        requests in proptest::collection::vec(request(), 1..60)
    ) {
        let catalog = catalog();
        let ids = ["rifle", "pistol", "medkit", "wood"];
        let mut inventory = Inventory::default();
        let mut log = Vec::new();
        let mut balance: BTreeMap<&str, i64> = BTreeMap::new();
        for request in requests {
            let instances: Vec<(InstanceId, SmolStr)> = inventory
                .instances()
                .iter()
                .map(|(id, item)| (*id, item.clone()))
                .collect();
            let made = match request {
                Request::Grant(item, qty) => inventory.grant(&catalog, ids[item], qty, CAPACITY, OWNER, "p"),
                Request::Use(item) => inventory.use_one(&catalog, ids[item]),
                Request::Discard(item, qty) => inventory.discard(ids[item], qty, None),
                Request::DiscardInstance(index) => match instances.get(index) {
                    Some((id, item)) => inventory.discard(item, 1, Some(*id)),
                    None => Err(InventoryError::NotOwned),
                },
                Request::Equip(index) => match instances.get(index) {
                    Some((id, item)) => inventory.equip(&catalog, EquipSlot::Primary, item, Some(*id)),
                    None => inventory.equip(&catalog, EquipSlot::Consumable, "medkit", None),
                },
            };
            let Ok(event) = made else { continue };
            match &event {
                InventoryEvent::ItemGranted { item, qty, .. } => {
                    *balance.entry(ids.iter().find(|id| *id == item).expect("known")).or_default() += i64::from(*qty);
                }
                InventoryEvent::ItemUsed { item } => {
                    *balance.entry(ids.iter().find(|id| *id == item).expect("known")).or_default() -= 1;
                }
                InventoryEvent::ItemDiscarded { item, qty, .. } => {
                    *balance.entry(ids.iter().find(|id| *id == item).expect("known")).or_default() -= i64::from(*qty);
                }
                _ => {}
            }
            inventory.apply(&event);
            log.push(event);
            prop_assert!(inventory.slots_used() <= CAPACITY);
            for (item, held) in inventory.stacks() {
                let max = catalog.item(item).expect("known").max_stack;
                prop_assert!(*held >= 1 && *held <= max, "{item}: {held}");
            }
        }
        for id in ids {
            prop_assert_eq!(inventory.count(id) as i64, balance.get(id).copied().unwrap_or(0), "{}", id);
        }
        let mut replayed = Inventory::default();
        for event in &log {
            replayed.apply(event);
        }
        prop_assert_eq!(replayed, inventory);
    }
}

#[test]
fn equipping_an_equipped_instance_in_the_other_slot_moves_it() {
    let catalog = catalog();
    let mut inventory = Inventory::default();
    apply(&mut inventory, |held| {
        held.grant(&catalog, "rifle", 1, CAPACITY, OWNER, "test")
    })
    .expect("granted");
    let rifle = InstanceId {
        origin: OWNER,
        serial: 0,
    };
    for slot in [EquipSlot::Primary, EquipSlot::Secondary] {
        apply(&mut inventory, |held| {
            held.equip(&catalog, slot, "rifle", Some(rifle))
        })
        .expect("equipped");
    }
    assert_eq!(
        inventory.loadout(),
        &Loadout {
            primary: None,
            secondary: Some(rifle),
            consumable: None,
        },
        "one instance, one slot"
    );
}
