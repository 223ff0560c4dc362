//! The caller: the signed-in person, their role and their jurisdiction, as every operation of the
//! service sees them (how a request proves who it is belongs to the web edge, `web::auth`).

use shouhu_domain::{Right, Role, mask};

use super::AppState;
use super::error::AppError;
use crate::db::Scope;
use crate::db::accounts::Session;
use crate::db::audit::{self, NewEntry};
use crate::db::registry::Actor;
use crate::db::units::Unit;

#[derive(Clone, Debug)]
pub struct Caller {
    pub session: Session,
    pub address: String,
    pub via_cookie: bool,
    /// The jurisdiction's grids, resolved with the session.
    pub grids: std::sync::Arc<Vec<i64>>,
    pub(crate) units: crate::service::session_cache::Units,
}

/// Re-authentication is fresh for 5 minutes: long enough to look at a few cards, short enough that
/// a phone left on a table does not unmask anything.
pub const REAUTH_FRESH_SECS: i64 = 5 * 60;

impl Caller {
    /// The units of the caller's jurisdiction, read once per session-cache entry (so at most a
    /// cache lifetime old, like the grids) rather than on every page.
    pub async fn units(&self, db: &crate::db::Db) -> crate::db::StoreResult<Vec<Unit>> {
        let scope = self.scope();
        self.units
            .get_or_try_init(|| crate::db::units::list(db, &scope))
            .await
            .cloned()
    }

    pub fn scope(&self) -> Scope {
        Scope {
            grids: Some(self.grids.clone()),
            ..self.session.scope()
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.session.user.id,
            username: self.session.user.username.clone(),
            address: self.address.clone(),
        }
    }

    /// Whether the password must be changed before anything else. Demo accounts are exempt only
    /// while the server runs as `shouhu demo`.
    pub fn must_change_password(&self, state: &AppState) -> bool {
        self.session.user.must_change_password
            && !(state.settings.demo_mode
                && crate::demo::is_demo_account(&self.session.user.username))
    }

    /// Refuses (403) and audits when the role lacks `right`.
    pub async fn require(
        &self,
        state: &AppState,
        right: Right,
        what: &'static str,
    ) -> Result<(), AppError> {
        if self.session.user.role.has(right) {
            return Ok(());
        }
        self.audit_refusal(state, what, "", "forbidden").await;
        Err(AppError::Forbidden)
    }

    /// Records a refused access. A failure to write it is logged, never shown: the refusal stands.
    pub async fn audit_refusal(
        &self,
        state: &AppState,
        action: &'static str,
        object_id: &str,
        result: &'static str,
    ) {
        let entry = NewEntry {
            actor_id: Some(self.session.user.id),
            actor: self.session.user.username.clone(),
            action,
            object_kind: "",
            object_id: object_id.to_string(),
            result,
            address: self.address.clone(),
            detail: String::new(),
        };
        if let Err(e) = audit::record(&state.db, &entry).await {
            tracing::error!(error = %e, "could not audit a refused access");
        }
    }
}

/// How the caller sees a person's name: in full where the role reads the registry (the list of
/// residents shows names so, and three people of one room must be told apart on every page), and
/// masked (林**) for the rest, a gate guard.
#[derive(Clone, Copy, Debug)]
pub struct Names {
    full: bool,
}

impl Names {
    pub fn of(role: Role) -> Names {
        Names {
            full: role.has(Right::ReadRegistry),
        }
    }

    pub fn show(self, name: &str) -> String {
        if self.full {
            name.to_string()
        } else {
            mask::name(name)
        }
    }
}

impl Caller {
    pub fn names(&self) -> Names {
        Names::of(self.session.user.role)
    }
}
