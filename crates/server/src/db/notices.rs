//! Notices (通知) to staff with read receipts (已读回执). The recipients are fixed when a notice is
//! published — the enabled staff of the addressed roles in the addressed units — and each one's
//! receipt only moves forward: delivered → read → confirmed (已学习). A new version asks everyone
//! again; every step stays in `notice_receipts`.

use shouhu_domain::notice::ReceiptStatus;

use super::registry::Actor;
use super::scope::UNITS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, audit, now};

/// A notice to publish.
#[derive(Clone, Debug)]
pub struct NewNotice {
    pub title: String,
    pub body: String,
    pub deadline: i64,
    /// Role names, checked to be audience roles.
    pub roles: Vec<&'static str>,
    /// Units of the publisher's jurisdiction.
    pub unit_ids: Vec<i64>,
    pub to_residents: bool,
    pub idempotency_key: String,
    pub request_hash: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Notice {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub deadline: i64,
    pub roles: String,
    pub to_residents: i64,
    pub version: i64,
    pub recipients: i64,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A unit a notice went to: (id, name).
pub type UnitName = (i64, String);

/// A file kept with a notice, without its bytes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

/// One person's receipt of a notice.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Receipt {
    pub user_id: i64,
    pub display_name: String,
    pub role: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub community_id: i64,
    pub community_name: String,
    pub status: String,
    pub version: i64,
    pub read_at: Option<i64>,
    pub confirmed_at: Option<i64>,
    pub reminded_at: Option<i64>,
    pub escalated_at: Option<i64>,
}

/// A community's (or a unit above one's) receipts added up.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UnitTotal {
    pub community_id: i64,
    pub community_name: String,
    pub recipients: i64,
    pub read: i64,
    pub confirmed: i64,
}

/// A notice in a recipient's list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InboxItem {
    pub id: i64,
    pub title: String,
    pub deadline: i64,
    pub version: i64,
    pub status: String,
    pub created_by_name: String,
    pub created_at: i64,
}

/// A notice in its publisher's list, with the receipts of the reader's jurisdiction.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Published {
    pub id: i64,
    pub title: String,
    pub deadline: i64,
    pub version: i64,
    pub created_by_name: String,
    pub created_at: i64,
    pub recipients: i64,
    pub read: i64,
    pub confirmed: i64,
}

const NOTICE_SELECT: &str = "SELECT n.id, n.title, n.body, n.deadline, n.roles, n.to_residents, \
     n.version, n.recipients, n.created_by, u.display_name AS created_by_name, n.created_at, \
     n.updated_at FROM notices n JOIN users u ON u.id = n.created_by";

/// SQL: the notice `n` reaches the user at `$1`: a recipient, its publisher, or (with `$2` = 1,
/// the right to publish) a leader of a unit it went to or of one of its recipients.
fn visible() -> String {
    format!(
        "(n.created_by = $1 \
         OR EXISTS (SELECT 1 FROM notice_recipients r WHERE r.notice_id = n.id AND r.user_id = $1) \
         OR ($2 = 1 AND EXISTS (SELECT 1 FROM notice_units nu WHERE nu.notice_id = n.id \
             AND nu.unit_id IN ({UNITS_OF_USER}))) \
         OR ($2 = 1 AND EXISTS (SELECT 1 FROM notice_recipients r WHERE r.notice_id = n.id \
             AND r.unit_id IN ({UNITS_OF_USER}))))"
    )
}

/// SQL: the user at `$1` may change the notice `n`: its publisher, or one whose jurisdiction holds
/// every unit it went to.
fn editable() -> String {
    format!(
        "(n.created_by = $1 OR NOT EXISTS (SELECT 1 FROM notice_units nu WHERE nu.notice_id = n.id \
         AND nu.unit_id NOT IN ({UNITS_OF_USER})))"
    )
}

