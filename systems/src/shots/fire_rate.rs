//! Fire rate, checked twice: on the client's claimed ticks (exact: an honest client never claims two
//! shots closer than the weapon allows, whatever the network does to its packets), and on server time
//! with a one-second burst allowance (so a client cannot fake spacing by lying about ticks).

use arbiter_components::combat::ShotRejection;
use arbiter_components::tick::TickRate;
use bevy_ecs::component::Component;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct WeaponFire {
    last_claimed_tick: Option<u64>,
    /// Shots the server-time bucket still allows; refilled at the fire rate, capped at one second's worth.
    tokens: f32,
    refilled_at_tick: u64,
    primed: bool,
}

/// Per-weapon fire history of a player.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct FireState {
    weapons: Vec<WeaponFire>,
}

impl FireState {
    /// Admits a shot of `weapon` claimed at `claimed_tick`, received at server tick `now`.
    pub fn admit(
        &mut self,
        weapon: u8,
        claimed_tick: u64,
        now: u64,
        rate: TickRate,
        fire_rate_hz: f32,
    ) -> Result<(), ShotRejection> {
        let index = usize::from(weapon);
        if self.weapons.len() <= index {
            self.weapons.resize(index + 1, WeaponFire::default());
        }
        let state = &mut self.weapons[index];
        let min_gap_ticks = rate.ticks_between(fire_rate_hz);
        if let Some(last) = state.last_claimed_tick {
            // A small epsilon: 60 Hz / 10 shots/s is exactly 6 ticks.
            if claimed_tick < last || ((claimed_tick - last) as f32) < min_gap_ticks - 1e-3 {
                return Err(ShotRejection::TooFast);
            }
        }
        let capacity = fire_rate_hz.max(1.0);
        if state.primed {
            let elapsed = rate.secs_of(now.saturating_sub(state.refilled_at_tick));
            state.tokens = (state.tokens + elapsed * fire_rate_hz).min(capacity);
        } else {
            state.tokens = capacity;
            state.primed = true;
        }
        state.refilled_at_tick = now;
        if state.tokens < 1.0 {
            return Err(ShotRejection::TooFast);
        }
        state.tokens -= 1.0;
        state.last_claimed_tick = Some(claimed_tick);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HZ60: TickRate = TickRate::new(60);

    #[test]
    fn shots_spaced_by_the_fire_rate_pass_and_closer_ones_are_too_fast() {
        let mut fire = FireState::default();
        // 10 shots/s at 60 Hz: one every 6 claimed ticks.
        assert_eq!(fire.admit(0, 100, 110, HZ60, 10.0), Ok(()));
        assert_eq!(fire.admit(0, 106, 116, HZ60, 10.0), Ok(()));
        assert_eq!(
            fire.admit(0, 111, 121, HZ60, 10.0),
            Err(ShotRejection::TooFast)
        );
        assert_eq!(fire.admit(0, 112, 122, HZ60, 10.0), Ok(()));
    }

    #[test]
    fn a_network_burst_of_honestly_spaced_shots_is_allowed_but_sustained_spam_is_not() {
        let mut fire = FireState::default();
        // Ten shots claimed 6 ticks apart arrive in the same server tick (a jitter burst): fine.
        for shot in 0..10 {
            assert_eq!(
                fire.admit(0, 100 + shot * 6, 200, HZ60, 10.0),
                Ok(()),
                "shot {shot}"
            );
        }
        // An eleventh in that same tick exceeds one second's worth on server time.
        assert_eq!(
            fire.admit(0, 160, 200, HZ60, 10.0),
            Err(ShotRejection::TooFast)
        );
    }

    #[test]
    fn weapons_are_counted_separately() {
        let mut fire = FireState::default();
        assert_eq!(fire.admit(0, 100, 100, HZ60, 10.0), Ok(()));
        assert_eq!(fire.admit(1, 101, 101, HZ60, 4.0), Ok(()));
    }
}
