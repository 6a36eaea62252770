//! The guild routes of the query API: a guild, its members a page at a time (with who is
//! online), a search by name prefix and the guild leaderboards — all from the guild index, in
//! process.

use super::{Failure, MAX_PAGE, Model, Reply, position, query, timed};
use crate::read::ReadModel;
use crate::read::board::Board;
use crate::read::guilds::{CachedPage, GuildMember, GuildStanding, GuildSummary};
use arbiter_components::guild::MAX_NAME_CHARS;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Instant;

/// Most guilds one search returns.
const MAX_SEARCH: u64 = 100;

/// A guild id from the path: digits only.
fn guild_id(raw: &str) -> Result<u64, Failure> {
    raw.parse().map_err(|_| {
        Failure::bad_request(format!(
            "guild id {raw:?} is not a non-negative whole number"
        ))
    })
}

/// `limit` (default `default`) if it is 1–`max`.
fn limit(value: Option<u64>, default: u64, max: u64) -> Result<u64, Failure> {
    let limit = value.unwrap_or(default);
    match (1..=max).contains(&limit) {
        true => Ok(limit),
        false => Err(Failure::bad_request(format!(
            "limit {limit} is out of range 1-{max}"
        ))),
    }
}

/// A guild: name, tag, leader, member count, bank, rank.
#[utoipa::path(get, path = "/v1/guilds/{id}",
    params(("id" = u64, Path, minimum = 0, description = "Guild id (below 2^53)")),
    responses(
        (status = 200, body = GuildSummary),
        (status = 400, body = super::ApiError, description = "The id is not a non-negative whole number"),
        (status = 404, body = super::ApiError, description = "No such guild"),
    ))]
pub(super) async fn get_guild(State(model): Model, Path(raw): Path<String>) -> Reply<GuildSummary> {
    let started = Instant::now();
    let reply = guild_id(&raw).and_then(|id| {
        model
            .guilds()
            .summary(id)
            .map(Json)
            .ok_or_else(|| Failure::not_found(format!("no guild {id}")))
    });
    timed("/v1/guilds/{id}", started, reply)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Members to return, 1–1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Members to skip, by player id (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// A page of a guild's members.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MembersPage {
    pub guild: u64,
    pub offset: u64,
    /// Members in all.
    pub total: u64,
    /// By player id.
    pub members: Vec<GuildMember>,
}

/// A guild's members, by player id, a page at a time, with their roles and who is online (a page
/// is served again for up to a second, and while one request builds it again after that; a
/// change of the guild drops it at once).
#[utoipa::path(get, path = "/v1/guilds/{id}/members",
    params(("id" = u64, Path, minimum = 0, description = "Guild id (below 2^53)"), MembersQuery),
    responses(
        (status = 200, body = MembersPage),
        (status = 400, body = super::ApiError, description = "A bad id, limit or offset"),
        (status = 404, body = super::ApiError, description = "No such guild"),
    ))]
pub(super) async fn get_members(
    State(model): Model,
    Path(raw): Path<String>,
    parsed: Result<Query<MembersQuery>, QueryRejection>,
) -> Result<Response, Failure> {
    let started = Instant::now();
    let reply = async {
        let id = guild_id(&raw)?;
        let MembersQuery {
            limit: asked,
            offset,
        } = query(parsed)?;
        let limit = limit(asked, 100, MAX_PAGE)?;
        let offset = position("offset", offset.unwrap_or(0))?;
        match model.guilds().cached_page(id, offset, limit) {
            CachedPage::Fresh(body) => return Ok(json_body(body)),
            CachedPage::Stale { body, rebuild } => {
                if rebuild {
                    let model = Arc::clone(&model);
                    tokio::spawn(async move {
                        if member_page(&model, id, offset, limit).await.is_err() {
                            model.guilds().forget_page(id, offset, limit);
                        }
                    });
                }
                return Ok(json_body(body));
            }
            CachedPage::Missing => {}
        }
        member_page(&model, id, offset, limit).await.map(json_body)
    }
    .await;
    timed("/v1/guilds/{id}/members", started, reply)
}

