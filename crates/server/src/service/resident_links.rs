//! Household links (居民端链接) as staff handle them: issue (and re-issue for a lost sheet), revoke,
//! see whether one works; and the opening of a link by its token, rate-limited.
//!
//! A token is 32 random bytes in URL-safe base64 (43 characters): guessing one is out of reach,
//! and the limit on misses per address keeps anyone from trying at scale. Only its SHA-256 is kept,
//! so the token is shown once, when it is issued.

use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shouhu_domain::Right;

use crate::db::resident_links::{self, Link};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};

/// A token's length in characters.
pub const TOKEN_LEN: usize = 43;

/// Misses counted over this window per address; more are refused with 429.
pub const MISS_WINDOW_SECS: i64 = 15 * 60;
pub const MAX_MISSES_PER_ADDRESS: i64 = 20;

/// The name misses are counted under in the sign-in failures (never a staff account's: it holds `#`).
const MISS_NAME: &str = "#household-link";

/// A freshly issued link: the token (shown this once) and the page it opens.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedLink {
    pub household_id: i64,
    pub token: String,
    /// `/h/{token}`: prefix it with the service's address for the QR code.
    pub path: String,
}

/// Whether the household's link works, as staff see it (never the token).
#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkState {
    pub active: bool,
    pub issued_at: Option<i64>,
    pub issued_by: Option<String>,
    pub last_used_at: Option<i64>,
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues the household's link, revoking the one before.
pub async fn issue(state: &AppState, caller: &Caller, household_id: i64) -> ApiResult<IssuedLink> {
    caller
        .require(state, Right::EditRegistry, "resident_link.issue")
        .await?;
    let token = new_token();
    resident_links::issue(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        household_id,
        &hash(&token),
    )
    .await?;
    Ok(IssuedLink {
        household_id,
        path: format!("/h/{token}"),
        token,
    })
}

/// Revokes the household's link; 404 when it has none working.
pub async fn revoke(state: &AppState, caller: &Caller, household_id: i64) -> ApiResult<()> {
    caller
        .require(state, Right::EditRegistry, "resident_link.revoke")
        .await?;
    if resident_links::revoke(&state.db, &caller.scope(), &caller.actor(), household_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn state_of(
    state: &AppState,
    caller: &Caller,
    household_id: i64,
) -> ApiResult<LinkState> {
    caller
        .require(state, Right::ReadRegistry, "resident_link.read")
        .await?;
    let s = resident_links::status(&state.db, &caller.scope(), household_id).await?;
    Ok(LinkState {
        active: s.is_some(),
        issued_at: s.as_ref().map(|s| s.issued_at),
        issued_by: s.as_ref().map(|s| s.issued_by_name.clone()),
        last_used_at: s.and_then(|s| s.last_used_at),
    })
}

/// The link of a token from `address`: 429 after too many misses from there (checked first, so a
/// right guess is refused too while the limit holds), 404 for a token that opens nothing.
pub async fn open(state: &AppState, token: &str, address: &str) -> ApiResult<Link> {
    let since = crate::db::now() - MISS_WINDOW_SECS;
    if crate::db::accounts::failures_from(&state.db, MISS_NAME, address, since).await?
        >= MAX_MISSES_PER_ADDRESS
    {
        return Err(AppError::Throttled);
    }
    let well_formed = token.len() == TOKEN_LEN
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let link = if well_formed {
        resident_links::resolve(&state.db, &hash(token)).await?
    } else {
        None
    };
    match link {
        Some(link) => {
            resident_links::touch(&state.db, &link, crate::db::now()).await?;
            Ok(link)
        }
        None => {
            crate::db::accounts::record_failure(&state.db, MISS_NAME, address).await?;
            Err(AppError::NotFound)
        }
    }
}

/// A worker's answer to a resident's correction request.
#[derive(serde::Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionAnswerBody {
    /// `corrected` (the record was changed) or `declined` (it was right: say why).
    pub status: String,
    /// Shown to the household.
    #[serde(default)]
    pub answer: String,
}

/// Answers an open correction request of the jurisdiction; 409 when it was answered already.
pub async fn answer_correction(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &CorrectionAnswerBody,
) -> ApiResult<()> {
    caller
        .require(state, Right::EditRegistry, "correction.answer")
        .await?;
    let mut f = crate::service::error::Faults::default();
    let status = match b.status.trim() {
        "corrected" => Some("corrected"),
        "declined" => Some("declined"),
        _ => {
            f.add("status", "unknown_status", "corrected or declined");
            None
        }
    };
    let answer = f.take(crate::service::validate::text(
        "answer",
        &b.answer,
        500,
        status == Some("declined"),
    ))?;
    f.into_result()?;
    let (Some(status), Some(answer)) = (status, answer) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    crate::db::resident_self::answer_correction(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        status,
        &answer,
    )
    .await?;
    Ok(())
}

/// The open correction requests of a household, for its page.
pub async fn open_corrections_of(
    state: &AppState,
    caller: &Caller,
    household_id: i64,
) -> ApiResult<Vec<crate::db::resident_self::Correction>> {
    caller
        .require(state, Right::ReadRegistry, "correction.list")
        .await?;
    let grids = crate::db::scope::grids(&state.db, &caller.scope()).await?;
    Ok(
        crate::db::resident_self::corrections_of(&state.db, household_id)
            .await?
            .into_iter()
            .filter(|c| c.status == "open" && grids.contains(&c.grid_id))
            .collect(),
    )
}
