//! Who is calling: the session behind a bearer token (API clients) or a cookie (pages and their
//! scripts), with the rules of SECURITY.md A applied on every request — expired sessions are gone,
//! a password that must be changed blocks everything else, and a cookie-borne change needs the CSRF
//! token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::AppError;
use crate::db::accounts;
pub use crate::service::caller::{Caller, REAUTH_FRESH_SECS};
use crate::service::session_cache::Cached;

pub const SESSION_COOKIE: &str = "shouhu_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whether `sent` is the session's token, compared in constant time: how long a wrong token takes
/// to refuse says nothing of how much of it was right.
pub fn csrf_matches(sent: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

/// Paths a user who must change their password may still reach.
const ALLOWED_BEFORE_CHANGE: &[&str] = &["/api/v1/session", "/api/v1/session/password"];

pub fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

pub fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The session's cookie: for this site's pages only, out of scripts' reach, never sent along
/// from another site; `Secure` when the service is reached over HTTPS. Empty and expired, it
/// removes the session from the browser.
pub fn session_cookie(token: &str, secure: bool) -> cookie::Cookie<'static> {
    let mut c = cookie::Cookie::build((SESSION_COOKIE, token.to_string()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(secure)
        .build();
    if token.is_empty() {
        c.make_removal();
    }
    c
}

/// Adds `c` to a response as a `Set-Cookie` header.
pub fn set_cookie(response: &mut axum::response::Response, c: &cookie::Cookie<'_>) {
    if let Ok(v) = axum::http::HeaderValue::from_str(&c.to_string()) {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, v);
    }
}

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl Caller {
    /// Loads the session from a bearer token or the session cookie.
    pub async fn from_parts_unchecked(
        parts: &Parts,
        state: &AppState,
    ) -> Result<Option<Caller>, AppError> {
        let (token, via_cookie) = match bearer(parts) {
            Some(t) => (t, false),
            None => match cookie_value(parts, SESSION_COOKIE) {
                Some(t) => (t, true),
                None => return Ok(None),
            },
        };
        if token.is_empty() || token.len() > 100 {
            return Ok(None);
        }
        let hash = accounts::token_hash(&token);
        let cached = match state.sessions.get(&hash) {
            Some(c) => c,
            None => {
                let Some(session) = accounts::lookup_session(&state.db, &token).await? else {
                    return Ok(None);
                };
                let grids = crate::db::scope::grids_of_user(&state.db, session.user.id).await?;
                let cached = Cached {
                    session,
                    grids: std::sync::Arc::new(grids),
                    units: Default::default(),
                };
                state.sessions.put(hash, cached.clone());
                cached
            }
        };
        Ok(Some(Caller {
            session: cached.session,
            grids: cached.grids,
            units: cached.units,
            address: client_address(parts),
            via_cookie,
        }))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_parts_unchecked(parts, state)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let safe = parts.method.is_safe();
        if caller.via_cookie && !safe {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !csrf_matches(sent.unwrap_or(""), &caller.session.csrf_token) {
                caller
                    .audit_refusal(state, "csrf.refused", "", "forbidden")
                    .await;
                return Err(AppError::Forbidden);
            }
        }
        if caller.must_change_password(state) && !ALLOWED_BEFORE_CHANGE.contains(&parts.uri.path())
        {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::csrf_matches;

    #[test]
    fn only_the_whole_token_matches() {
        assert!(csrf_matches("abc123", "abc123"));
        assert!(!csrf_matches("abc12", "abc123"));
        assert!(!csrf_matches("abc1234", "abc123"));
        assert!(!csrf_matches("", "abc123"));
        // A session without a token (an API token's) matches nothing, not even an empty field.
        assert!(!csrf_matches("", ""));
    }
}
