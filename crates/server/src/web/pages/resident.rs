//! The household's own pages (居民端) behind its link `/h/{token}`: no account, any phone browser.
//! The token in the address is the only key, so it also stands in for a form's CSRF token (a
//! forger would need the token itself); it is never logged (`request_trace`).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::help::when;
use super::{html, lang_of};
use crate::db::resident_links::Link;
use crate::i18n::Tr;
use crate::service::resident_links::open;
use crate::service::resident_self::{
    SelfCheckBody, SelfCorrectionBody, SelfHelpBody, SelfHousehold, SelfNeedBody, ask_correction,
    ask_help, ask_need, household, report_temperature,
};
use crate::web::AppState;
use crate::web::auth::client_address;
use crate::web::error::AppError;

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    sent: Option<String>,
}

/// What a page says after something was sent.
const SENT: [&str; 4] = ["check", "help", "need", "correction"];

pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub relation: String,
    pub age: u32,
    /// "36.5℃ · 08:10", or "" when nothing today.
    pub reading: String,
    /// Who recorded it, in words ("本人" or "网格员 张三 代录").
    pub by: String,
    pub fever: bool,
    pub key: String,
}

pub struct AskedRow {
    pub what: String,
    pub status: String,
    pub at: String,
    pub by: String,
}

#[derive(askama::Template)]
#[template(path = "self_home.html")]
struct HomePage {
    t: Tr,
    base: String,
    address: String,
    pass_svg: String,
    members: Vec<MemberRow>,
    help: Vec<AskedRow>,
    needs: Vec<AskedRow>,
    notices: Vec<(String, String, String)>,
    corrections: Vec<AskedRow>,
    items: Vec<(i64, String, String)>,
    categories: [&'static str; 5],
    sent: String,
    error: String,
    help_key: String,
    need_key: String,
}

fn by_words(t: Tr, by_self: bool, worker: Option<&str>) -> String {
    if by_self {
        t.t("self.by_self").to_string()
    } else {
        t.t("self.by_staff")
            .replace("{name}", worker.unwrap_or_default())
    }
}

/// The link, or the page to show instead: too many misses (429), or a link that opens nothing.
pub(super) async fn link_of(
    state: &AppState,
    token: &str,
    parts: &Parts,
) -> Result<Link, Response> {
    let t = Tr::new(lang_of(parts));
    match open(state, token, &client_address(parts)).await {
        Ok(link) => Ok(link),
        Err(AppError::Throttled) => Err(closed(t, StatusCode::TOO_MANY_REQUESTS, "self.throttled")),
        Err(AppError::NotFound) => Err(closed(t, StatusCode::NOT_FOUND, "self.no_link")),
        Err(e) => Err(super::PageError::new(t, e).into_response()),
    }
}

#[derive(askama::Template)]
#[template(path = "self_closed.html")]
struct ClosedPage<'a> {
    t: Tr,
    message: &'a str,
}

fn closed(t: Tr, status: StatusCode, key: &str) -> Response {
    html(
        status,
        askama::Template::render(&ClosedPage {
            t,
            message: t.t(key),
        }),
    )
}

/// Who is on the household's page: the link, its token (for the page's own addresses) and the
/// phone's network address.
struct Visit<'a> {
    link: &'a Link,
    token: &'a str,
    address: String,
}

