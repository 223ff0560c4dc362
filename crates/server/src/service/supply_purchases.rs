//! Purchase runs (采购) of a community store: the views and operations shared by the API
//! (`web::api::supply_purchases`) and the pages. Money is integer fen throughout.

use serde::{Deserialize, Serialize};
use shouhu_domain::Right;
use shouhu_domain::supplies::PurchaseStatus;

use crate::db::supplies::{self, purchases};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::supplies::require_store;
use crate::service::validate;

/// More cash than any run carries (ten million yuan), so that sums of fen never overflow.
const MAX_FEN: i64 = 1_000_000_000;
const MAX_QUANTITY: i64 = 10_000_000;

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseBody {
    pub community_id: i64,
    /// Where (九鼎农资批发市场).
    pub place: String,
    /// Who goes, as they are called.
    pub buyers: String,
    /// When they set off (unix seconds; 2 a.m. is normal).
    pub planned_for: i64,
    /// Cash advanced, in fen.
    pub cash_advanced_fen: i64,
    #[serde(default)]
    pub note: String,
    pub idempotency_key: String,
}

/// Plans a run. Returns its id and whether this was a replay.
pub async fn create(state: &AppState, caller: &Caller, b: &PurchaseBody) -> ApiResult<(i64, bool)> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let place = f.take(validate::text("place", &b.place, 100, true))?;
    let buyers = f.take(validate::text("buyers", &b.buyers, 100, true))?;
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    if !(0..=MAX_FEN).contains(&b.cash_advanced_fen) {
        f.add(
            "cash_advanced_fen",
            "out_of_range",
            "fen from 0 to 1,000,000,000",
        );
    }
    if b.planned_for <= 0 {
        f.add("planned_for", "out_of_range", "unix seconds");
    }
    f.into_result()?;
    let (Some(place), Some(buyers), Some(note), Some(key)) = (place, buyers, note, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let p = purchases::NewPurchase {
        community_id: community,
        place,
        buyers,
        planned_for: b.planned_for,
        cash_advanced_fen: b.cash_advanced_fen,
        note,
        idempotency_key: key,
        request_hash: crate::service::supplies::request_hash(b)?,
    };
    Ok(purchases::create(&state.db, &caller.actor(), &p).await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub total_fen: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PurchaseView {
    pub id: i64,
    pub community_id: i64,
    /// planned, shopping, returned, reconciled or cancelled.
    pub status: String,
    pub place: String,
    pub buyers: String,
    pub planned_for: i64,
    pub started_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub reconciled_at: Option<i64>,
    pub cash_advanced_fen: i64,
    /// What the lines add up to.
    pub lines_fen: i64,
    pub spent_fen: Option<i64>,
    pub change_returned_fen: Option<i64>,
    pub receipts_note: String,
    pub note: String,
    pub created_by_name: String,
    pub version: i64,
    pub lines: Vec<LineView>,
}

fn view(p: purchases::Purchase, lines: Vec<purchases::Line>) -> PurchaseView {
    PurchaseView {
        id: p.id,
        community_id: p.community_id,
        status: p.status,
        place: p.place,
        buyers: p.buyers,
        planned_for: p.planned_for,
        started_at: p.started_at,
        returned_at: p.returned_at,
        reconciled_at: p.reconciled_at,
        cash_advanced_fen: p.cash_advanced_fen,
        lines_fen: p.lines_fen,
        spent_fen: p.spent_fen,
        change_returned_fen: p.change_returned_fen,
        receipts_note: p.receipts_note,
        note: p.note,
        created_by_name: p.created_by_name,
        version: p.version,
        lines: lines
            .into_iter()
            .map(|l| LineView {
                item_id: l.item_id,
                item_name: l.item_name,
                unit: l.unit,
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                total_fen: l.total_fen,
            })
            .collect(),
    }
}

/// A run of a store of the caller's jurisdiction, with its lines.
pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> ApiResult<PurchaseView> {
    caller
        .require(state, Right::ReadSupplies, "supplies.purchase")
        .await?;
    let community = purchases::community_of(&state.db, id).await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    let (p, lines) = purchases::get(&state.db, community, id).await?;
    Ok(view(p, lines))
}

/// The latest runs of a store of the caller's jurisdiction (without their lines).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    community: i64,
) -> ApiResult<Vec<PurchaseView>> {
    caller
        .require(state, Right::ReadSupplies, "supplies.purchase")
        .await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    Ok(purchases::list(&state.db, community, 50)
        .await?
        .into_iter()
        .map(|p| view(p, Vec::new()))
        .collect())
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    pub item_id: i64,
    pub quantity: i64,
    /// The price of one unit, in fen.
    pub unit_price_fen: i64,
    /// The line's total as on the receipt, in fen; quantity × unit price when left out.
    pub total_fen: Option<i64>,
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinesBody {
    pub community_id: i64,
    pub version: i64,
    pub lines: Vec<LineBody>,
}

/// Writes down what the run bought (all its lines at once), while planned or shopping.
pub async fn set_lines(state: &AppState, caller: &Caller, id: i64, b: &LinesBody) -> ApiResult<()> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let mut lines = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for l in &b.lines {
        let total = match l.total_fen {
            Some(t) => Some(t),
            None => l.quantity.checked_mul(l.unit_price_fen),
        };
        let ok = (1..=MAX_QUANTITY).contains(&l.quantity)
            && (0..=MAX_FEN).contains(&l.unit_price_fen)
            && total.is_some_and(|t| (0..=MAX_FEN).contains(&t));
        if !ok {
            f.add(
                "lines",
                "out_of_range",
                "each line: a quantity from 1, prices and totals in fen from 0 to 1,000,000,000",
            );
            break;
        }
        if !seen.insert(l.item_id) {
            f.add("lines", "duplicate_item", "one line per item");
            break;
        }
        lines.push(purchases::NewLine {
            item_id: l.item_id,
            quantity: l.quantity,
            unit_price_fen: l.unit_price_fen,
            total_fen: total.unwrap_or_default(),
        });
    }
    if b.lines.len() > 500 {
        f.add("lines", "out_of_range", "at most 500 lines");
    }
    f.into_result()?;
    Ok(purchases::set_lines(&state.db, &caller.actor(), community, id, b.version, &lines).await?)
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseMoveBody {
    pub community_id: i64,
    /// shopping, returned (the goods enter the store), reconciled or cancelled.
    pub to: String,
    pub version: i64,
    /// Reconciled: the change brought back, in fen; the cash advanced must equal what the lines
    /// add up to and this (422 `cash_does_not_balance`).
    pub change_returned_fen: Option<i64>,
    /// The receipts kept (小票 numbers, who holds them).
    #[serde(default)]
    pub receipts_note: String,
}

/// Moves a run.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &PurchaseMoveBody,
) -> ApiResult<()> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let to = PurchaseStatus::parse(b.to.trim());
    if to.is_none() {
        f.add(
            "to",
            "unknown_status",
            "shopping, returned, reconciled or cancelled",
        );
    }
    if b.change_returned_fen
        .is_some_and(|c| !(0..=MAX_FEN).contains(&c))
    {
        f.add(
            "change_returned_fen",
            "out_of_range",
            "fen from 0 to 1,000,000,000",
        );
    }
    let receipts = f.take(validate::text(
        "receipts_note",
        &b.receipts_note,
        200,
        false,
    ))?;
    f.into_result()?;
    let (Some(to), Some(receipts)) = (to, receipts) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let m = purchases::PurchaseMove {
        to,
        version: b.version,
        change_returned_fen: b.change_returned_fen,
        receipts_note: receipts,
    };
    Ok(purchases::transition(&state.db, &caller.actor(), community, id, &m).await?)
}
