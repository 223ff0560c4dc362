//! Needs on a phone (`/supplies/needs`): the day's needs list of the caller's grids — totals per
//! item with the households behind them and a spreadsheet to take shopping — and, opened from a
//! household's card (`?household=`), that household's needs with a short form to record one.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::Right;

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::service::paging::Paging;
use crate::service::supplies::{self, ItemView};
use crate::service::supply_needs::{self, NeedBody, NeedView, NeedsList};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "supply_needs.html")]
struct NeedsPage {
    c: Chrome,
    list: NeedsList,
    lines: Vec<NeedView>,
    total: i64,
    day: String,
    unit: String,
    household: Option<i64>,
    items: Vec<ItemView>,
    can_record: bool,
    key: String,
    form: NeedForm,
    /// The last refusal asked for confirmation: the form offers it.
    confirm: bool,
    saved: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NeedsQuery {
    #[serde(default)]
    day: String,
    #[serde(default)]
    unit: String,
    household: Option<String>,
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<NeedsQuery>,
) -> Response {
    let household = q.household.and_then(|h| h.trim().parse().ok());
    let view = View {
        day: q.day,
        unit: q.unit,
        household,
        saved: !q.saved.is_empty(),
        ..View::default()
    };
    render(&state, pc, view, StatusCode::OK).await
}

#[derive(Default)]
struct View {
    day: String,
    unit: String,
    household: Option<i64>,
    form: NeedForm,
    confirm: bool,
    saved: bool,
    error: Option<String>,
}

async fn render(state: &AppState, pc: PageCaller, v: View, status: StatusCode) -> Response {
    let t = pc.t();
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
    let (day, unit) = (opt(&v.day), opt(&v.unit));
    let loaded = async {
        let list =
            supply_needs::needs_list(state, &pc.caller, unit.as_deref(), day.as_deref()).await?;
        let paging = Paging::new(Some(1), Some(200))?;
        let open = v.household.is_none();
        let page = supply_needs::list(
            state,
            &pc.caller,
            unit.as_deref(),
            day.as_deref(),
            v.household,
            open,
            &paging,
        )
        .await?;
        let items = supplies::items(state, &pc.caller).await?;
        Ok::<_, AppError>((list, page, items))
    }
    .await;
    let (list, page, items) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let can_record = v.household.is_some() && pc.caller.session.user.role.has(Right::RecordNeeds);
    html(
        status,
        askama::Template::render(&NeedsPage {
            c: pc.chrome,
            day: list.day.clone(),
            list,
            lines: page.items,
            total: page.total,
            unit: v.unit,
            household: v.household,
            items: items.into_iter().filter(|i| !i.retired).collect(),
            can_record,
            key: super::form_key(),
            form: v.form,
            confirm: v.confirm,
            saved: v.saved,
            error: v.error,
        }),
    )
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct NeedForm {
    #[serde(default)]
    household: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    free: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    key: String,
}

/// Records a need for the household; a quantity far above the usual or over the cap comes back
/// with the form kept and a box to confirm it.
pub async fn record(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<NeedForm>,
) -> Response {
    let t = pc.t();
    let Ok(household) = validate::path_id(&f.household) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done =
        async {
            let b =
                NeedBody {
                    household_id: household,
                    item_id: f.item.trim().parse().map_err(|_| {
                        AppError::invalid("item_id", "unknown_item", "choose an item")
                    })?,
                    quantity: f.quantity.trim().parse().map_err(|_| {
                        AppError::invalid("quantity", "out_of_range", "a whole number")
                    })?,
                    paid: f.free.is_empty(),
                    note: f.note.clone(),
                    confirm: !f.confirm.is_empty(),
                    idempotency_key: format!("page-{}", f.key.chars().take(40).collect::<String>()),
                };
            supply_needs::create(&state, &pc.caller, &b).await
        }
        .await;
    match done {
        Ok(_) => {
            Redirect::to(&format!("/supplies/needs?household={household}&saved=1")).into_response()
        }
        Err(e @ AppError::Invalid { .. }) => {
            let confirm = e.faults().iter().any(|x| x.code == "needs_confirmation");
            let words = super::refusal_words(t, &e);
            let view = View {
                household: Some(household),
                form: f,
                confirm,
                error: Some(words),
                ..View::default()
            };
            render(&state, pc, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}
