//! List and search, read, create, correct, soft-delete and unmask residents of the caller's
//! jurisdiction. Persons leave the server masked unless unmasked by right. The views and operations
//! shared by the API (`web::api::residents`, which adds the handlers) and the pages.

use crate::db::registry::{self, Contact, Resident};
use crate::db::units;
use crate::service::AppState;
use crate::service::caller::{Caller, REAUTH_FRESH_SECS};
use crate::service::error::{ApiResult, AppError};
use crate::service::validate;
use serde::{Deserialize, Serialize};
use shouhu_domain::{Right, mask};

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
pub(crate) fn ymd(date: &str) -> Option<(i32, u32, u32)> {
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

/// A resident's card and everything held about them (PIPL 45).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResidentRecords {
    pub resident: ResidentView,
    /// The health parts empty for a caller without the right to see health records, the gate's
    /// scans for one without the right to read the gate's log.
    pub records: registry::records::Records,
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
