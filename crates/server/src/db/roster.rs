//! The duty roster (值班表) as kept: weekly patterns, one-off shifts and days off, and swaps. What
//! they add up to — who is on duty when, and the gaps — is worked out in `service::roster`.
//!
//! Nothing is deleted: a removed pattern or shift is marked, so the roster of a past night can be
//! read back as it stood.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone};
use shouhu_domain::roster::{intersect, merge, subtract};
use shouhu_domain::{DutyGroup, Span};

use super::registry::Actor;
use super::scope::UNITS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, audit, now};

/// A community the caller may see the roster of: one of their jurisdiction, or the community of
/// one of their grids.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Community {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// The communities of the caller's jurisdiction (grids count by their community), in code order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn communities(db: &Db, scope: &Scope) -> StoreResult<Vec<Community>> {
    let sql = format!(
        "SELECT DISTINCT c.id, c.code, c.name FROM org_units u \
         JOIN org_units c ON c.id = CASE WHEN u.kind = 'grid' THEN u.parent_id ELSE u.id END \
         WHERE u.id IN ({UNITS_OF_USER}) AND c.kind = 'community' ORDER BY c.code"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?)
}

/// A weekly shift.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Pattern {
    pub id: i64,
    pub duty_group: String,
    pub user_id: i64,
    pub user_name: String,
    /// ISO weekday, Monday 1.
    pub weekday: i64,
    /// Local minutes after midnight.
    pub start_minute: i64,
    pub minutes: i64,
}

/// A one-off shift (`on`) or time off (`off`).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Shift {
    pub id: i64,
    pub duty_group: String,
    pub user_id: i64,
    pub user_name: String,
    pub kind: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: String,
}

/// A swap, proposed, accepted, declined or withdrawn.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Swap {
    pub id: i64,
    pub duty_group: String,
    pub from_user: i64,
    pub from_name: String,
    pub to_user: i64,
    pub to_name: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: String,
    pub note: String,
    pub created_by: i64,
    pub version: i64,
}

/// Someone who may be on a group's roster, and the phone they are reached on.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Person {
    pub user_id: i64,
    pub name: String,
    pub phone: Option<String>,
}

/// What the roster holds for a community around a window.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    pub patterns: Vec<Pattern>,
    pub shifts: Vec<Shift>,
    pub swaps: Vec<Swap>,
}

/// Who may be on the roster of `group`: the members of the community's team of that kind, or, for
/// the duty leader, the community's leaders.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn people(db: &Db, community: i64, group: DutyGroup) -> StoreResult<Vec<Person>> {
    let sql = match group.is_team() {
        true => {
            "SELECT u.id AS user_id, u.display_name AS name, u.phone FROM teams t \
             JOIN team_members tm ON tm.team_id = t.id JOIN users u ON u.id = tm.user_id \
             WHERE t.community_id = $1 AND t.kind = $2 AND u.disabled = 0 ORDER BY u.id"
        }
        false => {
            "SELECT u.id AS user_id, u.display_name AS name, u.phone FROM staff_units su \
             JOIN users u ON u.id = su.user_id WHERE su.unit_id = $1 AND $2 = 'duty_leader' \
             AND u.role = 'community_leader' AND u.disabled = 0 ORDER BY u.id"
        }
    };
    Ok(sqlx::query_as(sql)
        .bind(community)
        .bind(group.as_str())
        .fetch_all(&db.pool)
        .await?)
}

/// The roster as it stood at `as_of` (now, or the end of a past day): the patterns then in
/// force, and the shifts and swaps (of any state, accepted by then) that touch `window`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn read(db: &Db, community: i64, window: Span, as_of: i64) -> StoreResult<Roster> {
    let patterns = sqlx::query_as(
        "SELECT p.id, p.duty_group, p.user_id, u.display_name AS user_name, p.weekday, \
         p.start_minute, p.minutes FROM duty_patterns p JOIN users u ON u.id = p.user_id \
         WHERE p.community_id = $1 AND p.created_at <= $2 \
         AND (p.removed_at IS NULL OR p.removed_at > $2) \
         ORDER BY p.duty_group, p.weekday, p.start_minute, p.id",
    )
    .bind(community)
    .bind(as_of)
    .fetch_all(&db.pool)
    .await?;
    let shifts = sqlx::query_as(
        "SELECT s.id, s.duty_group, s.user_id, u.display_name AS user_name, s.kind, s.starts_at, \
         s.ends_at, s.note FROM duty_shifts s JOIN users u ON u.id = s.user_id \
         WHERE s.community_id = $1 AND s.ends_at > $2 AND s.starts_at < $3 AND s.created_at <= $4 \
         AND (s.removed_at IS NULL OR s.removed_at > $4) ORDER BY s.starts_at, s.id",
    )
    .bind(community)
    .bind(window.start)
    .bind(window.end)
    .bind(as_of)
    .fetch_all(&db.pool)
    .await?;
    let swaps = sqlx::query_as(
        "SELECT w.id, w.duty_group, w.from_user, f.display_name AS from_name, w.to_user, \
         t.display_name AS to_name, w.starts_at, w.ends_at, \
         CASE WHEN w.decided_at > $4 THEN 'proposed' ELSE w.status END AS status, w.note, \
         w.created_by, w.version FROM duty_swaps w JOIN users f ON f.id = w.from_user \
         JOIN users t ON t.id = w.to_user WHERE w.community_id = $1 AND w.ends_at > $2 \
         AND w.starts_at < $3 AND w.created_at <= $4 ORDER BY w.starts_at, w.id",
    )
    .bind(community)
    .bind(window.start)
    .bind(window.end)
    .bind(as_of)
    .fetch_all(&db.pool)
    .await?;
    Ok(Roster {
        patterns,
        shifts,
        swaps,
    })
}

