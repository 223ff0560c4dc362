//! The code and name of each grid, kept in memory for the pages of residents.
//!
//! A page of 20 residents joined to `org_units` for its grids' code and name: on PostgreSQL that
//! join was a third of a list's database work (twenty index look-ups into the same one or two
//! grids, or a hash of all 1,900 units of a city under the generic plan). An org unit's code and
//! name never change once it is created — nothing updates or deletes `org_units` — so what was
//! read once stays true, and a unit created since (here or by another server) is read when first
//! met. Should units ever be renamed, this memory must be told, like the session cache.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::registry::Resident;
use super::{Db, StoreError, StoreResult};

/// A grid's code and name.
type Names = (Arc<str>, Arc<str>);

#[derive(Default)]
pub struct GridNames {
    map: RwLock<HashMap<i64, Names>>,
}

impl GridNames {
    fn get(&self, id: i64) -> Option<Names> {
        self.map.read().ok()?.get(&id).cloned()
    }

    fn missing(&self, ids: impl Iterator<Item = i64>) -> Vec<i64> {
        let Ok(map) = self.map.read() else {
            return ids.collect();
        };
        let mut missing: Vec<i64> = ids.filter(|id| !map.contains_key(id)).collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }

    fn insert(&self, rows: Vec<(i64, String, String)>) {
        if let Ok(mut map) = self.map.write() {
            for (id, code, name) in rows {
                map.insert(id, (code.into(), name.into()));
            }
        }
    }
}

/// Fills in each resident's `grid_code` and `grid_name` from their `grid_id`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fill(db: &Db, residents: &mut [Resident]) -> StoreResult<()> {
    let missing = db.grid_names.missing(residents.iter().map(|r| r.grid_id));
    if !missing.is_empty() {
        let params = (1..=missing.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!("SELECT id, code, name FROM org_units WHERE id IN ({params})");
        let mut query = sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql));
        for id in &missing {
            query = query.bind(*id);
        }
        db.grid_names.insert(query.fetch_all(&db.pool).await?);
    }
    for r in residents {
        // A resident's grid is an org unit by foreign key: not finding it means the database
        // changed under us, which is an error to report, not a page with blank grids.
        let (code, name) = db
            .grid_names
            .get(r.grid_id)
            .ok_or(StoreError::Database(sqlx::Error::RowNotFound))?;
        r.grid_code = code.to_string();
        r.grid_name = name.to_string();
    }
    Ok(())
}
