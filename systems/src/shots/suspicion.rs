//! How much a refused shot says about cheating.

use arbiter_components::combat::ShotRejection;

/// Suspicion added by one refused shot.
pub fn suspicion_weight(rejection: ShotRejection) -> f32 {
    match rejection {
        ShotRejection::OutOfRange => 3.0,
        // An honest client knows its loadout; firing a weapon not equipped is a forged request.
        ShotRejection::BadTick | ShotRejection::NoLineOfSight | ShotRejection::NotOwned => 2.0,
        ShotRejection::TooFast | ShotRejection::UnknownWeapon => 1.0,
        // Lobby or death-screen shots are client bugs or races, not cheats.
        ShotRejection::NotInMatch | ShotRejection::Dead => 0.0,
    }
}
