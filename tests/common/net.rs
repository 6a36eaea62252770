//! A real server app and real clients in one process, over real UDP on 127.0.0.1, stepped by hand:
//! each step is one server tick and one client frame of the same length. The server has the shipped
//! maps and weapons, as `cargo run` does.

use arbiter::ServerPlugins;
use arbiter::config::{ConfigSource, LoadedConfig};
use arbiter::maps::shipped_maps;
use arbiter::net::{GameServer, Sessions, TokenIssuer};
use arbiter::runtime::AsyncRuntime;
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter::weapons::{WEAPONS_FILE, load_weapons};
use arbiter_client::ArbiterClient;
use arbiter_components::protocol::ServerMessage;
use bevy_app::App;
use renetcode::ConnectToken;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

pub(crate) const TICK: Duration = Duration::from_micros(16_667);

pub(crate) struct TestServer {
    pub(crate) app: App,
    pub(crate) addr: SocketAddr,
    pub(crate) data_dir: tempfile::TempDir,
}

/// A config for tests: loopback, a free port, a private data directory, 60 Hz.
pub(crate) fn test_config(data_dir: &tempfile::TempDir) -> ServerConfig {
    let mut config = ServerConfig::default();
    config.server.bind = "127.0.0.1:0".parse().expect("literal address");
    config.server.data_dir = data_dir.path().display().to_string();
    config
}

impl TestServer {
    pub(crate) fn start() -> Self {
        Self::start_with(|_| {})
    }

    pub(crate) fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::build(adjust, false)
    }

    /// With persistence on its embedded default: one SQLite file in the data directory.
    pub(crate) fn start_persistent(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::build(adjust, true)
    }

    fn build(adjust: impl FnOnce(&mut ServerConfig), persistent: bool) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(&data_dir);
        adjust(&mut config);
        let mut app = App::new();
        let store = persistent.then(|| {
            let runtime = AsyncRuntime::start();
            let store = open_store(&config, &runtime).expect("the embedded store opens");
            app.insert_resource(runtime);
            store
        });
        let plugins = ServerPlugins::new(LoadedConfig {
            config,
            source: ConfigSource::Embedded,
        })
        .with_maps(shipped_maps().expect("shipped maps load"))
        .expect("the configured maps exist")
        .with_weapons(load_weapons(Path::new(WEAPONS_FILE)).expect("weapons load"))
        .with_network()
        .expect("network binds");
        app.add_plugins(match store {
            Some(store) => plugins.with_persistence(store),
            None => plugins,
        });
        app.finish();
        app.cleanup();
        let addr = app
            .world()
            .resource::<GameServer>()
            .local_addr()
            .expect("bound address");
        Self {
            app,
            addr,
            data_dir,
        }
    }

    pub(crate) fn token(&self, player_id: u64) -> ConnectToken {
        self.issuer().issue(player_id).expect("token")
    }

    pub(crate) fn issuer(&self) -> TokenIssuer {
        self.app.world().resource::<TokenIssuer>().clone()
    }

    pub(crate) fn connected(&self) -> usize {
        self.app.world().resource::<Sessions>().connected()
    }

    /// One server tick, then one frame for every client (read, send).
    pub(crate) fn step(&mut self, clients: &mut [ArbiterClient]) {
        self.app.update();
        for client in clients.iter_mut() {
            let _ = client.update(TICK);
            let _ = client.flush();
        }
    }

    /// Steps until `done` holds, at most `max_steps` times; returns whether it held.
    pub(crate) fn step_until(
        &mut self,
        clients: &mut [ArbiterClient],
        max_steps: usize,
        mut done: impl FnMut(&Self, &[ArbiterClient]) -> bool,
    ) -> bool {
        for _ in 0..max_steps {
            if done(self, clients) {
                return true;
            }
            self.step(clients);
            // Loopback is fast but not instant; give the kernel a moment between steps.
            std::thread::sleep(Duration::from_micros(200));
        }
        done(self, clients)
    }
}

/// Drains a client's received messages.
pub(crate) fn drain(client: &mut ArbiterClient) -> Vec<ServerMessage> {
    client.receive().collect()
}
