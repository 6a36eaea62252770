//! `arbiter events tail`: follows the `player-events` stream and prints each event as one JSON line —
//! a working example of a consumer for users.

use super::outbox::STREAM;
use crate::cli::TailArgs;
use crate::config::{LoadedConfig, process_env};
use anyhow::Context;
use redis::streams::StreamReadReply;
use std::io::Write;
use std::path::Path;

/// How long one `XREAD` waits for new events before asking again.
const BLOCK_MS: u64 = 5_000;

/// Prints events until `--count` is reached (or forever).
pub fn tail(config_path: Option<&Path>, args: &TailArgs) -> anyhow::Result<()> {
    let config = LoadedConfig::load(config_path, &process_env)?.config;
    let url = config.cache.redis_url;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = redis::Client::open(url.as_str()).context("cache.redis_url")?;
        let mut connection = client
            .get_multiplexed_async_connection()
            .await
            .with_context(|| format!("cannot reach Redis at {url}"))?;
        let mut last = if args.from_start { "0" } else { "$" }.to_owned();
        let mut printed = 0;
        let mut out = std::io::stdout().lock();
        while args.count.is_none_or(|count| printed < count) {
            let reply: Option<StreamReadReply> = redis::cmd("XREAD")
                .arg("BLOCK")
                .arg(BLOCK_MS)
                .arg("COUNT")
                .arg(100)
                .arg("STREAMS")
                .arg(STREAM)
                .arg(&last)
                .query_async(&mut connection)
                .await
                .context("XREAD player-events")?;
            for entry in reply
                .into_iter()
                .flat_map(|reply| reply.keys)
                .flat_map(|key| key.ids)
            {
                let field = |name: &str| entry.get::<String>(name).unwrap_or_default();
                let payload: serde_json::Value =
                    serde_json::from_str(&field("payload")).unwrap_or_default();
                let line = serde_json::json!({
                    "stream_id": entry.id,
                    "player_id": field("player_id").parse::<u64>().ok(),
                    "seq": field("seq").parse::<u64>().ok(),
                    "type": field("type"),
                    "at_ms": field("at_ms").parse::<i64>().ok(),
                    "event": payload,
                });
                writeln!(out, "{line}")?;
                last = entry.id.clone();
                printed += 1;
                if args.count.is_some_and(|count| printed >= count) {
                    break;
                }
            }
            out.flush()?;
        }
        Ok(())
    })
}
