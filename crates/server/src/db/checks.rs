//! Data checks (核对各类信息): the registry's inconsistencies, grid by grid, each pointing at the
//! record to fix. Every check is one set query over the grids asked for, never row by row.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{Db, StoreResult};

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
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::DuplicateIdNumber,
        Kind::PersonInTwoHouseholds,
        Kind::ContradictsIdNumber,
        Kind::HouseholdWithoutHead,
        Kind::HouseholdWithTwoHeads,
        Kind::ResidentWithoutPhone,
        Kind::ElderlyAloneWithAdults,
        Kind::EmptyHousehold,
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

/// Every finding in `grids`, ordered by grid, kind and record. `today` sets who is a child (no
/// phone expected) and who is an adult.
pub async fn findings(db: &Db, grids: &[i64], today: NaiveDate) -> StoreResult<Vec<Finding>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let list = grids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let years_ago = |n: i32| {
        NaiveDate::from_ymd_opt(today.year() - n, today.month(), today.day().min(28))
            .unwrap_or(today)
            .to_string()
    };
    let (child_after, adult_by) = (years_ago(14), years_ago(18));
    let live = format!("r.deleted_at IS NULL AND r.grid_id IN ({list})");
    let mut out: Vec<Finding> = Vec::new();

    // The same ID number more than once: in one household a double entry, else two households.
    let rows: Vec<(i64, i64, i64, String)> = query(
        db,
        format!(
            "SELECT r.id, r.grid_id, r.household_id, r.id_number FROM residents r WHERE {live} \
             AND r.id_number IN (SELECT d.id_number FROM residents d WHERE d.deleted_at IS NULL \
             AND d.grid_id IN ({list}) GROUP BY d.id_number HAVING COUNT(*) > 1) ORDER BY r.id"
        ),
    )
    .await?;
    let mut by_id: BTreeMap<&str, Vec<&(i64, i64, i64, String)>> = BTreeMap::new();
    for r in &rows {
        by_id.entry(r.3.as_str()).or_default().push(r);
    }
    for group in by_id.values() {
        let households: std::collections::BTreeSet<i64> = group.iter().map(|r| r.2).collect();
        let kind = if households.len() > 1 {
            Kind::PersonInTwoHouseholds
        } else {
            Kind::DuplicateIdNumber
        };
        out.extend(group.iter().map(|r| Finding {
            kind,
            grid_id: r.1,
            resident_id: Some(r.0),
            household_id: r.2,
        }));
    }

    // Sex and birth date against the ID number (digit 17 odd: male; digits 7–14: birth date).
    out.extend(
        residents(
            db,
            Kind::ContradictsIdNumber,
            format!(
                "SELECT r.id, r.grid_id, r.household_id FROM residents r WHERE {live} AND LENGTH(r.id_number) = 18 AND \
                 (r.sex <> CASE WHEN CAST(SUBSTR(r.id_number, 17, 1) AS INTEGER) % 2 = 1 THEN 'male' ELSE 'female' END \
                 OR r.birth_date <> SUBSTR(r.id_number, 7, 4) || '-' || SUBSTR(r.id_number, 11, 2) || '-' || SUBSTR(r.id_number, 13, 2))"
            ),
        )
        .await?,
    );

    // Heads counted among each household's living members.
    let heads: Vec<(i64, i64, i64, i64)> = query(
        db,
        format!(
            "SELECT h.id, h.grid_id, \
             (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id AND r.deleted_at IS NULL), \
             (SELECT COUNT(*) FROM residents r WHERE r.household_id = h.id AND r.deleted_at IS NULL AND r.relation IN {HEAD}) \
             FROM households h WHERE h.deleted_at IS NULL AND h.grid_id IN ({list}) ORDER BY h.id"
        ),
    )
    .await?;
    for (household_id, grid_id, members, head_count) in heads {
        let kind = match (members, head_count) {
            (0, _) => Kind::EmptyHousehold,
            (_, 0) => Kind::HouseholdWithoutHead,
            (_, 1) => continue,
            _ => Kind::HouseholdWithTwoHeads,
        };
        out.push(Finding {
            kind,
            grid_id,
            resident_id: None,
            household_id,
        });
    }

    out.extend(
        residents(
            db,
            Kind::ResidentWithoutPhone,
            format!(
                "SELECT r.id, r.grid_id, r.household_id FROM residents r WHERE {live} \
                 AND (r.phone IS NULL OR r.phone = '') AND r.birth_date <= '{child_after}'"
            ),
        )
        .await?,
    );
    out.extend(
        residents(
            db,
            Kind::ElderlyAloneWithAdults,
            format!(
                "SELECT r.id, r.grid_id, r.household_id FROM residents r WHERE {live} \
                 AND (',' || r.tags || ',') LIKE '%,elderly_alone,%' AND EXISTS (SELECT 1 FROM residents o \
                 WHERE o.household_id = r.household_id AND o.id <> r.id AND o.deleted_at IS NULL \
                 AND o.birth_date <= '{adult_by}')"
            ),
        )
        .await?,
    );
    out.sort_by_key(|f| (f.grid_id, f.kind, f.resident_id, f.household_id));
    Ok(out)
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

async fn residents(db: &Db, kind: Kind, sql: String) -> StoreResult<Vec<Finding>> {
    let rows: Vec<(i64, i64, i64)> = query(db, sql).await?;
    Ok(rows
        .into_iter()
        .map(|(id, grid_id, household_id)| Finding {
            kind,
            grid_id,
            resident_id: Some(id),
            household_id,
        })
        .collect())
}
