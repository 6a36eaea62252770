//! Metric names, and the process-wide Prometheus recorder `/metrics` renders.

use arbiter_components::protocol::KickReason;
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

pub const TICKS_TOTAL: &str = "arbiter_ticks_total";
pub const TICK_RATE_HZ: &str = "arbiter_tick_rate_hz";
pub const TICK_THREAD_NICE: &str = "arbiter_tick_thread_nice";
pub const TICK_THREAD_REALTIME: &str = "arbiter_tick_thread_realtime";
pub const TICK_DURATION_SECONDS: &str = "arbiter_tick_duration_seconds";
pub const TICK_OVERRUNS_TOTAL: &str = "arbiter_tick_overruns_total";
pub const TICKS_DROPPED_TOTAL: &str = "arbiter_ticks_dropped_total";
pub const CONFIG_RELOADS_TOTAL: &str = "arbiter_config_reloads_total";
pub const CONFIG_VERSION: &str = "arbiter_config_version";
pub const CONNECTED_CLIENTS: &str = "arbiter_connected_clients";
pub const CONNECTIONS_TOTAL: &str = "arbiter_connections_total";
pub const WELCOMES_TOTAL: &str = "arbiter_welcomes_total";
pub const PACKETS_RECEIVED_TOTAL: &str = "arbiter_packets_received_total";
pub const BYTES_RECEIVED_TOTAL: &str = "arbiter_bytes_received_total";
pub const BYTES_SENT_TOTAL: &str = "arbiter_bytes_sent_total";
pub const PACKETS_SENT_TOTAL: &str = "arbiter_packets_sent_total";
pub const PACKETS_SEND_FAILED_TOTAL: &str = "arbiter_packets_send_failed_total";
pub const PACKETS_REFUSED_TOTAL: &str = "arbiter_packets_refused_total";
pub const RECEIVE_BUDGET_EXHAUSTED_TOTAL: &str = "arbiter_receive_budget_exhausted_total";
pub const MESSAGES_DROPPED_TOTAL: &str = "arbiter_messages_dropped_total";
pub const SNAPSHOTS_SENT_TOTAL: &str = "arbiter_snapshots_sent_total";
pub const SNAPSHOT_BYTES_TOTAL: &str = "arbiter_snapshot_bytes_total";
pub const KICKS_TOTAL: &str = "arbiter_kicks_total";
pub const SPEED_HACK_SIGNALS_TOTAL: &str = "arbiter_speed_hack_signals_total";
pub const TICKETS_WAITING: &str = "arbiter_tickets_waiting";
pub const MATCHES_FORMED_TOTAL: &str = "arbiter_matches_formed_total";
pub const QUEUE_TIMEOUTS_TOTAL: &str = "arbiter_queue_timeouts_total";
pub const QUEUE_WAIT_SECONDS: &str = "arbiter_queue_wait_seconds";
pub const MATCH_RATING_SPAN: &str = "arbiter_match_rating_span";
pub const PARTY_TICKETS_WAITING: &str = "arbiter_party_tickets_waiting";
pub const MATCH_TICKET_SEATS: &str = "arbiter_match_ticket_seats";
pub const PARTIES: &str = "arbiter_parties";
pub const SHOTS_TOTAL: &str = "arbiter_shots_total";
pub const ANTICHEAT_ACTIONS_TOTAL: &str = "arbiter_anticheat_actions_total";
pub const VALIDATION_DURATION_SECONDS: &str = "arbiter_validation_duration_seconds";
pub const MATCHES_ACTIVE: &str = "arbiter_matches_active";
pub const MATCHES_COMPLETED_TOTAL: &str = "arbiter_matches_completed_total";
pub const KILLS_TOTAL: &str = "arbiter_kills_total";
pub const PERSIST_FLUSH_DURATION_SECONDS: &str = "arbiter_persist_flush_duration_seconds";
pub const PERSIST_ROWS_TOTAL: &str = "arbiter_persist_rows_total";
pub const PERSIST_PENDING_PLAYERS: &str = "arbiter_persist_pending_players";
pub const PERSIST_FAILURES_TOTAL: &str = "arbiter_persist_failures_total";
pub const PERSIST_STATEMENTS_TOTAL: &str = "arbiter_persist_statements_total";
pub const PERSIST_LOADS_TOTAL: &str = "arbiter_persist_loads_total";
pub const PERSIST_BACKPRESSURE_TOTAL: &str = "arbiter_persist_backpressure_total";
pub const PERSIST_PART_ERRORS_TOTAL: &str = "arbiter_persist_part_errors_total";
pub const PERSIST_OBJECT_LOADS_TOTAL: &str = "arbiter_persist_object_loads_total";
pub const ECONOMY_ITEMS_TOTAL: &str = "arbiter_economy_items_total";
pub const ECONOMY_CURRENCY_CREATED_TOTAL: &str = "arbiter_economy_currency_created_total";
pub const ECONOMY_CURRENCY_DESTROYED_TOTAL: &str = "arbiter_economy_currency_destroyed_total";
pub const ECONOMY_REFUSALS_TOTAL: &str = "arbiter_economy_refusals_total";
pub const ECONOMY_RELOADS_TOTAL: &str = "arbiter_economy_reloads_total";
pub const ECONOMY_GRANTS_TOTAL: &str = "arbiter_economy_grants_total";
pub const ECONOMY_GRANTS_SKIPPED_TOTAL: &str = "arbiter_economy_grants_skipped_total";
pub const TRADES_OPENED_TOTAL: &str = "arbiter_trades_opened_total";
pub const TRADES_TOTAL: &str = "arbiter_trades_total";
pub const TRADE_REFUSALS_TOTAL: &str = "arbiter_trade_refusals_total";
pub const TRADES_IN_DOUBT: &str = "arbiter_trades_in_doubt";
pub const TRADE_SETTLE_SECONDS: &str = "arbiter_trade_settle_seconds";
pub const GUILD_OPERATIONS_TOTAL: &str = "arbiter_guild_operations_total";
pub const GUILD_CHAT_MESSAGES_TOTAL: &str = "arbiter_guild_chat_messages_total";
pub const GUILD_TRANSFER_SECONDS: &str = "arbiter_guild_transfer_seconds";
pub const QUERY_DURATION_SECONDS: &str = "arbiter_query_duration_seconds";
pub const HTTP_THROTTLED_TOTAL: &str = "arbiter_http_throttled_total";
pub const CACHE_REQUESTS_TOTAL: &str = "arbiter_cache_requests_total";
pub const REDIS_UP: &str = "arbiter_redis_up";
pub const OUTBOX_PENDING: &str = "arbiter_outbox_pending";
pub const RESIDENT_BYTES: &str = "arbiter_resident_bytes";
pub const HEAP_RELEASE_SECONDS: &str = "arbiter_heap_release_seconds";
pub const WORLD_ENTITIES: &str = "arbiter_world_entities";
pub const WORLD_ARCHETYPES: &str = "arbiter_world_archetypes";
pub const WORLD_TABLES: &str = "arbiter_world_tables";
pub const WORLD_TABLE_ROWS_RESERVED: &str = "arbiter_world_table_rows_reserved";
pub const FLEET_PLACEMENT_SECONDS: &str = "arbiter_fleet_placement_seconds";
pub const FLEET_PLACEMENTS_TOTAL: &str = "arbiter_fleet_placements_total";
pub const FLEET_CLAIMS_LOST_TOTAL: &str = "arbiter_fleet_claims_lost_total";
pub const FLEET_LEADING: &str = "arbiter_fleet_leading";
pub const FLEET_DRAINING: &str = "arbiter_fleet_draining";

