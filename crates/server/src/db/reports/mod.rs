//! The daily report (日报) of any unit and day, from figures kept as records are written: per grid
//! and day (`day_stats`, `gate_day_stats`, `report_day_stats`) and the registry's running counts
//! (`grid_stats`), with the states of the moment (episodes active, residents at risk, beds taken) —
//! for a day that has ended, as they stood at its end (`state_changes`).
//! Grids roll up into communities, communities into whatever the unit is; a community whose report
//! was submitted counts with its frozen snapshot (`submit.rs`).

mod notice_figures;
pub mod service_figures;
pub mod submit;
pub mod supply_figures;
pub mod trend;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::report_stats::local_today;
use super::{Db, StoreResult, state_changes};

/// Every figure of a row, in the order of the sheet's columns.
pub const KEYS: [&str; 45] = [
    "residents",
    "households",
    "survey_visits",
    "health_checks",
    "fevers",
    "at_risk",
    "quarantine_new",
    "quarantine_active",
    "quarantine_released",
    "quarantine_transferred",
    "quarantine_home",
    "quarantine_centralized",
    "quarantine_hospital",
    "observation_beds",
    "observation_occupied",
    "gate_in",
    "gate_out",
    "gate_refused",
    "refused_exit_quota",
    "refused_quarantine",
    "refused_fever",
    "refused_curfew",
    "refused_revoked_pass",
    "refused_unknown_code",
    "refused_visitor_not_registered",
    "refused_vehicle_not_allowed",
    "help_opened",
    "help_resolved",
    "help_open",
    "help_escalated",
    "care_calls_due",
    "care_calls_reached",
    "care_calls_missed",
    "care_calls_escalated",
    "roster_gap_minutes",
    "supply_needs_recorded",
    "supply_needs_delivered",
    "supply_households_waiting",
    "supply_deliveries_isolated",
    "supply_donations",
    "protective_stock",
    "protective_used_week",
    "notices_due",
    "notices_confirmed",
    "notices_missing",
];

/// A row's figures by key; every key present.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Figures(pub BTreeMap<String, i64>);

impl Default for Figures {
    fn default() -> Figures {
        Figures(KEYS.iter().map(|k| ((*k).to_string(), 0)).collect())
    }
}

impl Figures {
    pub fn add(&mut self, key: &str, n: i64) {
        *self.0.entry(key.to_string()).or_default() += n;
    }

    pub fn get(&self, key: &str) -> i64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    pub fn add_all(&mut self, other: &Figures) {
        for (k, n) in &other.0 {
            self.add(k, *n);
        }
    }

    pub fn is_zero(&self) -> bool {
        self.0.values().all(|n| *n == 0)
    }

