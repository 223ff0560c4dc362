//! Data checks (核对) on SQLite and PostgreSQL: each kind of slip is planted and found, and nothing
//! else is reported.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use shouhu_server::db::Db;
use shouhu_server::db::checks::{Finding, Kind, findings};

const GRID1: &str = "650203002005001";

async fn exec(db: &Db, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&db.pool)
        .await
        .unwrap();
}

async fn one(db: &Db, sql: String) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn found(db: &Db, grid: i64) -> BTreeSet<(Kind, Option<i64>, i64)> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    findings(db, &[grid], today)
        .await
        .unwrap()
        .into_iter()
        .map(|f: Finding| (f.kind, f.resident_id, f.household_id))
        .collect()
}

#[tokio::test]
async fn each_kind_of_slip_is_found_and_nothing_else() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let db = &t.db;
        let grid = one(
            db,
            format!("SELECT id FROM org_units WHERE code = '{GRID1}'"),
        )
        .await;
        let before = found(db, grid).await;
        // Households of grid 1 with a head and a second member, to plant slips in.
        let families: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT h.id, MIN(r.id), MAX(r.id) FROM households h JOIN residents r ON r.household_id = h.id \
             WHERE h.grid_id = {grid} GROUP BY h.id HAVING COUNT(*) >= 2 ORDER BY h.id"
        )))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert!(
            families.len() >= 6,
            "{}: {} families",
            t.name(),
            families.len()
        );
        let copy = |id: i64, household: i64| {
            format!(
                "INSERT INTO residents (household_id, grid_id, name, id_number, id_last4, sex, birth_date, \
                 relation, tags, created_at, updated_at) SELECT {household}, grid_id, name, id_number, id_last4, \
                 sex, birth_date, '子女', '', created_at, updated_at FROM residents WHERE id = {id}"
            )
        };
        let (h0, _, m0) = families[0];
        let (h1, _, m1) = families[1];
        let (h2, head2, _) = families[2];
        let (h3, _, m3) = families[3];
        let (_, _, m4) = families[4];
        let (h5, _, m5) = families[5];
        // A double entry in one household; one person in two households.
        exec(db, copy(m0, h0)).await;
        let dup0 = one(db, "SELECT MAX(id) FROM residents".into()).await;
        exec(db, copy(m1, h2)).await;
        let dup1 = one(db, "SELECT MAX(id) FROM residents".into()).await;
        // Sex against the ID number; a second head; a head lost; no phone; alone among adults.
        exec(db, format!("UPDATE residents SET sex = CASE WHEN sex = 'male' THEN 'female' ELSE 'male' END WHERE id = {m3}")).await;
        exec(
            db,
            format!("UPDATE residents SET relation = '户主' WHERE id = {m4}"),
        )
        .await;
        let h4: i64 = one(
            db,
            format!("SELECT household_id FROM residents WHERE id = {m4}"),
        )
        .await;
        exec(db, format!("UPDATE residents SET relation = '子女' WHERE relation = '户主' AND household_id = {h2} AND id = {head2}")).await;
        exec(
            db,
            format!(
                "UPDATE residents SET phone = NULL, birth_date = '1980-01-01', \
             id_number = id_number WHERE id = {m5}"
            ),
        )
        .await;
        exec(db, format!("UPDATE residents SET tags = 'elderly_alone' WHERE id = (SELECT MIN(id) FROM residents WHERE household_id = {h5})")).await;
        let alone: i64 = one(
            db,
            format!("SELECT MIN(id) FROM residents WHERE household_id = {h5}"),
        )
        .await;
        // An empty household.
        exec(db, format!("INSERT INTO households (grid_id, room, address, created_at, updated_at) VALUES ({grid}, '999', '空房', 0, 0)")).await;
        let empty = one(db, "SELECT MAX(id) FROM households".into()).await;
        let after = found(db, grid).await;
        let new: BTreeSet<_> = after.difference(&before).cloned().collect();
        let mut expected: BTreeSet<(Kind, Option<i64>, i64)> = [
            (Kind::DuplicateIdNumber, Some(m0), h0),
            (Kind::DuplicateIdNumber, Some(dup0), h0),
            (Kind::PersonInTwoHouseholds, Some(m1), h1),
            (Kind::PersonInTwoHouseholds, Some(dup1), h2),
            (Kind::ContradictsIdNumber, Some(m3), h3),
            (Kind::HouseholdWithTwoHeads, None, h4),
            (Kind::HouseholdWithoutHead, None, h2),
            (Kind::ElderlyAloneWithAdults, Some(alone), h5),
            (Kind::EmptyHousehold, None, empty),
        ]
        .into_iter()
        .collect();
        // m5's birth date moved: it now also contradicts its ID number, and it has no phone.
        expected.insert((Kind::ContradictsIdNumber, Some(m5), h5));
        expected.insert((Kind::ResidentWithoutPhone, Some(m5), h5));
        // Copies have no phone: those over 14 on the day the checks are run for are reported too
        // (decided from the copy's own birth date, not from what the checks found).
        for (id, hh) in [(dup0, h0), (dup1, h2)] {
            let born: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(birth_date AS TEXT) FROM residents WHERE id = {id}"
            )))
            .fetch_one(&db.pool)
            .await
            .unwrap();
            if born.as_str() <= "2012-11-29" {
                expected.insert((Kind::ResidentWithoutPhone, Some(id), hh));
            }
        }
        // The slips planted, and nothing else (m5 might have had no phone before).
        let new_without_known: BTreeSet<_> = new.difference(&expected).collect();
        assert!(
            new_without_known.is_empty(),
            "{}: unexpected {new_without_known:?}",
            t.name()
        );
        let missing: Vec<_> = expected.iter().filter(|e| !after.contains(e)).collect();
        assert!(missing.is_empty(), "{}: missing {missing:?}", t.name());
    }
}

