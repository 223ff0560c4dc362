//! The JSON API under `/api/v1`, and its OpenAPI document.

pub mod audit;
pub mod care;
pub mod checks;
pub mod gate;
pub mod gate_log;
pub mod health;
pub mod help;
pub mod households;
pub mod notices;
pub mod observation;
pub mod quarantine;
pub mod reports;
pub mod resident_self;
pub mod residents;
pub mod roster;
pub mod session;
pub mod sheets;
pub mod staff;
pub mod supplies;
pub mod supply_deliveries;
pub mod supply_donations;
pub mod supply_needs;
pub mod supply_purchases;
pub mod surveys;
pub mod units;
pub mod users;

use axum::Router;
use axum::routing::{delete, get, post, put};
use utoipa::OpenApi;

use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "shouhu (守护) API", description = "Community epidemic prevention and resident care."),
    paths(
        session::create, session::show, session::delete, session::password, session::list, session::end,
        units::list,
        residents::list, residents::show, residents::create, residents::update, residents::delete,
        residents::restore, residents::records, residents::unmask,
        sheets::import_residents, sheets::export_masked, sheets::export_full,
        checks::list,
        gate::gates, gate::pass, gate::revoke, gate::scan,
        gate_log::rules, gate_log::set_rules, gate_log::register_visitor, gate_log::gate_log,
        reports::daily, reports::submit, reports::send_back, reports::completeness, reports::dhis2,
        health::create, health::batch, health::not_checked, health::alerts, health::close,
        quarantine::create, quarantine::list, quarantine::show, quarantine::transition,
        quarantine::follow_up, quarantine::due, quarantine::isolation,
        observation::sites, observation::create_site, observation::notify, observation::show,
        observation::advance,
        help::create, help::list, help::show, help::claim, help::transition,
        roster::show, roster::now, roster::create_pattern, roster::create_shift, roster::delete_pattern,
        roster::delete_shift, roster::create_swap, roster::decide,
        care::create_assignment, care::end_assignment, care::show_coverage, care::show_today,
        care::show_call, care::create_attempt, care::create_visit, care::create_leave,
        supplies::list_items, supplies::add_item, supplies::set_retired, supplies::show_stock,
        supplies::put_limits, supplies::list_movements, supplies::create_movement,
        supplies::create_stocktake, supplies::create_reversal,
        supply_needs::create_need, supply_needs::list_needs, supply_needs::move_need,
        supply_needs::show_needs_list,
        supply_purchases::create_purchase, supply_purchases::list_purchases,
        supply_purchases::show_purchase, supply_purchases::put_lines, supply_purchases::move_purchase,
        supply_donations::create_donation, supply_donations::list_donations,
        supply_donations::show_donation,
        supply_deliveries::create_delivery, supply_deliveries::list_deliveries,
        supply_deliveries::show_delivery, supply_deliveries::move_delivery,
        notices::list_notices, notices::publish_notice, notices::show_notice, notices::revise_notice,
        notices::answer_notice, notices::show_receipts, notices::attach_file, notices::download_file,
        surveys::template, surveys::create, surveys::list, surveys::show, surveys::households,
        surveys::visit, surveys::record_visit, surveys::areas, surveys::add_area, surveys::flags,
        surveys::confirm, surveys::dismiss,
        resident_self::show_self, resident_self::create_self_check, resident_self::create_self_help,
        resident_self::create_self_need, resident_self::create_self_correction,
        resident_self::show_link, resident_self::issue_link, resident_self::revoke_link,
        resident_self::answer,
        households::list, households::show, households::create, households::update, households::delete,
        staff::staff, staff::teams,
        audit::list,
        users::list, users::create, users::set_access, users::set_disabled, users::reset_password,
    ),
    components(schemas(crate::web::error::ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/session",
            post(session::create)
                .get(session::show)
                .delete(session::delete),
        )
        .route("/api/v1/session/password", post(session::password))
        .route("/api/v1/sessions", get(session::list))
        .route("/api/v1/sessions/{handle}", delete(session::end))
        .route("/api/v1/units", get(units::list))
        .route("/api/v1/self", get(resident_self::show_self))
        .route(
            "/api/v1/self/checks",
            post(resident_self::create_self_check),
        )
        .route("/api/v1/self/help", post(resident_self::create_self_help))
        .route("/api/v1/self/needs", post(resident_self::create_self_need))
        .route(
            "/api/v1/self/corrections",
            post(resident_self::create_self_correction),
        )
        .route(
            "/api/v1/households/{id}/resident-link",
            get(resident_self::show_link)
                .post(resident_self::issue_link)
                .delete(resident_self::revoke_link),
        )
        .route(
            "/api/v1/corrections/{id}/answer",
            post(resident_self::answer),
        )
        .route(
            "/api/v1/residents",
            get(residents::list).post(residents::create),
        )
        .route(
            "/api/v1/residents/{id}",
            get(residents::show)
                .patch(residents::update)
                .delete(residents::delete),
        )
        .route("/api/v1/residents/{id}/unmask", post(residents::unmask))
        .route("/api/v1/residents/{id}/restore", post(residents::restore))
        .route("/api/v1/residents/{id}/records", get(residents::records))
        .route(
            "/api/v1/exports/residents",
            get(sheets::export_masked).post(sheets::export_full),
        )
        .route(
            "/api/v1/households",
            get(households::list).post(households::create),
        )
        .route(
            "/api/v1/households/{id}",
            get(households::show)
                .patch(households::update)
                .delete(households::delete),
        )
        .route("/api/v1/checks", get(checks::list))
        .route("/api/v1/gates", get(gate::gates))
        .route("/api/v1/households/{id}/pass", get(gate::pass))
        .route("/api/v1/households/{id}/pass/revoke", post(gate::revoke))
        .route("/api/v1/gate/scans", post(gate::scan))
        .route(
            "/api/v1/gate/rules",
            get(gate_log::rules).put(gate_log::set_rules),
        )
        .route("/api/v1/gate/visitors", post(gate_log::register_visitor))
        .route("/api/v1/gate/log", get(gate_log::gate_log))
        .route("/api/v1/reports/daily", get(reports::daily))
        .route("/api/v1/reports/daily/submit", post(reports::submit))
        .route("/api/v1/reports/daily/return", post(reports::send_back))
        .route("/api/v1/reports/daily/dhis2", get(reports::dhis2))
        .route("/api/v1/reports/completeness", get(reports::completeness))
        .route("/api/v1/health-checks", post(health::create))
        .route("/api/v1/health-checks/batch", post(health::batch))
        .route(
            "/api/v1/health-checks/not-checked",
            get(health::not_checked),
        )
        .route("/api/v1/alerts", get(health::alerts))
        .route("/api/v1/alerts/{id}/close", post(health::close))
        .route(
            "/api/v1/quarantines",
            get(quarantine::list).post(quarantine::create),
        )
        .route("/api/v1/quarantines/{id}", get(quarantine::show))
        .route(
            "/api/v1/quarantines/{id}/transition",
            post(quarantine::transition),
        )
        .route(
            "/api/v1/quarantines/{id}/follow-ups",
            post(quarantine::follow_up),
        )
        .route("/api/v1/follow-ups/due", get(quarantine::due))
        .route(
            "/api/v1/households/{id}/isolation",
            get(quarantine::isolation),
        )
        .route(
            "/api/v1/observation-sites",
            get(observation::sites).post(observation::create_site),
        )
        .route("/api/v1/surveys", get(surveys::list).post(surveys::create))
        .route("/api/v1/surveys/template", get(surveys::template))
        .route("/api/v1/surveys/{id}", get(surveys::show))
        .route("/api/v1/surveys/{id}/households", get(surveys::households))
        .route(
            "/api/v1/surveys/{id}/households/{household_id}",
            get(surveys::visit).put(surveys::record_visit),
        )
        .route(
            "/api/v1/risk-areas",
            get(surveys::areas).post(surveys::add_area),
        )
        .route("/api/v1/risk-flags", get(surveys::flags))
        .route("/api/v1/risk-flags/{id}/confirm", post(surveys::confirm))
        .route("/api/v1/risk-flags/{id}/dismiss", post(surveys::dismiss))
        .route("/api/v1/transfers", post(observation::notify))
        .route("/api/v1/transfers/{id}", get(observation::show))
        .route("/api/v1/transfers/{id}/advance", post(observation::advance))
        .route("/api/v1/help-requests", get(help::list).post(help::create))
        .route("/api/v1/help-requests/{id}", get(help::show))
        .route("/api/v1/help-requests/{id}/claim", post(help::claim))
        .route(
            "/api/v1/help-requests/{id}/transition",
            post(help::transition),
        )
        .route("/api/v1/roster", get(roster::show))
        .route("/api/v1/on-duty", get(roster::now))
        .route("/api/v1/roster/patterns", post(roster::create_pattern))
        .route(
            "/api/v1/roster/patterns/{id}",
            delete(roster::delete_pattern),
        )
        .route("/api/v1/roster/shifts", post(roster::create_shift))
        .route("/api/v1/roster/shifts/{id}", delete(roster::delete_shift))
        .route("/api/v1/roster/swaps", post(roster::create_swap))
        .route("/api/v1/roster/swaps/{id}/decide", post(roster::decide))
        .route("/api/v1/today", get(care::show_today))
        .route("/api/v1/care/assignments", post(care::create_assignment))
        .route(
            "/api/v1/care/assignments/{id}",
            delete(care::end_assignment),
        )
        .route("/api/v1/care/coverage", get(care::show_coverage))
        .route("/api/v1/care/calls/{id}", get(care::show_call))
        .route(
            "/api/v1/care/calls/{id}/attempts",
            post(care::create_attempt),
        )
        .route("/api/v1/care/visits", post(care::create_visit))
        .route("/api/v1/care/leave", post(care::create_leave))
        .route(
            "/api/v1/supplies/items",
            get(supplies::list_items).post(supplies::add_item),
        )
        .route(
            "/api/v1/supplies/items/{id}/retired",
            put(supplies::set_retired),
        )
        .route(
            "/api/v1/supplies/stock/{community_id}",
            get(supplies::show_stock),
        )
        .route(
            "/api/v1/supplies/stock/{community_id}/limits/{item_id}",
            put(supplies::put_limits),
        )
        .route(
            "/api/v1/supplies/movements",
            get(supplies::list_movements).post(supplies::create_movement),
        )
        .route(
            "/api/v1/supplies/movements/{id}/reverse",
            post(supplies::create_reversal),
        )
        .route(
            "/api/v1/supplies/stocktakes",
            post(supplies::create_stocktake),
        )
        .route(
            "/api/v1/supplies/needs",
            get(supply_needs::list_needs).post(supply_needs::create_need),
        )
        .route(
            "/api/v1/supplies/needs/{id}/transition",
            post(supply_needs::move_need),
        )
        .route(
            "/api/v1/supplies/needs-list",
            get(supply_needs::show_needs_list),
        )
        .route(
            "/api/v1/supplies/purchases",
            get(supply_purchases::list_purchases).post(supply_purchases::create_purchase),
        )
        .route(
            "/api/v1/supplies/purchases/{id}",
            get(supply_purchases::show_purchase),
        )
        .route(
            "/api/v1/supplies/purchases/{id}/lines",
            put(supply_purchases::put_lines),
        )
        .route(
            "/api/v1/supplies/purchases/{id}/transition",
            post(supply_purchases::move_purchase),
        )
        .route(
            "/api/v1/notices",
            get(notices::list_notices).post(notices::publish_notice),
        )
        .route(
            "/api/v1/notices/{id}",
            get(notices::show_notice).put(notices::revise_notice),
        )
        .route("/api/v1/notices/{id}/receipt", post(notices::answer_notice))
        .route("/api/v1/notices/{id}/receipts", get(notices::show_receipts))
        .route(
            "/api/v1/notices/{id}/attachments/{file}",
            get(notices::download_file),
        )
        .route(
            "/api/v1/supplies/donations",
            get(supply_donations::list_donations).post(supply_donations::create_donation),
        )
        .route(
            "/api/v1/supplies/donations/{id}",
            get(supply_donations::show_donation),
        )
        .route(
            "/api/v1/supplies/deliveries",
            get(supply_deliveries::list_deliveries).post(supply_deliveries::create_delivery),
        )
        .route(
            "/api/v1/supplies/deliveries/{id}",
            get(supply_deliveries::show_delivery),
        )
        .route(
            "/api/v1/supplies/deliveries/{id}/transition",
            post(supply_deliveries::move_delivery),
        )
        .route("/api/v1/staff", get(staff::staff))
        .route("/api/v1/teams", get(staff::teams))
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/users", get(users::list).post(users::create))
        .route("/api/v1/users/{id}/access", put(users::set_access))
        .route("/api/v1/users/{id}/disabled", put(users::set_disabled))
        .route(
            "/api/v1/users/{id}/password-reset",
            post(users::reset_password),
        )
}

/// Routes that take uploads of up to 50 MB; every other route keeps the small body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/imports/residents", post(sheets::import_residents))
        .route(
            "/api/v1/notices/{id}/attachments",
            post(notices::attach_file),
        )
}
