//! API tests against a running server, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn every_demo_account_signs_in_and_a_wrong_password_is_401() {
    for app in common::each_demo_app().await {
        for u in [
            "admin",
            "security",
            "auditor",
            "kunlun-street",
            "nanquan-leader",
            "jinhua-leader",
            "wuting-leader",
            "nanquan-grid1",
            "nanquan-grid2",
            "nanquan-gate-east",
            "nanquan-medical",
            "nanquan-logistics",
        ] {
            app.login(u).await;
        }
        let r = app
            .client
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": "nanquan-grid1", "password": "wrong-password-123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = app
            .client
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": "nobody-at-all", "password": "wrong-password-123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            401,
            "an unknown name answers like a wrong password"
        );
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_account_and_are_audited() {
    for app in common::each_demo_app().await {
        let bad = json!({"username": "nanquan-grid2", "password": "wrong-password-123"});
        for _ in 0..5 {
            let r = app
                .client
                .post(app.url("/api/v1/session"))
                .json(&bad)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 401);
        }
        let good = json!({"username": "nanquan-grid2", "password": common::PW});
        let r = app
            .client
            .post(app.url("/api/v1/session"))
            .json(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            429,
            "even the right password waits once throttled"
        );
        let auditor = app.login("auditor").await;
        let (s, v) = app
            .get(
                &auditor,
                "/api/v1/audit?actor=nanquan-grid2&action=session.sign_in",
            )
            .await;
        assert_eq!(s, 200);
        let results: Vec<&str> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["result"].as_str().unwrap())
            .collect();
        assert_eq!(results.iter().filter(|r| **r == "refused").count(), 5);
        assert_eq!(results.iter().filter(|r| **r == "throttled").count(), 1);
    }
}

#[tokio::test]
async fn a_grid_worker_lists_only_its_grid_and_gets_404_elsewhere() {
    for app in common::each_demo_app().await {
        let g1 = app.login("nanquan-grid1").await;
        let leader = app.login("nanquan-leader").await;
        let jinhua = app.login("jinhua-leader").await;
        let (s, mine) = app.get(&g1, "/api/v1/residents?per_page=500").await;
        assert_eq!(s, 200);
        let items = mine["items"].as_array().unwrap();
        assert!(!items.is_empty());
        assert!(items.iter().all(|r| r["grid_code"] == "650203002005001"));
        assert_eq!(mine["total"].as_i64().unwrap() as usize, items.len());
        let (_, all) = app.get(&leader, "/api/v1/residents?per_page=500").await;
        let other = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["grid_code"] != "650203002005001")
            .unwrap();
        let (s, body) = app
            .get(&g1, &format!("/api/v1/residents/{}", other["id"]))
            .await;
        assert_eq!(s, 404);
        assert_eq!(body["error"], "not_found");
        let (s, _) = app
            .get(&g1, &format!("/api/v1/residents/{}", items[0]["id"]))
            .await;
        assert_eq!(s, 200);
        let (s, _) = app
            .get(&jinhua, &format!("/api/v1/residents/{}", items[0]["id"]))
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .get(
                &g1,
                &format!("/api/v1/households/{}", other["household_id"]),
            )
            .await;
        assert_eq!(s, 404);
        // A foreign unit filter is refused like an unknown one.
        let (s, body) = app.get(&g1, "/api/v1/residents?unit=650203002005002").await;
        assert_eq!(s, 422);
        assert_eq!(body["field"], "unit");
        // The refusal of a real record is in the audit log.
        let auditor = app.login("auditor").await;
        let (_, log) = app
            .get(
                &auditor,
                "/api/v1/audit?actor=nanquan-grid1&action=resident.read",
            )
            .await;
        assert!(
            log["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["result"] == "denied")
        );
    }
}

