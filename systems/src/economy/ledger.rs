//! The one way the rules change what a player owns: fold a checked event into the component and
//! announce it: persistence records it, the client is told (`InventoryChanged`). Refusals too.

use arbiter_components::inventory::{
    Inventory, InventoryError, InventoryEvent, Wallet, WalletEvent,
};
use arbiter_components::messages::Outbound;
use arbiter_components::protocol::{InventoryDelta, ItemRefusal, ItemRequest, ServerMessage};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{Message, MessageWriter};
use bevy_ecs::system::SystemParam;

/// An inventory event the rules applied to `player`'s inventory.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct InventoryApplied {
    pub player: Entity,
    pub event: InventoryEvent,
}

/// A wallet event the rules applied to `player`'s wallet.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct WalletApplied {
    pub player: Entity,
    pub event: WalletEvent,
}

/// A refused item request; nothing changed.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ItemRefused {
    pub player: Entity,
    pub request: ItemRequest,
    pub reason: InventoryError,
}

/// Applies checked events and announces them; an embedder's own source of items uses it too.
#[derive(SystemParam)]
pub struct Ledger<'w> {
    inventory: MessageWriter<'w, InventoryApplied>,
    wallet: MessageWriter<'w, WalletApplied>,
    refused: MessageWriter<'w, ItemRefused>,
    outbound: MessageWriter<'w, Outbound>,
}

impl Ledger<'_> {
    pub fn inventory(&mut self, player: Entity, inventory: &mut Inventory, event: InventoryEvent) {
        self.fold_item(player, inventory, &event);
        self.inventory.write(InventoryApplied { player, event });
    }

    pub fn wallet(&mut self, player: Entity, wallet: &mut Wallet, event: WalletEvent) {
        self.fold_currency(player, wallet, &event);
        self.wallet.write(WalletApplied { player, event });
    }

    /// Applies one side's share of a transfer (a settled trade, a guild's price) and tells its
    /// client. It is not announced as
    /// [`InventoryApplied`] / [`WalletApplied`]: the settlement records the whole transfer as one
    /// event of every side.
    pub fn transfer_share(
        &mut self,
        player: Entity,
        (inventory, wallet): (&mut Inventory, &mut Wallet),
        items: Option<&InventoryEvent>,
        currencies: &[WalletEvent],
    ) {
        if let Some(event) = items {
            self.fold_item(player, inventory, event);
        }
        for event in currencies {
            self.fold_currency(player, wallet, event);
        }
    }

    fn fold_item(&mut self, player: Entity, inventory: &mut Inventory, event: &InventoryEvent) {
        inventory.apply(event);
        InventoryDelta::of_item(event, |delta| self.tell(player, delta));
    }

    fn fold_currency(&mut self, player: Entity, wallet: &mut Wallet, event: &WalletEvent) {
        let balance = wallet.apply(event);
        self.tell(player, InventoryDelta::of_currency(event, balance));
    }

    /// Announces a refused request (the client gets its typed reason); nothing changed.
    pub fn refuse(&mut self, player: Entity, request: &ItemRequest, reason: InventoryError) {
        self.outbound.write(Outbound {
            player,
            message: ServerMessage::ItemRefused(ItemRefusal {
                request: request.clone(),
                reason: reason.clone(),
            }),
        });
        self.refused.write(ItemRefused {
            player,
            request: request.clone(),
            reason,
        });
    }

    fn tell(&mut self, player: Entity, delta: InventoryDelta) {
        self.outbound.write(Outbound {
            player,
            message: ServerMessage::InventoryChanged(delta),
        });
    }
}

impl std::fmt::Debug for Ledger<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Ledger").finish_non_exhaustive()
    }
}
