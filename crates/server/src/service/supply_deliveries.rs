//! Door deliveries (配送到户) of a community store: the views and operations shared by the API
//! (`web::api::supply_deliveries`) and the pages. Money collected at the door is integer fen.

use serde::{Deserialize, Serialize};
use shouhu_domain::Right;
use shouhu_domain::delivery::{DeliveryFailure, DeliveryStatus};

use crate::db::report_stats::day_bounds;
use crate::db::supplies::{self, deliveries};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::supplies::{request_hash, require_store};
use crate::service::validate;

const MAX_QUANTITY: i64 = 10_000_000;
const MAX_FEN: i64 = 100_000_000;
const MAX_LINES: usize = 100;

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryLineBody {
    pub item_id: i64,
    pub quantity: i64,
    /// The household's need this line fills (it moves with the delivery).
    pub need_id: Option<i64>,
    /// The donation the goods come from: the donor stays on them to the door.
    pub donation_id: Option<i64>,
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    pub community_id: i64,
    pub household_id: i64,
    /// When it is to go (unix seconds).
    pub scheduled_for: i64,
    #[serde(default)]
    pub courier: String,
    /// Left at the door and confirmed by phone; always so for a household in home isolation.
    #[serde(default)]
    pub contactless: bool,
    /// What the household pays for paid goods, in fen.
    #[serde(default)]
    pub due_fen: i64,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<DeliveryLineBody>,
    pub idempotency_key: String,
}

/// Schedules a delivery. Returns its id and whether this was a replay.
pub async fn create(state: &AppState, caller: &Caller, b: &DeliveryBody) -> ApiResult<(i64, bool)> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let courier = f.take(validate::text("courier", &b.courier, 60, false))?;
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    if b.scheduled_for <= 0 {
        f.add("scheduled_for", "out_of_range", "unix seconds");
    }
    if !(0..=MAX_FEN).contains(&b.due_fen) {
        f.add("due_fen", "out_of_range", "fen from 0 to 100,000,000");
    }
    if b.lines.is_empty() {
        f.add("lines", "required", "at least one item to deliver");
    }
    if b.lines.len() > MAX_LINES {
        f.add("lines", "out_of_range", "at most 100 lines");
    }
    let mut seen = std::collections::HashSet::new();
    for l in &b.lines {
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            f.add(
                "lines",
                "out_of_range",
                "each quantity from 1 to 10,000,000",
            );
            break;
        }
        if l.need_id.is_some_and(|n| !seen.insert(n)) {
            f.add("lines", "duplicate_need", "one line per need");
            break;
        }
    }
    f.into_result()?;
    let (Some(courier), Some(note), Some(key)) = (courier, note, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let d = deliveries::NewDelivery {
        community_id: community,
        household_id: b.household_id,
        scheduled_for: b.scheduled_for,
        courier,
        contactless: b.contactless,
        due_fen: b.due_fen,
        note,
        lines: b
            .lines
            .iter()
            .map(|l| deliveries::NewLine {
                item_id: l.item_id,
                quantity: l.quantity,
                need_id: l.need_id,
                donation_id: l.donation_id,
            })
            .collect(),
        idempotency_key: key,
        request_hash: request_hash(b)?,
    };
    Ok(deliveries::create(&state.db, &caller.actor(), &d).await?)
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryLineView {
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub need_id: Option<i64>,
    pub donation_id: Option<i64>,
    /// The donor whose goods these are.
    pub donor: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: i64,
    pub household_id: i64,
    pub address: String,
    /// scheduled, out, delivered, failed or cancelled.
    pub status: String,
    pub scheduled_for: i64,
    /// The household was in home isolation when it was scheduled.
    pub isolated: bool,
    pub contactless: bool,
    pub courier: String,
    /// 1, and one more for each rescheduling.
    pub attempts: i64,
    pub out_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub received_by: String,
    pub phone_confirmed: bool,
    /// Why the last attempt failed: nobody_home, refused or other.
    pub failure: String,
    pub due_fen: i64,
    pub collected_fen: Option<i64>,
    pub note: String,
    pub created_by_name: String,
    pub version: i64,
    pub lines: Vec<DeliveryLineView>,
}

fn view(d: deliveries::Delivery, lines: Vec<deliveries::Line>) -> DeliveryView {
    DeliveryView {
        id: d.id,
        community_id: d.community_id,
        grid_id: d.grid_id,
        household_id: d.household_id,
        address: d.address,
        status: d.status,
        scheduled_for: d.scheduled_for,
        isolated: d.isolated != 0,
        contactless: d.contactless != 0,
        courier: d.courier,
        attempts: d.attempts,
        out_at: d.out_at,
        delivered_at: d.delivered_at,
        received_by: d.received_by,
        phone_confirmed: d.phone_confirmed != 0,
        failure: d.failure,
        due_fen: d.due_fen,
        collected_fen: d.collected_fen,
        note: d.note,
        created_by_name: d.created_by_name,
        version: d.version,
        lines: lines
            .into_iter()
            .map(|l| DeliveryLineView {
                item_id: l.item_id,
                item_name: l.item_name,
                unit: l.unit,
                quantity: l.quantity,
                need_id: l.need_id,
                donation_id: l.donation_id,
                donor: l.donor,
            })
            .collect(),
    }
}

/// A delivery of a store of the caller's jurisdiction.
pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> ApiResult<DeliveryView> {
    caller
        .require(state, Right::ReadSupplies, "supplies.delivery")
        .await?;
    let community = deliveries::community_of(&state.db, id).await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    let (d, lines) = deliveries::get(&state.db, community, id).await?;
    Ok(view(d, lines))
}

/// Which deliveries to list.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub community_id: i64,
    /// A local day (YYYY-MM-DD) they are scheduled for.
    pub day: Option<String>,
    pub household_id: Option<i64>,
    pub status: Option<String>,
}

