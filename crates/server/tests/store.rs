//! Store tests: each runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use shouhu_domain::{IdNumber, Phone, Role, Tags, UnitKind};
use shouhu_server::db::audit::{self, Verdict};
use shouhu_server::db::registry::{self, Actor, Changes, NewResident, Search};
use shouhu_server::db::{Scope, StoreError, accounts, households, units};

async fn user_scope(db: &shouhu_server::db::Db, username: &str) -> (Scope, Actor) {
    let (u, _) = accounts::find_by_username(db, username)
        .await
        .unwrap()
        .unwrap();
    (
        Scope {
            user_id: u.id,
            role: u.role,
            grids: None,
        },
        Actor {
            user_id: u.id,
            username: u.username,
            address: "127.0.0.1".into(),
        },
    )
}

/// The demo's 南泉社区 leader, and the id of the community's grid 1.
async fn nanquan_leader_and_grid1(db: &shouhu_server::db::Db) -> (Scope, Actor, i64) {
    let (leader, actor) = user_scope(db, "nanquan-leader").await;
    let grid1 = units::get_by_code(db, &leader, "650203002005001")
        .await
        .unwrap();
    (leader, actor, grid1.id)
}

#[tokio::test]
async fn a_grid_worker_finds_only_residents_of_its_own_grid() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (grid1, _) = user_scope(&t.db, "nanquan-grid1").await;
        let (leader, _) = user_scope(&t.db, "nanquan-leader").await;
        let (mine, mine_total) = registry::search(&t.db, &grid1, &Search::default(), 1000, 0)
            .await
            .unwrap();
        let (all, all_total) = registry::search(&t.db, &leader, &Search::default(), 5000, 0)
            .await
            .unwrap();
        assert!(mine_total > 0, "{}", t.name());
        assert!(all_total > mine_total, "{}", t.name());
        assert!(
            mine.iter().all(|r| r.grid_code == "650203002005001"),
            "{}",
            t.name()
        );
        let other = all
            .iter()
            .find(|r| r.grid_code != "650203002005001")
            .unwrap();
        assert!(matches!(
            registry::get(&t.db, &grid1, other.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(registry::get(&t.db, &grid1, mine[0].id).await.is_ok());
        // Units: the grid worker's jurisdiction is its grid alone.
        let us = units::list(&t.db, &grid1).await.unwrap();
        assert_eq!(us.len(), 1, "{}", t.name());
        assert_eq!(us[0].kind, "grid");
        assert_eq!(us[0].parent_code.as_deref(), Some("650203002005"));
    }
}

#[tokio::test]
async fn leaders_of_one_community_cannot_reach_another() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (jinhua, _) = user_scope(&t.db, "jinhua-leader").await;
        let (nanquan, _) = user_scope(&t.db, "nanquan-leader").await;
        let (theirs, _) = registry::search(&t.db, &nanquan, &Search::default(), 1, 0)
            .await
            .unwrap();
        assert!(matches!(
            registry::get(&t.db, &jinhua, theirs[0].id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            households::get(&t.db, &jinhua, theirs[0].household_id).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            units::get_by_code(&t.db, &jinhua, "650203002005").await,
            Err(StoreError::NotFound)
        ));
        // A system role has no jurisdiction at all.
        let (admin, _) = user_scope(&t.db, "admin").await;
        let (none, total) = registry::search(&t.db, &admin, &Search::default(), 10, 0)
            .await
            .unwrap();
        assert!(none.is_empty() && total == 0, "{}", t.name());
    }
}

#[tokio::test]
async fn search_finds_by_name_last_four_phone_and_address() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, _) = user_scope(&t.db, "nanquan-leader").await;
        let (all, _) = registry::search(&t.db, &leader, &Search::default(), 5, 0)
            .await
            .unwrap();
        let r = &all[0];
        let by = |q: String| Search {
            q,
            ..Search::default()
        };
        for q in [
            r.name.clone(),
            r.id_number[14..].to_string(),
            r.id_number.to_lowercase(),
            r.address.clone(),
            r.address.chars().skip(4).take(5).collect(),
        ] {
            let (found, _) = registry::search(&t.db, &leader, &by(q.clone()), 500, 0)
                .await
                .unwrap();
            assert!(
                found.iter().any(|f| f.id == r.id),
                "{}: search {q}",
                t.name()
            );
        }
        let with_phone = all.iter().find(|r| r.phone.is_some()).unwrap();
        let suffix = with_phone.phone.as_ref().unwrap()[7..].to_string();
        let (found, _) = registry::search(&t.db, &leader, &by(suffix), 500, 0)
            .await
            .unwrap();
        assert!(found.iter().any(|f| f.id == with_phone.id), "{}", t.name());
        // LIKE wildcards typed by a user match themselves, not everything.
        let (found, total) = registry::search(&t.db, &leader, &by("%".into()), 500, 0)
            .await
            .unwrap();
        assert!(found.is_empty() && total == 0, "{}", t.name());
    }
}

