//! Home ("due today") and the jurisdiction tree.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::{Chrome, PageCaller, PageError, page};
use crate::db::units;
use crate::service::dashboard::{self, Dashboard};
use crate::service::supplies::{self, StockLineView};
use crate::web::AppState;

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    units: Vec<UnitRow>,
    /// Per grid: code, name and the number of data problems (only grids with some).
    checks: Vec<(String, String, i64)>,
    /// Open alerts (the first few) and their number; residents at risk; follow-ups due.
    health: Option<HealthSummary>,
    /// For whoever submits them: each community's daily report today (code, name, standing).
    reports: Vec<(String, String, String)>,
    deadline: String,
    /// The day at a glance: the round's coverage, isolations, the gates, the campaigns.
    board: Dashboard,
    /// For whoever works a store: each store with items under their minimum (id, name, items).
    low_stock: Vec<(i64, String, Vec<StockLineView>)>,
    /// Notices to study (how many, how many overdue), and for a leader the people reported for
    /// not studying one in time: (notice, title, names).
    notices: (i64, i64),
    reported: Vec<(i64, String, String)>,
}

/// Beyond this many communities the home page leaves low stock to the store's own page.
const HOME_STORES: usize = 10;

/// The stores the caller works with items under their minimum: the leader's and the logistics
/// group's first sight of what must be bought or asked for.
async fn low_stock(state: &AppState, pc: &PageCaller) -> Vec<(i64, String, Vec<StockLineView>)> {
    if !pc
        .caller
        .session
        .user
        .role
        .has(shouhu_domain::Right::WorkStore)
    {
        return Vec::new();
    }
    let loaded = async {
        let mut out = Vec::new();
        for (id, _) in supplies::communities(state, &pc.caller)
            .await?
            .into_iter()
            .take(HOME_STORES)
        {
            let stock = supplies::stock(state, &pc.caller, id).await?;
            if stock.may_work && stock.low > 0 {
                let low = stock.lines.into_iter().filter(|l| l.low).collect();
                out.push((stock.community_id, stock.community_name, low));
            }
        }
        Ok::<_, crate::web::error::AppError>(out)
    };
    match loaded.await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = ?e, "low stock for the home page failed");
            Vec::new()
        }
    }
}

/// Today's report of each of the caller's communities, for a leader: due by the deadline.
async fn reports_due(state: &AppState, pc: &PageCaller) -> Vec<(String, String, String)> {
    if !pc
        .caller
        .session
        .user
        .role
        .has(shouhu_domain::Right::SubmitReports)
    {
        return Vec::new();
    }
    let day = state.settings.today().to_string();
    let mut out = Vec::new();
    let communities = crate::db::gate::log::communities(&state.db, &pc.caller.scope())
        .await
        .unwrap_or_default();
    for (code, name) in communities {
        let Ok(Some(u)) = units::find_unscoped(&state.db, &code).await else {
            continue;
        };
        if let Ok(standings) = crate::db::reports::submit::completeness(&state.db, u.id, &day).await
            && let Some(s) = standings.into_iter().find(|s| s.code == code)
        {
            out.push((code, name, s.status));
        }
    }
    out
}

pub struct HealthSummary {
    pub alerts: Vec<crate::service::health::AlertView>,
    pub open_alerts: i64,
    pub at_risk: i64,
    pub due: i64,
}

async fn health_summary(state: &AppState, pc: &PageCaller) -> Option<HealthSummary> {
    if !pc
        .caller
        .session
        .user
        .role
        .has(shouhu_domain::Right::ReadHealth)
    {
        return None;
    }
    let grids = pc.caller.grids.to_vec();
    let today = state.settings.today();
    let yesterday = today - chrono::Days::new(1);
    let loaded = async {
        let (alerts, open_alerts) =
            crate::db::health::alerts(&state.db, &grids, Some("open"), 5, 0).await?;
        let (_, at_risk) = crate::db::risk::flags(&state.db, &grids, Some("pending"), 1, 0).await?;
        let (_, due) = crate::db::quarantine::due(
            &state.db,
            &grids,
            &today.to_string(),
            &yesterday.to_string(),
            1,
            0,
        )
        .await?;
        Ok::<_, crate::db::StoreError>(HealthSummary {
            alerts: alerts
                .iter()
                .map(|a| crate::service::health::alert_view(a, pc.caller.names()))
                .collect(),
            open_alerts,
            at_risk,
            due,
        })
    };
    match loaded.await {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::warn!(error = ?e, "health summary for the home page failed");
            None
        }
    }
}

