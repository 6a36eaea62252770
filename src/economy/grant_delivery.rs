//! Operator grants applied in the tick: each to its player once it has loaded, at most once per
//! key (its claim is recorded with the item's event, in the same flush). A grant that does not fit
//! stays unclaimed and is tried again at the player's next login.

use super::grant_claims::GrantClaims;
use super::grant_mailbox::GrantMailbox;
use crate::persistence::{Progress, QueuedGrant};
use crate::telemetry::metrics::ECONOMY_GRANTS_TOTAL;
use arbiter_components::config::EconomySettings;
use arbiter_components::inventory::{Inventory, InventoryError, Wallet};
use arbiter_components::items::Catalog;
use arbiter_components::player::{Loading, PlayerId};
use arbiter_systems::economy::Ledger;
use bevy_ecs::change_detection::Mut;
use bevy_ecs::entity::Entity;
use bevy_ecs::query::{Added, Has};
use bevy_ecs::system::{Query, Res, ResMut};
use std::collections::HashMap;

type Receiver<'a> = (
    &'a PlayerId,
    &'a mut Inventory,
    &'a mut Wallet,
    &'a mut GrantClaims,
    &'a mut Progress,
);

/// One player of [`Receiver`], fetched.
type ReceiverItem<'w> = (
    &'w PlayerId,
    Mut<'w, Inventory>,
    Mut<'w, Wallet>,
    Mut<'w, GrantClaims>,
    Mut<'w, Progress>,
);

/// Asks the mailbox for the grants of every player that has just loaded.
pub(super) fn look_up_grants(
    mailbox: Res<GrantMailbox>,
    loaded: Query<&PlayerId, Added<Progress>>,
) {
    for player in &loaded {
        mailbox.look_up(player.0);
    }
}

/// Applies the grants that have arrived to their loaded players; keeps those of players still
/// loading, drops those of players not here (their login will look them up).
pub(super) fn apply_grants(
    mut mailbox: ResMut<GrantMailbox>,
    catalog: Res<Catalog>,
    settings: Res<EconomySettings>,
    present: Query<(Entity, &PlayerId, Has<Loading>)>,
    mut players: Query<Receiver>,
    mut ledger: Ledger,
) {
    mailbox.collect();
    if mailbox.waiting.is_empty() {
        return;
    }
    let here: HashMap<u64, (Entity, bool)> = present
        .iter()
        .map(|(entity, id, loading)| (id.0, (entity, loading)))
        .collect();
    let waiting = std::mem::take(&mut mailbox.waiting);
    for (player_id, grants) in waiting {
        let Some(&(entity, loading)) = here.get(&player_id) else {
            continue;
        };
        let Ok(mut player) = players.get_mut(entity) else {
            if loading {
                mailbox.waiting.insert(player_id, grants);
            }
            continue;
        };
        for grant in grants {
            let result = apply(
                &catalog,
                settings.inventory_capacity,
                entity,
                &mut player,
                &grant,
                &mut ledger,
            );
            let outcome = match &result {
                Ok(true) => "applied",
                Ok(false) => "duplicate",
                Err(_) => "refused",
            };
            metrics::counter!(ECONOMY_GRANTS_TOTAL, "result" => outcome).increment(1);
            match result {
                Ok(applied) => {
                    tracing::info!(player_id, key = %grant.key, item = %grant.item, qty = grant.qty, applied, "operator grant")
                }
                Err(reason) => {
                    tracing::warn!(player_id, key = %grant.key, item = %grant.item, qty = grant.qty, %reason, "operator grant does not fit; tried again at the next login")
                }
            }
        }
    }
}

/// Applies one grant unless already claimed; returns whether it applied.
fn apply(
    catalog: &Catalog,
    capacity: u32,
    entity: Entity,
    (id, inventory, wallet, claims, progress): &mut ReceiverItem<'_>,
    grant: &QueuedGrant,
    ledger: &mut Ledger,
) -> Result<bool, InventoryError> {
    if claims.contains(&grant.key) {
        return Ok(false);
    }
    let reason = format!("grant:{}:{}", grant.key, grant.reason);
    if catalog.currency(&grant.item).is_some() {
        let event = wallet.change(catalog, &grant.item, i64::from(grant.qty), &reason)?;
        ledger.wallet(entity, wallet, event);
    } else {
        let event = inventory.grant(catalog, &grant.item, grant.qty, capacity, id.0, &reason)?;
        ledger.inventory(entity, inventory, event);
    }
    claims.claim(&grant.key, progress);
    Ok(true)
}
