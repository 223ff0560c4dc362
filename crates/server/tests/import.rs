//! Importing and exporting residents with spreadsheets the tests build themselves, on SQLite and
//! PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use rust_xlsxwriter::Workbook;
use shouhu_domain::IdNumber;
use shouhu_server::db::audit::{self, Verdict};
use shouhu_server::db::import::{Summary, target};
use shouhu_server::db::registry::Actor;
use shouhu_server::db::{Db, address_numbers};
use shouhu_server::i18n::{Lang, Tr};
use shouhu_server::sheet::export::{self as sheet_export, Format as FileFormat, Values};
use shouhu_server::sheet::import::{ImportError, Report, run};

const NANQUAN: &str = "650203002005";
const GRID1: &str = "650203002005001";

enum C {
    S(&'static str),
    O(String),
    N(f64),
    B,
}

fn xlsx(sheets: &[(&str, Vec<Vec<C>>)]) -> Vec<u8> {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let ws = book.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    C::S(s) => drop(ws.write_string(r, c, *s).unwrap()),
                    C::O(s) => drop(ws.write_string(r, c, s).unwrap()),
                    C::N(n) => drop(ws.write_number(r, c, *n).unwrap()),
                    C::B => {}
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// A valid ID number born on `y-m-d`; `x` asks for one whose check character is X.
fn id(y: i32, m: u32, d: u32, x: bool) -> String {
    let birth = NaiveDate::from_ymd_opt(y, m, d).unwrap();
    (0..999)
        .map(|s| IdNumber::from_parts("650203", birth, s).unwrap())
        .find(|i| i.as_str().ends_with('X') == x)
        .unwrap()
        .as_str()
        .to_string()
}

async fn import(db: &Db, bytes: &[u8], user: Option<i64>) -> Result<Report, ImportError> {
    let t = target(db, NANQUAN, None, user).await.unwrap();
    run(
        db,
        &t,
        &Actor::cli(),
        bytes.to_vec().into(),
        None,
        "test.xlsx",
        false,
        &|_, _| {},
    )
    .await
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

fn counts(s: &Summary) -> (u64, u64, u64, u64) {
    (s.created, s.updated, s.unchanged, s.rejected)
}

/// The messy sheet of a community office: a notes sheet first, a merged title, a blank row, extra
/// columns, and every kind of damage typing and Excel do.
fn messy_sheet() -> (Vec<u8>, String) {
    let a = id(1949, 12, 31, true);
    let fifteen = "650203800101001"; // 15 digits: 1980-01-01, upgraded to 18
    let full_width: String = a
        .to_lowercase()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let header = || {
        [
            "序号",
            "姓名",
            "公民身份号码",
            "性别",
            "出生日期",
            "手机号",
            "楼号",
            "单元",
            "房号",
            "与户主关系",
            "人员类别",
            "备注",
            "网格",
        ]
        .into_iter()
        .map(C::S)
        .collect::<Vec<_>>()
    };
    let row = |n: &'static str,
               id: C,
               sex: &'static str,
               phone: &'static str,
               room: &'static str,
               grid: &'static str| {
        vec![
            C::S("1"),
            C::S(n),
            id,
            C::S(sex),
            C::B,
            C::S(phone),
            C::S("5栋"),
            C::S("1"),
            C::S(room),
            C::S("户主"),
            C::S("独居老人"),
            C::B,
            C::S(grid),
        ]
    };
    let mut rows = vec![
        vec![C::S("南泉社区居民花名册（2020年2月）")],
        vec![],
        header(),
        // 4: valid, typed in full width with a lowercase x, stray spaces, a +86 phone.
        vec![
            C::S("1"),
            C::S(" 张 三 "),
            C::O(format!(" {full_width} ")),
            C::S("女"),
            C::S("1949/12/31"),
            C::S("+86 138-0013-8000"),
            C::S("５栋"),
            C::S("1"),
            C::S("101室"),
            C::S("户主"),
            C::S("独居老人、慢性病"),
            C::S("腿脚不便"),
            C::S(GRID1),
        ],
        // 5: valid, a 15-digit number as text.
        row("李四", C::S(fifteen), "", "13900139000", "102", GRID1),
        // 6: valid, a 15-digit number Excel kept as a number (exact).
        row(
            "王五",
            C::N(650203850203002.0),
            "",
            "",
            "103",
            "南泉社区第1网格",
        ),
        // 7: an 18-digit ID Excel made a number.
        row("赵六", C::N(6.50203198001e17), "", "", "104", GRID1),
        // 8: the same, as the text Excel shows.
        row("钱七", C::S("6.50203E+17"), "", "", "105", GRID1),
        // 9: 18 digits whose last three became zeros.
        row("孙八", C::S("650203198001010000"), "", "", "106", GRID1),
        vec![],
        // 11: sex contradicting the ID (a is a woman's number? its 17th digit decides).
        row(
            "周九",
            C::O(id(1990, 5, 5, false)),
            "",
            "12345",
            "107",
            GRID1,
        ),
        // 12: a grid that does not exist.
        row(
            "吴十",
            C::O(id(1991, 6, 6, false)),
            "",
            "",
            "108",
            "不存在的网格",
        ),
        // 13: row 4's person again.
        row("张三", C::O(a.clone()), "", "", "101", GRID1),
        // 14: a mistyped check digit.
        row("郑十一", C::S("650203199107070011"), "", "", "109", GRID1),
    ];
    // Row 4's sex as its number says, row 11's the opposite.
    let sex = |id: &str| {
        IdNumber::parse(id, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
            .unwrap()
            .sex()
            .as_str()
    };
    rows[3][3] = C::S(if sex(&a) == "male" { "男" } else { "女" });
    rows[10][3] = C::S(if sex(&id(1990, 5, 5, false)) == "male" {
        "女"
    } else {
        "男"
    });
    let bytes = xlsx(&[
        ("说明", vec![vec![C::S("请在第二个工作表填写")]]),
        ("居民", rows),
    ]);
    (bytes, a)
}

#[tokio::test]
async fn a_messy_sheet_imports_its_valid_rows_and_reimporting_changes_nothing() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let before = count(&t.db, "SELECT COUNT(*) FROM residents").await;
        let (bytes, a) = messy_sheet();
        let r = import(&t.db, &bytes, None).await.unwrap();
        assert_eq!(r.sheet, "居民", "{}", t.name());
        assert_eq!(
            counts(&r.summary),
            (3, 0, 0, 7),
            "{}: {:?}",
            t.name(),
            r.rejected_rows
        );
        assert_eq!(r.unknown_columns, vec!["序号".to_string()]);
        let got: Vec<(usize, &str, &str)> = r
            .rejected_rows
            .iter()
            .flat_map(|x| x.problems.iter().map(move |p| (x.line, p.column, p.code)))
            .collect();
        assert_eq!(
            got,
            vec![
                (7, "id_number", "id_number_excel_number"),
                (8, "id_number", "id_number_excel_number"),
                (9, "id_number", "id_number_excel_number"),
                (11, "sex", "sex_contradicts_id"),
                (11, "phone", "invalid_phone"),
                (12, "grid", "unknown_grid"),
                (13, "id_number", "duplicate_in_file"),
                (14, "id_number", "id_number_check_digit"),
            ],
            "{}",
            t.name()
        );
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM residents").await,
            before + 3
        );
        // Row 4 stored clean, in a household made for it, with its head set.
        let (name, phone, tags, hh): (String, String, String, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT name, phone, tags, household_id FROM residents WHERE id_number = '{a}'"
            )))
            .fetch_one(&t.db.pool)
            .await
            .unwrap();
        assert_eq!(
            (name.as_str(), phone.as_str(), tags.as_str()),
            ("张三", "13800138000", "chronic_illness,elderly_alone")
        );
        let (address, building, head): (String, String, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT h.address, b.name, h.head_resident_id FROM households h JOIN building_units bu ON bu.id = h.building_unit_id \
             JOIN buildings b ON b.id = bu.building_id WHERE h.id = {hh}"
        )))
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(
            (address.as_str(), building.as_str()),
            ("南泉社区5号楼1单元101室", "5号楼")
        );
        assert!(head > 0);
        // Its numbers are kept for an address search, as for a household made by hand.
        let tails: Vec<String> = sqlx::query_scalar(
            "SELECT tail FROM address_numbers WHERE household_id = $1 ORDER BY length(tail) DESC",
        )
        .bind(hh)
        .fetch_all(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(tails, address_numbers::tails(&address), "{}", t.name());
        // The 15-digit numbers were upgraded, never stored short.
        let upgraded = IdNumber::parse(
            "650203800101001",
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM residents WHERE id_number = $1")
            .bind(upgraded.as_str())
            .fetch_one(&t.db.pool)
            .await
            .unwrap();
        assert_eq!((upgraded.as_str().len(), n), (18, 1), "{}", t.name());
        // Again: nothing changes, and the report says so.
        let audit_before = count(
            &t.db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'resident.update'",
        )
        .await;
        let again = import(&t.db, &bytes, None).await.unwrap();
        assert_eq!(counts(&again.summary), (0, 0, 3, 7), "{}", t.name());
        assert_eq!(again.summary.households_created, 0);
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM residents").await,
            before + 3
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'resident.update'"
            )
            .await,
            audit_before
        );
        // The rejected rows come back as a sheet with a reason column, readable by the import.
        let errors = again.errors_xlsx(Tr::new(Lang::Zh)).unwrap();
        let loaded = shouhu_server::sheet::load::load(
            &errors,
            None,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        )
        .unwrap();
        assert_eq!(loaded.rows.len(), 7);
        let header: Vec<String> = loaded.sheet.rows[0].iter().map(|c| c.text()).collect();
        assert_eq!(header.last().map(String::as_str), Some("问题"));
        assert!(
            loaded.sheet.rows[1]
                .last()
                .unwrap()
                .text()
                .contains("Excel")
        );
        // Audited, and the chain holds.
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'import.residents'"
            )
            .await,
            2
        );
        assert!(matches!(
            audit::verify(&t.db).await.unwrap(),
            Verdict::Intact { .. }
        ));
        // The grids' kept totals still equal a direct count.
        let kept = count(
            &t.db,
            "SELECT CAST(SUM(residents) AS BIGINT) FROM grid_stats",
        )
        .await;
        let direct = count(
            &t.db,
            "SELECT COUNT(*) FROM residents WHERE deleted_at IS NULL",
        )
        .await;
        assert_eq!(kept, direct, "{}", t.name());
        // Residents imported into new households and existing ones carry their addresses.
        common::assert_addresses_carried(&t.db, t.name()).await;
    }
}

