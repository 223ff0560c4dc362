//! Donations (捐赠) to a community store from partner units: the views and operations shared by
//! the API (`web::api::supply_donations`) and the pages, with the receipt a donor is thanked with.

use serde::{Deserialize, Serialize};
use shouhu_domain::Right;

use crate::db::supplies::{self, donations};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::supplies::{request_hash, require_store};
use crate::service::validate;

const MAX_QUANTITY: i64 = 10_000_000;
const MAX_LINES: usize = 200;

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonationLineBody {
    pub item_id: i64,
    pub quantity: i64,
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DonationBody {
    pub community_id: i64,
    /// The partner unit (联点单位) or person who gave.
    pub donor: String,
    #[serde(default)]
    pub contact_name: String,
    /// A mobile or landline number, if given.
    #[serde(default)]
    pub contact_phone: String,
    /// When the goods arrived (unix seconds); now when left out.
    pub received_at: Option<i64>,
    #[serde(default)]
    pub note: String,
    /// What was given, one line per item.
    pub lines: Vec<DonationLineBody>,
    pub idempotency_key: String,
}

/// Records a donation; its goods enter the store under the donor's name. Returns its id and
/// whether this was a replay.
pub async fn create(state: &AppState, caller: &Caller, b: &DonationBody) -> ApiResult<(i64, bool)> {
    let community = require_store(state, caller, b.community_id).await?;
    let mut f = Faults::default();
    let donor = f.take(validate::text("donor", &b.donor, 100, true))?;
    let contact_name = f.take(validate::text("contact_name", &b.contact_name, 40, false))?;
    let phone = f.take(validate::optional_phone("contact_phone", &b.contact_phone))?;
    let note = f.take(validate::text("note", &b.note, 200, false))?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    let lines = checked_lines(&mut f, &b.lines);
    if b.received_at.is_some_and(|t| t <= 0) {
        f.add("received_at", "out_of_range", "unix seconds");
    }
    f.into_result()?;
    let (Some(donor), Some(contact_name), Some(phone), Some(note), Some(key)) =
        (donor, contact_name, phone, note, key)
    else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let d = donations::NewDonation {
        community_id: community,
        donor,
        contact_name,
        contact_phone: phone.map(|p| p.as_str().to_string()).unwrap_or_default(),
        received_at: b.received_at.unwrap_or_else(crate::db::now),
        note,
        lines,
        idempotency_key: key,
        request_hash: request_hash(b)?,
    };
    Ok(donations::create(&state.db, &caller.actor(), &d).await?)
}

/// The lines of a donation as (item, quantity): at least one, one per item, quantities from 1.
fn checked_lines(f: &mut Faults, lines: &[DonationLineBody]) -> Vec<(i64, i64)> {
    if lines.is_empty() {
        f.add("lines", "required", "at least one item given");
    }
    if lines.len() > MAX_LINES {
        f.add("lines", "out_of_range", "at most 200 lines");
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for l in lines {
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            f.add(
                "lines",
                "out_of_range",
                "each quantity from 1 to 10,000,000",
            );
            break;
        }
        if !seen.insert(l.item_id) {
            f.add("lines", "duplicate_item", "one line per item");
            break;
        }
        out.push((l.item_id, l.quantity));
    }
    out
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DonationLineView {
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    /// Taken to households so far.
    pub delivered: i64,
    /// Still in the store under the donor's name.
    pub left: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DonationView {
    pub id: i64,
    /// The thank-you receipt's number (JZ-community-id).
    pub receipt_no: String,
    pub community_id: i64,
    pub community_name: String,
    pub donor: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub received_at: i64,
    pub note: String,
    pub created_by_name: String,
    pub lines: Vec<DonationLineView>,
}

fn view(d: donations::Donation, lines: Vec<donations::DonationLine>) -> DonationView {
    DonationView {
        receipt_no: format!("JZ-{}-{:05}", d.community_id, d.id),
        id: d.id,
        community_id: d.community_id,
        community_name: d.community_name,
        donor: d.donor,
        contact_name: d.contact_name,
        contact_phone: d.contact_phone,
        received_at: d.received_at,
        note: d.note,
        created_by_name: d.created_by_name,
        lines: lines
            .into_iter()
            .map(|l| DonationLineView {
                item_id: l.item_id,
                item_name: l.item_name,
                unit: l.unit,
                quantity: l.quantity,
                delivered: l.delivered,
                left: l.left,
            })
            .collect(),
    }
}

/// A donation to a store of the caller's jurisdiction, with where its goods are.
pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> ApiResult<DonationView> {
    caller
        .require(state, Right::ReadSupplies, "supplies.donation")
        .await?;
    let community = donations::community_of(&state.db, id).await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    let (d, lines) = donations::get(&state.db, community, id).await?;
    Ok(view(d, lines))
}

/// The latest donations to a store of the caller's jurisdiction (without their lines).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    community: i64,
) -> ApiResult<Vec<DonationView>> {
    caller
        .require(state, Right::ReadSupplies, "supplies.donation")
        .await?;
    let (community, _) = supplies::community(&state.db, &caller.scope(), community).await?;
    Ok(donations::list(&state.db, community, 100)
        .await?
        .into_iter()
        .map(|d| view(d, Vec::new()))
        .collect())
}
