//! `POST /v1/tokens`: a connect token for a fresh guest player, when `net.guest_tokens` is on.
//! Anything else (guests off, insecure mode, no network) answers 404.

use crate::net::TokenIssuer;
use arbiter_client::token::encode_token;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub(super) async fn issue_guest_token(State(issuer): State<Option<TokenIssuer>>) -> Response {
    let Some(issuer) = issuer else {
        return not_found("this server issues no tokens (no game network, or net.insecure = true)");
    };
    match issuer.issue_guest() {
        None => not_found("guest tokens are disabled (net.guest_tokens = false)"),
        Some(Err(error)) => {
            tracing::error!(%error, "cannot generate a guest token");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": error.to_string() })),
            )
                .into_response()
        }
        Some(Ok(guest)) => Json(json!({
            "player_id": guest.player_id,
            "token": encode_token(&guest.token),
            "expires_in_secs": guest.expires_in_secs,
            "server_addresses": issuer.entry_addresses(),
        }))
        .into_response(),
    }
}

fn not_found(why: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": why }))).into_response()
}