    /// A gate figure of `gate_day_stats` (`in`, `out`, `refused:<reason>`).
    fn add_gate(&mut self, kind: &str, n: i64) {
        match kind.strip_prefix("refused:") {
            Some(reason) => {
                self.add("gate_refused", n);
                self.add(&format!("refused_{reason}"), n);
            }
            None => self.add(&format!("gate_{kind}"), n),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Row {
    pub code: String,
    pub name: String,
    /// A unit's kind, or `own` for what belongs to the unit itself rather than to one of its parts
    /// (a community's gate refusals of unknown codes, its own observation room).
    pub kind: String,
    pub figures: Figures,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ReportUnit {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_id: Option<i64>,
}

impl ReportUnit {
    /// The unit with `code`, unscoped: the caller has checked the jurisdiction (or is the CLI).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn by_code(db: &Db, code: &str) -> StoreResult<Option<ReportUnit>> {
        Ok(
            sqlx::query_as("SELECT id, code, name, kind, parent_id FROM org_units WHERE code = $1")
                .bind(code)
                .fetch_optional(&db.pool)
                .await?,
        )
    }
}

/// The live figures of every grid under a unit, of what belongs to its communities themselves, and
/// of its observation sites by unit.
#[derive(Default)]
struct Live {
    grids: HashMap<i64, Figures>,
    /// Per community: gate scans naming no household.
    community_own: HashMap<i64, Figures>,
    /// Per unit holding observation sites.
    sites: HashMap<i64, Figures>,
}

pub(crate) const UNDER: &str = "SELECT descendant_id FROM unit_closure WHERE ancestor_id = $1";

async fn live(db: &Db, unit_id: i64, day: &str) -> StoreResult<Live> {
    let mut l = Live::default();
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id, residents, households FROM grid_stats WHERE grid_id IN ({UNDER})"
    )))
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?;
    for (g, r, h) in rows {
        let f = l.grids.entry(g).or_default();
        f.add("residents", r);
        f.add("households", h);
    }
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id, health_checks, fevers FROM day_stats WHERE day = $2 AND grid_id IN ({UNDER})"
    )))
    .bind(unit_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    for (g, c, f) in rows {
        let x = l.grids.entry(g).or_default();
        x.add("health_checks", c);
        x.add("fevers", f);
    }
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id, key, n FROM report_day_stats WHERE day = $2 AND grid_id IN ({UNDER})"
    )))
    .bind(unit_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    for (g, k, n) in rows {
        l.grids.entry(g).or_default().add(&k, n);
    }
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id, kind, COUNT(*) FROM quarantines WHERE status = 'active' AND grid_id IN ({UNDER}) GROUP BY grid_id, kind"
    )))
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?;
    for (g, kind, n) in rows {
        let x = l.grids.entry(g).or_default();
        x.add("quarantine_active", n);
        x.add(&format!("quarantine_{kind}"), n);
    }
    let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id, COUNT(*) FROM risk_flags WHERE status = 'pending' AND grid_id IN ({UNDER}) GROUP BY grid_id"
    )))
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?;
    for (g, n) in rows {
        l.grids.entry(g).or_default().add("at_risk", n);
    }
    let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT community_id, grid_id, kind, n FROM gate_day_stats WHERE day = $2 \
         AND (grid_id IN ({UNDER}) OR community_id IN ({UNDER}))"
    )))
    .bind(unit_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    for (c, g, kind, n) in rows {
        if g == 0 {
            l.community_own.entry(c).or_default().add_gate(&kind, n);
        } else {
            l.grids.entry(g).or_default().add_gate(&kind, n);
        }
    }
    // Help requests, from their own times: taken down that day, resolved that day, and still
    // open at its end (for today: now). One taken at community level counts with the community.
    if let Some((start, end)) = super::report_stats::day_bounds(day) {
        let rows: Vec<(Option<i64>, i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT grid_id, community_id, \
             CAST(SUM(CASE WHEN created_at >= $2 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN status = 'resolved' AND closed_at >= $2 AND closed_at < $3 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN closed_at IS NULL OR closed_at >= $3 THEN 1 ELSE 0 END) AS BIGINT) \
             FROM help_requests WHERE created_at < $3 \
             AND (grid_id IN ({UNDER}) OR community_id IN ({UNDER})) GROUP BY grid_id, community_id"
        )))
        .bind(unit_id)
        .bind(start)
        .bind(end)
        .fetch_all(&db.pool)
        .await?;
        for (g, c, opened, resolved, open) in rows {
            let x = match g {
                Some(g) => l.grids.entry(g).or_default(),
                None => l.community_own.entry(c).or_default(),
            };
            x.add("help_opened", opened);
            x.add("help_resolved", resolved);
            x.add("help_open", open);
        }
    }
    service_figures::add(db, unit_id, day, &mut l).await?;
    supply_figures::add(db, unit_id, day, &mut l).await?;
    notice_figures::add(db, unit_id, day, &mut l).await?;
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT unit_id, beds, occupied FROM observation_sites WHERE unit_id IN ({UNDER})"
    )))
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?;
    for (u, beds, occupied) in rows {
        let x = l.sites.entry(u).or_default();
        x.add("observation_beds", beds);
        x.add("observation_occupied", occupied);
    }
    // The figures of state above are as they stand now; a day that has ended stood as they did at
    // its end: now, less what changed after it.
    if day < local_today().as_str() {
        for (u, key, n) in state_changes::after(db, unit_id, day).await? {
            let at = if state_changes::is_site_key(&key) {
                &mut l.sites
            } else {
                &mut l.grids
            };
            at.entry(u).or_default().add(&key, -n);
        }
    }
    Ok(l)
}

