//! Survey campaigns (摸排): a questionnaire assigned to grids, a visit per household, progress.

use std::collections::BTreeMap;

use serde_json::Value;

use super::audit;
use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, now};
use crate::survey::{self, Question};

#[derive(Clone, Debug)]
pub struct Survey {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub questions: Vec<Question>,
    pub status: String,
    pub grids: Vec<i64>,
}

/// Creates a campaign over `grids` (all within the caller's jurisdiction and one community).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    name: &str,
    questions: &[Question],
    grids: &[i64],
) -> StoreResult<i64> {
    let mine = super::scope::grids(db, scope).await?;
    if grids.is_empty() || grids.iter().any(|g| !mine.contains(g)) {
        return Err(StoreError::Invalid {
            field: "grids",
            code: "unknown_unit",
        });
    }
    let list = super::id_list(grids);
    let parents: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT parent_id FROM org_units WHERE id IN ({list})"
    )))
    .fetch_all(&db.pool)
    .await?;
    let [community] = parents.as_slice() else {
        return Err(StoreError::Invalid {
            field: "grids",
            code: "grids_of_several_communities",
        });
    };
    let json = serde_json::to_string(questions).map_err(|_| StoreError::Invalid {
        field: "questions",
        code: "invalid_questions",
    })?;
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO surveys (community_id, name, questions, status, created_by, created_at) \
         VALUES ($1, $2, $3, 'open', $4, $5) RETURNING id",
    )
    .bind(community)
    .bind(name)
    .bind(json)
    .bind(scope.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    for g in grids {
        sqlx::query("INSERT INTO survey_grids (survey_id, grid_id) VALUES ($1, $2)")
            .bind(id)
            .bind(g)
            .execute(&mut *tx)
            .await?;
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("survey.create", "survey", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A campaign with at least one grid in the caller's jurisdiction; `grids` are those grids.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, scope: &Scope, id: i64) -> StoreResult<Survey> {
    let row: Option<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT id, community_id, name, questions, status FROM surveys WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    let (id, community_id, name, questions, status) = row.ok_or(StoreError::NotFound)?;
    let grids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id FROM survey_grids WHERE survey_id = $2 AND grid_id IN ({GRIDS_OF_USER}) ORDER BY grid_id"
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    if grids.is_empty() {
        return Err(StoreError::NotFound);
    }
    Ok(Survey {
        id,
        community_id,
        name,
        questions: serde_json::from_str(&questions).unwrap_or_default(),
        status,
        grids,
    })
}

/// A campaign and its progress per grid.
pub type SurveyProgress = (Survey, Vec<Progress>);

/// One page of the campaigns reaching the caller's grids, newest first, each with its progress in
/// those grids, and how many there are in all: one statement (a row per campaign and grid).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_page(
    db: &Db,
    scope: &Scope,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<SurveyProgress>, i64)> {
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        i64,
        i64,
        String,
        String,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH mine AS ({GRIDS_OF_USER}),          page AS (SELECT s.id, s.community_id, s.name, s.questions, s.status, COUNT(*) OVER () AS total            FROM surveys s WHERE s.id IN (SELECT sg.survey_id FROM survey_grids sg            WHERE sg.grid_id IN (SELECT descendant_id FROM mine)) ORDER BY s.id DESC {})          SELECT p.id, p.community_id, p.name, p.questions, p.status, p.total, g.id, g.code, g.name,          (SELECT COUNT(*) FROM households h WHERE h.grid_id = g.id AND h.deleted_at IS NULL),          (SELECT COUNT(*) FROM survey_visits v WHERE v.survey_id = p.id AND v.grid_id = g.id AND v.status = 'done'),          (SELECT COUNT(*) FROM survey_visits v WHERE v.survey_id = p.id AND v.grid_id = g.id AND v.status = 'nobody_home'),          (SELECT COUNT(*) FROM survey_visits v WHERE v.survey_id = p.id AND v.grid_id = g.id AND v.status = 'refused')          FROM page p JOIN survey_grids sg ON sg.survey_id = p.id          JOIN org_units g ON g.id = sg.grid_id          WHERE sg.grid_id IN (SELECT descendant_id FROM mine) ORDER BY p.id DESC, g.code",
        super::limit_offset(limit, offset)
    )))
    .bind(scope.user_id)
    .fetch_all(&db.pool)
    .await?;
    let mut total = rows.first().map_or(0, |r| r.5);
    if rows.is_empty() && offset > 0 {
        // A page past the end: the count alone.
        total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(DISTINCT survey_id) FROM survey_grids WHERE grid_id IN ({GRIDS_OF_USER})"
        )))
        .bind(scope.user_id)
        .fetch_one(&db.pool)
        .await?;
    }
    let mut out: Vec<SurveyProgress> = Vec::new();
    for (
        id,
        community_id,
        name,
        questions,
        status,
        _,
        grid_id,
        grid_code,
        grid_name,
        households,
        done,
        nobody_home,
        refused,
    ) in rows
    {
        if out.last().is_none_or(|(s, _)| s.id != id) {
            out.push((
                Survey {
                    id,
                    community_id,
                    name,
                    questions: serde_json::from_str(&questions).unwrap_or_default(),
                    status,
                    grids: Vec::new(),
                },
                Vec::new(),
            ));
        }
        if let Some((s, progress)) = out.last_mut() {
            s.grids.push(grid_id);
            progress.push(Progress {
                grid_id,
                grid_code,
                grid_name,
                households,
                done,
                nobody_home,
                refused,
            });
        }
    }
    Ok((out, total))
}

