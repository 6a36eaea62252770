//! # arbiter_testing
//!
//! The test harness of Arbiter's own integration tests and benches, for embedders to test their own
//! rules the same way: against the real server, real UDP on loopback and real databases, stepped
//! tick by tick. Add it as a dev-dependency next to `arbiter`.
//!
//! | module | what |
//! |---|---|
//! | [`app`] | the server app without network, stepped by hand, its config reloads fed by the test |
//! | [`net`] | [`net::TestServer`]: the server with its game socket on loopback and real clients, stepped together; your plugins added through [`net::TestServerBuilder`] |
//! | [`persisted_app`] | the server app with persistence (and the admin endpoint) on a store you opened |
//! | [`databases`] | SQLite shards in a temporary directory, fresh PostgreSQL databases |
//! | [`redis_server`] | a fresh Redis database per test |
//! | [`proxy`] | [`proxy::FlakyProxy`]: a TCP proxy that cuts a database's connections and restores them |
//! | [`http`] | a minimal HTTP/1.1 client for the admin endpoint, and Prometheus samples |
//! | [`items`] | big inventories: a catalog of materials, a stored player holding them |
//! | [`process`] | [`process::ServerProcess`]: the binary as a child process, signalled and waited for |
//! | [`tools`] | programs a test drives (a C compiler, valgrind, Mono), or a skip outside CI |
//! | [`tls`] | certificates made for a test, and the TLS side of a stand-in |
//! | [`kubernetes`] | a stand-in for the Kubernetes API's Leases, and a service account's files |
//!
//! Tests that need PostgreSQL or Redis say that they skipped when it does not answer — except under
//! `CI=true`, where a missing service is a failure.
//!
//! ## Your rule, in a real server, against a real client
//!
//! ```
//! use arbiter::prelude::*;
//! use arbiter_testing::net::TestServer;
//!
//! /// The rule under test: counts the fixed steps in which someone was connected.
//! #[derive(Resource, Default)]
//! struct BusySteps(u32);
//!
//! fn count_busy_steps(sessions: Query<&Session>, mut busy: ResMut<BusySteps>) {
//!     if !sessions.is_empty() {
//!         busy.0 += 1;
//!     }
//! }
//!
//! struct BusyStepsPlugin;
//!
//! impl Plugin for BusyStepsPlugin {
//!     fn build(&self, app: &mut App) {
//!         app.init_resource::<BusySteps>().add_systems(
//!             FixedUpdate,
//!             count_busy_steps
//!                 .in_set(TickSystems::Simulate)
//!                 .after(SimulationSystems::Lifecycle),
//!         );
//!     }
//! }
//!
//! let mut server = TestServer::builder().plugin(BusyStepsPlugin).start();
//! let mut clients = [server.connect(7)];
//! assert!(server.step_until(&mut clients, 300, |server, clients| {
//!     server.connected() == 1 && clients[0].is_connected()
//! }));
//! server.step(&mut clients);
//! assert!(server.app.world().resource::<BusySteps>().0 >= 1);
//! ```

pub mod app;
pub mod databases;
pub mod http;
pub mod items;
pub mod kubernetes;
pub mod net;
pub mod persisted_app;
pub mod process;
pub mod proxy;
pub mod python;
pub mod redis_server;
pub mod tls;
pub mod tools;
mod unavailable;
