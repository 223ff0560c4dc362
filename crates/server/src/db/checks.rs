//! Data checks (核对各类信息): the registry's inconsistencies, grid by grid, each pointing at the
//! record to fix. Every check is one set query over the grids asked for, never row by row; together
//! they are one statement, counted per grid and kind in one more, and paged in SQL with each
//! finding's name and address joined in.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{Db, StoreResult, limit_offset};

/// What is wrong. The order is the order of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One ID number registered twice in one household (a double entry).
    DuplicateIdNumber,
    /// One ID number registered in two households.
    PersonInTwoHouseholds,
    /// The stored sex or birth date is not the one the ID number says.
    ContradictsIdNumber,
    /// A household with members, none of them recorded as its head (户主).
    HouseholdWithoutHead,
    /// A household with two or more members recorded as its head.
    HouseholdWithTwoHeads,
    /// A resident over 14 with no phone.
    ResidentWithoutPhone,
    /// Tagged as living alone (独居) while other adults live in the household.
    ElderlyAloneWithAdults,
    /// A household nobody lives in.
    EmptyHousehold,
    /// A resident asked, through the household's link, for what is held to be corrected.
    CorrectionRequested,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::DuplicateIdNumber,
        Kind::PersonInTwoHouseholds,
        Kind::ContradictsIdNumber,
        Kind::HouseholdWithoutHead,
        Kind::HouseholdWithTwoHeads,
        Kind::ResidentWithoutPhone,
        Kind::ElderlyAloneWithAdults,
        Kind::EmptyHousehold,
        Kind::CorrectionRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::DuplicateIdNumber => "duplicate_id_number",
            Kind::PersonInTwoHouseholds => "person_in_two_households",
            Kind::ContradictsIdNumber => "contradicts_id_number",
            Kind::HouseholdWithoutHead => "household_without_head",
            Kind::HouseholdWithTwoHeads => "household_with_two_heads",
            Kind::ResidentWithoutPhone => "resident_without_phone",
            Kind::ElderlyAloneWithAdults => "elderly_alone_with_adults",
            Kind::EmptyHousehold => "empty_household",
            Kind::CorrectionRequested => "correction_requested",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One problem: a resident, or a household when the problem is the household's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    pub grid_id: i64,
    pub resident_id: Option<i64>,
    pub household_id: i64,
}

/// Heads are recorded by their relation; these are the words people use for it.
const HEAD: &str = "('户主', '本人', 'self', 'head')";

