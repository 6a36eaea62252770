//! The starter kit, once per stored player: a player that loads without the kit's claim (a new one,
//! or one stored before the kit existed) is due it, and the claim is written with the kit.

use super::grant_claims::{GrantClaims, RESERVED_CLAIM_PREFIX};
use crate::persistence::Progress;
use arbiter_components::messages::StarterKitDue;
use arbiter_components::rewards::Rewards;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::MessageWriter;
use bevy_ecs::query::Added;
use bevy_ecs::system::{Query, Res};

/// The claim of the starter kit.
fn starter_kit_claim() -> String {
    format!("{RESERVED_CLAIM_PREFIX}starter_kit")
}

/// Makes every player that has just loaded without the kit's claim due the kit (while there is a
/// kit to give).
pub(super) fn starter_kits_due_at_login(
    rewards: Res<Rewards>,
    mut loaded: Query<(Entity, &mut GrantClaims, &mut Progress), Added<Progress>>,
    mut due: MessageWriter<StarterKitDue>,
) {
    if rewards.starter_kit.is_empty() {
        return;
    }
    let key = starter_kit_claim();
    for (player, mut claims, mut progress) in &mut loaded {
        if claims.contains(&key) {
            continue;
        }
        claims.claim(&key, &mut progress);
        due.write(StarterKitDue { player });
    }
}
