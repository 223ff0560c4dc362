//! The registry's inconsistencies per grid, each with a link to fix it. The views and operations
//! shared by the API (`web::api::checks`, which adds the handlers) and the pages.

use crate::db::checks::{self, Kind};
use crate::db::units;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::caller::Names;
use crate::service::error::{ApiResult, AppError};
use crate::service::paging::Paging;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChecksParams {
    /// Code of a unit of the caller's jurisdiction; by default all of it.
    pub unit: Option<String>,
    /// Only this kind of problem, e.g. `resident_without_phone`.
    pub kind: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GridChecks {
    pub grid_code: String,
    pub grid_name: String,
    pub total: i64,
    /// Problems by kind; kinds without any are left out.
    pub counts: BTreeMap<String, i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckItem {
    pub kind: Kind,
    pub grid_code: String,
    pub resident_id: Option<i64>,
    pub household_id: i64,
    /// The resident's masked name, for a resident's problem.
    pub name: Option<String>,
    pub address: String,
    /// Where to fix it.
    pub link: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChecksReport {
    pub unit: Option<String>,
    /// All problems found (of the kind asked, if any).
    pub total: i64,
    pub counts: BTreeMap<String, i64>,
    pub grids: Vec<GridChecks>,
    pub items: Vec<CheckItem>,
    pub page: i64,
    pub per_page: i64,
}

pub async fn report(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
    kind: Option<&str>,
    paging: Paging,
) -> ApiResult<ChecksReport> {
    let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(
            Kind::parse(k)
                .ok_or_else(|| AppError::invalid("kind", "unknown_kind", "no such check"))?,
        ),
    };
    let scope = caller.scope();
    let unit = unit.map(str::trim).filter(|u| !u.is_empty());
    let grids = super::units::grids_within(state, caller, unit).await?;
    let names: HashMap<i64, (String, String)> = units::grids(&state.db, &scope)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.code, u.name)))
        .collect();
    let today = state.settings.today();
    let mut per_grid: BTreeMap<i64, BTreeMap<String, i64>> =
        grids.iter().map(|g| (*g, BTreeMap::new())).collect();
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for (grid, k, n) in checks::counts(&state.db, &grids, today).await? {
        per_grid
            .entry(grid)
            .or_default()
            .insert(k.as_str().to_string(), n);
        if kind.is_none_or(|wanted| wanted == k) {
            *counts.entry(k.as_str().to_string()).or_default() += n;
        }
    }
    let page = checks::page(
        &state.db,
        &grids,
        today,
        kind,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    let grid_code = |g: &i64| names.get(g).cloned().unwrap_or_default();
    Ok(ChecksReport {
        unit: unit.map(str::to_string),
        total: counts.values().sum(),
        counts,
        grids: per_grid
            .into_iter()
            .map(|(g, counts)| {
                let (grid_code, grid_name) = grid_code(&g);
                GridChecks {
                    total: counts.values().sum(),
                    grid_code,
                    grid_name,
                    counts,
                }
            })
            .collect(),
        items: page
            .into_iter()
            .map(|item| describe(item, &names, caller.names()))
            .collect(),
        page: paging.page,
        per_page: paging.per_page,
    })
}

/// Where a finding is fixed: the card, opened at the field to change (the phone, the tags, the ID
/// number, the contradiction's own box), or the household, whose members' relations settle a head.
fn fix_link(kind: Kind, resident: Option<i64>, household: i64) -> String {
    let field = match kind {
        Kind::ResidentWithoutPhone => "f-phone",
        Kind::ElderlyAloneWithAdults => "f-tags",
        Kind::ContradictsIdNumber => "id-contradiction",
        Kind::PersonInTwoHouseholds | Kind::DuplicateIdNumber => "f-id_number",
        Kind::HouseholdWithoutHead | Kind::HouseholdWithTwoHeads | Kind::EmptyHousehold => {
            "members"
        }
        Kind::CorrectionRequested => "corrections",
    };
    match (kind, resident) {
        // The words the resident wrote are on the household's page, with the answer buttons.
        (Kind::CorrectionRequested, _) => format!("/households/{household}#corrections"),
        // A double entry in one household is fixed by deleting one of the two, there.
        (Kind::DuplicateIdNumber, _) | (_, None) => format!("/households/{household}#members"),
        (_, Some(id)) => format!("/residents/{id}#{field}"),
    }
}

/// One finding as the page and the API show it: the name masked, a link to fix it.
pub(crate) fn describe(
    item: checks::Item,
    grids: &HashMap<i64, (String, String)>,
    people: Names,
) -> CheckItem {
    let f = item.finding;
    CheckItem {
        kind: f.kind,
        grid_code: grids
            .get(&f.grid_id)
            .map(|g| g.0.clone())
            .unwrap_or_default(),
        resident_id: f.resident_id,
        household_id: f.household_id,
        name: item.name.map(|n| people.show(&n)),
        address: item.address,
        link: fix_link(f.kind, f.resident_id, f.household_id),
    }
}
