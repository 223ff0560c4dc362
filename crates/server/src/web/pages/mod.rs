//! Server-rendered pages for phones: semantic forms that work without script, Chinese by default.
//! Handlers reuse the API's store calls and validation, so a page can do nothing the API refuses.

mod account;
mod audit;
mod care;
mod chart;
mod checks;
mod form;
mod gate;
mod health;
mod help;
mod home;
mod household_link;
mod isolation;
mod notices;
mod registry;
mod reports;
mod resident;
mod resident_info;
mod restore;
mod roster;
mod rounds;
mod sheets;
mod staff;
mod supplies;
mod supply_deliveries;
mod supply_donations;
mod supply_needs;
mod supply_purchases;
mod surveys;
mod users;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use shouhu_domain::Right;

use super::AppState;
use super::auth::{Caller, cookie_value};
use super::error::AppError;
use crate::i18n::{Lang, Tr};
pub use form::{NoFields, PageForm, PageUpload};

pub const LANG_COOKIE: &str = "shouhu_lang";

/// What every signed-in page shows around its content.
pub struct Chrome {
    pub t: Tr,
    pub display_name: String,
    pub role: String,
    pub csrf: String,
    /// Whose phone queue of offline records a page shows and sends (`static/field.js`).
    pub user_id: i64,
    pub can_read_registry: bool,
    pub can_read_audit: bool,
    pub can_manage_accounts: bool,
    pub can_scan_gate: bool,
    pub can_handle_help: bool,
    pub can_read_gate_log: bool,
    pub can_manage_gates: bool,
    pub can_read_reports: bool,
    pub can_read_supplies: bool,
    pub can_read_notices: bool,
    pub other_lang: &'static str,
}

/// A signed-in caller on a page; without a session the browser is sent to sign in.
pub struct PageCaller {
    pub caller: Caller,
    pub chrome: Chrome,
}

impl PageCaller {
    pub fn t(&self) -> Tr {
        self.chrome.t
    }

    pub async fn require(
        &self,
        state: &AppState,
        right: Right,
        what: &'static str,
    ) -> Result<(), PageError> {
        self.caller
            .require(state, right, what)
            .await
            .map_err(|e| PageError::new(self.t(), e))
    }
}

pub fn lang_of(parts: &Parts) -> Lang {
    Lang::from_cookie(cookie_value(parts, LANG_COOKIE).as_deref())
}

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let t = Tr::new(lang_of(parts));
        if !form::csrf_checked_by_form(parts) {
            // A handler of a form that took the caller alone: refused, so that the omission
            // shows at its first use instead of leaving the form open to forgery.
            let e = AppError::Internal(format!(
                "{} {} reads no PageForm",
                parts.method,
                parts.uri.path()
            ));
            return Err(PageError::new(t, e).into_response());
        }
        let caller = match Caller::from_parts_unchecked(parts, state).await {
            Ok(Some(c)) => c,
            Ok(None) => return Err(Redirect::to("/login").into_response()),
            Err(e) => return Err(PageError::new(t, e).into_response()),
        };
        if caller.must_change_password(state)
            && parts.uri.path() != "/password"
            && parts.uri.path() != "/logout"
        {
            return Err(Redirect::to("/password").into_response());
        }
        let user = &caller.session.user;
        let chrome = Chrome {
            t,
            display_name: user.display_name.clone(),
            role: t.t(&format!("role.{}", user.role.as_str())).to_string(),
            csrf: caller.session.csrf_token.clone(),
            user_id: user.id,
            can_read_registry: user.role.has(Right::ReadRegistry),
            can_read_audit: user.role.has(Right::ReadAudit),
            can_manage_accounts: user.role.has(Right::ManageAccounts)
                || user.role.has(Right::ManageRoles),
            can_scan_gate: user.role.has(Right::ScanGate),
            can_handle_help: user.role.has(Right::HandleHelpRequests),
            can_read_gate_log: user.role.has(Right::ReadGateLog),
            can_manage_gates: user.role.has(Right::ManageGates),
            can_read_reports: user.role.has(Right::ReadReports),
            can_read_supplies: user.role.has(Right::ReadSupplies),
            can_read_notices: user.role.has(Right::ReadNotices),
            other_lang: t.lang.other().code(),
        };
        Ok(PageCaller { caller, chrome })
    }
}

