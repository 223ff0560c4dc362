//! Residents: create, read, search, correct and soft-delete, always within the caller's jurisdiction.
//! Households live in `households.rs`.

use serde::{Deserialize, Serialize};
use shouhu_domain::{IdNumber, Phone, Tags};

use super::audit::{self, NewEntry};
use super::scope::GRIDS_OF_USER;
use super::{Backend, Db, Scope, StoreError, StoreResult, now};

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
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Resident {
    pub id: i64,
    pub household_id: i64,
    pub grid_id: i64,
    pub grid_code: String,
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

const RESIDENT_SELECT_COLUMNS: &str = "SELECT r.id, r.household_id, r.grid_id, g.code AS grid_code, \
     g.name AS grid_name, r.name, r.id_number, r.sex, r.birth_date, r.phone, r.relation, r.tags, \
     r.family_contacts, r.emergency_contact_name, r.emergency_contact_phone, r.note, \
     h.address, r.version, r.created_at, r.updated_at";
const RESIDENT_FROM: &str = "FROM residents r JOIN org_units g ON g.id = r.grid_id JOIN households h ON h.id = r.household_id";

/// A search of residents.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub q: String,
    pub unit_id: Option<i64>,
    pub household_id: Option<i64>,
    pub tag: Option<String>,
}

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

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Builds the WHERE clause of a search with only the conditions in use, so each planner sees a
/// simple query: the scope's grids through the `(grid_id, id)` index, then the filters. Returns
/// the clause, the values to bind (`$1`…) and whether the matches are a set gathered through
/// several indexes (see [`search`]).
fn search_where(s: &Search, grids: &[i64], backend: Backend) -> (String, Vec<SearchBind>, bool) {
    let mut gathered = false;
    let mut binds: Vec<SearchBind> = Vec::new();
    let next = |b: SearchBind, binds: &mut Vec<SearchBind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    // The jurisdiction's grids as literal values: both planners then estimate each grid's rows
    // from their statistics instead of guessing at a subquery (PostgreSQL's guess made it walk a
    // city's whole index for one grid).
    let grid_list = grids
        .iter()
        .map(|g| next(SearchBind::Int(*g), &mut binds))
        .collect::<Vec<_>>()
        .join(",");
    let mut sql = format!("r.deleted_at IS NULL AND r.grid_id IN ({grid_list})");
    let q = s.q.trim();
    if !q.is_empty() {
        // What a worker types says what they look for; each kind gets the cheapest condition.
        let e = like_escape(q);
        let idish = q
            .chars()
            .all(|c| c.is_ascii_digit() || c == 'X' || c == 'x');
        let len = q.chars().count();
        if idish && len == 4 {
            // 身份证后四位 or 手机尾号.
            // Both are indexed: a few hundred rows city-wide, then the jurisdiction.
            let last4 = next(SearchBind::Text(q.to_uppercase()), &mut binds);
            sql.push_str(&format!(
                " AND (r.id_last4 = {last4} OR r.phone_last4 = {last4})"
            ));
        } else if idish && (len == 15 || len == 18) {
            let id = next(SearchBind::Text(q.to_uppercase()), &mut binds);
            sql.push_str(&format!(" AND r.id_number = {id}"));
        } else if q.chars().all(|c| c.is_ascii_digit()) {
            let phone = next(SearchBind::Text(format!("%{e}%")), &mut binds);
            sql.push_str(&format!(" AND r.phone LIKE {phone} ESCAPE '\\'"));
        } else {
            // A name by its beginning (a surname, a full name); when the words say an address
            // (a digit, 号, 楼, 单元, 路 …), also any part of the household's address.
            let name = name_condition(q, backend, &mut binds);
            if names_an_address(q) {
                // The two kinds of match as one set of ids, each found through its own index
                // (the name range; the matching households' residents), so that the page and
                // its total read the matches only. Written as `name OR household IN (…)`, both
                // planners instead read every resident of the jurisdiction, twice per request.
                let address = address_condition(q, backend, &mut binds);
                gathered = true;
                // Each side keeps to the jurisdiction itself; repeated outside, the scope made
                // PostgreSQL read all its residents to meet the set.
                sql = format!(
                    "r.id IN (SELECT r.id FROM residents r WHERE r.deleted_at IS NULL \
                     AND r.grid_id IN ({grid_list}) AND {name} \
                     UNION ALL SELECT r.id FROM households hs \
                     JOIN residents r ON r.household_id = hs.id \
                     WHERE hs.deleted_at IS NULL AND hs.grid_id IN ({grid_list}) \
                     AND {address} AND r.deleted_at IS NULL \
                     AND r.grid_id IN ({grid_list}))"
                );
            } else {
                sql.push_str(&format!(" AND {name}"));
            }
        }
    }
    if let Some(unit) = s.unit_id {
        let p = next(SearchBind::Int(unit), &mut binds);
        sql.push_str(&format!(
            " AND r.grid_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = {p})"
        ));
    }
    if let Some(h) = s.household_id {
        let p = next(SearchBind::Int(h), &mut binds);
        sql.push_str(&format!(" AND r.household_id = {p}"));
    }
    if let Some(tag) = s.tag.as_deref().filter(|t| !t.is_empty()) {
        let p = next(
            SearchBind::Text(format!("%,{},%", like_escape(tag))),
            &mut binds,
        );
        sql.push_str(&format!(" AND (',' || r.tags || ',') LIKE {p} ESCAPE '\\'"));
    }
    (sql, binds, gathered)
}

