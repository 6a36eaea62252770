//! The query API, `/v1` on the admin endpoint: JSON in, JSON out, errors as `{code, message}`. The
//! OpenAPI document at `/v1/openapi.json` is generated from these very handlers, so it lists exactly
//! the routes that exist.

pub mod guilds;

use super::board::{Board, Standing};
use super::inventory::InventoryReport;
use super::model::{LiveMatch, Profile, ReadModel};
use super::presence::SessionInfo;
use super::trades::TradesPage;
use crate::telemetry::metrics::QUERY_DURATION_SECONDS;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most entries one leaderboard page or neighbourhood returns.
const MAX_PAGE: u64 = 1000;

/// An error as every route returns it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiError {
    /// `bad_request`, `not_found` or `unavailable`.
    pub code: String,
    pub message: String,
}

/// A failed request: its status and why.
#[derive(Debug)]
pub struct Failure(StatusCode, &'static str, String);

impl Failure {
    fn bad_request(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, "bad_request", message.into())
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, "not_found", message.into())
    }

    fn not_on_board(player_id: u64, board: Board) -> Self {
        Self::not_found(format!("player {player_id} is not on the {board:?} board"))
    }

    fn unavailable(message: impl Into<String>) -> Self {
        Self(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            message.into(),
        )
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let Failure(status, code, message) = self;
        (
            status,
            Json(ApiError {
                code: code.into(),
                message,
            }),
        )
            .into_response()
    }
}

type Reply<T> = Result<Json<T>, Failure>;
type Model = State<Arc<ReadModel>>;

/// A player id from the path: digits only, so "-1", "x" or "1.5" are a 400 that says why.
fn player_id(raw: &str) -> Result<u64, Failure> {
    raw.parse().map_err(|_| {
        Failure::bad_request(format!(
            "player id {raw:?} is not a non-negative whole number"
        ))
    })
}

/// The largest offset or cursor the API takes: what the document's `int64` allows, so that a
/// client generated from it never sends what the server refuses, nor the reverse.
const MAX_POSITION: u64 = i64::MAX as u64;

/// `value` of parameter `name`, if it is within [`MAX_POSITION`].
fn position(name: &str, value: u64) -> Result<u64, Failure> {
    match value <= MAX_POSITION {
        true => Ok(value),
        false => Err(Failure::bad_request(format!(
            "{name} {value} is out of range 0-{MAX_POSITION}"
        ))),
    }
}

/// Query parameters, with a JSON 400 when they do not parse.
fn query<T>(parsed: Result<Query<T>, QueryRejection>) -> Result<T, Failure> {
    parsed
        .map(|Query(value)| value)
        .map_err(|rejection| Failure::bad_request(rejection.body_text()))
}

fn timed<T>(route: &'static str, started: Instant, reply: T) -> T {
    metrics::histogram!(QUERY_DURATION_SECONDS, "route" => route)
        .record(started.elapsed().as_secs_f64());
    reply
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// `rating` (default) or `kills`.
    #[serde(default)]
    pub board: Board,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// `rating` (default) or `kills`.
    #[serde(default)]
    pub board: Board,
    /// Entries to return, 1–1000 (default 10).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Entries to skip from the top (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AroundQuery {
    /// `rating` (default) or `kills`.
    #[serde(default)]
    pub board: Board,
    /// Places above and below the player, 0–500 (default 5).
    #[param(minimum = 0, maximum = 500)]
    pub radius: Option<u64>,
}

/// A page of a leaderboard.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeaderboardPage {
    pub board: Board,
    pub offset: u64,
    /// Players on the board.
    pub total: u64,
    pub entries: Vec<Standing>,
}

/// A player's profile: rating, stats, rank, online status, last matches.
#[utoipa::path(get, path = "/v1/players/{id}",
    params(("id" = u64, Path, minimum = 0, description = "Player id: a whole number (ids the server issues stay below 2^53, exact in JavaScript)")),
    responses(
        (status = 200, body = Profile),
        (status = 400, body = ApiError, description = "The id is not a non-negative whole number"),
        (status = 404, body = ApiError, description = "No such player"),
        (status = 503, body = ApiError, description = "Neither the cache nor the player's database can answer"),
    ))]