#[tokio::test]
async fn the_checks_api_counts_per_grid_and_stays_in_the_jurisdiction() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let (s, r) = app.get(&leader, "/api/v1/checks?unit=650203002005").await;
        assert_eq!(s, 200, "{r}");
        let grids = r["grids"].as_array().unwrap();
        assert!(grids.len() >= 2);
        let sum: i64 = grids.iter().map(|g| g["total"].as_i64().unwrap()).sum();
        assert_eq!(sum, r["total"].as_i64().unwrap());
        // Kind filter and paging; every item links to a card.
        let (s, r) = app
            .get(
                &leader,
                "/api/v1/checks?kind=resident_without_phone&per_page=5",
            )
            .await;
        assert_eq!(s, 200);
        for i in r["items"].as_array().unwrap() {
            assert_eq!(i["kind"], "resident_without_phone");
            assert!(i["link"].as_str().unwrap().starts_with("/residents/"));
            assert!(
                !i["name"].as_str().unwrap().contains('*'),
                "names as the registry shows them to the leader"
            );
        }
        // Pages of seven, one after another, are the whole list once, in its order.
        let (_, whole) = app.get(&leader, "/api/v1/checks?per_page=500").await;
        let whole = whole["items"].as_array().unwrap().clone();
        let mut paged = Vec::new();
        for page in 1.. {
            let (s, p) = app
                .get(&leader, &format!("/api/v1/checks?per_page=7&page={page}"))
                .await;
            assert_eq!(s, 200);
            assert_eq!(p["total"], whole.len() as i64);
            let items = p["items"].as_array().unwrap();
            if items.is_empty() {
                break;
            }
            assert!(items.len() <= 7);
            paged.extend(items.iter().cloned());
        }
        assert_eq!(paged, whole);
        assert!(whole.len() > 7, "more than one page: {}", whole.len());
        let worker = app.login("nanquan-grid1").await;
        let (s, r) = app.get(&worker, "/api/v1/checks").await;
        assert_eq!(s, 200);
        assert!(
            r["grids"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["grid_code"] == GRID1),
            "{r}"
        );
        assert_eq!(
            app.get(&worker, "/api/v1/checks?unit=650203002005002")
                .await
                .0,
            404
        );
        assert_eq!(
            app.get(&worker, "/api/v1/checks?unit=nonsense").await.0,
            404
        );
        let (s, e) = app.get(&worker, "/api/v1/checks?kind=bogus").await;
        assert_eq!((s, e["field"].as_str()), (422, Some("kind")));
        let guard = app.login("nanquan-gate-east").await;
        assert_eq!(app.get(&guard, "/api/v1/checks").await.0, 403);
        // The page and the home page show them.
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        c.post(app.url("/login"))
            .form(&[("username", "nanquan-leader"), ("password", common::PW)])
            .send()
            .await
            .unwrap();
        let page = c
            .get(app.url("/checks"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"grid-counts\""), "{page}");
        let bad = c
            .get(app.url("/checks?unit=650203100001"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 404);
    }
}
