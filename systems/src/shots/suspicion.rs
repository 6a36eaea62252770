//! How much a refused shot says about cheating.

use arbiter_components::combat::ShotRejection;

/// Suspicion added by one refused shot.
pub fn suspicion_weight(rejection: ShotRejection) -> f32 {
    match rejection {
        // Fire rate is judged on claimed ticks alone: an honest client never claims faster than its
        // weapon fires, whatever its network does.
        ShotRejection::OutOfRange | ShotRejection::TooFast => 3.0,
        // An honest client knows its loadout; firing a weapon not equipped is a forged request.
        ShotRejection::BadTick | ShotRejection::NoLineOfSight | ShotRejection::NotOwned => 2.0,
        ShotRejection::UnknownWeapon => 1.0,
        // Lobby or death-screen shots are client bugs or races, not cheats.
        ShotRejection::NotInMatch | ShotRejection::Dead => 0.0,
    }
}