#[tokio::test]
async fn a_name_search_finds_exactly_the_names_that_begin_with_it() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, actor) = user_scope(&t.db, "nanquan-leader").await;
        let (everyone, total) = registry::search(&t.db, &leader, &Search::default(), 10_000, 0)
            .await
            .unwrap();
        assert_eq!(everyone.len() as i64, total);
        let by = |q: &str| Search {
            q: q.into(),
            ..Search::default()
        };
        let surname: String = everyone[0].name.chars().take(1).collect();
        let full = everyone[0].name.clone();
        for q in [surname.as_str(), full.as_str()] {
            let want: Vec<i64> = everyone
                .iter()
                .filter(|r| r.name.starts_with(q))
                .map(|r| r.id)
                .collect();
            let (found, n) = registry::search(&t.db, &leader, &by(q), 10_000, 0)
                .await
                .unwrap();
            let mut got: Vec<i64> = found.iter().map(|r| r.id).collect();
            let mut want_sorted = want.clone();
            got.sort_unstable();
            want_sorted.sort_unstable();
            assert_eq!(got, want_sorted, "{}: search {q}", t.name());
            assert_eq!(n, want.len() as i64, "{}: total of {q}", t.name());
            // A page past the end is empty and still tells the total.
            let (past, n) = registry::search(&t.db, &leader, &by(q), 20, 10_000)
                .await
                .unwrap();
            assert!(past.is_empty() && n == want.len() as i64, "{}", t.name());
        }
        // A name in Latin letters is found whatever the case typed.
        let r = &everyone[1];
        let renamed = Changes {
            name: Some("Aliya Nurlan".into()),
            ..Changes::default()
        };
        registry::update(&t.db, &leader, &actor, r.id, r.version, &renamed)
            .await
            .unwrap();
        for q in ["aliya", "ALIYA N", "Aliya"] {
            let (found, _) = registry::search(&t.db, &leader, &by(q), 50, 0)
                .await
                .unwrap();
            assert!(found.iter().any(|f| f.id == r.id), "{}: {q}", t.name());
        }
        // A name between the capital and the small letter is not one that begins with either.
        let b = &everyone[3];
        let renamed_b = Changes {
            name: Some("Bilal".into()),
            ..Changes::default()
        };
        registry::update(&t.db, &leader, &actor, b.id, b.version, &renamed_b)
            .await
            .unwrap();
        for (q, aliya, bilal) in [("a", true, false), ("B", false, true), ("bi", false, true)] {
            let (found, _) = registry::search(&t.db, &leader, &by(q), 50, 0)
                .await
                .unwrap();
            let has = |id: i64| found.iter().any(|f| f.id == id);
            assert_eq!((has(r.id), has(b.id)), (aliya, bilal), "{}: {q}", t.name());
        }
        let (found, total) = registry::search(&t.db, &leader, &by("liya"), 50, 0)
            .await
            .unwrap();
        assert!(
            found.is_empty() && total == 0,
            "{}: a name matches by its beginning",
            t.name()
        );
        // Chinese characters, then Latin letters: the letters in any case, the rest as typed.
        let r = &everyone[2];
        let renamed = Changes {
            name: Some("古丽Aliya".into()),
            ..Changes::default()
        };
        registry::update(&t.db, &leader, &actor, r.id, r.version, &renamed)
            .await
            .unwrap();
        for (q, found_it) in [
            ("古丽aliya", true),
            ("古丽ALI", true),
            ("古丽", true),
            ("古丽Aliyb", false),
            ("丽Aliya", false),
        ] {
            let (found, _) = registry::search(&t.db, &leader, &by(q), 1000, 0)
                .await
                .unwrap();
            assert_eq!(
                found.iter().any(|f| f.id == r.id),
                found_it,
                "{}: {q}",
                t.name()
            );
        }
    }
}

