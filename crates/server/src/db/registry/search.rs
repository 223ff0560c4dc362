//! Searching residents: what a worker types, read as a name, ID or phone digits or an address,
//! within the caller's jurisdiction.

use std::sync::LazyLock;

use super::{Resident, page_fields, page_values};
use crate::db::{Backend, Db, Scope, StoreError, StoreResult, limit_offset};
use crate::db::{address_numbers, grid_names};

/// A search of residents.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub q: String,
    pub unit_id: Option<i64>,
    pub household_id: Option<i64>,
    pub tag: Option<String>,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// What a search matches, in the shape that reads it cheapest.
enum Matches {
    /// A condition on `residents r`, and the order its page is read in.
    Where(String, &'static str),
    /// A `SELECT` of the matches' `id, grid_id`, gathered through several indexes (see [`search`]).
    Set(String),
}

/// Builds the conditions of a search with only those in use, so each planner sees a simple query:
/// the scope's grids through the `(grid_id, id)` index, then the filters. Returns the matches and
/// the values to bind (`$1`…).
fn search_matches(s: &Search, grids: &[i64], backend: Backend) -> (Matches, Vec<SearchBind>) {
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
    let base = format!("r.deleted_at IS NULL AND r.grid_id IN ({grid_list})");
    let mut cond = String::new();
    let mut gathered = None;
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
            cond = format!(" AND (r.id_last4 = {last4} OR r.phone_last4 = {last4})");
        } else if idish && (len == 15 || len == 18) {
            let id = next(SearchBind::Text(q.to_uppercase()), &mut binds);
            cond = format!(" AND r.id_number = {id}");
        } else if q.chars().all(|c| c.is_ascii_digit()) {
            let phone = next(SearchBind::Text(format!("%{e}%")), &mut binds);
            cond = format!(" AND r.phone LIKE {phone} ESCAPE '\\'");
        } else {
            // A name by its beginning (a surname, a full name); when the words say an address
            // (a digit, 号, 楼, 单元, 路 …), also any part of the household's address.
            let (name, ranged) = name_condition(q, backend, &mut binds);
            if names_an_address(q) {
                let households = address_households(q, &grid_list, backend, &mut binds);
                // Names beginning with a digit are (next to) none in the whole city: one probe
                // of the index of names instead of one per grid of the jurisdiction. `+ 0` keeps
                // the planners off the grids' index, which the jurisdiction would otherwise pick.
                // Only for a range of names (a name beginning with a Latin letter is none).
                let by_name_alone = q.starts_with(|c: char| c.is_ascii_digit()) && ranged;
                let jurisdiction = match by_name_alone {
                    true => format!("r.deleted_at IS NULL AND r.grid_id + 0 IN ({grid_list})"),
                    false => base.clone(),
                };
                gathered = Some((name, households, jurisdiction));
            } else {
                cond = format!(" AND {name}");
            }
        }
    }
    let mut extra = String::new();
    if let Some(unit) = s.unit_id {
        let p = next(SearchBind::Int(unit), &mut binds);
        extra.push_str(&format!(
            " AND r.grid_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = {p})"
        ));
    }
    if let Some(h) = s.household_id {
        let p = next(SearchBind::Int(h), &mut binds);
        extra.push_str(&format!(" AND r.household_id = {p}"));
    }
    if let Some(tag) = s.tag.as_deref().filter(|t| !t.is_empty()) {
        let p = next(
            SearchBind::Text(format!("%,{},%", like_escape(tag))),
            &mut binds,
        );
        extra.push_str(&format!(" AND (',' || r.tags || ',') LIKE {p} ESCAPE '\\'"));
    }
    let matches = match gathered {
        // Without a typed condition the page is read in the order of the (grid, deleted, id)
        // index. `deleted_at` (always NULL here) is named in that order so that PostgreSQL,
        // which does not count `IS NULL` as fixing a column, sees the index as already ordered.
        // A typed condition reads its own index and sorts its matches: naming `deleted_at`
        // there only made both databases fetch it from each matching row.
        None if cond.is_empty() => Matches::Where(
            format!("{base}{extra}"),
            "r.grid_id DESC, r.deleted_at DESC, r.id DESC",
        ),
        None => Matches::Where(format!("{base}{cond}{extra}"), "r.grid_id DESC, r.id DESC"),
        // The two kinds of match as one set, each found through its own index (the name range;
        // the matching households' residents) and each kept to the jurisdiction and the filters
        // itself, so that the page and its total read the matches only. Written as
        // `name OR household IN (…)`, both planners instead read every resident of the
        // jurisdiction, twice per request. A resident found both ways counts once: the second
        // way leaves out those the first found, so the two need no comparing of rows (UNION's,
        // over whole rows on PostgreSQL, was a fifth of an address search there).
        // PostgreSQL keeps the matches whole, so the page is taken from the set rather than read
        // again by key (SQLite reads its page by rowid; see `search`).
        Some((name, households, named_base)) => {
            let found = match backend {
                Backend::Postgres => "r.*",
                Backend::Sqlite => "r.id, r.grid_id",
            };
            Matches::Set(format!(
                "SELECT {found} FROM residents r WHERE {named_base} AND {name}{extra} \
                 UNION ALL SELECT {found} FROM ({households}) hs \
                 JOIN residents r ON r.household_id = hs.id WHERE {base} AND NOT ({name}){extra}"
            ))
        }
    };
    (matches, binds)
}

