//! What a bot does with its items. Honest bots (and the long-shot cheat) buy the weapon they want
//! from the shop and equip it; an item hacker fires, equips, uses and buys what it does not have.

use crate::cli::Behavior;
use arbiter_client::inventory::OwnedItems;
use arbiter_client::protocol::{ItemRequest, ServerMessage};
use arbiter_components::combat::Weapons;
use arbiter_components::inventory::{EquipSlot, InstanceId};
use arbiter_components::items::{Catalog, ItemKind};
use arbiter_components::shop::{Offer, Shop};

/// An item hacker asks for what it lacks every this many frames.
const HACK_EVERY_FRAMES: u64 = 120;

/// A bot's items and its plan for them.
#[derive(Debug, Clone)]
pub(super) struct BotItems {
    pub(super) owned: OwnedItems,
    /// The shop offer of the weapon the bot wants in its secondary slot.
    wanted: Option<Offer>,
    /// That weapon's place in the weapons table, found once: the shot names it every frame.
    wanted_weapon: Option<u8>,
    /// The wanted weapon is equipped, as of the last inventory message (asked every frame: the
    /// inventory's trees are cold memory by then).
    wanted_equipped: bool,
    /// A request is on its way: wait for its answer before asking again.
    waiting: bool,
    hacker: bool,
    /// Consumables of the catalog, and the shop's offers: what an item hacker asks for.
    consumables: Vec<String>,
    offers: Vec<Offer>,
}

impl BotItems {
    pub(super) fn new(
        behavior: Behavior,
        weapons: &Weapons,
        catalog: &Catalog,
        shop: &Shop,
    ) -> Self {
        let weapon_offers = || {
            shop.offers.iter().filter(|offer| {
                catalog
                    .item(&offer.item)
                    .is_some_and(|item| item.kind == ItemKind::Weapon)
            })
        };
        let first_weapon = weapons.weapons.first().map(|weapon| weapon.name.as_str());
        // An offer's weapon, by its place in the table (the byte a shot names).
        let weapon_of = |offer: &Offer| {
            let index = weapons
                .weapons
                .iter()
                .position(|weapon| weapon.name == offer.item)?;
            u8::try_from(index).ok()
        };
        let range_of = |offer: &&Offer| {
            weapon_of(offer)
                .and_then(|index| weapons.get(index))
                .map_or(f32::MAX, |weapon| weapon.max_range_m)
        };
        let wanted = match behavior {
            // The cheapest weapon the kit lacks.
            Behavior::Honest => weapon_offers()
                .filter(|offer| Some(offer.item.as_str()) != first_weapon)
                .min_by_key(|offer| offer.price),
            // The shortest-ranged weapon, to shoot beyond its range.
            Behavior::Longshot => {
                weapon_offers().min_by(|left, right| range_of(left).total_cmp(&range_of(right)))
            }
            // The longest-ranged weapon the kit lacks, never bought: fired at whoever is in reach.
            Behavior::Itemhack => weapon_offers()
                .filter(|offer| Some(offer.item.as_str()) != first_weapon)
                .max_by(|left, right| range_of(left).total_cmp(&range_of(right))),
            _ => None,
        };
        Self {
            owned: OwnedItems::default(),
            wanted_weapon: wanted.and_then(weapon_of),
            wanted: wanted.cloned(),
            wanted_equipped: false,
            waiting: false,
            hacker: behavior == Behavior::Itemhack,
            consumables: catalog
                .items
                .iter()
                .filter(|item| item.kind == ItemKind::Consumable)
                .map(|item| item.id.clone())
                .collect(),
            offers: shop.offers.clone(),
        }
    }

    /// Folds a server message in; returns the reason if it refused a request.
    pub(super) fn observe(&mut self, message: &ServerMessage) -> Option<String> {
        if self.owned.observe(message) {
            self.waiting = false;
            self.wanted_equipped = self
                .wanted
                .as_ref()
                .is_some_and(|wanted| self.owned.has_equipped(&wanted.item));
        }
        match message {
            ServerMessage::ItemRefused(refusal) => {
                self.waiting = false;
                Some(refusal.reason.as_str().to_owned())
            }
            _ => None,
        }
    }