impl Kind {
    /// Its place in `ALL` (and in the page's order), as the SQL writes it.
    fn ordinal(self) -> usize {
        Kind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    fn from_ordinal(n: i64) -> Option<Kind> {
        usize::try_from(n)
            .ok()
            .and_then(|i| Kind::ALL.get(i).copied())
    }
}

/// Every finding of `grids` as rows `(kind, grid_id, resident_id, household_id)`: the kind as its
/// ordinal, the resident 0 for a household's problem. `today` sets who is a child (no phone
/// expected) and who is an adult. The SQL holds only integers and dates formatted here: no input.
fn findings_sql(grids: &[i64], today: NaiveDate) -> String {
    let list = super::id_list(grids);
    let years_ago = |n: i32| {
        NaiveDate::from_ymd_opt(today.year() - n, today.month(), today.day().min(28))
            .unwrap_or(today)
            .to_string()
    };
    let (child_after, adult_by) = (years_ago(14), years_ago(18));
    let live = format!("r.deleted_at IS NULL AND r.grid_id IN ({list})");
    // Typed as the other columns are (PostgreSQL would make a bare literal an int4).
    let k = |kind: Kind| format!("CAST({} AS BIGINT)", kind.ordinal());
    format!(
        // The same ID number more than once: in one household a double entry, else two households.
        "SELECT CASE WHEN d.households > 1 THEN {two} ELSE {dup} END AS kind, r.grid_id, \
           r.id AS resident_id, r.household_id FROM residents r \
         JOIN (SELECT id_number, COUNT(DISTINCT household_id) AS households FROM residents \
           WHERE deleted_at IS NULL AND grid_id IN ({list}) GROUP BY id_number HAVING COUNT(*) > 1) d \
           ON d.id_number = r.id_number WHERE {live} \
         UNION ALL \
         SELECT {contradicts}, r.grid_id, r.id, r.household_id FROM residents r WHERE {live} \
           AND LENGTH(r.id_number) = 18 AND \
           (r.sex <> CASE WHEN CAST(SUBSTR(r.id_number, 17, 1) AS INTEGER) % 2 = 1 THEN 'male' ELSE 'female' END \
           OR r.birth_date <> SUBSTR(r.id_number, 7, 4) || '-' || SUBSTR(r.id_number, 11, 2) || '-' || SUBSTR(r.id_number, 13, 2)) \
         UNION ALL \
         SELECT kind, grid_id, CAST(0 AS BIGINT), id FROM (SELECT h.id, h.grid_id, CASE \
             WHEN h.members = 0 THEN {empty} WHEN h.heads = 0 THEN {headless} \
             WHEN h.heads > 1 THEN {two_heads} END AS kind \
           FROM (SELECT h.id, h.grid_id, \
             (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id AND r.deleted_at IS NULL) AS members, \
             (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id AND r.deleted_at IS NULL \
               AND r.relation IN {HEAD}) AS heads \
             FROM households h WHERE h.deleted_at IS NULL AND h.grid_id IN ({list})) h) hh \
           WHERE kind IS NOT NULL \
         UNION ALL \
         SELECT {no_phone}, r.grid_id, r.id, r.household_id FROM residents r WHERE {live} \
           AND (r.phone IS NULL OR r.phone = '') AND r.birth_date <= '{child_after}' \
         UNION ALL \
         SELECT {alone}, r.grid_id, r.id, r.household_id FROM residents r WHERE {live} \
           AND (',' || r.tags || ',') LIKE '%,elderly_alone,%' AND EXISTS (SELECT 1 FROM residents o \
           WHERE o.household_id = r.household_id AND o.id <> r.id AND o.deleted_at IS NULL \
           AND o.birth_date <= '{adult_by}') \
         UNION ALL \
         SELECT {correction}, c.grid_id, COALESCE(c.resident_id, 0), c.household_id \
           FROM resident_corrections c WHERE c.status = 'open' AND c.grid_id IN ({list})",
        two = k(Kind::PersonInTwoHouseholds),
        dup = k(Kind::DuplicateIdNumber),
        contradicts = k(Kind::ContradictsIdNumber),
        empty = k(Kind::EmptyHousehold),
        headless = k(Kind::HouseholdWithoutHead),
        two_heads = k(Kind::HouseholdWithTwoHeads),
        no_phone = k(Kind::ResidentWithoutPhone),
        alone = k(Kind::ElderlyAloneWithAdults),
        correction = k(Kind::CorrectionRequested),
    )
}

/// The page's order: grid, kind, the resident (a household's problem first), the household.
const ORDER: &str = "ORDER BY f.grid_id, f.kind, f.resident_id, f.household_id";

fn finding(kind: i64, grid_id: i64, resident_id: i64, household_id: i64) -> Option<Finding> {
    Some(Finding {
        kind: Kind::from_ordinal(kind)?,
        grid_id,
        resident_id: (resident_id != 0).then_some(resident_id),
        household_id,
    })
}

/// Every finding in `grids`, in the page's order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn findings(db: &Db, grids: &[i64], today: NaiveDate) -> StoreResult<Vec<Finding>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT f.kind, f.grid_id, f.resident_id, f.household_id FROM ({}) f {ORDER}",
        findings_sql(grids, today)
    );
    let rows: Vec<(i64, i64, i64, i64)> = query(db, sql).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, g, r, h)| finding(k, g, r, h))
        .collect())
}

/// How many findings each grid has of each kind: `(grid_id, kind, count)`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn counts(
    db: &Db,
    grids: &[i64],
    today: NaiveDate,
) -> StoreResult<Vec<(i64, Kind, i64)>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT f.grid_id, f.kind, COUNT(*) FROM ({}) f GROUP BY f.grid_id, f.kind",
        findings_sql(grids, today)
    );
    let rows: Vec<(i64, i64, i64)> = query(db, sql).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(g, k, n)| Some((g, Kind::from_ordinal(k)?, n)))
        .collect())
}

/// One finding on a page: the resident's name (unmasked: the caller masks) and the household's
/// address.
#[derive(Clone, Debug)]
pub struct Item {
    pub finding: Finding,
    pub name: Option<String>,
    pub address: String,
}

/// One page of the findings in `grids` (of `kind` only, if given), in the page's order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn page(
    db: &Db,
    grids: &[i64],
    today: NaiveDate,
    kind: Option<Kind>,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Item>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let only = kind.map_or(String::new(), |k| format!("WHERE f.kind = {}", k.ordinal()));
    let sql = format!(
        "SELECT f.kind, f.grid_id, f.resident_id, f.household_id, r.name, COALESCE(h.address, '') \
         FROM ({}) f LEFT JOIN residents r ON r.id = f.resident_id \
         LEFT JOIN households h ON h.id = f.household_id {only} {ORDER} {}",
        findings_sql(grids, today),
        limit_offset(limit, offset)
    );
    let rows: Vec<(i64, i64, i64, i64, Option<String>, String)> = query(db, sql).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, g, r, h, name, address)| {
            Some(Item {
                finding: finding(k, g, r, h)?,
                name,
                address,
            })
        })
        .collect())
}

async fn query<T>(db: &Db, sql: String) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    // The SQL holds only integers this module formatted and dates it computed: no input.
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&db.pool)
        .await?)
}
