//! What a page's form handler takes: the signed-in caller and the form, its CSRF token already
//! checked. `PageCaller` refuses a request that changes something unless one of these extractors
//! took it, so a form handler cannot forget the check: the handler fails on its first use.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::{PageCaller, PageError};
use crate::i18n::Tr;
use crate::web::AppState;
use crate::web::auth::csrf_matches;
use crate::web::error::AppError;

/// Set by the form extractors before `PageCaller` runs: the token will be checked against the
/// body, which `PageCaller` (reading the head only) cannot see.
#[derive(Clone, Copy)]
pub(super) struct CsrfFromBody;

/// The form field that carries the session's CSRF token.
const CSRF_FIELD: &str = "csrf";
/// The multipart field that carries an uploaded file.
const FILE_FIELD: &str = "file";

impl PageCaller {
    /// Refuses (audited) a token that is not the session's.
    async fn check_csrf(&self, state: &AppState, sent: &str) -> Result<(), PageError> {
        if csrf_matches(sent, &self.caller.session.csrf_token) {
            return Ok(());
        }
        self.caller
            .audit_refusal(state, "csrf.refused", "", "forbidden")
            .await;
        Err(PageError::new(self.t(), AppError::Forbidden).csrf())
    }
}

/// A URL-encoded form (`T` from its fields; the token field is left out of `T` and checked here).
pub struct PageForm<T> {
    pub pc: PageCaller,
    pub form: T,
}

/// The caller of a page request that changes something, before its body is read.
async fn form_caller(
    parts: &mut axum::http::request::Parts,
    state: &AppState,
) -> Result<PageCaller, Response> {
    parts.extensions.insert(CsrfFromBody);
    PageCaller::from_request_parts(parts, state).await
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let pc = form_caller(&mut parts, state).await?;
        let t = pc.t();
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| PageError::new(t, AppError::PayloadTooLarge).into_response())?;
        let sent = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        pc.check_csrf(state, &sent)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            PageError::new(
                t,
                AppError::invalid("form", "malformed_form", e.to_string()),
            )
            .into_response()
        })?;
        Ok(PageForm { pc, form })
    }
}

/// A form of no fields but its token (a button that does one thing).
#[derive(serde::Deserialize)]
pub struct NoFields {}

/// A multipart form read whole: its text fields, and its one file (name and bytes) if any.
pub struct PageUpload {
    pub pc: PageCaller,
    pub fields: Vec<(String, String)>,
    pub file: Option<(String, Bytes)>,
}

impl PageUpload {
    /// A text field's value, empty when absent.
    pub fn field(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

fn cut_off(t: Tr, status: StatusCode) -> Response {
    let e = if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::invalid("file", "file_damaged", "the upload was cut off")
    };
    PageError::new(t, e).into_response()
}

impl FromRequest<AppState> for PageUpload {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let pc = form_caller(&mut parts, state).await?;
        let t = pc.t();
        let mut form = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| cut_off(t, e.status()))?;
        let (mut fields, mut file) = (Vec::new(), None);
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| cut_off(t, e.status()))?
        {
            let name = field.name().unwrap_or("").to_string();
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(|e| cut_off(t, e.status()))?;
            if name == FILE_FIELD {
                file = Some((file_name, bytes));
            } else {
                fields.push((name, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        let sent = fields
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        pc.check_csrf(state, &sent)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(PageUpload { pc, fields, file })
    }
}

/// Whether a request that changes something came through a form extractor (see `PageCaller`).
pub(super) fn csrf_checked_by_form(parts: &axum::http::request::Parts) -> bool {
    parts.method.is_safe() || parts.extensions.get::<CsrfFromBody>().is_some()
}
