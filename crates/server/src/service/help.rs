//! Help requests (求助) of the 24-hour service: the views and operations shared by the API
//! (`web::api::help`, which adds the handlers) and the pages.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shouhu_domain::{HelpCategory, HelpStatus, Right, Urgency};

use crate::db::help::{self, Claim, HelpEvent, HelpRequest, Move, NewHelpRequest, View};
use crate::db::units;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::paging::Paging;
use crate::service::validate;

#[derive(Deserialize, Serialize, Clone, Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpBody {
    /// The household asking, of the caller's jurisdiction; or none, with `place`.
    pub household_id: Option<i64>,
    /// Where, when no household: words (a street, a shop, a car park).
    #[serde(default)]
    pub place: String,
    /// The grid or community it counts in when no household; by default the caller's own unit.
    pub unit: Option<String>,
    /// ride, medicine, food, medical, emergency or other.
    pub category: String,
    /// normal, urgent or critical.
    pub urgency: String,
    /// What is asked, in the caller's words.
    #[serde(default)]
    pub words: String,
    /// A phone to call back.
    pub contact_phone: Option<String>,
    pub idempotency_key: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HelpView {
    pub id: i64,
    pub household_id: Option<i64>,
    pub place: String,
    pub category: String,
    /// The special group it is for (a team's kind).
    pub team_kind: String,
    pub urgency: String,
    pub words: String,
    /// Masked unless the caller may reveal phones.
    pub contact_phone: Option<String>,
    /// new, acknowledged, in_progress, resolved, cancelled or duplicate.
    pub status: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub outcome: String,
    pub duplicate_of: Option<i64>,
    pub created_by_name: String,
    pub created_at: i64,
    /// To be taken by then; `overdue` once past it while still new.
    pub ack_due_at: i64,
    pub overdue: bool,
    pub acknowledged_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub version: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HelpEventView {
    pub from_status: Option<String>,
    pub to_status: String,
    pub assignee_name: Option<String>,
    pub by_name: String,
    pub at: i64,
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HelpDetail {
    #[serde(flatten)]
    pub request: HelpView,
    /// Every move, oldest first.
    pub history: Vec<HelpEventView>,
    /// Each step of dispatch fired: to whom it was offered, and when.
    pub escalations: Vec<EscalationView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EscalationView {
    /// 0 for the first dispatch, one more for each reopening.
    pub round: i64,
    /// 0: the first on duty in the group; 1: the group's others on duty; 2: the duty leader;
    /// 3: the community's leaders.
    pub step: i64,
    pub due_at: i64,
    pub fired_at: i64,
    /// The names it was offered to; empty when there was nobody.
    pub offered_to: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HelpList {
    pub items: Vec<HelpView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpMoveBody {
    /// in_progress, resolved, cancelled, duplicate, or acknowledged (reopen).
    pub to: String,
    pub version: i64,
    /// The outcome (resolved) or the reason (cancelled, reopened); required for those.
    #[serde(default)]
    pub note: String,
    /// The request this one repeats (duplicate).
    pub duplicate_of: Option<i64>,
}

pub fn view(r: &HelpRequest, caller: &Caller, at: i64) -> HelpView {
    let reveal = caller.session.user.role.has(Right::CallResidents);
    HelpView {
        id: r.id,
        household_id: r.household_id,
        place: r.place.clone(),
        category: r.category.clone(),
        team_kind: r.team_kind.clone(),
        urgency: r.urgency.clone(),
        words: r.words.clone(),
        contact_phone: r.contact_phone.as_ref().map(|p| match reveal {
            true => p.clone(),
            false => shouhu_domain::mask::phone(p),
        }),
        overdue: r.status == "new" && r.ack_due_at < at,
        status: r.status.clone(),
        assignee_id: r.assignee_id,
        assignee_name: r.assignee_name.clone(),
        outcome: r.outcome.clone(),
        duplicate_of: r.duplicate_of,
        created_by_name: r.created_by_name.clone(),
        created_at: r.created_at,
        ack_due_at: r.ack_due_at,
        acknowledged_at: r.acknowledged_at,
        closed_at: r.closed_at,
        version: r.version,
    }
}

fn event_view(e: HelpEvent) -> HelpEventView {
    HelpEventView {
        from_status: e.from_status,
        to_status: e.to_status,
        assignee_name: e.assignee_name,
        by_name: e.by_name,
        at: e.at,
        note: e.note,
    }
}

/// Takes a request down (a phone call written down); every field at fault is named. Returns its
/// id and whether this was a replay of an earlier send with the same key.
pub async fn create(state: &AppState, caller: &Caller, b: &HelpBody) -> ApiResult<(i64, bool)> {
    caller
        .require(state, Right::HandleHelpRequests, "help.create")
        .await?;
    let mut f = Faults::default();
    let category = HelpCategory::parse(b.category.trim());
    if category.is_none() {
        f.add(
            "category",
            "unknown_category",
            "ride, medicine, food, medical, emergency or other",
        );
    }
    let urgency = Urgency::parse(b.urgency.trim());
    if urgency.is_none() {
        f.add("urgency", "unknown_urgency", "normal, urgent or critical");
    }
    let place = f.take(validate::text("place", &b.place, 200, false))?;
    let words = f.take(validate::text("words", &b.words, 1000, false))?;
    let phone = match &b.contact_phone {
        Some(p) => f.take(validate::optional_phone("contact_phone", p))?,
        None => Some(None),
    };
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    if b.household_id.is_none() && place.as_deref().is_some_and(str::is_empty) {
        f.add("place", "required", "a household or a place");
    }
    let unit_id = match (
        b.household_id,
        b.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()),
    ) {
        (Some(_), _) => None,
        (None, Some(code)) => match units::get_by_code(&state.db, &caller.scope(), code).await {
            Ok(u) => Some(u.id),
            Err(_) => {
                f.add(
                    "unit",
                    "unknown_unit",
                    "no such grid or community in your jurisdiction",
                );
                None
            }
        },
        // The caller's own unit: the first of their grids' communities, or their grid.
        (None, None) => own_unit(state, caller).await?,
    };
    f.into_result()?;
    let (Some(category), Some(urgency), Some(place), Some(words), Some(phone), Some(key)) =
        (category, urgency, place, words, phone, key)
    else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let canonical = serde_json::to_string(b).map_err(|e| AppError::Internal(e.to_string()))?;
    let new = NewHelpRequest {
        household_id: b.household_id,
        unit_id,
        place,
        category,
        urgency,
        words,
        contact_phone: phone.map(|p| p.to_string()),
        ack_minutes: state.settings.help_ack_minutes.of(urgency),
        idempotency_key: key,
        request_hash: hex::encode(Sha256::digest(canonical.as_bytes())),
        via_link_id: None,
    };
    match help::create(&state.db, &caller.scope(), &caller.actor(), &new).await {
        Err(crate::db::StoreError::NotFound) if b.household_id.is_some() => Err(AppError::invalid(
            "household_id",
            "unknown_household",
            "no such household in your jurisdiction",
        )),
        other => Ok(other?),
    }
}

/// Where a request without a household counts by default: the caller's unit when it is a grid or a
/// community (their first, in code order).
async fn own_unit(state: &AppState, caller: &Caller) -> ApiResult<Option<i64>> {
    let all = units::list(&state.db, &caller.scope()).await?;
    Ok(all
        .iter()
        .find(|u| u.kind == "community")
        .or_else(|| all.iter().find(|u| u.kind == "grid"))
        .map(|u| u.id))
}

/// A request and its history.
pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> ApiResult<HelpDetail> {
    caller
        .require(state, Right::HandleHelpRequests, "help.read")
        .await?;
    let r = help::get(&state.db, &caller.scope(), id).await?;
    let history = help::history(&state.db, id).await?;
    let escalations = crate::db::dispatch::fired(&state.db, id).await?;
    Ok(HelpDetail {
        request: view(&r, caller, crate::db::now()),
        history: history.into_iter().map(event_view).collect(),
        escalations: escalations
            .into_iter()
            .map(|e| EscalationView {
                round: e.round,
                step: e.step,
                due_at: e.due_at,
                fired_at: e.fired_at,
                offered_to: e.names,
            })
            .collect(),
    })
}

/// Claims a new request for the caller; someone quicker wins and is named.
pub async fn claim(state: &AppState, caller: &Caller, id: i64) -> ApiResult<()> {
    caller
        .require(state, Right::HandleHelpRequests, "help.claim")
        .await?;
    match help::claim(&state.db, &caller.scope(), &caller.actor(), id).await? {
        Claim::Won => Ok(()),
        Claim::TakenBy(who) => Err(AppError::Taken(who.unwrap_or_default())),
    }
}

/// Moves a request on; an outcome, a reason or the original is required where the move needs one.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &HelpMoveBody,
) -> ApiResult<()> {
    caller
        .require(state, Right::HandleHelpRequests, "help.transition")
        .await?;
    let mut f = Faults::default();
    let to = HelpStatus::parse(b.to.trim());
    if to.is_none() {
        f.add(
            "to",
            "unknown_status",
            "in_progress, resolved, cancelled, duplicate or acknowledged",
        );
    }
    let note = f.take(validate::text("note", &b.note, 1000, false))?;
    if let (Some(to), Some(note)) = (to, note.as_deref())
        && matches!(to, HelpStatus::Resolved | HelpStatus::Cancelled)
        && note.is_empty()
    {
        f.add("note", "reason_required", "say the outcome or the reason");
    }
    if to == Some(HelpStatus::Duplicate) && b.duplicate_of.is_none() {
        f.add("duplicate_of", "required", "the request this one repeats");
    }
    f.into_result()?;
    let (Some(to), Some(note)) = (to, note) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let m = Move {
        to,
        version: b.version,
        note: &note,
        duplicate_of: b.duplicate_of,
    };
    help::transition(&state.db, &caller.scope(), &caller.actor(), id, &m).await?;
    Ok(())
}

/// The lists: `mine`, `offered`, `group`, `open`, `overdue`, `closed`, or one household's.
pub fn parse_view(view: Option<&str>, household: Option<i64>) -> ApiResult<View> {
    Ok(match (view.map(str::trim).unwrap_or("open"), household) {
        (_, Some(h)) => View::Household(h),
        ("mine", _) => View::Mine,
        ("offered", _) => View::Offered,
        ("group", _) => View::Group,
        ("open" | "", _) => View::Open,
        ("overdue", _) => View::Overdue,
        ("closed", _) => View::Closed,
        _ => {
            return Err(AppError::invalid(
                "view",
                "unknown_view",
                "mine, offered, group, open, overdue or closed",
            ));
        }
    })
}

pub async fn list(
    state: &AppState,
    caller: &Caller,
    which: View,
    paging: &Paging,
) -> ApiResult<HelpList> {
    caller
        .require(state, Right::HandleHelpRequests, "help.list")
        .await?;
    let at = crate::db::now();
    let (items, total) = help::list(
        &state.db,
        &caller.scope(),
        which,
        at,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(HelpList {
        items: items.iter().map(|r| view(r, caller, at)).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}
