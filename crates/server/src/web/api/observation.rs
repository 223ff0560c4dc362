//! `/api/v1/observation-sites` and `/api/v1/transfers`: centralized observation points, their beds,
//! and taking a person there.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shouhu_domain::Right;

use crate::db::observation::{self, Site, Transfer};
use crate::db::{StoreError, units};
pub use crate::service::observation::{AdvanceBody, TransferBody};
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiJson;

#[derive(Serialize, utoipa::ToSchema)]
pub struct SiteView {
    pub id: i64,
    pub unit_code: String,
    pub name: String,
    pub address: String,
    pub beds: i64,
    pub occupied: i64,
    pub free: i64,
}

fn site_view(s: &Site) -> SiteView {
    SiteView {
        id: s.id,
        unit_code: s.unit_code.clone(),
        name: s.name.clone(),
        address: s.address.clone(),
        beds: s.beds,
        occupied: s.occupied,
        free: s.beds - s.occupied,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SiteList {
    pub items: Vec<SiteView>,
}

/// The observation sites the caller's people can be sent to, with beds and occupancy.
#[utoipa::path(get, path = "/api/v1/observation-sites", tag = "quarantine", responses((status = 200, body = SiteList)))]
pub async fn sites(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SiteList>> {
    caller
        .require(&state, Right::ReadHealth, "site.list")
        .await?;
    let items = observation::sites(&state.db, &caller.scope()).await?;
    Ok(Json(SiteList {
        items: items.iter().map(site_view).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    /// Code of the unit (of the caller's jurisdiction) that runs it.
    pub unit: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    pub beds: i64,
}

#[utoipa::path(post, path = "/api/v1/observation-sites", tag = "quarantine", request_body = SiteBody,
    responses((status = 201, body = SiteView), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_site(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SiteBody>,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
    caller
        .require(&state, Right::ManageQuarantine, "site.create")
        .await?;
    validate::plain("unit", &b.unit)?;
    let name = validate::text("name", &b.name, 100, true)?;
    let address = validate::text("address", &b.address, 200, false)?;
    if !(1..=10_000).contains(&b.beds) {
        return Err(AppError::invalid(
            "beds",
            "out_of_range",
            "a site has 1 to 10,000 beds",
        ));
    }
    let scope = caller.scope();
    let unit = units::get_by_code(&state.db, &scope, b.unit.trim())
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                AppError::invalid("unit", "unknown_unit", "no such unit in your jurisdiction")
            }
            other => other.into(),
        })?;
    let id = observation::create_site(&state.db, &caller.actor(), unit.id, &name, &address, b.beds)
        .await?;
    let site = observation::sites(&state.db, &scope)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(site_view(&site))))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TransferView {
    pub id: i64,
    pub quarantine_id: i64,
    pub resident_id: i64,
    pub site_id: i64,
    /// notified, picked_up, admitted or released.
    pub status: String,
    pub notified_at: i64,
    pub picked_up_at: Option<i64>,
    pub plate: Option<String>,
    pub admitted_at: Option<i64>,
    pub released_at: Option<i64>,
    /// The person's state of mind, as the staff saw it.
    pub note: String,
    pub version: i64,
}

fn transfer_view(t: &Transfer) -> TransferView {
    TransferView {
        id: t.id,
        quarantine_id: t.quarantine_id,
        resident_id: t.resident_id,
        site_id: t.site_id,
        status: t.status.clone(),
        notified_at: t.notified_at,
        picked_up_at: t.picked_up_at,
        plate: t.plate.clone(),
        admitted_at: t.admitted_at,
        released_at: t.released_at,
        note: t.note.clone(),
        version: t.version,
    }
}

/// Notifies the transfer of a person under quarantine to an observation site.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "quarantine", request_body = TransferBody,
    responses((status = 201, body = TransferView), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn notify(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<TransferBody>,
) -> ApiResult<(StatusCode, Json<TransferView>)> {
    let id = crate::service::observation::notify(&state, &caller, &b).await?;
    let scope = caller.scope();
    Ok((
        StatusCode::CREATED,
        Json(transfer_view(
            &observation::get(&state.db, &scope, id).await?,
        )),
    ))
}

#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "quarantine", params(("id" = i64, Path)),
    responses((status = 200, body = TransferView), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<TransferView>> {
    caller
        .require(&state, Right::ReadHealth, "transfer.read")
        .await?;
    let id = validate::path_id(&id)?;
    Ok(Json(transfer_view(
        &observation::get(&state.db, &caller.scope(), id).await?,
    )))
}

/// Moves a transfer to its next step; admission is refused (422 `site_full`) when no bed is free.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/advance", tag = "quarantine", request_body = AdvanceBody,
    params(("id" = i64, Path)), responses((status = 200, body = TransferView), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn advance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AdvanceBody>,
) -> ApiResult<Json<TransferView>> {
    let id = validate::path_id(&id)?;
    crate::service::observation::advance(&state, &caller, id, &b).await?;
    let scope = caller.scope();
    Ok(Json(transfer_view(
        &observation::get(&state.db, &scope, id).await?,
    )))
}
