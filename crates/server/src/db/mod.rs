//! Storage: embedded SQLite for a community on a laptop, PostgreSQL for a city.
//!
//! Both are reached through sqlx's `Any` driver so that one set of SQL serves both wherever the two
//! dialects agree (they share the `$1` placeholder style); on PostgreSQL, reads of many rows go
//! through a second pool of the driver's own (`Db::pg_rows`). Migrations are per backend and
//! embedded. Values crossing the boundary are kept to what `Any` carries: integers, floats, text.
//! Times are unix seconds, dates ISO text, flags 0/1.

pub mod accounts;
pub mod address_numbers;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod bulk;
pub mod care;
pub mod checks;
pub mod day_stats;
pub mod dispatch;
pub mod export;
pub mod gate;
pub mod grid_names;
pub mod grid_stats;
pub mod health;
pub mod help;
pub mod households;
pub mod import;
pub mod notices;
pub mod observation;
pub mod purge;
pub mod quarantine;
pub mod registry;
pub mod report_stats;
pub mod reports;
pub mod resident_links;
pub mod resident_self;
pub mod risk;
pub mod roster;
pub mod rounds;
pub mod scope;
pub mod state_changes;
pub mod supplies;
pub mod surveys;
pub mod units;
pub mod value_set;

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyTransactionManager};
use sqlx::{AnyPool, Connection, Executor};
use sqlx_core::transaction::TransactionManager;

pub use scope::Scope;

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// On PostgreSQL, a second pool of the driver's own connections for reads that hand over many
    /// rows (pages of residents): the `Any` layer converts each row and each of its values once
    /// more on the way, half of a list's work in the server. Opened on first use.
    pg_rows: Option<sqlx::PgPool>,
    /// Shared by every clone of this `Db` (grid_names.rs).
    grid_names: std::sync::Arc<grid_names::GridNames>,
}

/// Errors of the store, in the terms the web edge turns into answers.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Missing, deleted, or outside the caller's jurisdiction: the caller cannot tell which.
    #[error("not found")]
    NotFound,
    /// Someone else changed the record since the caller read it.
    #[error("the record was changed by someone else")]
    Conflict,
    /// A rule of the registry refused the change; `field` names the input at fault.
    #[error("{field}: {code}")]
    Invalid {
        field: &'static str,
        code: &'static str,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

static MIGRATIONS_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static MIGRATIONS_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    /// Opens the database named by `url` (`sqlite://…` or `postgres://…`); a SQLite file is created
    /// when missing. Does not migrate: call [`Db::migrate`].
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url_with_create(url))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (Backend::Postgres, url.to_string())
        } else {
            anyhow::bail!("the database URL must start with sqlite:// or postgres://");
        };
        let options: AnyConnectOptions = url.parse()?;
        let pool_options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(30))
            // sqlx tests every connection before handing it out: a round trip per query (to the
            // connection's thread on SQLite, to the server on PostgreSQL), a sixth of a list's
            // cost. A SQLite connection is a file opened in this process and cannot go stale;
            // a PostgreSQL one is tested only after lying idle (below), as HikariCP does.
            .test_before_acquire(false)
            .max_connections(pool_size(backend)?);
        let pool = match backend {
            Backend::Sqlite => {
                pool_options
                    // SQLite undoes a transaction itself when its disk is full (SQLITE_FULL, an I/O
                    // error) and its COMMIT fails; sqlx still counts that transaction open, so its
                    // ROLLBACK is refused and every later BEGIN on the connection fails ("begin_with
                    // at non-zero transaction depth"), long after space returns. Such a connection
                    // is closed here and a new one opened. A healthy connection comes back to the
                    // pool with its rollbacks done (the pool flushes them), at depth 0.
                    .before_acquire(|conn, _meta| {
                        Box::pin(async move {
                            Ok(AnyTransactionManager::get_transaction_depth(conn) == 0)
                        })
                    })
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // FULL: an acknowledged write survives power loss (SECURITY.md F).
                            // Reads through a memory map of the file (up to 1 GiB, a city's data)
                            // rather than a read() per page missing from each connection's own
                            // 2 MB cache: a carer's list at city scale lands on scattered pages,
                            // and its system calls were a third of its cost.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA mmap_size = 1073741824;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => postgres_session(pool_options).connect_with(options).await?,
        };
        let pg_rows = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(
                postgres_session(
                    sqlx::postgres::PgPoolOptions::new()
                        .acquire_timeout(Duration::from_secs(30))
                        .test_before_acquire(false)
                        .max_connections(pool_size(backend)?),
                )
                .connect_lazy(&url)?,
            ),
        };
        Ok(Db {
            pool,
            backend,
            pg_rows,
            grid_names: Default::default(),
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self.backend {
            Backend::Sqlite => MIGRATIONS_SQLITE.run(&self.pool).await?,
            Backend::Postgres => MIGRATIONS_POSTGRES.run(&self.pool).await?,
        }
        address_numbers::fill_if_pending(self).await?;
        Ok(())
    }

    /// A transaction that writes. SQLite takes its write lock at once (`BEGIN IMMEDIATE`), so that a
    /// transaction which reads before it writes cannot fail half-way when another writer commits.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn begin_write(&self) -> StoreResult<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The pool to read many rows through: the driver's own on PostgreSQL (see `pg_rows`).
    pub fn pg_rows(&self) -> Option<&sqlx::PgPool> {
        self.pg_rows.as_ref()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    /// One round trip: whether the database answers (`/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(pg) = &self.pg_rows {
            pg.close().await;
        }
    }
}