/// Characters of addresses that names do not carry: a search with one of them (or a digit) may
/// name a place. A name that happens to hold one only costs a slower search, never a missed one.
const ADDRESS_CHARS: &str = "号楼栋幢单元室层户路街巷道区院村苑园里庄城寓舍厦府湾居家属";

/// Whether a search may be (part of) an address rather than only a name.
fn names_an_address(q: &str) -> bool {
    q.chars()
        .any(|c| c.is_ascii_digit() || c == '-' || ADDRESS_CHARS.contains(c))
}

/// The ids of the jurisdiction's households whose address holds `q` (a `SELECT` of `id`, each
/// once). When `q` begins with a digit, the number must begin there too: 1号楼 is building 1, not
/// 11号楼 or 21号楼. Latin letters match whatever their case, as in names.
fn address_households(
    q: &str,
    grid_list: &str,
    backend: Backend,
    binds: &mut Vec<SearchBind>,
) -> String {
    if q.starts_with(|c: char| c.is_ascii_digit()) {
        // Such a match begins where a number of the address begins: a range of the tails kept
        // from there (address_numbers.rs), a few index entries per grid.
        let q = address_numbers::fold(q);
        let high = format!("{q}\u{10FFFF}");
        binds.push(SearchBind::Text(q));
        binds.push(SearchBind::Text(high));
        let (low, high) = (binds.len() - 1, binds.len());
        // No look at the household itself: one that was deleted has nobody living in it (a
        // household with members is not deleted), so its numbers find no resident. DISTINCT:
        // two numbers of one address may both begin with `q` (…1号楼2单元 (原1号楼2单元)).
        return format!(
            "SELECT DISTINCT an.household_id AS id FROM address_numbers an \
             WHERE an.grid_id IN ({grid_list}) AND an.tail >= ${low} AND an.tail < ${high}"
        );
    }
    // Anywhere in the address: each address of the jurisdiction is read.
    let cased = caseless_prefix(q).len() < q.len();
    let holds = match (backend, cased) {
        // A plain substring (no pattern to interpret) where no case is to be minded: SQLite's
        // instr matches in a quarter of its LIKE's time over Chinese text (a community's scan a
        // fifth shorter).
        (Backend::Sqlite, false) => {
            binds.push(SearchBind::Text(q.to_string()));
            format!("instr(hs.address, ${}) > 0", binds.len())
        }
        // SQLite's LIKE already ignores the case of Latin letters; PostgreSQL's needs ILIKE.
        (Backend::Sqlite, true) | (Backend::Postgres, false) => {
            binds.push(SearchBind::Text(format!("%{}%", like_escape(q))));
            format!("hs.address LIKE ${} ESCAPE '\\'", binds.len())
        }
        (Backend::Postgres, true) => {
            binds.push(SearchBind::Text(format!("%{}%", like_escape(q))));
            format!("hs.address ILIKE ${} ESCAPE '\\'", binds.len())
        }
    };
    format!(
        "SELECT hs.id FROM households hs WHERE hs.deleted_at IS NULL \
         AND hs.grid_id IN ({grid_list}) AND {holds}"
    )
}

