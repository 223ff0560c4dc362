//! The household's link (居民端链接) as its grid worker handles it from the household's page: issue
//! it (the QR shown this once, to print or show on the spot), issue anew for a lost sheet, revoke;
//! and the residents' correction requests, answered there.

use axum::extract::{Path, State};
use axum::http::header::HOST;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, NoFields, PageError, PageForm, page};
use crate::service::resident_links::{CorrectionAnswerBody, answer_correction, issue, revoke};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "household_link.html")]
struct IssuedPage {
    c: Chrome,
    household_id: i64,
    address: String,
    url: String,
    svg: String,
}

/// The address a phone opens: this service as the worker reached it, and the link's path.
fn full_url(state: &AppState, headers: &axum::http::HeaderMap, path: &str) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .unwrap_or("localhost");
    // Secure cookies are set only when the service is reached over TLS.
    let scheme = if state.settings.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{path}")
}

/// Issues a link for each of `households` that has none working; their addresses, by household.
pub(super) async fn issue_missing(
    state: &AppState,
    caller: &crate::web::auth::Caller,
    headers: &axum::http::HeaderMap,
    households: &[i64],
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    let working = crate::db::resident_links::active_among(&state.db, households).await?;
    let mut out = std::collections::HashMap::new();
    for h in households.iter().filter(|h| !working.contains(h)) {
        let issued = issue(state, caller, *h).await?;
        out.insert(*h, full_url(state, headers, &issued.path));
    }
    Ok(out)
}

pub async fn issue_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    PageForm { pc, .. }: PageForm<NoFields>,
) -> Response {
    let t = pc.t();
    let Ok(hid) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let issued = match issue(&state, &pc.caller, hid).await {
        Ok(i) => i,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let address = match crate::service::households::fetch(&state, &pc.caller, hid).await {
        Ok(h) => h.address,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let url = full_url(&state, &headers, &issued.path);
    page(&IssuedPage {
        svg: super::gate::qr_svg(&url),
        c: pc.chrome,
        household_id: hid,
        address,
        url,
    })
}

pub async fn revoke_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, .. }: PageForm<NoFields>,
) -> Response {
    let t = pc.t();
    let Ok(hid) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    match revoke(&state, &pc.caller, hid).await {
        // Revoked, or there was none working: either way none works now.
        Ok(()) | Err(AppError::NotFound) => {
            Redirect::to(&format!("/households/{hid}#resident-link")).into_response()
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    household_id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    answer: String,
}

pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<AnswerForm>,
) -> Response {
    let t = pc.t();
    let Ok(cid) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let back = validate::path_id(&f.household_id)
        .map(|h| format!("/households/{h}#corrections"))
        .unwrap_or_else(|_| "/checks?kind=correction_requested".into());
    let b = CorrectionAnswerBody {
        status: f.status,
        answer: f.answer,
    };
    match answer_correction(&state, &pc.caller, cid, &b).await {
        // Answered meanwhile by someone else: the page shows it answered.
        Ok(()) | Err(AppError::Conflict) => Redirect::to(&back).into_response(),
        Err(e @ AppError::Invalid { .. }) => match validate::path_id(&f.household_id) {
            Ok(_) => {
                let words = super::refusal_words(t, &e);
                super::registry::household_page(
                    &state,
                    pc,
                    &f.household_id,
                    e.status(),
                    (vec![("correction".into(), words)], Default::default()),
                    None,
                )
                .await
            }
            Err(_) => PageError::new(t, e).into_response(),
        },
        Err(e) => PageError::new(t, e).into_response(),
    }
}