/// Beyond this many grids the home page links to the checks instead of counting them.
const HOME_CHECK_GRIDS: usize = 40;

async fn check_counts(state: &AppState, pc: &PageCaller) -> Vec<(String, String, i64)> {
    if !pc
        .caller
        .session
        .user
        .role
        .has(shouhu_domain::Right::ReadRegistry)
        || pc.caller.grids.len() > HOME_CHECK_GRIDS
    {
        return Vec::new();
    }
    let paging = crate::service::paging::Paging {
        page: 1,
        per_page: 1,
    };
    match crate::service::checks::report(state, &pc.caller, None, None, paging).await {
        Ok(r) => r
            .grids
            .into_iter()
            .filter(|g| g.total > 0)
            .map(|g| (g.grid_code, g.grid_name, g.total))
            .collect(),
        Err(e) => {
            // The home page still opens; the checks page will show the error.
            tracing::warn!(error = ?e, "data checks for the home page failed");
            Vec::new()
        }
    }
}

pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub depth: usize,
    pub residents: i64,
}

/// The caller's units with resident counts, each indented under its parent.
async fn unit_rows(state: &AppState, pc: &PageCaller) -> Result<Vec<UnitRow>, PageError> {
    let scope = pc.caller.scope();
    let list = units::list(&state.db, &scope)
        .await
        .map_err(|e| PageError::new(pc.t(), e.into()))?;
    let counts: HashMap<i64, i64> = units::resident_counts(&state.db, &scope)
        .await
        .map_err(|e| PageError::new(pc.t(), e.into()))?
        .into_iter()
        .collect();
    let mut depth_of: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(list.len());
    for u in list {
        let depth = u
            .parent_code
            .as_ref()
            .and_then(|p| depth_of.get(p))
            .map_or(0, |d| d + 1);
        depth_of.insert(u.code.clone(), depth);
        rows.push(UnitRow {
            residents: counts.get(&u.id).copied().unwrap_or(0),
            code: u.code,
            name: u.name,
            kind: u.kind,
            depth,
        });
    }
    Ok(rows)
}

pub async fn home(State(state): State<AppState>, pc: PageCaller) -> Response {
    let units = match unit_rows(&state, &pc).await {
        Ok(rows) => rows.into_iter().filter(|r| r.depth == 0).collect(),
        Err(e) => return e.into_response(),
    };
    let checks = check_counts(&state, &pc).await;
    let health = health_summary(&state, &pc).await;
    let reports = reports_due(&state, &pc).await;
    let low_stock = low_stock(&state, &pc).await;
    let notices = crate::service::notices::pending(&state, &pc.caller)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "notices to study for the home page failed");
            (0, 0)
        });
    let reported = crate::service::notices::reported(&state, &pc.caller)
        .await
        .unwrap_or_default();
    // The home page still opens when a part cannot be read; that part's own page shows the error.
    let board = dashboard::load(&state, &pc.caller)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(error = ?e, "the day at a glance for the home page failed");
            Dashboard::default()
        });
    page(&HomePage {
        deadline: state.settings.report_deadline.format("%H:%M").to_string(),
        c: pc.chrome,
        units,
        low_stock,
        notices,
        reported,
        checks,
        health,
        reports,
        board,
    })
}

#[derive(askama::Template)]
#[template(path = "units.html")]
struct UnitsPage {
    c: Chrome,
    units: Vec<UnitRow>,
}

pub async fn units(State(state): State<AppState>, pc: PageCaller) -> Response {
    match unit_rows(&state, &pc).await {
        Ok(units) => page(&UnitsPage {
            c: pc.chrome,
            units,
        }),
        Err(e) => e.into_response(),
    }
}
