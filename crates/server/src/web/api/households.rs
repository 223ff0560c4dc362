//! `/api/v1/households`: households of the caller's jurisdiction, with their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shouhu_domain::{Right, mask};

use super::paging::Paging;
use super::residents::{ResidentView, VersionParam, unit_filter, view};
use crate::db::households::{self, Household, NewHousehold};
use crate::db::registry::{self, Search};
use crate::db::units;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};
use crate::web::validate;

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdView {
    pub id: i64,
    pub grid_code: String,
    pub grid_name: String,
    pub building: Option<String>,
    pub building_unit: Option<String>,
    pub room: String,
    pub address: String,
    pub head_resident_id: Option<i64>,
    /// The head's name, masked to the surname in lists.
    pub head_name: Option<String>,
    pub members: i64,
    pub note: String,
    pub version: i64,
}

pub fn household_view(h: &Household) -> HouseholdView {
    HouseholdView {
        id: h.id,
        grid_code: h.grid_code.clone(),
        grid_name: h.grid_name.clone(),
        building: h.building.clone(),
        building_unit: h.building_unit.clone(),
        room: h.room.clone(),
        address: h.address.clone(),
        head_resident_id: h.head_resident_id,
        head_name: h.head_name.as_deref().map(mask::name),
        members: h.members,
        note: h.note.clone(),
        version: h.version,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Part of the address.
    pub q: Option<String>,
    pub unit: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdList {
    pub items: Vec<HouseholdView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

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
        items: rows.iter().map(household_view).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdCard {
    #[serde(flatten)]
    pub household: HouseholdView,
    pub residents: Vec<ResidentView>,
}

pub async fn fetch(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Household> {
    match households::get(&state.db, &caller.scope(), id).await {
        Ok(h) => Ok(h),
        Err(crate::db::StoreError::NotFound) => {
            if households::exists_unscoped(&state.db, id).await? {
                caller
                    .audit_refusal(state, "household.read", &id.to_string(), "denied")
                    .await;
            }
            Err(AppError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
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
        household: household_view(&h),
        residents: members.into_iter().map(|r| view(r, today)).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHouseholdBody {
    pub grid_code: String,
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub building_unit: String,
    #[serde(default)]
    pub room: String,
    pub address: String,
    #[serde(default)]
    pub note: String,
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
    Ok((StatusCode::CREATED, Json(household_view(&h))))
}

/// Creates a household in a grid of the caller's jurisdiction; shared by the API and the pages.
pub async fn create_household(
    state: &AppState,
    caller: &Caller,
    b: &NewHouseholdBody,
) -> ApiResult<i64> {
    caller
        .require(state, Right::EditRegistry, "household.create")
        .await?;
    let grid = units::get_by_code(&state.db, &caller.scope(), b.grid_code.trim())
        .await
        .ok()
        .filter(|u| u.kind == "grid")
        .ok_or_else(|| {
            AppError::invalid(
                "grid_code",
                "unknown_unit",
                "no such grid in your jurisdiction",
            )
        })?;
    let new = NewHousehold {
        grid_id: grid.id,
        building: validate::text("building", &b.building, 30, false)?,
        building_unit: validate::text("building_unit", &b.building_unit, 30, false)?,
        room: validate::text("room", &b.room, 30, false)?,
        address: validate::text("address", &b.address, 200, true)?,
        note: validate::text("note", &b.note, 500, false)?,
    };
    let id = households::create(&state.db, &caller.scope(), &caller.actor(), &new).await?;
    Ok(id)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPatch {
    pub version: i64,
    pub address: Option<String>,
    pub room: Option<String>,
    pub note: Option<String>,
    /// A member of the household, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub head_resident_id: Option<Option<i64>>,
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
    Ok(Json(household_view(&h)))
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

/// Tells a field sent as null (`Some(None)`: clear) from one left out (`None`: keep).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}
