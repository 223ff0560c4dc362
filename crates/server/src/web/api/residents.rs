//! `/api/v1/residents`: list and search, read, create, correct, soft-delete and unmask residents of
//! the caller's jurisdiction. Persons leave the server masked unless unmasked by right.

use crate::db::registry::{self, Search};
use crate::service::paging::Paging;
pub use crate::service::residents::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery, JsonOfSize};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shouhu_domain::Right;

/// Residents of the caller's jurisdiction, searched and paged.
#[utoipa::path(get, path = "/api/v1/residents", tag = "registry", params(ListParams),
    responses((status = 200, body = ResidentList), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<JsonOfSize<ResidentList>> {
    caller
        .require(&state, Right::ReadRegistry, "resident.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let unit_id = unit_filter(&state, &caller, p.unit.as_deref()).await?;
    let q = validate::search_text(p.q.as_deref())?;
    let search = Search {
        q,
        unit_id,
        household_id: p.household_id,
        tag: p.tag,
    };
    let (rows, total) = registry::search(
        &state.db,
        &caller.scope(),
        &search,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    let today = state.settings.today();
    // About 400 bytes a resident (a demo page of 20 is 8 KB).
    let size = 128 + 512 * rows.len();
    Ok(JsonOfSize(
        ResidentList {
            items: rows.into_iter().map(|r| view(r, today)).collect(),
            total,
            page: paging.page,
            per_page: paging.per_page,
        },
        size,
    ))
}

/// One resident.
#[utoipa::path(get, path = "/api/v1/residents/{id}", tag = "registry", params(("id" = i64, Path)),
    responses((status = 200, body = ResidentView), (status = 404, body = crate::web::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ResidentView>> {
    caller
        .require(&state, Right::ReadRegistry, "resident.read")
        .await?;
    let id = validate::path_id(&id)?;
    let r = fetch(&state, &caller, id).await?;
    Ok(Json(view(r, state.settings.today())))
}

/// Correct a resident. Masked values sent back unchanged are ignored, never stored.
#[utoipa::path(patch, path = "/api/v1/residents/{id}", tag = "registry", params(("id" = i64, Path)),
    request_body = ResidentPatch,
    responses((status = 200, body = ResidentView), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<ResidentPatch>,
) -> ApiResult<Json<ResidentView>> {
    caller
        .require(&state, Right::EditRegistry, "resident.update")
        .await?;
    let id = validate::path_id(&id)?;
    let current = fetch(&state, &caller, id).await?;
    let changes = validate::resident_changes(&p, &current, state.settings.today())?;
    registry::update(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        p.version,
        &changes,
    )
    .await?;
    let r = fetch(&state, &caller, id).await?;
    Ok(Json(view(r, state.settings.today())))
}

/// Register a resident in a household of the caller's jurisdiction.
#[utoipa::path(post, path = "/api/v1/residents", tag = "registry", request_body = NewResidentBody,
    responses((status = 201, body = ResidentView), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewResidentBody>,
) -> ApiResult<(StatusCode, Json<ResidentView>)> {
    let id = create_resident(&state, &caller, &b).await?;
    let r = fetch(&state, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(view(r, state.settings.today()))))
}

/// Soft-delete a resident (kept for the audit trail).
#[utoipa::path(delete, path = "/api/v1/residents/{id}", tag = "registry",
    params(("id" = i64, Path), VersionParam), responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(v): ApiQuery<VersionParam>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Right::EditRegistry, "resident.delete")
        .await?;
    let id = validate::path_id(&id)?;
    fetch(&state, &caller, id).await?;
    registry::delete(&state.db, &caller.scope(), &caller.actor(), id, v.version).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything the service holds about one resident, for their request to see it (PIPL 45): the
/// card as the caller sees it, health checks, alerts, quarantines with follow-ups and transfers,
/// risk flags and gate scans, newest first. Needs the export right; audited.
#[utoipa::path(get, path = "/api/v1/residents/{id}/records", tag = "registry",
    params(("id" = i64, Path)),
    responses((status = 200, body = ResidentRecords), (status = 403), (status = 404)))]
pub async fn records(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ResidentRecords>> {
    caller
        .require(&state, Right::ExportRegistry, "resident.records")
        .await?;
    let id = validate::path_id(&id)?;
    let r = fetch(&state, &caller, id).await?;
    let role = caller.session.user.role;
    let (health, gate) = (role.has(Right::ReadHealth), role.has(Right::ReadGateLog));
    let records = registry::records::records(&state.db, r.id, r.household_id, health, gate).await?;
    crate::db::audit::record(
        &state.db,
        &caller
            .actor()
            .entry("resident.records", "resident", id, String::new()),
    )
    .await?;
    Ok(Json(ResidentRecords {
        resident: view(r, state.settings.today()),
        records,
    }))
}

/// Undo a deletion: the resident comes back into their household as it is now, with a new
/// version. 409 when they are not deleted (someone undid it first); 422 naming `household_id` when
/// the household was deleted since.
#[utoipa::path(post, path = "/api/v1/residents/{id}/restore", tag = "registry",
    params(("id" = i64, Path)),
    responses((status = 200, body = ResidentView), (status = 404), (status = 409),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ResidentView>> {
    caller
        .require(&state, Right::EditRegistry, "resident.restore")
        .await?;
    let id = validate::path_id(&id)?;
    restore_in_scope(&state, &caller, id).await?;
    let r = fetch(&state, &caller, id).await?;
    Ok(Json(view(r, state.settings.today())))
}

/// The full ID number and phones of one resident. Needs the unmask right and a re-authentication
/// within 5 minutes (the password may be sent here); always audited.
#[utoipa::path(post, path = "/api/v1/residents/{id}/unmask", tag = "registry", params(("id" = i64, Path)),
    request_body = Unmask, responses((status = 200, body = Unmasked), (status = 403), (status = 404)))]
pub async fn unmask(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Unmask>,
) -> ApiResult<Json<Unmasked>> {
    caller
        .require(&state, Right::Unmask, "resident.unmask")
        .await?;
    let id = validate::path_id(&id)?;
    let r = fetch(&state, &caller, id).await?;
    reauthenticate(&state, &caller, b.password.as_deref()).await?;
    crate::db::audit::record(
        &state.db,
        &caller
            .actor()
            .entry("resident.unmask", "resident", id, String::new()),
    )
    .await?;
    Ok(Json(Unmasked {
        id,
        id_number: r.id_number,
        phone: r.phone,
        emergency_contact_phone: r.emergency_contact_phone,
    }))
}

#[cfg(test)]
mod tests {
    use super::age_on;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_turns_on_the_birthday_and_not_before() {
        assert_eq!(age_on("1950-03-15", day("2020-03-14")), 69);
        assert_eq!(age_on("1950-03-15", day("2020-03-15")), 70);
        assert_eq!(age_on("1950-12-31", day("2021-01-01")), 70);
        // Born on 29 February: a year older on 1 March of a common year.
        assert_eq!(age_on("2000-02-29", day("2021-02-28")), 20);
        assert_eq!(age_on("2000-02-29", day("2021-03-01")), 21);
        assert_eq!(age_on("2020-06-01", day("2020-06-01")), 0);
    }

    #[test]
    fn a_date_that_cannot_be_read_gives_no_age() {
        for bad in ["", "1950", "1950-03", "x-y-z", "1950-3-15-1"] {
            assert_eq!(age_on(bad, day("2020-01-01")), 0, "{bad}");
        }
        // A birth date after today is never negative.
        assert_eq!(age_on("2030-01-01", day("2020-01-01")), 0);
    }
}
