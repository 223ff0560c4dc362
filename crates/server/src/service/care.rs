//! Care of vulnerable residents (包干到人): assignments, the daily call plan, call attempts and
//! their escalation to a door visit, home services, staff leave, the coverage view, and each staff
//! member's "today" list.

use serde::{Deserialize, Serialize};
use shouhu_domain::care::{CallOutcome, VISIT_KINDS};
use shouhu_domain::{DutyGroup, Right, mask};

use crate::db::care::{self, Call, NewAssignment, NewAttempt, NewVisit, VULNERABLE};
use crate::db::registry::Contact;
use crate::db::{Db, StoreResult};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::help::{self, HelpBody, HelpView};
use crate::service::paging::Paging;
use crate::service::roster::on_duty_at;
use crate::service::validate;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub resident_id: i64,
    /// The staff member who phones every day.
    pub primary_user_id: i64,
    /// Who takes the calls on the primary's days off.
    pub backup_user_id: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// Gives a resident to a staff member (the leader); any earlier care ends, and the calls still due
/// move to the new primary.
pub async fn assign(state: &AppState, caller: &Caller, b: &AssignBody) -> ApiResult<i64> {
    caller
        .require(state, Right::ManageStaff, "care.assign")
        .await?;
    let (grid, _) = care::resident_place(&state.db, &caller.scope(), b.resident_id).await?;
    let carers = care::carers(&state.db, grid).await?;
    let mut f = Faults::default();
    if !carers.iter().any(|(id, _)| *id == b.primary_user_id) {
        f.add(
            "primary_user_id",
            "not_a_carer",
            "a grid worker, leader or special group member of the resident's community",
        );
    }
    match b.backup_user_id {
        Some(x) if x == b.primary_user_id => f.add(
            "backup_user_id",
            "same_person",
            "the backup is someone else",
        ),
        Some(x) if !carers.iter().any(|(id, _)| *id == x) => f.add(
            "backup_user_id",
            "not_a_carer",
            "a grid worker, leader or special group member of the resident's community",
        ),
        _ => {}
    }
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    f.into_result()?;
    let a = NewAssignment {
        resident_id: b.resident_id,
        grid_id: grid,
        primary: b.primary_user_id,
        backup: b.backup_user_id,
        note: note.unwrap_or_default(),
    };
    let today = state.settings.today().to_string();
    Ok(care::assign(&state.db, &caller.actor(), &a, &today, crate::db::now()).await?)
}

/// Ends a resident's care (the leader).
pub async fn end(state: &AppState, caller: &Caller, id: i64) -> ApiResult<()> {
    caller
        .require(state, Right::ManageStaff, "care.end")
        .await?;
    Ok(care::end(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        crate::db::now(),
    )
    .await?)
}

