//! The error policy of the web edge: the HTTP status of each `AppError` and its JSON answer.
//! Internal errors are logged with their detail and answered as a bare `internal` 500: nothing of
//! the database reaches the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub use crate::service::error::{ApiResult, AppError, ErrorBody, database_unreachable};

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::PasswordChangeRequired | AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict | AppError::Taken(_) => StatusCode::CONFLICT,
            AppError::Throttled => StatusCode::TOO_MANY_REQUESTS,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// How long a client should wait before trying again after a 503, in seconds.
pub const RETRY_AFTER_SECONDS: &str = "5";

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
                return (
                    self.status(),
                    [(axum::http::header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
                    Json(self.body()),
                )
                    .into_response();
            }
            _ => {}
        }
        (self.status(), Json(self.body())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::StoreError;

    /// A database's error with only its SQLSTATE.
    #[derive(Debug)]
    struct Coded(&'static str);

    impl std::fmt::Display for Coded {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            match self.0 {
                "23505" => sqlx::error::ErrorKind::UniqueViolation,
                "23503" => sqlx::error::ErrorKind::ForeignKeyViolation,
                _ => sqlx::error::ErrorKind::Other,
            }
        }
    }

    fn coded(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(Coded(code)))
    }

    /// A real SQLite refusal: a second writer meets the first's lock with no time to wait.
    #[tokio::test]
    async fn a_busy_sqlite_database_is_a_503_to_try_again() {
        use sqlx::ConnectOptions;
        use sqlx::sqlite::SqliteConnectOptions;
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("busy.db"))
            .create_if_missing(true)
            .busy_timeout(std::time::Duration::ZERO);
        let mut first = options.connect().await.unwrap();
        let mut second = options.connect().await.unwrap();
        sqlx::raw_sql("CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)")
            .execute(&mut first)
            .await
            .unwrap();
        let busy = sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut second)
            .await
            .unwrap_err();
        assert!(database_unreachable(&busy), "{busy}");
        let response = AppError::from(busy).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            response
                .headers()
                .contains_key(axum::http::header::RETRY_AFTER)
        );
        // A statement that is wrong stays a failure of its own, not a "try again".
        let wrong = sqlx::query("INSERT INTO no_such_table VALUES (1)")
            .execute(&mut second)
            .await
            .unwrap_err();
        assert!(!database_unreachable(&wrong), "{wrong}");
    }

    #[test]
    fn an_unreachable_database_is_a_503_to_try_again_a_lost_race_a_409_and_a_failed_statement_a_500()
     {
        let broken = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        for (e, status) in [
            (broken, StatusCode::SERVICE_UNAVAILABLE),
            (sqlx::Error::PoolTimedOut, StatusCode::SERVICE_UNAVAILABLE),
            (sqlx::Error::RowNotFound, StatusCode::INTERNAL_SERVER_ERROR),
            (coded("40P01"), StatusCode::SERVICE_UNAVAILABLE),
            (coded("40001"), StatusCode::SERVICE_UNAVAILABLE),
            (coded("57P01"), StatusCode::SERVICE_UNAVAILABLE),
            (coded("23505"), StatusCode::CONFLICT),
            (coded("23503"), StatusCode::INTERNAL_SERVER_ERROR),
        ] {
            let response = AppError::from(StoreError::Database(e)).into_response();
            assert_eq!(response.status(), status);
            let retry = response.headers().get(axum::http::header::RETRY_AFTER);
            assert_eq!(
                retry.is_some(),
                status == StatusCode::SERVICE_UNAVAILABLE,
                "{status}"
            );
        }
    }
}
