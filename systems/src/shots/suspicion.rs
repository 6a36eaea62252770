//! How much a refused shot says about cheating. Fire rate and claimed ticks are judged so that no
//! network condition makes an honest client's shot refused (`tests/fairness.rs`, the grid in
//! BENCHMARKS.md), so a refusal is strong evidence: four or five of them in quick succession kick.

use arbiter_components::combat::ShotRejection;

/// Suspicion added by one refused shot.
pub fn suspicion_weight(rejection: ShotRejection) -> f32 {
    match rejection {
        // A hit claimed through a wall or beyond range: the client's own hit detection, on the
        // positions it was sent, would not claim it.
        ShotRejection::OutOfRange | ShotRejection::NoLineOfSight => 5.0,
        // Claims faster than the weapon fires, or older or newer than the connection allows;
        // an honest client knows its loadout, so firing a weapon not equipped is a forged request.
        ShotRejection::BadTick | ShotRejection::TooFast | ShotRejection::NotOwned => 4.0,
        ShotRejection::UnknownWeapon => 1.0,
        // Lobby or death-screen shots are client bugs or races, not cheats.
        ShotRejection::NotInMatch | ShotRejection::Dead => 0.0,
    }
}
