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

/// Inserts `rows` into `table` in batches. `table` and `columns` are code constants, never input.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
) -> StoreResult<()> {
    let per_batch = (MAX_BINDS / columns.len().max(1)).clamp(1, MAX_ROWS);
    // Binding a named SQLite parameter (`$N`, `?N`) looks its name up in a list, so a statement of
    // 14,000 of them costs quadratic time; anonymous `?` in order does not. PostgreSQL knows `$N`.
    let anonymous = tx.backend_name() == "SQLite";
    for chunk in rows.chunks(per_batch) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..columns.len() {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                if anonymous {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&n.to_string());
                }
            }
            sql.push(')');
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for v in row {
                q = match v {
                    Val::I(i) => q.bind(*i),
                    Val::T(t) => q.bind(t.clone()),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