async fn get_player(State(model): Model, Path(raw): Path<String>) -> Reply<Profile> {
    let started = Instant::now();
    let reply = async {
        let id = player_id(&raw)?;
        match model.profile(id).await {
            Ok(Some(profile)) => Ok(Json(profile)),
            Ok(None) => Err(Failure::not_found(format!("no player {id}"))),
            Err(error) => Err(Failure::unavailable(error.0)),
        }
    }
    .await;
    timed("/v1/players/{id}", started, reply)
}

/// A player's items, loadout and wallet, as of its last committed flush.
#[utoipa::path(get, path = "/v1/players/{id}/inventory",
    params(("id" = u64, Path, minimum = 0, description = "Player id: a whole number (ids the server issues stay below 2^53, exact in JavaScript)")),
    responses(
        (status = 200, body = InventoryReport),
        (status = 400, body = ApiError, description = "The id is not a non-negative whole number"),
        (status = 404, body = ApiError, description = "No such player"),
        (status = 503, body = ApiError, description = "Neither the cache nor the player's database can answer"),
    ))]
async fn get_inventory(State(model): Model, Path(raw): Path<String>) -> Reply<InventoryReport> {
    let started = Instant::now();
    let reply = async {
        let id = player_id(&raw)?;
        match model.inventory(id).await {
            Ok(Some(report)) => Ok(Json(report)),
            Ok(None) => Err(Failure::not_found(format!("no player {id}"))),
            Err(error) => Err(Failure::unavailable(error.0)),
        }
    }
    .await;
    timed("/v1/players/{id}/inventory", started, reply)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TradesQuery {
    /// Trades to return, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// Only trades older than this one (its `seq`; the previous page's `next_before`).
    #[param(minimum = 0)]
    pub before: Option<u64>,
}

/// Most trades on one page.
const MAX_TRADES_PAGE: u32 = 100;

/// A player's settled trades, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/players/{id}/trades",
    params(("id" = u64, Path, minimum = 0, description = "Player id: a whole number (ids the server issues stay below 2^53, exact in JavaScript)"), TradesQuery),
    responses(
        (status = 200, body = TradesPage),
        (status = 400, body = ApiError, description = "A bad id, limit or cursor"),
        (status = 404, body = ApiError, description = "No such player"),
        (status = 503, body = ApiError, description = "The player's database cannot answer"),
    ))]
async fn get_trades(
    State(model): Model,
    Path(raw): Path<String>,
    parsed: Result<Query<TradesQuery>, QueryRejection>,
) -> Reply<TradesPage> {
    let started = Instant::now();
    let reply = async {
        let id = player_id(&raw)?;
        let TradesQuery { limit, before } = query(parsed)?;
        let limit = limit.unwrap_or(20);
        if !(1..=MAX_TRADES_PAGE).contains(&limit) {
            return Err(Failure::bad_request(format!(
                "limit {limit} is out of range 1-{MAX_TRADES_PAGE}"
            )));
        }
        let before = match before {
            Some(before) => position("before", before)?,
            None => u64::MAX,
        };
        match model.trades(id, before, limit).await {
            Ok(Some(page)) => Ok(Json(page)),
            Ok(None) => Err(Failure::not_found(format!("no player {id}"))),
            Err(error) => Err(Failure::unavailable(error.0)),
        }
    }
    .await;
    timed("/v1/players/{id}/trades", started, reply)
}

/// A player's place on a leaderboard.
#[utoipa::path(get, path = "/v1/players/{id}/rank",
    params(("id" = u64, Path, minimum = 0, description = "Player id: a whole number (ids the server issues stay below 2^53, exact in JavaScript)"), BoardQuery),
    responses(
        (status = 200, body = Standing),
        (status = 400, body = ApiError),
        (status = 404, body = ApiError, description = "The player is not on the leaderboard"),
    ))]
async fn get_rank(
    State(model): Model,
    Path(raw): Path<String>,
    parsed: Result<Query<BoardQuery>, QueryRejection>,
) -> Reply<Standing> {
    let started = Instant::now();
    let reply = async {
        let id = player_id(&raw)?;
        let BoardQuery { board } = query(parsed)?;
        model
            .standing(board, id)
            .await
            .map(Json)
            .ok_or_else(|| Failure::not_on_board(id, board))
    }
    .await;
    timed("/v1/players/{id}/rank", started, reply)
}

/// The top of a leaderboard, a page at a time.
#[utoipa::path(get, path = "/v1/leaderboard", params(PageQuery),
    responses((status = 200, body = LeaderboardPage), (status = 400, body = ApiError)))]