/// Characters of addresses that names do not carry: a search with one of them (or a digit) may
/// name a place. A name that happens to hold one only costs a slower search, never a missed one.
const ADDRESS_CHARS: &str = "号楼栋幢单元室层户路街巷道区院村苑园里庄城寓舍厦府湾居家属";

/// Whether a search may be (part of) an address rather than only a name.
fn names_an_address(q: &str) -> bool {
    q.chars()
        .any(|c| c.is_ascii_digit() || c == '-' || ADDRESS_CHARS.contains(c))
}

/// Households whose address holds `q`. When `q` begins with a digit, the number must begin there
/// too: 1号楼 is building 1, not 11号楼 or 21号楼 (a LIKE would find all three). Latin letters
/// match whatever their case, as in names.
fn address_condition(q: &str, backend: Backend, binds: &mut Vec<SearchBind>) -> String {
    let latin = q.chars().any(|c| c.is_ascii_alphabetic());
    binds.push(SearchBind::Text(format!("%{}%", like_escape(q))));
    let like = match (backend, latin) {
        (Backend::Postgres, true) => "ILIKE",
        _ => "LIKE",
    };
    let holds = format!("hs.address {like} ${} ESCAPE '\\'", binds.len());
    if !q.starts_with(|c: char| c.is_ascii_digit()) {
        return holds;
    }
    // The LIKE first (a CASE, so that PostgreSQL, which orders conditions by its own cost
    // estimates, cannot put the pattern first): it turns away most addresses at a fraction of
    // the pattern's cost, which then looks at the few that hold `q` at all.
    let whole_number = match backend {
        Backend::Postgres => {
            // A regular expression: at the start, or after anything but a digit.
            binds.push(SearchBind::Text(format!("(^|[^0-9]){}", regex_escape(q))));
            let op = if latin { "~*" } else { "~" };
            format!("hs.address {op} ${}", binds.len())
        }
        Backend::Sqlite => {
            // GLOB has character classes where LIKE has none; it minds case, so both sides are
            // folded when letters are typed.
            let (column, q) = if latin {
                ("upper(hs.address)", q.to_uppercase())
            } else {
                ("hs.address", q.to_string())
            };
            let g = glob_escape(&q);
            binds.push(SearchBind::Text(format!("{g}*")));
            binds.push(SearchBind::Text(format!("*[^0-9]{g}*")));
            let (start, after) = (binds.len() - 1, binds.len());
            format!("({column} GLOB ${start} OR {column} GLOB ${after})")
        }
    };
    format!("CASE WHEN {holds} THEN {whole_number} ELSE FALSE END")
}

