//! The application's error: what went wrong, in terms both edges share.
//!
//! Every failure becomes one `AppError` with a stable snake_case code, the field at fault when there
//! is one, and a message in words. The API answers it as JSON `{"error", "field", "message"}`; pages
//! show the message translated next to the field (the HTTP status is the web edge's business, in
//! `web::error`). A record outside the caller's jurisdiction is `not_found`, exactly like one that
//! does not exist. Internal errors keep their detail for the log only.

use serde::Serialize;

use crate::db::StoreError;

#[derive(Debug)]
pub enum AppError {
    Unauthorized,
    InvalidCredentials,
    PasswordChangeRequired,
    Forbidden,
    NotFound,
    Conflict,
    /// A request someone else has claimed first: their name.
    Taken(String),
    Throttled,
    UnsupportedMediaType,
    PayloadTooLarge,
    /// Input refused: field name, stable code, message — the first fault; `more` holds the
    /// others of the same request, so that a form can mark every field at fault at once.
    Invalid {
        field: String,
        code: String,
        message: String,
        more: Vec<Fault>,
    },
    /// The database could not be reached (down, restarting, every connection busy for the
    /// pool's whole wait): worth trying again shortly, unlike an internal error.
    Unavailable(String),
    Internal(String),
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `not_found`, `invalid_input`, `version_conflict`.
    pub error: String,
    /// The input field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
    /// Refused input: every field at fault, the first (`field`) included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Fault>,
}

/// One field at fault in refused input.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Fault {
    pub field: String,
    /// Stable snake_case code, e.g. `required`, `invalid_id_number`.
    pub code: String,
    pub message: String,
}

/// The faults of a request gathered field by field, so that all of them are answered at once
/// rather than the first alone.
#[derive(Debug, Default)]
pub struct Faults(Vec<Fault>);

impl Faults {
    /// The value of a check that passed, or `None` with its faults noted; an error that is not
    /// about the input (the database, the caller's rights) is returned as is.
    pub fn take<T>(&mut self, checked: Result<T, AppError>) -> Result<Option<T>, AppError> {
        match checked {
            Ok(v) => Ok(Some(v)),
            Err(e @ AppError::Invalid { .. }) => {
                self.0.extend(e.faults());
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(Fault {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// All the faults as one error (the first leading), or `Ok` when there are none.
    pub fn into_result(self) -> Result<(), AppError> {
        let mut all = self.0.into_iter();
        match all.next() {
            None => Ok(()),
            Some(first) => Err(AppError::Invalid {
                field: first.field,
                code: first.code,
                message: first.message,
                more: all.collect(),
            }),
        }
    }
}

impl AppError {
    pub fn invalid(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> AppError {
        AppError::Invalid {
            field: field.into(),
            code: code.into(),
            message: message.into(),
            more: Vec::new(),
        }
    }

    /// Every field at fault of refused input, the first first; none for other errors.
    pub fn faults(&self) -> Vec<Fault> {
        match self {
            AppError::Invalid {
                field,
                code,
                message,
                more,
            } => std::iter::once(Fault {
                field: field.clone(),
                code: code.clone(),
                message: message.clone(),
            })
            .chain(more.iter().cloned())
            .collect(),
            _ => Vec::new(),
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (error, field, message): (&str, Option<String>, String) = match self {
            AppError::Unauthorized => ("unauthorized", None, "sign in first".into()),
            AppError::InvalidCredentials => (
                "invalid_credentials",
                None,
                "wrong user name or password".into(),
            ),
            AppError::PasswordChangeRequired => (
                "password_change_required",
                None,
                "change your password before anything else".into(),
            ),
            AppError::Forbidden => ("forbidden", None, "your role may not do this".into()),
            AppError::NotFound => ("not_found", None, "no such record".into()),
            AppError::Conflict => (
                "version_conflict",
                Some("version".into()),
                "someone else changed this record; reload it and apply your change again".into(),
            ),
            AppError::Taken(who) => ("already_claimed", None, format!("already taken by {who}")),
            AppError::Throttled => (
                "too_many_attempts",
                None,
                "too many failed sign-ins; wait 15 minutes".into(),
            ),
            // The header and the body are what a client has to fix: named like a field.
            AppError::UnsupportedMediaType => (
                "unsupported_media_type",
                Some("content-type".into()),
                "send the body as application/json, with Content-Type: application/json".into(),
            ),
            AppError::PayloadTooLarge => (
                "payload_too_large",
                Some("body".into()),
                "the request is too large".into(),
            ),
            AppError::Invalid {
                field,
                code,
                message,
                ..
            } => (code.as_str(), Some(field.clone()), message.clone()),
            AppError::Unavailable(_) => (
                "unavailable",
                None,
                "the database is busy or cannot be reached just now; try again in a moment".into(),
            ),
            AppError::Internal(_) => (
                "internal",
                None,
                "something went wrong on the server".into(),
            ),
        };
        ErrorBody {
            error: error.to_string(),
            field,
            message,
            errors: self.faults(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict => AppError::Conflict,
            StoreError::Invalid { field, code } => {
                AppError::invalid(field, code, code.replace('_', " "))
            }
            StoreError::Database(e) => e.into(),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> AppError {
        if database_unreachable(&e) {
            AppError::Unavailable(e.to_string())
        } else if matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()) {
            // The store checks before it writes; a unique key that still refuses the row means
            // someone else wrote the same thing in between (two follow-ups of one day, two visits
            // of one household): theirs stands, this one changed nothing.
            AppError::Conflict
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

/// Whether `e` says the database could not do it just now rather than that a statement failed:
/// the connection broke, none came free in time, or PostgreSQL is shutting down, restarting or
/// refusing connections (SQLSTATE classes 08 and 57P), or it chose this transaction to break a
/// deadlock or a serialization conflict (40P01, 40001; nothing of it was written); or SQLite found
/// the database busy or locked past its wait, its disk full, or could not read or write it (the
/// statement or its transaction is undone) — the same request a moment later, or once space
/// returns, succeeds.
pub fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                return d
                    .code()
                    .and_then(|c| c.parse::<i32>().ok())
                    .is_some_and(|c| {
                        // Extended codes carry the primary one in their low byte.
                        matches!(
                            c & 0xff,
                            SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_FULL
                        )
                    });
            }
            d.code().is_some_and(|c| {
                c.starts_with("08") || c.starts_with("57P") || c == "40P01" || c == "40001"
            })
        }
        _ => false,
    }
}

// SQLite's primary result codes (sqlite3.h).
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> AppError {
        AppError::Internal(format!("{e:#}"))
    }
}

pub type ApiResult<T> = Result<T, AppError>;
