//! Shot metrics: verdicts, and how long the Shots phase takes when there are shots.

use crate::telemetry::metrics::{SHOTS_TOTAL, VALIDATION_DURATION_SECONDS};
use arbiter_components::combat::ShotVerdict;
use arbiter_systems::shots::ShotJudged;
use bevy_ecs::message::MessageReader;
use bevy_ecs::resource::Resource;
use bevy_ecs::system::ResMut;
use std::time::Instant;

/// When this tick's Shots phase started, handed from the system before the phase to the one after
/// it; the rules themselves never read a clock.
#[derive(Resource, Debug, Default)]
pub(super) struct ShotsTimer(Option<Instant>);

pub(super) fn start_shots_timer(mut timer: ResMut<ShotsTimer>) {
    timer.0 = Some(Instant::now());
}

pub(super) fn record_shots(mut timer: ResMut<ShotsTimer>, mut judged: MessageReader<ShotJudged>) {
    let started = timer.0.take();
    let mut count = 0u64;
    for judged in judged.read() {
        count += 1;
        let verdict = match judged.verdict {
            ShotVerdict::Hit { .. } => "hit",
            ShotVerdict::Miss => "miss",
            ShotVerdict::Rejected(rejection) => rejection.as_str(),
        };
        metrics::counter!(SHOTS_TOTAL, "verdict" => verdict).increment(1);
    }
    if let (Some(started), true) = (started, count > 0) {
        metrics::histogram!(VALIDATION_DURATION_SECONDS).record(started.elapsed().as_secs_f64());
    }
}