/// Builds a member page (who is online asked of the presence store), keeps it and returns it.
async fn member_page(
    model: &ReadModel,
    id: u64,
    offset: u64,
    limit: u64,
) -> Result<Bytes, Failure> {
    let (total, page) = model
        .guilds()
        .members(id, offset, limit)
        .ok_or_else(|| Failure::not_found(format!("no guild {id}")))?;
    let players: Vec<u64> = page.iter().map(|(player, _)| *player).collect();
    let online = model.online(&players).await;
    let members = page
        .into_iter()
        .zip(online)
        .map(|((player_id, role), online)| GuildMember {
            player_id,
            role: role.as_str().to_owned(),
            online,
        })
        .collect();
    let page = MembersPage {
        guild: id,
        offset,
        total,
        members,
    };
    let body =
        Bytes::from(serde_json::to_vec(&page).map_err(|error| {
            Failure::unavailable(format!("the page does not serialize: {error}"))
        })?);
    model.guilds().cache_page(id, offset, limit, body.clone());
    Ok(body)
}

/// A JSON body served as it is.
fn json_body(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The start of the names to find, in any case (default: every guild, by name); at most as
    /// long as a name, 24 characters.
    #[param(max_length = 24)]
    pub name_prefix: Option<String>,
    /// Guilds to return, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// Guilds whose names start with a prefix, by name.
#[utoipa::path(get, path = "/v1/guilds", params(SearchQuery),
    responses(
        (status = 200, body = Vec<GuildSummary>),
        (status = 400, body = super::ApiError, description = "A bad prefix or limit"),
    ))]
pub(super) async fn search_guilds(
    State(model): Model,
    parsed: Result<Query<SearchQuery>, QueryRejection>,
) -> Reply<Vec<GuildSummary>> {
    let started = Instant::now();
    let reply = query(parsed).and_then(
        |SearchQuery {
             name_prefix,
             limit: asked,
         }| {
            let prefix = name_prefix.unwrap_or_default();
            if prefix.chars().count() > MAX_NAME_CHARS {
                return Err(Failure::bad_request(format!(
                    "name_prefix is longer than a guild name can be ({MAX_NAME_CHARS} characters)"
                )));
            }
            let limit = limit(asked, 20, MAX_SEARCH)?;
            Ok(Json(model.guilds().search(&prefix, limit as usize)))
        },
    );
    timed("/v1/guilds", started, reply)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuildBoardQuery {
    /// `rating` (default: the mean rating of each guild's best members) or `kills` (its
    /// members' kills).
    #[serde(default)]
    pub board: Board,
    /// Guilds to return, 1–1000 (default 10).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
    /// Guilds to skip from the top (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// A page of a guild leaderboard.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GuildLeaderboardPage {
    pub board: Board,
    pub offset: u64,
    /// Guilds on the board.
    pub total: u64,
    pub entries: Vec<GuildStanding>,
}

/// The top of a guild leaderboard, a page at a time.
#[utoipa::path(get, path = "/v1/guilds/leaderboard", params(GuildBoardQuery),
    responses(
        (status = 200, body = GuildLeaderboardPage),
        (status = 400, body = super::ApiError),
    ))]
pub(super) async fn get_guild_leaderboard(
    State(model): Model,
    parsed: Result<Query<GuildBoardQuery>, QueryRejection>,
) -> Reply<GuildLeaderboardPage> {
    let started = Instant::now();
    let reply = async {
        let GuildBoardQuery {
            board,
            limit: asked,
            offset,
        } = query(parsed)?;
        let limit = limit(asked, 10, MAX_PAGE)?;
        let offset = position("offset", offset.unwrap_or(0))?;
        let (total, entries) = model.guilds().leaderboard(board, offset, limit).await;
        Ok(Json(GuildLeaderboardPage {
            board,
            offset,
            total,
            entries,
        }))
    }
    .await;
    timed("/v1/guilds/leaderboard", started, reply)
}
