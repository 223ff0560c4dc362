//! Jurisdiction scope. Every store query that reads or writes residents or households takes a `Scope`
//! and joins it into its SQL, so no handler can forget it: a record outside the caller's jurisdiction
//! is simply not found.

use shouhu_domain::Role;

/// Who is asking. The jurisdiction itself lives in `staff_units` and is resolved inside each query
/// through the closure table.
#[derive(Clone, Debug)]
pub struct Scope {
    pub user_id: i64,
    pub role: Role,
    /// The jurisdiction's grids when the caller already resolved them (from the database, at most
    /// a session-cache lifetime ago); None makes the store look them up.
    pub grids: Option<std::sync::Arc<Vec<i64>>>,
}

/// SQL: the grid ids within the jurisdiction of the user bound at `$1`. Used as `grid_id IN (...)`.
/// Every query places the user id first so this one fragment serves all of them.
pub const GRIDS_OF_USER: &str = "SELECT c.descendant_id FROM staff_units su \
     JOIN unit_closure c ON c.ancestor_id = su.unit_id WHERE su.user_id = $1";

/// SQL: the unit ids (of any level) within the jurisdiction of the user bound at `$1`.
pub const UNITS_OF_USER: &str = GRIDS_OF_USER;

/// The grid ids within the caller's jurisdiction, for queries that list them as values.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grids(db: &super::Db, scope: &Scope) -> Result<std::sync::Arc<Vec<i64>>, sqlx::Error> {
    match &scope.grids {
        Some(g) => Ok(g.clone()),
        None => grids_of_user(db, scope.user_id)
            .await
            .map(std::sync::Arc::new),
    }
}

/// Grids only: households (and so residents) belong to grids, and each id listed costs every
/// index scan of a list one more descent (a community leader's 8 grids were 9 values with the
/// community's own id).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grids_of_user(db: &super::Db, user_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.descendant_id FROM staff_units su \
         JOIN unit_closure c ON c.ancestor_id = su.unit_id \
         JOIN org_units u ON u.id = c.descendant_id WHERE su.user_id = $1 AND u.kind = 'grid'",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await
}