async fn render(
    state: &AppState,
    t: Tr,
    v: &Visit<'_>,
    status: StatusCode,
    sent: &str,
    error: String,
) -> Response {
    let (link, token, address) = (v.link, v.token, v.address.as_str());
    let h: SelfHousehold = match household(state, link, address).await {
        Ok(h) => h,
        Err(e) => return super::PageError::new(t, e).into_response(),
    };
    let asked_row =
        |what: String, status: String, at: i64, by_self: bool, by: Option<&str>| AskedRow {
            what,
            status,
            at: when(state, at),
            by: by_words(t, by_self, by),
        };
    let page = HomePage {
        t,
        base: format!("/h/{token}"),
        address: h.address,
        pass_svg: h
            .pass_code
            .as_deref()
            .map(super::gate::qr_svg)
            .unwrap_or_default(),
        members: h
            .members
            .into_iter()
            .map(|m| MemberRow {
                reading: m
                    .today
                    .as_ref()
                    .map(|r| format!("{:.1}°C · {}", r.temperature, when(state, r.at)))
                    .unwrap_or_default(),
                by: m
                    .today
                    .as_ref()
                    .map(|r| by_words(t, r.by_self, r.recorded_by.as_deref()))
                    .unwrap_or_default(),
                fever: m.today.as_ref().is_some_and(|r| r.fever),
                id: m.id,
                name: m.name,
                relation: m.relation,
                age: m.age,
                key: super::form_key(),
            })
            .collect(),
        help: h
            .help
            .into_iter()
            .map(|a| {
                asked_row(
                    t.tk("help.category", &a.what),
                    t.tk("help.status", &a.status),
                    a.created_at,
                    a.by_self,
                    a.recorded_by.as_deref(),
                )
            })
            .collect(),
        needs: h
            .needs
            .into_iter()
            .map(|a| {
                asked_row(
                    format!("{} × {}", a.what, a.quantity),
                    t.tk("needs.status", &a.status),
                    a.created_at,
                    a.by_self,
                    a.recorded_by.as_deref(),
                )
            })
            .collect(),
        notices: h
            .notices
            .into_iter()
            .map(|n| (n.title, n.body, when(state, n.updated_at)))
            .collect(),
        corrections: h
            .corrections
            .into_iter()
            .map(|c| AskedRow {
                what: match c.member {
                    Some(m) => format!("{m}：{}", c.words),
                    None => c.words,
                },
                status: t.tk("self.correction", &c.status),
                at: when(state, c.created_at),
                by: c.answer,
            })
            .collect(),
        items: h
            .items
            .into_iter()
            .map(|i| (i.id, i.name, i.unit))
            .collect(),
        categories: ["medicine", "food", "ride", "medical", "other"],
        sent: if SENT.contains(&sent) {
            t.tk("self.sent", sent)
        } else {
            String::new()
        },
        error,
        help_key: super::form_key(),
        need_key: super::form_key(),
    };
    html(status, askama::Template::render(&page))
}

pub async fn home(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Query(q): Query<HomeQuery>,
    parts: Parts,
) -> Response {
    let link = match link_of(&state, &token, &parts).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let t = Tr::new(lang_of(&parts));
    let sent = q.sent.unwrap_or_default();
    let visit = Visit {
        link: &link,
        token: &token,
        address: client_address(&parts),
    };
    render(&state, t, &visit, StatusCode::OK, &sent, String::new()).await
}

/// After a send: back to the page (303, so a reload sends nothing again), or the page again
/// with what was wrong (422) and nothing recorded.
async fn answer(
    state: &AppState,
    parts: &Parts,
    link: &Link,
    token: &str,
    sent: &'static str,
    outcome: Result<(), AppError>,
) -> Response {
    let t = Tr::new(lang_of(parts));
    match outcome {
        Ok(()) => Redirect::to(&format!("/h/{token}?sent={sent}")).into_response(),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict)) => {
            let words = super::refusal_words(t, &e);
            let visit = Visit {
                link,
                token,
                address: client_address(parts),
            };
            render(state, t, &visit, e.status(), "", words).await
        }
        Err(e) => super::PageError::new(t, e).into_response(),
    }
}

/// The link and the form of a send to it, or the page to show instead.
async fn opened<T>(
    state: &AppState,
    token: &str,
    parts: &Parts,
    form: Result<Form<T>, FormRejection>,
) -> Result<(Link, T), Response> {
    let link = link_of(state, token, parts).await?;
    match form {
        Ok(Form(f)) => Ok((link, f)),
        Err(_) => Err(unreadable(parts)),
    }
}

