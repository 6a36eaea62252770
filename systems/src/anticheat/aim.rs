//! Aim statistics: what a perfect aimbot cannot hide. Every hit is measured against what human
//! hands and eyes can do:
//! - **reaction**: was the opponent hidden from the shooter (no line of sight from its eye to the
//!   opponent's chest or head, for [`HIDDEN_RUN_TICKS`] ticks in a row) less than
//!   `aim_min_reaction_ms` before the claimed tick? Seeing a target and reacting takes a human
//!   150–250 ms; an aimbot fires in the frame the target appears.
//! - **precision**: the angle between the aim and the line from the shooter's eye to the opponent's
//!   chest, both where the client was shown them (snapshot positions are rounded to the
//!   centimetre). Human aim scatters by milliradians from shot to shot; an aimbot's is zero.
//!
//! A player whose last `aim_window_hits` hits hold `aim_instant_hits` instant reactions, or
//! `aim_precise_hits` dead-centre hits (offset below `aim_precision_rad`), is flagged for review
//! with those figures. Counting dead-centre hits rather than waiting for a full window's median
//! catches an aimbot that lands only a handful of hits in a match behind cover. Never kicked, and nothing is added to the score that kicks: a statistic needs a human
//! to judge it.

use super::{AntiCheatActed, AntiCheatAction, FlaggedForReview, Suspicion};
use crate::map::{MapGeometry, Maps};
use crate::shots::{CHEST_HEIGHT_M, EYE_HEIGHT_M, ShotJudged, aim_direction, sighted};
use arbiter_components::combat::ShotVerdict;
use arbiter_components::config::AnticheatSettings;
use arbiter_components::history::PositionHistory;
use arbiter_components::matchmaking::{InMatch, Match};
use arbiter_components::protocol::as_sent;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_ecs::component::Component;
use bevy_ecs::message::{MessageReader, MessageWriter};
use bevy_ecs::system::{Commands, Query, Res};
use bevy_math::Vec3;
use std::collections::VecDeque;

/// Ticks in a row an opponent must be out of sight to count as gone: a glimpse lost for a tick or
/// two behind a pillar's edge is not a new target to a human either.
pub const HIDDEN_RUN_TICKS: u64 = 3;

/// One hit as the statistics see it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AimSample {
    /// The opponent came into sight less than the human reaction time before the shot.
    instant: bool,
    offset_rad: f32,
}

/// A player's recent hits, measured.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct AimRecord {
    hits: VecDeque<AimSample>,
    /// Flagged already (once per session: a reviewer needs one report, not one per hit).
    flagged: bool,
}

impl AimRecord {
    fn push(&mut self, sample: AimSample, window: usize) {
        while self.hits.len() >= window.max(1) {
            self.hits.pop_front();
        }
        self.hits.push_back(sample);
    }

    /// The evidence, if the window says aimbot.
    fn assess(&self, settings: &AnticheatSettings) -> Option<String> {
        let instant = self.hits.iter().filter(|hit| hit.instant).count();
        let precise = self
            .hits
            .iter()
            .filter(|hit| hit.offset_rad < settings.aim_precision_rad)
            .count();
        let mut offsets: Vec<f32> = self.hits.iter().map(|hit| hit.offset_rad).collect();
        offsets.sort_by(f32::total_cmp);
        let median = offsets.get(offsets.len() / 2).copied()?;
        let too_quick = instant >= settings.aim_instant_hits as usize;
        let too_precise = precise >= settings.aim_precise_hits as usize;
        (too_quick || too_precise).then(|| {
            format!(
                "aimbot: {instant} of the last {} hits within {} ms of the target coming into sight, \
                 {precise} within {} rad of the chest line, median aim offset {median:.5} rad",
                self.hits.len(),
                settings.aim_min_reaction_ms,
                settings.aim_precision_rad
            )
        })
    }
}

