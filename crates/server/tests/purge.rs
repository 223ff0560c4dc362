//! Retention: the purge deletes health, gate and quarantine records past their kind's days, keeps
//! what is newer or still needed, and says what it deleted in the audit log. On SQLite and on
//! PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use shouhu_server::db::purge::{self, Retention};
use shouhu_server::db::registry::{self, Actor};
use shouhu_server::db::{Db, Scope, StoreError, accounts, households};

const DAY: i64 = 86_400;
const NOW: i64 = 1_900_000_000;

/// Runs `sql` with the integer binds `args` and then, when given, the local day of `day_of`
/// (unix seconds), returning the id of the row it inserted.
async fn insert(db: &Db, sql: &'static str, args: &[i64], day_of: Option<i64>) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for a in args {
        q = q.bind(*a);
    }
    if let Some(at) = day_of {
        let day = chrono::DateTime::from_timestamp(at + 8 * 3600, 0)
            .unwrap()
            .date_naive()
            .to_string();
        q = q.bind(day);
    }
    q.fetch_one(&db.pool).await.unwrap()
}

async fn exists(db: &Db, table: &str, id: i64) -> bool {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE id = $1");
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    n == 1
}

/// Ids of a resident with their household and grid, a gate with its community, a user and an
/// observation site of the demo.
async fn demo_ids(db: &Db) -> (i64, i64, i64, i64, i64, i64, i64) {
    let (resident, household, grid): (i64, i64, i64) =
        sqlx::query_as("SELECT id, household_id, grid_id FROM residents ORDER BY id LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let (gate, community): (i64, i64) =
        sqlx::query_as("SELECT id, community_id FROM gates ORDER BY id LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let user: i64 = sqlx::query_scalar("SELECT id FROM users ORDER BY id LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let site: i64 = sqlx::query_scalar("SELECT id FROM observation_sites ORDER BY id LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    (resident, household, grid, gate, community, user, site)
}

/// The demo's 南泉社区 leader, as a scope and as the actor of changes.
async fn leader(db: &Db) -> (Scope, Actor) {
    let (u, _) = accounts::find_by_username(db, "nanquan-leader")
        .await
        .unwrap()
        .unwrap();
    let scope = Scope {
        user_id: u.id,
        role: u.role,
        grids: None,
    };
    let actor = Actor {
        user_id: u.id,
        username: u.username,
        address: "127.0.0.1".into(),
    };
    (scope, actor)
}

#[tokio::test]
async fn records_past_retention_are_purged_and_the_rest_kept() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let db = &t.db;
        let name = t.name();
        let (resident, household, grid, gate, community, user, site) = demo_ids(db).await;
        let check = |at: i64, key: i64| {
            let args = [resident, grid, household, at, user, key];
            async move {
                insert(
                    db,
                    "INSERT INTO health_checks (resident_id, grid_id, household_id, \
                     temperature_tenths, symptoms, source, fever, day, checked_at, recorded_by, \
                     idempotency_key, request_hash) \
                     VALUES ($1, $2, $3, 365, '', 'door', 0, $7, $4, $5, \
                     CAST($6 AS TEXT), 'h') RETURNING id",
                    &args,
                    Some(at),
                )
                .await
            }
        };
        let old_check = check(NOW - 200 * DAY, 1).await;
        let new_check = check(NOW - 10 * DAY, 2).await;
        let alerted_check = check(NOW - 300 * DAY, 3).await;
        let closed_check = check(NOW - 300 * DAY, 4).await;
        let alert = |check: i64, status_open: i64, closed_at: i64| {
            let args = [
                community,
                grid,
                resident,
                check,
                status_open,
                NOW - 300 * DAY,
                closed_at,
            ];
            async move {
                insert(
                    db,
                    "INSERT INTO alerts (community_id, grid_id, resident_id, health_check_id, \
                     reason, status, opened_at, closed_at) \
                     VALUES ($1, $2, $3, $4, 'fever', \
                     CASE WHEN $5 = 1 THEN 'open' ELSE 'closed' END, $6, $7) RETURNING id",
                    &args,
                    None,
                )
                .await
            }
        };
        // An alert still open keeps its check however old; one closed long ago goes with it.
        let open_alert = alert(alerted_check, 1, 0).await;
        let closed_alert = alert(closed_check, 0, NOW - 250 * DAY).await;
        let visitor = |at: i64, code: i64| {
            let args = [community, gate, household, user, at, code];
            async move {
                insert(
                    db,
                    "INSERT INTO gate_visitors (community_id, gate_id, host_household_id, name, \
                     phone, purpose, code, day, registered_by, registered_at) \
                     VALUES ($1, $2, $3, '访客', '13800138000', '探亲', CAST($6 AS TEXT), \
                     $7, $4, $5) RETURNING id",
                    &args,
                    Some(at),
                )
                .await
            }
        };
        let old_visitor = visitor(NOW - 100 * DAY, 11).await;
        let visitor_scanned_lately = visitor(NOW - 100 * DAY, 12).await;
        let scan = |at: i64, visitor: i64, key: i64| {
            let args = [gate, community, user, household, at, visitor, key];
            async move {
                insert(
                    db,
                    "INSERT INTO gate_scans (gate_id, community_id, guard_id, household_id, \
                     direction, decision, day, at, visitor_id, idempotency_key, request_hash) \
                     VALUES ($1, $2, $3, $4, 'in', 'allow', $8, $5, \
                     NULLIF($6, 0), CAST($7 AS TEXT), 'h') RETURNING id",
                    &args,
                    Some(at),
                )
                .await
            }
        };
        // Kept by day: at least the days set, at most two more.
        let old_scan = scan(NOW - 93 * DAY, old_visitor, 21).await;
        let new_scan = scan(NOW - 89 * DAY, visitor_scanned_lately, 22).await;
        let quarantine = |status: i64, updated_at: i64| {
            let args = [resident, grid, household, status, user, updated_at];
            async move {
                insert(
                    db,
                    "INSERT INTO quarantines (resident_id, grid_id, household_id, kind, reason, \
                     start_date, planned_end_date, status, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'home', '密接', '2030-01-01', '2030-01-15', \
                     CASE WHEN $4 = 1 THEN 'active' ELSE 'released' END, $5, $6, $6) \
                     RETURNING id",
                    &args,
                    None,
                )
                .await
            }
        };
        let ended = quarantine(0, NOW - 200 * DAY).await;
        let active = quarantine(1, NOW - 400 * DAY).await;
        let ended_lately = quarantine(0, NOW - 20 * DAY).await;
        let follow_up = insert(
            db,
            "INSERT INTO follow_ups (quarantine_id, grid_id, day, temperature_tenths, \
             recorded_by, recorded_at) VALUES ($1, $2, '2030-01-02', 366, $3, $4) RETURNING id",
            &[ended, grid, user, NOW - 210 * DAY],
            None,
        )
        .await;
        let event = insert(
            db,
            "INSERT INTO quarantine_events (quarantine_id, to_status, at, by_user) \
             VALUES ($1, 'released', $2, $3) RETURNING id",
            &[ended, NOW - 200 * DAY, user],
            None,
        )
        .await;
        let transfer = insert(
            db,
            "INSERT INTO transfers (quarantine_id, resident_id, grid_id, site_id, status, \
             notified_at) VALUES ($1, $2, $3, $4, 'released', $5) RETURNING id",
            &[ended, resident, grid, site, NOW - 205 * DAY],
            None,
        )
        .await;
        let flag = insert(
            db,
            "INSERT INTO risk_flags (resident_id, grid_id, reason, measure, status, created_at, \
             decided_at, quarantine_id) \
             VALUES ($1, $2, '来自风险地区', 'home', 'confirmed', $3, $3, $4) RETURNING id",
            &[resident, grid, NOW - 215 * DAY, ended],
            None,
        )
        .await;
        // Residents of the leader's deleted 40 and 5 days ago: the first past the days a deletion
        // can be undone, the second not.
        let (leader, actor) = leader(db).await;
        let (everyone, _) = registry::search(db, &leader, &Default::default(), 2, 0)
            .await
            .unwrap();
        let (long_gone, lately_gone) = (everyone[0].clone(), everyone[1].clone());
        for (r, days) in [(&long_gone, 40), (&lately_gone, 5)] {
            registry::delete(db, &leader, &actor, r.id, r.version)
                .await
                .unwrap();
            sqlx::query("UPDATE residents SET deleted_at = $1 WHERE id = $2")
                .bind(NOW - days * DAY)
                .bind(r.id)
                .execute(&db.pool)
                .await
                .unwrap();
        }
        let retention = Retention {
            health_days: 180,
            gate_days: 90,
            quarantine_days: 180,
            deleted_resident_days: 30,
        };
        // A dry run counts and changes nothing.
        let would = purge::purge(db, &retention, NOW, true).await.unwrap();
        assert!(exists(db, "health_checks", old_check).await, "{name}");
        assert!(exists(db, "gate_scans", old_scan).await, "{name}");
        let purged = purge::purge(db, &retention, NOW, false).await.unwrap();
        assert_eq!(
            would, purged,
            "{name}: the dry run's counts are the purge's"
        );
        for (table, id, kept) in [
            ("health_checks", old_check, false),
            ("health_checks", closed_check, false),
            ("alerts", closed_alert, false),
            ("health_checks", new_check, true),
            ("health_checks", alerted_check, true),
            ("alerts", open_alert, true),
            ("gate_scans", old_scan, false),
            ("gate_visitors", old_visitor, false),
            ("gate_scans", new_scan, true),
            ("gate_visitors", visitor_scanned_lately, true),
            ("quarantines", ended, false),
            ("follow_ups", follow_up, false),
            ("quarantine_events", event, false),
            ("transfers", transfer, false),
            ("risk_flags", flag, false),
            ("quarantines", active, true),
            ("quarantines", ended_lately, true),
        ] {
            assert_eq!(exists(db, table, id).await, kept, "{name}: {table} {id}");
        }
        // Erased: nothing left that tells who they were, and no way back.
        let erased: (String, String, Option<String>, String, String, Option<i64>) = sqlx::query_as(
            "SELECT name, id_number, phone, family_contacts, address, erased_at \
             FROM residents WHERE id = $1",
        )
        .bind(long_gone.id)
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(
            erased,
            (
                String::new(),
                String::new(),
                None,
                "[]".to_string(),
                String::new(),
                Some(NOW)
            ),
            "{name}"
        );
        assert!(
            matches!(
                registry::restore(db, &leader, &actor, long_gone.id).await,
                Err(StoreError::Invalid {
                    field: "id",
                    code: "erased"
                })
            ),
            "{name}"
        );
        // Their household's next address is not copied to them.
        let h = households::get(db, &leader, long_gone.household_id)
            .await
            .unwrap();
        let moved = households::Changes {
            address: Some(format!("{}(新)", h.address)),
            ..Default::default()
        };
        households::update(db, &leader, &actor, h.id, h.version, &moved)
            .await
            .unwrap();
        let address: String = sqlx::query_scalar("SELECT address FROM residents WHERE id = $1")
            .bind(long_gone.id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(address, "", "{name}");
        common::assert_addresses_carried(db, name).await;
        let offered = registry::deleted_members(db, &leader, long_gone.household_id)
            .await
            .unwrap();
        assert!(offered.iter().all(|d| d.0 != long_gone.id), "{name}");
        let kept: (String, String) =
            sqlx::query_as("SELECT name, id_number FROM residents WHERE id = $1")
                .bind(lately_gone.id)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!(
            kept,
            (lately_gone.name.clone(), lately_gone.id_number.clone()),
            "{name}"
        );
        registry::restore(db, &leader, &actor, lately_gone.id)
            .await
            .unwrap();
        for (table, n) in [
            ("residents_erased", 1),
            ("health_checks", 2),
            ("alerts", 1),
            ("gate_scans", 1),
            ("gate_visitors", 1),
            ("quarantines", 1),
            ("risk_flags", 1),
        ] {
            assert_eq!(purged[table], n, "{name}: {table}");
        }
        let purges = || async {
            sqlx::query_scalar::<_, String>(
                "SELECT detail FROM audit_log WHERE action = 'records.purge' ORDER BY id",
            )
            .fetch_all(&db.pool)
            .await
            .unwrap()
        };
        let audited = purges().await;
        assert_eq!(audited.len(), 1, "{name}");
        assert!(
            audited[0].contains("health_checks=2") && audited[0].contains("residents_erased=1"),
            "{name}: {audited:?}"
        );
        // Nothing more is due: nothing deleted, nothing audited.
        let again = purge::purge(db, &retention, NOW, false).await.unwrap();
        assert!(again.values().all(|n| *n == 0), "{name}: {again:?}");
        assert_eq!(purges().await, audited, "{name}");
        assert!(matches!(
            shouhu_server::db::audit::verify(db).await.unwrap(),
            shouhu_server::db::audit::Verdict::Intact { .. }
        ));
    }
}
