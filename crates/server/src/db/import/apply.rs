//! Writing a planned import: buildings and units, then households, then residents, in batches, with
//! the grids' totals and the audit log moved in the same transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Target;
use super::plan::{HouseholdKey, HouseholdRef, Plan, Planned};
use crate::db::bulk::{Val, insert_rows};
use crate::db::registry::{Actor, phone_last4};
use crate::db::{Backend, StoreResult, Tx, address_numbers, audit, now, value_set};

const RESIDENT_COLUMNS: [&str; 14] = [
    "household_id",
    "grid_id",
    "name",
    "id_number",
    "id_last4",
    "sex",
    "birth_date",
    "phone_last4",
    "phone",
    "relation",
    "tags",
    "note",
    "created_at",
    "updated_at",
];

#[tracing::instrument(level = "debug", skip_all)]
pub async fn apply(
    tx: &mut Tx,
    backend: Backend,
    target: &Target,
    actor: &Actor,
    plan: &Plan,
    source: &str,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> StoreResult<()> {
    let t = now();
    let total = (plan.creates.len() + plan.updates.len()) as u64;
    // By grid id, so that the grids' totals are updated in one order whatever the sheet's.
    let mut grid_delta: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    // Appended after every row is written: on PostgreSQL an entry takes the audit chain's lock,
    // which a concurrent write takes only after its own rows. Taken here first, the import would
    // hold it while waiting for a row that such a write holds while waiting for it: a deadlock.
    let mut entries = Vec::with_capacity(plan.updates.len() + 1);
    let new_ids = create_households(tx, target, plan, t).await?;
    for h in &plan.new_households {
        grid_delta.entry(h.key.grid_id).or_default().1 += 1;
    }
    let household_id = |p: &Planned| match p.household {
        HouseholdRef::Existing(id) => id,
        HouseholdRef::New(i) => new_ids[i],
    };
    let mut touched: BTreeSet<i64> = BTreeSet::new();
    let mut done = 0u64;
    for chunk in plan.creates.chunks(5_000) {
        let rows: Vec<Vec<Val>> = chunk
            .iter()
            .map(|p| {
                let r = &p.row;
                let hh = household_id(p);
                touched.insert(hh);
                grid_delta.entry(p.grid_id).or_default().0 += 1;
                let phone = r.phone.as_ref().map(|p| p.as_str().to_string());
                vec![
                    Val::from(hh),
                    Val::from(p.grid_id),
                    Val::from(r.name.as_str()),
                    Val::from(r.id_number.as_str()),
                    Val::from(r.id_number.last4()),
                    Val::from(r.id_number.sex().as_str()),
                    Val::from(r.id_number.birth_date().to_string()),
                    Val::from(phone.as_deref().map(phone_last4)),
                    Val::from(phone),
                    Val::from(r.relation.as_str()),
                    Val::from(r.tags.as_ref().map(|t| t.to_stored()).unwrap_or_default()),
                    Val::from(r.note.as_str()),
                    Val::from(t),
                    Val::from(t),
                ]
            })
            .collect();
        insert_rows(tx, "residents", &RESIDENT_COLUMNS, &rows).await?;
        done += chunk.len() as u64;
        progress(done, total);
    }
    for (p, e, changed) in &plan.updates {
        let hh = household_id(p);
        touched.insert(hh);
        let r = &p.row;
        let phone = r
            .phone
            .as_ref()
            .map(|p| p.as_str().to_string())
            .or(e.phone.clone());
        let pick = |new: &str, old: &str| {
            if new.is_empty() {
                old.to_string()
            } else {
                new.to_string()
            }
        };
        sqlx::query(
            "UPDATE residents SET household_id = $1, grid_id = $2, name = $3, phone = $4, \
             phone_last4 = $5, relation = $6, tags = $7, note = $8, version = version + 1, \
             updated_at = $9 WHERE id = $10",
        )
        .bind(hh)
        .bind(p.grid_id)
        .bind(&r.name)
        .bind(phone.clone())
        .bind(phone.as_deref().map(phone_last4))
        .bind(pick(&r.relation, &e.relation))
        .bind(
            r.tags
                .as_ref()
                .map(|t| t.to_stored())
                .unwrap_or(e.tags.clone()),
        )
        .bind(pick(&r.note, &e.note))
        .bind(t)
        .bind(e.id)
        .execute(&mut **tx)
        .await?;
        if hh != e.household_id {
            // A head who moved out heads the old household no more.
            sqlx::query("UPDATE households SET head_resident_id = NULL WHERE id = $1 AND head_resident_id = $2")
                .bind(e.household_id)
                .bind(e.id)
                .execute(&mut **tx)
                .await?;
        }
        if p.grid_id != e.grid_id {
            grid_delta.entry(e.grid_id).or_default().0 -= 1;
            grid_delta.entry(p.grid_id).or_default().0 += 1;
        }
        // Field names only: the values may be an ID number or a phone, which the log never holds.
        let detail = format!("import {source}: changed {}", changed.join(","));
        entries.push(actor.entry("resident.update", "resident", e.id, detail));
        done += 1;
        if done.is_multiple_of(1_000) {
            progress(done, total);
        }
    }
    set_heads(tx, &touched).await?;
    copy_addresses(tx, backend, &touched).await?;
    for (grid, (residents, hh)) in grid_delta {
        crate::db::grid_stats::add(tx, grid, residents, hh).await?;
    }
    let s = plan.summary(false);
    let detail = format!(
        "import {source}: created {} updated {} unchanged {} rejected {} households_created {}",
        s.created, s.updated, s.unchanged, s.rejected, s.households_created
    );
    entries.push(actor.entry("import.residents", "org_unit", target.community_id, detail));
    for e in &entries {
        audit::append(tx, backend, e).await?;
    }
    progress(done, total);
    Ok(())
}

/// Creates the plan's new households (and their buildings and units) and returns their ids, in the
/// plan's order.
async fn create_households(
    tx: &mut Tx,
    target: &Target,
    plan: &Plan,
    t: i64,
) -> StoreResult<Vec<i64>> {
    if plan.new_households.is_empty() {
        return Ok(Vec::new());
    }
    let units = building_units(tx, target, plan).await?;
    let rows: Vec<Vec<Val>> = plan
        .new_households
        .iter()
        .map(|h| {
            let k = &h.key;
            let unit = units
                .get(&(k.grid_id, k.building.clone(), k.unit.clone()))
                .copied();
            vec![
                Val::from(k.grid_id),
                Val::from(unit),
                Val::from(k.room.as_str()),
                Val::from(h.address.as_str()),
                Val::from(t),
                Val::from(t),
            ]
        })
        .collect();
    insert_rows(
        tx,
        "households",
        &[
            "grid_id",
            "building_unit_id",
            "room",
            "address",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;
    // Read the ids back by place: neither database promises the order of a multi-row RETURNING.
    let created: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
        "SELECT h.id, h.grid_id, COALESCE(b.name, ''), COALESCE(bu.name, ''), h.room, h.address \
         FROM households h JOIN unit_closure c ON c.descendant_id = h.grid_id \
         LEFT JOIN building_units bu ON bu.id = h.building_unit_id \
         LEFT JOIN buildings b ON b.id = bu.building_id \
         WHERE c.ancestor_id = $1 AND h.deleted_at IS NULL AND h.created_at = $2",
    )
    .bind(target.community_id)
    .bind(t)
    .fetch_all(&mut **tx)
    .await?;
    let mut by_key: HashMap<HouseholdKey, i64> = HashMap::new();
    for (id, grid, b, u, room, address) in created {
        // Households made by others in this same second are older: keep the newest, ours.
        let key = HouseholdKey::new(grid, &b, &u, &room, &address);
        let e = by_key.entry(key).or_insert(id);
        *e = (*e).max(id);
    }
    let ids = plan
        .new_households
        .iter()
        .map(|h| {
            by_key
                .get(&h.key)
                .copied()
                .ok_or(crate::db::StoreError::Conflict)
        })
        .collect::<StoreResult<Vec<i64>>>()?;
    let numbers: Vec<Vec<Val>> = plan
        .new_households
        .iter()
        .zip(&ids)
        .flat_map(|(h, id)| address_numbers::rows(*id, h.key.grid_id, &h.address))
        .collect();
    insert_rows(
        tx,
        address_numbers::TABLE,
        &address_numbers::COLUMNS,
        &numbers,
    )
    .await?;
    Ok(ids)
}

/// The ids of the buildings' units (单元) the new households need, creating the missing buildings
/// and units in a few multi-row statements (a community's sheet may name thousands of them).
async fn building_units(
    tx: &mut Tx,
    target: &Target,
    plan: &Plan,
) -> StoreResult<HashMap<(i64, String, String), i64>> {
    type Key = (i64, String, String);
    let wanted: BTreeSet<Key> = plan
        .new_households
        .iter()
        .filter(|h| !h.key.building.is_empty())
        .map(|h| (h.key.grid_id, h.key.building.clone(), h.key.unit.clone()))
        .collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let buildings_sql = "SELECT b.id, b.grid_id, b.name FROM buildings b \
         JOIN unit_closure c ON c.descendant_id = b.grid_id WHERE c.ancestor_id = $1";
    let read_buildings = async |tx: &mut Tx| -> StoreResult<HashMap<(i64, String), i64>> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(buildings_sql)
            .bind(target.community_id)
            .fetch_all(&mut **tx)
            .await?;
        Ok(rows.into_iter().map(|(id, g, n)| ((g, n), id)).collect())
    };
    let mut buildings = read_buildings(tx).await?;
    let missing: BTreeSet<(i64, String)> = wanted
        .iter()
        .map(|(g, b, _)| (*g, b.clone()))
        .filter(|k| !buildings.contains_key(k))
        .collect();
    if !missing.is_empty() {
        let rows: Vec<Vec<Val>> = missing
            .iter()
            .map(|(g, b)| vec![Val::from(*g), Val::from(b.as_str())])
            .collect();
        insert_rows(tx, "buildings", &["grid_id", "name"], &rows).await?;
        buildings = read_buildings(tx).await?;
    }
    let units_sql = "SELECT bu.id, b.grid_id, b.name, bu.name FROM building_units bu \
         JOIN buildings b ON b.id = bu.building_id \
         JOIN unit_closure c ON c.descendant_id = b.grid_id WHERE c.ancestor_id = $1";
    let read_units = async |tx: &mut Tx| -> StoreResult<HashMap<Key, i64>> {
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(units_sql)
            .bind(target.community_id)
            .fetch_all(&mut **tx)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, g, b, u)| ((g, b, u), id))
            .collect())
    };
    let mut units = read_units(tx).await?;
    let missing: Vec<Vec<Val>> = wanted
        .iter()
        .filter(|k| !units.contains_key(*k))
        .filter_map(|(g, b, u)| {
            buildings
                .get(&(*g, b.clone()))
                .map(|id| vec![Val::from(*id), Val::from(u.as_str())])
        })
        .collect();
    if !missing.is_empty() {
        insert_rows(tx, "building_units", &["building_id", "name"], &missing).await?;
        units = read_units(tx).await?;
    }
    Ok(units)
}

/// The members of these households take their household's address, the copy each carries for the
/// lists (migration 0015): those written here, new or moved, and only they.
async fn copy_addresses(
    tx: &mut Tx,
    backend: Backend,
    households: &BTreeSet<i64>,
) -> StoreResult<()> {
    let ids: Vec<i64> = households.iter().copied().collect();
    if ids.is_empty() {
        return Ok(());
    }
    crate::db::registry::hold_households(tx, backend, &ids).await?;
    let sql = format!(
        "UPDATE residents SET address = h.address FROM households h \
         WHERE h.id = residents.household_id AND {} AND residents.address <> h.address \
         AND residents.erased_at IS NULL",
        value_set::ints_in(backend, "residents.household_id", 1)
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value_set::ints(backend, &ids))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Households without a head take their first member recorded as 户主.
async fn set_heads(tx: &mut Tx, households: &BTreeSet<i64>) -> StoreResult<()> {
    let ids: Vec<i64> = households.iter().copied().collect();
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "UPDATE households SET head_resident_id = (SELECT MIN(r.id) FROM residents r \
             WHERE r.household_id = households.id AND r.relation = '户主' AND r.deleted_at IS NULL) \
             WHERE head_resident_id IS NULL AND id IN ({list})"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
