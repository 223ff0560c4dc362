//! Import and export through the API and the pages, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use shouhu_domain::IdNumber;
use shouhu_server::sheet::read::{Cell, Workbook};

fn sheet(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

fn new_people(n: u16) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "姓名".into(),
        "身份证号".into(),
        "网格".into(),
        "楼栋".into(),
        "房号".into(),
    ]];
    for i in 0..n {
        let id = IdNumber::from_parts(
            "650203",
            NaiveDate::from_ymd_opt(1970, 3, 3).unwrap(),
            500 + i,
        )
        .unwrap();
        rows.push(vec![
            format!("导入{i}"),
            id.as_str().into(),
            "650203002005001".into(),
            "20".into(),
            format!("{}", 100 + i),
        ]);
    }
    rows.push(vec![
        "坏行".into(),
        "123".into(),
        "650203002005001".into(),
        "20".into(),
        "999".into(),
    ]);
    rows
}

async fn post_file(
    app: &common::TestApp,
    token: &str,
    query: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/imports/residents?{query}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

fn first_sheet(bytes: &[u8]) -> Vec<Vec<Cell>> {
    let mut book = Workbook::open(bytes).unwrap();
    let name = book.sheet_names()[0].clone();
    book.sheet(&name).unwrap().rows
}

#[tokio::test]
async fn the_import_api_previews_imports_and_refuses_what_it_must() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let file = sheet(&new_people(5));
        let (s, dry) = post_file(
            &app,
            &leader,
            "community=650203002005&dry_run=true&file_name=a.xlsx",
            file.clone(),
        )
        .await;
        assert_eq!(s, 200, "{dry}");
        assert_eq!(
            (
                dry["created"].as_u64(),
                dry["rejected"].as_u64(),
                dry["dry_run"].as_bool()
            ),
            (Some(5), Some(1), Some(true))
        );
        assert_eq!(dry["rejected_rows"][0]["line"], 7);
        assert_eq!(
            dry["rejected_rows"][0]["problems"][0]["column"],
            "id_number"
        );
        let (_, list) = app.get(&leader, "/api/v1/residents?q=导入").await;
        assert_eq!(list["total"], 0, "a dry run writes nothing");
        let (s, done) = post_file(&app, &leader, "community=650203002005", file.clone()).await;
        assert_eq!((s, done["created"].as_u64()), (200, Some(5)), "{done}");
        let (_, list) = app.get(&leader, "/api/v1/residents?q=导入").await;
        assert_eq!(list["total"], 5);
        let (_, again) = post_file(&app, &leader, "community=650203002005", file.clone()).await;
        assert_eq!(
            (again["created"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(5))
        );
        // Refusals: another community, a role without the right, a file that is none, too large.
        let jinhua = app.login("jinhua-leader").await;
        let (s, e) = post_file(&app, &jinhua, "community=650203002005", file.clone()).await;
        assert_eq!((s, e["field"].as_str()), (422, Some("community")));
        let guard = app.login("nanquan-gate-east").await;
        assert_eq!(
            post_file(&app, &guard, "community=650203002005", file.clone())
                .await
                .0,
            403
        );
        let (s, e) = post_file(
            &app,
            &leader,
            "community=650203002005",
            b"%PDF-1.4\x00\x01".to_vec(),
        )
        .await;
        assert_eq!(
            (s, e["field"].as_str(), e["error"].as_str()),
            (422, Some("file"), Some("not_a_spreadsheet"))
        );
        let (s, e) = post_file(
            &app,
            &leader,
            "community=650203002005&bogus=1",
            file.clone(),
        )
        .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("bogus")));
        let huge = vec![b'a'; 51 * 1024 * 1024];
        assert_eq!(
            post_file(&app, &leader, "community=650203002005", huge)
                .await
                .0,
            413
        );
        let (_, list) = app.get(&leader, "/api/v1/residents?q=导入").await;
        assert_eq!(
            list["total"],
            5,
            "{}: refusals write nothing",
            app.db.name()
        );
    }
}

