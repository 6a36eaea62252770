//! Work done while the runner waits for the next tick's deadline.

use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::ScheduleLabel;
use std::time::Instant;

/// The schedule the runner runs while it waits for the next tick. Work that need not be inside a
/// tick (reading the game socket) goes here, into time the server would sleep, so the tick
/// itself is shorter. Its systems may use the time until [`IdleUntil`]; the runner sleeps
/// whatever they leave of it. Runners that call `App::update` directly (tests) never run it, so
/// nothing may depend on it having run.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct BetweenTicks;

/// When the runner's current wait ends: the next tick's deadline, or sooner so that a shutdown
/// request is noticed promptly.
#[derive(Resource, Debug, Clone, Copy)]
pub struct IdleUntil(pub Instant);
