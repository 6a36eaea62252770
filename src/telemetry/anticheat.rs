//! Anti-cheat actions: logged with the evidence and counted.

use crate::telemetry::metrics::ANTICHEAT_ACTIONS_TOTAL;
use arbiter_components::player::PlayerId;
use arbiter_systems::anticheat::{AntiCheatActed, AntiCheatAction};
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::Query;

pub(super) fn record_anticheat(
    mut acted: MessageReader<AntiCheatActed>,
    players: Query<&PlayerId>,
) {
    for acted in acted.read() {
        metrics::counter!(ANTICHEAT_ACTIONS_TOTAL, "action" => acted.action.as_str()).increment(1);
        let player_id = players.get(acted.player).map_or(0, |id| id.0);
        let evidence = acted.evidence.join(", ");
        let detail = acted.detail.as_deref().unwrap_or_default();
        match acted.action {
            AntiCheatAction::Warn => {
                tracing::warn!(player_id, score = acted.score, %evidence, "anti-cheat: suspicious player");
            }
            AntiCheatAction::Flag => {
                tracing::warn!(player_id, score = acted.score, %evidence, detail, "anti-cheat: player flagged for review");
            }
            AntiCheatAction::Kick => {
                tracing::warn!(player_id, score = acted.score, %evidence, "anti-cheat: player kicked");
            }
        }
    }
}