/// Publishes a notice: its recipients are fixed now, each with a delivered receipt. Returns its id
/// and whether this was a replay of an earlier send with the same key.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(db: &Db, actor: &Actor, n: &NewNotice) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    if let Some(id) = super::replayed(
        &mut tx,
        "notices",
        actor,
        &n.idempotency_key,
        &n.request_hash,
    )
    .await?
    {
        return Ok((id, true));
    }
    for &unit in &n.unit_ids {
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM staff_units su JOIN unit_closure c ON c.ancestor_id = su.unit_id \
             WHERE su.user_id = $1 AND c.descendant_id = $2",
        )
        .bind(actor.user_id)
        .bind(unit)
        .fetch_one(&mut *tx)
        .await?;
        if held == 0 {
            // Not told apart from a unit that does not exist.
            return Err(StoreError::Invalid {
                field: "unit_ids",
                code: "unknown_unit",
            });
        }
    }
    let at = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notices (title, body, deadline, roles, to_residents, version, recipients, \
         created_by, created_at, updated_at, idempotency_key, request_hash) \
         VALUES ($1, $2, $3, $4, $5, 1, 0, $6, $7, $7, $8, $9) RETURNING id",
    )
    .bind(&n.title)
    .bind(&n.body)
    .bind(n.deadline)
    .bind(n.roles.join(","))
    .bind(i64::from(n.to_residents))
    .bind(actor.user_id)
    .bind(at)
    .bind(&n.idempotency_key)
    .bind(&n.request_hash)
    .fetch_one(&mut *tx)
    .await?;
    for &unit in &n.unit_ids {
        sqlx::query("INSERT INTO notice_units (notice_id, unit_id) VALUES ($1, $2)")
            .bind(id)
            .bind(unit)
            .execute(&mut *tx)
            .await?;
    }
    let recipients = fix_recipients(&mut tx, id, actor.user_id, &n.roles, at).await?;
    let detail = format!(
        "roles={} units={} recipients={recipients}",
        n.roles.join(","),
        n.unit_ids.len()
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("notices.publish", "notice", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// Fixes the recipients of a notice just inserted: the enabled staff of its roles serving in or
/// under its units (the publisher excepted), each at their own unit — the first, for someone who
/// serves several — and that unit's community.
async fn fix_recipients(
    tx: &mut Tx,
    id: i64,
    publisher: i64,
    roles: &[&'static str],
    at: i64,
) -> StoreResult<i64> {
    if roles.is_empty() {
        return Ok(0);
    }
    // The names are audience roles checked by the caller, never the request's text.
    let roles = roles
        .iter()
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(",");
    let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO notice_recipients (notice_id, user_id, unit_id, community_id, status, version, \
         delivered_at) SELECT $1, x.user_id, x.unit_id, \
         COALESCE((SELECT a.id FROM unit_closure c JOIN org_units a ON a.id = c.ancestor_id \
         WHERE c.descendant_id = x.unit_id AND a.kind = 'community'), x.unit_id), 'delivered', 1, $2 \
         FROM (SELECT u.id AS user_id, MIN(su.unit_id) AS unit_id FROM users u \
         JOIN staff_units su ON su.user_id = u.id \
         WHERE u.disabled = 0 AND u.id <> $3 AND u.role IN ({roles}) AND su.unit_id IN \
         (SELECT c.descendant_id FROM notice_units nu JOIN unit_closure c ON c.ancestor_id = nu.unit_id \
         WHERE nu.notice_id = $1) GROUP BY u.id) x"
    )))
    .bind(id)
    .bind(at)
    .bind(publisher)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let count = i64::try_from(inserted).unwrap_or(i64::MAX);
    steps_of_all(tx, id).await?;
    sqlx::query("UPDATE notices SET recipients = $1 WHERE id = $2")
        .bind(count)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(count)
}

