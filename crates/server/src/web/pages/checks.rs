//! The data checks page (核对): problems per grid, each linked to the card where it is fixed.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shouhu_domain::Right;

use super::{Chrome, PageCaller, PageError, page};
use crate::db::checks::Kind;
use crate::db::units;
use crate::service::checks::{ChecksReport, report};
use crate::service::paging::Paging;
use crate::web::AppState;
use crate::web::error::AppError;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ChecksQuery {
    unit: Option<String>,
    kind: Option<String>,
    page: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "checks.html")]
struct ChecksPage {
    c: Chrome,
    unit: String,
    kind: String,
    units: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    r: ChecksReport,
    prev: Option<String>,
    next: Option<String>,
    pages: i64,
}

fn link(unit: &str, kind: &str, page: i64) -> String {
    let q =
        serde_urlencoded::to_string([("unit", unit), ("kind", kind), ("page", &page.to_string())])
            .unwrap_or_default();
    format!("/checks?{q}")
}

pub async fn checks(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<ChecksQuery>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc.require(&state, Right::ReadRegistry, "checks.list").await {
        return e.into_response();
    }
    let page_no = q
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let unit = q.unit.unwrap_or_default();
    let kind = q.kind.unwrap_or_default();
    let paging = Paging {
        page: page_no,
        per_page: PER_PAGE,
    };
    let r = match report(&state, &pc.caller, Some(&unit), Some(&kind), paging).await {
        Ok(r) => r,
        Err(AppError::Invalid { .. }) => {
            return PageError::new(t, AppError::NotFound).into_response();
        }
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let units = units::list(&state.db, &pc.caller.scope())
        .await
        .unwrap_or_default();
    let pages = ((r.total + PER_PAGE - 1) / PER_PAGE).max(1);
    page(&ChecksPage {
        prev: (page_no > 1).then(|| link(&unit, &kind, page_no - 1)),
        next: (page_no < pages).then(|| link(&unit, &kind, page_no + 1)),
        units: units.into_iter().map(|u| (u.code, u.name)).collect(),
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        c: pc.chrome,
        unit,
        kind,
        r,
        pages,
    })
}
