//! What both HTTP endpoints (admin, query) share: serving a router on a listener bound before the
//! app starts, a per-client-address rate limit answered with `429` and `Retry-After`, a body-size
//! limit, and the admin's bearer token.

use crate::runtime::AsyncRuntime;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Client addresses remembered at most; past it, those with a full bucket are forgotten.
const MAX_TRACKED_CLIENTS: usize = 100_000;

/// A token bucket per client address: `per_sec` requests a second, in bursts of as many.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub(crate) fn new(per_sec: u32) -> Self {
        Self {
            per_sec: f64::from(per_sec.max(1)),
            buckets: Mutex::default(),
        }
    }

    /// Takes one request from `client`'s bucket; `Err` holds the seconds until one is free.
    fn take(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS {
            let per_sec = self.per_sec;
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < per_sec
            });
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.per_sec, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.per_sec);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        Err(((1.0 - *tokens) / self.per_sec).ceil().max(1.0) as u64)
    }
}

/// What stands before every route: the rate limit, then the declared body size.
#[derive(Debug)]
struct Guard {
    limiter: RateLimiter,
    max_body_bytes: u64,
}

async fn guard(
    State(guard): State<Arc<Guard>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    match guard.limiter.take(client.ip(), Instant::now()) {
        Ok(()) if declared.is_some_and(|length| length > guard.max_body_bytes) => error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is larger than this endpoint takes",
        ),
        Ok(()) => next.run(request).await,
        Err(retry_after) => {
            metrics::counter!(crate::telemetry::metrics::HTTP_THROTTLED_TOTAL).increment(1);
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "this address sends more requests than allowed; retry later",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            response
        }
    }
}

/// Every request but `/health` carries `Authorization: Bearer <token>`.
async fn require_bearer(State(token): State<Arc<str>>, request: Request, next: Next) -> Response {
    if request.uri().path() == "/health" {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match presented.is_some_and(|presented| same_secret(presented.as_bytes(), token.as_bytes())) {
        true => next.run(request).await,
        false => {
            let mut response = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the admin endpoint needs Authorization: Bearer <admin.token>",
            );
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

/// Compares without stopping at the first difference, so timing does not tell how much matched.
fn same_secret(presented: &[u8], expected: &[u8]) -> bool {
    presented.len() == expected.len()
        && presented
            .iter()
            .zip(expected)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "code": code, "message": message })),
    )
        .into_response()
}

/// The limits an endpoint puts in front of its routes.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub(crate) requests_per_sec: u32,
    pub(crate) max_body_bytes: u32,
    /// The bearer token its requests need (empty: none).
    pub(crate) token: String,
}

impl Limits {
    fn apply(self, router: Router) -> Router {
        let router = match self.token.is_empty() {
            true => router,
            false => router.layer(middleware::from_fn_with_state(
                Arc::<str>::from(self.token),
                require_bearer,
            )),
        };
        // A body sent without its length is cut at the limit by whatever extractor reads it.
        let guard_state = Arc::new(Guard {
            limiter: RateLimiter::new(self.requests_per_sec),
            max_body_bytes: u64::from(self.max_body_bytes),
        });
        router
            .layer(DefaultBodyLimit::max(self.max_body_bytes as usize))
            .layer(middleware::from_fn_with_state(guard_state, guard))
    }
}

/// Serves `router` behind `limits` on `listener`, on `runtime`; `name` says which endpoint in logs.
pub(crate) fn serve(
    runtime: &AsyncRuntime,
    listener: TcpListener,
    router: Router,
    limits: Limits,
    name: &'static str,
) {
    let router = limits.apply(router);
    runtime.spawn(async move {
        let served = async {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
        };
        if let Err(error) = served.await {
            tracing::error!(%error, endpoint = name, "HTTP endpoint stopped");
        }
    });
}

/// Binds `address` for an endpoint before the app starts, so a taken port is a start-up error.
pub(crate) fn bind(address: SocketAddr, setting: &str) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(address).map_err(|error| {
        std::io::Error::new(error.kind(), format!("{setting} {address}: {error}"))
    })?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_client_gets_its_rate_in_bursts_then_waits_while_others_are_untouched() {
        let limiter = RateLimiter::new(2);
        let (one, other): (IpAddr, IpAddr) = (
            "10.0.0.1".parse().expect("address"),
            "10.0.0.2".parse().expect("address"),
        );
        let start = Instant::now();
        assert_eq!(limiter.take(one, start), Ok(()));
        assert_eq!(limiter.take(one, start), Ok(()));
        assert_eq!(limiter.take(one, start), Err(1), "the burst is spent");
        assert_eq!(limiter.take(other, start), Ok(()), "per address");
        assert_eq!(
            limiter.take(one, start + Duration::from_millis(500)),
            Ok(()),
            "refilled"
        );
    }

    #[test]
    fn a_secret_matches_only_itself() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cres", b"s3cret"));
        assert!(!same_secret(b"s3cret!", b"s3cret"));
        assert!(!same_secret(b"", b"s3cret"));
    }
}