/// Keeps the current step of every receipt of a notice (after publication or a new version).
async fn steps_of_all(tx: &mut Tx, id: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notice_receipts (notice_id, user_id, version, status, at) \
         SELECT notice_id, user_id, version, status, delivered_at FROM notice_recipients \
         WHERE notice_id = $1",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A notice that reaches the caller, with the units it went to and its attachments.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(
    db: &Db,
    scope: &Scope,
    may_publish: bool,
    id: i64,
) -> StoreResult<(Notice, Vec<UnitName>, Vec<Attachment>)> {
    let notice: Notice = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{NOTICE_SELECT} WHERE n.id = $3 AND {}",
        visible()
    )))
    .bind(scope.user_id)
    .bind(i64::from(may_publish))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let units = sqlx::query_as(
        "SELECT o.id, o.name FROM notice_units nu JOIN org_units o ON o.id = nu.unit_id \
         WHERE nu.notice_id = $1 ORDER BY o.code",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let attachments = sqlx::query_as(
        "SELECT id, file_name, content_type, size FROM notice_attachments WHERE notice_id = $1 \
         ORDER BY id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    Ok((notice, units, attachments))
}

/// The caller's own receipt of a notice, if the caller is one of its recipients.
pub async fn my_receipt(db: &Db, user_id: i64, id: i64) -> StoreResult<Option<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT status, version FROM notice_recipients WHERE notice_id = $1 AND user_id = $2",
    )
    .bind(id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// Moves the caller's receipt of version `version` on to `to`. A receipt already there or further
/// stays as it is (`false`); a receipt of another version is a conflict: the notice was changed
/// and must be read again.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn answer(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    to: ReceiptStatus,
) -> StoreResult<(String, bool)> {
    let before: &str = match to {
        ReceiptStatus::Delivered => {
            return Err(StoreError::Invalid {
                field: "status",
                code: "not_forward",
            });
        }
        ReceiptStatus::Read => "('delivered')",
        ReceiptStatus::Confirmed => "('delivered','read')",
    };
    let mut tx = db.begin_write().await?;
    let at = now();
    let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE notice_recipients SET status = $1, read_at = COALESCE(read_at, $2), \
         confirmed_at = CASE WHEN $1 = 'confirmed' THEN $2 ELSE confirmed_at END \
         WHERE notice_id = $3 AND user_id = $4 AND version = $5 AND status IN {before}"
    )))
    .bind(to.as_str())
    .bind(at)
    .bind(id)
    .bind(actor.user_id)
    .bind(version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if moved == 0 {
        let now_at: Option<(String, i64)> = sqlx::query_as(
            "SELECT status, version FROM notice_recipients WHERE notice_id = $1 AND user_id = $2",
        )
        .bind(id)
        .bind(actor.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        return match now_at {
            None => Err(StoreError::NotFound),
            Some((_, v)) if v != version => Err(StoreError::Conflict),
            Some((status, _)) => Ok((status, false)),
        };
    }
    sqlx::query(
        "INSERT INTO notice_receipts (notice_id, user_id, version, status, at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(actor.user_id)
    .bind(version)
    .bind(to.as_str())
    .bind(at)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "notices.receipt",
            "notice",
            id,
            format!("version={version} status={}", to.as_str()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((to.as_str().to_string(), true))
}

/// What a new version changes.
#[derive(Clone, Debug)]
pub struct Revision {
    pub title: String,
    pub body: String,
    pub deadline: i64,
}

/// Issues a new version of a notice the caller may change; every recipient is asked again.
/// Returns the new version.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revise(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    r: &Revision,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let current: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT n.version FROM notices n WHERE n.id = $2 AND {}",
        editable()
    )))
    .bind(actor.user_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let current = current.ok_or(StoreError::NotFound)?;
    if current != version {
        return Err(StoreError::Conflict);
    }
    let at = now();
    let next = version + 1;
    let changed = sqlx::query(
        "UPDATE notices SET title = $1, body = $2, deadline = $3, version = $4, updated_at = $5 \
         WHERE id = $6 AND version = $7",
    )
    .bind(&r.title)
    .bind(&r.body)
    .bind(r.deadline)
    .bind(next)
    .bind(at)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::Conflict);
    }
    sqlx::query(
        "UPDATE notice_recipients SET status = 'delivered', version = $1, delivered_at = $2, \
         read_at = NULL, confirmed_at = NULL, reminded_at = NULL, escalated_at = NULL \
         WHERE notice_id = $3",
    )
    .bind(next)
    .bind(at)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    steps_of_all(&mut tx, id).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("notices.revise", "notice", id, format!("version={next}")),
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// The caller's notices, those still to read or study first (soonest deadline first), then the
/// studied ones, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn inbox(db: &Db, user_id: i64, limit: i64) -> StoreResult<Vec<InboxItem>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.id, n.title, n.deadline, n.version, r.status, u.display_name AS created_by_name, \
         n.created_at FROM notice_recipients r JOIN notices n ON n.id = r.notice_id \
         JOIN users u ON u.id = n.created_by WHERE r.user_id = $1 \
         ORDER BY CASE WHEN r.status = 'confirmed' THEN 1 ELSE 0 END, \
         CASE WHEN r.status = 'confirmed' THEN -n.created_at ELSE n.deadline END, n.id DESC {}",
        super::limit_offset(limit, 0)
    )))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// How many of the caller's notices are not yet studied, and how many of those are past their
/// deadline at `at`.
pub async fn pending(db: &Db, user_id: i64, at: i64) -> StoreResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), COALESCE(CAST(SUM(CASE WHEN n.deadline < $2 THEN 1 ELSE 0 END) AS BIGINT), 0) \
         FROM notice_recipients r JOIN notices n ON n.id = r.notice_id \
         WHERE r.user_id = $1 AND r.status <> 'confirmed'",
    )
    .bind(user_id)
    .bind(at)
    .fetch_one(&db.pool)
    .await?)
}