/// Histogram buckets for tick durations: 50 µs up to 100 ms, dense around a 60–128 Hz budget.
const TICK_DURATION_BUCKETS: [f64; 14] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.003, 0.004, 0.005, 0.008, 0.016, 0.033,
    0.05, 0.1,
];

/// Database flushes: 1 ms to 30 s (a 100 k-player batch, a retry against a slow shard).
const FLUSH_DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0,
];

/// Queue waits: 100 ms to 5 minutes.
const QUEUE_WAIT_BUCKETS: [f64; 12] = [
    0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0,
];

/// Players per ticket in a formed match: 1 for a solo player, else the party's size.
const TICKET_SEATS_BUCKETS: [f64; 9] = [1.0, 2.0, 3.0, 4.0, 5.0, 8.0, 16.0, 32.0, 64.0];
/// Rating spans within a match, in rating points.
const RATING_SPAN_BUCKETS: [f64; 10] = [
    0.0, 25.0, 50.0, 100.0, 200.0, 300.0, 500.0, 750.0, 1000.0, 2000.0,
];

/// The Prometheus handle, installing the global recorder on first use.
///
/// The recorder is process-wide (the `metrics` facade has one global), so every server app in the
/// process shares it; if another recorder was installed first, ours renders nothing and says so.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [
            (TICK_DURATION_SECONDS, &TICK_DURATION_BUCKETS[..]),
            (QUEUE_WAIT_SECONDS, &QUEUE_WAIT_BUCKETS[..]),
            (MATCH_RATING_SPAN, &RATING_SPAN_BUCKETS[..]),
            (MATCH_TICKET_SEATS, &TICKET_SEATS_BUCKETS[..]),
            (VALIDATION_DURATION_SECONDS, &TICK_DURATION_BUCKETS[..]),
            (PERSIST_FLUSH_DURATION_SECONDS, &FLUSH_DURATION_BUCKETS[..]),
            (QUERY_DURATION_SECONDS, &TICK_DURATION_BUCKETS[..]),
            (HEAP_RELEASE_SECONDS, &TICK_DURATION_BUCKETS[..]),
            (FLEET_PLACEMENT_SECONDS, &TICK_DURATION_BUCKETS[..]),
        ];
        let builder =
            buckets
                .into_iter()
                .fold(PrometheusBuilder::new(), |builder, (name, buckets)| {
                    builder
                        .set_buckets_for_metric(Matcher::Full(name.into()), buckets)
                        .unwrap_or_else(|_| unreachable!("every bucket list is non-empty"))
                });
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_histogram!(
        FLEET_PLACEMENT_SECONDS,
        Unit::Seconds,
        "From a match formed on a fleet's matchmaker to every player's connect token queued for sending."
    );
    describe_counter!(
        FLEET_PLACEMENTS_TOTAL,
        "Matches a fleet's matchmaker formed, by result: placed on a game server, or not placed (no room, players held elsewhere, not leading)."
    );
    describe_counter!(
        FLEET_CLAIMS_LOST_TOTAL,
        "Players a fleet's game server found no longer claimed for their match (their claim lapsed): let go without writing for them."
    );
    describe_gauge!(
        FLEET_LEADING,
        "1 while this matchmaker leads its fleet (places matches, admits clients), 0 otherwise."
    );
    describe_gauge!(
        FLEET_DRAINING,
        "While a game server drains before stopping: what its stop still waits for (matches running or gathering, players connected); 0 when it may stop."
    );
    describe_counter!(TICKS_TOTAL, "Ticks run since start.");
    describe_gauge!(TICK_RATE_HZ, "Configured simulation ticks per second.");
    describe_gauge!(
        TICK_THREAD_NICE,
        "The tick thread's nice value (lower runs first), after server.tick_priority_boost."
    );
    describe_gauge!(
        TICK_THREAD_REALTIME,
        "1 while the tick's thread is scheduled real-time (server.tick_realtime), else 0."
    );
    describe_histogram!(
        TICK_DURATION_SECONDS,
        Unit::Seconds,
        "Wall-clock time spent running one tick (all phases)."
    );
    describe_counter!(
        TICK_OVERRUNS_TOTAL,
        "Ticks that took longer than one tick period."
    );
    describe_counter!(
        TICKS_DROPPED_TOTAL,
        "Ticks skipped because the server fell behind by more than server.max_catch_up_ms."
    );
    describe_counter!(
        CONFIG_RELOADS_TOTAL,
        "Config file reloads, by result (ok: applied, error: refused)."
    );
    describe_gauge!(
        CONFIG_VERSION,
        "Version of the running config: 1 at start, +1 per applied reload."
    );
    describe_gauge!(CONNECTED_CLIENTS, "Game clients connected now.");
    describe_counter!(
        CONNECTIONS_TOTAL,
        "Accepted connections, by result (new: new player, resumed: within the grace period, replaced: kicked an older connection of the same player)."
    );
    describe_counter!(
        WELCOMES_TOTAL,
        "Connected players welcomed (their progress loaded); behind arbiter_connections_total while loads wait."
    );
    describe_counter!(
        PACKETS_RECEIVED_TOTAL,
        "UDP datagrams read from the game socket."
    );
    describe_counter!(
        PACKETS_SENT_TOTAL,
        "UDP datagrams sent on the game socket (one per client per tick in steady play)."
    );
    describe_counter!(
        PACKETS_SEND_FAILED_TOTAL,
        "Datagrams the kernel refused to send (a full socket send buffer, an unreachable client); each is lost, as on a lossy network."
    );
    describe_counter!(
        PACKETS_REFUSED_TOTAL,
        "Datagrams the netcode layer ignored, by reason (too_small, unknown_type, sequence_bytes, wrong_protocol, expired, unauthentic, body_size, replayed, not_for_this_server, already_connected, token_reused, full, too_many_handshakes, unexpected, unknown_address, malformed_bundle)."
    );
    describe_counter!(
        BYTES_RECEIVED_TOTAL,
        Unit::Bytes,
        "Bytes read from the game socket."
    );
    describe_counter!(
        BYTES_SENT_TOTAL,
        Unit::Bytes,
        "Bytes sent on the game socket."
    );
    describe_counter!(
        RECEIVE_BUDGET_EXHAUSTED_TOTAL,
        "Ticks that stopped reading the socket at net.max_packets_per_tick (the rest waits for the next tick)."
    );
    describe_counter!(
        MESSAGES_DROPPED_TOTAL,
        "Client messages dropped, by reason (rate_limited, oversized, malformed, wrong_channel, input_too_old, input_too_far_ahead, send_budget)."
    );
    describe_counter!(
        SNAPSHOTS_SENT_TOTAL,
        "Snapshots queued to clients, by kind (delta: against a snapshot the client acknowledged; full)."
    );
    describe_counter!(
        SNAPSHOT_BYTES_TOTAL,
        Unit::Bytes,
        "Bytes of the snapshot messages queued to clients (before renet and netcode framing)."
    );
    describe_counter!(KICKS_TOTAL, "Clients kicked, by reason.");
    describe_counter!(
        ECONOMY_ITEMS_TOTAL,
        "Item units moved, by movement (granted, bought, used, discarded) and item."
    );
    describe_counter!(
        ECONOMY_CURRENCY_CREATED_TOTAL,
        "Currency paid into wallets (starter kits, match pay, grants), by currency."
    );
    describe_counter!(
        ECONOMY_CURRENCY_DESTROYED_TOTAL,
        "Currency taken from wallets (purchases), by currency."
    );
    describe_counter!(
        ECONOMY_REFUSALS_TOTAL,
        "Item requests refused, by reason (not_owned, insufficient_funds, inventory_full, ...)."
    );
    describe_counter!(
        ECONOMY_RELOADS_TOTAL,
        "Reloads of items.toml, shop.toml and rewards.toml, by result (ok, refused)."
    );
    describe_counter!(
        ECONOMY_GRANTS_TOTAL,
        "Operator grants (arbiter grant) reaching the tick, by result (applied, duplicate, refused)."
    );
    describe_counter!(
        ECONOMY_GRANTS_SKIPPED_TOTAL,
        "Rewards not given because they did not fit, by reason."
    );
    describe_counter!(TRADES_OPENED_TOTAL, "Trades opened (invitations sent).");
    describe_gauge!(
        TRADES_IN_DOUBT,
        "Settled trades with a side not yet stored (a crash now leaves them to the roll-forward)."
    );
    describe_counter!(
        TRADES_TOTAL,
        "Trades ended, by result (settled, cancelled) and, for cancelled ones, reason."
    );
    describe_counter!(
        TRADE_REFUSALS_TOTAL,
        "Trade requests refused, by reason (stale_version, busy, offered_in_trade, ...)."
    );
    describe_histogram!(
        TRADE_SETTLE_SECONDS,
        Unit::Seconds,
        "From both sides' last accept to the settlement, including the wait for their earlier changes to be stored."
    );
    describe_counter!(
        GUILD_OPERATIONS_TOTAL,
        "Guild operations by kind (founded, joined, kicked, chat, ...) and result (ok, or the refusal's reason)."
    );
    describe_counter!(
        GUILD_CHAT_MESSAGES_TOTAL,
        "Guild chat lines, by result (sent; too_long, too_fast: dropped)."
    );
    describe_histogram!(
        GUILD_TRANSFER_SECONDS,
        Unit::Seconds,
        "From a founding, join, deposit or withdrawal being asked for to it being carried out on both sides, including the wait for their earlier changes to be stored."
    );
    describe_counter!(
        SPEED_HACK_SIGNALS_TOTAL,
        "One-second windows in which a client sent inputs for more ticks than elapsed."
    );
    describe_gauge!(TICKETS_WAITING, "Matchmaking tickets waiting now.");
    describe_counter!(MATCHES_FORMED_TOTAL, "Matches formed.");
    describe_counter!(
        QUEUE_TIMEOUTS_TOTAL,
        "Tickets removed after waiting matchmaking.timeout_secs."
    );
    describe_histogram!(
        QUEUE_WAIT_SECONDS,
        Unit::Seconds,
        "Time tickets waited, until matched or timed out."
    );
    describe_histogram!(
        MATCH_RATING_SPAN,
        "Highest minus lowest rating within a formed match."
    );
    describe_gauge!(
        PARTY_TICKETS_WAITING,
        "Matchmaking tickets of parties (two or more players) waiting now."
    );
    describe_histogram!(
        MATCH_TICKET_SEATS,
        "Players per ticket in formed matches: 1 for a solo player, else the party's size."
    );
    describe_gauge!(PARTIES, "Parties in the server now.");
    describe_counter!(
        SHOTS_TOTAL,
        "Shots judged, by verdict (hit, miss, too_fast, out_of_range, no_line_of_sight, bad_tick, not_in_match, dead, unknown_weapon)."
    );
    describe_counter!(
        ANTICHEAT_ACTIONS_TOTAL,
        "Anti-cheat actions by action (warn, flag, kick), taken when a suspicion score crosses its threshold."
    );
    describe_histogram!(
        VALIDATION_DURATION_SECONDS,
        Unit::Seconds,
        "Time the Shots phase took in ticks with shots."
    );
    describe_gauge!(MATCHES_ACTIVE, "Matches running now, in warm-up or live.");
    describe_counter!(
        MATCHES_COMPLETED_TOTAL,
        "Matches decided, by result (win, draw)."
    );
    describe_counter!(
        KILLS_TOTAL,
        "Players killed, by whether the kill counted (live) or not (warm-up)."
    );
    describe_histogram!(
        PERSIST_FLUSH_DURATION_SECONDS,
        Unit::Seconds,
        "Time one shard's write-behind transaction took, failed ones included."
    );
    describe_counter!(
        PERSIST_ROWS_TOTAL,
        "Rows written by committed flushes, by table (players, player_events, player_snapshots, objects, object_events, object_snapshots)."
    );
    describe_gauge!(
        PERSIST_PENDING_PLAYERS,
        "Players and stored objects whose changes are waiting for the database (in flight or retrying)."
    );
    describe_counter!(
        PERSIST_FAILURES_TOTAL,
        "Failed database operations (flushes and loads), by shard; the work is retried."
    );
    describe_counter!(
        PERSIST_STATEMENTS_TOTAL,
        "Data statements (inserts, upserts) issued by committed flushes."
    );
    describe_counter!(
        PERSIST_LOADS_TOTAL,
        "Players loaded at login, by result (stored, new)."
    );
    describe_counter!(
        PERSIST_BACKPRESSURE_TOTAL,
        "Logins refused because persistence.max_pending_players changes were waiting."
    );
    describe_counter!(
        PERSIST_PART_ERRORS_TOTAL,
        "Feature parts that did not serialize for a snapshot, by part (no snapshot was taken; their rows were written)."
    );
    describe_counter!(
        PERSIST_OBJECT_LOADS_TOTAL,
        "Stored objects (guilds, trades) loaded into the world, by kind and result (stored, new, unknown_kind)."
    );
    describe_histogram!(
        QUERY_DURATION_SECONDS,
        Unit::Seconds,
        "Time the query API took per request, by route."
    );
    describe_counter!(
        HTTP_THROTTLED_TOTAL,
        "HTTP requests refused with 429 because their address exceeded its rate limit."
    );
    describe_counter!(
        CACHE_REQUESTS_TOTAL,
        "Profile cache lookups, by result (hit, miss, error: the cache could not answer)."
    );
    describe_gauge!(
        OUTBOX_PENDING,
        "Committed player events not yet relayed to the Redis stream player-events."
    );
    describe_gauge!(
        REDIS_UP,
        "1 if the last Redis call succeeded, 0 if it failed (the read side fell back)."
    );
    describe_gauge!(
        RESIDENT_BYTES,
        Unit::Bytes,
        "The process's resident memory by kind: anonymous (heap, stacks) or file (program, libraries), at the last release of free memory."
    );
    describe_histogram!(
        HEAP_RELEASE_SECONDS,
        Unit::Seconds,
        "Time one release of the allocator's free pages took (off the tick's thread)."
    );
    describe_gauge!(
        WORLD_ENTITIES,
        "Entities in the ECS world (players, matches, trades, guilds…), at the last release."
    );
    describe_gauge!(
        WORLD_ARCHETYPES,
        "Distinct component sets in the ECS world, at the last release."
    );
    describe_gauge!(
        WORLD_TABLES,
        "ECS tables (one per set of table-stored components), at the last release."
    );
    describe_gauge!(
        WORLD_TABLE_ROWS_RESERVED,
        "Rows the ECS tables keep room for (each the most it ever held), at the last release."
    );
    // These exist from the start, so a dashboard or an alert (deploy/) sees 0 rather than no
    // series.
    for result in ["ok", "error"] {
        metrics::counter!(CONFIG_RELOADS_TOTAL, "result" => result).increment(0);
    }
    for reason in KickReason::NAMES {
        metrics::counter!(KICKS_TOTAL, "reason" => reason).increment(0);
    }
    for counter in [TICK_OVERRUNS_TOTAL, TICKS_DROPPED_TOTAL] {
        metrics::counter!(counter).increment(0);
    }
    metrics::counter!(TRADES_TOTAL, "result" => "settled", "reason" => "").increment(0);
    for result in ["sent", "chat_too_long", "chat_too_fast"] {
        metrics::counter!(GUILD_CHAT_MESSAGES_TOTAL, "result" => result).increment(0);
    }
}