/// A report as the API answers it and as a submitted one is frozen.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    pub unit: String,
    pub unit_name: String,
    pub unit_kind: String,
    pub date: String,
    /// `live` (computed now), `submitted` (a community's frozen snapshot), `returned` (sent back
    /// for correction; live again), or `aggregate` (above a community: live figures and the
    /// communities' snapshots together).
    pub status: String,
    /// The snapshot's version, when frozen.
    pub version: Option<i64>,
    pub submitted_by: Option<String>,
    /// Unix seconds.
    pub submitted_at: Option<i64>,
    pub on_time: Option<bool>,
    pub remark: String,
    pub correction_reason: String,
    pub return_reason: String,
    /// The totals: the sum of `rows`.
    pub figures: Figures,
    pub rows: Vec<Row>,
    /// The median times of the help requests, over the whole unit (medians do not add up).
    #[serde(default)]
    pub times: service_figures::Times,
}

/// A community's latest version of the day, if any.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Version {
    pub unit_id: i64,
    pub version: i64,
    pub status: String,
    pub snapshot: String,
    pub remark: String,
    pub correction_reason: String,
    pub submitted_by: String,
    pub submitted_at: i64,
    pub on_time: i64,
    pub return_reason: String,
}

/// The latest version of each community under `unit_id` (itself included) for `day`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn latest_versions(
    db: &Db,
    unit_id: i64,
    day: &str,
) -> StoreResult<HashMap<i64, Version>> {
    let rows: Vec<Version> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT d.unit_id, d.version, d.status, d.snapshot, d.remark, d.correction_reason, u.username AS submitted_by, \
         d.submitted_at, d.on_time, d.return_reason FROM daily_reports d JOIN users u ON u.id = d.submitted_by \
         WHERE d.day = $2 AND d.unit_id IN ({UNDER}) \
         AND d.version = (SELECT MAX(x.version) FROM daily_reports x WHERE x.unit_id = d.unit_id AND x.day = d.day)"
    )))
    .bind(unit_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().map(|v| (v.unit_id, v)).collect())
}

fn frozen(v: &Version) -> Option<Report> {
    if v.status != "submitted" {
        return None;
    }
    serde_json::from_str::<Report>(&v.snapshot).ok()
}

async fn units_under(db: &Db, unit_id: i64, kind: &str) -> StoreResult<Vec<ReportUnit>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.code, u.name, u.kind, u.parent_id FROM org_units u WHERE u.kind = $2 AND u.id IN ({UNDER}) ORDER BY u.code"
    )))
    .bind(unit_id)
    .bind(kind)
    .fetch_all(&db.pool)
    .await?)
}

fn total(rows: &[Row]) -> Figures {
    let mut t = Figures::default();
    for r in rows {
        t.add_all(&r.figures);
    }
    t
}

/// The report of `unit` for `day`: a community's frozen snapshot when it has one, else live.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn daily(db: &Db, unit: &ReportUnit, day: &str) -> StoreResult<Report> {
    build(db, unit, day, true).await
}

