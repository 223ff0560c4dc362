//! The temperature round's page (体温巡查) as a grid worker's phone uses it, on both backends:
//! buildings in walking order, a stairwell recorded with one submit (symptoms ticked), a page
//! with mistakes refused whole with every typed value kept and every faulty row named, and paging
//! that neither repeats nor skips anyone.
#![allow(clippy::unwrap_used)]

mod common;

async fn html(c: &reqwest::Client, app: &common::TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Every `attr="…"` value inside the element with `id`, up to the next `</nav>` or `</form>`.
fn values_in(html: &str, id: &str, attr: &str) -> Vec<String> {
    let Some(at) = html.find(&format!("id=\"{id}\"")) else {
        return Vec::new();
    };
    let rest = &html[at..];
    let end = ["</nav>", "</form>"]
        .iter()
        .filter_map(|e| rest.find(e))
        .min()
        .unwrap_or(rest.len());
    rest[..end]
        .split(&format!("{attr}=\""))
        .skip(1)
        .map(|s| {
            s.split('"')
                .next()
                .unwrap()
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        })
        .collect()
}

/// The chips' words (the text of each link) inside the element with `id`.
fn labels_in(html: &str, id: &str) -> Vec<String> {
    let at = html.find(&format!("id=\"{id}\"")).unwrap();
    let rest = &html[at..];
    let end = rest.find("</nav>").unwrap();
    rest[..end]
        .split("</a>")
        .filter_map(|a| a.rsplit('>').next())
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.split(" · ").next().unwrap().to_string())
        .collect()
}