#[tokio::test]
async fn exports_are_masked_unless_unmasked_with_a_password_and_are_audited() {
    for app in common::each_demo_app().await {
        let worker = app.login("nanquan-grid1").await;
        let r = app
            .client
            .get(app.url("/api/v1/exports/residents?unit=650203002005001"))
            .bearer_auth(&worker)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".xlsx")
        );
        let rows = first_sheet(&r.bytes().await.unwrap());
        assert_eq!(rows[1][6].text(), "身份证号");
        assert!(rows[2][6].text().contains('*'), "masked: {:?}", rows[2][6]);
        // Full values need the password (a wrong one is refused, and nothing is sent).
        let (s, e) = app
            .send(
                &worker,
                reqwest::Method::POST,
                "/api/v1/exports/residents",
                serde_json::json!({"unit": "650203002005001", "password": "wrong-password-1"}),
            )
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("password")));
        let r = app
            .client
            .post(app.url("/api/v1/exports/residents"))
            .bearer_auth(&worker)
            .json(&serde_json::json!({"unit": "650203002005001", "format": "csv", "password": common::PW}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        let first = text.lines().nth(1).unwrap();
        let id = first.split(',').nth(6).unwrap();
        assert!(
            IdNumber::parse(id, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()).is_ok(),
            "{first}"
        );
        // Outside the jurisdiction: 404; a format that is none: 422; a street officer: masked only.
        let (s, _) = app
            .get(&worker, "/api/v1/exports/residents?unit=650203100001")
            .await;
        assert_eq!(s, 404);
        let (s, e) = app
            .get(
                &worker,
                "/api/v1/exports/residents?unit=650203002005001&format=pdf",
            )
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("format")));
        let street = app.login("kunlun-street").await;
        let (s, _) = app
            .send(
                &street,
                reqwest::Method::POST,
                "/api/v1/exports/residents",
                serde_json::json!({"unit": "650203002005", "password": common::PW}),
            )
            .await;
        assert_eq!(s, 403);
        let auditor = app.login("auditor").await;
        let (_, log) = app
            .get(&auditor, "/api/v1/audit?action=export.residents.unmasked")
            .await;
        let mut results: Vec<(String, String)> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap().to_string(),
                    e["result"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        results.sort();
        let expected = [("kunlun-street", "forbidden"), ("nanquan-grid1", "ok")]
            .map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(results, expected, "{}", app.db.name());
    }
}

#[tokio::test]
async fn a_leader_uploads_previews_and_confirms_an_import_in_the_page() {
    for app in common::each_demo_app().await {
        let c = common::browser();
        let r = c
            .post(app.url("/login"))
            .form(&[("username", "nanquan-leader"), ("password", common::PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let form = c
            .get(app.url("/import"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(form.contains("enctype=\"multipart/form-data\""));
        let csrf = common::csrf_of(&form);
        let upload = |file: Vec<u8>| {
            reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .text("community", "650203002005")
                .text("grid", "")
                .text("sheet", "")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(file).file_name("居民.xlsx"),
                )
        };
        let preview = c
            .post(app.url("/import"))
            .multipart(upload(sheet(&new_people(3))))
            .send()
            .await
            .unwrap();
        assert_eq!(preview.status(), 200);
        let html = preview.text().await.unwrap();
        assert!(html.contains("id=\"n-created\">3<"), "{html}");
        assert!(html.contains("id=\"problems\""));
        let at = html.find("/import/").unwrap();
        let token: String = html[at + 8..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        // The rejected rows download as a sheet.
        let errors = c
            .get(app.url(&format!("/import/{token}/errors.xlsx")))
            .send()
            .await
            .unwrap();
        assert_eq!(errors.status(), 200);
        assert_eq!(first_sheet(&errors.bytes().await.unwrap()).len(), 2);
        let done = c
            .post(app.url(&format!("/import/{token}/confirm")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(done.contains("id=\"n-created\">3<"), "{done}");
        // Someone else's token, a garbage file and a missing CSRF token are refused.
        let other = common::browser();
        other
            .post(app.url("/login"))
            .form(&[("username", "nanquan-grid1"), ("password", common::PW)])
            .send()
            .await
            .unwrap();
        let home = other
            .get(app.url("/import"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = other
            .post(app.url(&format!("/import/{token}/confirm")))
            .form(&[("csrf", common::csrf_of(&home))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let bad = c
            .post(app.url("/import"))
            .multipart(upload(b"hello".to_vec()))
            .send()
            .await
            .unwrap();
        let html = bad.text().await.unwrap();
        assert!(html.contains("id=\"import-error\""), "{html}");
        let no_csrf = reqwest::multipart::Form::new().text("community", "650203002005");
        assert_eq!(
            c.post(app.url("/import"))
                .multipart(no_csrf)
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
    }
}