#[tokio::test]
async fn the_street_sees_masked_ids_and_cannot_unmask() {
    for app in common::each_demo_app().await {
        let street = app.login("kunlun-street").await;
        let (s, v) = app.get(&street, "/api/v1/residents?per_page=50").await;
        assert_eq!(s, 200);
        let re = |s: &str| {
            s.len() == 18 && s[..6].bytes().all(|b| b.is_ascii_digit()) && &s[6..14] == "********"
        };
        for r in v["items"].as_array().unwrap() {
            assert!(re(r["id_number"].as_str().unwrap()), "{}", r["id_number"]);
            if let Some(p) = r["phone"].as_str() {
                assert_eq!(&p[3..7], "****");
            }
        }
        let id = &v["items"][0]["id"];
        let (s, _) = app
            .send(
                &street,
                Method::POST,
                &format!("/api/v1/residents/{id}/unmask"),
                json!({"password": common::PW}),
            )
            .await;
        assert_eq!(s, 403);
    }
}

#[tokio::test]
async fn a_leader_unmasks_with_the_password_and_it_is_audited() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let (_, v) = app.get(&leader, "/api/v1/residents?per_page=1").await;
        let id = v["items"][0]["id"].clone();
        let masked = v["items"][0]["id_number"].as_str().unwrap().to_string();
        let (s, body) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/residents/{id}/unmask"),
                json!({"password": "not-my-password"}),
            )
            .await;
        assert_eq!((s, body["field"].as_str()), (422, Some("password")));
        let (s, body) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/residents/{id}/unmask"),
                json!({"password": common::PW}),
            )
            .await;
        assert_eq!(s, 200);
        let full = body["id_number"].as_str().unwrap();
        assert_eq!(shouhu_domain::mask::id_number(full), masked);
        assert!(!full.contains('*'));
        let auditor = app.login("auditor").await;
        let (_, log) = app
            .get(
                &auditor,
                &format!("/api/v1/audit?action=resident.unmask&object_id={id}"),
            )
            .await;
        assert_eq!(log["total"], 1);
        // The audit log never holds the number itself.
        let (_, all) = app.get(&auditor, "/api/v1/audit?per_page=500").await;
        assert!(!all.to_string().contains(full));
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named_and_writes_nothing() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let (_, v) = app.get(&leader, "/api/v1/residents?per_page=1").await;
        let id = v["items"][0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/residents/{id}");
        let (_, before) = app.get(&leader, &path).await;
        let ver = before["version"].as_i64().unwrap();
        let cases = [
            (
                json!({"id_number": "110105194912310021", "version": ver}),
                "id_number",
            ),
            (
                json!({"id_number": "110105194902300010", "version": ver}),
                "id_number",
            ),
            (json!({"phone": "12345", "version": ver}), "phone"),
            (json!({"name": 12345, "version": ver}), "name"),
            (
                json!({"no_such_field": "x", "version": ver}),
                "no_such_field",
            ),
            (json!({"name": "x"}), "version"),
            (json!({"name": "", "version": ver}), "name"),
            (json!({"tags": ["a,b"], "version": ver}), "tags"),
            (
                json!({"id_number": "650203********1234", "version": ver}),
                "id_number",
            ),
        ];
        for (body, field) in cases {
            let (s, err) = app.send(&leader, Method::PATCH, &path, body.clone()).await;
            assert!((400..500).contains(&s), "{body} -> {s}");
            assert_eq!(err["field"], field, "{body}");
        }
        let r = app
            .client
            .patch(app.url(&path))
            .bearer_auth(&leader)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
        let err: serde_json::Value = r.json().await.unwrap();
        assert_eq!(err["field"], "content-type");
        // A valid object followed by more: refused whole, not acted on as far as it parses.
        for trailing in ["x", "}", "{\"name\":\"y\"}"] {
            let body = format!("{{\"name\": \"改过\", \"version\": {ver}}} {trailing}");
            let r = app
                .client
                .patch(app.url(&path))
                .bearer_auth(&leader)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "{body}");
            let err: serde_json::Value = r.json().await.unwrap();
            assert_eq!(err["field"], "body", "{body}");
            assert_eq!(err["error"], "malformed_json", "{body}");
        }
        let (s, _) = app.get(&leader, "/api/v1/residents/abc").await;
        assert!((400..500).contains(&s));
        let (s, _) = app.get(&leader, "/api/v1/residents?per_page=100000").await;
        assert_eq!(s, 422);
        let (_, after) = app.get(&leader, &path).await;
        assert_eq!(before, after, "nothing was written");
    }
}

