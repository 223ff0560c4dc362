//! Residents: create, read, search, correct and soft-delete, always within the caller's jurisdiction.
//! Households live in `households.rs`.

use serde::{Deserialize, Serialize};
use shouhu_domain::{IdNumber, Phone, Tags};

use std::sync::LazyLock;

use super::audit::{self, NewEntry};
use super::scope::GRIDS_OF_USER;
use super::{Backend, Db, Scope, StoreError, StoreResult, Tx, now, value_set};

pub mod records;
mod restore;
mod search;
pub use restore::{deleted, deleted_members, recorded_unscoped, restore};
pub use search::{Search, like_escape, search};

/// A family member or other contact kept on a resident's card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    #[serde(default)]
    pub relation: String,
    pub phone: String,
}

/// A resident as stored, with full values. The web edge masks before anything leaves the server.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, Deserialize)]
pub struct Resident {
    pub id: i64,
    pub household_id: i64,
    pub grid_id: i64,
    /// Read with the resident, or filled in from memory for a page (grid_names.rs).
    #[sqlx(default)]
    #[serde(default)]
    pub grid_code: String,
    #[sqlx(default)]
    #[serde(default)]
    pub grid_name: String,
    pub name: String,
    pub id_number: String,
    pub sex: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub relation: String,
    pub tags: String,
    pub family_contacts: String,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: Option<String>,
    pub note: String,
    pub address: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Resident {
    pub fn contacts(&self) -> Vec<Contact> {
        serde_json::from_str(&self.family_contacts).unwrap_or_default()
    }
}

/// The fields of [`Resident`] and where each comes from, in one list for both shapes a resident is
/// read in: the columns of a row and the keys of a JSON object (see [`search`]).
const RESIDENT_FIELDS: [(&str, &str); 20] = [
    ("id", "r.id"),
    ("household_id", "r.household_id"),
    ("grid_id", "r.grid_id"),
    ("grid_code", "g.code"),
    ("grid_name", "g.name"),
    ("name", "r.name"),
    ("id_number", "r.id_number"),
    ("sex", "r.sex"),
    ("birth_date", "r.birth_date"),
    ("phone", "r.phone"),
    ("relation", "r.relation"),
    ("tags", "r.tags"),
    ("family_contacts", "r.family_contacts"),
    ("emergency_contact_name", "r.emergency_contact_name"),
    ("emergency_contact_phone", "r.emergency_contact_phone"),
    ("note", "r.note"),
    ("address", "h.address"),
    ("version", "r.version"),
    ("created_at", "r.created_at"),
    ("updated_at", "r.updated_at"),
];

/// `SELECT` and the columns of a [`Resident`], for a statement ending in [`RESIDENT_FROM`].
static RESIDENT_SELECT_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {}",
        resident_fields(|name, expr| format!("{expr} AS {name}"))
    )
});

/// Each of [`RESIDENT_FIELDS`] written by `each`, joined by commas.
fn resident_fields(each: impl Fn(&str, &str) -> String) -> String {
    fields_of(RESIDENT_FIELDS.iter(), each)
}

