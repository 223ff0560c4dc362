//! Following a request: each gets an id (`x-request-id`, kept when a proxy in front set one, and
//! sent back), a span that carries it with the method and the path, and the store calls made
//! within it as child spans (`level = "debug"` on the store's functions). A request slower than a
//! second is logged as a warning with its id; `RUST_LOG=shouhu_server=debug,tower_http=debug`
//! shows every request and every store call with their times.
//!
//! The query string is never logged: a search holds names and ID numbers. Nor is a household
//! link's token: `/h/{token}/…` is logged as `/h/*/…` (the token opens the household's pages).

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request, Response};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tracing::Span;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request slower than this is worth a warning.
const SLOW: Duration = Duration::from_secs(1);

fn span_for<B>(req: &Request<B>) -> Span {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        id,
        method = %req.method(),
        path = %redacted(req.uri().path()),
    )
}

/// The path as it may be logged: a household link's token replaced by `*`.
fn redacted(path: &str) -> std::borrow::Cow<'_, str> {
    match path.strip_prefix("/h/") {
        Some(rest) => {
            let after = rest.find('/').map_or("", |i| &rest[i..]);
            format!("/h/*{after}").into()
        }
        None => path.into(),
    }
}

fn on_response<B>(res: &Response<B>, latency: Duration, _span: &Span) {
    let status = res.status().as_u16();
    if latency >= SLOW {
        tracing::warn!(status, ms = latency.as_millis() as u64, "slow request");
    } else {
        tracing::debug!(status, us = latency.as_micros() as u64, "answered");
    }
}

/// `app` with request ids and the request's span around everything it does.
pub fn with_request_ids(app: Router) -> Router {
    app.layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(span_for)
                .on_request(())
                .on_response(on_response),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_household_token_never_reaches_the_log() {
        assert_eq!(redacted("/h/abcDEF123_-xyz"), "/h/*");
        assert_eq!(redacted("/h/abcDEF123_-xyz/checks"), "/h/*/checks");
        assert_eq!(redacted("/households/7"), "/households/7");
        assert_eq!(redacted("/help"), "/help");
    }
}
