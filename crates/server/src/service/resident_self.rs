//! The household's own pages (居民端) behind its link: what they show and what a resident can send
//! — a temperature per member, a help request, a supplies request, a correction request. Shared by
//! the pages (`web::pages::resident`) and the API (`web::api::resident_self`).
//!
//! What is sent is recorded in the same tables as staff records, with the link beside the worker
//! answerable for it (`db::resident_links`), so the medical group, the 24-hour service and the
//! needs list see it as they see everything else.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shouhu_domain::help::{HelpCategory, Urgency};
use shouhu_domain::{Temperature, mask};

use crate::db::health::{self, NewCheck};
use crate::db::resident_links::{Link, actor_of, scope_of};
use crate::db::resident_self as store;
use crate::db::supplies::needs::{self, NewNeed};
use crate::db::{StoreError, help};
use crate::service::AppState;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::validate;

/// How far back notices to residents are shown.
const NOTICES_SINCE_SECS: i64 = 30 * 86_400;
/// How many of the household's requests are shown.
const ASKED_SHOWN: i64 = 20;

/// A member as the household's pages show them: masked as for staff lists.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfMember {
    pub id: i64,
    /// Masked (`张*明`).
    pub name: String,
    pub relation: String,
    pub age: u32,
    /// Today's latest reading, if any.
    pub today: Option<SelfReading>,
}

/// A reading, and who took it: the resident through the link, or a worker on their behalf.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfReading {
    pub temperature: f64,
    pub fever: bool,
    pub at: i64,
    /// Sent through the household's link.
    pub by_self: bool,
    /// The worker who recorded it for the resident (代录), when not by_self.
    pub recorded_by: Option<String>,
}

/// A help or supplies request of the household, and its status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfAsked {
    pub id: i64,
    /// The help request's category, or the item's name.
    pub what: String,
    /// For supplies; 0 for help.
    pub quantity: i64,
    pub status: String,
    pub created_at: i64,
    pub by_self: bool,
    /// The worker who asked on the household's behalf, when not by_self.
    pub recorded_by: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfNotice {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfCorrection {
    pub id: i64,
    /// The member concerned (masked), or none for the household.
    pub member: Option<String>,
    pub words: String,
    /// open, corrected or declined.
    pub status: String,
    pub created_at: i64,
    pub answer: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfItem {
    pub id: i64,
    pub name: String,
    pub unit: String,
}

/// Everything the household's page shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfHousehold {
    pub address: String,
    /// The household's gate pass, what its QR code holds.
    pub pass_code: Option<String>,
    pub members: Vec<SelfMember>,
    pub help: Vec<SelfAsked>,
    pub needs: Vec<SelfAsked>,
    pub notices: Vec<SelfNotice>,
    pub corrections: Vec<SelfCorrection>,
    /// What can be asked for.
    pub items: Vec<SelfItem>,
}

fn by_whom(via_link: Option<i64>, name: String) -> (bool, Option<String>) {
    match via_link {
        Some(_) => (true, None),
        None => (false, Some(name)),
    }
}

fn asked(a: store::Asked) -> SelfAsked {
    let (by_self, recorded_by) = by_whom(a.via_link_id, a.created_by_name);
    SelfAsked {
        id: a.id,
        what: a.what,
        quantity: a.quantity,
        status: a.status,
        created_at: a.created_at,
        by_self,
        recorded_by,
    }
}

/// The household's members with their full records, read for its own pages only.
pub async fn members(
    state: &AppState,
    link: &Link,
) -> ApiResult<Vec<crate::db::registry::Resident>> {
    let search = crate::db::registry::Search {
        household_id: Some(link.household_id),
        ..Default::default()
    };
    let (members, _) =
        crate::db::registry::search(&state.db, &scope_of(link), &search, 100, 0).await?;
    Ok(members)
}

pub async fn household(state: &AppState, link: &Link, address: &str) -> ApiResult<SelfHousehold> {
    let today = state.settings.today();
    let day = today.to_string();
    let members = members(state, link).await?;
    let readings = store::readings(&state.db, link, &day).await?;
    let actor = actor_of(link, address.to_string());
    let pass = crate::db::gate::pass_for(&state.db, &scope_of(link), &actor, link.household_id)
        .await
        .ok();
    let corrections = store::corrections_of(&state.db, link.household_id).await?;
    Ok(SelfHousehold {
        address: link.address.clone(),
        pass_code: pass.map(|p| p.code),
        members: members
            .into_iter()
            .map(|r| {
                let reading = readings
                    .iter()
                    .rev()
                    .find(|c| c.resident_id == r.id)
                    .map(|c| {
                        let (by_self, recorded_by) =
                            by_whom(c.via_link_id, c.recorded_by_name.clone());
                        SelfReading {
                            temperature: Temperature::from_tenths(c.temperature_tenths).celsius(),
                            fever: c.fever != 0,
                            at: c.checked_at,
                            by_self,
                            recorded_by,
                        }
                    });
                SelfMember {
                    id: r.id,
                    name: mask::name(&r.name),
                    relation: r.relation,
                    age: super::residents::age_on(&r.birth_date, today),
                    today: reading,
                }
            })
            .collect(),
        help: store::help_asked(&state.db, link, ASKED_SHOWN)
            .await?
            .into_iter()
            .map(asked)
            .collect(),
        needs: store::needs_asked(&state.db, link, ASKED_SHOWN)
            .await?
            .into_iter()
            .map(asked)
            .collect(),
        notices: store::notices(&state.db, link, crate::db::now() - NOTICES_SINCE_SECS)
            .await?
            .into_iter()
            .map(|n| SelfNotice {
                id: n.id,
                title: n.title,
                body: n.body,
                updated_at: n.updated_at,
            })
            .collect(),
        corrections: corrections
            .into_iter()
            .map(|c| SelfCorrection {
                id: c.id,
                member: c.resident_name.as_deref().map(mask::name),
                words: c.words,
                status: c.status,
                created_at: c.created_at,
                answer: c.answer,
            })
            .collect(),
        items: crate::db::supplies::items(&state.db)
            .await?
            .into_iter()
            .filter(|i| i.retired_at.is_none())
            .map(|i| SelfItem {
                id: i.id,
                name: i.name,
                unit: i.unit,
            })
            .collect(),
    })
}

/// A member's temperature, sent by the household.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfCheckBody {
    /// A member of the link's household.
    pub resident_id: i64,
    /// °C, 34.0 to 43.0.
    pub temperature: f64,
    /// Unique per tap; the same key again is the same report (a double tap records once).
    pub idempotency_key: String,
}