#[tokio::test]
async fn export_then_import_of_a_community_round_trips_with_zero_changes() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (unit, _) = shouhu_server::db::export::unit(&t.db, NANQUAN, None)
            .await
            .unwrap();
        let rows = shouhu_server::db::export::residents(&t.db, unit, None)
            .await
            .unwrap();
        assert!(rows.len() > 50);
        for format in [FileFormat::Xlsx, FileFormat::Csv] {
            let bytes =
                sheet_export::write(&rows, Values::Full, format, "南泉社区 居民名单").unwrap();
            let r = import(&t.db, &bytes, None).await.unwrap();
            assert_eq!(
                counts(&r.summary),
                (0, 0, rows.len() as u64, 0),
                "{} {format:?}: {:?}",
                t.name(),
                r.rejected_rows
            );
        }
        // A masked export cannot be imported by mistake: every row is refused, none overwritten.
        let masked = sheet_export::write(&rows, Values::Masked, FileFormat::Xlsx, "t").unwrap();
        let r = import(&t.db, &masked, None).await.unwrap();
        assert_eq!(r.summary.rejected, rows.len() as u64);
        assert!(
            r.rejected_rows
                .iter()
                .all(|x| x.problems[0].code == "masked_id_number")
        );
    }
}

/// Grid 1's residents as exported, and a CSV of them with `change` made to the cells (column
/// order: grid, building, unit, room, address, name, id, sex, birth, phone, relation, tags, note).
async fn grid1_sheet(
    db: &Db,
    change: impl FnOnce(&mut Vec<Vec<String>>),
) -> (Vec<shouhu_server::db::export::ExportRow>, Vec<u8>) {
    let (unit, _) = shouhu_server::db::export::unit(db, GRID1, None)
        .await
        .unwrap();
    let rows = shouhu_server::db::export::residents(db, unit, None)
        .await
        .unwrap();
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| sheet_export::cells(r, Values::Full))
        .collect();
    change(&mut cells);
    let bytes =
        shouhu_server::sheet::write::csv(&sheet_export::header(), cells.into_iter()).unwrap();
    (rows, bytes)
}

