//! Donations on a phone (`/supplies/donations`): the store's donations with what of each has
//! reached households, a short form to record one (numbered item rows), and the printable
//! thank-you receipt (`/supplies/donations/{id}/receipt`) the donor is given.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::service::supplies::{self, ItemView};
use crate::service::supply_donations::{self, DonationBody, DonationLineBody, DonationView};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

/// Item rows offered by the form.
const ROWS: usize = 4;

#[derive(askama::Template)]
#[template(path = "supply_donations.html")]
struct DonationsPage {
    c: Chrome,
    community_id: i64,
    community_name: String,
    /// Each donation with when it arrived (local time).
    donations: Vec<(DonationView, String)>,
    items: Vec<ItemView>,
    rows: Vec<usize>,
    may_work: bool,
    key: String,
    form: DonationForm,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "supply_receipt.html")]
struct ReceiptPage {
    c: Chrome,
    d: DonationView,
    received: String,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct DonationsQuery {
    community: Option<String>,
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<DonationsQuery>,
) -> Response {
    let community = q.community.and_then(|c| c.trim().parse().ok());
    render(&state, pc, community, DonationForm::default(), None).await
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    community: Option<i64>,
    form: DonationForm,
    error: Option<String>,
) -> Response {
    let t = pc.t();
    let loaded = async {
        let communities = supplies::communities(state, &pc.caller).await?;
        let id = community
            .or_else(|| communities.first().map(|c| c.0))
            .ok_or(AppError::NotFound)?;
        let stock = supplies::stock(state, &pc.caller, id).await?;
        let donations = supply_donations::list(state, &pc.caller, id).await?;
        let items = supplies::items(state, &pc.caller).await?;
        Ok::<_, AppError>((stock, donations, items))
    }
    .await;
    let (stock, donations, items) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    html(
        status,
        askama::Template::render(&DonationsPage {
            c: pc.chrome,
            community_id: stock.community_id,
            community_name: stock.community_name,
            donations: donations
                .into_iter()
                .map(|d| {
                    let when = super::account::local_time(state, d.received_at);
                    (d, when)
                })
                .collect(),
            items: items.into_iter().filter(|i| !i.retired).collect(),
            rows: (0..ROWS).collect(),
            may_work: stock.may_work,
            key: super::form_key(),
            form,
            error,
        }),
    )
}

/// The donation form: the donor, and rows `item_N`, `quantity_N` (a form field appears once, so
/// the rows are numbered).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DonationForm {
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

impl DonationForm {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }

    /// A numbered row's field, for the form shown again.
    pub fn row(&self, name: &str, i: &usize) -> &str {
        self.get(&format!("{name}_{i}"))
    }
}

/// Records a donation; done, its receipt is shown to print or hand over.
pub async fn create(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<DonationForm>,
) -> Response {
    let t = pc.t();
    let Ok(community) = validate::path_id(f.get("community")) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done = async {
        let mut lines = Vec::new();
        for i in 0..ROWS {
            let Ok(item_id) = f.get(&format!("item_{i}")).parse::<i64>() else {
                continue;
            };
            let quantity = f.get(&format!("quantity_{i}")).parse().map_err(|_| {
                AppError::invalid("lines", "out_of_range", "each quantity a whole number")
            })?;
            lines.push(DonationLineBody { item_id, quantity });
        }
        let received_at = match f.get("received") {
            "" => None,
            raw => Some(super::roster::instant(&state, "received_at", raw)?),
        };
        let b = DonationBody {
            community_id: community,
            donor: f.get("donor").to_string(),
            contact_name: f.get("contact_name").to_string(),
            contact_phone: f.get("contact_phone").to_string(),
            received_at,
            note: f.get("note").to_string(),
            lines,
            idempotency_key: format!("page-{}", f.get("key").chars().take(40).collect::<String>()),
        };
        supply_donations::create(&state, &pc.caller, &b).await
    }
    .await;
    match done {
        Ok((id, _)) => {
            Redirect::to(&format!("/supplies/donations/{id}/receipt?saved=1")).into_response()
        }
        Err(e @ AppError::Invalid { .. }) => {
            let words = super::refusal_words(t, &e);
            render(&state, pc, Some(community), f, Some(words)).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// The thank-you receipt (感谢信 / 捐赠回执), laid out to print on one page.
pub async fn receipt(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<DonationsQuery>,
) -> Response {
    let t = pc.t();
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    match supply_donations::detail(&state, &pc.caller, id).await {
        Ok(d) => html(
            StatusCode::OK,
            askama::Template::render(&ReceiptPage {
                c: pc.chrome,
                received: super::account::local_time(&state, d.received_at),
                d,
                saved: !q.saved.is_empty(),
            }),
        ),
        Err(e) => PageError::new(t, e).into_response(),
    }
}