/// Notices the caller published, that went to units of the caller's jurisdiction or reached its
/// people (a street's notice, for a community's leader), newest first, with their receipts within
/// that jurisdiction added up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn published(db: &Db, scope: &Scope, limit: i64) -> StoreResult<Vec<Published>> {
    let mine = format!("r.notice_id = n.id AND r.unit_id IN ({UNITS_OF_USER})");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.id, n.title, n.deadline, n.version, u.display_name AS created_by_name, \
         n.created_at, \
         (SELECT COUNT(*) FROM notice_recipients r WHERE {mine}) AS recipients, \
         (SELECT COUNT(*) FROM notice_recipients r WHERE {mine} AND r.status <> 'delivered') AS read, \
         (SELECT COUNT(*) FROM notice_recipients r WHERE {mine} AND r.status = 'confirmed') AS confirmed \
         FROM notices n JOIN users u ON u.id = n.created_by WHERE n.created_by = $1 \
         OR EXISTS (SELECT 1 FROM notice_units nu WHERE nu.notice_id = n.id \
         AND nu.unit_id IN ({UNITS_OF_USER})) \
         OR EXISTS (SELECT 1 FROM notice_recipients r WHERE {mine}) ORDER BY n.created_at DESC, n.id DESC {}",
        super::limit_offset(limit, 0)
    )))
    .bind(scope.user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// A notice that reaches a reader with the right to publish, and whether every unit it went to is
/// in the reader's jurisdiction (then so are all its recipients, who serve in or under them).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Head {
    #[sqlx(flatten)]
    pub notice: Notice,
    pub outside: i64,
}

/// SQL: the receipts `r` within the jurisdiction of the user at `$1` — no filter to pay for when
/// the notice went to the reader's units only, as for its publisher.
fn within_reader(head: &Head) -> String {
    if head.outside == 0 {
        " AND $1 = $1".to_string()
    } else {
        format!(" AND r.unit_id IN ({UNITS_OF_USER})")
    }
}

/// The receipts of a notice within the caller's jurisdiction (a publisher's), added up per
/// community, with the notice: two statements, the page's whole cost.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn receipts(db: &Db, scope: &Scope, id: i64) -> StoreResult<(Head, Vec<UnitTotal>)> {
    let head: Head = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.id, n.title, n.body, n.deadline, n.roles, n.to_residents, n.version, \
         n.recipients, n.created_by, u.display_name AS created_by_name, n.created_at, \
         n.updated_at, (SELECT COUNT(*) FROM notice_units nu WHERE nu.notice_id = n.id \
         AND nu.unit_id NOT IN ({UNITS_OF_USER})) AS outside \
         FROM notices n JOIN users u ON u.id = n.created_by WHERE n.id = $3 AND {}",
        visible()
    )))
    .bind(scope.user_id)
    .bind(1_i64)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let mine = within_reader(&head);
    // Added up and picked by ids first, named after: joining every receipt to its names before
    // grouping or sorting cost four times the counting itself at 10,000 recipients.
    let totals: Vec<UnitTotal> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT t.community_id, o.name AS community_name, t.recipients, t.read, t.confirmed \
         FROM (SELECT r.community_id, COUNT(*) AS recipients, \
         CAST(SUM(CASE WHEN r.status <> 'delivered' THEN 1 ELSE 0 END) AS BIGINT) AS read, \
         CAST(SUM(CASE WHEN r.status = 'confirmed' THEN 1 ELSE 0 END) AS BIGINT) AS confirmed \
         FROM notice_recipients r WHERE r.notice_id = $2{mine} \
         GROUP BY r.community_id) t JOIN org_units o ON o.id = t.community_id ORDER BY o.code"
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    Ok((head, totals))
}

/// People's receipts of a notice within the caller's jurisdiction (of one community when given),
/// at most `limit`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn receipt_people(
    db: &Db,
    scope: &Scope,
    head: &Head,
    community: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Receipt>> {
    let id = head.notice.id;
    let mut within = within_reader(head);
    if let Some(c) = community {
        within.push_str(&format!(" AND r.community_id = {c}"));
    }
    // The missing first, then by community and unit (in the order they were set up) and person.
    let people: Vec<Receipt> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.user_id, us.display_name, us.role, r.unit_id, ou.name AS unit_name, \
         r.community_id, oc.name AS community_name, r.status, r.version, r.read_at, \
         r.confirmed_at, r.reminded_at, r.escalated_at FROM (SELECT r.* FROM notice_recipients r \
         WHERE r.notice_id = $2 AND $1 = $1{within} \
         ORDER BY CASE r.status WHEN 'delivered' THEN 0 WHEN 'read' THEN 1 ELSE 2 END, \
         r.community_id, r.unit_id, r.user_id {limit}) r \
         JOIN users us ON us.id = r.user_id JOIN org_units ou ON ou.id = r.unit_id \
         JOIN org_units oc ON oc.id = r.community_id \
         ORDER BY CASE r.status WHEN 'delivered' THEN 0 WHEN 'read' THEN 1 ELSE 2 END, \
         r.community_id, r.unit_id, r.user_id",
        limit = super::limit_offset(limit, 0)
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    Ok(people)
}

