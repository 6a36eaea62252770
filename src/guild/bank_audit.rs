//! The guild banks in the economy's audit: what they hold counts in the totals, and an item
//! instance is held by exactly one owner, player or bank. `arbiter verify` runs the whole audit.

use crate::economy::{EconomyAudit, EconomyViolation, audit_economy};
use crate::guild::GUILD_KIND;
use crate::persistence::part::PartState;
use crate::persistence::{ObjectKey, Store, StoreError};
use arbiter_components::guild::Guild;

/// The economy's audit of players `ids` (an inventory of `capacity` slots) and of every guild's
/// bank.
pub async fn audit_players_and_banks(
    store: &Store,
    ids: &[u64],
    capacity: u32,
) -> Result<EconomyAudit, StoreError> {
    let mut audit = audit_economy(store, ids, capacity).await?;
    audit_guild_banks(store, &mut audit).await?;
    Ok(audit)
}

/// Adds what the guilds' banks hold to the audit's totals, and refuses an instance a bank holds
/// that a player (or another bank) holds too. A guild's violation names it by the player id 0 and
/// its own id in the text.
pub async fn audit_guild_banks(store: &Store, audit: &mut EconomyAudit) -> Result<(), StoreError> {
    let EconomyAudit {
        violations,
        held,
        holders,
    } = audit;
    if store.objects().get(GUILD_KIND).is_none() {
        return Ok(());
    }
    let keys: Vec<ObjectKey> = store
        .object_keys()
        .await?
        .into_iter()
        .filter(|key| key.kind == GUILD_KIND)
        .collect();
    let (guilds, mut failed) = store.load_objects(&keys).await;
    if let Some(failure) = failed.pop() {
        return Err(failure.error);
    }
    for record in guilds {
        let guild: Guild = match record.state.map(PartState::into_part).transpose() {
            Ok(guild) => guild.unwrap_or_default(),
            Err(problem) => {
                violations.push(EconomyViolation {
                    player_id: 0,
                    problem: format!("guild {} does not decode: {problem}", record.key.id),
                });
                continue;
            }
        };
        let bank = guild.bank();
        let units = bank
            .stacks
            .iter()
            .map(|(item, qty)| (item, u64::from(*qty)));
        let instances = bank.instances.values().map(|item| (item, 1));
        for (id, amount) in units.chain(instances).chain(
            bank.currencies
                .iter()
                .map(|(currency, amount)| (currency, *amount)),
        ) {
            *held.entry(id.clone()).or_default() += u128::from(amount);
        }
        for instance in bank.instances.keys() {
            if let Some(other) = holders.insert(*instance, 0) {
                violations.push(EconomyViolation {
                    player_id: 0,
                    problem: format!(
                        "guild {} holds instance {}:{} also held by {}",
                        record.key.id,
                        instance.origin,
                        instance.serial,
                        match other {
                            0 => "another guild".to_owned(),
                            player => format!("player {player}"),
                        }
                    ),
                });
            }
        }
    }
    Ok(())
}
