//! Purchase runs on a phone: planned from the store's page, then a run's own page
//! (`/supplies/purchases/{id}`) to write down what was bought (money typed in yuan, kept in fen),
//! set off, come back (the goods enter the store) and reconcile the cash.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::supplies::{format_fen, parse_fen};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::service::supplies::{self, ItemView};
use crate::service::supply_purchases::{
    self, LineBody, LinesBody, PurchaseBody, PurchaseMoveBody, PurchaseView,
};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

/// Empty rows offered below a run's lines for more.
const BLANK_ROWS: usize = 2;

#[derive(askama::Template)]
#[template(path = "supply_purchase.html")]
struct RunPage {
    c: Chrome,
    p: PurchaseView,
    planned_for: String,
    /// (item, quantity, unit price in yuan, total in yuan) of each row of the lines form.
    rows: Vec<(i64, String, String, String)>,
    items: Vec<ItemView>,
    lines_open: bool,
    may_work: bool,
    yuan: fn(&i64) -> String,
    saved: bool,
    error: Option<String>,
}

fn yuan(fen: &i64) -> String {
    format_fen(*fen)
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Response {
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(pc.t(), AppError::NotFound).into_response();
    };
    render(&state, pc, id, !q.saved.is_empty(), None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    id: i64,
    saved: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let loaded = async {
        let p = supply_purchases::detail(state, &pc.caller, id).await?;
        let stock = supplies::stock(state, &pc.caller, p.community_id).await?;
        let items = supplies::items(state, &pc.caller).await?;
        Ok::<_, AppError>((p, stock.may_work, items))
    }
    .await;
    let (p, may_work, items) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let mut rows: Vec<(i64, String, String, String)> = p
        .lines
        .iter()
        .map(|l| {
            (
                l.item_id,
                l.quantity.to_string(),
                yuan(&l.unit_price_fen),
                // A total only where the receipt's differs from quantity × price: otherwise a
                // changed quantity would keep the old total.
                match l.quantity.checked_mul(l.unit_price_fen) == Some(l.total_fen) {
                    true => String::new(),
                    false => yuan(&l.total_fen),
                },
            )
        })
        .collect();
    rows.extend((0..BLANK_ROWS).map(|_| (0, String::new(), String::new(), String::new())));
    let lines_open = matches!(p.status.as_str(), "planned" | "shopping");
    html(
        status,
        askama::Template::render(&RunPage {
            c: pc.chrome,
            planned_for: super::account::local_time(state, p.planned_for),
            p,
            rows,
            items: items.into_iter().filter(|i| !i.retired).collect(),
            lines_open,
            may_work,
            yuan,
            saved: saved && error.is_none(),
            error,
        }),
    )
}

fn money(field: &'static str, raw: &str) -> Result<i64, AppError> {
    parse_fen(raw).ok_or_else(|| AppError::invalid(field, "out_of_range", "an amount in yuan"))
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    community: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    buyers: String,
    #[serde(default)]
    when: String,
    #[serde(default)]
    cash: String,
    #[serde(default)]
    key: String,
}

/// Plans a run from the store's page; refused, the store's page says why.
pub async fn plan(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<PlanForm>,
) -> Response {
    let t = pc.t();
    let Ok(community) = validate::path_id(&f.community) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done = async {
        let b = PurchaseBody {
            community_id: community,
            place: f.place.clone(),
            buyers: f.buyers.clone(),
            planned_for: super::roster::instant(&state, "planned_for", &f.when)?,
            cash_advanced_fen: money("cash_advanced_fen", &f.cash)?,
            note: String::new(),
            idempotency_key: format!("page-{}", f.key.chars().take(40).collect::<String>()),
        };
        supply_purchases::create(&state, &pc.caller, &b).await
    }
    .await;
    match done {
        Ok((id, _)) => Redirect::to(&format!("/supplies/purchases/{id}")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let w = super::refusal_words(t, &e);
            super::supplies::render_refused(&state, pc, community, w).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// The lines form: `version`, then rows `item_N`, `quantity_N`, `price_N`, `total_N` (a form field
/// appears once, so the rows are numbered).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LinesForm {
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

impl LinesForm {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }
}

/// Writes down what the run bought: every filled row (an item chosen).
pub async fn set_lines(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<LinesForm>,
) -> Response {
    let t = pc.t();
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done = async {
        let p = supply_purchases::detail(&state, &pc.caller, id).await?;
        let mut lines = Vec::new();
        for i in 0..200 {
            let Ok(item_id) = f.get(&format!("item_{i}")).parse::<i64>() else {
                continue;
            };
            let quantity = f
                .get(&format!("quantity_{i}"))
                .parse()
                .map_err(|_| AppError::invalid("lines", "out_of_range", "a whole number"))?;
            let total = match f.get(&format!("total_{i}")) {
                "" => None,
                raw => Some(money("lines", raw)?),
            };
            lines.push(LineBody {
                item_id,
                quantity,
                unit_price_fen: money("lines", f.get(&format!("price_{i}")))?,
                total_fen: total,
            });
        }
        let b = LinesBody {
            community_id: p.community_id,
            version: f.get("version").parse().unwrap_or(-1),
            lines,
        };
        supply_purchases::set_lines(&state, &pc.caller, id, &b).await
    }
    .await;
    after(&state, pc, id, done).await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    change: String,
    #[serde(default)]
    receipts: String,
}

/// Sets off, comes back, reconciles or cancels the run.
pub async fn move_run(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<MoveForm>,
) -> Response {
    let t = pc.t();
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done = async {
        let p = supply_purchases::detail(&state, &pc.caller, id).await?;
        let change = match f.change.trim() {
            "" => None,
            raw => Some(money("change_returned_fen", raw)?),
        };
        let b = PurchaseMoveBody {
            community_id: p.community_id,
            to: f.to.clone(),
            version: f.version.trim().parse().unwrap_or(-1),
            change_returned_fen: change,
            receipts_note: f.receipts.clone(),
        };
        supply_purchases::transition(&state, &pc.caller, id, &b).await
    }
    .await;
    after(&state, pc, id, done).await
}

async fn after(state: &AppState, pc: PageCaller, id: i64, done: Result<(), AppError>) -> Response {
    let t = pc.t();
    match done {
        Ok(()) => Redirect::to(&format!("/supplies/purchases/{id}?saved=1")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let w = super::refusal_words(t, &e);
            render(
                state,
                pc,
                id,
                false,
                Some(w),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Conflict) => {
            let w = t.t("supplies.changed").to_string();
            render(state, pc, id, false, Some(w), StatusCode::CONFLICT).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}
