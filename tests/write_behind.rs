//! Write-behind in the server app, against real databases: players load at login, their changes are
//! coalesced into one upsert per flush, the tick goes on while a big flush is in flight, and an
//! outage in the middle of play loses nothing and stores nothing twice.

use arbiter::economy::EconomyData;
use arbiter::persistence::{
    MatchOutcome, PersistStats, PersistenceLink, PlayerEvent, Progress, Store, verify_players,
};
use arbiter::runtime::AsyncRuntime;
use arbiter::settings::{PersistenceSettings, ServerConfig};
use arbiter::store_commands::open_store;
use arbiter_components::combat::Weapons;
use arbiter_components::messages::KickRequest;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::KickReason;
use arbiter_components::rewards::Rewards;
use arbiter_testing::databases::{PostgresDatabases, sqlite_shards};
use arbiter_testing::persisted_app::persisted_app_with;
use arbiter_testing::proxy::FlakyProxy;
use bevy_app::App;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use bevy_ecs::world::World;
use std::time::{Duration, Instant};

/// A server app without network, with persistence on `shards`, stepped by hand.
struct PersistedServer {
    app: App,
    runtime: AsyncRuntime,
    store: Store,
}

impl PersistedServer {
    fn start(shards: Vec<String>, flush_interval_secs: u32) -> Self {
        let mut config = ServerConfig::default();
        config.persistence.shards = shards;
        config.persistence.flush_interval_secs = flush_interval_secs;
        let store = open_store(&config).expect("the store opens and migrates");
        // No starter kit: these tests count the match results' events alone.
        let economy = EconomyData {
            rewards: Rewards::default(),
            ..EconomyData::for_weapons(&Weapons::default())
        };
        let app = persisted_app_with(config, &store, false, |plugins| {
            plugins.with_economy(economy)
        });
        let runtime = app.world().resource::<AsyncRuntime>().clone();
        Self {
            app,
            runtime,
            store,
        }
    }

    fn world(&mut self) -> &mut World {
        self.app.world_mut()
    }

    /// Ticks (about 1 ms apart) until `done`; panics after `timeout`. Returns the ticks it took.
    fn tick_until(&mut self, what: &str, timeout: Duration, done: impl Fn(&World) -> bool) -> u64 {
        let deadline = Instant::now() + timeout;
        let mut ticks = 0;
        while !done(self.app.world()) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            self.app.update();
            ticks += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        ticks
    }

    /// Ticks (about 1 ms apart) for `duration`.
    fn tick_for(&mut self, duration: Duration) {
        let end = Instant::now() + duration;
        while Instant::now() < end {
            self.app.update();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Connects players `ids` as the network would, and waits until each has its progress.
    fn log_in(&mut self, ids: impl IntoIterator<Item = u64>) -> Vec<Entity> {
        let players: Vec<Entity> = ids
            .into_iter()
            .map(|id| self.world().spawn(PlayerId(id)).id())
            .collect();
        let waiting = players.clone();
        self.tick_until("players to load", Duration::from_secs(20), move |world| {
            waiting
                .iter()
                .all(|player| world.get::<Progress>(*player).is_some())
        });
        players
    }

    fn play(&mut self, player: Entity, match_id: u64) {
        let mut progress = self
            .world()
            .get_mut::<Progress>(player)
            .expect("a loaded player");
        let rating = progress.record().rating + 1.0;
        progress.record_event(
            PlayerEvent::MatchPlayed {
                match_id,
                outcome: MatchOutcome::Win,
                kills: 3,
                deaths: 1,
                rating,
                uncertainty: 400.0,
            },
            1_800_000_000_000 + match_id as i64,
        );
    }

    fn all_durable(players: &[Entity]) -> impl Fn(&World) -> bool + '_ {
        move |world| {
            players.iter().all(|player| {
                world
                    .get::<Progress>(*player)
                    .is_some_and(Progress::is_durable)
            })
        }
    }

    fn stats(&self) -> PersistStats {
        *self.app.world().resource::<PersistStats>()
    }

    fn set_flush_interval(&mut self, secs: u32) {
        self.world()
            .resource_mut::<PersistenceSettings>()
            .flush_interval_secs = secs;
    }

    /// Every player's stored row equals its state in the world, its events are stored once each
    /// with no gap, and its history replays to its row.
    fn assert_stored_exactly(&mut self, players: &[Entity]) {
        let records: Vec<_> = players
            .iter()
            .map(|player| {
                self.world()
                    .get::<Progress>(*player)
                    .expect("progress")
                    .record()
                    .clone()
            })
            .collect();
        let store = self.store.clone();
        self.runtime.block_on(async {
            for record in &records {
                let history = store.history(record.id).await.expect("history");
                assert_eq!(history.row.as_ref(), Some(record));
                let first = history.snapshot.as_ref().map_or(0, |s| s.version) + 1;
                let seqs: Vec<u64> = history.events.iter().map(|event| event.seq).collect();
                assert_eq!(seqs, (first..=record.version).collect::<Vec<_>>());
            }
            let ids: Vec<u64> = records.iter().map(|record| record.id).collect();
            let mismatches = verify_players(&store, &ids).await.expect("verify");
            assert!(mismatches.is_empty(), "{mismatches:?}");
        });
    }
}

#[test]
fn a_new_player_is_registered_and_a_thousand_changes_in_one_interval_are_one_upsert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = PersistedServer::start(sqlite_shards(&dir, 2), 3600);
    let players = server.log_in([41]);
    let player = players[0];
    assert_eq!(
        server
            .world()
            .get::<Progress>(player)
            .map(|p| p.record().name.clone()),
        Some("player-41".into())
    );
    for match_id in 1..=1000 {
        server.play(player, match_id);
        server.app.update();
    }
    assert_eq!(
        server.stats(),
        PersistStats::default(),
        "nothing written within the interval"
    );