/// How long after a notice's deadline a recipient who has not studied it is reported to their
/// leader (the reminder on their own pages comes at the deadline).
pub const TELL_LEADER_AFTER_SECS: i64 = 2 * 3600;

/// Notices whose deadline passed longer ago than this are not looked at again: a service that was
/// down for a week has more to do than remind of them.
const LOOK_BACK_SECS: i64 = 7 * 86_400;

/// At `at`: reminds every recipient past a deadline who has not studied the notice, and tells the
/// leaders of those still missing two hours later. Each happens once per version. Returns how
/// many were reminded and how many reported.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn tick(db: &Db, at: i64) -> StoreResult<(u64, u64)> {
    let mut tx = db.begin_write().await?;
    let reminded = sqlx::query(
        "UPDATE notice_recipients SET reminded_at = $1 WHERE reminded_at IS NULL \
         AND status <> 'confirmed' AND notice_id IN \
         (SELECT id FROM notices WHERE deadline <= $1 AND deadline > $2)",
    )
    .bind(at)
    .bind(at - LOOK_BACK_SECS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let told = sqlx::query(
        "UPDATE notice_recipients SET escalated_at = $1 WHERE escalated_at IS NULL \
         AND status <> 'confirmed' AND notice_id IN \
         (SELECT id FROM notices WHERE deadline <= $3 AND deadline > $2)",
    )
    .bind(at)
    .bind(at - LOOK_BACK_SECS)
    .bind(at - TELL_LEADER_AFTER_SECS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok((reminded, told))
}

/// People of the caller's jurisdiction reported for a notice they have not studied (escalated
/// and still missing), per notice: (notice, title, names).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reported(db: &Db, scope: &Scope) -> StoreResult<Vec<(i64, String, String)>> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT n.id, n.title, us.display_name FROM notice_recipients r \
         JOIN notices n ON n.id = r.notice_id JOIN users us ON us.id = r.user_id \
         WHERE r.escalated_at IS NOT NULL AND r.status <> 'confirmed' AND r.user_id <> $1 \
         AND r.unit_id IN ({UNITS_OF_USER}) ORDER BY n.deadline DESC, n.id, us.display_name LIMIT 200"
    )))
    .bind(scope.user_id)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<(i64, String, String)> = Vec::new();
    for (id, title, name) in rows {
        match out.last_mut() {
            Some(last) if last.0 == id => {
                last.2.push('、');
                last.2.push_str(&name);
            }
            _ => out.push((id, title, name)),
        }
    }
    Ok(out)
}

/// Keeps a file with a notice the caller may change. Returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attach(
    db: &Db,
    actor: &Actor,
    id: i64,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
    max_files: i64,
) -> StoreResult<i64> {
    use sha2::Digest;
    let mut tx = db.begin_write().await?;
    let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT (SELECT COUNT(*) FROM notice_attachments a WHERE a.notice_id = n.id) FROM notices n \
         WHERE n.id = $2 AND {}",
        editable()
    )))
    .bind(actor.user_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let files = found.ok_or(StoreError::NotFound)?;
    if files >= max_files {
        return Err(StoreError::Invalid {
            field: "file",
            code: "too_many_files",
        });
    }
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let aid: i64 = sqlx::query_scalar(
        "INSERT INTO notice_attachments (notice_id, file_name, content_type, size, sha256, content, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(id)
    .bind(file_name)
    .bind(content_type)
    .bind(size)
    .bind(&sha)
    .bind(bytes)
    .bind(actor.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "notices.attach",
            "notice",
            id,
            format!("file={file_name} size={size} sha256={sha}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(aid)
}

/// A file of a notice that reaches the caller: (name, content type, bytes).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attachment(
    db: &Db,
    scope: &Scope,
    may_publish: bool,
    id: i64,
    attachment: i64,
) -> StoreResult<(String, String, Vec<u8>)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT a.file_name, a.content_type, a.content FROM notice_attachments a \
         JOIN notices n ON n.id = a.notice_id WHERE a.id = $4 AND n.id = $3 AND {}",
        visible()
    )))
    .bind(scope.user_id)
    .bind(i64::from(may_publish))
    .bind(id)
    .bind(attachment)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)
}