/// The answer to a self-report: the reading kept and whether it was kept before.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfCheckAnswer {
    pub id: i64,
    pub fever: bool,
    pub replay: bool,
}

fn link_key(link: &Link, key: &str) -> ApiResult<String> {
    let key = validate::text("idempotency_key", key, 100, true)?;
    Ok(format!("h{}:{key}", link.id))
}

fn digest<T: Serialize>(b: &T) -> ApiResult<String> {
    let canonical = serde_json::to_string(b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
}

/// Someone not of this household: the same answer as an unknown id, so none can be probed.
fn not_a_member() -> AppError {
    AppError::invalid(
        "resident_id",
        "unknown_resident",
        "no such member of this household",
    )
}

pub async fn report_temperature(
    state: &AppState,
    link: &Link,
    b: &SelfCheckBody,
) -> ApiResult<SelfCheckAnswer> {
    let (temperature, _) = super::health::parse_reading(b.temperature, &[])?;
    let key = link_key(link, &b.idempotency_key)?;
    if !store::is_member(&state.db, link, b.resident_id).await? {
        return Err(not_a_member());
    }
    let new = NewCheck {
        resident_id: b.resident_id,
        temperature,
        symptoms: Vec::new(),
        source: "self".into(),
        idempotency_key: key,
        request_hash: digest(b)?,
        via_link_id: Some(link.id),
        device_at: None,
    };
    let day = state.settings.today().to_string();
    let r = match health::record(&state.db, &scope_of(link), &day, &new).await {
        Err(StoreError::NotFound) => return Err(not_a_member()),
        other => other?,
    };
    Ok(SelfCheckAnswer {
        id: r.check.id,
        fever: r.check.fever != 0,
        replay: r.replay,
    })
}

/// A help request from the household.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfHelpBody {
    /// ride, medicine, food, medical or other (an emergency is a call to 120).
    pub category: String,
    /// normal or urgent.
    pub urgency: String,
    #[serde(default)]
    pub words: String,
    /// A number to call back, if not the one on record.
    #[serde(default)]
    pub contact_phone: String,
    pub idempotency_key: String,
}

