//! Visitors (访客) registered at a gate: host household, phone, purpose, plate; a code good for the
//! local day of registration, and the visitor's phone serves as well.

use super::scan::{Rules, When};
use super::{gate_in_scope, new_code};
use crate::db::{Db, Scope, StoreError, StoreResult, now};

#[derive(Clone, Debug)]
pub struct NewVisitor {
    pub gate_id: i64,
    /// The host, by id, or by building, unit (optional) and room within the gate's community.
    pub host_household_id: Option<i64>,
    pub host_building: Option<String>,
    pub host_unit: Option<String>,
    pub host_room: Option<String>,
    pub name: String,
    pub phone: String,
    pub purpose: String,
    pub plate: Option<String>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Visitor {
    pub id: i64,
    pub code: String,
    pub day: String,
    pub host_household_id: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn register(db: &Db, scope: &Scope, when: &When, v: &NewVisitor) -> StoreResult<Visitor> {
    let mut tx = db.begin_write().await?;
    let gate = gate_in_scope(&mut tx, scope.user_id, v.gate_id).await?;
    if Rules::of(&mut tx, gate.community_id)
        .await?
        .visitors_allowed
        == 0
    {
        return Err(StoreError::Invalid {
            field: "gate_id",
            code: "visitors_not_allowed",
        });
    }
    let hosts: Vec<i64> = match v.host_household_id {
        Some(h) => {
            sqlx::query_scalar(
                "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
                 WHERE h.id = $1 AND g.parent_id = $2 AND h.deleted_at IS NULL",
            )
            .bind(h)
            .bind(gate.community_id)
            .fetch_all(&mut *tx)
            .await?
        }
        None => {
            let (Some(building), Some(room)) = (&v.host_building, &v.host_room) else {
                return Err(StoreError::Invalid {
                    field: "host_household_id",
                    code: "host_required",
                });
            };
            let building = shouhu_domain::address::building_name(building);
            sqlx::query_scalar(
                "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
                 JOIN building_units bu ON bu.id = h.building_unit_id JOIN buildings b ON b.id = bu.building_id \
                 WHERE g.parent_id = $1 AND b.name = $2 AND h.room = $3 AND ($4 = '' OR bu.name = $4) \
                 AND h.deleted_at IS NULL ORDER BY h.id LIMIT 2",
            )
            .bind(gate.community_id)
            .bind(building)
            .bind(room.trim())
            .bind(
                v.host_unit
                    .as_deref()
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(shouhu_domain::address::unit_name)
                    .unwrap_or_default(),
            )
            .fetch_all(&mut *tx)
            .await?
        }
    };
    let host = match hosts.as_slice() {
        [h] => *h,
        [] => {
            return Err(StoreError::Invalid {
                field: "host_room",
                code: "host_not_found",
            });
        }
        _ => {
            return Err(StoreError::Invalid {
                field: "host_unit",
                code: "host_ambiguous",
            });
        }
    };
    let visitor = Visitor {
        id: 0,
        code: new_code(),
        day: when.day.clone(),
        host_household_id: host,
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO gate_visitors (community_id, gate_id, host_household_id, name, phone, purpose, plate, code, day, \
         registered_by, registered_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
    )
    .bind(gate.community_id)
    .bind(gate.id)
    .bind(host)
    .bind(&v.name)
    .bind(&v.phone)
    .bind(&v.purpose)
    .bind(v.plate.as_deref())
    .bind(&visitor.code)
    .bind(&visitor.day)
    .bind(scope.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Visitor { id, ..visitor })
}