/// Names beginning with `q`, and whether that is a range of the name indexes alone. The part of
/// `q` before its first letter with a case (a digit, a Chinese character) must begin the name as
/// typed, so it is a range of the `(grid_id, name)` index in byte order, where every name beginning
/// with it lies between it and it followed by the last code point. The letters with a case from
/// there on are matched by (I)LIKE within that range, whatever their case. A `q` that begins with
/// a Latin letter takes the range from its capital to its small letter; one that begins with
/// another letter with a case (Cyrillic, full-width) has no range and reads the jurisdiction's
/// names.
fn name_condition(q: &str, backend: Backend, binds: &mut Vec<SearchBind>) -> (String, bool) {
    let column = match backend {
        Backend::Postgres => "r.name COLLATE \"C\"",
        Backend::Sqlite => "r.name",
    };
    let caseless = caseless_prefix(q);
    let bounds = match q.chars().next() {
        _ if !caseless.is_empty() => Some((caseless.to_string(), caseless.to_string())),
        // A Latin letter first: the names from its capital to its small letter, then what follows
        // up to the next letter (`A区` lies between `A区` and `a区…`). The range also holds the names
        // beginning with the capitals after it, which are few where names are Chinese.
        Some(c) if c.is_ascii_alphabetic() => {
            let rest = caseless_prefix(&q[1..]);
            Some((
                format!("{}{rest}", c.to_ascii_uppercase()),
                format!("{}{rest}", c.to_ascii_lowercase()),
            ))
        }
        _ => None,
    };
    let range = bounds.map(|(low, high)| {
        binds.push(SearchBind::Text(low));
        binds.push(SearchBind::Text(format!("{high}\u{10FFFF}")));
        let (low, high) = (binds.len() - 1, binds.len());
        format!("{column} >= ${low} AND {column} < ${high}")
    });
    if let Some(range) = range.as_deref().filter(|_| caseless.len() == q.len()) {
        return (format!("({range})"), true);
    }
    binds.push(SearchBind::Text(format!("{}%", like_escape(q))));
    // SQLite's LIKE already ignores the case of Latin letters; PostgreSQL's needs ILIKE.
    let like = match backend {
        Backend::Postgres => "ILIKE",
        Backend::Sqlite => "LIKE",
    };
    let like = format!("r.name {like} ${} ESCAPE '\\'", binds.len());
    match range {
        Some(range) => (format!("({range} AND {like})"), true),
        None => (like, false),
    }
}

/// `q` up to its first character that has a case (a Latin letter, a full-width or Cyrillic one).
fn caseless_prefix(q: &str) -> &str {
    let end = q
        .char_indices()
        .find(|(_, c)| c.is_lowercase() || c.is_uppercase())
        .map_or(q.len(), |(i, _)| i);
    &q[..end]
}

enum SearchBind {
    Int(i64),
    Text(String),
}

/// Binds a search's values, in order, to a query of either pool (sqlx's query types share no
/// trait for `bind`).
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for b in $binds {
            query = match b {
                SearchBind::Int(i) => query.bind(*i),
                SearchBind::Text(t) => query.bind(t.clone()),
            };
        }
        query
    }};
}

/// On SQLite, a whole page as one JSON array of arrays, one per resident in [`Resident`]'s field
/// order, sorted as the page is. sqlx's SQLite driver hands each row from the connection's thread
/// to the request's task on its own, and copies each value twice on the way: for a page of 20 that
/// was most of a list's cost. One value is handed over once, and an array without keys is written
/// and read cheaper than an object.
static PAGE_JSON_ARRAY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "json_group_array(json_array({}) ORDER BY r.grid_id DESC, r.id DESC)",
        page_values()
    )
});

/// On PostgreSQL, a page as rows: its JSON functions cost the database more than decoding rows
/// costs the server (`json_build_array`: a third to two thirds more of the database per page).
static PAGE_COLUMNS: LazyLock<String> =
    LazyLock::new(|| page_fields(|name, expr| format!("{expr} AS {name}")));

/// A page row with the search's total beside it, so that the page and its count cost one
/// statement (and one trip to the database) instead of two.
struct PageRow {
    resident: Resident,
    total: i64,
}

/// Read by position, in the order of [`PAGE_COLUMNS`] (the fields of a resident but the grid's,
/// then the total), and without sqlx's check of each column's type against the field's: looking
/// each of a page's 380 values up by name and checking its type was half of decoding the page.
/// The columns are this module's own, and a store test compares a page's resident with its card.
impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for PageRow {
    fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(PageRow {
            resident: Resident {
                id: row.try_get_unchecked(0)?,
                household_id: row.try_get_unchecked(1)?,
                grid_id: row.try_get_unchecked(2)?,
                grid_code: String::new(),
                grid_name: String::new(),
                name: row.try_get_unchecked(3)?,
                id_number: row.try_get_unchecked(4)?,
                sex: row.try_get_unchecked(5)?,
                birth_date: row.try_get_unchecked(6)?,
                phone: row.try_get_unchecked(7)?,
                relation: row.try_get_unchecked(8)?,
                tags: row.try_get_unchecked(9)?,
                family_contacts: row.try_get_unchecked(10)?,
                emergency_contact_name: row.try_get_unchecked(11)?,
                emergency_contact_phone: row.try_get_unchecked(12)?,
                note: row.try_get_unchecked(13)?,
                address: row.try_get_unchecked(14)?,
                version: row.try_get_unchecked(15)?,
                created_at: row.try_get_unchecked(16)?,
                updated_at: row.try_get_unchecked(17)?,
            },
            total: row.try_get_unchecked(18)?,
        })
    }
}

