//! The two HTTP endpoints. Admin, for operators: `GET /health`, `GET /metrics`, `POST /v1/tokens`,
//! behind `admin.token` when set. Query, for the public: the read-only `/v1` API and its OpenAPI
//! document. Each on its own listener, with a per-address rate limit and a body-size limit.

mod health;
mod status;
mod tokens;

pub use status::{StatusBoard, publish_status};

use crate::build_once::BuildOnce;
use crate::http::{self, Limits};
use crate::net::TokenIssuer;
use crate::phase::TickSystems;
use crate::read::SharedReadModel;
use crate::runtime::AsyncRuntime;
use crate::settings::{AdminSettings, QuerySettings};
use crate::shutdown::Shutdown;
use crate::telemetry::metrics::prometheus;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bevy_app::{App, Plugin, PostUpdate};
use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::IntoScheduleConfigs;
use std::net::{SocketAddr, TcpListener};

/// Where the two endpoints listen, as bound: with port 0 in the config, the port the system chose.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointAddrs {
    /// The admin endpoint (`/health`, `/metrics`, `/v1/tokens`).
    pub admin: SocketAddr,
    /// The query endpoint (the read-only `/v1` API); bound even when it serves nothing.
    pub query: SocketAddr,
}

/// Serves both endpoints on listeners bound before the app starts, so a taken port is a start-up
/// error rather than a log line.
#[derive(Debug)]
pub struct AdminPlugin {
    admin: BuildOnce<(TcpListener, Limits)>,
    query: BuildOnce<(TcpListener, Limits)>,
}

impl AdminPlugin {
    /// Binds `admin.bind` and `query.bind` (port 0 picks a free port).
    pub fn bind(admin: &AdminSettings, query: &QuerySettings) -> std::io::Result<Self> {
        let admin_limits = Limits {
            requests_per_sec: admin.requests_per_sec,
            max_body_bytes: admin.max_body_bytes,
            token: admin.token.clone(),
        };
        let query_limits = Limits {
            requests_per_sec: query.requests_per_sec,
            max_body_bytes: query.max_body_bytes,
            token: String::new(),
        };
        Ok(Self {
            admin: BuildOnce::new((http::bind(admin.bind, "admin.bind")?, admin_limits)),
            query: BuildOnce::new((http::bind(query.bind, "query.bind")?, query_limits)),
        })
    }
}

impl Plugin for AdminPlugin {
    fn build(&self, app: &mut App) {
        let (admin, admin_limits) = self.admin.take();
        let (query, query_limits) = self.query.take();
        if let (Ok(admin), Ok(query)) = (admin.local_addr(), query.local_addr()) {
            app.insert_resource(EndpointAddrs { admin, query });
        }
        let board = StatusBoard::default();
        let runtime = app
            .world_mut()
            .get_resource_or_init::<AsyncRuntime>()
            .clone();
        // Also published from the Shutdown schedule, so `/health` reports the shutdown while it runs.
        app.insert_resource(board.clone())
            .add_systems(PostUpdate, publish_status.in_set(TickSystems::Metrics))
            .add_systems(Shutdown, publish_status);

        log_address(
            &admin,
            "admin endpoint listening (GET /health, GET /metrics)",
        );
        let issuer = app.world().get_resource::<TokenIssuer>().cloned();
        let router = Router::new()
            .route("/health", get(health::health))
            .route("/metrics", get(render_metrics))
            .with_state(board)
            .merge(
                Router::new()
                    .route("/v1/tokens", post(tokens::issue_guest_token))
                    .with_state(issuer),
            );
        http::serve(&runtime, admin, router, admin_limits, "admin");
        match app.world().get_resource::<SharedReadModel>() {
            Some(model) => {
                log_address(&query, "query endpoint listening (GET /v1/…)");
                let router = crate::read::api::router(model.0.clone());
                http::serve(&runtime, query, router, query_limits, "query");
            }
            None => tracing::info!("no query API: it reads stored players, and persistence is off"),
        }
    }
}

fn log_address(listener: &TcpListener, message: &'static str) {
    match listener.local_addr() {
        Ok(addr) => tracing::info!(%addr, "{message}"),
        Err(error) => tracing::warn!(%error, "{message} on an unknown address"),
    }
}

async fn render_metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    )
}