/// Per grid: households, and how many are done, nobody home, refused.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct Progress {
    pub grid_id: i64,
    pub grid_code: String,
    pub grid_name: String,
    pub households: i64,
    pub done: i64,
    pub nobody_home: i64,
    pub refused: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn progress(db: &Db, s: &Survey) -> StoreResult<Vec<Progress>> {
    let list = super::id_list(&s.grids);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.id AS grid_id, g.code AS grid_code, g.name AS grid_name, \
         (SELECT COUNT(*) FROM households h WHERE h.grid_id = g.id AND h.deleted_at IS NULL) AS households, \
         (SELECT COUNT(*) FROM survey_visits v WHERE v.survey_id = $1 AND v.grid_id = g.id AND v.status = 'done') AS done, \
         (SELECT COUNT(*) FROM survey_visits v WHERE v.survey_id = $1 AND v.grid_id = g.id AND v.status = 'nobody_home') AS nobody_home, \
         (SELECT COUNT(*) FROM survey_visits v WHERE v.survey_id = $1 AND v.grid_id = g.id AND v.status = 'refused') AS refused \
         FROM org_units g WHERE g.id IN ({list}) ORDER BY g.code"
    )))
    .bind(s.id)
    .fetch_all(&db.pool)
    .await?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HouseholdStatus {
    pub household_id: i64,
    pub grid_code: String,
    pub address: String,
    /// not_visited, done, nobody_home or refused.
    pub status: String,
    pub attempts: i64,
}

/// The campaign's households in the caller's grids, with their status; `status` filters.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn households(
    db: &Db,
    s: &Survey,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<HouseholdStatus>, i64)> {
    let list = super::id_list(&s.grids);
    let base = format!(
        "FROM households h JOIN org_units g ON g.id = h.grid_id \
         LEFT JOIN survey_visits v ON v.survey_id = $1 AND v.household_id = h.id \
         WHERE h.deleted_at IS NULL AND h.grid_id IN ({list}) \
         AND ($2 = '' OR COALESCE(v.status, 'not_visited') = $2)"
    );
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT h.id AS household_id, g.code AS grid_code, h.address, COALESCE(v.status, 'not_visited') AS status, \
         COALESCE(v.attempts, 0) AS attempts {base} ORDER BY h.grid_id, h.id {}",
        super::limit_offset(limit, offset)
    )))
    .bind(s.id)
    .bind(status.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) {base}")))
        .bind(s.id)
        .bind(status.unwrap_or(""))
        .fetch_one(&db.pool)
        .await?;
    Ok((items, total))
}

/// The members of a household of the campaign (id, name, relation, birth date), in order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn members(
    db: &Db,
    s: &Survey,
    household_id: i64,
) -> StoreResult<Vec<(i64, String, String, String)>> {
    let list = super::id_list(&s.grids);
    let exists: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM households WHERE id = $1 AND deleted_at IS NULL AND grid_id IN ({list})"
    )))
    .bind(household_id)
    .fetch_one(&db.pool)
    .await?;
    if exists == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(sqlx::query_as(
        "SELECT id, name, relation, birth_date FROM residents WHERE household_id = $1 AND deleted_at IS NULL ORDER BY id",
    )
    .bind(household_id)
    .fetch_all(&db.pool)
    .await?)
}

/// The stored answers of a household's visit, if any.
/// A visit's status, version and answers.
pub type Answers = (String, i64, BTreeMap<String, Value>);

#[tracing::instrument(level = "debug", skip_all)]
pub async fn answers(db: &Db, s: &Survey, household_id: i64) -> StoreResult<Option<Answers>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT status, attempts, answers FROM survey_visits WHERE survey_id = $1 AND household_id = $2",
    )
    .bind(s.id)
    .bind(household_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.map(|(st, a, json)| (st, a, serde_json::from_str(&json).unwrap_or_default())))
}