/// A new member of household `household_id` with nothing but a name and an ID number.
/// A new household of `grid_id` at `address`, made by `scope`.
async fn new_household(
    db: &shouhu_server::db::Db,
    scope: &Scope,
    actor: &Actor,
    grid_id: i64,
    address: &str,
) -> i64 {
    households::create(
        db,
        scope,
        actor,
        &households::NewHousehold {
            grid_id,
            address: address.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

fn plain_member(household_id: i64, name: &str, id_number: IdNumber) -> NewResident {
    NewResident {
        household_id,
        name: name.into(),
        id_number,
        phone: None,
        relation: String::new(),
        tags: Tags::default(),
        family_contacts: vec![],
        emergency_contact_name: String::new(),
        emergency_contact_phone: None,
        note: String::new(),
    }
}

/// Whether `address` holds `q` where a search finds it: anywhere, but a number only whole.
fn address_holds(address: &str, q: &str) -> bool {
    address.match_indices(q).any(|(i, _)| {
        !q.starts_with(|c: char| c.is_ascii_digit())
            || !address[..i].ends_with(|c: char| c.is_ascii_digit())
    })
}

#[tokio::test]
async fn an_address_search_finds_exactly_its_households_and_names_in_order() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        for user in ["nanquan-leader", "nanquan-grid1"] {
            let (scope, _) = user_scope(&t.db, user).await;
            let (everyone, _) = registry::search(&t.db, &scope, &Search::default(), 10_000, 0)
                .await
                .unwrap();
            // The building and unit of someone's address ("3号楼2单元"): a part that several
            // households share, and a prefix of other buildings' numbers ("13号楼2单元").
            let a = &everyone[0].address;
            let q =
                &a[a.find("社区").unwrap() + "社区".len()..a.find("单元").unwrap() + "单元".len()];
            let mut want: Vec<(i64, i64)> = everyone
                .iter()
                .filter(|r| address_holds(&r.address, q) || r.name.starts_with(q))
                .map(|r| (r.grid_id, r.id))
                .collect();
            want.sort_unstable_by(|a, b| b.cmp(a));
            assert!(!want.is_empty(), "{}: {user} has such addresses", t.name());
            let by = Search {
                q: q.to_string(),
                ..Search::default()
            };
            // Page by page, in the list's order (grid, then newest first), each with the total.
            let mut got = Vec::new();
            for page in 0.. {
                let (rows, total) = registry::search(&t.db, &scope, &by, 7, page * 7)
                    .await
                    .unwrap();
                assert_eq!(total, want.len() as i64, "{}: {user} total", t.name());
                if rows.is_empty() {
                    break;
                }
                // Each row whole, as the plain list reads it (address, grid, every field).
                for r in &rows {
                    let listed = everyone.iter().find(|e| e.id == r.id).unwrap();
                    assert_eq!(r, listed, "{}: {user} row", t.name());
                }
                got.extend(rows.iter().map(|r| (r.grid_id, r.id)));
            }
            assert_eq!(got, want, "{}: {user} pages", t.name());
        }
        // A word of an address that no address here holds still finds the names it begins.
        let (leader, actor) = user_scope(&t.db, "nanquan-leader").await;
        let (some, _) = registry::search(&t.db, &leader, &Search::default(), 3, 0)
            .await
            .unwrap();
        let r = &some[2];
        let renamed = Changes {
            name: Some("苑明".into()),
            ..Changes::default()
        };
        registry::update(&t.db, &leader, &actor, r.id, r.version, &renamed)
            .await
            .unwrap();
        let by = Search {
            q: "苑".into(),
            ..Search::default()
        };
        let (found, total) = registry::search(&t.db, &leader, &by, 20, 0).await.unwrap();
        let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
        assert_eq!((ids, total), (vec![r.id], 1), "{}", t.name());
        // Outside the jurisdiction nothing is found, whatever the address says.
        let (jinhua, _) = user_scope(&t.db, "jinhua-leader").await;
        let (found, _) = registry::search(&t.db, &jinhua, &by, 20, 0).await.unwrap();
        assert!(found.iter().all(|f| f.id != r.id), "{}", t.name());
    }
}

#[tokio::test]
async fn a_number_in_an_address_search_is_the_whole_number() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, actor, grid1) = nanquan_leader_and_grid1(&t.db).await;
        let today = chrono::Utc::now().date_naive();
        // Three households of a unit no demo building has; one address begins with the number.
        // One more names its unit twice, and one of its two residents' names begins with it
        // (typed in the wrong field): each found two or three ways, each counted once.
        let mut ids = std::collections::HashMap::new();
        for (address, members) in [
            (
                "南泉社区1号楼9单元101室",
                &[("住户", "130503670401001")][..],
            ),
            (
                "南泉社区11号楼9单元101室",
                &[("住户", "11010519491231002X")],
            ),
            ("1号楼9单元102室 B座", &[("住户", "110105194912310038")]),
            (
                "南泉社区1号楼9单元103室(原1号楼9单元)",
                &[
                    ("1号楼9单元住户", "110105194912310054"),
                    ("住户", "110105194912310062"),
                ],
            ),
            // A unit typed into the name, with a Latin letter: found by the name's beginning.
            (
                "南泉社区友谊路东侧平房",
                &[("7号楼b座住户", "110105194912310070")],
            ),
        ] {
            let hh = new_household(&t.db, &leader, &actor, grid1, address).await;
            for (name, id_number) in members {
                let new = plain_member(hh, name, IdNumber::parse(id_number, today).unwrap());
                let id = registry::create(&t.db, &leader, &actor, &new)
                    .await
                    .unwrap();
                ids.entry(address).or_insert_with(Vec::new).push(id);
            }
        }
        let mut results = std::collections::HashMap::new();
        for q in [
            "1号楼9单元",
            "11号楼9单元",
            "号楼9单元",
            "1号楼9单元102室 b",
            "1*号楼9单元",
            "1?号楼9单元",
            "1[号楼9单元",
            "1.号楼9单元",
            "1号楼9单元(",
            "1%9单元",
            "7号楼B座",
            "7号楼C座",
        ] {
            let by = Search {
                q: q.into(),
                ..Search::default()
            };
            let (found, total) = registry::search(&t.db, &leader, &by, 100, 0).await.unwrap();
            assert_eq!(found.len() as i64, total, "{}: {q}", t.name());
            let mut got: Vec<i64> = found.iter().map(|r| r.id).collect();
            got.sort_unstable();
            results.insert(q, got);
        }
        let one = ids["南泉社区1号楼9单元101室"][0];
        let eleven = ids["南泉社区11号楼9单元101室"][0];
        let bare = ids["1号楼9单元102室 B座"][0];
        let [twice, twice2] = ids["南泉社区1号楼9单元103室(原1号楼9单元)"][..] else {
            unreachable!()
        };
        let sorted = |mut v: Vec<i64>| {
            v.sort_unstable();
            v
        };
        let name = t.name();
        assert_eq!(
            results["1号楼9单元"],
            sorted(vec![one, bare, twice, twice2]),
            "{name}"
        );
        assert_eq!(results["11号楼9单元"], vec![eleven], "{name}");
        // Not a number first: any part of the address.
        assert_eq!(
            results["号楼9单元"],
            sorted(vec![one, eleven, bare, twice, twice2]),
            "{name}"
        );
        assert_eq!(results["1号楼9单元102室 b"], vec![bare], "{name}: any case");
        let unit_named = ids["南泉社区友谊路东侧平房"][0];
        assert_eq!(
            results["7号楼B座"],
            vec![unit_named],
            "{name}: a name in any case"
        );
        assert!(results["7号楼C座"].is_empty(), "{name}: only that name");
        // The filters apply to both kinds of match, and a page past the end still has the total.
        let grid2 = units::get_by_code(&t.db, &leader, "650203002005002")
            .await
            .unwrap();
        for (unit, tag, want) in [
            (Some(grid1), None, sorted(vec![one, bare, twice, twice2])),
            (Some(grid2.id), None, vec![]),
            (None, Some("elderly_alone"), vec![]),
        ] {
            let by = Search {
                q: "1号楼9单元".into(),
                unit_id: unit,
                tag: tag.map(String::from),
                ..Search::default()
            };
            let (found, total) = registry::search(&t.db, &leader, &by, 100, 0).await.unwrap();
            let got = sorted(found.iter().map(|r| r.id).collect());
            assert_eq!(
                (got, total),
                (want.clone(), want.len() as i64),
                "{name}: {by:?}"
            );
        }
        let by = Search {
            q: "号楼9单元".into(),
            ..Search::default()
        };
        let (past, total) = registry::search(&t.db, &leader, &by, 2, 6).await.unwrap();
        assert_eq!((past.len(), total), (0, 5), "{name}: past the end");
        // Pattern characters typed by a user match only themselves.
        for q in [
            "1*号楼9单元",
            "1?号楼9单元",
            "1[号楼9单元",
            "1.号楼9单元",
            "1号楼9单元(",
            "1%9单元",
        ] {
            assert!(results[q].is_empty(), "{name}: {q}");
        }
    }
}

/// The ids a search by `q` finds for `scope`, sorted.
async fn found_ids(db: &shouhu_server::db::Db, scope: &Scope, q: &str) -> Vec<i64> {
    let by = Search {
        q: q.into(),
        ..Search::default()
    };
    let (found, _) = registry::search(db, scope, &by, 1000, 0).await.unwrap();
    let mut ids: Vec<i64> = found.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids
}