/// The id of what was asked and whether it was asked before with the same key.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SelfAskAnswer {
    pub id: i64,
    pub replay: bool,
}

pub async fn ask_help(
    state: &AppState,
    link: &Link,
    address: &str,
    b: &SelfHelpBody,
) -> ApiResult<SelfAskAnswer> {
    let mut f = Faults::default();
    let category = HelpCategory::parse(b.category.trim()).filter(|c| *c != HelpCategory::Emergency);
    if category.is_none() {
        f.add(
            "category",
            "unknown_category",
            "ride, medicine, food, medical or other",
        );
    }
    let urgency = Urgency::parse(b.urgency.trim()).filter(|u| *u != Urgency::Critical);
    if urgency.is_none() {
        f.add("urgency", "unknown_urgency", "normal or urgent");
    }
    let words = f.take(validate::text("words", &b.words, 1000, false))?;
    let phone = f.take(validate::optional_phone("contact_phone", &b.contact_phone))?;
    let key = f.take(link_key(link, &b.idempotency_key))?;
    f.into_result()?;
    let (Some(category), Some(urgency), Some(words), Some(phone), Some(key)) =
        (category, urgency, words, phone, key)
    else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let new = help::NewHelpRequest {
        household_id: Some(link.household_id),
        unit_id: None,
        place: String::new(),
        category,
        urgency,
        words,
        contact_phone: phone.map(|p| p.to_string()),
        ack_minutes: state.settings.help_ack_minutes.of(urgency),
        idempotency_key: key,
        request_hash: digest(b)?,
        via_link_id: Some(link.id),
    };
    let (id, replay) = help::create(
        &state.db,
        &scope_of(link),
        &actor_of(link, address.to_string()),
        &new,
    )
    .await?;
    Ok(SelfAskAnswer { id, replay })
}

/// A supplies request from the household.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfNeedBody {
    pub item_id: i64,
    pub quantity: i64,
    #[serde(default)]
    pub note: String,
    pub idempotency_key: String,
}

/// The most a household asks for of one item at once through its link (staff confirm more).
const MAX_SELF_QUANTITY: i64 = 100;

pub async fn ask_need(
    state: &AppState,
    link: &Link,
    address: &str,
    b: &SelfNeedBody,
) -> ApiResult<SelfAskAnswer> {
    let mut f = Faults::default();
    if !(1..=MAX_SELF_QUANTITY).contains(&b.quantity) {
        f.add("quantity", "out_of_range", "a whole number from 1 to 100");
    }
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    let key = f.take(link_key(link, &b.idempotency_key))?;
    f.into_result()?;
    let (Some(note), Some(key)) = (note, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let n = NewNeed {
        household_id: link.household_id,
        item_id: b.item_id,
        quantity: b.quantity,
        // Paid unless staff who know the household record it as free (the vulnerable, the isolated).
        paid: true,
        note,
        // A resident cannot confirm going over the household's cap: staff can.
        confirm: false,
        day: state.settings.today().to_string(),
        idempotency_key: key,
        request_hash: digest(b)?,
        via_link_id: Some(link.id),
    };
    let (id, replay) = needs::create(
        &state.db,
        &scope_of(link),
        &actor_of(link, address.to_string()),
        &n,
    )
    .await?;
    Ok(SelfAskAnswer { id, replay })
}

/// A request to correct what is held.
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelfCorrectionBody {
    /// The member concerned, or none for the household as a whole.
    #[serde(default)]
    pub resident_id: Option<i64>,
    /// What is wrong and what it should be.
    pub words: String,
    pub idempotency_key: String,
}

pub async fn ask_correction(
    state: &AppState,
    link: &Link,
    address: &str,
    b: &SelfCorrectionBody,
) -> ApiResult<SelfAskAnswer> {
    let mut f = Faults::default();
    let words = f.take(validate::text("words", &b.words, 1000, true))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    f.into_result()?;
    let (Some(words), Some(key)) = (words, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    match store::ask_correction(
        &state.db,
        link,
        &actor_of(link, address.to_string()),
        b.resident_id,
        &words,
        &key,
    )
    .await
    {
        Ok((id, replay)) => Ok(SelfAskAnswer { id, replay }),
        Err(StoreError::NotFound) => Err(not_a_member()),
        Err(e) => Err(e.into()),
    }
}
