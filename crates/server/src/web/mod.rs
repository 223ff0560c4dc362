//! The web edge: the JSON API (`api/`), the server-rendered pages (`pages/`), and what they share —
//! the caller (`auth`), the error policy (`error`), input parsing (`json`, `validate`).

pub mod api;
pub mod auth;
pub mod download;
pub mod error;
pub mod json;
pub mod pages;
mod request_trace;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;

pub use crate::service::{AppState, session_cache, uploads, validate};

impl IntoResponse for crate::service::Download {
    fn into_response(self) -> axum::response::Response {
        // The name is ASCII by construction (codes and dates), so it needs no RFC 5987 form.
        let disposition = format!("attachment; filename=\"{}\"", self.file_name);
        (
            [
                (header::CONTENT_TYPE, self.mime),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            self.bytes,
        )
            .into_response()
    }
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

async fn openapi_json() -> impl IntoResponse {
    axum::Json(api::ApiDoc::openapi())
}

/// An unknown address: under `/api/` the API's JSON 404, anywhere else the error page (a person
/// who typed or followed a wrong link should not be shown raw JSON).
async fn not_found(request: axum::extract::Request) -> axum::response::Response {
    if request.uri().path().starts_with("/api/") {
        return error::AppError::NotFound.into_response();
    }
    let (parts, _) = request.into_parts();
    pages::not_found(&parts)
}

/// The baseline of the gate benchmark: the body stored by one autocommitted single-row insert.
async fn bench_insert(
    axum::extract::State(state): axum::extract::State<AppState>,
    body: String,
) -> impl IntoResponse {
    match crate::db::bench::insert(&state.db, body).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The whole service as one router.
pub fn app(state: AppState) -> Router {
    let api = api::router();
    let uploads = api::upload_router().merge(pages::upload_router()).layer(
        axum::extract::DefaultBodyLimit::max(api::sheets::MAX_UPLOAD_BYTES),
    );
    let small = Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi_json))
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/api/docs")
                .url("/api/docs/openapi.json", api::ApiDoc::openapi()),
        )
        .merge(api)
        .merge(pages::router())
        .layer(RequestBodyLimitLayer::new(2 * 1024 * 1024));
    let bench = if state.settings.bench_endpoints {
        Router::new().route("/bench/insert", axum::routing::post(bench_insert))
    } else {
        Router::new()
    };
    let app = Router::new()
        .merge(small)
        .merge(uploads)
        .merge(bench)
        .fallback(not_found)
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        // Personal data must not linger in caches or be framed by other sites (SECURITY.md D).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ));
    request_trace::with_request_ids(app)
}

/// Serves until Ctrl-C or SIGTERM, then lets requests in flight finish.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