/// `snapshot`: a submitted community answers its snapshot; false computes it afresh (to submit).
pub(crate) async fn build(
    db: &Db,
    unit: &ReportUnit,
    day: &str,
    snapshot: bool,
) -> StoreResult<Report> {
    let versions = latest_versions(db, unit.id, day).await?;
    let mut report = Report {
        unit: unit.code.clone(),
        unit_name: unit.name.clone(),
        unit_kind: unit.kind.clone(),
        date: day.to_string(),
        status: if unit.kind == "community" {
            "live"
        } else {
            "aggregate"
        }
        .into(),
        version: None,
        submitted_by: None,
        submitted_at: None,
        on_time: None,
        remark: String::new(),
        correction_reason: String::new(),
        return_reason: String::new(),
        figures: Figures::default(),
        rows: Vec::new(),
        times: service_figures::Times::default(),
    };
    if unit.kind == "community"
        && let Some(v) = versions.get(&unit.id)
    {
        match frozen(v) {
            Some(frozen) if snapshot => return Ok(frozen),
            Some(_) => {}
            None => report.status = "returned".into(),
        }
        report.version = Some(v.version);
        report.return_reason = v.return_reason.clone();
    }
    let live = live(db, unit.id, day).await?;
    let grids = units_under(db, unit.id, "grid").await?;
    let grid_row = |g: &ReportUnit| Row {
        code: g.code.clone(),
        name: g.name.clone(),
        kind: "grid".into(),
        figures: live.grids.get(&g.id).cloned().unwrap_or_default(),
    };
    match unit.kind.as_str() {
        "grid" => report.rows = grids.iter().map(grid_row).collect(),
        "community" => {
            report.rows = grids.iter().map(grid_row).collect();
            let mut own = live
                .community_own
                .get(&unit.id)
                .cloned()
                .unwrap_or_default();
            if let Some(s) = live.sites.get(&unit.id) {
                own.add_all(s);
            }
            if !own.is_zero() {
                report.rows.push(Row {
                    code: unit.code.clone(),
                    name: format!("{}（社区本级）", unit.name),
                    kind: "own".into(),
                    figures: own,
                });
            }
        }
        _ => {
            // Each community as its snapshot says, or live; then into the unit's parts.
            let communities = units_under(db, unit.id, "community").await?;
            let mut by_community: HashMap<i64, Figures> = HashMap::new();
            for c in &communities {
                let f = match versions.get(&c.id).and_then(frozen) {
                    Some(snapshot) => snapshot.figures,
                    None => {
                        let mut f = live.community_own.get(&c.id).cloned().unwrap_or_default();
                        if let Some(s) = live.sites.get(&c.id) {
                            f.add_all(s);
                        }
                        for g in grids.iter().filter(|g| g.parent_id == Some(c.id)) {
                            if let Some(x) = live.grids.get(&g.id) {
                                f.add_all(x);
                            }
                        }
                        f
                    }
                };
                by_community.insert(c.id, f);
            }
            let parts: Vec<ReportUnit> = sqlx::query_as(
                "SELECT id, code, name, kind, parent_id FROM org_units WHERE parent_id = $1 ORDER BY code",
            )
            .bind(unit.id)
            .fetch_all(&db.pool)
            .await?;
            // Which part holds each community and each site's unit.
            let links: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT c.ancestor_id, c.descendant_id FROM unit_closure c JOIN org_units p ON p.id = c.ancestor_id \
                 WHERE p.parent_id = $1",
            )
            .bind(unit.id)
            .fetch_all(&db.pool)
            .await?;
            let part_of: HashMap<i64, i64> = links.into_iter().map(|(a, d)| (d, a)).collect();
            let mut rows: Vec<Row> = parts
                .iter()
                .map(|p| Row {
                    code: p.code.clone(),
                    name: p.name.clone(),
                    kind: p.kind.clone(),
                    figures: Figures::default(),
                })
                .collect();
            let index: HashMap<i64, usize> =
                parts.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
            let mut own = Figures::default();
            for (c, f) in &by_community {
                match part_of.get(c).and_then(|p| index.get(p)) {
                    Some(i) => rows[*i].figures.add_all(f),
                    None => own.add_all(f),
                }
            }
            // Sites of the unit itself and of levels between it and the communities.
            for (u, f) in &live.sites {
                if communities.iter().any(|c| c.id == *u) {
                    continue;
                }
                match part_of.get(u).and_then(|p| index.get(p)) {
                    Some(i) => rows[*i].figures.add_all(f),
                    None => own.add_all(f),
                }
            }
            if !own.is_zero() {
                rows.push(Row {
                    code: unit.code.clone(),
                    name: format!("{}（本级）", unit.name),
                    kind: "own".into(),
                    figures: own,
                });
            }
            report.rows = rows;
        }
    }
    report.figures = total(&report.rows);
    report.times = service_figures::times(db, unit.id, day).await?;
    report.times.supply_oldest_wait_seconds = supply_figures::oldest_wait(db, unit.id, day).await?;
    report.times.protective_days_left = supply_figures::protective_days_left(
        report.figures.get("protective_stock"),
        report.figures.get("protective_used_week"),
    );
    Ok(report)
}