/// Whether `target` came into `shooter`'s sight less than `reaction_ticks` before `claimed`: hidden
/// for [`HIDDEN_RUN_TICKS`] ticks in a row, in sight again fewer than `reaction_ticks` ticks later. `None` when the
/// histories do not reach back far enough, or either player spawned since, to tell.
pub fn instant_reaction(
    map: &MapGeometry,
    shooter: &PositionHistory,
    target: &PositionHistory,
    claimed: u64,
    reaction_ticks: u64,
) -> Option<bool> {
    let from = claimed.checked_sub(reaction_ticks + HIDDEN_RUN_TICKS)?;
    let mut hidden_run = 0;
    for tick in from..=claimed {
        let eye = shooter.at(tick)? + Vec3::Y * EYE_HEIGHT_M;
        if sighted(map, eye, target.at(tick)?) {
            hidden_run = 0;
            continue;
        }
        hidden_run += 1;
        if hidden_run >= HIDDEN_RUN_TICKS && tick + reaction_ticks >= claimed {
            return Some(true);
        }
    }
    Some(false)
}

/// The angle between the aim and the line from the shooter's eye to the target's chest, in
/// radians (atan2 of cross and dot: exact near zero, where acos is not). Both players stand where
/// the shooter's client was shown them: snapshots round positions to the centimetre, an aimbot
/// aims at those, and at a few metres the rounding alone is a milliradian off the exact positions.
pub fn aim_offset_rad(shooter_feet: Vec3, yaw: f32, pitch: f32, target_feet: Vec3) -> f32 {
    let eye = as_sent(shooter_feet) + Vec3::Y * EYE_HEIGHT_M;
    let aim = aim_direction(yaw, pitch);
    let to_chest = (as_sent(target_feet) + Vec3::Y * CHEST_HEIGHT_M - eye).normalize_or_zero();
    aim.cross(to_chest).length().atan2(aim.dot(to_chest))
}

/// Measures this tick's hits and flags players whose statistics say aimbot.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn observe_aim(
    settings: Res<AnticheatSettings>,
    rate: Res<TickRate>,
    tick: Res<ServerTick>,
    maps: Option<Res<Maps>>,
    mut judged: MessageReader<ShotJudged>,
    positions: Query<(&PositionHistory, Option<&InMatch>)>,
    matches: Query<&Match>,
    mut shooters: Query<(&mut AimRecord, &mut Suspicion)>,
    mut acted: MessageWriter<AntiCheatActed>,
    mut commands: Commands,
) {
    let reaction_ticks = rate.ticks_in_ms(settings.aim_min_reaction_ms);
    for judged in judged.read() {
        let ShotVerdict::Hit { target, .. } = judged.verdict else {
            continue;
        };
        let (Ok((shooter_history, in_match)), Ok((target_history, _))) =
            (positions.get(judged.shooter), positions.get(target))
        else {
            continue;
        };
        let Some(map) = in_match
            .and_then(|in_match| matches.get(in_match.0).ok())
            .and_then(|found| maps.as_ref()?.get(&found.map))
        else {
            continue;
        };
        let (Some(shooter_feet), Some(target_feet)) = (
            shooter_history.at(judged.claimed_tick),
            target_history.at(judged.claimed_tick),
        ) else {
            continue;
        };
        // Unknown (too soon after a spawn to tell) counts as not instant; the aim is still measured,
        // or an aimbot that kills as it spawns would leave most of its hits unmeasured.
        let instant = instant_reaction(
            map,
            shooter_history,
            target_history,
            judged.claimed_tick,
            reaction_ticks,
        )
        .unwrap_or(false);
        let Ok((mut record, mut suspicion)) = shooters.get_mut(judged.shooter) else {
            continue;
        };
        let offset_rad = aim_offset_rad(shooter_feet, judged.yaw, judged.pitch, target_feet);
        record.push(
            AimSample {
                instant,
                offset_rad,
            },
            settings.aim_window_hits as usize,
        );
        if record.flagged {
            continue;
        }
        let Some(detail) = record.assess(&settings) else {
            continue;
        };
        record.flagged = true;
        suspicion.note("aimbot");
        commands.entity(judged.shooter).insert(FlaggedForReview {
            at_tick: tick.get(),
            evidence: detail.clone(),
        });
        acted.write(AntiCheatActed {
            player: judged.shooter,
            action: AntiCheatAction::Flag,
            score: suspicion.score(),
            evidence: suspicion.evidence(),
            detail: Some(detail),
        });
    }
}

#[cfg(test)]
mod tests;
