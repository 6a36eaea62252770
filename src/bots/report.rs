//! The bots' report: totals over all bots, the same per behaviour, and RTT percentiles.

use super::bot::Bot;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the bots of one behaviour did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BehaviorReport {
    pub bots: u64,
    pub kicked: u64,
    pub matches_completed: u64,
    pub shots_sent: u64,
    pub shots_hit: u64,
    pub shots_missed: u64,
    pub shots_rejected: u64,
    /// Rejected shots by the server's reason.
    pub rejections: BTreeMap<String, u64>,
    pub kills: u64,
    /// Shop purchases the server confirmed.
    pub purchases: u64,
    /// Refused item requests by the server's reason.
    pub item_refusals: BTreeMap<String, u64>,
    /// What the server moved, by source: item units added (+) or removed (−) by `starter_kit`,
    /// `purchase`, `match`, `loot`, `grant`, `used`, `discarded`; currency as `CURRENCY:source`;
    /// `equipped` and `unequipped` slot changes.
    pub item_changes: BTreeMap<String, i64>,
    /// Trades this behaviour's bots saw settle (each trade counts once per side).
    pub trades_settled: u64,
    /// Trades that ended unsettled, by the server's reason (once per side).
    pub trades_cancelled: BTreeMap<String, u64>,
    /// Refused trade requests, by the server's reason.
    pub trade_refusals: BTreeMap<String, u64>,
    /// Bots that disconnected right after their last accept, in the middle of a trade (dupers).
    pub trade_walkouts: u64,
    /// Guild requests the server showed done, by kind (`create`, `joined`, `accept`, `chat`,
    /// `deposit`, `withdraw`).
    pub guild_done: BTreeMap<String, u64>,
    /// Refused guild requests, by the server's reason.
    pub guild_refusals: BTreeMap<String, u64>,
    /// Guild requests never answered.
    pub guild_unanswered: u64,
    /// Guild chat lines heard.
    pub guild_chat_heard: u64,
    /// Matches found while in a party of two or more (once per member).
    pub party_matches: u64,
    /// Refused party requests, by the server's reason.
    pub party_refusals: BTreeMap<String, u64>,
    /// Party tickets that left the queue without a match (once per member told).
    pub party_queue_cancelled: u64,
    /// Each bot that cheated: its player id, when it first cheated (milliseconds on the bots'
    /// clock, see [`BotsReport::started_unix_ms`]), how many seconds later it was kicked, and its
    /// hits.
    pub cheaters: Vec<CheaterReport>,
}

/// One cheating bot's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheaterReport {
    pub player_id: u64,
    pub first_cheat_ms: u64,
    pub kicked_after_secs: Option<f64>,
    /// Its shots the server counted as hits: what aim statistics have to judge it by.
    pub hits: u64,
    /// When each of its hits since its first cheat was told, in milliseconds on the bots' clock.
    pub hit_ms: Vec<u64>,
}

