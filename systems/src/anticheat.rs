//! Anti-cheat scoring: evidence from other rules (refused shots, …) and speed-hack signals add weighted suspicion that decays over
//! time; crossing thresholds warns, flags (with the evidence) and kicks. A score fed `w` every `t`
//! seconds settles at `w / (1 − 0.5^(t / half-life))`: with the defaults (half-life 30 s), one refused
//! shot of weight 2 every 10 s settles near 9.7 — it may warn (a log line and a metric), never flag
//! (10) or kick (20). A cheater refused several times a second crosses all three within seconds.

mod aim;

pub use aim::{AimRecord, HIDDEN_RUN_TICKS, aim_offset_rad, instant_reaction, observe_aim};

use crate::phases::SimulationSystems;
use crate::shots::ShotJudged;
use arbiter_components::config::AnticheatSettings;
use arbiter_components::input::InputCadenceAnomalies;
use arbiter_components::messages::KickRequest;
use arbiter_components::player::{ForfeitsRewards, PlayerId};
use arbiter_components::protocol::KickReason;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_app::{App, FixedUpdate, Plugin};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::{Message, MessageReader, MessageWriter};
use bevy_ecs::query::{Changed, With};
use bevy_ecs::schedule::IntoScheduleConfigs;
use bevy_ecs::system::{Commands, Local, Query, Res};
use std::collections::VecDeque;

/// Suspicion added by one speed-hack signal (a second in which more ticks of input arrived than passed).
pub const SPEED_HACK_WEIGHT: f32 = 3.0;
/// How many recent reasons a score keeps as evidence.
const EVIDENCE_KEPT: usize = 16;

/// A rule refused something a player asked for that an honest client would not ask: evidence, with
/// the suspicion it adds. The rule that refuses decides the weight; anti-cheat only adds them up.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub struct CheatEvidence {
    pub player: Entity,
    pub weight: f32,
    /// The refusal's reason, kept as evidence (`no_line_of_sight`).
    pub reason: &'static str,
}

/// Scoring in the AntiCheat phase.
#[derive(Debug, Default)]
pub struct AntiCheatPlugin;

impl Plugin for AntiCheatPlugin {
    fn build(&self, app: &mut App) {
        app.register_required_components::<PlayerId, Suspicion>()
            .register_required_components::<PlayerId, AimRecord>()
            .init_resource::<AnticheatSettings>()
            .init_resource::<TickRate>()
            .init_resource::<ServerTick>()
            .add_message::<CheatEvidence>()
            .add_message::<ShotJudged>()
            .add_message::<AntiCheatActed>()
            .add_message::<KickRequest>()
            .add_systems(
                FixedUpdate,
                (observe_aim, score_suspicion)
                    .chain()
                    .in_set(SimulationSystems::AntiCheat),
            );
    }
}

/// What anti-cheat did about a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AntiCheatAction {
    Warn,
    Flag,
    Kick,
}

impl AntiCheatAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AntiCheatAction::Warn => "warn",
            AntiCheatAction::Flag => "flag",
            AntiCheatAction::Kick => "kick",
        }
    }
}

/// An action taken, with the score and the recent evidence: for logs and metrics.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct AntiCheatActed {
    pub player: Entity,
    pub action: AntiCheatAction,
    pub score: f32,
    pub evidence: Vec<&'static str>,
    /// The figures behind a statistical flag (aim), for the reviewer.
    pub detail: Option<String>,
}

/// A player flagged for review, and why: kept on the player's entity for operators to look at.
#[derive(Component, Debug, Clone, PartialEq)]
#[component(storage = "SparseSet")]
pub struct FlaggedForReview {
    pub at_tick: u64,
    pub evidence: String,
}

/// A player's suspicion.
#[derive(Component, Debug, Clone, Default, PartialEq)]
pub struct Suspicion {
    score: f32,
    /// The strongest action taken since the score was last low.
    reached: Option<AntiCheatAction>,
    cadence_seen: u32,
    evidence: VecDeque<&'static str>,
}

impl Suspicion {
    pub fn score(&self) -> f32 {
        self.score
    }

