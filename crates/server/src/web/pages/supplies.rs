//! A community store on a phone (`/supplies`): what is on the shelves with the low ones first,
//! goods moved in or out in one short form per item, a stocktake, the ledger's latest movements
//! (each undone by its opposite, with a reason), and the catalogue for leaders.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::supplies::{ItemCategory, MovementKind};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::service::paging::Paging;
use crate::service::supplies::{
    self, ItemBody, MovementBody, MovementView, ReverseBody, Stock, StocktakeBody,
};
use crate::service::supply_purchases::{self, PurchaseView};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "supplies.html")]
struct SuppliesPage {
    c: Chrome,
    communities: Vec<(i64, String)>,
    stock: Option<Stock>,
    /// The latest movements, each with when the goods moved (local time).
    recent: Vec<(MovementView, String)>,
    /// The store's latest purchase runs, each with when it was planned for (local time).
    runs: Vec<(PurchaseView, String)>,
    yuan: fn(&i64) -> String,
    kinds: Vec<&'static str>,
    categories: Vec<&'static str>,
    key: String,
    saved: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    community: Option<String>,
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<PageQuery>,
) -> Response {
    let community = q.community.and_then(|c| c.trim().parse().ok());
    render(&state, pc, community, q.saved, None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    community: Option<i64>,
    saved: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let loaded = async {
        let communities = supplies::communities(state, &pc.caller).await?;
        let Some(id) = community.or_else(|| communities.first().map(|c| c.0)) else {
            return Ok((communities, None, Vec::new(), Vec::new()));
        };
        let stock = supplies::stock(state, &pc.caller, id).await?;
        let paging = Paging::new(Some(1), Some(20))?;
        let recent = supplies::movements(state, &pc.caller, id, None, &paging).await?;
        let runs = supply_purchases::list(state, &pc.caller, id)
            .await?
            .into_iter()
            .take(10)
            .map(|r| {
                let when = super::account::local_time(state, r.planned_for);
                (r, when)
            })
            .collect();
        let recent = recent
            .items
            .into_iter()
            .map(|m| {
                let when = super::account::local_time(state, m.at);
                (m, when)
            })
            .collect();
        Ok::<_, AppError>((communities, Some(stock), recent, runs))
    }
    .await;
    let (communities, stock, recent, runs) = match loaded {
        Ok(v) => v,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    html(
        status,
        askama::Template::render(&SuppliesPage {
            c: pc.chrome,
            communities,
            stock,
            recent,
            runs,
            yuan: |fen| shouhu_domain::supplies::format_fen(*fen),
            kinds: MovementKind::ALL
                .into_iter()
                .filter(|k| k.by_hand())
                .map(MovementKind::as_str)
                .collect(),
            categories: ItemCategory::ALL.map(ItemCategory::as_str).to_vec(),
            key: super::form_key(),
            saved,
            error,
        }),
    )
}

/// The store's page again with a refusal in words (422), nothing written.
pub(super) async fn render_refused(
    state: &AppState,
    pc: PageCaller,
    community: i64,
    words: String,
) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(
        state,
        pc,
        Some(community),
        String::new(),
        Some(words),
        status,
    )
    .await
}

/// After a form: back to the store with what was saved, or the page again with the refusal in
/// words (422) and nothing written.
async fn after(
    state: &AppState,
    pc: PageCaller,
    community: i64,
    done: Result<(), AppError>,
    saved: &str,
) -> Response {
    let t = pc.t();
    match done {
        Ok(()) => {
            Redirect::to(&format!("/supplies?community={community}&saved={saved}")).into_response()
        }
        Err(e @ AppError::Invalid { .. }) => {
            let words = super::refusal_words(t, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(
                state,
                pc,
                Some(community),
                String::new(),
                Some(words),
                status,
            )
            .await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

fn number(field: &'static str, raw: &str) -> Result<i64, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, "out_of_range", "a whole number"))
}

fn page_key(key: &str) -> String {
    format!("page-{}", key.chars().take(40).collect::<String>())
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    community: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    key: String,
}

/// Goods in or out of the store, now.
pub async fn move_goods(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<MoveForm>,
) -> Response {
    let Ok(community) = validate::path_id(&f.community) else {
        return PageError::new(pc.t(), AppError::NotFound).into_response();
    };
    let done = async {
        let b = MovementBody {
            community_id: community,
            item_id: validate::path_id(&f.item).map_err(|_| AppError::NotFound)?,
            kind: f.kind.clone(),
            quantity: number("quantity", &f.quantity)?,
            at: None,
            reason: f.reason.clone(),
            idempotency_key: page_key(&f.key),
        };
        supplies::post_movement(&state, &pc.caller, &b)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, pc, community, done, "moved").await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CountForm {
    #[serde(default)]
    community: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    counted: String,
    #[serde(default)]
    key: String,
}

/// A stocktake of one item.
pub async fn count(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<CountForm>,
) -> Response {
    let Ok(community) = validate::path_id(&f.community) else {
        return PageError::new(pc.t(), AppError::NotFound).into_response();
    };
    let done = async {
        let b = StocktakeBody {
            community_id: community,
            item_id: validate::path_id(&f.item).map_err(|_| AppError::NotFound)?,
            counted: number("counted", &f.counted)?,
            reason: String::new(),
            idempotency_key: page_key(&f.key),
        };
        supplies::stocktake(&state, &pc.caller, &b)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, pc, community, done, "counted").await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UndoForm {
    #[serde(default)]
    community: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    key: String,
}

/// Undoes a movement by its opposite.
pub async fn undo(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<UndoForm>,
) -> Response {
    let Ok(community) = validate::path_id(&f.community) else {
        return PageError::new(pc.t(), AppError::NotFound).into_response();
    };
    let done = async {
        let id = validate::path_id(&id).map_err(|_| AppError::NotFound)?;
        let b = ReverseBody {
            community_id: community,
            reason: f.reason.clone(),
            idempotency_key: page_key(&f.key),
        };
        supplies::reverse(&state, &pc.caller, id, &b)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, pc, community, done, "reversed").await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ItemForm {
    #[serde(default)]
    community: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    usual: String,
}

/// A new item of the catalogue.
pub async fn add_item(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<ItemForm>,
) -> Response {
    let Ok(community) = validate::path_id(&f.community) else {
        return PageError::new(pc.t(), AppError::NotFound).into_response();
    };
    let done = async {
        let usual = match f.usual.trim() {
            "" => None,
            raw => Some(number("usual_quantity", raw)?),
        };
        let b = ItemBody {
            name: f.name.clone(),
            category: f.category.clone(),
            unit: f.unit.clone(),
            usual_quantity: usual,
        };
        supplies::create_item(&state, &pc.caller, &b)
            .await
            .map(|_| ())
    }
    .await;
    after(&state, pc, community, done, "item").await
}