/// What a visit found: `done` with answers, `nobody_home` or `refused`.
pub struct Outcome<'a> {
    pub status: &'a str,
    pub answers: &'a BTreeMap<String, Value>,
    /// The send's key: the same key again (a replay from a phone's queue) changes nothing more.
    pub key: Option<&'a str>,
    /// When the visit was last saved as the worker saw it (0: not visited). Someone else's save
    /// since is a conflict, not overwritten; None saves regardless (the API's older callers).
    pub seen: Option<i64>,
    /// The phone's time, for a visit sent later from an offline queue.
    pub device_at: Option<i64>,
}

/// When the household's visit was last saved, 0 if never: what a visit's page was shown with.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn saved_at(db: &Db, s: &Survey, household_id: i64) -> StoreResult<i64> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT updated_at FROM survey_visits WHERE survey_id = $1 AND household_id = $2",
    )
    .bind(s.id)
    .bind(household_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(at.unwrap_or(0))
}

/// Records a visit: `done` with answers (checked against the questionnaire and the members),
/// `nobody_home` (one more attempt) or `refused`. A done visit is evaluated against the risk areas.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn visit(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    s: &Survey,
    household_id: i64,
    outcome: Outcome<'_>,
    today: chrono::NaiveDate,
) -> StoreResult<i64> {
    let Outcome {
        status,
        answers,
        key,
        seen,
        device_at,
    } = outcome;
    if s.status != "open" {
        return Err(StoreError::Invalid {
            field: "survey",
            code: "survey_closed",
        });
    }
    let members: Vec<i64> = members(db, s, household_id)
        .await?
        .into_iter()
        .map(|m| m.0)
        .collect();
    let checked = if status == "done" {
        survey::check_answers(&s.questions, answers, &members).map_err(|e| StoreError::Invalid {
            field: "answers",
            code: e.code,
        })?
    } else {
        BTreeMap::new()
    };
    let json = serde_json::to_string(&checked).unwrap_or_else(|_| "{}".into());
    let grid: i64 = sqlx::query_scalar("SELECT grid_id FROM households WHERE id = $1")
        .bind(household_id)
        .fetch_one(&db.pool)
        .await?;
    let mut tx = db.begin_write().await?;
    type Existing = (i64, i64, String, i64, i64, Option<String>);
    let existing: Option<Existing> = sqlx::query_as(
        "SELECT id, attempts, status, updated_by, updated_at, idempotency_key FROM survey_visits \
         WHERE survey_id = $1 AND household_id = $2",
    )
    .bind(s.id)
    .bind(household_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, _, _, by, at, earlier_key)) = &existing {
        // A replay of the send that made this save: answered as it was, nothing written again.
        if key.is_some() && earlier_key.as_deref() == key {
            return Ok(*id);
        }
        // Someone else saved it since the worker's page was shown: theirs stands until the
        // worker looks again. The worker's own earlier save (another queued send) is no conflict.
        if seen.is_some_and(|seen| seen != *at) && *by != scope.user_id {
            return Err(StoreError::Conflict);
        }
    }
    let was_done = existing.as_ref().is_some_and(|e| e.2 == "done");
    let t = now();
    let id = match existing {
        Some((id, attempts, ..)) => {
            let attempts = if status == "nobody_home" { attempts + 1 } else { attempts };
            sqlx::query(
                "UPDATE survey_visits SET status = $1, attempts = $2, answers = $3, updated_by = $4, \
                 updated_at = $5, idempotency_key = $7, device_at = $8 WHERE id = $6",
            )
            .bind(status)
            .bind(attempts)
            .bind(&json)
            .bind(scope.user_id)
            .bind(t)
            .bind(id)
            .bind(key)
            .bind(device_at)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => sqlx::query_scalar(
            "INSERT INTO survey_visits (survey_id, household_id, grid_id, status, attempts, answers, \
             updated_by, updated_at, idempotency_key, device_at) \
             VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(s.id)
        .bind(household_id)
        .bind(grid)
        .bind(status)
        .bind(&json)
        .bind(scope.user_id)
        .bind(t)
        .bind(key)
        .bind(device_at)
        .fetch_one(&mut *tx)
        .await?,
    };
    if status == "done" {
        super::risk::evaluate(&mut tx, id, grid, &checked, today).await?;
        // Counted once per household and campaign, the day its visit was first done.
        if !was_done {
            super::report_stats::add(&mut tx, grid, &today.to_string(), "survey_visits", 1).await?;
        }
    }
    // The outcome only: the answers (travel, health) stay in the visit.
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "survey.visit",
            "household",
            household_id,
            format!("survey {}: {status}", s.id),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
