//! What players own, in the server: the economy's data files and plugin, and, stored, the inventory and the wallet are player parts (see
//! [`crate::persistence::part`]) with tables of their own on the player's shard, their events in the
//! player's log — the audit log of every item and currency change.

mod audit;
mod data;
mod grant_claims;
mod grant_delivery;
mod grant_mailbox;
mod in_doubt;
mod inventory_part;
mod plugin;
mod reload;
mod settlement;
mod starter_kit;
mod wallet_part;

pub use audit::{EconomyAudit, EconomyViolation, audit_economy};
pub use data::{EconomyData, EconomyFiles};
pub use grant_claims::{GrantClaims, RESERVED_CLAIM_PREFIX};
pub use in_doubt::{TradesInDoubt, count_trades_in_doubt};
pub use plugin::EconomyDataPlugin;
pub use settlement::{FenceClock, FencedTrades, settle_trades};

use crate::persistence::StoredParts;

/// The economy's parts, to open a store with: `Store::with_parts(economy_parts())`.
pub fn economy_parts() -> StoredParts {
    StoredParts::default()
        .with::<arbiter_components::inventory::Inventory>()
        .with::<arbiter_components::inventory::Wallet>()
        .with::<GrantClaims>()
}