/// `s` as a GLOB pattern that matches only itself: `*`, `?` and `[` each in a class of its own.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

/// `s` as a PostgreSQL regular expression that matches only itself.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Names beginning with `q`. Without Latin letters (whose case a worker does not mind) it is a
/// range of the `(grid_id, name)` index in byte order, where every name beginning with `q` lies
/// between `q` and `q` followed by the last code point.
fn name_condition(q: &str, backend: Backend, binds: &mut Vec<SearchBind>) -> String {
    if q.chars().any(|c| c.is_ascii_alphabetic()) {
        binds.push(SearchBind::Text(format!("{}%", like_escape(q))));
        // SQLite's LIKE already ignores the case of Latin letters; PostgreSQL's needs ILIKE.
        let like = match backend {
            Backend::Postgres => "ILIKE",
            Backend::Sqlite => "LIKE",
        };
        return format!("r.name {like} ${} ESCAPE '\\'", binds.len());
    }
    let column = match backend {
        Backend::Postgres => "r.name COLLATE \"C\"",
        Backend::Sqlite => "r.name",
    };
    binds.push(SearchBind::Text(q.to_string()));
    binds.push(SearchBind::Text(format!("{q}\u{10FFFF}")));
    let (low, high) = (binds.len() - 1, binds.len());
    format!("({column} >= ${low} AND {column} < ${high})")
}

enum SearchBind {
    Int(i64),
    Text(String),
}

/// A page row with the search's total beside it, so that the page and its count cost one
/// statement (and one trip to the database) instead of two.
#[derive(sqlx::FromRow)]
struct PageRow {
    #[sqlx(flatten)]
    resident: Resident,
    total: i64,
}

/// Residents of the caller's jurisdiction matching `s`, ordered grid by grid (the newest grid
/// first) and newest first within a grid — the order of the `(grid_id, id)` index, so a page is
/// read straight from it without sorting a community's residents on every request.
pub async fn search(
    db: &Db,
    scope: &Scope,
    s: &Search,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Resident>, i64)> {
    let grids = super::scope::grids(db, scope).await?;
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let (where_, binds, gathered) = search_where(s, &grids, db.backend);
    let count_sql = count_sql(s, &where_, grids.len());
    let list_sql = if gathered {
        // Matches gathered through several indexes come in no useful order: they are read once
        // into a set (materialised by both databases), which gives the total and, sorted, the
        // page — instead of reading them once for each.
        format!(
            "WITH m AS MATERIALIZED (SELECT r.id, r.grid_id FROM residents r WHERE {where_}) \
             {RESIDENT_SELECT_COLUMNS}, (SELECT COUNT(*) FROM m) AS total {RESIDENT_FROM} \
             WHERE r.id IN (SELECT m.id FROM m ORDER BY m.grid_id DESC, m.id DESC {}) \
             ORDER BY r.grid_id DESC, r.id DESC",
            super::limit_offset(limit, offset)
        )
    } else {
        // The page's ids come from the index alone; only those 20 rows are then joined to their
        // grid and household (PostgreSQL would otherwise join a whole community before
        // sorting). `deleted_at` (always NULL here) is named in the order so that PostgreSQL,
        // which does not count `IS NULL` as fixing a column, sees the (grid, deleted, id) index
        // as already ordered. The total is an uncorrelated subquery: both databases run it once
        // per statement.
        format!(
            "{RESIDENT_SELECT_COLUMNS}, ({count_sql}) AS total {RESIDENT_FROM} \
             WHERE r.id IN (SELECT r.id FROM residents r WHERE {where_} \
             ORDER BY r.grid_id DESC, r.deleted_at DESC, r.id DESC {}) \
             ORDER BY r.grid_id DESC, r.id DESC",
            super::limit_offset(limit, offset)
        )
    };
    let mut list = sqlx::query_as::<_, PageRow>(sqlx::AssertSqlSafe(list_sql));
    for b in &binds {
        list = match b {
            SearchBind::Int(i) => list.bind(*i),
            SearchBind::Text(t) => list.bind(t.clone()),
        };
    }
    let rows = list.fetch_all(&db.pool).await?;
    if let Some(first) = rows.first() {
        let total = first.total;
        return Ok((rows.into_iter().map(|r| r.resident).collect(), total));
    }
    if offset == 0 {
        return Ok((Vec::new(), 0));
    }
    // A page past the end still tells how many there are.
    let mut count = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql));
    for b in &binds {
        count = match b {
            SearchBind::Int(i) => count.bind(*i),
            SearchBind::Text(t) => count.bind(t.clone()),
        };
    }
    Ok((Vec::new(), count.fetch_one(&db.pool).await?))
}

