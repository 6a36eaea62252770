//! Fire rate, judged on the client's claimed ticks alone: no two shots of a weapon are claimed
//! closer than it fires. Arrival times play no part — loss, resends, bunched or reordered arrivals
//! move when shots arrive, never what they claim, so an honest client is never refused.
//!
//! Claims cannot outrun the server's clock either: every claimed tick must be about one round trip
//! plus the interpolation delay old when it arrives, within `claim_tolerance_ms`
//! ([`check_claimed_tick`](super::check_claimed_tick)). Shots landing within a window of `W` seconds of
//! server time therefore claim ticks spanning at most `W + 2 × tolerance`, so at most
//! `rate × (W + 2 × tolerance) + 1` of them are admitted: the sustained rate is the weapon's, and a
//! burst beyond it is bounded by the tolerance — the way the speed-hack signal bounds inputs.

use arbiter_components::combat::ShotRejection;
use arbiter_components::tick::TickRate;
use bevy_ecs::component::Component;

/// Per-weapon claimed ticks of a player's recent admitted shots.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct FireState {
    /// Indexed by weapon; each holds the claims still within the window, in no particular order.
    claims: Vec<Vec<u64>>,
}

impl FireState {
    /// Admits a shot of `weapon` claimed at `claimed_tick`, judged at server tick `now`. Claims older
    /// than `window_ticks` are forgotten (a shot claiming that far back is refused as `bad_tick`).
    pub fn admit(
        &mut self,
        weapon: u8,
        claimed_tick: u64,
        now: u64,
        window_ticks: u64,
        rate: TickRate,
        fire_rate_hz: f32,
    ) -> Result<(), ShotRejection> {
        let index = usize::from(weapon);
        if self.claims.len() <= index {
            self.claims.resize_with(index + 1, Vec::new);
        }
        let claims = &mut self.claims[index];
        claims.retain(|tick| tick.saturating_add(window_ticks) >= now);
        // A small epsilon: 60 Hz / 10 shots/s is exactly 6 ticks.
        let min_gap_ticks = rate.ticks_between(fire_rate_hz) - 1e-3;
        if claims
            .iter()
            .any(|admitted| (admitted.abs_diff(claimed_tick) as f32) < min_gap_ticks)
        {
            return Err(ShotRejection::TooFast);
        }
        claims.push(claimed_tick);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HZ60: TickRate = TickRate::new(60);
    /// Half a second at 60 Hz.
    const WINDOW: u64 = 30;

    #[test]
    fn shots_spaced_by_the_fire_rate_pass_and_closer_ones_are_too_fast() {
        let mut fire = FireState::default();
        // 10 shots/s at 60 Hz: one every 6 claimed ticks.
        assert_eq!(fire.admit(0, 100, 110, WINDOW, HZ60, 10.0), Ok(()));
        assert_eq!(fire.admit(0, 106, 116, WINDOW, HZ60, 10.0), Ok(()));
        assert_eq!(
            fire.admit(0, 111, 121, WINDOW, HZ60, 10.0),
            Err(ShotRejection::TooFast)
        );
        assert_eq!(fire.admit(0, 112, 122, WINDOW, HZ60, 10.0), Ok(()));
    }

    #[test]
    fn honestly_spaced_shots_bunched_into_one_arrival_tick_all_pass() {
        let mut fire = FireState::default();
        // Held back by a lost packet, then delivered together: twenty claims 6 ticks apart in one tick.
        for shot in 0..20 {
            assert_eq!(
                fire.admit(0, 100 + shot * 6, 230, 200, HZ60, 10.0),
                Ok(()),
                "shot {shot}"
            );
        }
    }

    #[test]
    fn honest_shots_arriving_out_of_order_pass_and_a_repeated_claim_is_too_fast() {
        let mut fire = FireState::default();
        for claimed in [112, 100, 106, 124, 118] {
            assert_eq!(
                fire.admit(0, claimed, 130, WINDOW, HZ60, 10.0),
                Ok(()),
                "claim {claimed}"
            );
        }
        // The same claim again (a rapid-fire cheat re-firing what it saw) or one squeezed between two.
        for claimed in [118, 103] {
            assert_eq!(
                fire.admit(0, claimed, 131, WINDOW, HZ60, 10.0),
                Err(ShotRejection::TooFast),
                "claim {claimed}"
            );
        }
    }

    #[test]
    fn a_shot_arriving_late_after_resends_is_judged_on_its_claim_not_its_arrival() {
        let mut fire = FireState::default();
        assert_eq!(fire.admit(0, 100, 120, WINDOW, HZ60, 10.0), Ok(()));
        // The next shot, claimed 6 ticks later, arrives 20 ticks late, after the one claimed after it.
        assert_eq!(fire.admit(0, 112, 132, WINDOW, HZ60, 10.0), Ok(()));
        assert_eq!(fire.admit(0, 106, 146, WINDOW, HZ60, 10.0), Ok(()));
    }

    #[test]
    fn claims_older_than_the_window_are_forgotten() {
        let mut fire = FireState::default();
        assert_eq!(fire.admit(0, 100, 110, WINDOW, HZ60, 10.0), Ok(()));
        fire.admit(0, 200, 210, WINDOW, HZ60, 10.0).expect("spaced");
        assert_eq!(fire.claims[0], vec![200], "the claim of tick 100 is gone");
    }

    #[test]
    fn weapons_are_counted_separately() {
        let mut fire = FireState::default();
        assert_eq!(fire.admit(0, 100, 100, WINDOW, HZ60, 10.0), Ok(()));
        assert_eq!(fire.admit(1, 101, 101, WINDOW, HZ60, 4.0), Ok(()));
    }
}
