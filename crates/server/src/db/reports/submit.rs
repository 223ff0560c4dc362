//! Submitting a community's report upward (上报): frozen as a snapshot, each correction a new
//! version with its reason, both kept; the street may return one for correction. The web edge
//! checks rights and scope and audits.

use super::{ReportUnit, build, latest_versions};
use crate::db::{Db, StoreError, StoreResult, now};

pub struct Submission<'a> {
    pub remark: &'a str,
    /// Required when a version exists already.
    pub correction_reason: &'a str,
    pub user_id: i64,
    pub username: &'a str,
    /// Whether now is before the day's deadline (decided by the caller, who knows the zone).
    pub on_time: bool,
}

/// Freezes the community's report of `day` as a new version; answers the version.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit(db: &Db, unit: &ReportUnit, day: &str, s: &Submission<'_>) -> StoreResult<i64> {
    if unit.kind != "community" {
        return Err(StoreError::Invalid {
            field: "unit",
            code: "not_a_community",
        });
    }
    let mut report = build(db, unit, day, false).await?;
    let mut tx = db.begin_write().await?;
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(version) FROM daily_reports WHERE unit_id = $1 AND day = $2",
    )
    .bind(unit.id)
    .bind(day)
    .fetch_one(&mut *tx)
    .await?;
    if last.is_some() && s.correction_reason.trim().is_empty() {
        return Err(StoreError::Invalid {
            field: "correction_reason",
            code: "reason_required",
        });
    }
    let version = last.unwrap_or(0) + 1;
    let t = now();
    report.status = "submitted".into();
    report.version = Some(version);
    report.submitted_by = Some(s.username.to_string());
    report.submitted_at = Some(t);
    report.on_time = Some(s.on_time);
    report.remark = s.remark.to_string();
    report.correction_reason = s.correction_reason.to_string();
    report.return_reason = String::new();
    let snapshot = serde_json::to_string(&report).map_err(|_| StoreError::Invalid {
        field: "unit",
        code: "unserializable",
    })?;
    sqlx::query(
        "INSERT INTO daily_reports (unit_id, day, version, status, snapshot, remark, correction_reason, \
         submitted_by, submitted_at, on_time) VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9)",
    )
    .bind(unit.id)
    .bind(day)
    .bind(version)
    .bind(snapshot)
    .bind(s.remark)
    .bind(s.correction_reason)
    .bind(s.user_id)
    .bind(t)
    .bind(i64::from(s.on_time))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Sends the community's submitted report of `day` back for correction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn send_back(
    db: &Db,
    unit: &ReportUnit,
    day: &str,
    reason: &str,
    user_id: i64,
) -> StoreResult<i64> {
    let versions = latest_versions(db, unit.id, day).await?;
    let Some(v) = versions.get(&unit.id).filter(|v| v.status == "submitted") else {
        return Err(StoreError::Invalid {
            field: "unit",
            code: "not_submitted",
        });
    };
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE daily_reports SET status = 'returned', returned_by = $1, returned_at = $2, return_reason = $3 \
         WHERE unit_id = $4 AND day = $5 AND version = $6 AND status = 'submitted'",
    )
    .bind(user_id)
    .bind(now())
    .bind(reason)
    .bind(unit.id)
    .bind(day)
    .bind(v.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    tx.commit().await?;
    Ok(v.version)
}

/// Where each community under a unit stands for `day`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub code: String,
    pub name: String,
    /// `on_time`, `late`, `returned` or `missing`.
    pub status: String,
    pub version: Option<i64>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<i64>,
    pub return_reason: String,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn completeness(db: &Db, unit_id: i64, day: &str) -> StoreResult<Vec<Standing>> {
    let versions = latest_versions(db, unit_id, day).await?;
    let communities = super::units_under(db, unit_id, "community").await?;
    Ok(communities
        .into_iter()
        .map(|c| match versions.get(&c.id) {
            None => Standing {
                code: c.code,
                name: c.name,
                status: "missing".into(),
                version: None,
                submitted_by: None,
                submitted_at: None,
                return_reason: String::new(),
            },
            Some(v) => Standing {
                code: c.code,
                name: c.name,
                status: if v.status == "returned" {
                    "returned"
                } else if v.on_time != 0 {
                    "on_time"
                } else {
                    "late"
                }
                .into(),
                version: Some(v.version),
                submitted_by: Some(v.submitted_by.clone()),
                submitted_at: Some(v.submitted_at),
                return_reason: v.return_reason.clone(),
            },
        })
        .collect())
}

/// Every version of a community's report of `day`, oldest first: (version, status, reason, by, at).
/// One version of a report: (version, status, reason, by, at).
pub type Version = (i64, String, String, String, i64);

#[tracing::instrument(level = "debug", skip_all)]
pub async fn history(db: &Db, unit_id: i64, day: &str) -> StoreResult<Vec<Version>> {
    Ok(sqlx::query_as(
        "SELECT d.version, d.status, d.correction_reason, u.username, d.submitted_at FROM daily_reports d \
         JOIN users u ON u.id = d.submitted_by WHERE d.unit_id = $1 AND d.day = $2 ORDER BY d.version",
    )
    .bind(unit_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?)
}
