//! A real server app and real clients in one process, over real UDP on 127.0.0.1, stepped by hand:
//! each step is one server tick and one client frame of the same length. The server has the shipped
//! maps and weapons, as `cargo run` does, and whatever plugins the test adds.

use arbiter::ServerPlugins;
use arbiter::bevy_app::Plugins;
use arbiter::client::ArbiterClient;
use arbiter::client::netcode::ConnectToken;
use arbiter::components::protocol::ServerMessage;
use arbiter::config::{ConfigSource, LoadedConfig};
use arbiter::economy::EconomyData;
use arbiter::maps::shipped_maps;
use arbiter::net::{GameServer, Sessions, TokenIssuer};
use arbiter::prelude::App;
use arbiter::settings::ServerConfig;
use arbiter::store_commands::open_store;
use arbiter::weapons::{WEAPONS_FILE, load_weapons};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The length of one step: a tick at 60 Hz, and the client frame that goes with it.
pub const TICK: Duration = Duration::from_micros(16_667);

/// A UDP port free on loopback now, for a game server's config file.
pub fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port")
        .port()
}

/// A config for tests: loopback, a free port, the private data directory `data_dir`, 60 Hz.
pub fn test_config(data_dir: &tempfile::TempDir) -> ServerConfig {
    let mut config = ServerConfig::default();
    config.server.bind = "127.0.0.1:0".parse().expect("literal address");
    config.server.data_dir = data_dir.path().display().to_string();
    config
}

/// A running server app with its game socket bound on loopback, stepped by hand.
#[derive(Debug)]
pub struct TestServer {
    /// The server app, finished: step it with [`TestServer::step`] (or `app.update()`), look into
    /// its world.
    pub app: App,
    /// Where the game socket listens.
    pub addr: SocketAddr,
    /// The server's data directory (token key, SQLite shard), removed when the server is dropped.
    pub data_dir: tempfile::TempDir,
}

/// Adds something to the app before it is finished.
type Setup = Box<dyn FnOnce(&mut App)>;

/// Builds a [`TestServer`]: the config to adjust, persistence, and your own plugins and systems.
///
/// ```
/// use arbiter::prelude::*;
/// use arbiter_testing::net::TestServer;
///
/// let server = TestServer::builder()
///     .config(|config| config.net.reconnect_grace_secs = 1)
///     .persistent()
///     .setup(|app| {
///         app.add_systems(Startup, |mut commands: Commands| {
///             commands.spawn(Position(Vec3::ZERO));
///         });
///     })
///     .start();
/// assert_eq!(server.connected(), 0);
/// ```
pub struct TestServerBuilder {
    data_dir: tempfile::TempDir,
    config: ServerConfig,
    persistent: bool,
    setup: Vec<Setup>,
}

impl fmt::Debug for TestServerBuilder {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TestServerBuilder")
            .field("data_dir", &self.data_dir)
            .field("config", &self.config)
            .field("persistent", &self.persistent)
            .field("setup_steps", &self.setup.len())
            .finish()
    }
}

impl TestServerBuilder {
    /// Changes the config (which starts as [`test_config`]).
    pub fn config(mut self, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        adjust(&mut self.config);
        self
    }

    /// With persistence on its embedded default: one SQLite file in the data directory, opened and
    /// migrated at [`TestServerBuilder::start`].
    pub fn persistent(mut self) -> Self {
        self.persistent = true;
        self
    }

    /// Adds `plugins` after the server's own, as an embedder adds its rules.
    pub fn plugin<M>(self, plugins: impl Plugins<M> + 'static) -> Self {
        self.setup(move |app| {
            app.add_plugins(plugins);
        })
    }

    /// Runs `setup` on the app after the server's plugins (and the plugins added before it), before
    /// the app is finished: systems, resources, entities.
    pub fn setup(mut self, setup: impl FnOnce(&mut App) + 'static) -> Self {
        self.setup.push(Box::new(setup));
        self
    }

