//! Taking a person under quarantine to a centralized observation point: the transfer's notice and
//! its steps, shared by the API (`web::api::observation`) and the pages.

use serde::Deserialize;
use shouhu_domain::{Plate, Right, TransferStatus};

use crate::db::observation;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};
use crate::service::validate;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    pub quarantine_id: i64,
    pub site_id: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceBody {
    /// picked_up, admitted or released: the next step only.
    pub to: String,
    pub version: i64,
    /// The vehicle's plate, when picking up.
    pub plate: Option<String>,
    /// The person's state of mind.
    #[serde(default)]
    pub note: String,
}

/// Notifies the transfer of a person under quarantine to an observation site; returns its id.
pub async fn notify(state: &AppState, caller: &Caller, b: &TransferBody) -> ApiResult<i64> {
    caller
        .require(state, Right::ManageQuarantine, "transfer.notify")
        .await?;
    let note = validate::text("note", &b.note, 500, false)?;
    Ok(observation::notify(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        b.quarantine_id,
        b.site_id,
        &note,
    )
    .await?)
}

/// Moves a transfer to its next step; admission is refused (`site_full`) when no bed is free.
pub async fn advance(state: &AppState, caller: &Caller, id: i64, b: &AdvanceBody) -> ApiResult<()> {
    if !caller.session.user.role.has(Right::ManageQuarantine) {
        caller
            .require(state, Right::HandleAlerts, "transfer.advance")
            .await?;
    }
    let to = TransferStatus::parse(b.to.trim()).ok_or_else(|| {
        AppError::invalid(
            "to",
            "unknown_status",
            "to is picked_up, admitted or released",
        )
    })?;
    let plate = match b.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(
            Plate::parse(p)
                .map_err(|e| AppError::invalid("plate", "invalid_plate", e.to_string()))?
                .to_string(),
        ),
    };
    let note = validate::text("note", &b.note, 500, false)?;
    observation::advance(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        b.version,
        observation::Step {
            to,
            plate: plate.as_deref(),
            note: &note,
        },
    )
    .await?;
    Ok(())
}