/// How each PostgreSQL connection of either pool is kept and set up.
fn postgres_session<DB: sqlx::Database>(
    options: sqlx::pool::PoolOptions<DB>,
) -> sqlx::pool::PoolOptions<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    options
        // A connection that broke while idle (the server restarted, a firewall dropped it) is
        // found here and replaced, not handed to a request. One in use within the last half
        // second is taken as alive.
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= Duration::from_millis(500) {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // The queries are prepared once per connection and their shapes are fixed;
                // re-planning each execution (PostgreSQL's default for the first runs, and
                // forever when it doubts the generic plan) cost more than running them.
                // No parallel workers: a request is small, and many run at once. A plan that
                // misjudged an address filter's rows started two workers per search (12 ms
                // instead of 1, and the CPU of the rest).
                // A page read costs about the same wherever it lies (SSD, or the data held in
                // memory): at the default random_page_cost of 4 (spinning disks) a carer's list of
                // 37 calls scanned all users and units to hash-join them rather than look up 37
                // of each (0.9 ms instead of 0.4).
                conn.execute(
                    "SET plan_cache_mode = force_generic_plan; \
                     SET max_parallel_workers_per_gather = 0; SET random_page_cost = 1.1",
                )
                .await?;
                Ok(())
            })
        })
}

/// How many connections the pool keeps: `SHOUHU_DB_CONNECTIONS` when set, else four per core for
/// SQLite (at least 4, at most 16) and 16 for PostgreSQL. Each SQLite connection is a thread of its
/// own; with 16 of them on two cores, a list's p99 under load was 20-40% above that with 4 or 8
/// (their queries preempted each other), while a few must stay free beside a long export.
fn pool_size(backend: Backend) -> anyhow::Result<u32> {
    if let Ok(v) = std::env::var("SHOUHU_DB_CONNECTIONS") {
        return match v.trim().parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => anyhow::bail!("SHOUHU_DB_CONNECTIONS must be a number from 1 to 1000, not {v:?}"),
        };
    }
    Ok(match backend {
        Backend::Sqlite => {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
            (cores * 4).clamp(4, 16)
        }
        Backend::Postgres => 16,
    })
}

/// `LIMIT n OFFSET m` written into the SQL as numbers, not bound: SQLite re-prepares a statement
/// every time a value in its LIMIT is bound again (it may plan around the value), which cost a
/// parse and a plan on every page of every list. Both numbers are integers the caller chose.
/// Ids written into SQL as `1,2,3`, for `IN (…)` over a jurisdiction's grids (read better by the
/// planner as a list than as a bound set). Integers only: nothing to quote.
pub(crate) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// The end of a correlated `EXISTS` / `NOT EXISTS` subquery that must stay one index probe per
/// outer row: on PostgreSQL `OFFSET 0` keeps the planner from turning it into a (anti-)join,
/// which it would plan from statistics that lag a table filling up during the day. SQLite always
/// probes (and refuses `OFFSET` without `LIMIT`).
pub(crate) fn probe_each(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => " OFFSET 0",
        Backend::Sqlite => "",
    }
}

pub fn limit_offset(limit: i64, offset: i64) -> String {
    format!("LIMIT {} OFFSET {}", limit.max(0), offset.max(0))
}

fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The earlier creation of `table` sent by the same person with the same key: its id, or a
/// refusal when the key came with something else (needs, purchase runs,
/// donations, deliveries, notices).
pub(crate) async fn replayed(
    tx: &mut Tx,
    table: &'static str,
    actor: &registry::Actor,
    key: &str,
    hash: &str,
) -> StoreResult<Option<i64>> {
    let sql = format!(
        "SELECT id, request_hash FROM {table} WHERE created_by = $1 AND idempotency_key = $2"
    );
    let earlier: Option<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(actor.user_id)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    match earlier {
        Some((_, h)) if h != hash => Err(StoreError::Invalid {
            field: "idempotency_key",
            code: "idempotency_key_reused",
        }),
        Some((id, _)) => Ok(Some(id)),
        None => Ok(None),
    }
}

/// Now, in unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The latest date anywhere on earth (UTC+14): a birth date after it is impossible whatever the
/// configured time zone, and one on it is possible.
pub fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(14)).date_naive()
}

/// A flag read from a 0/1 integer column.
pub fn flag(v: i64) -> bool {
    v != 0
}
