//! `/api/v1/households`: households of the caller's jurisdiction, with their members.

use super::residents::{VersionParam, unit_filter, view};
use crate::db::households::{self};
use crate::db::registry::{self, Search};
pub use crate::service::households::*;
use crate::service::paging::Paging;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shouhu_domain::Right;

#[utoipa::path(get, path = "/api/v1/households", tag = "registry", params(ListParams),
    responses((status = 200, body = HouseholdList)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<HouseholdList>> {
    caller
        .require(&state, Right::ReadRegistry, "household.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let unit_id = unit_filter(&state, &caller, p.unit.as_deref()).await?;
    let q = validate::search_text(p.q.as_deref())?;
    let (rows, total) = households::search(
        &state.db,
        &caller.scope(),
        &q,
        unit_id,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Json(HouseholdList {
        items: rows
            .iter()
            .map(|h| household_view(h, caller.names()))
            .collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

/// One household with its members.
#[utoipa::path(get, path = "/api/v1/households/{id}", tag = "registry", params(("id" = i64, Path)),
    responses((status = 200, body = HouseholdCard), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<HouseholdCard>> {
    caller
        .require(&state, Right::ReadRegistry, "household.read")
        .await?;
    let id = validate::path_id(&id)?;
    let h = fetch(&state, &caller, id).await?;
    let search = Search {
        household_id: Some(id),
        ..Search::default()
    };
    let (members, _) = registry::search(&state.db, &caller.scope(), &search, 100, 0).await?;
    let today = state.settings.today();
    Ok(Json(HouseholdCard {
        household: household_view(&h, caller.names()),
        residents: members.into_iter().map(|r| view(r, today)).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/households", tag = "registry", request_body = NewHouseholdBody,
    responses((status = 201, body = HouseholdView), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewHouseholdBody>,
) -> ApiResult<(StatusCode, Json<HouseholdView>)> {
    let id = create_household(&state, &caller, &b).await?;
    let h = fetch(&state, &caller, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(household_view(&h, caller.names())),
    ))
}

#[utoipa::path(patch, path = "/api/v1/households/{id}", tag = "registry", params(("id" = i64, Path)),
    request_body = HouseholdPatch,
    responses((status = 200, body = HouseholdView), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<HouseholdPatch>,
) -> ApiResult<Json<HouseholdView>> {
    caller
        .require(&state, Right::EditRegistry, "household.update")
        .await?;
    let id = validate::path_id(&id)?;
    fetch(&state, &caller, id).await?;
    let changes = households::Changes {
        address: p
            .address
            .as_deref()
            .map(|a| validate::text("address", a, 200, true))
            .transpose()?,
        room: p
            .room
            .as_deref()
            .map(|a| validate::text("room", a, 30, false))
            .transpose()?,
        note: p
            .note
            .as_deref()
            .map(|a| validate::text("note", a, 500, false))
            .transpose()?,
        head_resident_id: p.head_resident_id,
    };
    households::update(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        p.version,
        &changes,
    )
    .await?;
    let h = fetch(&state, &caller, id).await?;
    Ok(Json(household_view(&h, caller.names())))
}

#[utoipa::path(delete, path = "/api/v1/households/{id}", tag = "registry",
    params(("id" = i64, Path), VersionParam), responses((status = 204), (status = 404), (status = 409), (status = 422)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(v): ApiQuery<VersionParam>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Right::EditRegistry, "household.delete")
        .await?;
    let id = validate::path_id(&id)?;
    fetch(&state, &caller, id).await?;
    households::delete(&state.db, &caller.scope(), &caller.actor(), id, v.version).await?;
    Ok(StatusCode::NO_CONTENT)
}
