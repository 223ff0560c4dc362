//! The duty roster (值班表): weekly patterns, one-off shifts and days off, and accepted swaps,
//! worked out into who is on duty when, the hours nobody is, and who on it cannot be reached.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shouhu_domain::{DutyGroup, Phone, Right, Span};

use crate::db::roster::{self, Community, NewPattern, NewShift, NewSwap, Removable};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::validate;

pub use crate::db::roster::{Duties, expand, group_gaps};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommunityRef {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema, Clone)]
pub struct DutyView {
    /// logistics, home_coordination, medical, emergency or duty_leader.
    pub group: String,
    pub user_id: i64,
    pub name: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GapView {
    pub group: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GapTotal {
    pub group: String,
    /// Minutes of the window with nobody of the group on duty.
    pub minutes: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub user_id: i64,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema, Clone)]
pub struct PatternView {
    pub id: i64,
    pub group: String,
    pub user_id: i64,
    pub name: String,
    /// ISO weekday, Monday 1.
    pub weekday: i64,
    /// Local start and end, HH:MM (an end at or before the start runs past midnight).
    pub start: String,
    pub end: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ShiftView {
    pub id: i64,
    pub group: String,
    pub user_id: i64,
    pub name: String,
    /// `on` (an extra shift) or `off` (time off).
    pub kind: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SwapView {
    pub id: i64,
    pub group: String,
    pub from_user_id: i64,
    pub from_name: String,
    pub to_user_id: i64,
    pub to_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    /// proposed, accepted, declined or withdrawn.
    pub status: String,
    pub note: String,
    pub version: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RosterView {
    pub community: CommunityRef,
    pub from: i64,
    pub to: i64,
    /// Each person's duty in the window, by start.
    pub duties: Vec<DutyView>,
    /// The hours with nobody on duty, per group, by start.
    pub gaps: Vec<GapView>,
    pub gap_minutes: Vec<GapTotal>,
    /// On the roster in the window without a phone they can be reached on.
    pub unreachable: Vec<PersonView>,
    pub patterns: Vec<PatternView>,
    pub shifts: Vec<ShiftView>,
    pub swaps: Vec<SwapView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OnDutyView {
    pub group: String,
    pub user_id: i64,
    pub name: String,
    pub phone: Option<String>,
    /// Until when this stretch of duty runs; none when it runs on past the next two days (round
    /// the clock).
    pub until: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OnDutyList {
    pub community: CommunityRef,
    pub at: i64,
    pub items: Vec<OnDutyView>,
    /// Groups with nobody on duty at that instant.
    pub uncovered: Vec<String>,
}

/// The community named by `code` (or the caller's first), of the caller's jurisdiction.
pub async fn community(
    state: &AppState,
    caller: &Caller,
    code: Option<&str>,
) -> ApiResult<Community> {
    let all = roster::communities(&state.db, &caller.scope()).await?;
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => all
            .into_iter()
            .find(|x| x.code == c)
            .ok_or(AppError::NotFound),
        None => all.into_iter().next().ok_or(AppError::invalid(
            "community",
            "required",
            "no community in your jurisdiction",
        )),
    }
}

async fn require_read(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let role = caller.session.user.role;
    if role.has(Right::HandleHelpRequests) || role.has(Right::ManageStaff) {
        return Ok(());
    }
    caller
        .require(state, Right::HandleHelpRequests, "roster.read")
        .await
}

/// Who is on duty and where nobody is, `days` days from `from`.
pub async fn view(
    state: &AppState,
    caller: &Caller,
    code: Option<&str>,
    from: i64,
    days: i64,
) -> ApiResult<RosterView> {
    require_read(state, caller).await?;
    if !(1..=28).contains(&days) {
        return Err(AppError::invalid("days", "out_of_range", "1 to 28 days"));
    }
    let c = community(state, caller, code).await?;
    let window = Span::new(from, from + days * 86_400);
    let r = roster::read(&state.db, c.id, window, crate::db::now()).await?;
    let tz = state.settings.time_zone;
    let duties = expand(&r, tz, window);
    let mut phones: BTreeMap<i64, Option<String>> = BTreeMap::new();
    for g in DutyGroup::ALL {
        for p in roster::people(&state.db, c.id, g).await? {
            phones.insert(p.user_id, p.phone);
        }
    }
    let mut list: Vec<DutyView> = duties
        .iter()
        .flat_map(|((g, u), (name, spans))| {
            spans.iter().map(move |s| DutyView {
                group: g.as_str().into(),
                user_id: *u,
                name: name.clone(),
                starts_at: s.start,
                ends_at: s.end,
            })
        })
        .collect();
    list.sort_by_key(|d| (d.starts_at, d.group.clone(), d.user_id));
    let gaps = group_gaps(&duties, window);
    let mut gap_list: Vec<GapView> = gaps
        .iter()
        .flat_map(|(g, spans)| {
            spans.iter().map(|s| GapView {
                group: g.as_str().into(),
                starts_at: s.start,
                ends_at: s.end,
            })
        })
        .collect();
    gap_list.sort_by_key(|g| (g.starts_at, g.group.clone()));
    let mut unreachable: BTreeMap<i64, PersonView> = BTreeMap::new();
    for ((_, u), (name, _)) in &duties {
        let phone = phones.get(u).cloned().flatten();
        if phone
            .as_deref()
            .and_then(|p| Phone::parse(p).ok())
            .is_none()
        {
            unreachable.insert(
                *u,
                PersonView {
                    user_id: *u,
                    name: name.clone(),
                    phone,
                },
            );
        }
    }
    Ok(RosterView {
        community: CommunityRef {
            code: c.code,
            name: c.name,
        },
        from: window.start,
        to: window.end,
        duties: list,
        gap_minutes: gaps
            .iter()
            .map(|(g, s)| GapTotal {
                group: g.as_str().into(),
                minutes: s.iter().map(|x| x.seconds()).sum::<i64>() / 60,
            })
            .collect(),
        gaps: gap_list,
        unreachable: unreachable.into_values().collect(),
        patterns: r.patterns.into_iter().map(pattern_view).collect(),
        shifts: r.shifts.into_iter().map(shift_view).collect(),
        swaps: r.swaps.into_iter().map(swap_view).collect(),
    })
}

fn hhmm(minute: i64) -> String {
    let m = minute.rem_euclid(1440);
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn pattern_view(p: roster::Pattern) -> PatternView {
    PatternView {
        id: p.id,
        group: p.duty_group,
        user_id: p.user_id,
        name: p.user_name,
        weekday: p.weekday,
        start: hhmm(p.start_minute),
        end: hhmm(p.start_minute + p.minutes),
    }
}

fn shift_view(s: roster::Shift) -> ShiftView {
    ShiftView {
        id: s.id,
        group: s.duty_group,
        user_id: s.user_id,
        name: s.user_name,
        kind: s.kind,
        starts_at: s.starts_at,
        ends_at: s.ends_at,
        note: s.note,
    }
}

fn swap_view(w: roster::Swap) -> SwapView {
    SwapView {
        id: w.id,
        group: w.duty_group,
        from_user_id: w.from_user,
        from_name: w.from_name,
        to_user_id: w.to_user,
        to_name: w.to_name,
        starts_at: w.starts_at,
        ends_at: w.ends_at,
        status: w.status,
        note: w.note,
        version: w.version,
    }
}

/// Who of a community (one group, or all) is on duty at `at`, with until when, and the groups
/// nobody covers then.
pub async fn on_duty(
    state: &AppState,
    caller: &Caller,
    code: Option<&str>,
    group: Option<&str>,
    at: i64,
) -> ApiResult<OnDutyList> {
    require_read(state, caller).await?;
    let only = match group.map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => Some(DutyGroup::parse(g).ok_or(AppError::invalid(
            "group",
            "unknown_group",
            "logistics, home_coordination, medical, emergency or duty_leader",
        ))?),
        None => None,
    };
    let c = community(state, caller, code).await?;
    let people = on_duty_at(&state.db, state.settings.time_zone, c.id, at).await?;
    let mut items = Vec::new();
    let mut uncovered = Vec::new();
    for g in DutyGroup::ALL
        .into_iter()
        .filter(|g| only.is_none_or(|o| o == *g))
    {
        let of_group: Vec<_> = people.iter().filter(|p| p.0 == g).collect();
        if of_group.is_empty() {
            uncovered.push(g.as_str().to_string());
        }
        for (g, p, until) in of_group {
            items.push(OnDutyView {
                group: g.as_str().into(),
                user_id: p.user_id,
                name: p.name.clone(),
                phone: p.phone.clone(),
                until: Some(*until).filter(|u| *u < at + ON_DUTY_HORIZON),
            });
        }
    }
    Ok(OnDutyList {
        community: CommunityRef {
            code: c.code,
            name: c.name,
        },
        at,
        items,
        uncovered,
    })
}

/// How far ahead "until" looks: a stretch running past it is round the clock.
const ON_DUTY_HORIZON: i64 = 2 * 86_400;

/// Everyone of a community on duty at `at`: (group, who, until when). Dispatch asks it too.
pub async fn on_duty_at(
    db: &crate::db::Db,
    tz: chrono_tz::Tz,
    community: i64,
    at: i64,
) -> crate::db::StoreResult<Vec<(DutyGroup, roster::Person, i64)>> {
    let window = Span::new(at, at + ON_DUTY_HORIZON);
    let r = roster::read(
        db,
        community,
        Span::new(at - 86_400, window.end),
        crate::db::now(),
    )
    .await?;
    let duties = expand(&r, tz, window);
    let mut out = Vec::new();
    for g in DutyGroup::ALL {
        let people = roster::people(db, community, g).await?;
        for ((dg, u), (name, spans)) in duties.iter().filter(|((dg, _), _)| *dg == g) {
            if let Some(s) = spans.iter().find(|s| s.contains(at)) {
                let phone = people
                    .iter()
                    .find(|p| p.user_id == *u)
                    .and_then(|p| p.phone.clone());
                let person = roster::Person {
                    user_id: *u,
                    name: name.clone(),
                    phone,
                };
                out.push((*dg, person, s.end));
            }
        }
    }
    Ok(out)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternBody {
    /// The community's code; by default the caller's first.
    pub community: Option<String>,
    pub group: String,
    pub user_id: i64,
    /// ISO weekday, Monday 1 … Sunday 7.
    pub weekday: i64,
    /// Local HH:MM.
    pub start: String,
    /// Local HH:MM; at or before the start, the shift runs past midnight (equal: 24 hours).
    pub end: String,
}

fn minute_of(field: &'static str, v: &str, f: &mut Faults) -> Option<i64> {
    match chrono::NaiveTime::parse_from_str(v.trim(), "%H:%M") {
        Ok(t) => Some(i64::from(t.hour_minute())),
        Err(_) => {
            f.add(field, "invalid_time", "a local time HH:MM");
            None
        }
    }
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for chrono::NaiveTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

fn group_of(v: &str, f: &mut Faults) -> Option<DutyGroup> {
    let g = DutyGroup::parse(v.trim());
    if g.is_none() {
        f.add(
            "group",
            "unknown_group",
            "logistics, home_coordination, medical, emergency or duty_leader",
        );
    }
    g
}

/// Checks that `user` may be on the group's roster, naming `field` if not.
async fn check_member(
    state: &AppState,
    community: i64,
    group: DutyGroup,
    user: i64,
    field: &'static str,
    f: &mut Faults,
) -> ApiResult<()> {
    let people = roster::people(&state.db, community, group).await?;
    if !people.iter().any(|p| p.user_id == user) {
        f.add(
            field,
            "not_in_group",
            "not a member of that group in this community",
        );
    }
    Ok(())
}

/// Adds a weekly shift (the leader).
pub async fn add_pattern(state: &AppState, caller: &Caller, b: &PatternBody) -> ApiResult<i64> {
    caller
        .require(state, Right::ManageStaff, "roster.pattern.add")
        .await?;
    let c = community(state, caller, b.community.as_deref()).await?;
    let mut f = Faults::default();
    let group = group_of(&b.group, &mut f);
    if !(1..=7).contains(&b.weekday) {
        f.add("weekday", "out_of_range", "1 (Monday) to 7 (Sunday)");
    }
    let start = minute_of("start", &b.start, &mut f);
    let end = minute_of("end", &b.end, &mut f);
    if let Some(g) = group {
        check_member(state, c.id, g, b.user_id, "user_id", &mut f).await?;
    }
    f.into_result()?;
    let (Some(group), Some(start), Some(end)) = (group, start, end) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let minutes = match (end - start).rem_euclid(1440) {
        0 => 1440,
        m => m,
    };
    let p = NewPattern {
        group,
        user_id: b.user_id,
        weekday: b.weekday,
        start_minute: start,
        minutes,
    };
    Ok(roster::add_pattern(&state.db, &caller.actor(), c.id, &p).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftBody {
    pub community: Option<String>,
    pub group: String,
    pub user_id: i64,
    /// `on`: an extra shift; `off`: time off from the roster.
    pub kind: String,
    /// Unix seconds; the shift is [starts_at, ends_at).
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(default)]
    pub note: String,
}

/// The longest one-off stretch: a fortnight's leave.
const LONGEST_SHIFT: i64 = 14 * 86_400;

fn span_of(starts_at: i64, ends_at: i64, f: &mut Faults) -> Span {
    let s = Span::new(starts_at, ends_at);
    if s.is_empty() {
        f.add(
            "ends_at",
            "before_start",
            "the end must come after the start",
        );
    } else if s.seconds() > LONGEST_SHIFT {
        f.add("ends_at", "too_long", "at most 14 days at once");
    }
    if starts_at < 946_684_800 || ends_at > 4_102_444_800 {
        f.add(
            "starts_at",
            "out_of_range",
            "an instant between 2000 and 2100",
        );
    }
    s
}

/// Adds a one-off shift or time off (the leader).
pub async fn add_shift(state: &AppState, caller: &Caller, b: &ShiftBody) -> ApiResult<i64> {
    caller
        .require(state, Right::ManageStaff, "roster.shift.add")
        .await?;
    let c = community(state, caller, b.community.as_deref()).await?;
    let mut f = Faults::default();
    let group = group_of(&b.group, &mut f);
    let kind = match b.kind.trim() {
        "on" => Some("on"),
        "off" => Some("off"),
        _ => {
            f.add("kind", "unknown_kind", "on or off");
            None
        }
    };
    let span = span_of(b.starts_at, b.ends_at, &mut f);
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    if let Some(g) = group {
        check_member(state, c.id, g, b.user_id, "user_id", &mut f).await?;
    }
    f.into_result()?;
    let (Some(group), Some(kind), Some(note)) = (group, kind, note) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let s = NewShift {
        group,
        user_id: b.user_id,
        kind,
        span,
        note,
    };
    Ok(roster::add_shift(&state.db, &caller.actor(), c.id, &s).await?)
}

/// Takes a pattern or shift of one of the caller's communities off the roster (the leader).
pub async fn remove(
    state: &AppState,
    caller: &Caller,
    code: Option<&str>,
    what: Removable,
    id: i64,
) -> ApiResult<()> {
    caller
        .require(state, Right::ManageStaff, "roster.remove")
        .await?;
    let c = community(state, caller, code).await?;
    Ok(roster::remove(&state.db, &caller.actor(), c.id, what, id).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapBody {
    pub community: Option<String>,
    pub group: String,
    /// Whose duty is handed over: by default the caller's own (a leader may name anyone's).
    pub from_user_id: Option<i64>,
    pub to_user_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    #[serde(default)]
    pub note: String,
}

/// Proposes handing a stretch of duty to another member; it applies once they accept.
pub async fn propose_swap(state: &AppState, caller: &Caller, b: &SwapBody) -> ApiResult<i64> {
    require_read(state, caller).await?;
    let me = caller.session.user.id;
    let from = b.from_user_id.unwrap_or(me);
    if from != me {
        caller
            .require(state, Right::ManageStaff, "roster.swap.for_other")
            .await?;
    }
    let c = community(state, caller, b.community.as_deref()).await?;
    let mut f = Faults::default();
    let group = group_of(&b.group, &mut f);
    let span = span_of(b.starts_at, b.ends_at, &mut f);
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    if b.to_user_id == from {
        f.add("to_user_id", "same_person", "a swap is with someone else");
    }
    if let Some(g) = group {
        check_member(state, c.id, g, from, "from_user_id", &mut f).await?;
        check_member(state, c.id, g, b.to_user_id, "to_user_id", &mut f).await?;
    }
    f.into_result()?;
    let (Some(group), Some(note)) = (group, note) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let s = NewSwap {
        group,
        from_user: from,
        to_user: b.to_user_id,
        span,
        note,
    };
    Ok(roster::propose_swap(&state.db, &caller.actor(), c.id, &s).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SwapDecision {
    pub community: Option<String>,
    /// accept or decline (the person asked), withdraw (the one who asked, or a leader).
    pub decision: String,
    pub version: i64,
}

/// Accepts, declines or withdraws a proposed swap; only the person asked accepts or declines.
pub async fn decide_swap(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &SwapDecision,
) -> ApiResult<()> {
    require_read(state, caller).await?;
    let c = community(state, caller, b.community.as_deref()).await?;
    let w = roster::swap(&state.db, c.id, id).await?;
    let me = caller.session.user.id;
    let to = match b.decision.trim() {
        "accept" => "accepted",
        "decline" => "declined",
        "withdraw" => "withdrawn",
        _ => {
            return Err(AppError::invalid(
                "decision",
                "unknown_decision",
                "accept, decline or withdraw",
            ));
        }
    };
    let allowed = match to {
        "withdrawn" => {
            me == w.from_user
                || me == w.created_by
                || caller.session.user.role.has(Right::ManageStaff)
        }
        _ => me == w.to_user,
    };
    if !allowed {
        caller
            .audit_refusal(state, "roster.swap.decide", "", "forbidden")
            .await;
        return Err(AppError::Forbidden);
    }
    if w.status != "proposed" {
        return Err(AppError::invalid(
            "decision",
            "transition_not_allowed",
            "the swap is already decided",
        ));
    }
    Ok(roster::decide_swap(&state.db, &caller.actor(), c.id, id, to, b.version).await?)
}