/// A number search reads the numbers kept beside each address: they follow an edit of the address,
/// and a database from before they were kept gets them at start.
#[tokio::test]
async fn an_address_number_search_follows_edits_and_an_upgrade() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, actor, grid1) = nanquan_leader_and_grid1(&t.db).await;
        let today = chrono::Utc::now().date_naive();
        let hh = new_household(&t.db, &leader, &actor, grid1, "南泉社区1号楼9单元101室").await;
        let new = plain_member(
            hh,
            "住户",
            IdNumber::parse("110105194912310038", today).unwrap(),
        );
        let id = registry::create(&t.db, &leader, &actor, &new)
            .await
            .unwrap();
        let name = t.name();
        assert_eq!(
            found_ids(&t.db, &leader, "1号楼9单元").await,
            vec![id],
            "{name}"
        );
        let version: i64 = sqlx::query_scalar("SELECT version FROM households WHERE id = $1")
            .bind(hh)
            .fetch_one(&t.db.pool)
            .await
            .unwrap();
        let moved = households::Changes {
            address: Some("南泉社区2号楼9单元101室".into()),
            ..Default::default()
        };
        households::update(&t.db, &leader, &actor, hh, version, &moved)
            .await
            .unwrap();
        assert!(
            found_ids(&t.db, &leader, "1号楼9单元").await.is_empty(),
            "{name}"
        );
        assert_eq!(
            found_ids(&t.db, &leader, "2号楼9单元").await,
            vec![id],
            "{name}"
        );
        // Its member's page shows the new address, as its card does.
        let by = Search {
            household_id: Some(hh),
            ..Search::default()
        };
        let (page, _) = registry::search(&t.db, &leader, &by, 20, 0).await.unwrap();
        assert_eq!(page[0].address, "南泉社区2号楼9单元101室", "{name}");
        common::assert_addresses_carried(&t.db, name).await;
        // A database from before: no numbers kept, and the migration's mark. Start fills them in,
        // once.
        let kept = |db: shouhu_server::db::Db| async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM address_numbers")
                .fetch_one(&db.pool)
                .await
                .unwrap()
        };
        let before = kept(t.db.clone()).await;
        sqlx::raw_sql(
            "DELETE FROM address_numbers; \
             INSERT INTO settings (key, value) VALUES ('address_numbers_pending', '1')",
        )
        .execute(&t.db.pool)
        .await
        .unwrap();
        assert!(
            found_ids(&t.db, &leader, "2号楼9单元").await.is_empty(),
            "{name}"
        );
        t.db.migrate().await.unwrap();
        t.db.migrate().await.unwrap();
        assert_eq!(kept(t.db.clone()).await, before, "{name}");
        assert_eq!(
            found_ids(&t.db, &leader, "2号楼9单元").await,
            vec![id],
            "{name}"
        );
    }
}

/// A page is read in one shape and a card in another (on SQLite a page comes as JSON): whatever the
/// text, a resident on a page is the resident on its card, field for field.
#[tokio::test]
async fn a_resident_on_a_page_is_the_resident_on_its_card_whatever_the_text() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, actor, grid1) = nanquan_leader_and_grid1(&t.db).await;
        let today = chrono::Utc::now().date_naive();
        let hh = new_household(
            &t.db,
            &leader,
            &actor,
            grid1,
            "南泉社区\"7\"号楼\\1单元 {\"x\":[1]}",
        )
        .await;
        let odd = NewResident {
            phone: None,
            relation: "子女\u{1F600}".into(),
            family_contacts: vec![registry::Contact {
                name: "李\"四\\".into(),
                relation: "女儿".into(),
                phone: "13912345678".into(),
            }],
            emergency_contact_name: "\u{7}铃\t".into(),
            note: "line one\nline \"two\" \\ \u{2028} 𠀀 null".into(),
            ..plain_member(
                hh,
                "王\"小\\明",
                IdNumber::parse("110105194912310038", today).unwrap(),
            )
        };
        let id = registry::create(&t.db, &leader, &actor, &odd)
            .await
            .unwrap();
        let card = registry::get(&t.db, &leader, id).await.unwrap();
        assert_eq!(card.note, odd.note, "{}", t.name());
        assert_eq!(card.phone, None, "{}", t.name());
        let searches = [
            Search {
                household_id: Some(hh),
                ..Search::default()
            },
            Search {
                q: "王\"小".into(),
                ..Search::default()
            },
            Search {
                q: "\"7\"号楼\\1单元".into(),
                ..Search::default()
            },
        ];
        for by in searches {
            let (found, total) = registry::search(&t.db, &leader, &by, 20, 0).await.unwrap();
            assert_eq!((found.len(), total), (1, 1), "{}: {by:?}", t.name());
            assert_eq!(found[0], card, "{}: {by:?}", t.name());
        }
    }
}

#[tokio::test]
async fn a_grid_created_by_another_server_shows_its_own_code_and_name_on_a_page() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, actor) = user_scope(&t.db, "nanquan-leader").await;
        // This server has read pages, so it holds the grids it met in memory.
        let (before, _) = registry::search(&t.db, &leader, &Search::default(), 20, 0)
            .await
            .unwrap();
        assert!(!before.is_empty(), "{}", t.name());
        // A second server on the same database adds a grid to 南泉社区.
        let other = shouhu_server::db::Db::connect(&t.url).await.unwrap();
        let mut tx = other.begin_write().await.unwrap();
        let grid = units::create(
            &mut tx,
            "650203002005099",
            "南泉社区第九十九网格",
            UnitKind::Grid,
            Some("650203002005"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        other.close().await;
        let hh = new_household(&t.db, &leader, &actor, grid, "南泉社区99号楼1单元101").await;
        let today = chrono::Utc::now().date_naive();
        let id = registry::create(
            &t.db,
            &leader,
            &actor,
            &plain_member(
                hh,
                "新网格居民",
                IdNumber::parse("110105194912310038", today).unwrap(),
            ),
        )
        .await
        .unwrap();
        let by_household = Search {
            household_id: Some(hh),
            ..Search::default()
        };
        let (found, _) = registry::search(&t.db, &leader, &by_household, 20, 0)
            .await
            .unwrap();
        let ids_codes_names: Vec<_> = found
            .iter()
            .map(|r| (r.id, r.grid_code.as_str(), r.grid_name.as_str()))
            .collect();
        assert_eq!(
            ids_codes_names,
            vec![(id, "650203002005099", "南泉社区第九十九网格")],
            "{}",
            t.name()
        );
        // The grids met before keep theirs, and every row agrees with its card.
        let (again, _) = registry::search(&t.db, &leader, &Search::default(), 20, 0)
            .await
            .unwrap();
        for r in &again {
            let card = registry::get(&t.db, &leader, r.id).await.unwrap();
            assert_eq!(
                (&r.grid_code, &r.grid_name),
                (&card.grid_code, &card.grid_name),
                "{}",
                t.name()
            );
        }
    }
}

