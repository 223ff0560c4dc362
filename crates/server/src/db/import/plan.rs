//! Deciding, row by row, what an import does: create, update, leave alone or reject. Reads the
//! community's residents and households once, then works in memory.

use std::collections::{HashMap, HashSet};

use super::{Rejected, Summary, Target};
use crate::db::{StoreResult, Tx};
use crate::sheet::rows::{Problem, ResidentRow};

/// A household as identified in a sheet: its grid, then building, unit and room, or the address
/// alone when the sheet has no building or room.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HouseholdKey {
    pub grid_id: i64,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub address: String,
}

impl HouseholdKey {
    pub fn new(
        grid_id: i64,
        building: &str,
        unit: &str,
        room: &str,
        address: &str,
    ) -> HouseholdKey {
        let by_address = building.is_empty() && room.is_empty();
        HouseholdKey {
            grid_id,
            building: building.to_string(),
            unit: if by_address {
                String::new()
            } else {
                unit.to_string()
            },
            room: room.to_string(),
            address: if by_address {
                address.to_string()
            } else {
                String::new()
            },
        }
    }
}

#[derive(Clone, Debug)]
pub enum HouseholdRef {
    Existing(i64),
    /// Index into `Plan::new_households`.
    New(usize),
}

#[derive(Clone, Debug)]
pub struct Planned {
    pub row: ResidentRow,
    pub grid_id: i64,
    pub household: HouseholdRef,
}

/// A resident already registered, as far as an import compares it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Existing {
    pub id: i64,
    pub id_number: String,
    pub household_id: i64,
    pub grid_id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub relation: String,
    pub tags: String,
    pub note: String,
}

