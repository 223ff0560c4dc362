//! Multi-row inserts for bulk work (demo seeding, imports): one statement per batch of rows instead
//! of one per row, which is what makes a city of a million residents load in minutes.

use super::{StoreResult, Tx};

/// A value to insert. Nulls carry their type, because PostgreSQL refuses a text NULL in a BIGINT column.
#[derive(Clone, Debug)]
pub enum Val {
    I(Option<i64>),
    T(Option<String>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Val {
        Val::I(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::T(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::T(Some(v.to_string()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Val {
        Val::T(v)
    }
}

/// Both databases accept well over 30,000 bound values per statement (SQLite ≥ 3.32: 32,766;
/// PostgreSQL: 65,535); staying under keeps one code path.
const MAX_BINDS: usize = 30_000;
const MAX_ROWS: usize = 1_000;

/// Inserts `rows` in multi-row statements of at most `MAX_ROWS` rows.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
) -> StoreResult<()> {
    for chunk in rows.chunks(per_statement(columns)) {
        sqlx::query_with(
            sqlx::AssertSqlSafe(insert_sql(tx, table, columns, chunk.len(), "")),
            arguments(chunk)?,
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// As `insert_rows`, and answers each new row's id with the text column `key` (an idempotency
/// key) from the same statements, so the caller need not look the rows up again.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_rows_returning(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
    key: &str,
) -> StoreResult<Vec<(String, i64)>> {
    let returning = format!(" RETURNING {key}, id");
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(per_statement(columns)) {
        let found: Vec<(String, i64)> = sqlx::query_as_with(
            sqlx::AssertSqlSafe(insert_sql(tx, table, columns, chunk.len(), &returning)),
            arguments(chunk)?,
        )
        .fetch_all(&mut **tx)
        .await?;
        out.extend(found);
    }
    Ok(out)
}

fn per_statement(columns: &[&str]) -> usize {
    (MAX_BINDS / columns.len().max(1)).clamp(1, MAX_ROWS)
}

/// `INSERT INTO table (columns) VALUES (…),(…)` for `n` rows, then `tail`.
fn insert_sql(tx: &Tx, table: &str, columns: &[&str], n: usize, tail: &str) -> String {
    // Binding a named SQLite parameter (`$N`, `?N`) looks its name up in a list, so a statement of
    // 14,000 of them costs quadratic time; anonymous `?` in order does not. PostgreSQL knows `$N`.
    let anonymous = tx.backend_name() == "SQLite";
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut k = 0;
    for i in 0..n {
        if i > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns.len() {
            if c > 0 {
                sql.push(',');
            }
            k += 1;
            if anonymous {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&k.to_string());
            }
        }
        sql.push(')');
    }
    sql.push_str(tail);
    sql
}

fn arguments(chunk: &[Vec<Val>]) -> StoreResult<sqlx::any::AnyArguments> {
    use sqlx::Arguments;
    let mut args = sqlx::any::AnyArguments::default();
    for row in chunk {
        for v in row {
            match v {
                Val::I(i) => args.add(*i),
                Val::T(t) => args.add(t.clone()),
            }
            .map_err(sqlx::Error::Encode)?;
        }
    }
    Ok(args)
}