#[tokio::test]
async fn a_building_unit_and_room_are_one_however_they_are_typed() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, actor, grid1) = nanquan_leader_and_grid1(&t.db).await;
        let typed = [
            ("3号楼", "2单元", "301"),
            ("03栋", "2", "301室"),
            ("\u{FF13}幢", "\u{FF12}单元", "\u{FF13}01号"),
            (" 3 ", " 2单元 ", "301"),
        ];
        let mut seen = Vec::new();
        for (building, unit, room) in typed {
            let id = households::create(
                &t.db,
                &leader,
                &actor,
                &households::NewHousehold {
                    grid_id: grid1,
                    building: building.into(),
                    building_unit: unit.into(),
                    room: room.into(),
                    address: format!("南泉社区{building}{unit}{room}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let h = households::get(&t.db, &leader, id).await.unwrap();
            seen.push((h.building, h.building_unit, h.room));
        }
        let one = (
            Some("3号楼".to_string()),
            Some("2单元".to_string()),
            "301".to_string(),
        );
        assert_eq!(seen, vec![one; 4], "{}", t.name());
        // One building and one unit were made for all four, not four.
        let buildings: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM buildings WHERE grid_id = $1 AND name = '3号楼'",
        )
        .bind(grid1)
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(buildings, 1, "{}", t.name());
    }
}

#[tokio::test]
async fn a_stale_version_is_refused_and_changes_nothing() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (scope, actor) = user_scope(&t.db, "nanquan-grid1").await;
        let (rs, _) = registry::search(&t.db, &scope, &Search::default(), 1, 0)
            .await
            .unwrap();
        let r = &rs[0];
        let first = Changes {
            phone: Some(Some(Phone::parse("13800138000").unwrap())),
            ..Changes::default()
        };
        registry::update(&t.db, &scope, &actor, r.id, r.version, &first)
            .await
            .unwrap();
        let second = Changes {
            name: Some("覆盖者".into()),
            ..Changes::default()
        };
        let stale = registry::update(&t.db, &scope, &actor, r.id, r.version, &second).await;
        assert!(matches!(stale, Err(StoreError::Conflict)), "{}", t.name());
        let now = registry::get(&t.db, &scope, r.id).await.unwrap();
        assert_eq!(now.version, r.version + 1);
        assert_eq!(now.name, r.name);
        assert_eq!(now.phone.as_deref(), Some("13800138000"));
    }
}

#[tokio::test]
async fn concurrent_edits_of_one_version_let_exactly_one_through() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (scope, actor) = user_scope(&t.db, "nanquan-leader").await;
        let (rs, _) = registry::search(&t.db, &scope, &Search::default(), 1, 0)
            .await
            .unwrap();
        let (id, version) = (rs[0].id, rs[0].version);
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (db, scope, actor) = (t.db.clone(), scope.clone(), actor.clone());
            tasks.push(tokio::spawn(async move {
                let c = Changes {
                    note: Some(format!("edit {i}")),
                    ..Changes::default()
                };
                registry::update(&db, &scope, &actor, id, version, &c).await
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Conflict) => {}
                Err(e) => panic!("{}: unexpected {e}", t.name()),
            }
        }
        assert_eq!(ok, 1, "{}", t.name());
        assert_eq!(
            registry::get(&t.db, &scope, id).await.unwrap().version,
            version + 1
        );
    }
}

#[tokio::test]
async fn residents_are_created_deleted_softly_and_moved_only_within_scope() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (scope, actor) = user_scope(&t.db, "nanquan-grid1").await;
        let (hs, _) = households::search(&t.db, &scope, "", None, 1, 0)
            .await
            .unwrap();
        let today = chrono::Utc::now().date_naive();
        let new = NewResident {
            household_id: hs[0].id,
            name: "倪业勤".into(),
            id_number: IdNumber::parse("130503670401001", today).unwrap(),
            phone: None,
            relation: "子女".into(),
            tags: Tags::parse_list(&["chronic_illness"]).unwrap(),
            family_contacts: vec![],
            emergency_contact_name: String::new(),
            emergency_contact_phone: None,
            note: String::new(),
        };
        let id = registry::create(&t.db, &scope, &actor, &new).await.unwrap();
        let r = registry::get(&t.db, &scope, id).await.unwrap();
        assert_eq!(r.id_number, "130503196704010016", "{}", t.name());
        assert_eq!(r.sex, "male");
        assert_eq!(r.birth_date, "1967-04-01");
        // Moving into a household of another grid is refused as unknown.
        let (leader, _) = user_scope(&t.db, "nanquan-leader").await;
        let (all, _) = households::search(&t.db, &leader, "", None, 500, 0)
            .await
            .unwrap();
        let elsewhere = all
            .iter()
            .find(|h| h.grid_code != "650203002005001")
            .unwrap();
        let mv = Changes {
            household_id: Some(elsewhere.id),
            ..Changes::default()
        };
        let refused = registry::update(&t.db, &scope, &actor, id, r.version, &mv).await;
        assert!(matches!(
            refused,
            Err(StoreError::Invalid {
                field: "household_id",
                ..
            })
        ));
        registry::delete(&t.db, &scope, &actor, id, r.version)
            .await
            .unwrap();
        assert!(matches!(
            registry::get(&t.db, &scope, id).await,
            Err(StoreError::NotFound)
        ));
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM residents WHERE id = $1")
            .bind(id)
            .fetch_one(&t.db.pool)
            .await
            .unwrap();
        assert_eq!(kept, 1, "soft delete keeps the row");
    }
}