    /// The recent reasons, oldest first.
    pub fn evidence(&self) -> Vec<&'static str> {
        self.evidence.iter().copied().collect()
    }

    fn add(&mut self, weight: f32, reason: &'static str) {
        if weight <= 0.0 {
            return;
        }
        self.score += weight;
        self.note(reason);
    }

    /// Keeps `reason` as evidence without adding to the score.
    fn note(&mut self, reason: &'static str) {
        if self.evidence.len() == EVIDENCE_KEPT {
            self.evidence.pop_front();
        }
        self.evidence.push_back(reason);
    }
}

/// A player whose suspicion is above nothing: the only ones a step decays and checks against the
/// thresholds. A lobby of ten thousand honest players costs the step nothing.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct Suspected;

/// A score decayed below this is forgotten (set to zero, no longer [`Suspected`]): far below any
/// evidence's weight, it can no longer bring a threshold closer.
const FORGOTTEN_BELOW: f32 = 1e-3;

/// Decays the suspects' scores, adds this tick's evidence and speed-hack signals, and acts on
/// thresholds.
#[expect(
    clippy::too_many_arguments,
    reason = "a system's parameters are its dependencies"
)]
pub fn score_suspicion(
    (settings, rate, tick): (Res<AnticheatSettings>, Res<TickRate>, Res<ServerTick>),
    mut evidence: MessageReader<CheatEvidence>,
    mut players: Query<&mut Suspicion>,
    suspects: Query<Entity, With<Suspected>>,
    signalled: Query<(Entity, &InputCadenceAnomalies), Changed<InputCadenceAnomalies>>,
    mut acted: MessageWriter<AntiCheatActed>,
    mut kicks: MessageWriter<KickRequest>,
    mut commands: Commands,
    mut visited: Local<Vec<Entity>>,
) {
    let ticks_per_half_life = rate.ticks_in_secs(settings.score_half_life_secs) as f32;
    let decay = 0.5f32.powf(1.0 / ticks_per_half_life);
    for suspect in &suspects {
        let Ok(mut suspicion) = players.get_mut(suspect) else {
            continue;
        };
        suspicion.score *= decay;
        if suspicion.score < settings.warn_score * 0.5 {
            suspicion.reached = None;
        }
        visited.push(suspect);
    }
    for evidence in evidence.read() {
        if let Ok(mut suspicion) = players.get_mut(evidence.player) {
            suspicion.add(evidence.weight, evidence.reason);
            visited.push(evidence.player);
        }
    }
    for (player, cadence) in &signalled {
        let Ok(mut suspicion) = players.get_mut(player) else {
            continue;
        };
        if cadence.0 > suspicion.cadence_seen {
            for _ in suspicion.cadence_seen..cadence.0 {
                suspicion.add(SPEED_HACK_WEIGHT, "speed_hack");
            }
            suspicion.cadence_seen = cadence.0;
            visited.push(player);
        }
    }
    visited.sort_unstable();
    visited.dedup();
    for player in visited.drain(..) {
        let Ok(mut suspicion) = players.get_mut(player) else {
            continue;
        };
        // Decided after this step's evidence, so a score forgotten and fed again stays suspected.
        let suspected = suspects.contains(player);
        if suspicion.score < FORGOTTEN_BELOW {
            suspicion.score = 0.0;
            if suspected {
                commands.entity(player).remove::<Suspected>();
            }
        } else if !suspected {
            commands.entity(player).insert(Suspected);
        }
        let thresholds = [
            (AntiCheatAction::Warn, settings.warn_score),
            (AntiCheatAction::Flag, settings.flag_score),
            (AntiCheatAction::Kick, settings.kick_score),
        ];
        for (action, threshold) in thresholds {
            if suspicion.score < threshold || suspicion.reached >= Some(action) {
                continue;
            }
            suspicion.reached = Some(action);
            let evidence = suspicion.evidence();
            if action == AntiCheatAction::Flag {
                commands.entity(player).insert(FlaggedForReview {
                    at_tick: tick.get(),
                    evidence: format!("suspicion {:.1}: {}", suspicion.score, evidence.join(", ")),
                });
            }
            if action == AntiCheatAction::Kick {
                commands.entity(player).insert(ForfeitsRewards);
                kicks.write(KickRequest {
                    player,
                    reason: KickReason::Cheating(format!(
                        "suspicion {:.1}: {}",
                        suspicion.score,
                        evidence.join(", ")
                    )),
                });
            }
            acted.write(AntiCheatActed {
                player,
                action,
                score: suspicion.score,
                evidence,
                detail: None,
            });
        }
    }
}

#[cfg(test)]
mod tests;
