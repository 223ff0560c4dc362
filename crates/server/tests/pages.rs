//! The server-rendered pages, driven as a browser would (forms and cookies), on both backends.
#![allow(clippy::unwrap_used)]

mod common;

async fn sign_in(app: &common::TestApp, user: &str) -> reqwest::Client {
    let c = common::browser();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", user), ("password", common::PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{user} signs in");
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    c
}

#[tokio::test]
async fn a_grid_worker_signs_in_and_sees_only_its_grid() {
    for app in common::each_demo_app().await {
        let anon = common::browser()
            .get(app.url("/residents"))
            .send()
            .await
            .unwrap();
        assert_eq!(anon.status(), 303);
        assert_eq!(anon.headers()["location"], "/login");
        let c = sign_in(&app, "nanquan-grid1").await;
        let r = c.get(app.url("/residents")).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store");
        let html = r.text().await.unwrap();
        let grids: Vec<&str> = html
            .split("data-grid=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert_eq!(grids.len(), 20, "a full first page");
        assert!(grids.iter().all(|g| *g == "650203002005001"));
        assert!(html.contains("650203********"), "ID numbers are masked");
        let wrong = common::browser()
            .post(app.url("/login"))
            .form(&[
                ("username", "nanquan-grid1"),
                ("password", "not-the-password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        assert!(wrong.text().await.unwrap().contains("用户名或密码错误"));
    }
}

#[tokio::test]
async fn a_resident_is_corrected_in_the_page_and_bad_input_is_named() {
    for app in common::each_demo_app().await {
        let c = sign_in(&app, "nanquan-grid1").await;
        let list = c
            .get(app.url("/residents"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = list.find("href=\"/residents/").unwrap() + 17;
        let id: String = list[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let card = c
            .get(app.url(&format!("/residents/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&card);
        let field = |name: &str| {
            let at = card.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
            card[at..].split('"').next().unwrap().to_string()
        };
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("version", field("version")),
            ("name", field("name")),
            ("id_number", field("id_number")),
            ("relation", field("relation")),
            ("emergency_contact_name", String::new()),
            ("phone", "12345".into()),
            ("emergency_contact_phone", String::new()),
            // Typed in words, as the hint says: known tags by their Chinese names, a community's own.
            ("tags", "独居老人 慢性病 低保".into()),
            ("note", "腿脚不便，需送菜上门".into()),
        ];
        let bad = c
            .post(app.url(&format!("/residents/{id}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains("手机号应为 11 位"));
        form[6].1 = field("phone");
        let ok = c
            .post(app.url(&format!("/residents/{id}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 303);
        let card = c
            .get(app.url(&format!("/residents/{id}?saved=1")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            card.contains("腿脚不便，需送菜上门")
                && card.contains("独居老人")
                && card.contains("已保存")
        );
        let tags: String = sqlx::query_scalar("SELECT tags FROM residents WHERE id = $1")
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(
            tags, "chronic_illness,elderly_alone,低保",
            "known tags kept by their codes"
        );
        assert!(
            card.contains("name=\"tags\" value=\"慢性病 独居老人 低保\""),
            "and offered for editing in words"
        );
        // Without the page's token the same form is refused.
        form[0].1 = "forged".into();
        let forged = c
            .post(app.url(&format!("/residents/{id}")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
        // Unmasking in the page needs the password and shows the full number.
        let un = c
            .post(app.url(&format!("/residents/{id}/unmask")))
            .form(&[("csrf", csrf.as_str()), ("password", common::PW)])
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(un.contains("id=\"unmasked\""));
    }
}

#[tokio::test]
async fn english_is_one_switch_away_and_the_auditor_searches_the_log() {
    for app in common::each_demo_app().await {
        let c = sign_in(&app, "auditor").await;
        let r = c.get(app.url("/lang/en")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let home = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("What is due today") && home.contains("Audit log"));
        let log = c
            .get(app.url("/audit?actor=auditor"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            log.contains("<td>session · sign in</td>") && !log.contains("<td>session.sign_in</td>"),
            "actions in words"
        );
        let residents = c.get(app.url("/residents")).send().await.unwrap();
        assert_eq!(residents.status(), 403, "the auditor sees no residents");
        let admin = sign_in(&app, "admin").await;
        assert_eq!(
            admin.get(app.url("/audit")).send().await.unwrap().status(),
            403
        );
    }
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    for app in common::each_demo_app().await {
        let c = sign_in(&app, "nanquan-leader").await;
        let home = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&home);
        let out = c
            .post(app.url("/logout"))
            .form(&[("csrf", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), 303);
        let after = c.get(app.url("/residents")).send().await.unwrap();
        assert_eq!(after.headers()["location"], "/login");
    }
}

#[tokio::test]
async fn administrators_run_accounts_in_the_page() {
    for app in common::each_demo_app().await {
        let admin = sign_in(&app, "admin").await;
        let page = admin
            .get(app.url("/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&page);
        let made = admin
            .post(app.url("/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "wuting-grid2"),
                ("display_name", "陈静"),
                ("role", "grid_worker"),
                // Picked by name from the list, as the page offers it.
                ("units", "五亭社区第2网格（650204001002002）"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), 201);
        let text = made.text().await.unwrap();
        assert!(
            text.contains("wuting-grid2 的一次性密码"),
            "the password is shown once"
        );
        let bad = admin
            .post(app.url("/users"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("username", "x y"),
                ("display_name", "x"),
                ("role", "grid_worker"),
                ("units", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        let bad = bad.text().await.unwrap();
        // Both faults named beside their fields, and what was typed kept.
        assert!(
            bad.contains("用户名只能包含") && bad.contains("没有这个单位"),
            "{bad}"
        );
        assert_eq!(bad.matches("class=\"field-error\"").count(), 2);
        for kept in ["value=\"x y\"", "value=\"1\""] {
            assert!(bad.contains(kept), "{kept} kept");
        }
        let units: String = sqlx::query_scalar(
            "SELECT u.code FROM users a JOIN staff_units uu ON uu.user_id = a.id \
             JOIN org_units u ON u.id = uu.unit_id WHERE a.username = 'wuting-grid2'",
        )
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(units, "650204001002002", "{}", app.db.name());
        let leader = sign_in(&app, "nanquan-leader").await;
        assert_eq!(
            leader.get(app.url("/users")).send().await.unwrap().status(),
            403
        );
        let security = sign_in(&app, "security").await;
        let page = security
            .get(app.url("/users"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("保存角色和范围") && !page.contains("新建账号"));
        // Units shown and granted by name; the save is confirmed.
        assert!(page.contains("五亭社区第2网格（650204001002002）"));
        let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'wuting-grid2'")
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        let r = security
            .post(app.url(&format!("/users/{id}/access")))
            .form(&[
                ("csrf", common::csrf_of(&page).as_str()),
                ("role", "grid_worker"),
                (
                    "units",
                    "五亭社区第1网格，五亭社区第2网格（650204001002002）",
                ),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let back = r.headers()["location"].to_str().unwrap().to_string();
        let shown = security
            .get(app.url(&back))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            shown.contains("已保存： wuting-grid2") || shown.contains("已保存：wuting-grid2"),
            "{back}"
        );
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_units WHERE user_id = $1")
            .bind(id)
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(n, 2);
    }
}

#[tokio::test]
async fn a_grid_worker_registers_a_household_and_its_members_in_the_pages() {
    for app in common::each_demo_app().await {
        let c = sign_in(&app, "nanquan-grid1").await;
        let form = c
            .get(app.url("/households/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !form.contains("650203002005002"),
            "only the worker's own grid is offered"
        );
        let csrf = common::csrf_of(&form);
        let made = c
            .post(app.url("/households"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("grid_code", "650203002005001"),
                ("building", "12号楼"),
                ("building_unit", "1单元"),
                ("room", "301"),
                ("address", "南泉社区12号楼1单元301室"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(made.status(), 303);
        let card_url = made.headers()["location"].to_str().unwrap().to_string();
        let member = |id_number: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("name", "倪业勤".to_string()),
                ("id_number", id_number.to_string()),
                ("phone", "13909901234".to_string()),
                ("relation", "户主".to_string()),
                ("tags", String::new()),
            ]
        };
        let bad = c
            .post(app.url(&format!("{card_url}/residents")))
            .form(&member("110105194912310021"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains("校验位不对"));
        let ok = c
            .post(app.url(&format!("{card_url}/residents")))
            .form(&member("130503670401001"))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 303);
        let resident_url = ok.headers()["location"]
            .to_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let card = c
            .get(app.url(&card_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            card.contains("倪业勤") && !card.contains("倪**"),
            "member listed, and the head named as the registry names them"
        );
        let page = c
            .get(app.url(&resident_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let version = page
            .split("name=\"version\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let del = c
            .post(app.url(&format!("{resident_url}/delete")))
            .form(&[("csrf", csrf.as_str()), ("version", version.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(del.status(), 303);
        assert_eq!(
            c.get(app.url(&resident_url)).send().await.unwrap().status(),
            404
        );
        // The household's card, where the deletion leads, offers it back.
        let back_to = del.headers()["location"].to_str().unwrap().to_string();
        assert!(back_to.starts_with(&card_url), "{back_to}");
        let card = c
            .get(app.url(&back_to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let undo = format!("action=\"{resident_url}/restore\"");
        assert!(card.contains(&undo) && card.contains("撤销删除"), "{card}");
        assert!(
            card.contains("已删除的成员 (1)"),
            "listed among the deleted"
        );
        // Another grid's worker sees neither the household nor the offer.
        let other = sign_in(&app, "nanquan-grid2").await;
        let not_theirs = other
            .get(app.url(&back_to))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!not_theirs.contains(&undo));
        let undone = c
            .post(app.url(&format!("{resident_url}/restore")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(undone.status(), 303);
        assert_eq!(undone.headers()["location"], resident_url.as_str());
        assert_eq!(
            c.get(app.url(&resident_url)).send().await.unwrap().status(),
            200
        );
        let card = c
            .get(app.url(&card_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(card.contains("倪业勤") && !card.contains("deleted-members"));
        // The card offers everything held about them, read with the page's own session.
        let page = c
            .get(app.url(&resident_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let records = format!("/api/v1{resident_url}/records");
        assert!(page.contains(&format!("href=\"{records}\"")), "{page}");
        let listed = c.get(app.url(&records)).send().await.unwrap();
        assert_eq!(listed.status(), 200);
        let listed: serde_json::Value = listed.json().await.unwrap();
        assert_eq!(listed["resident"]["name"], "倪业勤");
        // Without the page's token nothing happens.
        let forged = c
            .post(app.url(&format!("{resident_url}/restore")))
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403);
    }
}

/// The text of a page's `<title>`.
fn title_of(html: &str) -> &str {
    let start = html.find("<title>").map_or(0, |i| i + "<title>".len());
    let end = html[start..].find("</title>").map_or(start, |i| start + i);
    &html[start..end]
}

#[tokio::test]
async fn every_page_title_is_plain_text() {
    for app in common::each_demo_app().await {
        // The leader holds the most page rights of a community (export, import, edit).
        let c = sign_in(&app, "nanquan-leader").await;
        let mut seen = 0;
        for path in [
            "/",
            "/residents",
            "/residents?q=%E7%8E%8B",
            "/units",
            "/staff",
            "/health",
            "/checks",
            "/surveys",
            "/import",
            "/households/new",
            "/gate/log",
            "/reports",
            "/account",
            "/gate/passes",
            "/gate/rules",
            "/audit",
            "/users",
        ] {
            let r = c.get(app.url(path)).send().await.unwrap();
            if r.status() != 200 {
                continue;
            }
            seen += 1;
            let csp = r.headers()["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
            let html = r.text().await.unwrap();
            // Nothing the policy would refuse: no inline script, handler or style attribute.
            for refused in [
                "<script>",
                " onclick=",
                " onsubmit=",
                " onchange=",
                " style=",
                "<style",
            ] {
                assert!(!html.contains(refused), "{path} holds {refused}");
            }
            let title = title_of(&html);
            assert!(
                !title.is_empty() && !title.contains('<') && !title.contains("&lt;"),
                "{path}: title {title:?}"
            );
            assert!(html.matches("id=\"export\"").count() <= 1, "{path}");
        }
        assert!(seen >= 10, "the leader opened {seen} pages");
    }
}

/// Every form of the pages refuses a request without the session's token, whatever it names —
/// the check is made by the extractor every form handler takes, before the handler runs.
#[tokio::test]
async fn every_form_refuses_a_forged_or_missing_token() {
    for app in common::each_demo_app().await {
        let c = sign_in(&app, "nanquan-leader").await;
        let posts = [
            "/logout",
            "/password",
            "/account/sessions/abc/end",
            "/residents/1",
            "/residents/1/unmask",
            "/residents/1/call",
            "/households",
            "/households/1/residents",
            "/residents/1/delete",
            "/residents/1/restore",
            "/reports/submit",
            "/reports/return",
            "/gate/rules",
            "/health/round",
            "/alerts/1/close",
            "/risk-flags/1",
            "/quarantines/1/follow-up",
            "/surveys",
            "/surveys/1/households/1",
            "/import/abc/confirm",
            "/residents/export",
            "/users",
            "/users/1/disabled",
            "/users/1/reset",
            "/users/1/access",
        ];
        let refused_before = csrf_refusals(&app).await;
        for path in posts {
            for form in [vec![("csrf", "forged")], vec![]] {
                let r = c.post(app.url(path)).form(&form).send().await.unwrap();
                assert_eq!(r.status(), 403, "{path} {form:?}");
            }
        }
        let upload = reqwest::multipart::Form::new().text("csrf", "forged").part(
            "file",
            reqwest::multipart::Part::bytes(b"a,b\n".to_vec()).file_name("x.csv"),
        );
        let r = c
            .post(app.url("/import"))
            .multipart(upload)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "/import");
        assert_eq!(
            csrf_refusals(&app).await - refused_before,
            posts.len() as i64 * 2 + 1,
            "each refusal audited"
        );
        // The forged sign-out changed nothing: the session still opens pages.
        let still = c.get(app.url("/residents")).send().await.unwrap();
        assert_eq!(still.status(), 200);
    }
}

async fn csrf_refusals(app: &common::TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'csrf.refused'")
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

/// A wrong address in the browser shows the error page in the reader's language; under `/api/` it
/// stays the API's JSON.
#[tokio::test]
async fn an_unknown_address_shows_the_error_page_and_the_api_answers_json() {
    for app in common::each_demo_app().await {
        let c = sign_in(&app, "nanquan-grid1").await;
        let r = c.get(app.url("/no-such-page")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.headers().contains_key("content-security-policy"));
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<html") && html.contains("没有找到"),
            "{html}"
        );
        let r = c
            .get(app.url("/api/v1/no-such-thing"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
    }
}

/// A reading typed with a comma is taken; one out of range is refused with the range in words,
/// and nothing is recorded for it.
#[tokio::test]
async fn a_temperature_round_takes_a_comma_and_names_the_range() {
    for app in common::each_demo_app().await {
        let c = sign_in(&app, "nanquan-grid1").await;
        let page = c
            .get(app.url("/health/round"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&page);
        let value_of = |html: &str, name: &str| {
            let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
            html[at..].split('"').next().unwrap().to_string()
        };
        let at = page.find("data-resident=\"").unwrap() + 15;
        let who = page[at..].split('"').next().unwrap().to_string();
        let (key, grid) = (value_of(&page, "key"), value_of(&page, "grid"));
        // The worker reads the registry: the round names people as the residents list does.
        let round = &page[page.find("id=\"round-form\"").unwrap()..];
        assert!(round.contains("<label for=\"t"), "{round}");
        assert!(!round.contains("*</label>"), "names in full");
        let checks = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM health_checks")
                .fetch_one(&app.db.db.pool)
                .await
                .unwrap()
        };
        let field = format!("t{who}");
        let send = |typed: &'static str| {
            let (c, csrf, key, grid, field) = (&c, &csrf, &key, &grid, &field);
            let url = app.url("/health/round");
            async move {
                c.post(url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("key", key),
                        ("grid", grid),
                        (field.as_str(), typed),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = send("365").await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("34.0 至 43.0"), "the range in words");
        assert!(html.contains("value=\"365\""), "what was typed is kept");
        assert_eq!(checks().await, 0);
        let r = send("36,8").await;
        assert_eq!(r.status(), 303);
        let kept: i64 = sqlx::query_scalar("SELECT temperature_tenths FROM health_checks")
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(kept, 368, "{}", app.db.name());
    }
}

/// A new account's first sign-in changes the password and goes on to the home page.
#[tokio::test]
async fn after_the_forced_password_change_the_home_page_opens() {
    for db in common::each_backend().await {
        common::seed_demo(&db.db).await;
        let app = common::spawn_app(db, false).await;
        let c = sign_in(&app, "nanquan-grid1").await;
        let page = c
            .get(app.url("/password"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&page);
        let new = "油城 守护 南泉 2020";
        let r = c
            .post(app.url("/password"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("current", common::PW),
                ("new", new),
                ("repeat", new),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", app.db.name());
        assert_eq!(r.headers()["location"], "/");
        let home = c.get(app.url("/")).send().await.unwrap();
        assert_eq!(home.status(), 200);
    }
}

/// The leader's home is the day at a glance: the round's coverage per grid and in all (equal to a
/// direct count of the checks), the gates of the community, and no placeholder.
#[tokio::test]
async fn the_leaders_home_shows_the_day_at_a_glance() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let (_, people) = app.get(&grid1, "/api/v1/residents?per_page=5").await;
        for (i, r) in people["items"].as_array().unwrap().iter().enumerate() {
            let (s, _) = app
                .send(
                    &grid1,
                    reqwest::Method::POST,
                    "/api/v1/health-checks",
                    serde_json::json!({"resident_id": r["id"], "temperature": 36.5, "source": "door", "idempotency_key": format!("home-{i}")}),
                )
                .await;
            assert_eq!(s, 201);
        }
        let c = sign_in(&app, "nanquan-leader").await;
        let home = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!home.contains("上线后会显示"), "no placeholder");
        let per_grid: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT g.code, (SELECT COUNT(*) FROM residents r WHERE r.grid_id = g.id AND r.deleted_at IS NULL), \
             (SELECT COUNT(DISTINCT h.resident_id) FROM health_checks h WHERE h.grid_id = g.id) \
             FROM org_units g JOIN org_units c ON c.id = g.parent_id WHERE c.code = '650203002005' ORDER BY g.code",
        )
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        assert!(per_grid.len() > 1);
        for (code, residents, checked) in &per_grid {
            let row = &home[home.find(&format!("data-grid=\"{code}\"")).expect(code)..];
            let shown = format!("<span>{checked}/{residents}</span>");
            assert!(
                row[..row.find("</span></span>").unwrap() + 7].contains(&shown),
                "{code}: {shown}"
            );
        }
        let (checked, residents) = per_grid.iter().fold((0, 0), |(c, r), g| (c + g.2, r + g.1));
        assert_eq!(checked, 5);
        assert!(
            home.contains(&format!("已测 {checked} 人，共 {residents} 人")),
            "the total equals a direct count"
        );
        assert!(
            home.contains("id=\"home-gate-650203002005\""),
            "the community's gates today"
        );
    }
}

/// The auditor pages through the log, the search kept from page to page, and reads actions and
/// results in words.
#[tokio::test]
async fn the_auditor_pages_through_the_log_in_words() {
    for app in common::each_demo_app().await {
        for i in 0..60 {
            shouhu_server::db::audit::record(
                &app.db.db,
                &shouhu_server::db::audit::NewEntry {
                    actor_id: None,
                    actor: "nanquan-grid1".into(),
                    action: "resident.update",
                    object_kind: "resident",
                    object_id: i.to_string(),
                    result: "ok",
                    address: "127.0.0.1".into(),
                    detail: String::new(),
                },
            )
            .await
            .unwrap();
        }
        let c = sign_in(&app, "auditor").await;
        let first = c
            .get(app.url("/audit?actor=nanquan-grid1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(first.contains("<td>居民 · 修改</td>") && first.contains("<td>成功</td>"));
        assert_eq!(
            first.matches("<td>居民 · 修改</td>").count(),
            50,
            "a page of 50"
        );
        let next = &first[first.find("id=\"audit-pager\"").unwrap()..];
        let href = next
            .split("href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        assert!(
            href.contains("actor=nanquan-grid1") && href.contains("&page=2"),
            "{href}"
        );
        let second = c
            .get(app.url(&href))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            second.matches("<td>居民 · 修改</td>").count(),
            10,
            "the rest"
        );
    }
}

/// The medical group reaches a person from an alert: the card is a tap away, and the phone alone
/// (never the ID number) is revealed with the password again, audited; a gate guard cannot.
#[tokio::test]
async fn the_medical_group_calls_a_person_with_a_fever() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let (_, people) = app.get(&grid1, "/api/v1/residents?per_page=50").await;
        let person = people["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["phone"].is_string())
            .unwrap()
            .clone();
        let rid = person["id"].as_i64().unwrap();
        app.send(&grid1, reqwest::Method::POST, "/api/v1/health-checks", serde_json::json!({"resident_id": rid, "temperature": 38.4, "source": "door", "idempotency_key": "call-1"})).await;
        let c = sign_in(&app, "nanquan-medical").await;
        let health = c
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            health.contains(&format!("href=\"/residents/{rid}#call\"")),
            "a way to the person"
        );
        let card = c
            .get(app.url(&format!("/residents/{rid}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&card);
        assert!(card.contains("action=\"/residents/"));
        let calls = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'resident.call' AND result = 'ok'",
            )
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap()
        };
        let wrong = c
            .post(app.url(&format!("/residents/{rid}/call")))
            .form(&[("csrf", csrf.as_str()), ("password", "not-the-password")])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 422);
        assert!(!wrong.text().await.unwrap().contains("tel:"));
        assert_eq!(calls().await, 0);
        let ok = c
            .post(app.url(&format!("/residents/{rid}/call")))
            .form(&[("csrf", csrf.as_str()), ("password", common::PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let page = ok.text().await.unwrap();
        let phone: String = sqlx::query_scalar("SELECT phone FROM residents WHERE id = $1")
            .bind(rid)
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert!(
            page.contains(&format!("href=\"tel:{phone}\"")),
            "one tap to call"
        );
        let id_number: String = sqlx::query_scalar("SELECT id_number FROM residents WHERE id = $1")
            .bind(rid)
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert!(
            !page.contains(&id_number),
            "the phone only, never the ID number"
        );
        assert_eq!(calls().await, 1, "audited");
        let guard = sign_in(&app, "nanquan-gate-east").await;
        let page = guard
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = guard
            .post(app.url(&format!("/residents/{rid}/call")))
            .form(&[
                ("csrf", common::csrf_of(&page).as_str()),
                ("password", common::PW),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(calls().await, 1);
        let refused: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'resident.call' AND result = 'forbidden'",
        )
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(refused, 1, "the guard's try audited");
    }
}
