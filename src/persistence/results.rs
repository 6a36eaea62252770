//! Match results become player events: each rated player of a completed match gets `MatchPlayed`.

use super::progress::{Progress, now_ms};
use super::record::{MatchOutcome, PlayerEvent};
use arbiter_components::match_events::{MatchCompleted, RatingChanged};
use arbiter_components::player::Stats;
use arbiter_components::protocol::ScoreLine;
use bevy_ecs::message::MessageReader;
use bevy_ecs::system::Query;
use std::collections::HashMap;

/// Records `MatchPlayed` on every rated player and brings its stats in line with the record (the
/// world counts kills live; the record counts them when the match completes).
pub(super) fn record_match_results(
    mut completed: MessageReader<MatchCompleted>,
    mut rated: MessageReader<RatingChanged>,
    mut players: Query<(&mut Progress, &mut Stats)>,
) {
    let results: HashMap<u64, &MatchCompleted> = completed
        .read()
        .map(|result| (result.match_id, result))
        .collect();
    if results.is_empty() {
        rated.clear();
        return;
    }
    let at_ms = now_ms();
    for change in rated.read() {
        let (Some(result), Ok((mut progress, mut stats))) = (
            results.get(&change.match_id),
            players.get_mut(change.player),
        ) else {
            continue;
        };
        let Some(line) = result
            .scoreboard
            .iter()
            .find(|line| line.player_id == change.player_id)
        else {
            continue;
        };
        progress.record_event(match_played(result, line, change), at_ms);
        *stats = progress.record().stats();
    }
}

fn match_played(result: &MatchCompleted, line: &ScoreLine, change: &RatingChanged) -> PlayerEvent {
    PlayerEvent::MatchPlayed {
        match_id: result.match_id,
        outcome: match result.winner {
            None => MatchOutcome::Draw,
            Some(team) if team == line.team => MatchOutcome::Win,
            Some(_) => MatchOutcome::Loss,
        },
        kills: line.kills,
        deaths: line.deaths,
        rating: change.after.value,
        uncertainty: change.after.uncertainty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_components::matchmaking::Rating;
    use bevy_ecs::entity::Entity;

    fn line(player_id: u64, team: u8) -> ScoreLine {
        ScoreLine {
            player_id,
            team,
            kills: 4,
            deaths: 2,
            rating_before: 1500,
            rating_after: 1510,
        }
    }

    #[test]
    fn the_outcome_follows_the_winner_and_the_rating_the_change() {
        let mut result = MatchCompleted {
            match_id: 3,
            mode: 0,
            map: "arena".into(),
            winner: Some(1),
            scores: [2, 5],
            live_ticks: 600,
            scoreboard: vec![line(7, 0), line(8, 1)],
        };
        let change = RatingChanged {
            player: Entity::PLACEHOLDER,
            player_id: 8,
            match_id: 3,
            before: Rating::DEFAULT,
            after: Rating {
                value: 1512.5,
                uncertainty: 470.0,
            },
        };
        let outcome =
            |result: &MatchCompleted, line: &ScoreLine| match match_played(result, line, &change) {
                PlayerEvent::MatchPlayed { outcome, .. } => outcome,
                other => unreachable!("a match result, not {other:?}"),
            };
        assert_eq!(outcome(&result, &line(8, 1)), MatchOutcome::Win);
        assert_eq!(outcome(&result, &line(7, 0)), MatchOutcome::Loss);
        result.winner = None;
        assert_eq!(outcome(&result, &line(7, 0)), MatchOutcome::Draw);
        assert_eq!(
            match_played(&result, &line(8, 1), &change),
            PlayerEvent::MatchPlayed {
                match_id: 3,
                outcome: MatchOutcome::Draw,
                kills: 4,
                deaths: 2,
                rating: 1512.5,
                uncertainty: 470.0,
            }
        );
    }
}
