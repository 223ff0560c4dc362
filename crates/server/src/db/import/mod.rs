//! Importing residents from a sheet into one community: rows are matched by ID number, households by
//! grid and address, and everything needed is created in one transaction, in batches.
//!
//! The rules a user sees: a row with any problem is rejected whole and nothing of it is written;
//! an empty cell never erases what is stored; importing the same file twice changes nothing.

mod apply;
mod plan;

use serde::Serialize;

use super::registry::Actor;
use super::{Backend, Db, StoreError, StoreResult};
pub use crate::sheet::rows::{Problem, Rejected, ResidentRow};

pub use plan::{Plan, Planned};

/// Where the rows go: a community, the grids of it the caller may write to, and the grid for rows
/// that name none.
#[derive(Clone, Debug)]
pub struct Target {
    pub community_id: i64,
    pub community_name: String,
    /// The community's grids within the caller's jurisdiction.
    pub grids: Vec<Grid>,
    pub default_grid: Option<i64>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Grid {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// What an import did (or, for a dry run, would do).
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub households_created: u64,
    pub dry_run: bool,
}

/// Finds a community by code and the grids of it within reach: all of them for the command line
/// (`user_id` None), else those of the user's jurisdiction. NotFound when none is reachable.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn target(
    db: &Db,
    community_code: &str,
    grid_code: Option<&str>,
    user_id: Option<i64>,
) -> StoreResult<Target> {
    let community: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM org_units WHERE code = $1 AND kind = 'community'")
            .bind(community_code)
            .fetch_optional(&db.pool)
            .await?;
    let (community_id, community_name) = community.ok_or(StoreError::NotFound)?;
    let all: Vec<Grid> = sqlx::query_as(
        "SELECT u.id, u.code, u.name FROM org_units u JOIN unit_closure c ON c.descendant_id = u.id \
         WHERE c.ancestor_id = $1 AND u.kind = 'grid' ORDER BY u.code",
    )
    .bind(community_id)
    .fetch_all(&db.pool)
    .await?;
    let grids: Vec<Grid> = match user_id {
        None => all,
        Some(u) => {
            let mine = super::scope::grids_of_user(db, u).await?;
            all.into_iter().filter(|g| mine.contains(&g.id)).collect()
        }
    };
    if grids.is_empty() {
        return Err(StoreError::NotFound);
    }
    let default_grid = match grid_code {
        Some(code) => Some(
            grids
                .iter()
                .find(|g| g.code == code || g.name == code)
                .map(|g| g.id)
                .ok_or(StoreError::Invalid {
                    field: "grid",
                    code: "unknown_unit",
                })?,
        ),
        // One grid within reach: rows need not name it.
        None => (grids.len() == 1).then(|| grids[0].id),
    };
    Ok(Target {
        community_id,
        community_name,
        grids,
        default_grid,
    })
}

/// Plans the import of `rows` and, unless `dry_run`, writes it. `progress` is told how many rows
/// were written so far. Rows rejected by the sheet layer come in as `Err` and are counted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn import(
    db: &Db,
    target: &Target,
    actor: &Actor,
    rows: Vec<Result<ResidentRow, Rejected>>,
    source: &str,
    dry_run: bool,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> StoreResult<(Summary, Vec<Rejected>)> {
    if dry_run {
        // A read transaction: one consistent view, no write lock.
        let mut tx = db.pool.begin().await?;
        let plan = plan::plan(&mut tx, target, rows).await?;
        return Ok((plan.summary(true), plan.rejected));
    }
    let mut tx = db.begin_write().await?;
    if db.backend == Backend::Postgres {
        // Two imports into one community at once would both see a person as new.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK + target.community_id)
            .execute(&mut *tx)
            .await?;
    }
    let plan = plan::plan(&mut tx, target, rows).await?;
    let summary = plan.summary(false);
    apply::apply(&mut tx, db.backend, target, actor, &plan, source, progress).await?;
    tx.commit().await?;
    Ok((summary, plan.rejected))
}

/// Advisory lock keys of imports: this base plus the community's id (the audit chain uses its own).
const IMPORT_LOCK: i64 = 0x5348_4955_0000_0000;
