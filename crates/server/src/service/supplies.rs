//! Supplies (物资): the catalogue, a community store's stock and its ledger — the views and
//! operations shared by the API (`web::api::supplies`) and the pages.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shouhu_domain::Right;
use shouhu_domain::supplies::{ItemCategory, MovementKind};

use crate::db::supplies::{self, ledger};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::paging::Paging;
use crate::service::validate;

/// The largest quantity of one line: more than any store holds, small enough that sums never overflow.
const MAX_QUANTITY: i64 = 10_000_000;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub id: i64,
    pub name: String,
    /// daily, vegetables, medicine or protective.
    pub category: String,
    pub unit: String,
    pub usual_quantity: Option<i64>,
    pub retired: bool,
    pub version: i64,
}

fn item_view(i: supplies::Item) -> ItemView {
    ItemView {
        id: i.id,
        name: i.name,
        category: i.category,
        unit: i.unit,
        usual_quantity: i.usual_quantity,
        retired: i.retired_at.is_some(),
        version: i.version,
    }
}

/// The catalogue.
pub async fn items(state: &AppState, caller: &Caller) -> ApiResult<Vec<ItemView>> {
    caller
        .require(state, Right::ReadSupplies, "supplies.items")
        .await?;
    Ok(supplies::items(&state.db)
        .await?
        .into_iter()
        .map(item_view)
        .collect())
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// The item's name, one in the whole catalogue (口罩, 大米 10kg).
    pub name: String,
    /// daily, vegetables, medicine or protective.
    pub category: String,
    /// What it is counted in (个, 包, 斤, 瓶): whole numbers of it.
    pub unit: String,
    /// What one household usually asks for; ten times it asks for confirmation.
    pub usual_quantity: Option<i64>,
}