/// The count of a search over the binds of [`search_where`]. Without a filter it is a sum of the
/// grids' kept totals, not a count of people.
fn count_sql(s: &Search, where_: &str, grid_count: usize) -> String {
    let unfiltered = s.q.trim().is_empty()
        && s.household_id.is_none()
        && s.tag.as_deref().unwrap_or("").is_empty();
    if !unfiltered {
        return format!("SELECT COUNT(*) FROM residents r WHERE {where_}");
    }
    let grids_in = (1..=grid_count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",");
    let unit = match s.unit_id {
        Some(_) => format!(
            " AND gs.grid_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ${})",
            grid_count + 1
        ),
        None => String::new(),
    };
    format!(
        "SELECT CAST(COALESCE(SUM(gs.residents), 0) AS BIGINT) FROM grid_stats gs WHERE gs.grid_id IN ({grids_in}){unit}"
    )
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> StoreResult<Resident> {
    let sql = format!(
        "{RESIDENT_SELECT_COLUMNS} {RESIDENT_FROM} WHERE r.id = $2 AND r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER})"
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

pub async fn create(db: &Db, scope: &Scope, actor: &Actor, r: &NewResident) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let grid_id = household_grid(&mut tx, scope, r.household_id).await?;
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO residents (household_id, grid_id, name, id_number, id_last4, sex, birth_date, \
         phone, relation, tags, family_contacts, emergency_contact_name, emergency_contact_phone, \
         note, version, created_at, updated_at, phone_last4) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,1,$15,$15,$16) RETURNING id",
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
    if r.relation == "户主" || r.relation == "self" {
        sqlx::query("UPDATE households SET head_resident_id = $1 WHERE id = $2 AND head_resident_id IS NULL")
            .bind(id)
            .bind(r.household_id)
            .execute(&mut *tx)
            .await?;
    }
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
        "{RESIDENT_SELECT_COLUMNS} {RESIDENT_FROM} WHERE r.id = $2 AND r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER})"
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
    if changed.is_empty() {
        // Nothing to write: the version stays, so a repeated save is not a conflict for others.
        return Ok(());
    }
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
    let phone4 = phone.as_deref().map(phone_last4);
    let done = sqlx::query(
        "UPDATE residents SET household_id = $1, grid_id = $2, name = $3, id_number = $4, \
         id_last4 = $5, sex = $6, birth_date = $7, phone = $8, relation = $9, tags = $10, \
         family_contacts = $11, emergency_contact_name = $12, emergency_contact_phone = $13, \
         note = $14, version = version + 1, updated_at = $15, phone_last4 = $18 \
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
        super::grid_stats::add(&mut tx, cur.grid_id, -1, 0).await?;
        super::grid_stats::add(&mut tx, grid_id, 1, 0).await?;
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