#[tokio::test]
async fn a_changed_row_updates_only_that_resident_and_moves_them() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (rows, bytes) = grid1_sheet(&t.db, |cells| {
            cells[0][9] = "13511112222".into();
            cells[1][3] = "909".into();
            cells[1][1] = "99号楼".into();
        })
        .await;
        let r = import(&t.db, &bytes, None).await.unwrap();
        assert_eq!(
            counts(&r.summary),
            (0, 2, rows.len() as u64 - 2, 0),
            "{}",
            t.name()
        );
        assert_eq!(r.summary.households_created, 1);
        let phone: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT phone FROM residents WHERE id_number = '{}'",
            rows[0].id_number
        )))
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(phone, "13511112222");
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'resident.update'"
            )
            .await,
            2
        );
        let kept = count(
            &t.db,
            "SELECT CAST(SUM(households) AS BIGINT) FROM grid_stats",
        )
        .await;
        let direct = count(
            &t.db,
            "SELECT COUNT(*) FROM households WHERE deleted_at IS NULL",
        )
        .await;
        assert_eq!(kept, direct, "{}", t.name());
        // The one moved to a new household (building 99) carries its address; the new ones too.
        common::assert_addresses_carried(&t.db, t.name()).await;
    }
}

#[tokio::test]
async fn bad_files_get_a_clear_error_and_write_nothing() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let residents = count(&t.db, "SELECT COUNT(*) FROM residents").await;
        let audit_rows = count(&t.db, "SELECT COUNT(*) FROM audit_log").await;
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01".to_vec();
        let no_header = xlsx(&[(
            "Sheet1",
            vec![
                vec![C::S("名字"), C::S("电话")],
                vec![C::S("张三"), C::S("13800138000")],
            ],
        )]);
        let empty = xlsx(&[("Sheet1", vec![])]);
        let header_only = xlsx(&[("Sheet1", vec![vec![C::S("姓名"), C::S("身份证号")]])]);
        let mut huge = b"name,id_number\n".to_vec();
        huge.resize(50 * 1024 * 1024 + 1, b'1');
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("png", png, "not_a_spreadsheet"),
            ("broken zip", b"PK\x03\x04garbage".to_vec(), "file_damaged"),
            ("no header", no_header, "no_header"),
            ("empty sheet", empty, "empty_sheet"),
            ("header only", header_only, "empty_sheet"),
            ("empty file", Vec::new(), "file_empty"),
            ("50 MB", huge, "file_too_large"),
        ];
        for (what, bytes, code) in cases {
            match import(&t.db, &bytes, None).await {
                Err(ImportError::File(e)) => assert_eq!(e.code(), code, "{what}"),
                other => panic!("{what}: {other:?}"),
            }
        }
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM residents").await,
            residents
        );
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM audit_log").await,
            audit_rows
        );
    }
}

