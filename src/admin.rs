//! The admin HTTP endpoint: `GET /health`, `GET /metrics` and `POST /v1/tokens`, served on the async
//! runtime.

mod health;
mod status;
mod tokens;

pub use status::{StatusBoard, publish_status};

use crate::build_once::BuildOnce;
use crate::net::TokenIssuer;
use crate::phase::TickSystems;
use crate::read::SharedReadModel;
use crate::runtime::AsyncRuntime;
use crate::shutdown::Shutdown;
use crate::telemetry::metrics::prometheus;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use bevy_app::{App, Plugin, PostUpdate};
use bevy_ecs::schedule::IntoScheduleConfigs;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// How often histogram samples are folded into their buckets when nobody scrapes `/metrics`, so memory
/// stays bounded on an unscraped server.
const METRICS_UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Serves the admin endpoint on a listener bound before the app starts, so a taken port is a
/// start-up error rather than a log line.
#[derive(Debug)]
pub struct AdminPlugin {
    listener: BuildOnce<TcpListener>,
}

impl AdminPlugin {
    /// Binds `address` (port 0 picks a free port).
    pub fn bind(address: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        Ok(Self {
            listener: BuildOnce::new(listener),
        })
    }
}

impl Plugin for AdminPlugin {
    fn build(&self, app: &mut App) {
        let listener = self.listener.take();
        let board = StatusBoard::default();
        let runtime = app
            .world_mut()
            .get_resource_or_init::<AsyncRuntime>()
            .clone();
        // Also published from the Shutdown schedule, so `/health` reports the shutdown while it runs.
        app.insert_resource(board.clone())
            .add_systems(PostUpdate, publish_status.in_set(TickSystems::Metrics))
            .add_systems(Shutdown, publish_status);

        match listener.local_addr() {
            Ok(addr) => {
                tracing::info!(%addr, "admin endpoint listening (GET /health, GET /metrics)")
            }
            Err(error) => tracing::warn!(%error, "admin endpoint listening on an unknown address"),
        }
        let issuer = app.world().get_resource::<TokenIssuer>().cloned();
        let queries = app
            .world()
            .get_resource::<SharedReadModel>()
            .map(|model| crate::read::api::router(model.0.clone()));
        let router = Router::new()
            .route("/health", get(health::health))
            .route("/metrics", get(render_metrics))
            .with_state(board)
            .merge(
                Router::new()
                    .route("/v1/tokens", post(tokens::issue_guest_token))
                    .with_state(issuer),
            )
            .merge(queries.unwrap_or_default());
        runtime.spawn(async move {
            let served = async {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, router).await
            };
            if let Err(error) = served.await {
                tracing::error!(%error, "admin endpoint stopped");
            }
        });
        runtime.spawn(async {
            let mut upkeep = tokio::time::interval(METRICS_UPKEEP_INTERVAL);
            loop {
                upkeep.tick().await;
                prometheus().run_upkeep();
            }
        });
    }
}

async fn render_metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    )
}
