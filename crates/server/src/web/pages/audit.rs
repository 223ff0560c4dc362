//! The auditor's search of the audit log.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shouhu_domain::Right;

use super::account::local_time;
use super::{Chrome, PageCaller, PageError, html};
use crate::db::audit;
use crate::service::audit::{AuditParams, filter_from};
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    actor: String,
    action: String,
    object: String,
    from: String,
    to: String,
    rows: Vec<Row>,
    total: i64,
    error: Option<String>,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
}

/// Entries per page: a phone's long scroll, not the whole log.
const PER_PAGE: i64 = 50;

/// The same search on another page.
fn page_link(p: &AuditParams, page: i64) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("actor", &p.actor),
        ("action", &p.action),
        ("object_id", &p.object_id),
        ("from", &p.from),
        ("to", &p.to),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            q.append_pair(k, v);
        }
    }
    q.append_pair("page", &page.to_string());
    format!("/audit?{}", q.finish())
}

struct Row {
    id: i64,
    time: String,
    actor: String,
    action: String,
    object: String,
    result: String,
    address: String,
    detail: String,
}

pub async fn audit(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(p): Query<AuditParams>,
) -> Response {
    if let Err(e) = pc.require(&state, Right::ReadAudit, "audit.read").await {
        return e.into_response();
    }
    let t = pc.t();
    let (filter, error) = match filter_from(&p, state.settings.time_zone) {
        Ok(f) => (f, None),
        Err(AppError::Invalid { code, .. }) => (audit::Filter::default(), Some(t.invalid(&code))),
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let page_no = p.page.unwrap_or(1).clamp(1, 1_000_000);
    let (entries, total) =
        match audit::search(&state.db, &filter, PER_PAGE, (page_no - 1) * PER_PAGE).await {
            Ok(r) => r,
            Err(e) => return PageError::new(t, e.into()).into_response(),
        };
    let rows = entries
        .into_iter()
        .map(|e| Row {
            id: e.id,
            time: local_time(&state, e.at),
            actor: e.actor,
            action: t.action(&e.action),
            object: if e.object_kind.is_empty() {
                e.object_id
            } else {
                format!("{} {}", e.object_kind, e.object_id)
            },
            result: t.audit_result(&e.result),
            address: e.address,
            detail: e.detail,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let prev = (page_no > 1).then(|| page_link(&p, page_no - 1));
    let next = (page_no < pages).then(|| page_link(&p, page_no + 1));
    let s = |v: Option<String>| v.unwrap_or_default();
    html(
        status,
        askama::Template::render(&AuditPage {
            c: pc.chrome,
            actor: s(p.actor),
            action: s(p.action),
            object: s(p.object_id),
            from: s(p.from),
            to: s(p.to),
            rows,
            total,
            error,
            page: page_no,
            pages,
            prev,
            next,
        }),
    )
}