#[tokio::test]
async fn a_grid_worker_imports_into_their_own_grid_only() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (u, _) = shouhu_server::db::accounts::find_by_username(&t.db, "nanquan-grid1")
            .await
            .unwrap()
            .unwrap();
        let other: String = sqlx::query_scalar(
            "SELECT r.id_number FROM residents r JOIN org_units g ON g.id = r.grid_id WHERE g.code = '650203002005002' LIMIT 1",
        )
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        let rows = vec![
            vec![C::S("姓名"), C::S("身份证号"), C::S("房号")],
            vec![C::S("新居民"), C::O(id(2001, 1, 1, false)), C::S("888")],
            vec![C::S("别的网格的人"), C::O(other), C::S("889")],
        ];
        let r = import(&t.db, &xlsx(&[("s", rows)]), Some(u.id))
            .await
            .unwrap();
        assert_eq!(counts(&r.summary), (1, 0, 0, 1), "{}", t.name());
        assert_eq!(
            r.rejected_rows[0].problems[0].code,
            "registered_in_other_grid"
        );
        // With one grid within reach, rows need not name it: the new resident is in grid 1.
        let grid: String = sqlx::query_scalar(
            "SELECT g.code FROM residents r JOIN org_units g ON g.id = r.grid_id WHERE r.name = '新居民'",
        )
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(grid, GRID1);
        // Another community is simply not found.
        assert!(
            target(&t.db, "650203100001", None, Some(u.id))
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn two_imports_of_one_file_at_once_create_each_person_once() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let before = count(&t.db, "SELECT COUNT(*) FROM residents").await;
        let mut rows = vec![vec![
            C::S("姓名"),
            C::S("身份证号"),
            C::S("网格"),
            C::S("房号"),
        ]];
        for i in 0..200u32 {
            rows.push(vec![
                C::S("并发"),
                C::O(id(1960 + (i % 40) as i32, 1 + i % 12, 1 + i % 28, false)),
                C::S(GRID1),
                C::O(format!("{}", 1000 + i)),
            ]);
        }
        let bytes = xlsx(&[("s", rows)]);
        let (a, b) = tokio::join!(import(&t.db, &bytes, None), import(&t.db, &bytes, None));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.summary.created + b.summary.created, 200, "{}", t.name());
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM residents").await,
            before + 200
        );
    }
}