    server.set_flush_interval(1);
    server.tick_until(
        "the flush",
        Duration::from_secs(20),
        PersistedServer::all_durable(&players),
    );
    let stats = server.stats();
    assert_eq!(stats.transactions, 1);
    assert_eq!(stats.player_rows, 1, "one upsert for 1,001 changes");
    assert_eq!(stats.event_rows, 1001, "every event once");
    assert_eq!(
        stats.snapshot_rows, 1,
        "100+ events since the last snapshot"
    );
    assert_eq!(
        stats.statements, 3,
        "one statement each for the events, the snapshot and the upsert"
    );
    server.assert_stored_exactly(&players);

    // Logging in again loads the stored state.
    let mut again = PersistedServer::start(sqlite_shards(&dir, 2), 3600);
    let reloaded = again.log_in([41])[0];
    let stored = server.world().get::<Progress>(player).cloned();
    let loaded = again.world().get::<Progress>(reloaded).cloned();
    assert_eq!(
        loaded.map(|p| p.record().clone()),
        stored.map(|p| p.record().clone())
    );
}

#[test]
fn ticks_go_on_while_a_flush_of_a_hundred_thousand_players_is_in_flight() {
    const PLAYERS: u64 = 100_000;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = PersistedServer::start(sqlite_shards(&dir, 1), 3600);
    let players: Vec<Entity> = (1..=PLAYERS)
        .map(|id| {
            server
                .world()
                .spawn((PlayerId(id), Progress::registered(id, format!("p{id}"), 0)))
                .id()
        })
        .collect();
    server.app.update();
    server.set_flush_interval(1);
    // The flush is handed over on the first tick that finds it due; count ticks until it commits.
    let ticks = server.tick_until(
        "the 100 k flush",
        Duration::from_secs(120),
        PersistedServer::all_durable(&players),
    );
    let stats = server.stats();
    assert_eq!(stats.player_rows, PLAYERS);
    assert_eq!(
        stats.transactions, 1,
        "handed over in slices over ten ticks, written as one transaction"
    );
    assert!(
        ticks > 10,
        "the tick kept running while the flush was in flight ({ticks} ticks)"
    );
    assert_eq!(
        server.world().resource::<PersistenceLink>().backlog(),
        0,
        "nothing left waiting"
    );
}

#[test]
fn a_database_outage_in_the_middle_of_play_loses_nothing_and_stores_nothing_twice() {
    let setup = tokio::runtime::Runtime::new().expect("runtime");
    let Some(databases) = setup.block_on(PostgresDatabases::create(1)) else {
        return;
    };
    let proxy = FlakyProxy::start("127.0.0.1:5432".parse().expect("address"));
    let through_proxy = databases.urls()[0].replace("127.0.0.1:5432", &proxy.addr.to_string());
    let mut server = PersistedServer::start(vec![through_proxy], 1);
    let players = server.log_in(1..=20);
    for player in &players {
        server.play(*player, 1);
    }
    server.tick_until(
        "the first flush",
        Duration::from_secs(20),
        PersistedServer::all_durable(&players),
    );
    let before_outage = server.stats();

    // The database goes away; play goes on and keeps changing every player.
    proxy.cut();
    for round in 2..=4 {
        for player in &players {
            server.play(*player, round);
        }
        server.tick_for(Duration::from_secs(1));
    }
    assert_eq!(
        server.stats(),
        before_outage,
        "nothing committed during the outage"
    );
    assert!(
        server.world().resource::<PersistenceLink>().backlog() >= players.len(),
        "the changes wait for the database"
    );

    // With more players waiting than the cap allows, a new login is refused rather than risking
    // more unsaved changes.
    server
        .world()
        .resource_mut::<PersistenceSettings>()
        .max_pending_players = 10;
    let refused = server.world().spawn(PlayerId(999)).id();
    server.app.update();
    let kicks = server.world().resource::<Messages<KickRequest>>();
    let mut cursor = kicks.get_cursor();
    let kicks: Vec<&KickRequest> = cursor.read(kicks).collect();
    assert_eq!(
        kicks,
        [&KickRequest {
            player: refused,
            reason: KickReason::ServerBusy
        }]
    );
    assert!(server.world().get::<Progress>(refused).is_none());

    proxy.restore();
    server.tick_until(
        "the retried flush",
        Duration::from_secs(60),
        PersistedServer::all_durable(&players),
    );
    server.assert_stored_exactly(&players);
    // Below the cap again: logins are welcome.
    server.log_in([1000]);
    drop(server);
    setup.block_on(databases.drop_all());
}