/// Residents of the caller's jurisdiction matching `s`, ordered grid by grid (the newest grid
/// first) and newest first within a grid — the order of the `(grid_id, id)` index, so a page is
/// read straight from it without sorting a community's residents on every request.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    db: &Db,
    scope: &Scope,
    s: &Search,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Resident>, i64)> {
    let grids = crate::db::scope::grids(db, scope).await?;
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let (matches, binds) = search_matches(s, &grids, db.backend);
    let page = limit_offset(limit, offset);
    // The page's residents, by their ids (`page_ids`) or whole (`page_rows`), each with the
    // address it carries; their grids' code and name come from memory afterwards.
    let (with, total, page_ids, page_rows) = match &matches {
        // Matches gathered through several indexes come in no useful order: they are read once
        // into a set (materialised by both databases), which gives the total and, sorted, the
        // page — instead of reading them once for each.
        Matches::Set(set) => {
            let order = format!("FROM m ORDER BY m.grid_id DESC, m.id DESC {page}");
            (
                format!("WITH m AS MATERIALIZED ({set}) "),
                "(SELECT COUNT(*) FROM m)".to_string(),
                format!("SELECT m.id {order}"),
                format!("SELECT m.* {order}"),
            )
        }
        // The page is read from an index in its order. The total is an uncorrelated subquery:
        // both databases run it once per statement.
        Matches::Where(where_, order) => {
            let page = format!("FROM residents r WHERE {where_} ORDER BY {order} {page}");
            (
                String::new(),
                format!("({})", count_sql(s, where_, grids.len())),
                format!("SELECT r.id {page}"),
                format!("SELECT r.* {page}"),
            )
        }
    };
    let (mut rows, total) = match db.pg_rows() {
        None => {
            // The ids alone, then each row by its rowid: reading whole rows in a subquery made
            // SQLite copy every column of each into a temporary table first. An aggregate
            // answers with one row even for a page past the end, which still has its total.
            let sql = format!(
                "{with}SELECT {total} AS total, {} AS page FROM residents r \
                 WHERE r.id IN ({page_ids})",
                *PAGE_JSON_ARRAY
            );
            let query = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
            let (total, page) = bind_all!(query, &binds).fetch_one(&db.pool).await?;
            let rows: Vec<Resident> = serde_json::from_str(&page)
                .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?;
            (rows, total)
        }
        Some(pg) => {
            // Whole rows straight from the index (a third less work than their ids and then
            // each row by its key).
            let sql = format!(
                "{with}SELECT {}, {total} AS total FROM ({page_rows}) r \
                 ORDER BY r.grid_id DESC, r.id DESC",
                *PAGE_COLUMNS
            );
            let list = sqlx::query_as::<_, PageRow>(sqlx::AssertSqlSafe(sql));
            let rows = bind_all!(list, &binds).fetch_all(pg).await?;
            match rows.first().map(|r| r.total) {
                Some(total) => (rows.into_iter().map(|r| r.resident).collect(), total),
                None if offset == 0 => (Vec::new(), 0),
                // A page past the end still tells how many there are.
                None => (
                    Vec::new(),
                    count_past_end(db, s, &matches, &binds, grids.len()).await?,
                ),
            }
        }
    };
    grid_names::fill(db, &mut rows).await?;
    Ok((rows, total))
}

/// The total of a search whose page came back empty past the end (PostgreSQL only: SQLite's
/// aggregate gives the total with an empty page).
async fn count_past_end(
    db: &Db,
    s: &Search,
    matches: &Matches,
    binds: &[SearchBind],
    grid_count: usize,
) -> StoreResult<i64> {
    let count_sql = match matches {
        Matches::Set(set) => format!("SELECT COUNT(*) FROM ({set}) m"),
        Matches::Where(where_, _) => count_sql(s, where_, grid_count),
    };
    let count = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql));
    Ok(bind_all!(count, binds).fetch_one(&db.pool).await?)
}

/// The count of a search over the binds of [`search_matches`]. Without a filter it is a sum of the
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