#[tokio::test]
async fn the_audit_chain_verifies_and_finds_a_row_altered_by_hand() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (scope, actor) = user_scope(&t.db, "nanquan-grid1").await;
        let (rs, _) = registry::search(&t.db, &scope, &Search::default(), 3, 0)
            .await
            .unwrap();
        for r in &rs {
            let c = Changes {
                note: Some("checked".into()),
                ..Changes::default()
            };
            registry::update(&t.db, &scope, &actor, r.id, r.version, &c)
                .await
                .unwrap();
        }
        let Verdict::Intact { entries } = audit::verify(&t.db).await.unwrap() else {
            panic!("{}: chain should be intact", t.name());
        };
        assert!(entries >= 4);
        let (list, _) = audit::search(
            &t.db,
            &audit::Filter {
                action: Some("resident.update".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
        assert_eq!(list.len(), 3);
        assert!(
            list.iter()
                .all(|e| e.detail == "changed: note" && e.actor == "nanquan-grid1")
        );
        let victim = list[1].id;
        sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE id = $1")
            .bind(victim)
            .execute(&t.db.pool)
            .await
            .unwrap();
        assert_eq!(
            audit::verify(&t.db).await.unwrap(),
            Verdict::Broken {
                id: victim,
                reason: "content altered"
            },
            "{}",
            t.name()
        );
    }
}

#[tokio::test]
async fn concurrent_audit_appends_keep_one_unbroken_chain() {
    for t in common::each_backend().await {
        let mut tasks = Vec::new();
        for i in 0..20 {
            let db = t.db.clone();
            tasks.push(tokio::spawn(async move {
                let e = audit::NewEntry {
                    actor: format!("worker{i}"),
                    action: "test.append",
                    result: "ok",
                    ..Default::default()
                };
                audit::record(&db, &e).await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(
            audit::verify(&t.db).await.unwrap(),
            Verdict::Intact { entries: 20 },
            "{}",
            t.name()
        );
    }
}

#[tokio::test]
async fn units_fit_their_parents_and_codes_are_unique() {
    for t in common::each_backend().await {
        let mut tx = t.db.begin_write().await.unwrap();
        units::create(&mut tx, "650200", "克拉玛依市", UnitKind::City, None)
            .await
            .unwrap();
        let wrong = units::create(
            &mut tx,
            "650203002000",
            "街道",
            UnitKind::Street,
            Some("650200"),
        )
        .await;
        assert!(
            matches!(wrong, Err(StoreError::Invalid { field: "kind", .. })),
            "{}",
            t.name()
        );
        units::create(
            &mut tx,
            "650203",
            "克拉玛依区",
            UnitKind::District,
            Some("650200"),
        )
        .await
        .unwrap();
        let dup = units::create(
            &mut tx,
            "650203",
            "again",
            UnitKind::District,
            Some("650200"),
        )
        .await;
        assert!(matches!(
            dup,
            Err(StoreError::Invalid { field: "code", .. })
        ));
        tx.commit().await.unwrap();
    }
}

#[tokio::test]
async fn sessions_expire_when_idle_and_end_on_disable() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (u, _) = accounts::find_by_username(&t.db, "nanquan-grid2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u.role, Role::GridWorker);
        let mut tx = t.db.begin_write().await.unwrap();
        let token = accounts::create_session(&mut tx, u.id, "127.0.0.1", "test")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            accounts::lookup_session(&t.db, &token)
                .await
                .unwrap()
                .is_some()
        );
        sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - $1")
            .bind(accounts::IDLE_TIMEOUT_SECS + 5)
            .execute(&t.db.pool)
            .await
            .unwrap();
        assert!(
            accounts::lookup_session(&t.db, &token)
                .await
                .unwrap()
                .is_none(),
            "{}",
            t.name()
        );
        let mut tx = t.db.begin_write().await.unwrap();
        let token = accounts::create_session(&mut tx, u.id, "127.0.0.1", "test")
            .await
            .unwrap();
        accounts::set_disabled(&mut tx, u.id, true).await.unwrap();
        tx.commit().await.unwrap();
        assert!(
            accounts::lookup_session(&t.db, &token)
                .await
                .unwrap()
                .is_none()
        );
    }
}

async fn assert_grid_totals_match(db: &shouhu_server::db::Db, name: &str) {
    let kept: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT grid_id, residents, households FROM grid_stats ORDER BY grid_id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let counted: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT o.id, \
         (SELECT COUNT(*) FROM residents r WHERE r.grid_id = o.id AND r.deleted_at IS NULL), \
         (SELECT COUNT(*) FROM households h WHERE h.grid_id = o.id AND h.deleted_at IS NULL) \
         FROM org_units o WHERE o.kind = 'grid' ORDER BY o.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        kept, counted,
        "{name}: kept grid totals equal a direct count"
    );
    common::assert_addresses_carried(db, name).await;
}

#[tokio::test]
async fn grid_totals_follow_every_write_and_give_the_list_total() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        assert_grid_totals_match(&t.db, t.name()).await;
        let (leader, actor, grid1) = nanquan_leader_and_grid1(&t.db).await;
        let today = chrono::Utc::now().date_naive();
        // A new household in grid 1 with two members; one moves to grid 2, one is deleted.
        let hh = new_household(&t.db, &leader, &actor, grid1, "南泉社区99号楼1单元101室").await;
        let mut ids = Vec::new();
        for (i, id) in ["130503670401001", "11010519491231002X"].iter().enumerate() {
            let new = plain_member(
                hh,
                &format!("新居民{i}"),
                IdNumber::parse(id, today).unwrap(),
            );
            ids.push(
                registry::create(&t.db, &leader, &actor, &new)
                    .await
                    .unwrap(),
            );
        }
        let (in_grid2, _) = households::search(&t.db, &leader, "", None, 500, 0)
            .await
            .unwrap();
        let target = in_grid2
            .iter()
            .find(|h| h.grid_code == "650203002005002")
            .unwrap();
        let r0 = registry::get(&t.db, &leader, ids[0]).await.unwrap();
        let mv = Changes {
            household_id: Some(target.id),
            ..Changes::default()
        };
        registry::update(&t.db, &leader, &actor, ids[0], r0.version, &mv)
            .await
            .unwrap();
        let r1 = registry::get(&t.db, &leader, ids[1]).await.unwrap();
        registry::delete(&t.db, &leader, &actor, ids[1], r1.version)
            .await
            .unwrap();
        let h = households::get(&t.db, &leader, hh).await.unwrap();
        households::delete(&t.db, &leader, &actor, hh, h.version)
            .await
            .unwrap();
        assert_grid_totals_match(&t.db, t.name()).await;
        // The unfiltered list total comes from them, and equals the filtered path's count.
        let (_, total) = registry::search(&t.db, &leader, &Search::default(), 1, 0)
            .await
            .unwrap();
        let direct: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM residents r JOIN unit_closure c ON c.descendant_id = r.grid_id \
             JOIN org_units o ON o.id = c.ancestor_id WHERE o.code = '650203002005' AND r.deleted_at IS NULL",
        )
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(total, direct, "{}", t.name());
        let by_unit = Search {
            unit_id: Some(grid1),
            ..Search::default()
        };
        let (_, g1_total) = registry::search(&t.db, &leader, &by_unit, 1, 0)
            .await
            .unwrap();
        let g1_direct: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM residents WHERE grid_id = $1 AND deleted_at IS NULL",
        )
        .bind(grid1)
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(g1_total, g1_direct, "{}", t.name());
    }
}

