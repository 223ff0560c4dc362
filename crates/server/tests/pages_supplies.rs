//! The store in the pages, on both backends: a leader adds an item and moves goods in, a refused
//! movement is named in words with nothing written, a stocktake and an undo; the logistics group
//! works the store, a grid worker only sees it.
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
) -> (u16, String) {
    let r = c.post(app.url(path)).form(fields).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn scalar(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_leader_keeps_the_store_from_a_phone() {
    for app in common::each_demo_app().await {
        let community = scalar(&app, "SELECT id FROM org_units WHERE code = '650203100001'").await;
        let c = community.to_string();
        let leader = common::sign_in_page(&app, "jinhua-leader").await;
        let (s, html) = page(&leader, &app, "/supplies").await;
        assert_eq!(s, 200, "{}", app.db.name());
        assert!(
            html.contains("id=\"new-item\""),
            "a leader keeps the catalogue"
        );
        let csrf = common::csrf_of(&html);
        let (s, _) = post(
            &leader,
            &app,
            "/supplies/items",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("name", "一次性口罩"),
                ("category", "protective"),
                ("unit", "个"),
                ("usual", "10"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let item = scalar(
            &app,
            "SELECT id FROM supply_items WHERE name = '一次性口罩'",
        )
        .await
        .to_string();
        let (s, _) = post(
            &leader,
            &app,
            "/supplies/movements",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("item", &item),
                ("kind", "purchase_in"),
                ("quantity", "200"),
                ("key", "k1"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        // Twice the same form (a double tap): one movement.
        let (s, _) = post(
            &leader,
            &app,
            "/supplies/movements",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("item", &item),
                ("kind", "purchase_in"),
                ("quantity", "200"),
                ("key", "k1"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (_, html) = page(
            &leader,
            &app,
            &format!("/supplies?community={c}&saved=moved"),
        )
        .await;
        assert!(html.contains("id=\"supplies-saved\""));
        assert!(
            html.contains(&format!("data-item=\"{item}\"")) && html.contains(">200<"),
            "the balance is shown"
        );
        // More out than there is: refused in words, nothing written.
        let before = scalar(&app, "SELECT COUNT(*) FROM supply_movements").await;
        let (s, html) = post(
            &leader,
            &app,
            "/supplies/movements",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("item", &item),
                ("kind", "staff_out"),
                ("quantity", "500"),
                ("key", "k2"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("id=\"supplies-error\"") && html.contains("库存不足"),
            "{html}"
        );
        let (s, _) = post(
            &leader,
            &app,
            "/supplies/movements",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("item", &item),
                ("kind", "staff_out"),
                ("quantity", "五"),
                ("key", "k3"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM supply_movements").await,
            before
        );
        // Without the form's token: refused.
        let (s, _) = post(
            &leader,
            &app,
            "/supplies/movements",
            &[
                ("community", &c),
                ("item", &item),
                ("kind", "staff_out"),
                ("quantity", "5"),
                ("key", "k4"),
            ],
        )
        .await;
        assert_eq!(s, 403);
        // Out, undone, counted.
        let (s, _) = post(
            &leader,
            &app,
            "/supplies/movements",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("item", &item),
                ("kind", "staff_out"),
                ("quantity", "20"),
                ("key", "k5"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let out = scalar(&app, "SELECT MAX(id) FROM supply_movements").await;
        let (s, _) = post(
            &leader,
            &app,
            &format!("/supplies/movements/{out}/reverse"),
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("reason", "领错了"),
                ("key", "k6"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (s, _) = post(
            &leader,
            &app,
            "/supplies/stocktakes",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("item", &item),
                ("counted", "198"),
                ("key", "k7"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let balance = scalar(
            &app,
            &format!(
                "SELECT balance FROM supply_stock WHERE community_id = {c} AND item_id = {item}"
            ),
        )
        .await;
        let summed = scalar(&app, &format!("SELECT CAST(SUM(quantity) AS BIGINT) FROM supply_movements WHERE community_id = {c} AND item_id = {item}")).await;
        assert_eq!((balance, summed), (198, 198));

        // The logistics group works the store; a grid worker sees it without the forms.
        let logistics = common::sign_in_page(&app, "jinhua-logistics1").await;
        let (s, html) = page(&logistics, &app, "/supplies").await;
        assert_eq!(s, 200);
        assert!(html.contains("action=\"/supplies/movements\""));
        let grid = common::sign_in_page(&app, "jinhua-grid1").await;
        let (s, html) = page(&grid, &app, "/supplies").await;
        assert_eq!(s, 200);
        assert!(html.contains(&format!("data-item=\"{item}\"")));
        assert!(
            !html.contains("action=\"/supplies/movements\"") && !html.contains("id=\"new-item\"")
        );
        let csrf = common::csrf_of(&html);
        let (s, _) = post(
            &grid,
            &app,
            "/supplies/movements",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("item", &item),
                ("kind", "staff_out"),
                ("quantity", "1"),
                ("key", "g1"),
            ],
        )
        .await;
        assert_eq!(s, 403);
        // Another community's store: not there.
        let other = common::sign_in_page(&app, "nanquan-leader").await;
        let (s, _) = page(&other, &app, &format!("/supplies?community={c}")).await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn a_grid_worker_records_a_households_need_at_the_door() {
    for app in common::each_demo_app().await {
        let hh = scalar(
            &app,
            "SELECT MAX(h.id) FROM households h JOIN org_units g ON g.id = h.grid_id \
             WHERE g.code = '650203100001001' AND h.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM supply_needs n WHERE n.household_id = h.id)",
        )
        .await;
        let leader = app.login("jinhua-leader").await;
        let r = app
            .client
            .post(app.url("/api/v1/supplies/items"))
            .bearer_auth(&leader)
            .json(&serde_json::json!({"name": "挂面", "category": "daily", "unit": "把", "usual_quantity": 2}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let item = scalar(&app, "SELECT id FROM supply_items WHERE name = '挂面'")
            .await
            .to_string();
        let grid = common::sign_in_page(&app, "jinhua-grid1").await;
        let (s, html) = page(&grid, &app, &format!("/households/{hh}")).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("id=\"household-needs\""),
            "the card leads to the household's needs"
        );
        let (s, html) = page(&grid, &app, &format!("/supplies/needs?household={hh}")).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"need-form\""));
        let csrf = common::csrf_of(&html);
        let h = hh.to_string();
        // Fifty where two is usual: asked to confirm, the form kept, nothing written.
        let (s, html) = post(
            &grid,
            &app,
            "/supplies/needs",
            &[
                ("csrf", &csrf),
                ("household", &h),
                ("item", &item),
                ("quantity", "50"),
                ("free", "1"),
                ("key", "p1"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("id=\"need-confirm\"") && html.contains("value=\"50\""),
            "{html}"
        );
        // The demo's needs are there already: only what this form wrote counts.
        let seeded = scalar(&app, "SELECT COUNT(*) FROM supply_needs").await;
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM supply_needs WHERE household_id = {hh}")
            )
            .await,
            0
        );
        let (s, _) = post(
            &grid,
            &app,
            "/supplies/needs",
            &[
                ("csrf", &csrf),
                ("household", &h),
                ("item", &item),
                ("quantity", "50"),
                ("free", "1"),
                ("confirm", "1"),
                ("key", "p1-c"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (s, _) = post(
            &grid,
            &app,
            "/supplies/needs",
            &[
                ("csrf", &csrf),
                ("household", &h),
                ("item", &item),
                ("quantity", "2"),
                ("key", "p2"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM supply_needs").await,
            seeded + 2
        );
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM supply_needs WHERE paid = 0 AND over_confirmed = 1 AND household_id = {hh}")
            )
            .await,
            1
        );
        // The day's list adds them up and offers the spreadsheet.
        let (s, html) = page(&grid, &app, "/supplies/needs").await;
        assert_eq!(s, 200);
        assert!(
            html.contains(&format!("data-item=\"{item}\"")) && html.contains(">52<"),
            "{html}"
        );
        assert!(html.contains("id=\"needs-xlsx\""));
        // The page's own session downloads it.
        let r = grid
            .get(app.url("/api/v1/supplies/needs-list?format=xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.bytes().await.unwrap().starts_with(b"PK"),
            "an .xlsx (a zip)"
        );
    }
}

#[tokio::test]
async fn a_purchase_run_from_plan_to_reconciled_in_the_pages() {
    for app in common::each_demo_app().await {
        let community = scalar(&app, "SELECT id FROM org_units WHERE code = '650203100001'").await;
        let c = community.to_string();
        let leader = app.login("jinhua-leader").await;
        let r = app
            .client
            .post(app.url("/api/v1/supplies/items"))
            .bearer_auth(&leader)
            .json(&serde_json::json!({"name": "鸡蛋", "category": "daily", "unit": "斤"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let item = scalar(&app, "SELECT id FROM supply_items WHERE name = '鸡蛋'")
            .await
            .to_string();
        let logistics = common::sign_in_page(&app, "jinhua-logistics1").await;
        let (_, html) = page(&logistics, &app, "/supplies").await;
        assert!(html.contains("id=\"plan-run\""));
        let csrf = common::csrf_of(&html);
        // Cash typed wrong: the store's page says so, nothing planned.
        let (s, html) = post(
            &logistics,
            &app,
            "/supplies/purchases",
            &[
                ("csrf", &csrf),
                ("community", &c),
                ("place", "九鼎农资批发市场"),
                ("buyers", "老王"),
                ("when", "2026-12-08T02:00"),
                ("cash", "五百"),
                ("key", "r0"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"supplies-error\""));
        let r = logistics
            .post(app.url("/supplies/purchases"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("community", &c),
                ("place", "九鼎农资批发市场"),
                ("buyers", "老王"),
                ("when", "2026-12-08T02:00"),
                ("cash", "500"),
                ("key", "r1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let id = scalar(&app, "SELECT MAX(id) FROM supply_purchases").await;
        assert_eq!(to, format!("/supplies/purchases/{id}"));
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT cash_advanced_fen FROM supply_purchases WHERE id = {id}")
            )
            .await,
            50_000
        );
        let (s, html) = page(&logistics, &app, &to).await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"lines-form\""));
        let v = run_version(&app, id).await;
        // 80 斤 of eggs at ¥4.50: ¥360.00.
        let (s, _) = post(
            &logistics,
            &app,
            &format!("{to}/lines"),
            &[
                ("csrf", &csrf),
                ("version", &v),
                ("item_0", &item),
                ("quantity_0", "80"),
                ("price_0", "4.5"),
                ("total_0", ""),
                ("item_1", ""),
                ("quantity_1", ""),
            ],
        )
        .await;
        assert_eq!(s, 303);
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT total_fen FROM supply_purchase_lines WHERE purchase_id = {id}")
            )
            .await,
            36_000
        );
        for to_state in ["shopping", "returned"] {
            let v = run_version(&app, id).await;
            let (s, _) = post(
                &logistics,
                &app,
                &format!("{to}/move"),
                &[("csrf", &csrf), ("version", &v), ("to", to_state)],
            )
            .await;
            assert_eq!(s, 303, "{to_state}");
        }
        assert_eq!(
            scalar(
                &app,
                &format!(
                    "SELECT balance FROM supply_stock WHERE community_id = {c} AND item_id = {item}"
                )
            )
            .await,
            80
        );
        let v = run_version(&app, id).await;
        let (s, html) = post(
            &logistics,
            &app,
            &format!("{to}/move"),
            &[
                ("csrf", &csrf),
                ("version", &v),
                ("to", "reconciled"),
                ("change", "139.99"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            html.contains("id=\"purchase-error\"") && html.contains("账不平"),
            "{html}"
        );
        let (s, _) = post(
            &logistics,
            &app,
            &format!("{to}/move"),
            &[
                ("csrf", &csrf),
                ("version", &v),
                ("to", "reconciled"),
                ("change", "140"),
                ("receipts", "小票1张"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (_, html) = page(&logistics, &app, &to).await;
        assert!(
            html.contains("¥360.00") && html.contains("¥140.00"),
            "{html}"
        );
    }
}

async fn run_version(app: &common::TestApp, id: i64) -> String {
    scalar(
        app,
        &format!("SELECT version FROM supply_purchases WHERE id = {id}"),
    )
    .await
    .to_string()
}
