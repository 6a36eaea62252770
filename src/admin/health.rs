//! `GET /health`: 200 while serving, 503 while shutting down, with the vital signs as JSON.

use super::StatusBoard;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

pub(super) async fn health(State(board): State<StatusBoard>) -> impl IntoResponse {
    let report = board.report();
    let code = if report.status == "running" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(report))
}