/// A deletion is undone: the resident lives again, in their household as it is now, counted and
/// audited; twice is a conflict, someone else's record is not found, and a household deleted since
/// refuses it.
#[tokio::test]
async fn a_deleted_resident_comes_back_by_undo() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (leader, actor, grid1) = nanquan_leader_and_grid1(&t.db).await;
        let name = t.name();
        let today = chrono::Utc::now().date_naive();
        let hh = new_household(&t.db, &leader, &actor, grid1, "南泉社区98号楼1单元101室").await;
        let mut ids = Vec::new();
        for (i, (id, relation)) in [("130503670401001", "户主"), ("11010519491231002X", "配偶")]
            .into_iter()
            .enumerate()
        {
            let mut new =
                plain_member(hh, &format!("撤销{i}"), IdNumber::parse(id, today).unwrap());
            new.relation = relation.into();
            ids.push(
                registry::create(&t.db, &leader, &actor, &new)
                    .await
                    .unwrap(),
            );
        }
        let head = registry::get(&t.db, &leader, ids[0]).await.unwrap();
        registry::delete(&t.db, &leader, &actor, ids[0], head.version)
            .await
            .unwrap();
        // Offered back by name; the household moves to another address meanwhile.
        let (offered, of) = registry::deleted(&t.db, &leader, ids[0]).await.unwrap();
        assert_eq!((offered.as_str(), of), ("撤销0", hh), "{name}");
        let listed = registry::deleted_members(&t.db, &leader, hh).await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|d| (d.0, d.1.as_str()))
                .collect::<Vec<_>>(),
            [(ids[0], "撤销0")],
            "{name}"
        );
        let h = households::get(&t.db, &leader, hh).await.unwrap();
        assert_eq!(h.head_resident_id, None, "{name}");
        let moved = households::Changes {
            address: Some("南泉社区98号楼1单元102室".into()),
            ..Default::default()
        };
        households::update(&t.db, &leader, &actor, hh, h.version, &moved)
            .await
            .unwrap();
        let (jinhua, jinhua_actor) = user_scope(&t.db, "jinhua-leader").await;
        assert!(
            matches!(
                registry::restore(&t.db, &jinhua, &jinhua_actor, ids[0]).await,
                Err(StoreError::NotFound)
            ),
            "{name}: someone else's record"
        );
        assert!(
            matches!(
                registry::deleted(&t.db, &jinhua, ids[0]).await,
                Err(StoreError::NotFound)
            ),
            "{name}"
        );
        let none = registry::deleted_members(&t.db, &jinhua, hh).await.unwrap();
        assert!(none.is_empty(), "{name}");
        registry::restore(&t.db, &leader, &actor, ids[0])
            .await
            .unwrap();
        let back = registry::get(&t.db, &leader, ids[0]).await.unwrap();
        assert_eq!(back.version, head.version + 2, "{name}");
        assert_eq!(back.address, "南泉社区98号楼1单元102室", "{name}");
        assert_eq!(
            (back.name.as_str(), back.id_number.as_str()),
            (head.name.as_str(), head.id_number.as_str()),
            "{name}"
        );
        let h = households::get(&t.db, &leader, hh).await.unwrap();
        assert_eq!((h.head_resident_id, h.members), (Some(ids[0]), 2), "{name}");
        assert!(
            matches!(
                registry::restore(&t.db, &leader, &actor, ids[0]).await,
                Err(StoreError::Conflict)
            ),
            "{name}: undone twice"
        );
        assert_grid_totals_match(&t.db, name).await;
        common::assert_addresses_carried(&t.db, name).await;
        let listed = registry::deleted_members(&t.db, &leader, hh).await.unwrap();
        assert!(listed.is_empty(), "{name}: back among the living");
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'resident.restore' AND object_id = $1",
        )
        .bind(ids[0].to_string())
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(audited, 1, "{name}");
        // Both gone, then their household: nobody to bring them back into.
        for id in &ids {
            let r = registry::get(&t.db, &leader, *id).await.unwrap();
            registry::delete(&t.db, &leader, &actor, *id, r.version)
                .await
                .unwrap();
        }
        let h = households::get(&t.db, &leader, hh).await.unwrap();
        households::delete(&t.db, &leader, &actor, hh, h.version)
            .await
            .unwrap();
        assert!(
            matches!(
                registry::restore(&t.db, &leader, &actor, ids[1]).await,
                Err(StoreError::Invalid {
                    field: "household_id",
                    code: "household_gone"
                })
            ),
            "{name}"
        );
        assert!(
            matches!(
                registry::get(&t.db, &leader, ids[1]).await,
                Err(StoreError::NotFound)
            ),
            "{name}: still deleted"
        );
        assert_grid_totals_match(&t.db, name).await;
    }
}

/// PostgreSQL with the demo, the 南泉社区 leader, grid 1 and one resident of it.
async fn postgres_demo_and_a_resident() -> (common::TestDb, Scope, Actor, i64, registry::Resident) {
    let t = common::postgres().await.expect("PostgreSQL configured");
    common::seed_demo(&t.db).await;
    let (leader, actor, grid1) = nanquan_leader_and_grid1(&t.db).await;
    let (mut people, _) = registry::search(&t.db, &leader, &Search::default(), 1, 0)
        .await
        .unwrap();
    let person = people.remove(0);
    (t, leader, actor, grid1, person)
}

/// A transaction holding the row that `update` (a no-op update of row `$1`) locks, so that
/// writers of it wait until it is rolled back, and its server process (to see them wait).
async fn hold_row(
    db: &shouhu_server::db::Db,
    update: &'static str,
    id: i64,
) -> (sqlx::Transaction<'static, sqlx::Any>, i32) {
    let mut hold = db.pool.begin().await.unwrap();
    sqlx::query(update)
        .bind(id)
        .execute(&mut *hold)
        .await
        .unwrap();
    let holder = common::backend_pid(&mut hold).await;
    (hold, holder)
}

