//! The bots' report: totals over all bots and RTT percentiles.

use super::bot::Bot;
use serde::Serialize;

/// Printed as one JSON object at the end of `arbiter bots`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotsReport {
    pub bots: u64,
    /// Bots that completed the handshake.
    pub connected: u64,
    /// Bots that never connected.
    pub failed_connects: u64,
    /// Bots whose connection dropped without a kick.
    pub disconnects: u64,
    pub kicked: u64,
    pub matches_played: u64,
    pub inputs_sent: u64,
    pub snapshots_received: u64,
    pub shots_sent: u64,
    pub shots_hit: u64,
    pub shots_rejected: u64,
    pub rtt_ms_p50: Option<f64>,
    pub rtt_ms_p99: Option<f64>,
}

impl BotsReport {
    pub(super) fn from_bots(bots: &[Bot]) -> Self {
        let count =
            |predicate: fn(&Bot) -> bool| bots.iter().filter(|bot| predicate(bot)).count() as u64;
        let sum = |field: fn(&Bot) -> u64| bots.iter().map(field).sum();
        let mut rtts: Vec<f64> = bots
            .iter()
            .flat_map(|bot| bot.stats.rtt_samples_ms.iter().copied())
            .collect();
        rtts.sort_by(f64::total_cmp);
        Self {
            bots: bots.len() as u64,
            connected: count(|bot| bot.stats.connected),
            failed_connects: count(|bot| !bot.stats.connected),
            disconnects: count(|bot| bot.stats.disconnected),
            kicked: count(|bot| bot.stats.kicked),
            matches_played: sum(|bot| bot.stats.matches_played),
            inputs_sent: sum(|bot| bot.stats.inputs_sent),
            snapshots_received: sum(|bot| bot.stats.snapshots_received),
            shots_sent: sum(|bot| bot.stats.shots_sent),
            shots_hit: sum(|bot| bot.stats.shots_hit),
            shots_rejected: sum(|bot| bot.stats.shots_rejected),
            rtt_ms_p50: percentile(&rtts, 0.50),
            rtt_ms_p99: percentile(&rtts, 0.99),
        }
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], quantile: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.50), Some(50.0));
        assert_eq!(percentile(&samples, 0.99), Some(99.0));
        assert_eq!(percentile(&[], 0.5), None);
    }
}