async fn get_leaderboard(
    State(model): Model,
    parsed: Result<Query<PageQuery>, QueryRejection>,
) -> Reply<LeaderboardPage> {
    let started = Instant::now();
    let reply = async {
        let PageQuery {
            board,
            limit,
            offset,
        } = query(parsed)?;
        let limit = limit.unwrap_or(10);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Failure::bad_request(format!(
                "limit {limit} is out of range 1-{MAX_PAGE}"
            )));
        }
        let offset = position("offset", offset.unwrap_or(0))?;
        Ok(Json(LeaderboardPage {
            board,
            offset,
            total: model.board_len(board) as u64,
            entries: model.leaderboard(board, offset, limit).await,
        }))
    }
    .await;
    timed("/v1/leaderboard", started, reply)
}

/// The places around a player.
#[utoipa::path(get, path = "/v1/leaderboard/around/{id}",
    params(("id" = u64, Path, minimum = 0, description = "Player id: a whole number (ids the server issues stay below 2^53, exact in JavaScript)"), AroundQuery),
    responses(
        (status = 200, body = Vec<Standing>),
        (status = 400, body = ApiError),
        (status = 404, body = ApiError, description = "The player is not on the leaderboard"),
    ))]
async fn get_around(
    State(model): Model,
    Path(raw): Path<String>,
    parsed: Result<Query<AroundQuery>, QueryRejection>,
) -> Reply<Vec<Standing>> {
    let started = Instant::now();
    let reply = async {
        let id = player_id(&raw)?;
        let AroundQuery { board, radius } = query(parsed)?;
        let radius = radius.unwrap_or(5);
        if radius > MAX_PAGE / 2 {
            return Err(Failure::bad_request(format!(
                "radius {radius} is out of range 0-{}",
                MAX_PAGE / 2
            )));
        }
        model
            .around(board, id, radius)
            .await
            .map(Json)
            .ok_or_else(|| Failure::not_on_board(id, board))
    }
    .await;
    timed("/v1/leaderboard/around/{id}", started, reply)
}

/// Whether a player is online, and on which server.
#[utoipa::path(get, path = "/v1/sessions/{id}",
    params(("id" = u64, Path, minimum = 0, description = "Player id: a whole number (ids the server issues stay below 2^53, exact in JavaScript)")),
    responses(
        (status = 200, body = SessionInfo),
        (status = 400, body = ApiError),
        (status = 404, body = ApiError, description = "The player is not online"),
    ))]
async fn get_session(State(model): Model, Path(raw): Path<String>) -> Reply<SessionInfo> {
    let started = Instant::now();
    let reply = async {
        let id = player_id(&raw)?;
        model
            .session(id)
            .await
            .map(Json)
            .ok_or_else(|| Failure::not_found(format!("player {id} is not online")))
    }
    .await;
    timed("/v1/sessions/{id}", started, reply)
}

/// The matches being played now: in the whole fleet (every server sharing this server's Redis), or
/// on this server without Redis.
#[utoipa::path(get, path = "/v1/matches", responses((status = 200, body = Vec<LiveMatch>)))]
async fn get_matches(State(model): Model) -> Json<Vec<LiveMatch>> {
    let started = Instant::now();
    timed("/v1/matches", started, Json(model.live_matches().await))
}

#[derive(OpenApi)]
#[openapi(info(
    title = "Arbiter query API",
    description = "Read-only views of players, guilds, leaderboards, sessions and matches."
))]
struct ApiDoc;

/// The `/v1` query routes and the OpenAPI document that describes them.
pub fn router(model: Arc<ReadModel>) -> axum::Router {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(get_player))
        .routes(routes!(get_inventory))
        .routes(routes!(get_trades))
        .routes(routes!(get_rank))
        .routes(routes!(get_leaderboard))
        .routes(routes!(get_around))
        .routes(routes!(get_session))
        .routes(routes!(get_matches))
        .routes(routes!(guilds::get_guild))
        .routes(routes!(guilds::get_members))
        .routes(routes!(guilds::search_guilds))
        .routes(routes!(guilds::get_guild_leaderboard))
        .with_state(model)
        .split_for_parts();
    let document = Arc::new(api);
    router.route(
        "/v1/openapi.json",
        axum::routing::get(move || {
            let document = document.clone();
            async move { Json(document.as_ref().clone()) }
        }),
    )
}
