//! The leader's day at a glance: how far today's temperature round has come per grid, who is in
//! isolation, what the gates did today, how far the campaigns have come. Each part only for a role
//! that may see it, each read from the kept figures.

use shouhu_domain::Right;

use super::AppState;
use super::caller::Caller;
use super::error::ApiResult;
use super::paging::Paging;
use crate::db::day_stats::{self, Coverage};
use crate::db::gate::log::{self, DayCounts};
use crate::db::{quarantine, units};

/// Beyond this many grids the coverage is the total only (a street's hundred grids are a page of
/// their own, the reports').
pub const COVERAGE_GRIDS: usize = 40;

#[derive(Default)]
pub struct Dashboard {
    /// Per grid (when there are few enough), and the sum.
    pub coverage: Vec<Coverage>,
    pub coverage_total: Option<Coverage>,
    /// Active episodes by kind.
    pub isolations: Vec<(String, i64)>,
    /// Per community of the caller: code, name, today's gate figures.
    pub gates: Vec<(String, String, DayCounts)>,
    /// Open campaigns: id, name, households visited (done, nobody home or refused) and in all.
    pub surveys: Vec<(i64, String, i64, i64)>,
}

pub async fn load(state: &AppState, caller: &Caller) -> ApiResult<Dashboard> {
    let role = caller.session.user.role;
    let grids = caller.grids.to_vec();
    let day = state.settings.today().to_string();
    let mut d = Dashboard::default();
    if role.has(Right::ReadHealth) {
        let all = day_stats::coverage(&state.db, &grids, &day).await?;
        let total = all.iter().fold(
            Coverage {
                code: String::new(),
                name: String::new(),
                residents: 0,
                checked: 0,
            },
            |mut t, g| {
                t.residents += g.residents;
                t.checked += g.checked.min(g.residents);
                t
            },
        );
        if all.len() > 1 {
            d.coverage_total = Some(total);
        }
        if all.len() <= COVERAGE_GRIDS {
            d.coverage = all;
        }
        d.isolations = quarantine::active_by_kind(&state.db, &grids).await?;
    }
    if role.has(Right::ReadGateLog) {
        for (code, name) in log::communities(&state.db, &caller.scope()).await? {
            if let Some(u) = units::find_unscoped(&state.db, &code).await? {
                let counts = log::day_counts(&state.db, u.id, &day).await?;
                d.gates.push((code, name, counts));
            }
        }
    }
    if role.has(Right::ReadRegistry) {
        let paging = Paging {
            page: 1,
            per_page: 5,
        };
        let (views, _) = super::surveys::list_views(state, caller, &paging).await?;
        d.surveys = views
            .into_iter()
            .filter(|s| s.status == "open")
            .map(|s| {
                let t = &s.total;
                (
                    s.id,
                    s.name,
                    t.done + t.nobody_home + t.refused,
                    t.households,
                )
            })
            .collect();
    }
    Ok(d)
}
