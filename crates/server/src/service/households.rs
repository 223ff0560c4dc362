//! Households of the caller's jurisdiction, with their members. The views and operations shared by
//! the API (`web::api::households`, which adds the handlers) and the pages.

use super::residents::ResidentView;
use crate::db::households::{self, Household, NewHousehold};
use crate::db::units;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::caller::Names;
use crate::service::error::{ApiResult, AppError};
use crate::service::validate;
use serde::{Deserialize, Serialize};
use shouhu_domain::Right;

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdView {
    pub id: i64,
    pub grid_code: String,
    pub grid_name: String,
    pub building: Option<String>,
    pub building_unit: Option<String>,
    pub room: String,
    pub address: String,
    pub head_resident_id: Option<i64>,
    /// The head's name, masked to the surname in lists.
    pub head_name: Option<String>,
    pub members: i64,
    pub note: String,
    pub version: i64,
}

pub fn household_view(h: &Household, names: Names) -> HouseholdView {
    HouseholdView {
        id: h.id,
        grid_code: h.grid_code.clone(),
        grid_name: h.grid_name.clone(),
        building: h.building.clone(),
        building_unit: h.building_unit.clone(),
        room: h.room.clone(),
        address: h.address.clone(),
        head_resident_id: h.head_resident_id,
        head_name: h.head_name.as_deref().map(|n| names.show(n)),
        members: h.members,
        note: h.note.clone(),
        version: h.version,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Part of the address.
    pub q: Option<String>,
    pub unit: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdList {
    pub items: Vec<HouseholdView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdCard {
    #[serde(flatten)]
    pub household: HouseholdView,
    pub residents: Vec<ResidentView>,
}

pub async fn fetch(state: &AppState, caller: &Caller, id: i64) -> ApiResult<Household> {
    match households::get(&state.db, &caller.scope(), id).await {
        Ok(h) => Ok(h),
        Err(crate::db::StoreError::NotFound) => {
            if households::exists_unscoped(&state.db, id).await? {
                caller
                    .audit_refusal(state, "household.read", &id.to_string(), "denied")
                    .await;
            }
            Err(AppError::NotFound)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHouseholdBody {
    pub grid_code: String,
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub building_unit: String,
    #[serde(default)]
    pub room: String,
    pub address: String,
    #[serde(default)]
    pub note: String,
}

/// Creates a household in a grid of the caller's jurisdiction; shared by the API and the pages.
pub async fn create_household(
    state: &AppState,
    caller: &Caller,
    b: &NewHouseholdBody,
) -> ApiResult<i64> {
    caller
        .require(state, Right::EditRegistry, "household.create")
        .await?;
    let grid = units::get_by_code(&state.db, &caller.scope(), b.grid_code.trim())
        .await
        .ok()
        .filter(|u| u.kind == "grid")
        .ok_or_else(|| {
            AppError::invalid(
                "grid_code",
                "unknown_unit",
                "no such grid in your jurisdiction",
            )
        })?;
    let new = NewHousehold {
        grid_id: grid.id,
        building: validate::text("building", &b.building, 30, false)?,
        building_unit: validate::text("building_unit", &b.building_unit, 30, false)?,
        room: validate::text("room", &b.room, 30, false)?,
        address: validate::text("address", &b.address, 200, true)?,
        note: validate::text("note", &b.note, 500, false)?,
    };
    let id = households::create(&state.db, &caller.scope(), &caller.actor(), &new).await?;
    Ok(id)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPatch {
    pub version: i64,
    pub address: Option<String>,
    pub room: Option<String>,
    pub note: Option<String>,
    /// A member of the household, or null to clear.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub head_resident_id: Option<Option<i64>>,
}

/// Tells a field sent as null (`Some(None)`: clear) from one left out (`None`: keep).
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}