    /// The place in the weapons table of the weapon the bot fires: the one it wanted once
    /// equipped (an item hacker's at once); none: the kit's.
    pub(super) fn firing(&self) -> Option<u8> {
        self.wanted_weapon
            .filter(|_| self.hacker || self.wanted_equipped)
    }

    /// The requests to send this frame; an item hacker forges them in matches, slowly enough to
    /// fire forged shots too before it is kicked.
    pub(super) fn requests(&mut self, frame: u64, me: u64, in_match: bool) -> Vec<ItemRequest> {
        if !self.owned.known {
            return Vec::new();
        }
        if self.hacker {
            return if in_match && frame.is_multiple_of(HACK_EVERY_FRAMES) {
                self.hacks(me)
            } else {
                Vec::new()
            };
        }
        let Some(wanted) = &self.wanted else {
            return Vec::new();
        };
        if self.waiting || self.wanted_equipped {
            return Vec::new();
        }
        let request = match self.owned.instance_of(&wanted.item) {
            Some(instance) => ItemRequest::Equip {
                slot: EquipSlot::Secondary,
                item: wanted.item.clone(),
                instance: Some(instance),
            },
            None if self.owned.balance(&wanted.currency) >= wanted.price => ItemRequest::Buy {
                offer: wanted.id.clone(),
            },
            None => return Vec::new(),
        };
        self.waiting = true;
        vec![request]
    }

    /// An item hacker's requests: equip a forged instance of the weapon it wants, use a consumable
    /// it lacks, buy an offer it cannot pay for.
    fn hacks(&self, me: u64) -> Vec<ItemRequest> {
        let equip = self.wanted.as_ref().map(|offer| ItemRequest::Equip {
            slot: EquipSlot::Primary,
            item: offer.item.clone(),
            instance: Some(InstanceId {
                origin: me,
                serial: u64::MAX,
            }),
        });
        let use_lacking = self
            .consumables
            .iter()
            .find(|item| self.owned.count(item) == 0)
            .map(|item| ItemRequest::UseItem { item: item.clone() });
        let buy_unpaid = self
            .offers
            .iter()
            .find(|offer| offer.price > self.owned.balance(&offer.currency))
            .map(|offer| ItemRequest::Buy {
                offer: offer.id.clone(),
            });
        [equip, use_lacking, buy_unpaid]
            .into_iter()
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::economy::EconomyData;
    use crate::weapons::{WEAPONS_FILE, load_weapons};
    use arbiter_client::protocol::InventoryView;
    use arbiter_components::inventory::Loadout;
    use std::path::Path;

    #[test]
    fn an_item_hacker_fires_the_weapon_it_wants_at_once_and_an_honest_bot_the_kits_until_it_equips_its_own()
     {
        let weapons = load_weapons(Path::new(WEAPONS_FILE)).expect("the shipped weapons");
        let economy = EconomyData::load(&weapons).expect("the shipped catalog and shop");
        let items = |behavior| BotItems::new(behavior, &weapons, &economy.catalog, &economy.shop);

        let hacker = items(Behavior::Itemhack);
        let wanted = hacker.wanted.as_ref().expect("a weapon to forge");
        let fired = hacker.firing().expect("fired before it owns it");
        assert_eq!(
            weapons.get(fired).map(|weapon| &weapon.name),
            Some(&wanted.item)
        );
        assert_ne!(fired, 0, "not the kit's weapon");

        let mut honest = items(Behavior::Honest);
        let bought = honest.wanted.clone().expect("a weapon to buy").item;
        assert_eq!(honest.firing(), None, "the kit's until equipped");
        let instance = InstanceId {
            origin: 7,
            serial: 1,
        };
        honest.observe(&ServerMessage::Inventory(Box::new(InventoryView {
            capacity: 10,
            stacks: vec![],
            instances: vec![(instance, bought.clone().into())],
            loadout: Loadout {
                primary: None,
                secondary: Some(instance),
                consumable: None,
            },
            wallet: vec![],
        })));
        let fired = honest.firing().expect("its own once equipped");
        assert_eq!(weapons.get(fired).map(|weapon| &weapon.name), Some(&bought));
    }
}