#[derive(Clone, Debug)]
pub struct NewHousehold {
    pub key: HouseholdKey,
    /// The address shown for it: the sheet's, or one composed from building, unit and room.
    pub address: String,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub creates: Vec<Planned>,
    /// A planned row, the resident it changes, and the names of the fields that change.
    pub updates: Vec<(Planned, Existing, Vec<&'static str>)>,
    pub unchanged: u64,
    pub rejected: Vec<Rejected>,
    pub new_households: Vec<NewHousehold>,
}

impl Plan {
    pub fn summary(&self, dry_run: bool) -> Summary {
        Summary {
            created: self.creates.len() as u64,
            updated: self.updates.len() as u64,
            unchanged: self.unchanged,
            rejected: self.rejected.len() as u64,
            households_created: self.new_households.len() as u64,
            dry_run,
        }
    }
}

fn reject(line: usize, column: &'static str, code: &'static str) -> Rejected {
    Rejected {
        line,
        problems: vec![Problem { column, code }],
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn plan(
    tx: &mut Tx,
    target: &Target,
    rows: Vec<Result<ResidentRow, Rejected>>,
) -> StoreResult<Plan> {
    let existing: Vec<Existing> = sqlx::query_as(
        "SELECT r.id, r.id_number, r.household_id, r.grid_id, r.name, r.phone, r.relation, r.tags, \
         r.note FROM residents r JOIN unit_closure c ON c.descendant_id = r.grid_id \
         WHERE c.ancestor_id = $1 AND r.deleted_at IS NULL ORDER BY r.id",
    )
    .bind(target.community_id)
    .fetch_all(&mut **tx)
    .await?;
    let households: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
        "SELECT h.id, h.grid_id, COALESCE(b.name, ''), COALESCE(bu.name, ''), h.room, h.address \
         FROM households h JOIN unit_closure c ON c.descendant_id = h.grid_id \
         LEFT JOIN building_units bu ON bu.id = h.building_unit_id \
         LEFT JOIN buildings b ON b.id = bu.building_id \
         WHERE c.ancestor_id = $1 AND h.deleted_at IS NULL ORDER BY h.id",
    )
    .bind(target.community_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut key_of_household: HashMap<i64, HouseholdKey> = HashMap::new();
    let mut household_of_key: HashMap<HouseholdKey, i64> = HashMap::new();
    for (id, grid, b, u, room, address) in households {
        let key = HouseholdKey::new(grid, &b, &u, &room, &address);
        // Two households at one address: the older is the one a sheet means.
        household_of_key.entry(key.clone()).or_insert(id);
        key_of_household.insert(id, key);
    }
    // The first registration of an ID number wins when the registry already holds it twice; the
    // data checks list such pairs for someone to resolve.
    let mut by_id: HashMap<String, Existing> = HashMap::new();
    for e in existing {
        by_id.entry(e.id_number.clone()).or_insert(e);
    }
    let mut plan = Plan::default();
    let mut new_of_key: HashMap<HouseholdKey, usize> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    for row in rows {
        let row = match row {
            Ok(r) => r,
            Err(rej) => {
                plan.rejected.push(rej);
                continue;
            }
        };
        let line = row.line;
        if !seen.insert(row.id_number.as_str().to_string()) {
            plan.rejected
                .push(reject(line, "id_number", "duplicate_in_file"));
            continue;
        }
        let current = by_id.get(row.id_number.as_str());
        let allowed = |g: i64| target.grids.iter().any(|t| t.id == g);
        if let Some(e) = current
            && !allowed(e.grid_id)
        {
            plan.rejected
                .push(reject(line, "id_number", "registered_in_other_grid"));
            continue;
        }
        let grid_id = if row.grid.is_empty() {
            match (target.default_grid, current) {
                (Some(g), _) => g,
                (None, Some(e)) => e.grid_id,
                (None, None) => {
                    plan.rejected.push(reject(line, "grid", "grid_required"));
                    continue;
                }
            }
        } else {
            match target
                .grids
                .iter()
                .find(|g| g.code == row.grid || g.name == row.grid)
            {
                Some(g) => g.id,
                None => {
                    plan.rejected.push(reject(line, "grid", "unknown_grid"));
                    continue;
                }
            }
        };
        let has_address =
            !(row.building.is_empty() && row.room.is_empty() && row.address.is_empty());
        let key = HouseholdKey::new(grid_id, &row.building, &row.unit, &row.room, &row.address);
        let household = match current {
            // Same place as now (compared by place, not id, should two households share it).
            Some(e) if !has_address && e.grid_id == grid_id => {
                HouseholdRef::Existing(e.household_id)
            }
            Some(e) if key_of_household.get(&e.household_id) == Some(&key) => {
                HouseholdRef::Existing(e.household_id)
            }
            _ if !has_address => {
                plan.rejected.push(reject(line, "room", "address_required"));
                continue;
            }
            _ => match household_of_key.get(&key) {
                Some(id) => HouseholdRef::Existing(*id),
                None => {
                    let next = plan.new_households.len();
                    let i = *new_of_key.entry(key.clone()).or_insert(next);
                    if i == next {
                        plan.new_households.push(NewHousehold {
                            address: address_of(&target.community_name, &row),
                            key,
                        });
                    }
                    HouseholdRef::New(i)
                }
            },
        };
        let planned = Planned {
            row,
            grid_id,
            household,
        };
        match current {
            None => plan.creates.push(planned),
            Some(e) => {
                let changed = changes(&planned, e);
                if changed.is_empty() {
                    plan.unchanged += 1;
                } else {
                    plan.updates.push((planned, e.clone(), changed));
                }
            }
        }
    }
    plan.rejected.sort_by_key(|r| r.line);
    Ok(plan)
}

/// The fields a row changes; empty cells change nothing.
fn changes(p: &Planned, e: &Existing) -> Vec<&'static str> {
    let r = &p.row;
    let mut changed = Vec::new();
    if r.name != e.name {
        changed.push("name");
    }
    if let Some(phone) = &r.phone
        && Some(phone.as_str()) != e.phone.as_deref()
    {
        changed.push("phone");
    }
    if !r.relation.is_empty() && r.relation != e.relation {
        changed.push("relation");
    }
    if let Some(tags) = &r.tags
        && *tags != shouhu_domain::Tags::from_stored(&e.tags)
    {
        changed.push("tags");
    }
    if !r.note.is_empty() && r.note != e.note {
        changed.push("note");
    }
    if !matches!(p.household, HouseholdRef::Existing(h) if h == e.household_id) {
        changed.push("household_id");
    }
    changed
}

/// "南泉社区3号楼2单元301室", as the registry writes addresses, unless the sheet gave one.
fn address_of(community: &str, r: &ResidentRow) -> String {
    if !r.address.is_empty() {
        return r.address.clone();
    }
    let room = if r.room.is_empty() {
        String::new()
    } else {
        format!("{}室", r.room)
    };
    format!("{community}{}{}{room}", r.building, r.unit)
}