#[tokio::test]
async fn a_masked_value_sent_back_changes_nothing_and_a_stale_version_is_409() {
    for app in common::each_demo_app().await {
        let g1 = app.login("nanquan-grid1").await;
        let (_, v) = app.get(&g1, "/api/v1/residents?per_page=1").await;
        let r = &v["items"][0];
        let path = format!("/api/v1/residents/{}", r["id"]);
        let ver = r["version"].as_i64().unwrap();
        let (s, after) = app
            .send(
                &g1,
                Method::PATCH,
                &path,
                json!({"id_number": r["id_number"], "phone": r["phone"], "version": ver}),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(after["version"], ver, "nothing changed, no new version");
        let (s, after) = app
            .send(
                &g1,
                Method::PATCH,
                &path,
                json!({"note": "行动不便", "version": ver}),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(after["version"], ver + 1);
        assert_eq!(after["note"], "行动不便");
        let (s, body) = app
            .send(
                &g1,
                Method::PATCH,
                &path,
                json!({"note": "stale", "version": ver}),
            )
            .await;
        assert_eq!(s, 409);
        assert_eq!(body["error"], "version_conflict");
        // Unmasked, the stored number is still the real one.
        let (_, full) = app
            .send(
                &g1,
                Method::POST,
                &format!("{path}/unmask"),
                json!({"password": common::PW}),
            )
            .await;
        assert!(!full["id_number"].as_str().unwrap().contains('*'));
    }
}

#[tokio::test]
async fn duties_are_separated_between_admin_and_auditor() {
    for app in common::each_demo_app().await {
        let admin = app.login("admin").await;
        let auditor = app.login("auditor").await;
        let leader = app.login("nanquan-leader").await;
        let (s, _) = app.get(&admin, "/api/v1/audit").await;
        assert_eq!(s, 403);
        let (s, _) = app.get(&auditor, "/api/v1/audit").await;
        assert_eq!(s, 200);
        let (_, v) = app.get(&leader, "/api/v1/residents?per_page=1").await;
        let r = &v["items"][0];
        let (s, _) = app
            .send(
                &auditor,
                Method::PATCH,
                &format!("/api/v1/residents/{}", r["id"]),
                json!({"note": "x", "version": r["version"]}),
            )
            .await;
        assert_eq!(s, 403);
        let (s, _) = app.get(&auditor, "/api/v1/residents").await;
        assert_eq!(s, 403);
        let (_, log) = app
            .get(&auditor, "/api/v1/audit?actor=admin&action=audit.read")
            .await;
        assert_eq!(log["items"][0]["result"], "forbidden");
    }
}

#[tokio::test]
async fn outside_demo_mode_a_first_sign_in_must_change_the_password() {
    for db in common::each_backend().await {
        common::seed_demo(&db.db).await;
        let app = common::spawn_app(db, false).await;
        let t = app.login("nanquan-grid1").await;
        let (s, body) = app.get(&t, "/api/v1/residents").await;
        assert_eq!(
            (s, body["error"].as_str()),
            (403, Some("password_change_required"))
        );
        let (s, body) = app
            .send(
                &t,
                Method::POST,
                "/api/v1/session/password",
                json!({"current_password": common::PW, "new_password": "short"}),
            )
            .await;
        assert_eq!((s, body["field"].as_str()), (422, Some("new_password")));
        let (s, _) = app
            .send(
                &t,
                Method::POST,
                "/api/v1/session/password",
                json!({"current_password": common::PW, "new_password": "油城 守护 南泉 2020"}),
            )
            .await;
        assert_eq!(s, 204);
        let (s, _) = app.get(&t, "/api/v1/residents").await;
        assert_eq!(s, 200);
    }
}

#[tokio::test]
async fn a_cookie_session_needs_the_csrf_token_to_change_anything() {
    for app in common::each_demo_app().await {
        let t = app.login("nanquan-grid1").await;
        let (_, v) = app.get(&t, "/api/v1/residents?per_page=1").await;
        let r = &v["items"][0];
        let resp = app
            .client
            .patch(app.url(&format!("/api/v1/residents/{}", r["id"])))
            .header("cookie", format!("shouhu_session={t}"))
            .json(&json!({"note": "x", "version": r["version"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
        let resp = app
            .client
            .get(app.url("/api/v1/residents?per_page=1"))
            .header("cookie", format!("shouhu_session={t}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "reading by cookie needs no token");
    }
}

#[tokio::test]
async fn households_are_created_with_residents_and_deleted_only_when_empty() {
    for app in common::each_demo_app().await {
        let g1 = app.login("nanquan-grid1").await;
        let (s, h) = app
            .send(&g1, Method::POST, "/api/v1/households", json!({"grid_code": "650203002005001", "building": "99号楼", "building_unit": "1单元", "room": "101", "address": "南泉社区99号楼1单元101室"}))
            .await;
        assert_eq!(s, 201, "{h}");
        let hid = h["id"].as_i64().unwrap();
        let (s, _) = app
            .send(
                &g1,
                Method::POST,
                "/api/v1/households",
                json!({"grid_code": "650203002005002", "address": "x"}),
            )
            .await;
        assert_eq!(s, 422, "a grid outside the jurisdiction");
        let (s, r) = app
            .send(&g1, Method::POST, "/api/v1/residents", json!({"household_id": hid, "name": "李大爷", "id_number": "65020319450302001x", "relation": "户主", "phone": "+86 139-0990-1234", "tags": ["elderly_alone"]}))
            .await;
        assert!(s == 201 || s == 422, "{r}");
        if s == 422 {
            assert_eq!(r["field"], "id_number", "a wrong check digit is named");
        }
        let id = shouhu_domain::IdNumber::from_parts(
            "650203",
            chrono::NaiveDate::from_ymd_opt(1945, 3, 2).unwrap(),
            1,
        )
        .unwrap();
        let (s, r) = app
            .send(&g1, Method::POST, "/api/v1/residents", json!({"household_id": hid, "name": "李大爷", "id_number": id.as_str().to_lowercase(), "relation": "户主", "phone": "+86 139-0990-1234", "tags": ["elderly_alone"]}))
            .await;
        assert_eq!(s, 201, "{r}");
        assert_eq!(r["phone"], "139****1234");
        assert_eq!(r["sex"], "male");
        let (_, card) = app.get(&g1, &format!("/api/v1/households/{hid}")).await;
        assert_eq!(card["members"], 1);
        assert_eq!(card["head_resident_id"], r["id"]);
        assert_eq!(
            card["head_name"], "李大爷",
            "staff see names as the registry shows them"
        );
        let (s, _) = app
            .send(
                &g1,
                Method::DELETE,
                &format!("/api/v1/households/{hid}?version={}", card["version"]),
                json!({}),
            )
            .await;
        assert_eq!(s, 422, "a household with members is not deleted");
        let (s, body) = app
            .send(
                &g1,
                Method::PATCH,
                &format!("/api/v1/households/{hid}"),
                json!({"head_resident_id": 1, "version": card["version"]}),
            )
            .await;
        assert_eq!(
            (s, body["field"].as_str()),
            (422, Some("head_resident_id")),
            "the head is a member"
        );
        let (s, cleared) = app
            .send(
                &g1,
                Method::PATCH,
                &format!("/api/v1/households/{hid}"),
                json!({"head_resident_id": null, "room": "102", "version": card["version"]}),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            (
                cleared["head_resident_id"].is_null(),
                cleared["room"].as_str()
            ),
            (true, Some("102"))
        );
        let (s, _) = app
            .send(
                &g1,
                Method::PATCH,
                &format!("/api/v1/households/{hid}"),
                json!({"room": "103", "version": card["version"]}),
            )
            .await;
        assert_eq!(s, 409, "a stale household version");
        let (s, _) = app
            .send(
                &g1,
                Method::DELETE,
                &format!("/api/v1/residents/{}?version={}", r["id"], r["version"]),
                json!({}),
            )
            .await;
        assert_eq!(s, 204);
        let (_, card) = app.get(&g1, &format!("/api/v1/households/{hid}")).await;
        let (s, _) = app
            .send(
                &g1,
                Method::DELETE,
                &format!("/api/v1/households/{hid}?version={}", card["version"]),
                json!({}),
            )
            .await;
        assert_eq!(s, 204);
    }
}

#[tokio::test]
async fn units_are_the_callers_jurisdiction() {
    for app in common::each_demo_app().await {
        let street = app.login("kunlun-street").await;
        let (_, v) = app.get(&street, "/api/v1/units").await;
        let items = v["items"].as_array().unwrap();
        assert_eq!(items[0]["code"], "650203002000");
        assert_eq!(items[0]["kind"], "street");
        assert!(items.iter().any(|u| u["name"] == "南泉社区"
            && u["kind"] == "community"
            && u["parent_code"] == "650203002000"));
        assert!(!items.iter().any(|u| u["name"] == "金华社区"));
        let admin = app.login("admin").await;
        let (_, v) = app.get(&admin, "/api/v1/units").await;
        assert!(v["items"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_openapi_document_is_pinned() {
    let db = common::sqlite().await;
    let app = common::spawn_app(db, true).await;
    let v: serde_json::Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    insta::assert_json_snapshot!("openapi", v);
    let docs = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let h = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    // Every answer carries the id its request is followed by in the log; one a proxy gave is kept.
    let id = h.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
    let given = app
        .client
        .get(app.url("/api/v1/residents"))
        .header("x-request-id", "from-the-proxy-1")
        .send()
        .await
        .unwrap();
    assert_eq!(given.status(), 401);
    assert_eq!(given.headers()["x-request-id"], "from-the-proxy-1");
}

#[tokio::test]
async fn hostile_input_gets_a_4xx_never_a_500() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let auditor = app.login("auditor").await;
        for path in [
            "/api/v1/residents?q=%00",
            "/api/v1/residents?unit=%00",
            "/api/v1/residents?unit=650203002005%27%20OR%201=1--",
            "/api/v1/residents?page=99999999999999999999",
            "/api/v1/residents?per_page=-1",
            "/api/v1/residents?household_id=abc",
            "/api/v1/residents/-1",
            "/api/v1/residents/99999999999999999999",
            "/api/v1/households?q=%00",
            "/api/v1/nothing-here",
        ] {
            let (s, _) = app.get(&leader, path).await;
            assert!((400..500).contains(&s), "{path} -> {s}");
        }
        for path in [
            "/api/v1/audit?actor=%00",
            "/api/v1/audit?from=2020-13-01",
            "/api/v1/audit?extra=1",
        ] {
            let (s, _) = app.get(&auditor, path).await;
            assert!((400..500).contains(&s), "{path} -> {s}");
        }
        let r = app
            .client
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": "admin\u{0}", "password": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/residents",
                json!({"household_id": 1, "name": "a\u{0}b", "id_number": "11010519491231002X"}),
            )
            .await;
        assert!((400..500).contains(&s));
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/households",
                json!({"grid_code": "\u{0}", "address": "x"}),
            )
            .await;
        assert!((400..500).contains(&s));
        let big = "x".repeat(3 * 1024 * 1024);
        let r = app
            .client
            .post(app.url("/api/v1/households"))
            .bearer_auth(&leader)
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
}

#[tokio::test]
async fn accounts_are_run_under_separated_duties() {
    for app in common::each_demo_app().await {
        let admin = app.login("admin").await;
        let security = app.login("security").await;
        let leader = app.login("nanquan-leader").await;
        let body = json!({"username": "nanquan-grid9", "display_name": "刘敏", "role": "grid_worker", "unit_codes": ["650203002005002"]});
        let (s, _) = app
            .send(&security, Method::POST, "/api/v1/users", body.clone())
            .await;
        assert_eq!(s, 403, "the security admin does not create accounts");
        let (s, _) = app
            .send(&leader, Method::POST, "/api/v1/users", body.clone())
            .await;
        assert_eq!(s, 403);
        let (s, bad) = app
            .send(
                &admin,
                Method::POST,
                "/api/v1/users",
                json!({"username": "x", "display_name": "x", "role": "auditor", "unit_codes": []}),
            )
            .await;
        assert_eq!(
            (s, bad["field"].as_str()),
            (422, Some("role")),
            "system roles only from the command line"
        );
        let (s, created) = app.send(&admin, Method::POST, "/api/v1/users", body).await;
        assert_eq!(s, 201, "{created}");
        let id = created["id"].as_i64().unwrap();
        let r = app
            .client
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": "nanquan-grid9", "password": created["one_time_password"]}))
            .send()
            .await
            .unwrap();
        let t: serde_json::Value = r.json().await.unwrap();
        assert_eq!(t["user"]["must_change_password"], true);
        let token = t["token"].as_str().unwrap().to_string();
        // The security admin moves the account to grid 1; its session ends at once.
        let (s, _) = app
            .send(
                &admin,
                Method::PUT,
                &format!("/api/v1/users/{id}/access"),
                json!({"role": "grid_worker", "unit_codes": ["650203002005001"]}),
            )
            .await;
        assert_eq!(s, 403, "the system admin does not grant access");
        let (s, u) = app
            .send(
                &security,
                Method::PUT,
                &format!("/api/v1/users/{id}/access"),
                json!({"role": "grid_worker", "unit_codes": ["650203002005001"]}),
            )
            .await;
        assert_eq!((s, u["units"].as_str()), (200, Some("650203002005001")));
        let (s, _) = app.get(&token, "/api/v1/session").await;
        assert_eq!(s, 401, "sessions end when access changes");
        let (s, _) = app
            .send(
                &admin,
                Method::PUT,
                &format!("/api/v1/users/{id}/disabled"),
                json!({"disabled": true}),
            )
            .await;
        assert_eq!(s, 204);
        let (_, me) = app.get(&admin, "/api/v1/session").await;
        let (s, _) = app
            .send(
                &admin,
                Method::PUT,
                &format!("/api/v1/users/{}/disabled", me["id"]),
                json!({"disabled": true}),
            )
            .await;
        assert_eq!(s, 403, "no one disables themselves or a system account");
        let (s, list) = app.get(&security, "/api/v1/users").await;
        assert_eq!(s, 200);
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["username"] == "nanquan-grid9" && u["disabled"] == 1)
        );
        let auditor = app.login("auditor").await;
        let (_, log) = app
            .get(
                &auditor,
                &format!("/api/v1/audit?object_kind=user&object_id={id}"),
            )
            .await;
        let actions: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for a in ["user.create", "user.access", "user.disable"] {
            assert!(actions.contains(&a), "{a}: {actions:?}");
        }
    }
}

#[tokio::test]
async fn the_auditor_exports_the_log_as_csv_and_the_export_is_audited() {
    for app in common::each_demo_app().await {
        let auditor = app.login("auditor").await;
        let r = app
            .client
            .get(app.url("/api/v1/audit?format=csv&action=session.sign_in"))
            .bearer_auth(&auditor)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let text = r.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("id,at,actor,action"));
        assert!(lines.len() >= 2 && lines[1..].iter().all(|l| l.contains("session.sign_in")));
        let (_, log) = app.get(&auditor, "/api/v1/audit?action=audit.export").await;
        assert_eq!(log["total"], 1);
        let (s, _) = app.get(&auditor, "/api/v1/audit?format=pdf").await;
        assert_eq!(s, 422);
    }
}

#[tokio::test]
async fn signing_out_through_the_api_ends_the_token_at_once() {
    for app in common::each_demo_app().await {
        let t = app.login("nanquan-grid2").await;
        let (s, _) = app.get(&t, "/api/v1/residents?per_page=1").await;
        assert_eq!(s, 200);
        let r = app
            .client
            .delete(app.url("/api/v1/session"))
            .bearer_auth(&t)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let (s, _) = app.get(&t, "/api/v1/residents?per_page=1").await;
        assert_eq!(s, 401, "no cached session outlives the sign-out");
    }
}

/// A deletion is undone through the API: the resident comes back with a new version; a second undo
/// is 409, another grid's worker gets 404 (and the refusal is audited), the auditor 403.
#[tokio::test]
async fn a_deleted_resident_is_brought_back_through_the_api() {
    for app in common::each_demo_app().await {
        let g1 = app.login("nanquan-grid1").await;
        let (_, mine) = app.get(&g1, "/api/v1/residents?per_page=1").await;
        let r = &mine["items"][0];
        let path = format!("/api/v1/residents/{}", r["id"]);
        let undo = format!("{path}/restore");
        let v = r["version"].as_i64().unwrap();
        let gone = app
            .client
            .delete(app.url(&format!("{path}?version={v}")))
            .bearer_auth(&g1)
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), 204);
        assert_eq!(app.get(&g1, &path).await.0, 404);
        let g2 = app.login("nanquan-grid2").await;
        let (s, _) = app.send(&g2, Method::POST, &undo, json!({})).await;
        assert_eq!(s, 404, "another grid's record");
        let auditor = app.login("auditor").await;
        let (s, _) = app.send(&auditor, Method::POST, &undo, json!({})).await;
        assert_eq!(s, 403);
        assert_eq!(app.get(&g1, &path).await.0, 404, "still deleted");
        let (s, back) = app.send(&g1, Method::POST, &undo, json!({})).await;
        assert_eq!(s, 200);
        assert_eq!(
            (&back["id"], back["version"].as_i64()),
            (&r["id"], Some(v + 2))
        );
        assert_eq!(back["name"], r["name"]);
        let (s, body) = app.send(&g1, Method::POST, &undo, json!({})).await;
        assert_eq!((s, &body["field"]), (409, &json!("version")));
        assert_eq!(app.get(&g1, &path).await.0, 200);
        let (_, log) = app
            .get(
                &auditor,
                "/api/v1/audit?actor=nanquan-grid2&action=resident.restore",
            )
            .await;
        assert!(
            log["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["result"] == "denied")
        );
    }
}

/// Everything held about a resident, listed on their request (PIPL 45): their checks and the alert
/// a fever opened, the card masked as the caller sees it; audited; 404 outside the jurisdiction and
/// 403 without the export right.
#[tokio::test]
async fn a_residents_records_are_listed_on_request() {
    for app in common::each_demo_app().await {
        let g1 = app.login("nanquan-grid1").await;
        let (_, mine) = app.get(&g1, "/api/v1/residents?per_page=1").await;
        let rid = mine["items"][0]["id"].as_i64().unwrap();
        let check = json!({"resident_id": rid, "temperature": 38.2, "symptoms": [],
            "source": "door", "idempotency_key": "records-1"});
        let (s, _) = app
            .send(&g1, Method::POST, "/api/v1/health-checks", check)
            .await;
        assert_eq!(s, 201);
        let path = format!("/api/v1/residents/{rid}/records");
        let (s, v) = app.get(&g1, &path).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["resident"]["id"], rid);
        assert!(v["resident"]["id_number"].as_str().unwrap().contains('*'));
        let checks = v["records"]["health_checks"].as_array().unwrap();
        assert_eq!(checks.len(), 1, "{v}");
        assert_eq!(
            (
                checks[0]["temperature_tenths"].as_i64(),
                checks[0]["fever"].as_i64()
            ),
            (Some(382), Some(1))
        );
        assert_eq!(v["records"]["alerts"][0]["status"], "open", "{v}");
        assert!(v["records"]["quarantines"].as_array().unwrap().is_empty());
        let g2 = app.login("nanquan-grid2").await;
        assert_eq!(app.get(&g2, &path).await.0, 404);
        let medical = app.login("nanquan-medical").await;
        assert_eq!(app.get(&medical, &path).await.0, 403);
        let auditor = app.login("auditor").await;
        let (_, log) = app
            .get(&auditor, "/api/v1/audit?action=resident.records")
            .await;
        assert!(
            log["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(
                    |e| e["object_id"].as_str() == Some(rid.to_string().as_str())
                        && e["result"] == "ok"
                ),
            "{log}"
        );
    }
}
