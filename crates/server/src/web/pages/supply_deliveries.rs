//! Door deliveries on a phone (`/supplies/deliveries`): the households still waiting for their
//! needs to be brought (isolated ones first), each with a short form to schedule its delivery, and
//! a day's deliveries with the one next step each allows — set off, delivered (to whom, or
//! confirmed by phone at an isolated household's door; money collected), not delivered (why),
//! rescheduled, cancelled.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::supplies::{format_fen, parse_fen};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::service::supplies;
use crate::service::supply_deliveries::{
    self, DeliveryBody, DeliveryLineBody, DeliveryMoveBody, DeliveryView, ListQuery,
    WaitingHousehold,
};
use crate::service::supply_donations::{self, DonationView};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "supply_deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    community_id: i64,
    community_name: String,
    day: String,
    waiting: Vec<WaitingHousehold>,
    /// Each delivery of the day with its time (local).
    deliveries: Vec<(DeliveryView, String)>,
    donations: Vec<DonationView>,
    may_work: bool,
    key: String,
    yuan: fn(&i64) -> String,
    saved: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DeliveriesQuery {
    community: Option<String>,
    #[serde(default)]
    day: String,
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<DeliveriesQuery>,
) -> Response {
    let community = q.community.and_then(|c| c.trim().parse().ok());
    let saved = !q.saved.is_empty();
    render(&state, pc, community, q.day, saved, None).await
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    community: Option<i64>,
    day: String,
    saved: bool,
    error: Option<String>,
) -> Response {
    let t = pc.t();
    let day = match day.trim() {
        "" => crate::db::report_stats::local_today(),
        d => d.to_string(),
    };
    let loaded = async {
        let communities = supplies::communities(state, &pc.caller).await?;
        let id = community
            .or_else(|| communities.first().map(|c| c.0))
            .ok_or(AppError::NotFound)?;
        let stock = supplies::stock(state, &pc.caller, id).await?;
        let waiting = supply_deliveries::waiting(state, &pc.caller, id).await?;
        let q = ListQuery {
            community_id: id,
            day: Some(day.clone()),
            ..ListQuery::default()
        };
        let deliveries = supply_deliveries::list(state, &pc.caller, &q).await?;
        let donations = supply_donations::list(state, &pc.caller, id).await?;
        Ok::<_, AppError>((stock, waiting, deliveries, donations))
    }
    .await;
    let (stock, waiting, deliveries, donations) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    html(
        status,
        askama::Template::render(&DeliveriesPage {
            c: pc.chrome,
            community_id: stock.community_id,
            community_name: stock.community_name,
            day,
            waiting,
            deliveries: deliveries
                .into_iter()
                .map(|d| {
                    let when = super::account::local_time(state, d.scheduled_for);
                    (d, when)
                })
                .collect(),
            donations,
            may_work: stock.may_work,
            key: super::form_key(),
            yuan: |fen| format_fen(*fen),
            saved: saved && error.is_none(),
            error,
        }),
    )
}

/// A delivery form's fields by name (the needs chosen are numbered by their ids).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Fields {
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }
}

/// After a form: back to the day's deliveries, saved; or the page again with the refusal in words
/// (422) and nothing written.
async fn after(
    state: &AppState,
    pc: PageCaller,
    community: i64,
    day: &str,
    done: Result<(), AppError>,
) -> Response {
    let t = pc.t();
    match done {
        Ok(()) => {
            // Only a day's digits and dashes go back into the address.
            let day: String = day
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '-')
                .take(10)
                .collect();
            Redirect::to(&format!(
                "/supplies/deliveries?community={community}&day={day}&saved=1"
            ))
            .into_response()
        }
        // A delivery moved meanwhile by someone else: the page again, as it is now.
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict)) => {
            let words = super::refusal_words(t, &e);
            render(
                state,
                pc,
                Some(community),
                day.to_string(),
                false,
                Some(words),
            )
            .await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

fn money(field: &'static str, raw: &str) -> Result<i64, AppError> {
    parse_fen(raw).ok_or_else(|| AppError::invalid(field, "out_of_range", "an amount in yuan"))
}

/// Schedules a household's delivery of the needs ticked (`need_ID`), optionally from a donation.
pub async fn schedule(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<Fields>,
) -> Response {
    let Ok(community) = validate::path_id(f.get("community")) else {
        return PageError::new(pc.t(), AppError::NotFound).into_response();
    };
    let done = async {
        let household = validate::path_id(f.get("household")).map_err(|_| AppError::NotFound)?;
        let waiting = supply_deliveries::waiting(&state, &pc.caller, community).await?;
        let donation = match f.get("donation") {
            "" => None,
            raw => {
                let id = validate::path_id(raw).map_err(|_| {
                    AppError::invalid("lines", "unknown_donation", "a donation of this store")
                })?;
                Some(supply_donations::detail(&state, &pc.caller, id).await?)
            }
        };
        let mut lines = Vec::new();
        for h in waiting.iter().filter(|h| h.household_id == household) {
            for n in &h.needs {
                if f.get(&format!("need_{}", n.need_id)).is_empty() {
                    continue;
                }
                let from = donation
                    .as_ref()
                    .filter(|d| d.lines.iter().any(|l| l.item_id == n.item_id))
                    .map(|d| d.id);
                lines.push(DeliveryLineBody {
                    item_id: n.item_id,
                    quantity: n.quantity,
                    need_id: Some(n.need_id),
                    donation_id: from,
                });
            }
        }
        let due_fen = match f.get("due") {
            "" => 0,
            raw => money("due_fen", raw)?,
        };
        let b = DeliveryBody {
            community_id: community,
            household_id: household,
            scheduled_for: super::roster::instant(&state, "scheduled_for", f.get("when"))?,
            courier: f.get("courier").to_string(),
            contactless: !f.get("contactless").is_empty(),
            due_fen,
            note: f.get("note").to_string(),
            lines,
            idempotency_key: format!("page-{}", f.get("key").chars().take(40).collect::<String>()),
        };
        supply_deliveries::create(&state, &pc.caller, &b).await
    }
    .await;
    after(&state, pc, community, f.get("day"), done.map(|_| ())).await
}

/// The next step of a delivery (`to`), with what that step asks for.
pub async fn move_delivery(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<Fields>,
) -> Response {
    let t = pc.t();
    let (Ok(id), Ok(community)) = (
        validate::path_id(&id),
        validate::path_id(f.get("community")),
    ) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done = async {
        let version = f
            .get("version")
            .parse()
            .map_err(|_| AppError::invalid("version", "out_of_range", "a whole number"))?;
        let scheduled_for = match f.get("when") {
            "" => None,
            raw => Some(super::roster::instant(&state, "scheduled_for", raw)?),
        };
        let collected_fen = match f.get("collected") {
            "" => None,
            raw => Some(money("collected_fen", raw)?),
        };
        let failure = Some(f.get("failure").to_string()).filter(|s| !s.is_empty());
        let b = DeliveryMoveBody {
            community_id: community,
            to: f.get("to").to_string(),
            version,
            scheduled_for,
            courier: f.get("courier").to_string(),
            received_by: f.get("received_by").to_string(),
            phone_confirmed: !f.get("phone_confirmed").is_empty(),
            collected_fen,
            failure,
            note: f.get("note").to_string(),
        };
        supply_deliveries::transition(&state, &pc.caller, id, &b).await
    }
    .await;
    after(&state, pc, community, f.get("day"), done).await
}
