//! Undoing a resident's deletion (撤销) from their household's card, where the deletion leads.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::Right;

use super::{PageError, PageForm};
use crate::service::residents::restore_in_scope;
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(Deserialize)]
pub struct RestoreForm {}

/// Brings the resident back and opens their card.
pub async fn restore_resident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: _f }: PageForm<RestoreForm>,
) -> Response {
    if let Err(e) = pc
        .require(&state, Right::EditRegistry, "resident.restore")
        .await
    {
        return e.into_response();
    }
    let t = pc.t();
    let Ok(rid) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    match restore_in_scope(&state, &pc.caller, rid).await {
        // Living either way: a Conflict here means someone brought them back first.
        Ok(()) | Err(AppError::Conflict) => {
            Redirect::to(&format!("/residents/{rid}")).into_response()
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}