/// Where a page reads a field: the address from the copy each resident carries (migration 0015),
/// so that a page reads `residents` alone; the card reads its household's own.
fn page_expr(expr: &'static str) -> &'static str {
    match expr {
        "h.address" => "r.address",
        other => other,
    }
}

/// A page's resident as a JSON array of its fields' values in the order of [`Resident`], which
/// reads such an array by position: the grid's code and name are left empty there and come from
/// memory (grid_names.rs).
fn page_values() -> String {
    RESIDENT_FIELDS
        .iter()
        .map(|(_, expr)| match expr.starts_with("g.") {
            true => "''",
            false => page_expr(expr),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The fields a page of residents reads from the database as rows: all but the grid's code and
/// name, which come from memory (grid_names.rs).
fn page_fields(each: impl Fn(&str, &str) -> String) -> String {
    RESIDENT_FIELDS
        .iter()
        .filter(|(_, expr)| !expr.starts_with("g."))
        .map(|(name, expr)| each(name, page_expr(expr)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn fields_of<'a>(
    fields: impl Iterator<Item = &'a (&'a str, &'a str)>,
    each: impl Fn(&str, &str) -> String,
) -> String {
    fields
        .map(|(name, expr)| each(name, expr))
        .collect::<Vec<_>>()
        .join(", ")
}

const RESIDENT_FROM: &str = "FROM residents r JOIN org_units g ON g.id = r.grid_id JOIN households h ON h.id = r.household_id";

/// The last 4 digits of a stored phone, kept in their own indexed column for 手机尾号 searches.
pub fn phone_last4(phone: &str) -> String {
    phone
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, scope: &Scope, id: i64) -> StoreResult<Resident> {
    let sql = format!(
        "{} {RESIDENT_FROM} WHERE r.id = $2 AND r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER})",
        *RESIDENT_SELECT_COLUMNS
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Whether a resident exists at all, ignoring scope: only to tell the audit log whether a 404 was a
/// refused access or a missing record. Never shown to the caller.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn exists_unscoped(db: &Db, id: i64) -> StoreResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM residents WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .fetch_one(&db.pool)
            .await?;
    Ok(n > 0)
}

/// The parsed values of a new resident.
#[derive(Clone, Debug)]
pub struct NewResident {
    pub household_id: i64,
    pub name: String,
    pub id_number: IdNumber,
    pub phone: Option<Phone>,
    pub relation: String,
    pub tags: Tags,
    pub family_contacts: Vec<Contact>,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: Option<Phone>,
    pub note: String,
}

/// Who did it and from where, for the audit entry written with the change. The command line, run by
/// whoever holds the machine, is user 0.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub address: String,
}

impl Actor {
    pub fn cli() -> Actor {
        Actor {
            user_id: 0,
            username: "cli".into(),
            address: String::new(),
        }
    }

    pub fn entry(
        &self,
        action: &'static str,
        kind: &'static str,
        id: i64,
        detail: String,
    ) -> NewEntry {
        NewEntry {
            actor_id: (self.user_id > 0).then_some(self.user_id),
            actor: self.username.clone(),
            action,
            object_kind: kind,
            object_id: id.to_string(),
            result: "ok",
            address: self.address.clone(),
            detail,
        }
    }
}

/// The grid of a household within scope, or NotFound.
pub(crate) async fn household_grid(
    tx: &mut super::Tx,
    scope: &Scope,
    household_id: i64,
) -> StoreResult<i64> {
    let sql = format!(
        "SELECT grid_id FROM households WHERE id = $2 AND deleted_at IS NULL AND grid_id IN ({GRIDS_OF_USER})"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(household_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::Invalid {
            field: "household_id",
            code: "unknown_household",
        })
}

/// On PostgreSQL, holds the rows of `households` against a change of their address until the
/// transaction ends, so that the address copied into their residents is the one that stands: a
/// change committed meanwhile would leave the copy behind, as neither transaction sees the
/// other's rows (SQLite's writers take turns). Ids in ascending order, as every holder takes them.
pub(crate) async fn hold_households(tx: &mut Tx, backend: Backend, ids: &[i64]) -> StoreResult<()> {
    if backend != Backend::Postgres || ids.is_empty() {
        return Ok(());
    }
    static HOLD: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT id FROM households WHERE {} ORDER BY id FOR SHARE",
            value_set::ints_in(Backend::Postgres, "id", 1)
        )
    });
    sqlx::query(sqlx::AssertSqlSafe(HOLD.as_str()))
        .bind(value_set::ints(backend, ids))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Names a member whose relation says head (户主) the household's head, unless it has one.
pub(crate) async fn head_if_none(
    tx: &mut Tx,
    household_id: i64,
    resident_id: i64,
    relation: &str,
) -> StoreResult<()> {
    if relation == "户主" || relation == "self" {
        sqlx::query(
            "UPDATE households SET head_resident_id = $1 WHERE id = $2 AND head_resident_id IS NULL",
        )
        .bind(resident_id)
        .bind(household_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, r: &NewResident) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let grid_id = household_grid(&mut tx, scope, r.household_id).await?;
    hold_households(&mut tx, db.backend, &[r.household_id]).await?;
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO residents (household_id, grid_id, name, id_number, id_last4, sex, birth_date, \
         phone, relation, tags, family_contacts, emergency_contact_name, emergency_contact_phone, \
         note, version, created_at, updated_at, phone_last4, address) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,1,$15,$15,$16, \
         (SELECT h.address FROM households h WHERE h.id = $1)) RETURNING id",
    )
    .bind(r.household_id)
    .bind(grid_id)
    .bind(&r.name)
    .bind(r.id_number.as_str())
    .bind(r.id_number.last4())
    .bind(r.id_number.sex().as_str())
    .bind(r.id_number.birth_date().to_string())
    .bind(r.phone.as_ref().map(|p| p.as_str().to_string()))
    .bind(&r.relation)
    .bind(r.tags.to_stored())
    .bind(serde_json::to_string(&r.family_contacts).unwrap_or_else(|_| "[]".into()))
    .bind(&r.emergency_contact_name)
    .bind(
        r.emergency_contact_phone
            .as_ref()
            .map(|p| p.as_str().to_string()),
    )
    .bind(&r.note)
    .bind(t)
    .bind(r.phone.as_ref().map(|p| phone_last4(p.as_str())))
    .fetch_one(&mut *tx)
    .await?;
    head_if_none(&mut tx, r.household_id, id, &r.relation).await?;
    super::grid_stats::add(&mut tx, grid_id, 1, 0).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("resident.create", "resident", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Parsed changes to a resident; `None` leaves a field as it is. For phones, `Some(None)` clears.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub household_id: Option<i64>,
    pub name: Option<String>,
    pub id_number: Option<IdNumber>,
    pub phone: Option<Option<Phone>>,
    pub relation: Option<String>,
    pub tags: Option<Tags>,
    pub family_contacts: Option<Vec<Contact>>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<Option<Phone>>,
    pub note: Option<String>,
}

/// Applies `changes` if the stored version is still `version`; otherwise Conflict and nothing changes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    c: &Changes,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "{} {RESIDENT_FROM} WHERE r.id = $2 AND r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER})",
        *RESIDENT_SELECT_COLUMNS
    );
    let cur: Resident = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    if cur.version != version {
        return Err(StoreError::Conflict);
    }
    let (household_id, grid_id) = match c.household_id {
        Some(h) if h != cur.household_id => (h, household_grid(&mut tx, scope, h).await?),
        _ => (cur.household_id, cur.grid_id),
    };
    hold_households(&mut tx, db.backend, &[household_id]).await?;
    let mut changed: Vec<&str> = Vec::new();
    let mut pick = |field: &'static str, new: Option<String>, old: String| match new {
        Some(v) if v != old => {
            changed.push(field);
            v
        }
        _ => old,
    };
    let name = pick("name", c.name.clone(), cur.name.clone());
    let id_number = pick(
        "id_number",
        c.id_number.as_ref().map(|i| i.to_string()),
        cur.id_number.clone(),
    );
    let relation = pick("relation", c.relation.clone(), cur.relation.clone());
    let tags = pick(
        "tags",
        c.tags.as_ref().map(Tags::to_stored),
        cur.tags.clone(),
    );
    let contacts = pick(
        "family_contacts",
        c.family_contacts
            .as_ref()
            .map(|v| serde_json::to_string(v).unwrap_or_else(|_| "[]".into())),
        cur.family_contacts.clone(),
    );
    let ec_name = pick(
        "emergency_contact_name",
        c.emergency_contact_name.clone(),
        cur.emergency_contact_name.clone(),
    );
    let note = pick("note", c.note.clone(), cur.note.clone());
    let opt = |new: &Option<Option<Phone>>, old: &Option<String>| match new {
        Some(p) => p.as_ref().map(|p| p.as_str().to_string()),
        None => old.clone(),
    };
    let phone = opt(&c.phone, &cur.phone);
    if phone != cur.phone {
        changed.push("phone");
    }
    let ec_phone = opt(&c.emergency_contact_phone, &cur.emergency_contact_phone);
    if ec_phone != cur.emergency_contact_phone {
        changed.push("emergency_contact_phone");
    }
    if household_id != cur.household_id {
        changed.push("household_id");
    }
    // Sex and birth date follow the ID number: a record that contradicts its own number (an old
    // import) is set right by any save of it, the data checks' "correct from the ID number" too.
    let parsed = IdNumber::parse(&id_number, chrono::Utc::now().date_naive()).ok();
    let (last4, sex, birth) = match &parsed {
        Some(p) => (
            p.last4().to_string(),
            p.sex().as_str().to_string(),
            p.birth_date().to_string(),
        ),
        None => (
            cur.id_number.chars().skip(14).collect(),
            cur.sex.clone(),
            cur.birth_date.clone(),
        ),
    };
    if sex != cur.sex {
        changed.push("sex");
    }
    if birth != cur.birth_date {
        changed.push("birth_date");
    }
    if changed.is_empty() {
        // Nothing to write: the version stays, so a repeated save is not a conflict for others.
        return Ok(());
    }
    let phone4 = phone.as_deref().map(phone_last4);
    let done = sqlx::query(
        "UPDATE residents SET household_id = $1, grid_id = $2, name = $3, id_number = $4, \
         id_last4 = $5, sex = $6, birth_date = $7, phone = $8, relation = $9, tags = $10, \
         family_contacts = $11, emergency_contact_name = $12, emergency_contact_phone = $13, \
         note = $14, version = version + 1, updated_at = $15, phone_last4 = $18, \
         address = (SELECT h.address FROM households h WHERE h.id = $1) \
         WHERE id = $16 AND version = $17",
    )
    .bind(household_id)
    .bind(grid_id)
    .bind(&name)
    .bind(&id_number)
    .bind(last4)
    .bind(sex)
    .bind(birth)
    .bind(phone)
    .bind(&relation)
    .bind(&tags)
    .bind(&contacts)
    .bind(&ec_name)
    .bind(ec_phone)
    .bind(&note)
    .bind(now())
    .bind(id)
    .bind(version)
    .bind(phone4)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    if grid_id != cur.grid_id {
        // The lower grid first: two moves in opposite directions at once then wait for each
        // other in turn rather than each holding the grid the other needs.
        let mut moved = [(cur.grid_id, -1), (grid_id, 1)];
        moved.sort_unstable();
        for (grid, n) in moved {
            super::grid_stats::add(&mut tx, grid, n, 0).await?;
        }
    }
    // Field names only: the values may be an ID number or a phone, which the log never holds.
    let detail = format!("changed: {}", changed.join(","));
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("resident.update", "resident", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Soft delete: the row stays for the audit trail and can be restored by an administrator.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "UPDATE residents SET deleted_at = $3, version = version + 1, updated_at = $3 \
         WHERE id = $2 AND version = $4 AND deleted_at IS NULL AND grid_id IN ({GRIDS_OF_USER}) \
         RETURNING grid_id"
    );
    let grid: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .bind(now())
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(grid) = grid else {
        drop(tx);
        // Tell a stale version from a record the caller cannot reach.
        return match get(db, scope, id).await {
            Ok(_) => Err(StoreError::Conflict),
            Err(e) => Err(e),
        };
    };
    super::grid_stats::add(&mut tx, grid, -1, 0).await?;
    sqlx::query("UPDATE households SET head_resident_id = NULL WHERE head_resident_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("resident.delete", "resident", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