/// Makes the day's call plan (idempotent): how many calls it added.
pub async fn plan(db: &Db, day: &str) -> StoreResult<u64> {
    care::generate_plan(db, day, crate::db::now()).await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CareRowView {
    pub resident_id: i64,
    pub grid_id: i64,
    pub name: String,
    pub address: String,
    pub tags: Vec<String>,
    pub assignment_id: Option<i64>,
    pub primary_user_id: Option<i64>,
    pub primary_name: Option<String>,
    pub backup_user_id: Option<i64>,
    pub backup_name: Option<String>,
    /// Today's call: due, reached or escalated; none when no one has the resident.
    pub call_id: Option<i64>,
    pub call_status: Option<String>,
    pub attempts: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub day: String,
    /// The tags that make a resident one to care for in this view.
    pub tags: Vec<String>,
    pub items: Vec<CareRowView>,
    pub total: i64,
    /// Of `total`, those no one has.
    pub unassigned: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The leader's view: every vulnerable resident of the jurisdiction (those carrying `tags`, by
/// default 独居老人 and 孤寡老人, and anyone given to someone), who has them, today's call; those
/// with no one first.
pub async fn coverage(
    state: &AppState,
    caller: &Caller,
    tags: Option<&str>,
    only_unassigned: bool,
    paging: &Paging,
) -> ApiResult<Coverage> {
    caller
        .require(state, Right::ReadRegistry, "care.coverage")
        .await?;
    let tags: Vec<String> = match tags.map(str::trim).filter(|t| !t.is_empty()) {
        Some(list) => {
            let parsed: Vec<String> = list.split(',').map(|t| t.trim().to_string()).collect();
            if parsed.iter().any(|t| shouhu_domain::Tag::parse(t).is_err()) {
                return Err(AppError::invalid(
                    "tags",
                    "invalid_tag",
                    "tags, comma-separated",
                ));
            }
            parsed
        }
        None => VULNERABLE.iter().map(|t| t.to_string()).collect(),
    };
    let day = state.settings.today().to_string();
    let names = crate::service::caller::Names::of(caller.session.user.role);
    let (rows, total, unassigned) = care::coverage(
        &state.db,
        &caller.scope(),
        &tags,
        &day,
        only_unassigned,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Coverage {
        day,
        tags,
        items: rows
            .into_iter()
            .map(|r| CareRowView {
                resident_id: r.resident_id,
                grid_id: r.grid_id,
                name: names.show(&r.name),
                address: r.address,
                tags: shouhu_domain::Tags::from_stored(&r.tags)
                    .names()
                    .map(str::to_string)
                    .collect(),
                assignment_id: r.assignment_id,
                primary_user_id: r.primary_id,
                primary_name: r.primary_name,
                backup_user_id: r.backup_id,
                backup_name: r.backup_name,
                call_id: r.call_id,
                call_status: r.call_status,
                attempts: r.attempts.unwrap_or(0),
            })
            .collect(),
        total,
        unassigned,
        page: paging.page,
        per_page: paging.per_page,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FamilyContact {
    pub name: String,
    pub relation: String,
    pub phone: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CallView {
    pub id: i64,
    pub resident_id: i64,
    pub household_id: i64,
    pub name: String,
    pub address: String,
    /// In full to the one who makes the call; masked for others.
    pub phone: Option<String>,
    pub day: String,
    pub assignee_id: i64,
    pub assignee_name: String,
    /// due, reached or escalated.
    pub status: String,
    pub attempts: i64,
    pub missed: i64,
    pub last_outcome: Option<String>,
    /// Escalated: `missed` (too many tries) or `none` (no try that day).
    pub escalation_reason: Option<String>,
    /// The door visit asked, of whom, and whether it is done.
    pub visit_user_id: Option<i64>,
    pub visit_user_name: Option<String>,
    pub visit_done: bool,
    /// Whom to call when the resident cannot be reached: the emergency contact, then the family,
    /// in order.
    pub family: Vec<FamilyContact>,
    pub version: i64,
}

fn call_view(c: Call, caller: &Caller) -> CallView {
    let me = caller.session.user.id;
    let involved = (c.assignee_id == me || c.visit_user_id == Some(me))
        && caller.session.user.role.has(Right::CallResidents);
    let show = |p: Option<String>| p.map(|p| if involved { p } else { mask::phone(&p) });
    let mut family = Vec::new();
    if !c.emergency_contact_name.is_empty() || c.emergency_contact_phone.is_some() {
        family.push(FamilyContact {
            name: c.emergency_contact_name.clone(),
            relation: String::new(),
            phone: show(c.emergency_contact_phone.clone()),
        });
    }
    let contacts: Vec<Contact> = serde_json::from_str(&c.family_contacts).unwrap_or_default();
    for k in contacts {
        family.push(FamilyContact {
            name: k.name,
            relation: k.relation,
            phone: show(Some(k.phone)),
        });
    }
    CallView {
        id: c.id,
        resident_id: c.resident_id,
        household_id: c.household_id,
        name: c.name,
        address: c.address,
        phone: show(c.phone),
        day: c.day,
        assignee_id: c.assignee_id,
        assignee_name: c.assignee_name,
        status: c.status,
        attempts: c.attempts,
        missed: c.missed,
        last_outcome: c.last_outcome,
        escalation_reason: c.escalation_reason,
        visit_user_id: c.visit_user_id,
        visit_user_name: c.visit_user_name,
        visit_done: c.visit_done_at.is_some(),
        family,
        version: c.version,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FollowUpDue {
    pub quarantine_id: i64,
    pub resident_id: i64,
    pub name: String,
    pub address: String,
    pub overdue: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Today {
    pub day: String,
    /// The caller's calls of the day, escalated and due first.
    pub calls: Vec<CallView>,
    /// Door visits asked of the caller, not yet done.
    pub visits: Vec<CallView>,
    /// For a leader: the day's escalated calls of the jurisdiction.
    pub escalated: Vec<CallView>,
    /// Help requests the caller has, and those offered to them still waiting.
    pub help_mine: Vec<HelpView>,
    pub help_offered: Vec<HelpView>,
    /// Quarantine follow-ups due today in the caller's grids (the first 20), and how many.
    pub follow_ups: Vec<FollowUpDue>,
    pub follow_ups_due: i64,
}

/// A staff member's list for today: calls, door visits, help requests, follow-ups.
pub async fn today(state: &AppState, caller: &Caller) -> ApiResult<Today> {
    let role = caller.session.user.role;
    if !(role.has(Right::HandleHelpRequests) || role.has(Right::RecordHealth)) {
        caller
            .require(state, Right::HandleHelpRequests, "today.read")
            .await?;
    }
    let day = state.settings.today();
    let day_s = day.to_string();
    let leader = role.has(Right::ManageStaff);
    let me = caller.session.user.id;
    let (scope, at) = (caller.scope(), crate::db::now());
    let yesterday = (day - chrono::Days::new(1)).to_string();
    // The parts are independent reads: asked at once, a list costs its slowest part, not their sum.
    let calls_read = care::today(&state.db, &scope, &day_s, leader);
    let help_read = async {
        if !role.has(Right::HandleHelpRequests) {
            return Ok((Vec::new(), Vec::new()));
        }
        crate::db::help::mine_and_offered(&state.db, &scope, at, 50).await
    };
    let follow_ups_read = async {
        if !role.has(Right::RecordHealth) {
            return Ok((Vec::new(), 0));
        }
        crate::db::quarantine::due(&state.db, &caller.grids, &day_s, &yesterday, 20, 0).await
    };
    let (all_calls, (mine, offered), (due, follow_ups_due)) =
        tokio::try_join!(calls_read, help_read, follow_ups_read)?;
    let mut calls = Vec::new();
    let mut visits = Vec::new();
    let mut escalated = Vec::new();
    for c in all_calls {
        let v = call_view(c, caller);
        // A door visit asked of the caller comes first, even for their own call.
        if v.visit_user_id == Some(me) && !v.visit_done {
            visits.push(v);
        } else if v.assignee_id == me && v.day == day_s {
            calls.push(v);
        } else {
            escalated.push(v);
        }
    }
    let help_mine = mine.iter().map(|r| help::view(r, caller, at)).collect();
    let help_offered = offered.iter().map(|r| help::view(r, caller, at)).collect();
    let follow_ups = due
        .into_iter()
        .map(|(q, overdue)| FollowUpDue {
            quarantine_id: q.id,
            resident_id: q.resident_id,
            name: q.resident_name,
            address: q.address,
            overdue,
        })
        .collect();
    Ok(Today {
        day: day_s,
        calls,
        visits,
        escalated,
        help_mine,
        help_offered,
        follow_ups,
        follow_ups_due,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptBody {
    /// reached_well, reached_needs_help, no_answer, wrong_number or refused.
    pub outcome: String,
    #[serde(default)]
    pub note: String,
    /// For reached_needs_help: what the help request is about (by default `other`), and how
    /// urgent (by default `urgent`).
    pub help_category: Option<String>,
    pub help_urgency: Option<String>,
    pub idempotency_key: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttemptResult {
    pub call: CallView,
    /// The help request opened for a resident reached and in need.
    pub help_request_id: Option<i64>,
    pub replayed: bool,
}

/// The first of the home-coordination group on duty in a community now: who is asked to knock.
async fn visitor(state: &AppState, community: i64, at: i64) -> StoreResult<Option<i64>> {
    let on = on_duty_at(&state.db, state.settings.time_zone, community, at).await?;
    Ok(on
        .iter()
        .find(|(g, _, _)| *g == DutyGroup::HomeCoordination)
        .map(|(_, p, _)| p.user_id))
}

/// Records one try of a call. Reached completes the day; reached and in need also opens a help
/// request for the household (one tap); the Nth miss escalates to a door visit.
pub async fn attempt(
    state: &AppState,
    caller: &Caller,
    call_id: i64,
    b: &AttemptBody,
) -> ApiResult<AttemptResult> {
    caller
        .require(state, Right::HandleHelpRequests, "care.attempt")
        .await?;
    let call = care::call(&state.db, &caller.scope(), call_id).await?;
    let mut f = Faults::default();
    let outcome = CallOutcome::parse(b.outcome.trim());
    if outcome.is_none() {
        f.add(
            "outcome",
            "unknown_outcome",
            "reached_well, reached_needs_help, no_answer, wrong_number or refused",
        );
    }
    let note = f.take(validate::text("note", &b.note, 500, false))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    f.into_result()?;
    let (Some(outcome), Some(note), Some(key)) = (outcome, note, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    if !matches!(call.status.as_str(), "due" | "escalated") {
        return Err(AppError::invalid(
            "call",
            "call_completed",
            "this call is done for the day",
        ));
    }
    let help_request_id = match outcome {
        CallOutcome::ReachedNeedsHelp => {
            let body = HelpBody {
                household_id: Some(call.household_id),
                place: String::new(),
                unit: None,
                category: b.help_category.clone().unwrap_or_else(|| "other".into()),
                urgency: b.help_urgency.clone().unwrap_or_else(|| "urgent".into()),
                words: format!("{}：{}", call.name, note),
                contact_phone: None,
                idempotency_key: format!("care-{key}"),
            };
            Some(help::create(state, caller, &body).await?.0)
        }
        _ => None,
    };
    let at = crate::db::now();
    let visit_user = match outcome.reaches() {
        true => None,
        false => visitor(state, call.community_id, at).await?,
    };
    let a = NewAttempt {
        outcome,
        note,
        idempotency_key: key,
        help_request_id,
    };
    let limit = state.settings.care_missed_attempts;
    let (_, replayed) =
        care::attempt(&state.db, &caller.actor(), &call, &a, limit, visit_user, at).await?;
    let call = care::call(&state.db, &caller.scope(), call_id).await?;
    Ok(AttemptResult {
        call: call_view(call, caller),
        help_request_id,
        replayed,
    })
}

/// A call of the jurisdiction.
pub async fn call(state: &AppState, caller: &Caller, id: i64) -> ApiResult<CallView> {
    caller
        .require(state, Right::HandleHelpRequests, "care.call")
        .await?;
    Ok(call_view(
        care::call(&state.db, &caller.scope(), id).await?,
        caller,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    pub resident_id: i64,
    /// cleaning, rubbish, shopping, door_visit or other.
    pub kind: String,
    #[serde(default)]
    pub note: String,
    /// The escalated call a door visit answers.
    pub call_id: Option<i64>,
    pub idempotency_key: String,
}

/// Logs a home service or door visit: (id, replayed).
pub async fn visit(state: &AppState, caller: &Caller, b: &VisitBody) -> ApiResult<(i64, bool)> {
    caller
        .require(state, Right::HandleHelpRequests, "care.visit")
        .await?;
    let (grid, _) = care::resident_place(&state.db, &caller.scope(), b.resident_id).await?;
    let mut f = Faults::default();
    let kind = VISIT_KINDS.iter().find(|k| **k == b.kind.trim()).copied();
    if kind.is_none() {
        f.add(
            "kind",
            "unknown_kind",
            "cleaning, rubbish, shopping, door_visit or other",
        );
    }
    let note = f.take(validate::text("note", &b.note, 500, false))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    if let Some(c) = b.call_id {
        match care::call(&state.db, &caller.scope(), c).await {
            Ok(call) if call.resident_id == b.resident_id => {}
            _ => f.add("call_id", "unknown_call", "a call of this resident"),
        }
    }
    f.into_result()?;
    let (Some(kind), Some(note), Some(key)) = (kind, note, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let v = NewVisit {
        resident_id: b.resident_id,
        grid_id: grid,
        kind,
        note,
        call_id: b.call_id,
        idempotency_key: key,
    };
    Ok(care::visit(&state.db, &caller.actor(), &v, crate::db::now()).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveBody {
    /// By default the caller; a leader may enter anyone's.
    pub user_id: Option<i64>,
    /// YYYY-MM-DD, first and last day away.
    pub first_day: String,
    pub last_day: String,
    #[serde(default)]
    pub note: String,
}

/// Days a staff member is away: their calls of those days go to each resident's backup.
pub async fn leave(state: &AppState, caller: &Caller, b: &LeaveBody) -> ApiResult<i64> {
    caller
        .require(state, Right::HandleHelpRequests, "care.leave")
        .await?;
    let me = caller.session.user.id;
    let user = b.user_id.unwrap_or(me);
    if user != me {
        caller
            .require(state, Right::ManageStaff, "care.leave.other")
            .await?;
    }
    let mut f = Faults::default();
    let first = f.take(validate::date("first_day", &b.first_day))?;
    let last = f.take(validate::date("last_day", &b.last_day))?;
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    if let (Some(a), Some(z)) = (first, last)
        && z < a
    {
        f.add(
            "last_day",
            "before_start",
            "the last day comes after the first",
        );
    }
    f.into_result()?;
    let (Some(first), Some(last), Some(note)) = (first, last, note) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    Ok(care::leave(
        &state.db,
        &caller.actor(),
        user,
        &first.to_string(),
        &last.to_string(),
        &note,
        crate::db::now(),
    )
    .await?)
}

/// The service's own round of care: the day's plan when `plan` (idempotent: the service asks once
/// a day and at start), and the escalation of calls left unanswered — a past day still due, or
/// today's with no try once the calling hours are over (`calls_by`, local). Driven by `at`, so
/// tests choose the clock.
pub async fn tick(
    db: &Db,
    tz: chrono_tz::Tz,
    calls_by: chrono::NaiveTime,
    at: i64,
    plan: bool,
) -> StoreResult<usize> {
    let local = chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&tz);
    let today = local.date_naive().to_string();
    if plan {
        care::generate_plan(db, &today, at).await?;
    }
    let day_over = local.time() >= calls_by;
    let mut n = 0;
    // At the end of the calling hours a city has thousands of calls to escalate, from a few
    // hundred communities: who knocks is worked out once per community, not once per call.
    let mut visitors: std::collections::HashMap<i64, Option<i64>> = Default::default();
    for (call, community, attempts) in care::unanswered(db, &today, day_over).await? {
        let visit = match visitors.get(&community) {
            Some(v) => *v,
            None => {
                let v = on_duty_at(db, tz, community, at)
                    .await?
                    .iter()
                    .find(|(g, _, _)| *g == DutyGroup::HomeCoordination)
                    .map(|(_, p, _)| p.user_id);
                visitors.insert(community, v);
                v
            }
        };
        let reason = if attempts == 0 { "none" } else { "missed" };
        if care::escalate(db, call, reason, visit, at).await? {
            n += 1;
        }
    }
    Ok(n)
}