/// A weekly shift to add.
#[derive(Clone, Debug)]
pub struct NewPattern {
    pub group: DutyGroup,
    pub user_id: i64,
    pub weekday: i64,
    pub start_minute: i64,
    pub minutes: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_pattern(
    db: &Db,
    actor: &Actor,
    community: i64,
    p: &NewPattern,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO duty_patterns (community_id, duty_group, user_id, weekday, start_minute, \
         minutes, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(community)
    .bind(p.group.as_str())
    .bind(p.user_id)
    .bind(p.weekday)
    .bind(p.start_minute)
    .bind(p.minutes)
    .bind(actor.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let detail = format!(
        "group={} user={} weekday={} start={} minutes={}",
        p.group.as_str(),
        p.user_id,
        p.weekday,
        p.start_minute,
        p.minutes
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("roster.pattern.add", "duty_pattern", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A one-off shift or time off to add.
#[derive(Clone, Debug)]
pub struct NewShift {
    pub group: DutyGroup,
    pub user_id: i64,
    /// `on` or `off`.
    pub kind: &'static str,
    pub span: Span,
    pub note: String,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_shift(db: &Db, actor: &Actor, community: i64, s: &NewShift) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO duty_shifts (community_id, duty_group, user_id, kind, starts_at, ends_at, note, \
         created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id",
    )
    .bind(community)
    .bind(s.group.as_str())
    .bind(s.user_id)
    .bind(s.kind)
    .bind(s.span.start)
    .bind(s.span.end)
    .bind(&s.note)
    .bind(actor.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let detail = format!(
        "group={} user={} kind={} {}..{}",
        s.group.as_str(),
        s.user_id,
        s.kind,
        s.span.start,
        s.span.end
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("roster.shift.add", "duty_shift", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Marks a pattern (`duty_patterns`) or a shift (`duty_shifts`) of the community removed; NotFound
/// if there is none such still in force.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove(
    db: &Db,
    actor: &Actor,
    community: i64,
    what: Removable,
    id: i64,
) -> StoreResult<()> {
    let (table, action, kind) = match what {
        Removable::Pattern => ("duty_patterns", "roster.pattern.remove", "duty_pattern"),
        Removable::Shift => ("duty_shifts", "roster.shift.remove", "duty_shift"),
    };
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {table} SET removed_at = $1, removed_by = $2 \
         WHERE id = $3 AND community_id = $4 AND removed_at IS NULL"
    )))
    .bind(now())
    .bind(actor.user_id)
    .bind(id)
    .bind(community)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(action, kind, id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What `remove` takes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removable {
    Pattern,
    Shift,
}

/// A swap proposed by (or for) `from_user`.
#[derive(Clone, Debug)]
pub struct NewSwap {
    pub group: DutyGroup,
    pub from_user: i64,
    pub to_user: i64,
    pub span: Span,
    pub note: String,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn propose_swap(db: &Db, actor: &Actor, community: i64, s: &NewSwap) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO duty_swaps (community_id, duty_group, from_user, to_user, starts_at, ends_at, \
         status, note, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,'proposed',$7,$8,$9) RETURNING id",
    )
    .bind(community)
    .bind(s.group.as_str())
    .bind(s.from_user)
    .bind(s.to_user)
    .bind(s.span.start)
    .bind(s.span.end)
    .bind(&s.note)
    .bind(actor.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let detail = format!(
        "group={} from={} to={} {}..{}",
        s.group.as_str(),
        s.from_user,
        s.to_user,
        s.span.start,
        s.span.end
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("roster.swap.propose", "duty_swap", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A swap of the community, or NotFound.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn swap(db: &Db, community: i64, id: i64) -> StoreResult<Swap> {
    sqlx::query_as(
        "SELECT w.id, w.duty_group, w.from_user, f.display_name AS from_name, w.to_user, \
         t.display_name AS to_name, w.starts_at, w.ends_at, w.status, w.note, w.created_by, \
         w.version FROM duty_swaps w JOIN users f ON f.id = w.from_user \
         JOIN users t ON t.id = w.to_user WHERE w.id = $1 AND w.community_id = $2",
    )
    .bind(id)
    .bind(community)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Moves a proposed swap to `accepted`, `declined` or `withdrawn` if it is still proposed at the
/// version read; else Conflict and nothing changes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decide_swap(
    db: &Db,
    actor: &Actor,
    community: i64,
    id: i64,
    to: &'static str,
    version: i64,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE duty_swaps SET status = $1, decided_at = $2, version = version + 1 \
         WHERE id = $3 AND community_id = $4 AND status = 'proposed' AND version = $5",
    )
    .bind(to)
    .bind(now())
    .bind(id)
    .bind(community)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("roster.swap.decide", "duty_swap", id, to.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whose duty, in which group: the spans worked out of the roster.
pub type Duties = BTreeMap<(DutyGroup, i64), (String, Vec<Span>)>;

/// The instant a local date and minute of `tz` begin (the earlier of two in a repeated hour; the
/// hour after a skipped one).
fn local_instant(tz: chrono_tz::Tz, date: chrono::NaiveDate, minute: i64) -> Option<i64> {
    let t = date.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(minute);
    match tz.from_local_datetime(&t) {
        chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => {
            Some(x.timestamp())
        }
        chrono::LocalResult::None => tz
            .from_local_datetime(&(t + chrono::Duration::hours(1)))
            .earliest()
            .map(|x| x.timestamp()),
    }
}

/// Who is on duty in `window`: the weekly patterns' occurrences and the extra shifts, less the
/// time off, with accepted swaps moving duty from one person to the other; clipped to the window.
pub fn expand(r: &Roster, tz: chrono_tz::Tz, window: Span) -> Duties {
    let mut on: Duties = BTreeMap::new();
    let mut off: BTreeMap<(DutyGroup, i64), Vec<Span>> = BTreeMap::new();
    let local_date = |t: i64| tz.timestamp_opt(t, 0).earliest().map(|x| x.date_naive());
    if let (Some(first), Some(last)) = (local_date(window.start), local_date(window.end)) {
        // A shift begun the evening before the window may run into it.
        let mut d = first.pred_opt().unwrap_or(first);
        while d <= last {
            for p in &r.patterns {
                let (Some(g), true) = (
                    DutyGroup::parse(&p.duty_group),
                    i64::from(d.weekday().number_from_monday()) == p.weekday,
                ) else {
                    continue;
                };
                if let Some(start) = local_instant(tz, d, p.start_minute) {
                    on.entry((g, p.user_id))
                        .or_insert_with(|| (p.user_name.clone(), Vec::new()))
                        .1
                        .push(Span::new(start, start + p.minutes * 60));
                }
            }
            let Some(next) = d.succ_opt() else { break };
            d = next;
        }
    }
    for s in &r.shifts {
        let Some(g) = DutyGroup::parse(&s.duty_group) else {
            continue;
        };
        let span = Span::new(s.starts_at, s.ends_at);
        match s.kind.as_str() {
            "on" => on
                .entry((g, s.user_id))
                .or_insert_with(|| (s.user_name.clone(), Vec::new()))
                .1
                .push(span),
            _ => off.entry((g, s.user_id)).or_default().push(span),
        }
    }
    for ((g, u), (_, spans)) in on.iter_mut() {
        let cut = off.get(&(*g, *u)).map(Vec::as_slice).unwrap_or(&[]);
        *spans = subtract(spans, cut);
    }
    for w in r.swaps.iter().filter(|w| w.status == "accepted") {
        let Some(g) = DutyGroup::parse(&w.duty_group) else {
            continue;
        };
        let taken = match on.get_mut(&(g, w.from_user)) {
            Some((_, spans)) => {
                let taken = intersect(spans, Span::new(w.starts_at, w.ends_at));
                *spans = subtract(spans, &taken);
                taken
            }
            None => Vec::new(),
        };
        let to = on
            .entry((g, w.to_user))
            .or_insert_with(|| (w.to_name.clone(), Vec::new()));
        to.1.extend(taken);
        to.1 = merge(std::mem::take(&mut to.1));
    }
    for (_, spans) in on.values_mut() {
        *spans = intersect(spans, window);
    }
    on.retain(|_, (_, spans)| !spans.is_empty());
    on
}

/// The hours of `window` each group has nobody on duty.
pub fn group_gaps(duties: &Duties, window: Span) -> BTreeMap<DutyGroup, Vec<Span>> {
    DutyGroup::ALL
        .into_iter()
        .map(|g| {
            let covered: Vec<Span> = duties
                .iter()
                .filter(|((dg, _), _)| *dg == g)
                .flat_map(|(_, (_, spans))| spans.iter().copied())
                .collect();
            (g, shouhu_domain::roster::gaps(window, &covered))
        })
        .collect()
}