impl BehaviorReport {
    fn add(&mut self, bot: &Bot) {
        let (stats, trades, guild, party) = (
            &bot.stats,
            &bot.trades.stats,
            &bot.guild.stats,
            &bot.party.stats,
        );
        self.party_matches += party.matches_in_party;
        self.party_queue_cancelled += party.queue_cancelled;
        for (reason, count) in &party.refusals {
            *self.party_refusals.entry(reason.clone()).or_default() += count;
        }
        for (kind, count) in &guild.done {
            *self.guild_done.entry(kind.clone()).or_default() += count;
        }
        for (reason, count) in &guild.refusals {
            *self.guild_refusals.entry(reason.clone()).or_default() += count;
        }
        self.guild_unanswered += guild.unanswered;
        self.guild_chat_heard += guild.chat_heard;
        self.trades_settled += trades.settled;
        self.trade_walkouts += u64::from(trades.walked_out);
        for (reason, count) in &trades.cancelled {
            *self.trades_cancelled.entry(reason.clone()).or_default() += count;
        }
        for (reason, count) in &trades.refusals {
            *self.trade_refusals.entry(reason.clone()).or_default() += count;
        }
        self.bots += 1;
        self.kicked += u64::from(stats.kicked);
        if let Some(first) = stats.first_cheat_us {
            self.cheaters.push(CheaterReport {
                player_id: bot.player_id(),
                first_cheat_ms: first / 1000,
                kicked_after_secs: stats
                    .kicked_us
                    .map(|kicked| kicked.saturating_sub(first) as f64 / 1e6),
                hits: stats.shots_hit,
                hit_ms: stats.cheat_hits_us.iter().map(|at| at / 1000).collect(),
            });
        }
        self.matches_completed += stats.matches_completed;
        self.shots_sent += stats.shots_sent;
        self.shots_hit += stats.shots_hit;
        self.shots_missed += stats.shots_missed;
        self.shots_rejected += stats.shots_rejected;
        for (reason, count) in &stats.rejections {
            *self.rejections.entry(reason.clone()).or_default() += count;
        }
        self.kills += stats.kills;
        self.purchases += stats.purchases;
        for (reason, count) in &stats.item_refusals {
            *self.item_refusals.entry(reason.clone()).or_default() += count;
        }
        for (source, amount) in &stats.item_changes {
            *self.item_changes.entry(source.clone()).or_default() += amount;
        }
    }
}

/// Printed as one JSON object at the end of `arbiter bots`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotsReport {
    /// When the bots' clock started (Unix milliseconds): the zero of `first_cheat_ms`.
    pub started_unix_ms: u64,
    pub bots: u64,
    /// Bots that completed the handshake.
    pub connected: u64,
    /// Bots that never connected.
    pub failed_connects: u64,
    /// Bots whose connection dropped without a kick.
    pub disconnects: u64,
    /// Those by the transport's reason: `DisconnectedByServer` (the server closed the connection,
    /// e.g. a kick whose `Kicked` message was lost on the way), `ConnectionTimedOut`, …
    pub disconnect_reasons: BTreeMap<String, u64>,
    pub kicked: u64,
    /// `MatchFound` messages received.
    pub matches_played: u64,
    /// `MatchEnded` messages received: matches played to the end.
    pub matches_completed: u64,
    /// Moves between the servers of a fleet (`Redirect`s followed): to a game server and back.
    pub redirects: u64,
    /// Returns to the lobby because a fleet's game server went silent (`Fallback` tokens used).
    pub fallbacks: u64,
    /// Tickets the server took out of the queue without a match (`QueueTimedOut`).
    pub queue_timeouts: u64,
    pub inputs_sent: u64,
    pub snapshots_received: u64,
    pub shots_sent: u64,
    pub shots_hit: u64,
    pub shots_rejected: u64,
    /// The same counts for each behaviour (`honest`, `wallhack`, …).
    pub behaviors: BTreeMap<String, BehaviorReport>,
    pub rtt_ms_p50: Option<f64>,
    pub rtt_ms_p99: Option<f64>,
    /// Settled trades seen by the bots.
    pub trades_settled: u64,
    /// From a trade's last accept (the later of its two sides' accepts under review) to
    /// `TradeEnded` on that client, in milliseconds, over the settled trades.
    pub trade_settle_ms_p50: Option<f64>,
    pub trade_settle_ms_p99: Option<f64>,
    /// From a guild request (not an application) to the server's answer showing it done or
    /// refused, on that client, in milliseconds.
    pub guild_answer_ms_p50: Option<f64>,
    pub guild_answer_ms_p99: Option<f64>,
    pub guild_answer_ms_mean: Option<f64>,
    /// The same p99 for each kind of request (`create`, `accept`, `chat`, `deposit`, `withdraw`).
    pub guild_answer_ms_p99_by_kind: BTreeMap<String, f64>,
}