/// The deliveries of a store of the caller's jurisdiction, soonest first (at most 500).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    q: &ListQuery,
) -> ApiResult<Vec<DeliveryView>> {
    caller
        .require(state, Right::ReadSupplies, "supplies.delivery")
        .await?;
    let mut f = Faults::default();
    let between = match q.day.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(day) => {
            let b = day_bounds(day);
            if b.is_none() {
                f.add("day", "invalid_date", "a day as YYYY-MM-DD");
            }
            b
        }
    };
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            let parsed = DeliveryStatus::parse(s);
            if parsed.is_none() {
                f.add(
                    "status",
                    "unknown_status",
                    "scheduled, out, delivered, failed or cancelled",
                );
            }
            parsed
        }
    };
    f.into_result()?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), q.community_id).await?;
    let filter = deliveries::DeliveryFilter {
        between,
        household_id: q.household_id,
        status,
    };
    Ok(deliveries::list(&state.db, community, &filter, 500)
        .await?
        .into_iter()
        .map(|(d, l)| view(d, l))
        .collect())
}

#[derive(Deserialize, Clone, Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryMoveBody {
    pub community_id: i64,
    /// out (the goods leave the store), delivered, failed (they come back), scheduled (again,
    /// after a failure) or cancelled.
    pub to: String,
    pub version: i64,
    /// Rescheduled: when (unix seconds).
    pub scheduled_for: Option<i64>,
    /// Out: who takes it.
    #[serde(default)]
    pub courier: String,
    /// Delivered by hand: to whom.
    #[serde(default)]
    pub received_by: String,
    /// Delivered without contact: the household confirmed by phone (required then).
    #[serde(default)]
    pub phone_confirmed: bool,
    /// Delivered with money due: what was collected, in fen.
    pub collected_fen: Option<i64>,
    /// Failed: nobody_home, refused or other.
    pub failure: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Moves a delivery of a store the caller works.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &DeliveryMoveBody,
) -> ApiResult<()> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let to = DeliveryStatus::parse(b.to.trim());
    if to.is_none() {
        f.add(
            "to",
            "unknown_status",
            "out, delivered, failed, scheduled or cancelled",
        );
    }
    let failure = match b.failure.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            let parsed = DeliveryFailure::parse(s);
            if parsed.is_none() {
                f.add(
                    "failure",
                    "unknown_failure",
                    "nobody_home, refused or other",
                );
            }
            parsed
        }
    };
    if b.collected_fen.is_some_and(|c| !(0..=MAX_FEN).contains(&c)) {
        f.add("collected_fen", "out_of_range", "fen from 0 to 100,000,000");
    }
    if b.scheduled_for.is_some_and(|t| t <= 0) {
        f.add("scheduled_for", "out_of_range", "unix seconds");
    }
    let courier = f.take(validate::text("courier", &b.courier, 60, false))?;
    let received_by = f.take(validate::text("received_by", &b.received_by, 40, false))?;
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    f.into_result()?;
    let (Some(courier), Some(received_by), Some(note)) = (courier, received_by, note) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let m = deliveries::DeliveryMove {
        to,
        version: b.version,
        scheduled_for: b.scheduled_for,
        courier,
        received_by,
        phone_confirmed: b.phone_confirmed,
        collected_fen: b.collected_fen,
        failure,
        note,
    };
    Ok(deliveries::transition(&state.db, &caller.actor(), community, id, &m).await?)
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct WaitingNeed {
    pub need_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub paid: bool,
    /// The day it was asked for.
    pub day: String,
}

/// A household whose open needs no delivery carries yet.
#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct WaitingHousehold {
    pub household_id: i64,
    pub address: String,
    /// In home isolation now: its delivery will be contactless.
    pub isolated: bool,
    pub needs: Vec<WaitingNeed>,
}

/// The households of a store's community waiting for a delivery to be scheduled, isolated ones
/// first, then the longest waiting (their first 500 needs).
pub async fn waiting(
    state: &AppState,
    caller: &Caller,
    community: i64,
) -> ApiResult<Vec<WaitingHousehold>> {
    caller
        .require(state, Right::ReadSupplies, "supplies.delivery")
        .await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    let mut out: Vec<WaitingHousehold> = Vec::new();
    for w in deliveries::waiting(&state.db, community, 500).await? {
        let need = WaitingNeed {
            need_id: w.need_id,
            item_id: w.item_id,
            item_name: w.item_name,
            unit: w.unit,
            quantity: w.quantity,
            paid: w.paid != 0,
            day: w.day,
        };
        match out.iter_mut().find(|h| h.household_id == w.household_id) {
            Some(h) => h.needs.push(need),
            None => out.push(WaitingHousehold {
                household_id: w.household_id,
                address: w.address,
                isolated: w.isolated != 0,
                needs: vec![need],
            }),
        }
    }
    Ok(out)
}
