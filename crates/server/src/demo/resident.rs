//! The demo's household link (居民端): each start issues a fresh link for one household of 南泉社区's
//! first grid and prints it, so that whoever runs the demo can open the household's own pages (the
//! token is shown only when issued: the service keeps its hash). The first member's temperature is
//! reported through it once a day, so the page shows a self-report beside the staff's.

use super::supplies::actor;
use crate::db::health::{self, NewCheck};
use crate::db::{Db, resident_links};

/// The household's address and the link's path (`/h/{token}`).
pub async fn resident_link(db: &Db) -> anyhow::Result<Option<(String, String)>> {
    let (worker, scope) = actor(db, "nanquan-grid1").await?;
    let found: Option<(i64, String)> = sqlx::query_as(
        "SELECT h.id, h.address FROM households h JOIN staff_units su ON su.unit_id = h.grid_id \
         WHERE su.user_id = $1 AND h.deleted_at IS NULL AND (SELECT COUNT(*) FROM residents r \
         WHERE r.household_id = h.id AND r.deleted_at IS NULL) >= 2 ORDER BY h.id LIMIT 1",
    )
    .bind(worker.user_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some((household, address)) = found else {
        return Ok(None);
    };
    let token = crate::service::resident_links::new_token();
    let hash = crate::service::resident_links::hash(&token);
    let link = resident_links::issue(db, &scope, &worker, household, &hash).await?;
    let first: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(id) FROM residents WHERE household_id = $1 AND deleted_at IS NULL",
    )
    .bind(household)
    .fetch_one(&db.pool)
    .await?;
    if let Some(resident) = first {
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
            .to_string();
        let check = NewCheck {
            resident_id: resident,
            temperature: shouhu_domain::Temperature::from_celsius(36.4)?,
            symptoms: Vec::new(),
            source: "self".into(),
            // One a day, however often the demo starts.
            idempotency_key: format!("demo-self-{today}"),
            request_hash: "demo".into(),
            via_link_id: Some(link),
            device_at: None,
        };
        health::record(db, &scope, &today, &check).await?;
    }
    Ok(Some((address, format!("/h/{token}"))))
}