impl BotsReport {
    pub(super) fn from_bots(bots: &[Bot], started_unix_ms: u64) -> Self {
        let count =
            |predicate: fn(&Bot) -> bool| bots.iter().filter(|bot| predicate(bot)).count() as u64;
        let sum = |field: fn(&Bot) -> u64| bots.iter().map(field).sum();
        let mut rtts: Vec<f64> = bots
            .iter()
            .flat_map(|bot| bot.stats.rtt_samples_ms.iter().copied())
            .collect();
        rtts.sort_by(f64::total_cmp);
        let mut disconnect_reasons: BTreeMap<String, u64> = BTreeMap::new();
        for bot in bots.iter().filter(|bot| bot.stats.disconnected) {
            let reason = bot.stats.disconnect_reason.as_deref().unwrap_or("unknown");
            *disconnect_reasons.entry(reason.to_owned()).or_default() += 1;
        }
        let mut behaviors: BTreeMap<String, BehaviorReport> = BTreeMap::new();
        for bot in bots {
            behaviors
                .entry(bot.behavior.as_str().to_owned())
                .or_default()
                .add(bot);
        }
        // Each side measures from its own accept; the later accept is the trade's last one.
        let mut settle_us: BTreeMap<u64, u64> = BTreeMap::new();
        for (trade, us) in bots.iter().flat_map(|bot| &bot.trades.stats.settle_us) {
            let shortest = settle_us.entry(*trade).or_insert(*us);
            *shortest = (*shortest).min(*us);
        }
        let mut settle_ms: Vec<f64> = settle_us.values().map(|us| *us as f64 / 1000.0).collect();
        settle_ms.sort_by(f64::total_cmp);
        let mut guild_ms: Vec<f64> = Vec::new();
        let mut guild_ms_by_kind: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (kind, us) in bots.iter().flat_map(|bot| &bot.guild.stats.answer_us) {
            let ms = *us as f64 / 1000.0;
            guild_ms.push(ms);
            guild_ms_by_kind
                .entry((*kind).to_owned())
                .or_default()
                .push(ms);
        }
        guild_ms.sort_by(f64::total_cmp);
        let guild_answer_ms_p99_by_kind = guild_ms_by_kind
            .into_iter()
            .filter_map(|(kind, mut ms)| {
                ms.sort_by(f64::total_cmp);
                Some((kind, percentile(&ms, 0.99)?))
            })
            .collect();
        Self {
            started_unix_ms,
            bots: bots.len() as u64,
            connected: count(|bot| bot.stats.connected),
            failed_connects: count(|bot| !bot.stats.connected),
            disconnects: count(|bot| bot.stats.disconnected),
            disconnect_reasons,
            kicked: count(|bot| bot.stats.kicked),
            matches_played: sum(|bot| bot.stats.matches_played),
            matches_completed: sum(|bot| bot.stats.matches_completed),
            redirects: sum(|bot| bot.stats.redirects),
            queue_timeouts: sum(|bot| bot.stats.queue_timeouts),
            fallbacks: sum(|bot| bot.stats.fallbacks),
            inputs_sent: sum(|bot| bot.stats.inputs_sent),
            snapshots_received: sum(|bot| bot.stats.snapshots_received),
            shots_sent: sum(|bot| bot.stats.shots_sent),
            shots_hit: sum(|bot| bot.stats.shots_hit),
            shots_rejected: sum(|bot| bot.stats.shots_rejected),
            behaviors,
            rtt_ms_p50: percentile(&rtts, 0.50),
            rtt_ms_p99: percentile(&rtts, 0.99),
            trades_settled: settle_us.len() as u64,
            trade_settle_ms_p50: percentile(&settle_ms, 0.50),
            trade_settle_ms_p99: percentile(&settle_ms, 0.99),
            guild_answer_ms_p50: percentile(&guild_ms, 0.50),
            guild_answer_ms_p99: percentile(&guild_ms, 0.99),
            guild_answer_ms_mean: mean(&guild_ms),
            guild_answer_ms_p99_by_kind,
        }
    }
}

/// The average of the samples, for the figures a design quotes as averages.
fn mean(samples: &[f64]) -> Option<f64> {
    (!samples.is_empty()).then(|| samples.iter().sum::<f64>() / samples.len() as f64)
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
    use super::{mean, percentile};

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.50), Some(50.0));
        assert_eq!(percentile(&samples, 0.99), Some(99.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn the_mean_is_the_average_and_none_without_samples() {
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
    }
}