/// PostgreSQL: a resident recorded while their household's address is being changed carries the
/// address that stands once both are done, not the one read before the change committed (each
/// transaction sees none of the other's rows, so the copy would be left behind).
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_postgres),
    ignore = "needs SHOUHU_TEST_POSTGRES_URL at build"
)]
async fn a_resident_recorded_during_an_address_change_carries_the_new_address() {
    let (t, leader, actor, _, person) = postgres_demo_and_a_resident().await;
    let hh = person.household_id;
    let new_address = "南泉社区88号楼1单元101室";
    // The change as households::update writes it, not yet committed.
    let mut change = t.db.pool.begin().await.unwrap();
    for sql in [
        "UPDATE households SET address = $1, version = version + 1 WHERE id = $2",
        "UPDATE residents SET address = $1 WHERE household_id = $2",
    ] {
        sqlx::query(sql)
            .bind(new_address)
            .bind(hh)
            .execute(&mut *change)
            .await
            .unwrap();
    }
    let today = chrono::Utc::now().date_naive();
    let new = plain_member(
        hh,
        "新成员",
        IdNumber::parse("110105194912310062", today).unwrap(),
    );
    let holder = common::backend_pid(&mut change).await;
    let db = t.db.clone();
    let create =
        tokio::spawn(async move { registry::create(&db, &leader, &actor, &new).await.unwrap() });
    common::wait_for_lock_waiters(&t.db, holder, 1).await;
    assert!(!create.is_finished(), "the new member waits for the change");
    change.commit().await.unwrap();
    let id = create.await.unwrap();
    let carried: String = sqlx::query_scalar("SELECT address FROM residents WHERE id = $1")
        .bind(id)
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
    assert_eq!(carried, new_address);
    common::assert_addresses_carried(&t.db, t.name()).await;
}

/// PostgreSQL: two decisions on one resident's risk flag that both read it as pending before
/// either writes (here: both held back by a third transaction on the flag) — only the first
/// stands; the second changes nothing.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_postgres),
    ignore = "needs SHOUHU_TEST_POSTGRES_URL at build"
)]
async fn of_two_decisions_on_a_risk_flag_at_once_one_stands() {
    let (t, leader, actor, grid1, person) = postgres_demo_and_a_resident().await;
    let flag: i64 = sqlx::query_scalar(
        "INSERT INTO risk_flags (resident_id, grid_id, reason, measure, status, created_at) \
         VALUES ($1, $2, '湖北武汉', 'home', 'pending', 0) RETURNING id",
    )
    .bind(person.id)
    .bind(grid1)
    .fetch_one(&t.db.pool)
    .await
    .unwrap();
    let (hold, holder) = hold_row(
        &t.db,
        "UPDATE risk_flags SET version = version WHERE id = $1",
        flag,
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let (db1, db2) = (t.db.clone(), t.db.clone());
    let (s1, s2, a1, a2) = (leader.clone(), leader.clone(), actor.clone(), actor.clone());
    let confirm = tokio::spawn(async move {
        shouhu_server::db::risk::confirm(&db1, &s1, &a1, flag, 1, None, today).await
    });
    let dismiss = tokio::spawn(async move {
        shouhu_server::db::risk::dismiss(&db2, &s2, &a2, flag, 1, "行程早于划定").await
    });
    // Both have read the flag as pending and wait for the third to let go of it.
    common::wait_for_lock_waiters(&t.db, holder, 2).await;
    hold.rollback().await.unwrap();
    let (c, d) = (confirm.await.unwrap(), dismiss.await.unwrap());
    assert!(c.is_ok() != d.is_ok(), "one decision stands: {c:?} {d:?}");
    let (status, quarantines): (String, i64) = sqlx::query_as(
        "SELECT f.status, (SELECT COUNT(*) FROM quarantines q WHERE q.resident_id = f.resident_id) \
         FROM risk_flags f WHERE f.id = $1",
    )
    .bind(flag)
    .fetch_one(&t.db.pool)
    .await
    .unwrap();
    let want = if c.is_ok() {
        ("confirmed", 1)
    } else {
        ("dismissed", 0)
    };
    assert_eq!((status.as_str(), quarantines), want);
}

/// PostgreSQL: two people recording the same admission at once (both read the transfer before
/// either writes) — one is recorded, the other changes nothing: one bed is taken, not two.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_postgres),
    ignore = "needs SHOUHU_TEST_POSTGRES_URL at build"
)]
async fn an_admission_recorded_twice_at_once_takes_one_bed() {
    use shouhu_domain::TransferStatus;
    use shouhu_server::db::observation::{self, Step};
    let (t, leader, actor, grid1, person) = postgres_demo_and_a_resident().await;
    let p = &person;
    let (site, occupied): (i64, i64) = sqlx::query_as(
        "SELECT id, occupied FROM observation_sites WHERE beds > occupied + 1 ORDER BY id LIMIT 1",
    )
    .fetch_one(&t.db.pool)
    .await
    .unwrap();
    let quarantine: i64 = sqlx::query_scalar(
        "INSERT INTO quarantines (resident_id, grid_id, household_id, kind, reason, start_date, \
         planned_end_date, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 'home', '密接', '2020-02-10', '2020-02-24', 'active', $4, 0, 0) RETURNING id",
    )
    .bind(p.id)
    .bind(grid1)
    .bind(p.household_id)
    .bind(leader.user_id)
    .fetch_one(&t.db.pool)
    .await
    .unwrap();
    let transfer: i64 = sqlx::query_scalar(
        "INSERT INTO transfers (quarantine_id, resident_id, grid_id, site_id, status, notified_at) \
         VALUES ($1, $2, $3, $4, 'picked_up', 0) RETURNING id",
    )
    .bind(quarantine)
    .bind(p.id)
    .bind(grid1)
    .bind(site)
    .fetch_one(&t.db.pool)
    .await
    .unwrap();
    let (hold, holder) = hold_row(
        &t.db,
        "UPDATE transfers SET version = version WHERE id = $1",
        transfer,
    )
    .await;
    let admit = || {
        let (db, scope, actor) = (t.db.clone(), leader.clone(), actor.clone());
        tokio::spawn(async move {
            let step = Step {
                to: TransferStatus::Admitted,
                plate: None,
                note: "",
            };
            observation::advance(&db, &scope, &actor, transfer, 1, step).await
        })
    };
    let (first, second) = (admit(), admit());
    common::wait_for_lock_waiters(&t.db, holder, 2).await;
    hold.rollback().await.unwrap();
    let (a, b) = (first.await.unwrap(), second.await.unwrap());
    assert!(
        a.is_ok() != b.is_ok(),
        "one admission is recorded: {a:?} {b:?}"
    );
    assert!(matches!(a.err().or(b.err()), Some(StoreError::Conflict)));
    let now: i64 = sqlx::query_scalar("SELECT occupied FROM observation_sites WHERE id = $1")
        .bind(site)
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
    assert_eq!(now, occupied + 1, "one bed taken");
}