/// Each fault of a refused form in the reader's words, by the field it belongs to: every field of
/// refused input; someone else's save, or a request someone else took, under `conflict_field`;
/// anything else under "".
/// What was wrong with a form, in one line of words.
pub(super) fn refusal_words(t: Tr, e: &AppError) -> String {
    faults_in_words(t, e, "")
        .into_iter()
        .map(|(_, m)| m)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn faults_in_words(t: Tr, e: &AppError, conflict_field: &str) -> Vec<(String, String)> {
    match e {
        AppError::Invalid { .. } => e
            .faults()
            .into_iter()
            .map(|f| (f.field, t.invalid(&f.code)))
            .collect(),
        AppError::Conflict => vec![(conflict_field.into(), t.t("error.conflict").to_string())],
        AppError::Taken(who) => vec![(
            conflict_field.into(),
            t.t("help.taken_by").replace("{name}", who),
        )],
        _ => vec![(String::new(), t.t("error.title").to_string())],
    }
}

/// An error shown as a page, in the user's language.
pub struct PageError {
    t: Tr,
    error: AppError,
    csrf: bool,
}

impl PageError {
    pub fn new(t: Tr, error: AppError) -> PageError {
        PageError {
            t,
            error,
            csrf: false,
        }
    }
    fn csrf(mut self) -> PageError {
        self.csrf = true;
        self
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: Tr,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match &self.error {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error on a page"),
            AppError::Unavailable(detail) => tracing::warn!(%detail, "database unavailable"),
            _ => {}
        }
        let key = match (&self.error, self.csrf) {
            (_, true) => "error.csrf",
            (AppError::NotFound, _) => "error.not_found",
            (AppError::Forbidden, _) => "error.forbidden",
            (AppError::Unavailable(_), _) => "error.unavailable",
            _ => "error.title",
        };
        let message = self.t.t(key).to_string();
        let page = ErrorPage {
            t: self.t,
            message: &message,
        };
        let mut response = html(self.error.status(), askama::Template::render(&page));
        if matches!(self.error, AppError::Unavailable(_)) {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(crate::web::error::RETRY_AFTER_SECONDS),
            );
        }
        response
    }
}

/// An address that is no page: the error page in the browser's language, under the pages' policy.
pub fn not_found(parts: &Parts) -> Response {
    let mut response = PageError::new(Tr::new(lang_of(parts)), AppError::NotFound).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

/// Renders a template result as an HTML response; a rendering failure is a logged 500.
/// A fresh key for a form, so that a second tap of the same button records one thing.
pub(super) fn form_key() -> String {
    let mut raw = [0u8; 12];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    hex::encode(raw)
}

pub fn html(status: StatusCode, rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// Renders a page into a buffer of a page's usual size: askama starts from the template's own
/// text, and a list page (20 rows, 20-30 KB) grew it a dozen times, a tenth of its rendering.
pub fn page<T: askama::Template>(t: &T) -> Response {
    let mut body = String::with_capacity(T::SIZE_HINT.max(PAGE_BYTES));
    let rendered = t.render_into(&mut body).map(|()| body);
    html(StatusCode::OK, rendered)
}

/// What a page is written into at first.
const PAGE_BYTES: usize = 32 * 1024;

/// The offline queue of the round and the survey visits.
async fn field_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../../static/field.js"),
    )
        .into_response()
}

/// A file of the site's own, cached by the browser for an hour.
pub fn static_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn stylesheet() -> Response {
    static_file(
        "text/css; charset=utf-8",
        include_str!("../../../static/app.css"),
    )
}

async fn script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../../../static/app.js"),
    )
}

/// What a page may load and run: its own styles and scripts only, none written into the page, no
/// plugins, no framing, forms sent only here. A script slipped into a name or an address by
/// someone's input is not run even where escaping were missed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The policy on every page's response.
fn with_csp(router: Router<AppState>) -> Router<AppState> {
    router.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ))
}

pub fn router() -> Router<AppState> {
    with_csp(pages())
}

