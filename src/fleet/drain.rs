//! A game server asked to stop drains first: it tells the fleet it takes no new match (the
//! registry stops offering it; under Agones its label does), lets the matches here play out and
//! sends their players back to the lobby as usual, and only then stops — at the latest once the
//! longest a match can last has passed. A second signal stops it at once.

use super::bridge::{FleetLink, ToFleet};
use super::fallback::longest_match;
use super::game::Gatherings;
use crate::settings::FleetSettings;
use crate::shutdown::{DrainHold, ShutdownSignal};
use crate::telemetry::metrics::FLEET_DRAINING;
use arbiter_components::config::MatchSettings;
use arbiter_components::matchmaking::Match;
use arbiter_components::session::Session;
use bevy_ecs::query::With;
use bevy_ecs::system::{Local, Query, Res, ResMut};

/// What a stop would cut short here: matches gathering or running, and players still connected
/// (on their way back to the lobby after a match, or not yet in one).
type HeldHere<'w, 's> = (
    Res<'w, Gatherings>,
    Query<'w, 's, (), With<Match>>,
    Query<'w, 's, (), With<Session>>,
);

/// Every tick: tells the runner whether a stop must wait; on the first tick after a stop was asked
/// for, tells the fleet to send no more matches here.
pub(super) fn drain_before_stopping(
    signal: Option<Res<ShutdownSignal>>,
    mut hold: ResMut<DrainHold>,
    (gatherings, matches, players): HeldHere,
    settings: (Res<FleetSettings>, Res<MatchSettings>),
    link: Res<FleetLink>,
    mut announced: Local<bool>,
) {
    let busy = !gatherings.is_empty() || !matches.is_empty() || !players.is_empty();
    hold.set(busy, longest_match(&settings.0, &settings.1));
    if !signal.is_some_and(|signal| signal.is_requested()) {
        return;
    }
    // Counted only once a stop was asked for: until then the tick needs no more than `busy`.
    let (running, connected) = (matches.iter().len(), players.iter().len());
    metrics::gauge!(FLEET_DRAINING).set((gatherings.len() + running + connected) as f64);
    if !*announced {
        *announced = true;
        tracing::info!(
            matches = running,
            gathering = gatherings.len(),
            players = connected,
            "asked to stop: draining (no new matches; the ones here play out); signal again to stop now"
        );
        link.send(ToFleet::Drain);
    }
}
