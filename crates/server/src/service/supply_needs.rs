//! What households need (物资需求) and the day's needs list: the views and operations shared by
//! the API (`web::api::supply_needs`) and the pages.

use serde::{Deserialize, Serialize};
use shouhu_domain::Right;
use shouhu_domain::supplies::NeedStatus;

use crate::db::supplies::needs::{self, Need, NeedFilter, NeedMove, NewNeed, Total};
use crate::db::units;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::paging::Paging;
use crate::service::validate;

/// The largest quantity of one line.
const MAX_QUANTITY: i64 = 10_000_000;

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedBody {
    /// A household of the caller's grids.
    pub household_id: i64,
    pub item_id: i64,
    /// How many, in the item's unit.
    pub quantity: i64,
    /// Paid (true) or free (false: the vulnerable and the isolated).
    pub paid: bool,
    #[serde(default)]
    pub note: String,
    /// A quantity over the household's cap for the day or ten times the usual is refused (422
    /// `needs_confirmation`) until sent again with this set.
    #[serde(default)]
    pub confirm: bool,
    pub idempotency_key: String,
}

/// Records a need for a household; every field at fault is named. Returns its id and whether this
/// was a replay of an earlier send with the same key.
pub async fn create(state: &AppState, caller: &Caller, b: &NeedBody) -> ApiResult<(i64, bool)> {
    caller
        .require(state, Right::RecordNeeds, "supplies.need.create")
        .await?;
    let mut f = Faults::default();
    if !(1..=MAX_QUANTITY).contains(&b.quantity) {
        f.add(
            "quantity",
            "out_of_range",
            "a whole number from 1 to 10,000,000",
        );
    }
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    f.into_result()?;
    let (Some(note), Some(key)) = (note, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let n = NewNeed {
        household_id: b.household_id,
        item_id: b.item_id,
        quantity: b.quantity,
        paid: b.paid,
        note,
        confirm: b.confirm,
        day: state.settings.today().to_string(),
        idempotency_key: key,
        request_hash: crate::service::supplies::request_hash(b)?,
        via_link_id: None,
    };
    match needs::create(&state.db, &caller.scope(), &caller.actor(), &n).await {
        Err(crate::db::StoreError::NotFound) => Err(AppError::invalid(
            "household_id",
            "unknown_household",
            "no such household in your jurisdiction",
        )),
        other => Ok(other?),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NeedView {
    pub id: i64,
    pub household_id: i64,
    pub address: String,
    pub grid_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub day: String,
    pub quantity: i64,
    pub fulfilled: i64,
    pub paid: bool,
    pub note: String,
    /// requested, committed, in_transit, delivered or cancelled.
    pub status: String,
    /// Over the cap or far above the usual, confirmed when recorded.
    pub over_confirmed: bool,
    pub cancel_reason: String,
    pub created_by_name: String,
    pub created_at: i64,
    pub version: i64,
}

pub fn view(n: Need) -> NeedView {
    NeedView {
        id: n.id,
        household_id: n.household_id,
        address: n.address,
        grid_id: n.grid_id,
        item_id: n.item_id,
        item_name: n.item_name,
        unit: n.unit,
        day: n.day,
        quantity: n.quantity,
        fulfilled: n.fulfilled,
        paid: n.paid != 0,
        note: n.note,
        status: n.status,
        over_confirmed: n.over_confirmed != 0,
        cancel_reason: n.cancel_reason,
        created_by_name: n.created_by_name,
        created_at: n.created_at,
        version: n.version,
    }
}

/// Where to look: a unit of the caller's by code (all of theirs when none), and a day (today when
/// none).
async fn unit_and_day(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
    day: Option<&str>,
) -> ApiResult<(Option<(i64, String)>, String)> {
    let unit = match unit.map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(code) => match units::get_by_code(&state.db, &caller.scope(), code).await {
            Ok(u) => Some((u.id, u.name)),
            Err(crate::db::StoreError::NotFound) => {
                return Err(AppError::invalid(
                    "unit",
                    "unknown_unit",
                    "no such grid or community in your jurisdiction",
                ));
            }
            Err(e) => return Err(e.into()),
        },
    };
    let day = match day.map(str::trim).filter(|d| !d.is_empty()) {
        None => state.settings.today(),
        Some(d) => validate::date("day", d)?,
    };
    Ok((unit, day.to_string()))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NeedPage {
    pub items: Vec<NeedView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// A page of needs of the caller's grids: of a unit, a day, a household; open ones only if asked.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
    day: Option<&str>,
    household: Option<i64>,
    open_only: bool,
    paging: &Paging,
) -> ApiResult<NeedPage> {
    caller
        .require(state, Right::ReadSupplies, "supplies.needs")
        .await?;
    let (unit, day) = unit_and_day(state, caller, unit, day).await?;
    let f = NeedFilter {
        unit_id: unit.map(|u| u.0),
        // A household's needs of every day; otherwise the day's.
        day: household.is_none().then_some(day),
        household_id: household,
        open_only,
    };
    let (rows, total) = needs::list(
        &state.db,
        &caller.scope(),
        &f,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(NeedPage {
        items: rows.into_iter().map(view).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TotalView {
    pub item_id: i64,
    pub item_name: String,
    pub category: String,
    pub unit: String,
    pub requested: i64,
    /// Still to bring: asked less already brought.
    pub outstanding: i64,
    pub households: i64,
    pub free_households: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NeedsList {
    pub day: String,
    /// The unit's name, or none for the caller's whole jurisdiction.
    pub unit_name: Option<String>,
    pub totals: Vec<TotalView>,
}

fn total_view(t: Total) -> TotalView {
    TotalView {
        item_id: t.item_id,
        item_name: t.item_name,
        category: t.category,
        unit: t.unit,
        requested: t.requested,
        outstanding: t.outstanding,
        households: t.households,
        free_households: t.free_households,
    }
}

/// The day's needs list (物资需求清单): open needs added up per item, for a grid, a community or
/// all of the caller's.
pub async fn needs_list(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
    day: Option<&str>,
) -> ApiResult<NeedsList> {
    caller
        .require(state, Right::ReadSupplies, "supplies.needs")
        .await?;
    let (unit, day) = unit_and_day(state, caller, unit, day).await?;
    totals_of(state, caller, unit, day).await
}

async fn totals_of(
    state: &AppState,
    caller: &Caller,
    unit: Option<(i64, String)>,
    day: String,
) -> ApiResult<NeedsList> {
    let totals =
        needs::totals(&state.db, &caller.scope(), unit.as_ref().map(|u| u.0), &day).await?;
    Ok(NeedsList {
        day,
        unit_name: unit.map(|u| u.1),
        totals: totals.into_iter().map(total_view).collect(),
    })
}

/// The needs list as a spreadsheet to take shopping: the totals, then every household's lines.
pub async fn needs_list_xlsx(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
    day: Option<&str>,
) -> ApiResult<(String, Vec<u8>)> {
    caller
        .require(state, Right::ReadSupplies, "supplies.needs")
        .await?;
    let (unit, day) = unit_and_day(state, caller, unit, day).await?;
    let unit_id = unit.as_ref().map(|u| u.0);
    let list = totals_of(state, caller, unit, day).await?;
    let f = NeedFilter {
        unit_id,
        day: Some(list.day.clone()),
        household_id: None,
        open_only: true,
    };
    let (lines, _) = needs::list(&state.db, &caller.scope(), &f, 100_000, 0).await?;
    let t = crate::i18n::Tr::new(crate::i18n::Lang::Zh);
    let header: Vec<String> = [
        "物资",
        "单位",
        "需求合计",
        "待送",
        "户数",
        "免费户数",
        "地址",
        "数量",
        "付费",
        "备注",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    let totals = list.totals.iter().map(|x| {
        vec![
            x.item_name.clone(),
            x.unit.clone(),
            x.requested.to_string(),
            x.outstanding.to_string(),
            x.households.to_string(),
            x.free_households.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]
    });
    let households = lines.into_iter().map(|n| {
        vec![
            n.item_name,
            n.unit,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            n.address,
            (n.quantity - n.fulfilled).to_string(),
            t.t(if n.paid != 0 {
                "needs.paid"
            } else {
                "needs.free"
            })
            .to_string(),
            n.note,
        ]
    });
    let title = format!(
        "{} {} {}",
        list.unit_name.as_deref().unwrap_or(""),
        list.day,
        t.t("needs.list_title")
    );
    let bytes = crate::sheet::write::xlsx(
        "需求清单",
        Some(title.trim()),
        &header,
        totals.chain(households),
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((format!("needs-{}", list.day), bytes))
}

#[derive(Deserialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedMoveBody {
    /// requested, committed, in_transit, delivered or cancelled.
    pub to: String,
    /// The version read: a change made meanwhile answers 409.
    pub version: i64,
    /// Delivered: how much was brought (all that was asked when left out).
    pub fulfilled: Option<i64>,
    /// Delivered: more than was asked, confirmed.
    #[serde(default)]
    pub confirm_over: bool,
    /// Cancelled: why (required).
    #[serde(default)]
    pub note: String,
}

/// Moves a need. Cancelling is for whoever records needs or works the store; the rest is the
/// store's work.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &NeedMoveBody,
) -> ApiResult<()> {
    let to = NeedStatus::parse(b.to.trim()).ok_or_else(|| {
        AppError::invalid(
            "to",
            "unknown_status",
            "requested, committed, in_transit, delivered or cancelled",
        )
    })?;
    let role = caller.session.user.role;
    let allowed =
        role.has(Right::WorkStore) || (to == NeedStatus::Cancelled && role.has(Right::RecordNeeds));
    if !allowed {
        caller
            .require(state, Right::WorkStore, "supplies.need.move")
            .await?;
    }
    let mut f = Faults::default();
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    if to == NeedStatus::Cancelled && note.as_deref().is_some_and(str::is_empty) {
        f.add("note", "required", "say why");
    }
    if b.fulfilled
        .is_some_and(|q| !(0..=MAX_QUANTITY).contains(&q))
    {
        f.add(
            "fulfilled",
            "out_of_range",
            "a whole number from 0 to 10,000,000",
        );
    }
    f.into_result()?;
    let m = NeedMove {
        to,
        version: b.version,
        fulfilled: b.fulfilled,
        confirm_over: b.confirm_over,
        note: note.unwrap_or_default(),
    };
    Ok(needs::transition(&state.db, &caller.scope(), &caller.actor(), id, &m).await?)
}