/// Adds an item to the catalogue.
pub async fn create_item(state: &AppState, caller: &Caller, b: &ItemBody) -> ApiResult<i64> {
    caller
        .require(state, Right::ManageSupplies, "supplies.item.create")
        .await?;
    let mut f = Faults::default();
    let name = f.take(validate::text("name", &b.name, 60, true))?;
    let unit = f.take(validate::text("unit", &b.unit, 10, true))?;
    let category = ItemCategory::parse(b.category.trim());
    if category.is_none() {
        f.add(
            "category",
            "unknown_category",
            "daily, vegetables, medicine or protective",
        );
    }
    if b.usual_quantity
        .is_some_and(|q| !(1..=MAX_QUANTITY).contains(&q))
    {
        f.add(
            "usual_quantity",
            "out_of_range",
            "a whole number from 1 to 10,000,000",
        );
    }
    f.into_result()?;
    let (Some(name), Some(unit), Some(category)) = (name, unit, category) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let new = supplies::NewItem {
        name,
        category,
        unit,
        usual_quantity: b.usual_quantity,
    };
    Ok(supplies::create_item(&state.db, &caller.actor(), &new).await?)
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireBody {
    pub retired: bool,
    /// The version read: a change made meanwhile answers 409.
    pub version: i64,
}

/// Takes an item out of use, or back into it.
pub async fn retire_item(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &RetireBody,
) -> ApiResult<()> {
    caller
        .require(state, Right::ManageSupplies, "supplies.item.retire")
        .await?;
    Ok(supplies::retire_item(&state.db, &caller.actor(), id, b.version, b.retired).await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StockLineView {
    pub item_id: i64,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub balance: i64,
    pub household_cap: Option<i64>,
    pub min_stock: Option<i64>,
    /// Under the minimum stock the community set.
    pub low: bool,
    pub last_at: Option<i64>,
    /// The item's last stocktake: nothing may be entered for a time before it.
    pub frozen_at: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Stock {
    pub community_id: i64,
    pub community_name: String,
    pub lines: Vec<StockLineView>,
    /// How many items are under their minimum.
    pub low: usize,
    /// Whether the caller may move goods in and out of this store.
    pub may_work: bool,
    pub may_manage: bool,
}

/// A community store's stock (the caller's community, or one of their jurisdiction).
pub async fn stock(state: &AppState, caller: &Caller, community: i64) -> ApiResult<Stock> {
    caller
        .require(state, Right::ReadSupplies, "supplies.stock")
        .await?;
    let scope = caller.scope();
    let (community_id, community_name) = supplies::community(&state.db, &scope, community).await?;
    let role = caller.session.user.role;
    let may_work = role.has(Right::WorkStore)
        && supplies::works_store(&state.db, &scope, community_id).await?;
    let lines: Vec<StockLineView> = supplies::stock(&state.db, community_id)
        .await?
        .into_iter()
        .map(|l| StockLineView {
            low: l.low(),
            item_id: l.item_id,
            name: l.name,
            category: l.category,
            unit: l.unit,
            balance: l.balance,
            household_cap: l.household_cap,
            min_stock: l.min_stock,
            last_at: l.last_at.filter(|&t| t > 0),
            frozen_at: l.frozen_at,
        })
        .collect();
    Ok(Stock {
        community_id,
        community_name,
        low: lines.iter().filter(|l| l.low).count(),
        lines,
        may_work,
        may_manage: role.has(Right::ManageSupplies),
    })
}

/// The caller's communities (their own, or those above their grids), for the store pages.
pub async fn communities(state: &AppState, caller: &Caller) -> ApiResult<Vec<(i64, String)>> {
    caller
        .require(state, Right::ReadSupplies, "supplies.stock")
        .await?;
    Ok(crate::db::roster::communities(&state.db, &caller.scope())
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsBody {
    /// The most one household may be given; none for no cap.
    pub household_cap: Option<i64>,
    /// Under this the store is flagged; none for no flag.
    pub min_stock: Option<i64>,
}

/// Sets a community's cap per household and minimum stock of an item.
pub async fn set_limits(
    state: &AppState,
    caller: &Caller,
    community: i64,
    item: i64,
    b: &LimitsBody,
) -> ApiResult<()> {
    caller
        .require(state, Right::ManageSupplies, "supplies.limits")
        .await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    let mut f = Faults::default();
    if b.household_cap
        .is_some_and(|q| !(1..=MAX_QUANTITY).contains(&q))
    {
        f.add(
            "household_cap",
            "out_of_range",
            "a whole number from 1 to 10,000,000",
        );
    }
    if b.min_stock
        .is_some_and(|q| !(0..=MAX_QUANTITY).contains(&q))
    {
        f.add(
            "min_stock",
            "out_of_range",
            "a whole number from 0 to 10,000,000",
        );
    }
    f.into_result()?;
    Ok(supplies::set_limits(
        &state.db,
        &caller.actor(),
        community,
        item,
        b.household_cap,
        b.min_stock,
    )
    .await?)
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovementBody {
    pub community_id: i64,
    pub item_id: i64,
    /// purchase_in, donation_in, staff_out, loss or adjustment (the rest come from purchases,
    /// deliveries, stocktakes and reversals).
    pub kind: String,
    /// How many: positive; for an adjustment, signed (negative takes out).
    pub quantity: i64,
    /// When the goods moved (unix seconds); now when left out. Not before the item's last
    /// stocktake, nor in the future.
    pub at: Option<i64>,
    /// Why: required for a loss or an adjustment.
    #[serde(default)]
    pub reason: String,
    pub idempotency_key: String,
}

/// The fingerprint of a creation's body, kept with its idempotency key: the same key sent again
/// with another body is refused.
pub(crate) fn request_hash<T: Serialize>(b: &T) -> ApiResult<String> {
    let canonical = serde_json::to_string(b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
}

/// Refuses (404 outside the jurisdiction, 403 otherwise) one who does not work this store.
pub(crate) async fn require_store(
    state: &AppState,
    caller: &Caller,
    community: i64,
) -> ApiResult<i64> {
    caller
        .require(state, Right::WorkStore, "supplies.store")
        .await?;
    let scope = caller.scope();
    let (community, _) = supplies::community(&state.db, &scope, community).await?;
    if !supplies::works_store(&state.db, &scope, community).await? {
        caller
            .audit_refusal(state, "supplies.store", "", "not_of_this_store")
            .await;
        return Err(AppError::Forbidden);
    }
    Ok(community)
}

/// Enters goods moving in or out of a store by hand. Returns the movement's id and whether this
/// was a replay of an earlier send with the same key.
pub async fn post_movement(
    state: &AppState,
    caller: &Caller,
    b: &MovementBody,
) -> ApiResult<(i64, bool)> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let kind = MovementKind::parse(b.kind.trim()).filter(|k| k.by_hand());
    if kind.is_none() {
        f.add(
            "kind",
            "unknown_kind",
            "purchase_in, donation_in, staff_out, loss or adjustment",
        );
    }
    let signed = match kind.map(MovementKind::direction) {
        Some(0) => b.quantity != 0 && b.quantity.abs() <= MAX_QUANTITY,
        _ => (1..=MAX_QUANTITY).contains(&b.quantity),
    };
    if !signed {
        f.add(
            "quantity",
            "out_of_range",
            "a whole number from 1 to 10,000,000 (an adjustment: not 0)",
        );
    }
    let reason = f.take(validate::text("reason", &b.reason, 200, false))?;
    if kind.is_some_and(MovementKind::needs_reason) && reason.as_deref().is_some_and(str::is_empty)
    {
        f.add("reason", "required", "say why");
    }
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    if b.at.is_some_and(|t| t < 0) {
        f.add("at", "out_of_range", "unix seconds");
    }
    f.into_result()?;
    let (Some(kind), Some(reason), Some(key)) = (kind, reason, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let quantity = match kind.direction() {
        -1 => -b.quantity,
        _ => b.quantity,
    };
    let m = ledger::NewMovement {
        community_id: community,
        item_id: b.item_id,
        kind,
        quantity,
        at: b.at.unwrap_or_else(crate::db::now),
        reason,
        idempotency_key: key,
        request_hash: request_hash(b)?,
        purchase_id: None,
        donation_id: None,
        delivery_id: None,
    };
    match ledger::post(&state.db, &caller.actor(), &m).await {
        Err(crate::db::StoreError::NotFound) => Err(AppError::invalid(
            "item_id",
            "unknown_item",
            "no such item in the catalogue",
        )),
        other => Ok(other?),
    }
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StocktakeBody {
    pub community_id: i64,
    pub item_id: i64,
    /// What was counted on the shelf.
    pub counted: i64,
    #[serde(default)]
    pub reason: String,
    pub idempotency_key: String,
}

/// Sets what was counted of an item now (盘点).
pub async fn stocktake(
    state: &AppState,
    caller: &Caller,
    b: &StocktakeBody,
) -> ApiResult<(i64, bool)> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    if !(0..=MAX_QUANTITY).contains(&b.counted) {
        f.add(
            "counted",
            "out_of_range",
            "a whole number from 0 to 10,000,000",
        );
    }
    let reason = f.take(validate::text("reason", &b.reason, 200, false))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    f.into_result()?;
    let (Some(reason), Some(key)) = (reason, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let count = ledger::Count {
        community_id: community,
        item_id: b.item_id,
        counted: b.counted,
        reason,
        idempotency_key: key,
        request_hash: request_hash(b)?,
    };
    match ledger::stocktake(&state.db, &caller.actor(), &count).await {
        Err(crate::db::StoreError::NotFound) => Err(AppError::invalid(
            "item_id",
            "unknown_item",
            "no such item in the catalogue",
        )),
        other => Ok(other?),
    }
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseBody {
    pub community_id: i64,
    /// What was wrong.
    pub reason: String,
    pub idempotency_key: String,
}

/// Undoes a movement by its exact opposite, now.
pub async fn reverse(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &ReverseBody,
) -> ApiResult<(i64, bool)> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let reason = f.take(validate::text("reason", &b.reason, 200, true))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    f.into_result()?;
    let (Some(reason), Some(key)) = (reason, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let hash = request_hash(&(id, b))?;
    Ok(ledger::reverse(
        &state.db,
        &caller.actor(),
        community,
        id,
        &reason,
        &key,
        &hash,
    )
    .await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MovementView {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub kind: String,
    /// Signed: in positive, out negative.
    pub quantity: i64,
    pub at: i64,
    pub counted: Option<i64>,
    pub reverses_id: Option<i64>,
    pub reversed_by: Option<i64>,
    pub reason: String,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MovementPage {
    pub items: Vec<MovementView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A page of a store's ledger, newest first.
pub async fn movements(
    state: &AppState,
    caller: &Caller,
    community: i64,
    item: Option<i64>,
    paging: &Paging,
) -> ApiResult<MovementPage> {
    caller
        .require(state, Right::ReadSupplies, "supplies.movements")
        .await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    let (rows, total) =
        ledger::movements(&state.db, community, item, paging.limit(), paging.offset()).await?;
    Ok(MovementPage {
        items: rows
            .into_iter()
            .map(|m| MovementView {
                id: m.id,
                item_id: m.item_id,
                item_name: m.item_name,
                unit: m.unit,
                kind: m.kind,
                quantity: m.quantity,
                at: m.at,
                counted: m.counted,
                reverses_id: m.reverses_id,
                reversed_by: m.reversed_by,
                reason: m.reason,
                recorded_by_name: m.recorded_by_name,
                recorded_at: m.recorded_at,
            })
            .collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}
