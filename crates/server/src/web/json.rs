//! `ApiJson<T>`: the JSON body extractor of the API. It insists on `application/json`, and names the
//! field at fault for a wrong type, a missing field or an unknown one (via serde_path_to_error), so
//! a client always learns what to fix. `JsonOfSize<T>`: a large JSON answer written in one go.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use super::error::AppError;

pub struct ApiJson<T>(pub T);

/// A JSON answer of about `.1` bytes, written into one buffer of that size. axum's `Json` starts
/// from 128 bytes and writes through a `BytesMut` writer, growing it as it goes: for a page of
/// residents (8 KB of short strings, a few hundred writes) a third of writing the answer.
pub struct JsonOfSize<T>(pub T, pub usize);

impl<T: serde::Serialize> axum::response::IntoResponse for JsonOfSize<T> {
    fn into_response(self) -> axum::response::Response {
        let mut body = Vec::with_capacity(self.1);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => ([(CONTENT_TYPE, "application/json")], body).into_response(),
            // Only a map with non-string keys fails to serialize; none is sent.
            Err(e) => AppError::Internal(e.to_string()).into_response(),
        }
    }
}

/// API bodies are small; a larger one is refused before it is read.
pub const MAX_JSON_BYTES: usize = 256 * 1024;

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::PayloadTooLarge)?;
        parse(&bytes).map(ApiJson)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // serde reports unknown and missing fields in the message, not the path: lift the name out.
        let named = |marker: &str| {
            msg.split(marker)
                .nth(1)
                .and_then(|rest| rest.split('`').next())
                .map(str::to_string)
        };
        let (field, code) = if msg.starts_with("unknown field") {
            (named("unknown field `"), "unknown_field")
        } else if msg.starts_with("missing field") {
            (named("missing field `"), "missing_field")
        } else if inner.is_syntax() || inner.is_eof() {
            (None, "malformed_json")
        } else {
            (None, "invalid_type")
        };
        let field = match (field, path.as_str(), code) {
            // serde_path_to_error already ends the path with an unknown field's name.
            (_, p, "unknown_field") if p != "." => p.to_string(),
            (Some(f), "." | "", _) => f,
            (Some(f), p, _) => format!("{p}.{f}"),
            (None, p, _) if p != "." => p.to_string(),
            (None, _, _) => "body".to_string(),
        };
        AppError::invalid(field, code, msg)
    })?;
    // One value and nothing after it but white space: `{..} garbage` is as malformed as a body
    // cut short, and accepting it would act on a body the client did not mean to send.
    de.end().map_err(|e| {
        AppError::invalid(
            "body",
            "malformed_json",
            format!("characters after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

/// `ApiQuery<T>`: query-string parameters, refused with the parameter named when malformed.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let msg = e.into_inner().to_string();
                let field = if path == "." {
                    msg.split('`').nth(1).unwrap_or("query").to_string()
                } else {
                    path
                };
                AppError::invalid(field, "invalid_parameter", msg)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code)]
    struct Body {
        name: String,
        version: i64,
    }

    fn field_of(json: &str) -> (String, String) {
        match parse::<Body>(json.as_bytes()) {
            Err(AppError::Invalid { field, code, .. }) => (field, code),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn wrong_type_names_the_field() {
        assert_eq!(
            field_of(r#"{"name":12345,"version":1}"#),
            ("name".into(), "invalid_type".into())
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        assert_eq!(
            field_of(r#"{"name":"a","version":1,"extra":1}"#),
            ("extra".into(), "unknown_field".into())
        );
        assert_eq!(
            field_of(r#"{"name":"a"}"#),
            ("version".into(), "missing_field".into())
        );
    }

    #[test]
    fn broken_json_is_malformed() {
        assert_eq!(field_of(r#"{"name":"#).1, "malformed_json");
    }
}
