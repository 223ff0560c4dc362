//! Donations and door deliveries in the pages, on both backends: the logistics group records a
//! partner unit's gift and is shown its receipt to print; schedules a household's delivery from
//! the waiting list, sets off, finds nobody home, reschedules, and delivers to an isolated
//! household's door confirmed by phone; a refusal is named in words with nothing written; a grid
//! worker sees the day's deliveries but no forms.
#![allow(clippy::unwrap_used)]

mod common;

async fn page(c: &reqwest::Client, app: &common::TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    c: &reqwest::Client,
    app: &common::TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let r = c.post(app.url(path)).form(fields).send().await.unwrap();
    let to = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), to, r.text().await.unwrap())
}

async fn scalar(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn version(app: &common::TestApp, id: i64) -> String {
    scalar(
        app,
        &format!("SELECT version FROM supply_deliveries WHERE id = {id}"),
    )
    .await
    .to_string()
}

#[tokio::test]
async fn the_logistics_group_delivers_a_partner_units_gift_to_the_door() {
    for app in common::each_demo_app().await {
        let community = scalar(&app, "SELECT id FROM org_units WHERE code = '650203100001'").await;
        let c = community.to_string();
        let api_leader = app.login("jinhua-leader").await;
        let (s, v) = app
            .send(
                &api_leader,
                reqwest::Method::POST,
                "/api/v1/supplies/items",
                serde_json::json!({"name": "爱心蔬菜包", "category": "vegetables", "unit": "袋"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let veg = v["id"].as_i64().unwrap().to_string();
        let logistics = common::sign_in_page(&app, "jinhua-logistics1").await;
        let (s, html) = page(
            &logistics,
            &app,
            &format!("/supplies/donations?community={c}"),
        )
        .await;
        assert_eq!(s, 200, "{}", app.db.name());
        assert!(
            html.contains("id=\"donation-form\""),
            "the logistics group records gifts"
        );
        let csrf = common::csrf_of(&html);
        let donations = scalar(&app, "SELECT COUNT(*) FROM supply_donations").await;
        // A quantity that is not a number: named in words, nothing written.
        let (s, _, html) = post(
            &logistics,
            &app,
            "/supplies/donations",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("donor", "克拉玛依石化公司"),
                ("item_0", &veg),
                ("quantity_0", "三十"),
                ("key", "d1"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("id=\"donation-error\"") && html.contains("克拉玛依石化公司"),
            "the form keeps what was typed"
        );
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM supply_donations").await,
            donations
        );
        let (s, to, _) = post(
            &logistics,
            &app,
            "/supplies/donations",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("donor", "克拉玛依石化公司"),
                ("contact_name", "王经理"),
                ("contact_phone", "13999001234"),
                ("item_0", &veg),
                ("quantity_0", "30"),
                ("key", "d2"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (s, html) = page(&logistics, &app, &to).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("id=\"receipt\"")
                && html.contains("感谢信")
                && html.contains("爱心蔬菜包"),
            "{html}"
        );
        assert!(html.contains("30 袋"));

        // Two households of grid 1 (not the demo's) asked for vegetables; the second is in home
        // isolation.
        let grid = app.login("jinhua-grid1").await;
        let hh: Vec<i64> = sqlx::query_scalar(
            "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
             WHERE g.code = '650203100001001' AND h.deleted_at IS NULL ORDER BY h.id DESC LIMIT 2",
        )
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        let mut needs = Vec::new();
        for (i, h) in hh.iter().enumerate() {
            let (s, v) = app
                .send(
                    &grid,
                    reqwest::Method::POST,
                    "/api/v1/supplies/needs",
                    serde_json::json!({"household_id": h, "item_id": veg.parse::<i64>().unwrap(),
                        "quantity": 2, "paid": i == 0, "idempotency_key": format!("n{i}")}),
                )
                .await;
            assert_eq!(s, 201, "{v}");
            needs.push(v["id"].as_i64().unwrap());
        }
        let (resident, g): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.id, h.grid_id FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE r.household_id = {} ORDER BY r.id LIMIT 1",
            hh[1]
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO quarantines (resident_id, grid_id, household_id, kind, reason, start_date, \
             planned_end_date, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'home', '密接', '2020-02-01', '2020-02-15', 'active', 1, 0, 0)",
        )
        .bind(resident)
        .bind(g)
        .bind(hh[1])
        .execute(&app.db.db.pool)
        .await
        .unwrap();

        let (s, html) = page(
            &logistics,
            &app,
            &format!("/supplies/deliveries?community={c}"),
        )
        .await;
        assert_eq!(s, 200);
        let first = html.find(&format!("data-household=\"{}\"", hh[1])).unwrap();
        let second = html.find(&format!("data-household=\"{}\"", hh[0])).unwrap();
        assert!(first < second, "the isolated household waits first");
        let csrf = common::csrf_of(&html);
        let when = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let donation = scalar(&app, "SELECT MAX(id) FROM supply_donations")
            .await
            .to_string();
        let mut ids = Vec::new();
        for (i, h) in hh.iter().enumerate() {
            let h = h.to_string();
            let need = format!("need_{}", needs[i]);
            let (s, to, body) = post(
                &logistics,
                &app,
                "/supplies/deliveries",
                &[
                    ("csrf", &csrf),
                    ("community", &c),
                    ("household", &h),
                    (&need, "1"),
                    ("when", &when),
                    ("courier", "志愿者小李"),
                    ("due", if i == 0 { "12.50" } else { "" }),
                    ("donation", &donation),
                    ("key", &format!("k{i}")),
                ],
            )
            .await;
            assert_eq!(s, 303, "{body}");
            assert!(to.contains("saved=1"));
            ids.push(
                scalar(
                    &app,
                    &format!("SELECT MAX(id) FROM supply_deliveries WHERE household_id = {h}"),
                )
                .await,
            );
        }
        assert_eq!(
            scalar(
                &app,
                &format!(
                    "SELECT COUNT(*) FROM supply_delivery_lines WHERE donation_id = {donation}"
                )
            )
            .await,
            2,
            "the donor's goods go to both doors"
        );
        let (_, html) = page(
            &logistics,
            &app,
            &format!("/supplies/deliveries?community={c}"),
        )
        .await;
        for h in &hh {
            assert!(
                !html.contains(&format!("data-household=\"{h}\"")),
                "{h} waits no more"
            );
        }
        assert!(
            html.contains("克拉玛依石化公司"),
            "the donor is on the delivery"
        );
        // Set off, both.
        for id in &ids {
            let v = version(&app, *id).await;
            let (s, _, body) = post(
                &logistics,
                &app,
                &format!("/supplies/deliveries/{id}/move"),
                &[
                    ("csrf", &csrf),
                    ("community", &c),
                    ("version", &v),
                    ("to", "out"),
                ],
            )
            .await;
            assert_eq!(s, 303, "{body}");
        }
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT balance FROM supply_stock WHERE item_id = {veg}")
            )
            .await,
            26
        );
        // The isolated household's door: a name is not enough, the phone call is.
        let v = version(&app, ids[1]).await;
        let (s, _, html) = post(
            &logistics,
            &app,
            &format!("/supplies/deliveries/{}/move", ids[1]),
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("version", &v),
                ("to", "delivered"),
                ("received_by", "门口"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"delivery-error\""), "named in words");
        let (_, html) = page(
            &logistics,
            &app,
            &format!("/supplies/deliveries?community={c}"),
        )
        .await;
        assert!(
            html.contains("name=\"phone_confirmed\""),
            "the form asks for the phone call"
        );
        let (s, _, _) = post(
            &logistics,
            &app,
            &format!("/supplies/deliveries/{}/move", ids[1]),
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("version", &v),
                ("to", "delivered"),
                ("phone_confirmed", "1"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        // Nobody home at the other: back to the store, rescheduled.
        let v = version(&app, ids[0]).await;
        let (s, _, _) = post(
            &logistics,
            &app,
            &format!("/supplies/deliveries/{}/move", ids[0]),
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("version", &v),
                ("to", "failed"),
                ("failure", "nobody_home"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT balance FROM supply_stock WHERE item_id = {veg}")
            )
            .await,
            28
        );
        // A stale form (the version of before): the page again, nothing moved.
        let (s, _, html) = post(
            &logistics,
            &app,
            &format!("/supplies/deliveries/{}/move", ids[0]),
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("version", &v),
                ("to", "scheduled"),
                ("when", &when),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"delivery-error\""));
        let v = version(&app, ids[0]).await;
        let (s, _, _) = post(
            &logistics,
            &app,
            &format!("/supplies/deliveries/{}/move", ids[0]),
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("version", &v),
                ("to", "scheduled"),
                ("when", &when),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (_, html) = page(
            &logistics,
            &app,
            &format!("/supplies/deliveries?community={c}"),
        )
        .await;
        assert!(html.contains("第2次配送"), "the second attempt is shown");
        assert!(html.contains("已电话确认"));
        // A grid worker sees the day's deliveries, but moves none.
        let grid_page = common::sign_in_page(&app, "jinhua-grid1").await;
        let (s, html) = page(
            &grid_page,
            &app,
            &format!("/supplies/deliveries?community={c}"),
        )
        .await;
        assert_eq!(s, 200);
        assert!(html.contains(&format!("data-delivery=\"{}\"", ids[0])));
        assert!(!html.contains("/move\""), "no forms for a grid worker");
        // Under its minimum, the item is flagged on the leader's and the logistics group's home.
        let (_, html) = page(&logistics, &app, "/").await;
        assert!(!html.contains("爱心蔬菜包"));
        let (s, _) = app
            .send(
                &api_leader,
                reqwest::Method::PUT,
                &format!("/api/v1/supplies/stock/{c}/limits/{veg}"),
                serde_json::json!({"household_cap": null, "min_stock": 50}),
            )
            .await;
        assert_eq!(s, 204);
        for who in [
            &logistics,
            &common::sign_in_page(&app, "jinhua-leader").await,
        ] {
            let (_, html) = page(who, &app, "/").await;
            assert!(
                html.contains("id=\"home-low-stock\"") && html.contains("爱心蔬菜包 28袋"),
                "{html}"
            );
        }
        let (_, html) = page(&grid_page, &app, "/").await;
        assert!(
            !html.contains("id=\"home-low-stock\""),
            "a grid worker does not keep the store"
        );
        // The receipt shows what reached households.
        let (_, html) = page(
            &logistics,
            &app,
            &format!("/supplies/donations/{donation}/receipt"),
        )
        .await;
        assert!(html.contains("<td class=\"noprint\">2</td>"), "{html}");
    }
}