#[tokio::test]
async fn a_note_that_looks_like_a_formula_survives_a_csv_round_trip_defused() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let (rows, csv) = grid1_sheet(&t.db, |cells| {
            cells[0][12] = "=HYPERLINK(\"http://evil\",\"点我\")".into();
        })
        .await;
        assert!(
            !String::from_utf8_lossy(&csv).contains(",=HYPERLINK"),
            "defused in the file"
        );
        let r = import(&t.db, &csv, None).await.unwrap();
        assert_eq!(r.summary.updated, 1, "{}", t.name());
        let note: String = sqlx::query_scalar("SELECT note FROM residents WHERE id_number = $1")
            .bind(&rows[0].id_number)
            .fetch_one(&t.db.pool)
            .await
            .unwrap();
        assert_eq!(note, "=HYPERLINK(\"http://evil\",\"点我\")");
        let (unit, _) = shouhu_server::db::export::unit(&t.db, GRID1, None)
            .await
            .unwrap();
        let again = shouhu_server::db::export::residents(&t.db, unit, None)
            .await
            .unwrap();
        let csv = sheet_export::write(&again, Values::Full, FileFormat::Csv, "t").unwrap();
        assert_eq!(import(&t.db, &csv, None).await.unwrap().summary.updated, 0);
    }
}

/// PostgreSQL: a resident's edit holds its grid's totals while it waits for the audit chain. An
/// import that reaches those totals waits for the edit, and must not hold the audit chain
/// meanwhile (PostgreSQL would find the two waiting for each other and abort one).
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_postgres),
    ignore = "needs SHOUHU_TEST_POSTGRES_URL at build"
)]
async fn an_import_waits_for_an_edit_in_progress_without_a_deadlock() {
    let t = common::postgres().await.expect("PostgreSQL configured");
    common::seed_demo(&t.db).await;
    // One resident changed (an audit entry mid-import) and one moved to a new household (grid 1's
    // totals change).
    let (rows, bytes) = grid1_sheet(&t.db, |cells| {
        cells[0][9] = "13511112222".into();
        cells[1][1] = "99号楼".into();
    })
    .await;
    let grid1: i64 = sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
        .bind(GRID1)
        .fetch_one(&t.db.pool)
        .await
        .unwrap();
    // The edit: grid 1's totals first, as a resident's create, move or delete takes them.
    let mut edit = t.db.begin_write().await.unwrap();
    sqlx::query("UPDATE grid_stats SET residents = residents WHERE grid_id = $1")
        .bind(grid1)
        .execute(&mut *edit)
        .await
        .unwrap();
    let holder = common::backend_pid(&mut edit).await;
    let db = t.db.clone();
    let import = tokio::spawn(async move { import(&db, &bytes, None).await });
    // The import has reached grid 1's totals and waits there.
    common::wait_for_lock_waiters(&t.db, holder, 1).await;
    assert!(!import.is_finished(), "the import waits for the edit");
    let entry = Actor::cli().entry("resident.update", "resident", 1, String::new());
    audit::append(&mut edit, t.db.backend, &entry)
        .await
        .expect("the edit reaches the audit chain");
    edit.commit().await.expect("the edit commits");
    let r = import.await.unwrap().expect("the import completes");
    assert_eq!(counts(&r.summary), (0, 2, rows.len() as u64 - 2, 0));
    assert!(matches!(
        audit::verify(&t.db).await.unwrap(),
        Verdict::Intact { .. }
    ));
}