fn unreadable(parts: &Parts) -> Response {
    let t = Tr::new(lang_of(parts));
    super::PageError::new(
        t,
        AppError::invalid("form", "unreadable_form", "the form could not be read"),
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct CheckForm {
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    temperature: String,
    #[serde(default)]
    key: String,
}

/// A number typed on a phone: full-width digits and a comma for the point are taken too.
fn number(field: &'static str, code: &'static str, s: &str) -> Result<f64, AppError> {
    let s = shouhu_domain::normalize::half_width(s.trim()).replace(['，', ','], ".");
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| AppError::invalid(field, code, "a number"))
}

pub async fn check(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
    form: Result<Form<CheckForm>, FormRejection>,
) -> Response {
    let (link, f) = match opened(&state, &token, &parts, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let outcome = async {
        let resident_id =
            f.resident_id.trim().parse::<i64>().map_err(|_| {
                AppError::invalid("resident_id", "unknown_resident", "no such member")
            })?;
        let temperature = number("temperature", "temperature_out_of_range", &f.temperature)?;
        let b = SelfCheckBody {
            resident_id,
            temperature,
            idempotency_key: f.key,
        };
        report_temperature(&state, &link, &b).await.map(|_| ())
    }
    .await;
    answer(&state, &parts, &link, &token, "check", outcome).await
}

#[derive(Deserialize)]
pub struct HelpForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    words: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    key: String,
}

pub async fn help(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
    form: Result<Form<HelpForm>, FormRejection>,
) -> Response {
    let (link, f) = match opened(&state, &token, &parts, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let b = SelfHelpBody {
        category: f.category,
        urgency: f.urgency,
        words: f.words,
        contact_phone: f.contact_phone,
        idempotency_key: f.key,
    };
    let address = client_address(&parts);
    let outcome = ask_help(&state, &link, &address, &b).await.map(|_| ());
    answer(&state, &parts, &link, &token, "help", outcome).await
}

#[derive(Deserialize)]
pub struct NeedForm {
    #[serde(default)]
    item_id: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    key: String,
}

pub async fn need(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
    form: Result<Form<NeedForm>, FormRejection>,
) -> Response {
    let (link, f) = match opened(&state, &token, &parts, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let address = client_address(&parts);
    let outcome = async {
        let item_id = f
            .item_id
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::invalid("item_id", "unknown_item", "no such item"))?;
        let quantity = shouhu_domain::normalize::half_width(f.quantity.trim())
            .parse::<i64>()
            .map_err(|_| AppError::invalid("quantity", "out_of_range", "a whole number"))?;
        let b = SelfNeedBody {
            item_id,
            quantity,
            note: f.note,
            idempotency_key: f.key,
        };
        ask_need(&state, &link, &address, &b).await.map(|_| ())
    }
    .await;
    answer(&state, &parts, &link, &token, "need", outcome).await
}

#[derive(Deserialize)]
pub struct CorrectionForm {
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    words: String,
    #[serde(default)]
    key: String,
}

pub async fn correction(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
    form: Result<Form<CorrectionForm>, FormRejection>,
) -> Response {
    let (link, f) = match opened(&state, &token, &parts, form).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let address = client_address(&parts);
    let outcome = async {
        let resident_id = match f.resident_id.trim() {
            "" => None,
            s => Some(s.parse::<i64>().map_err(|_| {
                AppError::invalid("resident_id", "unknown_resident", "no such member")
            })?),
        };
        let b = SelfCorrectionBody {
            resident_id,
            words: f.words,
            idempotency_key: f.key,
        };
        ask_correction(&state, &link, &address, &b)
            .await
            .map(|_| ())
    }
    .await;
    answer(&state, &parts, &link, &token, "correction", outcome).await
}
