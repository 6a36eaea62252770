//! Guild metrics: operations by kind and result, chat lines sent and dropped. (The join latency
//! is recorded where joins are carried out.)

use crate::telemetry::metrics::{GUILD_CHAT_MESSAGES_TOTAL, GUILD_OPERATIONS_TOTAL};
use arbiter_components::guild::GuildRefusal;
use arbiter_systems::guild::{GuildApplied, GuildNews, GuildRefused, GuildTransferred};
use bevy_ecs::message::MessageReader;

pub(super) fn record_guilds(
    mut applied: MessageReader<GuildApplied>,
    mut joined: MessageReader<GuildTransferred>,
    mut refused: MessageReader<GuildRefused>,
    mut news: MessageReader<GuildNews>,
) {
    let done = applied
        .read()
        .map(|applied| applied.event.kind())
        .chain(joined.read().map(|joined| joined.event.kind()));
    for kind in done {
        metrics::counter!(GUILD_OPERATIONS_TOTAL, "kind" => kind, "result" => "ok").increment(1);
    }
    let said = news
        .read()
        .filter(|news| matches!(news, GuildNews::Chat { .. }))
        .count();
    metrics::counter!(GUILD_CHAT_MESSAGES_TOTAL, "result" => "sent").increment(said as u64);
    for refusal in refused.read() {
        let reason = refusal.reason.as_str();
        metrics::counter!(GUILD_OPERATIONS_TOTAL, "kind" => refusal.request.kind(), "result" => reason)
            .increment(1);
        if matches!(
            refusal.reason,
            GuildRefusal::ChatTooLong | GuildRefusal::ChatTooFast
        ) {
            metrics::counter!(GUILD_CHAT_MESSAGES_TOTAL, "result" => reason).increment(1);
        }
    }
}