fn pages() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route(
            "/password",
            get(account::password_page).post(account::password),
        )
        .route("/lang/{code}", get(account::switch_lang))
        .route("/account", get(account::account))
        .route("/account/sessions/{handle}/end", post(account::end_session))
        .route("/", get(home::home))
        .route("/units", get(home::units))
        .route("/residents", get(registry::residents))
        .route(
            "/residents/{id}",
            get(registry::resident).post(registry::resident_save),
        )
        .route("/residents/{id}/unmask", post(registry::resident_unmask))
        .route("/residents/{id}/call", post(registry::resident_call))
        .route("/residents/{id}/match-id", post(registry::match_id))
        .route(
            "/residents/{id}/isolation",
            get(isolation::isolation_page).post(isolation::start_isolation),
        )
        .route(
            "/residents/{id}/isolation/{qid}",
            post(isolation::move_isolation),
        )
        .route(
            "/residents/{id}/isolation/{qid}/transfer",
            post(isolation::notify_transfer),
        )
        .route(
            "/residents/{id}/transfers/{tid}",
            post(isolation::advance_transfer),
        )
        .route("/households/new", get(registry::new_household))
        .route("/households", post(registry::create_household))
        .route("/households/{id}", get(registry::household))
        .route("/households/{id}/residents", post(registry::add_member))
        .route("/households/{id}/link", post(household_link::issue_link))
        .route(
            "/households/{id}/link/revoke",
            post(household_link::revoke_link),
        )
        .route("/corrections/{id}/answer", post(household_link::answer))
        .route("/residents/{id}/delete", post(registry::delete_resident))
        .route("/residents/{id}/restore", post(restore::restore_resident))
        .route("/checks", get(checks::checks))
        .route("/h/{token}", get(resident::home))
        .route("/h/{token}/info", get(resident_info::info))
        .route("/h/{token}/checks", post(resident::check))
        .route("/h/{token}/help", post(resident::help))
        .route("/h/{token}/needs", post(resident::need))
        .route("/h/{token}/corrections", post(resident::correction))
        .route("/reports", get(reports::reports_page))
        .route("/reports/submit", post(reports::submit))
        .route("/reports/return", post(reports::send_back))
        .route("/gate", get(gate::gate_page))
        .route("/static/gate.js", get(gate::script))
        .route("/static/field.js", get(field_script))
        .route("/gate/passes", get(gate::passes_page))
        .route("/gate/passes/links", post(gate::passes_with_links))
        .route("/gate/rules", get(gate::rules_page).post(gate::save_rules))
        .route("/gate/log", get(gate::log_page))
        .route("/health", get(health::health_page))
        .route(
            "/health/round",
            get(rounds::round_page).post(rounds::record_round),
        )
        .route("/alerts/{id}/close", post(health::close_alert))
        .route("/risk-flags/{id}", post(health::decide_flag))
        .route("/quarantines/{id}/follow-up", post(health::follow_up))
        .route("/help", get(help::list_page).post(help::create))
        .route("/help/new", get(help::new_page))
        .route("/today", get(care::today_page))
        .route("/today/calls/{id}", post(care::log_attempt))
        .route("/today/visits", post(care::log_visit))
        .route("/today/leave", post(care::log_leave))
        .route("/care", get(care::care_page))
        .route("/care/assign", post(care::assign))
        .route("/notices", get(notices::list_page).post(notices::publish))
        .route("/notices/{id}", get(notices::notice_page))
        .route("/notices/{id}/study", post(notices::study))
        .route("/notices/{id}/revise", post(notices::revise))
        .route("/notices/{id}/files/{file}", get(notices::download))
        .route("/supplies", get(supplies::page))
        .route("/supplies/movements", post(supplies::move_goods))
        .route("/supplies/stocktakes", post(supplies::count))
        .route("/supplies/movements/{id}/reverse", post(supplies::undo))
        .route("/supplies/items", post(supplies::add_item))
        .route("/supplies/purchases", post(supply_purchases::plan))
        .route(
            "/supplies/donations",
            get(supply_donations::page).post(supply_donations::create),
        )
        .route(
            "/supplies/donations/{id}/receipt",
            get(supply_donations::receipt),
        )
        .route(
            "/supplies/deliveries",
            get(supply_deliveries::page).post(supply_deliveries::schedule),
        )
        .route(
            "/supplies/deliveries/{id}/move",
            post(supply_deliveries::move_delivery),
        )
        .route("/supplies/purchases/{id}", get(supply_purchases::page))
        .route(
            "/supplies/purchases/{id}/lines",
            post(supply_purchases::set_lines),
        )
        .route(
            "/supplies/purchases/{id}/move",
            post(supply_purchases::move_run),
        )
        .route(
            "/supplies/needs",
            get(supply_needs::page).post(supply_needs::record),
        )
        .route("/roster", get(roster::page))
        .route("/roster/patterns", post(roster::add_pattern))
        .route("/roster/patterns/{id}/remove", post(roster::remove_pattern))
        .route("/roster/shifts", post(roster::add_shift))
        .route("/roster/shifts/{id}/remove", post(roster::remove_shift))
        .route("/roster/swaps", post(roster::propose_swap))
        .route("/roster/swaps/{id}/decide", post(roster::decide_swap))
        .route("/help/{id}", get(help::request_page))
        .route("/help/{id}/claim", post(help::claim))
        .route("/help/{id}/move", post(help::move_request))
        .route("/surveys", get(surveys::surveys).post(surveys::create))
        .route("/surveys/{id}", get(surveys::survey))
        .route(
            "/surveys/{id}/households/{household_id}",
            get(surveys::visit).post(surveys::save_visit),
        )
        .route("/import", get(sheets::import_page))
        .route("/import/{token}/confirm", post(sheets::confirm))
        .route("/import/{token}/errors.xlsx", get(sheets::errors_sheet))
        .route("/residents/export", post(sheets::export))
        .route("/staff", get(staff::staff))
        .route("/audit", get(audit::audit))
        .route("/users", get(users::users).post(users::create))
        .route("/users/{id}/disabled", post(users::set_disabled))
        .route("/users/{id}/reset", post(users::reset))
        .route("/users/{id}/access", post(users::access))
}

/// Pages that take uploads of up to 50 MB.
pub fn upload_router() -> Router<AppState> {
    with_csp(
        Router::new()
            .route("/import", post(sheets::upload))
            .route("/notices/{id}/files", post(notices::upload)),
    )
}