async fn count(app: &common::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

/// A demo where grid 1 has buildings 1号楼 to 3号楼 of three stairwells each, and two households of
/// 1号楼 3单元 moved to a 10号楼 created last: sorted as text, 10号楼 would come second.
async fn apps_with_buildings() -> Vec<common::TestApp> {
    let mut out = Vec::new();
    for db in common::each_backend().await {
        shouhu_server::demo::seed(
            &db.db,
            &shouhu_server::demo::Options {
                households: 900,
                seed: 7,
                progress: false,
            },
        )
        .await
        .unwrap();
        let pool = &db.db.pool;
        let grid: i64 =
            sqlx::query_scalar("SELECT id FROM org_units WHERE code = '650203002005001'")
                .fetch_one(pool)
                .await
                .unwrap();
        let movers: Vec<i64> = sqlx::query_scalar(
            "SELECT h.id FROM households h JOIN building_units u ON u.id = h.building_unit_id \
             JOIN buildings b ON b.id = u.building_id \
             WHERE h.grid_id = $1 AND b.name = '1号楼' AND u.name = '3单元' ORDER BY h.id LIMIT 2",
        )
        .bind(grid)
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(movers.len(), 2);
        let b: i64 = sqlx::query_scalar(
            "INSERT INTO buildings (grid_id, name) VALUES ($1, '10号楼') RETURNING id",
        )
        .bind(grid)
        .fetch_one(pool)
        .await
        .unwrap();
        let u: i64 = sqlx::query_scalar(
            "INSERT INTO building_units (building_id, name) VALUES ($1, '1单元') RETURNING id",
        )
        .bind(b)
        .fetch_one(pool)
        .await
        .unwrap();
        for h in movers {
            sqlx::query("UPDATE households SET building_unit_id = $1 WHERE id = $2")
                .bind(u)
                .bind(h)
                .execute(pool)
                .await
                .unwrap();
        }
        out.push(common::spawn_app(db, true).await);
    }
    out
}

#[tokio::test]
async fn a_round_goes_building_by_building_and_records_a_stairwell_in_one_submit() {
    for app in apps_with_buildings().await {
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        // One grid: the round opens on it, its buildings in the order they are walked.
        let (s, page) = html(&worker, &app, "/health/round").await;
        assert_eq!(s, 200);
        let buildings = labels_in(&page, "round-buildings");
        assert_eq!(buildings[0], "全部楼栋");
        assert_eq!(
            buildings[1..],
            ["1号楼", "2号楼", "3号楼", "10号楼"],
            "by number"
        );
        // The grid's list is paged: every page together is everyone left, once each.
        let grid_left = count(&app, "SELECT COUNT(*) FROM residents r JOIN org_units g ON g.id = r.grid_id WHERE g.code = '650203002005001' AND r.deleted_at IS NULL").await;
        let mut seen = std::collections::BTreeSet::new();
        let mut next = Some("/health/round".to_string());
        let mut pages = 0;
        while let Some(path) = next {
            let (_, p) = html(&worker, &app, &path).await;
            for r in values_in(&p, "round-form", "data-resident") {
                assert!(seen.insert(r), "repeated on {path}");
            }
            next = values_in(&p, "round-next", "href").into_iter().next();
            pages += 1;
            assert!(pages < 100);
        }
        assert!(pages > 1);
        assert_eq!(seen.len() as i64, grid_left, "{}", app.db.name());

        // A building, then a stairwell: only its households, each a card of its members.
        let building = values_in(&page, "round-buildings", "href")[1].clone();
        let (_, in_building) = html(&worker, &app, &building).await;
        assert_eq!(
            labels_in(&in_building, "round-units"),
            ["1单元", "2单元", "3单元"]
        );
        let stairwell = values_in(&in_building, "round-units", "href")[0].clone();
        let (_, page) = html(&worker, &app, &stairwell).await;
        let people = values_in(&page, "round-form", "data-resident");
        assert!(people.len() >= 10, "{people:?}");
        let legends: Vec<&str> = page
            .split("<legend>")
            .skip(1)
            .map(|l| l.split('<').next().unwrap())
            .collect();
        assert_eq!(legends.len(), 10, "ten households a stairwell");
        assert!(
            legends.iter().all(|l| l.starts_with("1号楼 1单元 ")),
            "{legends:?}"
        );
        let hidden = |name: &str| {
            values_in(&page, "round-form", "value")
                .into_iter()
                .zip(values_in(&page, "round-form", "name"))
                .find(|(_, n)| n == name)
                .map(|(v, _)| v)
                .unwrap_or_default()
        };
        let (csrf, key) = (common::csrf_of(&page), hidden("key"));
        let target = [
            ("grid".to_string(), hidden("grid")),
            ("building".to_string(), hidden("building")),
            ("unit".to_string(), hidden("unit")),
        ];
        let post = |fields: Vec<(String, String)>| {
            let mut form = vec![
                ("csrf".to_string(), csrf.clone()),
                ("key".to_string(), key.clone()),
            ];
            form.extend(target.iter().cloned());
            form.extend(fields);
            let (worker, url) = (&worker, app.url("/health/round"));
            async move { worker.post(url).form(&form).send().await.unwrap() }
        };
        let before = count(&app, "SELECT COUNT(*) FROM health_checks").await;

        // Two mistakes and a good reading: nothing recorded, all kept, both named.
        let r = post(vec![
            (format!("t{}", people[0]), "365".into()),
            (format!("t{}", people[1]), "36.6".into()),
            (format!("t{}", people[2]), "热".into()),
            (format!("s{}", people[3]), "cough".into()),
        ])
        .await;
        assert_eq!(r.status(), 422);
        let refused = r.text().await.unwrap();
        assert!(refused.contains("id=\"round-error\""));
        for (p, typed) in [
            (&people[0], "365"),
            (&people[1], "36.6"),
            (&people[2], "热"),
        ] {
            assert!(refused.contains(&format!("name=\"t{p}\" inputmode=\"decimal\" placeholder=\"36.5\" autocomplete=\"off\" value=\"{typed}\"")), "{p} keeps {typed}");
        }
        for p in [&people[0], &people[2], &people[3]] {
            assert!(refused.contains(&format!("id=\"e{p}\"")), "{p} named");
        }
        assert!(!refused.contains(&format!("id=\"e{}\"", people[1])));
        assert!(
            refused.contains(&format!(
                "autocomplete=\"off\" name=\"s{}\" value=\"cough\" checked",
                people[3]
            )),
            "the tick kept"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM health_checks").await,
            before
        );

        // The whole stairwell in one submit, one with a fever and a cough; sent twice, kept once.
        let mut fields: Vec<(String, String)> = people
            .iter()
            .map(|p| (format!("t{p}"), "36,5".to_string()))
            .collect();
        fields[0].1 = "38.4".into();
        fields.push((format!("s{}", people[0]), "cough".into()));
        fields.push((format!("s{}", people[0]), "fatigue".into()));
        for _ in 0..2 {
            let r = post(fields.clone()).await;
            assert_eq!(r.status(), 303);
            assert!(r.headers()["location"].to_str().unwrap().contains("saved="));
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM health_checks").await,
            before + people.len() as i64,
            "{}",
            app.db.name()
        );
        let alert: String = sqlx::query_scalar("SELECT reason FROM alerts WHERE resident_id = $1")
            .bind(people[0].parse::<i64>().unwrap())
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(alert, "fever,cough,fatigue");
        // The stairwell is done: it is gone from the building's choices, its people from the list.
        let (_, after) = html(&worker, &app, &building).await;
        assert_eq!(labels_in(&after, "round-units"), ["2单元", "3单元"]);
        let (_, done) = html(&worker, &app, &format!("{stairwell}&saved=10&fevers=1")).await;
        assert!(values_in(&done, "round-form", "data-resident").is_empty());
        assert!(done.contains("其中 1 人发热"));
    }
}

/// Someone of another grid's list cannot be recorded from this one's page, and a guard (no
/// health rights) is refused the page.
#[tokio::test]
async fn a_round_records_only_the_callers_own_residents() {
    for app in common::each_demo_app().await {
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let (_, page) = html(&worker, &app, "/health/round").await;
        let outsider: i64 = sqlx::query_scalar(
            "SELECT MIN(r.id) FROM residents r JOIN org_units g ON g.id = r.grid_id WHERE g.code <> '650203002005001'",
        )
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        let r = worker
            .post(app.url("/health/round"))
            .form(&[
                ("csrf", common::csrf_of(&page).as_str()),
                ("key", "k1"),
                (format!("t{outsider}").as_str(), "36.5"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM health_checks").await, 0);
        let guard = common::sign_in_page(&app, "nanquan-gate-east").await;
        let (s, _) = html(&guard, &app, "/health/round").await;
        assert_eq!(s, 403, "{}", app.db.name());
    }
}