    /// Builds the app, binds its socket and finishes it.
    pub fn start(self) -> TestServer {
        let Self {
            data_dir,
            config,
            persistent,
            setup,
        } = self;
        let store =
            persistent.then(|| open_store(&config).expect("the embedded store opens and migrates"));
        let weapons = load_weapons(Path::new(WEAPONS_FILE)).expect("weapons load");
        let economy = EconomyData::load(&weapons).expect("the shipped economy loads");
        let plugins = ServerPlugins::new(LoadedConfig {
            config,
            source: ConfigSource::Embedded,
        })
        .with_maps(shipped_maps().expect("shipped maps load"))
        .expect("the configured maps exist")
        .with_weapons(weapons)
        .with_economy(economy)
        .with_network()
        .expect("network binds");
        let mut app = App::new();
        app.add_plugins(match store {
            Some(store) => plugins.with_persistence(store),
            None => plugins,
        });
        for step in setup {
            step(&mut app);
        }
        app.finish();
        app.cleanup();
        let addr = app
            .world()
            .resource::<GameServer>()
            .local_addr()
            .expect("bound address");
        TestServer {
            app,
            addr,
            data_dir,
        }
    }
}

impl TestServer {
    /// A builder, on [`test_config`] with a fresh data directory.
    pub fn builder() -> TestServerBuilder {
        let data_dir = tempfile::tempdir().expect("temp dir");
        TestServerBuilder {
            config: test_config(&data_dir),
            data_dir,
            persistent: false,
            setup: Vec::new(),
        }
    }

    /// The server on [`test_config`], without persistence.
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// The server on [`test_config`] changed by `adjust`, without persistence.
    pub fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::builder().config(adjust).start()
    }

    /// With persistence on its embedded default: one SQLite file in the data directory.
    pub fn start_persistent(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::builder().config(adjust).persistent().start()
    }

    /// A connect token for `player_id`, from the server's own issuer.
    pub fn token(&self, player_id: u64) -> ConnectToken {
        self.issuer().issue(player_id).expect("token")
    }

    /// The server's token issuer.
    pub fn issuer(&self) -> TokenIssuer {
        self.app.world().resource::<TokenIssuer>().clone()
    }

    /// A client for `player_id` that starts connecting (it is connected after a few steps).
    pub fn connect(&self, player_id: u64) -> ArbiterClient {
        ArbiterClient::connect(self.token(player_id), None).expect("client socket")
    }

    /// The entity of `player_id`, while the server holds one.
    pub fn entity_of(&self, player_id: u64) -> Option<arbiter::prelude::Entity> {
        self.app
            .world()
            .resource::<Sessions>()
            .entity_of_player(arbiter::components::player::PlayerId(player_id))
    }

    /// How many clients are connected.
    pub fn connected(&self) -> usize {
        self.app.world().resource::<Sessions>().connected()
    }

    /// One server tick, returning once its datagrams were sent: the tick hands them to the send
    /// thread, and in lockstep they leave before the clients' turn, as over a link faster than a
    /// tick (a slow or lossy link is the clients' link conditioner's).
    pub fn tick(&mut self) {
        self.app.update();
        self.app
            .world_mut()
            .resource_mut::<GameServer>()
            .wait_until_sent();
    }

    /// One server tick, then one frame for every client (read, send).
    pub fn step(&mut self, clients: &mut [ArbiterClient]) {
        self.tick();
        for client in clients.iter_mut() {
            let _ = client.update(TICK);
            let _ = client.flush();
        }
    }

    /// One step, then what each client received is added to its list in `heard`.
    pub fn step_hearing(
        &mut self,
        clients: &mut [ArbiterClient],
        heard: &mut [Vec<ServerMessage>],
    ) {
        self.step(clients);
        // Loopback is fast but not instant; give the kernel a moment between steps.
        std::thread::sleep(Duration::from_micros(200));
        for (client, heard) in clients.iter_mut().zip(heard.iter_mut()) {
            heard.extend(drain(client));
        }
    }

    /// Steps, hearing, until `done` holds for what the clients heard (at most 3,000 steps);
    /// panics naming `what` and showing what was heard otherwise.
    pub fn hear_until(
        &mut self,
        clients: &mut [ArbiterClient],
        heard: &mut [Vec<ServerMessage>],
        what: &str,
        done: impl Fn(&[Vec<ServerMessage>]) -> bool,
    ) {
        for _ in 0..3000 {
            if done(heard) {
                return;
            }
            self.step_hearing(clients, heard);
        }
        panic!("{what} never happened; heard {heard:?}");
    }

    /// Steps until `done` holds, at most `max_steps` times; returns whether it held.
    pub fn step_until(
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
pub fn drain(client: &mut ArbiterClient) -> Vec<ServerMessage> {
    client.receive().collect()
}
