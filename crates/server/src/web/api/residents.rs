//! `/api/v1/residents`: list and search, read, create, correct, soft-delete and unmask residents of
//! the caller's jurisdiction. Persons leave the server masked unless unmasked by right.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shouhu_domain::{Right, mask};

use super::paging::Paging;
use crate::db::registry::{self, Contact, Resident, Search};
use crate::db::units;
use crate::web::AppState;
use crate::web::auth::{Caller, REAUTH_FRESH_SECS};
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery, JsonOfSize};
use crate::web::validate;

#[derive(Serialize, utoipa::ToSchema)]
pub struct EmergencyContact {
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResidentView {
    pub id: i64,
    pub household_id: i64,
    pub grid_code: String,
    pub grid_name: String,
    pub name: String,
    /// Masked (`650203********1234`) unless unmasked by right.
    pub id_number: String,
    /// Masked (`138****5678`).
    pub phone: Option<String>,
    pub sex: String,
    pub birth_date: String,
    pub age: u32,
    pub relation: String,
    pub tags: Vec<String>,
    pub family_contacts: Vec<Contact>,
    pub emergency_contact: EmergencyContact,
    pub note: String,
    pub address: String,
    pub version: i64,
    pub updated_at: i64,
}

pub fn age_on(birth_date: &str, today: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    let Some((y, m, d)) = ymd(birth_date) else {
        return 0;
    };
    let mut age = today.year() - y;
    if (today.month(), today.day()) < (m, d) {
        age -= 1;
    }
    age.max(0) as u32
}

/// The year, month and day of a stored `YYYY-MM-DD` date, read without a format parser: every
/// row of every list has one.
fn ymd(date: &str) -> Option<(i32, u32, u32)> {
    let mut parts = date.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    Some((y, m, d))
}

/// The masked view every list and card shows. Takes the row by value: its strings move into the
/// view instead of being copied, row after row of a list.
pub fn view(r: Resident, today: chrono::NaiveDate) -> ResidentView {
    let contacts = r.contacts();
    ResidentView {
        id: r.id,
        household_id: r.household_id,
        id_number: mask::id_number(&r.id_number),
        phone: r.phone.as_deref().map(mask::phone),
        age: age_on(&r.birth_date, today),
        tags: shouhu_domain::Tags::from_stored(&r.tags)
            .names()
            .map(str::to_string)
            .collect(),
        family_contacts: contacts
            .into_iter()
            .map(|c| Contact {
                phone: mask::phone(&c.phone),
                ..c
            })
            .collect(),
        emergency_contact: EmergencyContact {
            name: r.emergency_contact_name,
            phone: r.emergency_contact_phone.as_deref().map(mask::phone),
        },
        grid_code: r.grid_code,
        grid_name: r.grid_name,
        name: r.name,
        sex: r.sex,
        birth_date: r.birth_date,
        relation: r.relation,
        note: r.note,
        address: r.address,
        version: r.version,
        updated_at: r.updated_at,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Name (its beginning: a surname or a full name), last 4 characters of the ID number or phone,
    /// a full ID number, part of a phone number, or part of an address (a search with a digit or
    /// an address word such as 号, 楼, 单元, 路 also looks in addresses; a number at its start
    /// is a whole number there: 1号楼 finds building 1, not 11号楼).
    pub q: Option<String>,
    /// Code of a unit of the caller's jurisdiction to narrow to.
    pub unit: Option<String>,
    pub household_id: Option<i64>,
    pub tag: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ResidentList {
    pub items: Vec<ResidentView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Resolves `unit=CODE` within the caller's jurisdiction; an unknown or foreign code is refused
/// the same way, so codes outside it cannot be probed.
pub async fn unit_filter(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
) -> ApiResult<Option<i64>> {
    match unit.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(code) if code.chars().any(char::is_control) || code.len() > 40 => Err(
            AppError::invalid("unit", "unknown_unit", "no such unit in your jurisdiction"),
        ),
        Some(code) => match units::get_by_code(&state.db, &caller.scope(), code).await {
            Ok(u) => Ok(Some(u.id)),
            Err(crate::db::StoreError::NotFound) => Err(AppError::invalid(
                "unit",
                "unknown_unit",
                "no such unit in your jurisdiction",
            )),
            Err(e) => Err(e.into()),
        },
    }
}

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

/// Reads a resident in scope; a miss is audited as a refusal when the record exists elsewhere.
pub async fn fetch(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Resident> {
    match registry::get(&state.db, &caller.scope(), id).await {
        Ok(r) => Ok(r),
        Err(crate::db::StoreError::NotFound) => {
            if registry::exists_unscoped(&state.db, id).await? {
                caller
                    .audit_refusal(state, "resident.read", &id.to_string(), "denied")
                    .await;
            }
            Err(AppError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResidentPatch {
    /// The version read; a stale one answers 409 and changes nothing.
    pub version: i64,
    pub household_id: Option<i64>,
    pub name: Option<String>,
    pub id_number: Option<String>,
    /// An empty string clears the phone.
    pub phone: Option<String>,
    pub relation: Option<String>,
    pub tags: Option<Vec<String>>,
    pub family_contacts: Option<Vec<Contact>>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub note: Option<String>,
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResidentBody {
    pub household_id: i64,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    #[serde(default)]
    pub relation: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub family_contacts: Vec<Contact>,
    #[serde(default)]
    pub emergency_contact_name: String,
    pub emergency_contact_phone: Option<String>,
    #[serde(default)]
    pub note: String,
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

/// Registers a resident; shared by the API and the pages.
pub async fn create_resident(
    state: &AppState,
    caller: &Caller,
    b: &NewResidentBody,
) -> ApiResult<i64> {
    caller
        .require(state, Right::EditRegistry, "resident.create")
        .await?;
    let new = validate::new_resident(b, state.settings.today())?;
    Ok(registry::create(&state.db, &caller.scope(), &caller.actor(), &new).await?)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionParam {
    pub version: i64,
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

/// A resident's card and everything held about them (PIPL 45).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResidentRecords {
    pub resident: ResidentView,
    /// The health parts empty for a caller without the right to see health records, the gate's
    /// scans for one without the right to read the gate's log.
    pub records: registry::records::Records,
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

/// Brings a deleted resident of the caller's jurisdiction back (for the API and the page); a miss
/// is audited as a refusal when the record exists elsewhere.
pub async fn restore_in_scope(state: &AppState, caller: &Caller, id: i64) -> ApiResult<()> {
    match registry::restore(&state.db, &caller.scope(), &caller.actor(), id).await {
        Ok(()) => Ok(()),
        Err(crate::db::StoreError::NotFound) => {
            if registry::recorded_unscoped(&state.db, id).await? {
                caller
                    .audit_refusal(state, "resident.restore", &id.to_string(), "denied")
                    .await;
            }
            Err(AppError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unmask {
    /// The caller's own password: unmasking needs a fresh re-authentication.
    pub password: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Unmasked {
    pub id: i64,
    pub id_number: String,
    pub phone: Option<String>,
    pub emergency_contact_phone: Option<String>,
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

/// Accepts a fresh re-authentication, or checks the password given now and records it.
pub async fn reauthenticate(
    state: &AppState,
    caller: &Caller,
    password: Option<&str>,
) -> ApiResult<()> {
    let fresh = caller
        .session
        .reauth_at
        .is_some_and(|t| crate::db::now() - t <= REAUTH_FRESH_SECS);
    match password {
        None if fresh => Ok(()),
        None => Err(AppError::invalid(
            "password",
            "reauthentication_required",
            "enter your password again",
        )),
        Some(pw) => {
            let (_, hash) = crate::db::accounts::find_by_id(&state.db, caller.session.user.id)
                .await?
                .ok_or(AppError::Unauthorized)?;
            let ok = crate::db::accounts::verify_password_blocking(&hash, pw).await?;
            if !ok {
                caller
                    .audit_refusal(state, "session.reauth", "", "refused")
                    .await;
                return Err(AppError::invalid(
                    "password",
                    "invalid_credentials",
                    "the password is wrong",
                ));
            }
            crate::db::accounts::mark_reauth(&state.db, &caller.session.token_hash).await?;
            Ok(())
        }
    }
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
