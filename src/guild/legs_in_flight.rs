//! A guild's transfers follow each other without waiting for the commit of the one before: a bank
//! that five members use would otherwise hold each move until the previous one is stored.
//!
//! What makes that safe is what completing transfers after a crash relies on (see
//! `persistence::store::transfers`): a leg missing on the guild's shard is written on top of what
//! that shard holds, and the guild's legs still in flight may be missing from it in any
//! combination and be rolled forward in any order. So a guild's leg is recorded over legs in
//! flight only when it folds to the same guild whichever of them land, and in whatever order:
//! a join and a deposit always do; a withdrawal does when the bank covers it without the deposits
//! in flight (those are the only moves that could be missing and leave less). A founding, which
//! replaces the guild, and anything after a founding not yet stored, waits for the guild's shard
//! as before. The player's side still waits for its own earlier changes.

use crate::persistence::ObjectJournal;
use arbiter_components::guild::{BankMove, Guild, GuildEvent};
use bevy_ecs::component::Component;

/// The guild's transfer legs recorded and not yet confirmed stored on its shard, as far as a
/// later leg depends on them.
#[derive(Component, Debug, Default)]
pub struct GuildLegsInFlight {
    /// The journal version of a founding not yet stored.
    founded_at: Option<u64>,
    /// Deposits not yet stored, each with its journal version.
    deposits: Vec<(u64, BankMove)>,
}

impl GuildLegsInFlight {
    /// Whether a transfer with the guild's leg `event` may be carried out now, or must wait for
    /// the guild's shard.
    pub fn admit(&mut self, guild: &Guild, journal: &ObjectJournal, event: &GuildEvent) -> bool {
        self.forget_stored(journal);
        if self.founded_at.is_some() {
            return false;
        }
        match event {
            GuildEvent::GuildJoined { .. } | GuildEvent::GuildBankDeposited { .. } => true,
            // One the bank cannot cover at all is refused, not held.
            GuildEvent::GuildBankWithdrawn { moved, .. } => {
                let deposits = self.deposits.iter().map(|(_, deposit)| deposit);
                !guild.bank().holds(moved) || guild.bank().holds_without(moved, deposits)
            }
            _ => journal.is_settled(),
        }
    }

    /// Notes the guild's leg of a transfer just recorded in `journal`.
    pub fn recorded(&mut self, journal: &ObjectJournal, event: &GuildEvent) {
        let version = journal.version();
        match event {
            GuildEvent::GuildFounded { .. } => self.founded_at = Some(version),
            GuildEvent::GuildBankDeposited { moved, .. } => {
                self.deposits.push((version, moved.clone()));
            }
            _ => {}
        }
    }

    fn forget_stored(&mut self, journal: &ObjectJournal) {
        self.founded_at = self
            .founded_at
            .filter(|version| !journal.is_durable_at(*version));
        self.deposits
            .retain(|(version, _)| !journal.is_durable_at(*version));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persistence::{ObjectKey, ObjectRecord, SnapshotPolicy, Transfer};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn coins(amount: u64) -> BankMove {
        BankMove {
            currencies: BTreeMap::from([("coins".into(), amount)]),
            ..BankMove::default()
        }
    }

    const NO_SNAPSHOT: SnapshotPolicy = SnapshotPolicy {
        every_events: u64::MAX,
        interval_ms: i64::MAX,
    };

    /// Hands the journal's changes to the writer, which confirms them stored.
    fn store(journal: &mut ObjectJournal) {
        journal.take_changes(NO_SNAPSHOT, 0);
        journal.confirm_durable(journal.version());
    }

    fn founded() -> (Guild, ObjectJournal) {
        let mut guild = Guild::default();
        guild.apply(&GuildEvent::GuildFounded {
            name: "Vault".into(),
            tag: "VLT".into(),
            leader: 1,
        });
        let key = ObjectKey::new("guild", 9);
        let mut journal = ObjectJournal::loaded(&ObjectRecord::new(key), 0);
        record(&mut journal);
        store(&mut journal);
        (guild, journal)
    }

    /// Records a leg in the journal, as settlement does.
    fn record(journal: &mut ObjectJournal) {
        let transfer = Transfer {
            id: format!("1:{}", journal.version() + 1).into(),
            at_ms: 0,
            legs: Vec::new(),
        };
        journal.record_transfer(Arc::new(transfer), 0);
    }

    fn deposit(amount: u64) -> GuildEvent {
        GuildEvent::GuildBankDeposited {
            by: 1,
            moved: coins(amount),
        }
    }

    fn withdrawal(amount: u64) -> GuildEvent {
        GuildEvent::GuildBankWithdrawn {
            by: 1,
            moved: coins(amount),
            day: 1,
        }
    }

    /// Carries out `event` on the guild, records its leg and notes it in flight.
    fn carry_out(
        guild: &mut Guild,
        journal: &mut ObjectJournal,
        in_flight: &mut GuildLegsInFlight,
        event: &GuildEvent,
    ) {
        guild.apply(event);
        record(journal);
        in_flight.recorded(journal, event);
    }

    #[test]
    fn a_withdrawal_follows_deposits_in_flight_only_if_the_bank_covers_it_without_them() {
        let (mut guild, mut journal) = founded();
        let mut in_flight = GuildLegsInFlight::default();
        carry_out(&mut guild, &mut journal, &mut in_flight, &deposit(50));
        store(&mut journal);
        // 50 stored; 30 more in flight.
        carry_out(&mut guild, &mut journal, &mut in_flight, &deposit(30));
        assert!(in_flight.admit(&guild, &journal, &deposit(5)));
        assert!(in_flight.admit(&guild, &journal, &withdrawal(50)));
        assert!(
            !in_flight.admit(&guild, &journal, &withdrawal(51)),
            "51 needs the deposit in flight"
        );
        assert!(
            in_flight.admit(&guild, &journal, &withdrawal(81)),
            "more than the bank holds is let through, to be refused"
        );
        carry_out(&mut guild, &mut journal, &mut in_flight, &withdrawal(40));
        assert!(
            !in_flight.admit(&guild, &journal, &withdrawal(11)),
            "10 left without the deposit in flight"
        );
        // The deposit is stored: all of the bank counts.
        store(&mut journal);
        assert!(in_flight.admit(&guild, &journal, &withdrawal(40)));
    }

    #[test]
    fn nothing_follows_a_founding_in_flight_and_a_founding_waits_for_everything() {
        let (mut guild, mut journal) = founded();
        let mut in_flight = GuildLegsInFlight::default();
        let founding = GuildEvent::GuildFounded {
            name: "Vault".into(),
            tag: "VLT".into(),
            leader: 1,
        };
        carry_out(&mut guild, &mut journal, &mut in_flight, &founding);
        let join = GuildEvent::GuildJoined { player: 2, by: 1 };
        assert!(!in_flight.admit(&guild, &journal, &join));
        assert!(!in_flight.admit(&guild, &journal, &deposit(1)));
        store(&mut journal);
        assert!(in_flight.admit(&guild, &journal, &join));
        carry_out(&mut guild, &mut journal, &mut in_flight, &deposit(1));
        assert!(!in_flight.admit(&guild, &journal, &founding));
    }
}
