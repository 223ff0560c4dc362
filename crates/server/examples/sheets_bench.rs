//! Benchmark phases for importing and exporting residents, run by `bench/sheets.sh`: each phase is
//! its own process so that its peak memory is its own. Every phase prints `seconds=… rows=…`.
//!
//!   gen FILE N        write a sheet of N residents (not timed)
//!   parse FILE        read and check the sheet, nothing else (baseline, part 1)
//!   insert FILE DB    bare multi-row inserts of the same rows into an empty registry (baseline, part 2)
//!   import FILE DB    `shouhu import residents` as the library runs it
//!   export DB FILE    `shouhu export residents` of the community
//!   write DB FILE     a bare write of the same cells with rust_xlsxwriter (baseline)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use shouhu_domain::{IdNumber, Sex, UnitKind};
use shouhu_server::db::bulk::{Val, insert_rows};
use shouhu_server::db::registry::{Actor, phone_last4};
use shouhu_server::db::{Db, units};
use shouhu_server::sheet::columns::Column;
use shouhu_server::sheet::export::{self, Format, Values};
use shouhu_server::sheet::load::load;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const COMMUNITY: &str = "650203002005";
const GRIDS: u32 = 8;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let arg = |i: usize| args.get(i).map(String::as_str).expect("missing argument");
    let (seconds, rows) = match arg(0) {
        "gen" => gen_sheet(arg(1), arg(2).parse().unwrap()),
        "parse" => {
            let bytes = std::fs::read(arg(1)).unwrap();
            let t = Instant::now();
            let loaded = load(&bytes, None, today()).unwrap();
            (t.elapsed().as_secs_f64(), loaded.rows.len())
        }
        "insert" => rt.block_on(bare_insert(arg(1), arg(2))),
        "import" => rt.block_on(import(arg(1), arg(2))),
        "export" => rt.block_on(export_file(arg(1), arg(2))),
        "write" => rt.block_on(bare_write(arg(1), arg(2))),
        other => panic!("unknown phase {other}"),
    };
    println!("seconds={seconds:.4} rows={rows}");
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

fn gen_sheet(path: &str, n: usize) -> (f64, usize) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2020);
    let t = Instant::now();
    let header: Vec<String> = Column::ALL.iter().map(|c| c.header().to_string()).collect();
    let mut rows = Vec::with_capacity(n);
    let mut household = 0u32;
    let mut left_in_household = 0;
    let mut seq: std::collections::HashMap<NaiveDate, u16> = std::collections::HashMap::new();
    while rows.len() < n {
        if left_in_household == 0 {
            household += 1;
            left_in_household = rng.random_range(1..=4);
        }
        left_in_household -= 1;
        let h = household - 1;
        let grid = h % GRIDS + 1;
        let birth = NaiveDate::from_ymd_opt(
            rng.random_range(1930..2020),
            rng.random_range(1..=12),
            rng.random_range(1..=28),
        )
        .unwrap();
        let s = seq.entry(birth).or_insert(0);
        *s += 1;
        let id = IdNumber::from_parts("650203", birth, *s).expect("a free sequence number");
        let sex = if id.sex() == Sex::Male { "男" } else { "女" };
        let phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
        rows.push(vec![
            format!("{COMMUNITY}{grid:03}"),
            format!("{}号楼", h / 60 + 1),
            format!("{}单元", (h / 20) % 3 + 1),
            format!("{}", 100 * ((h % 20) / 2 + 1) + h % 2 + 1),
            String::new(),
            format!("居民{}", rows.len()),
            id.as_str().to_string(),
            sex.to_string(),
            birth.to_string(),
            phone,
            if left_in_household == 0 {
                "户主".into()
            } else {
                "家人".into()
            },
            if rng.random_bool(0.1) {
                "慢性病".into()
            } else {
                String::new()
            },
            String::new(),
        ]);
    }
    let bytes =
        shouhu_server::sheet::write::xlsx("居民", Some("基准测试"), &header, rows.into_iter())
            .unwrap();
    std::fs::write(path, bytes).unwrap();
    (t.elapsed().as_secs_f64(), n)
}

/// An empty registry with the community and its grids; returns the grid ids.
async fn registry(url: &str) -> (Db, Vec<i64>) {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let mut tx = db.begin_write().await.unwrap();
    units::create(&mut tx, "650200", "克拉玛依市", UnitKind::City, None)
        .await
        .unwrap();
    units::create(
        &mut tx,
        "650203",
        "克拉玛依区",
        UnitKind::District,
        Some("650200"),
    )
    .await
    .unwrap();
    units::create(
        &mut tx,
        "650203002000",
        "昆仑路街道",
        UnitKind::Street,
        Some("650203"),
    )
    .await
    .unwrap();
    units::create(
        &mut tx,
        COMMUNITY,
        "南泉社区",
        UnitKind::Community,
        Some("650203002000"),
    )
    .await
    .unwrap();
    let mut grids = Vec::new();
    for g in 1..=GRIDS {
        let code = format!("{COMMUNITY}{g:03}");
        grids.push(
            units::create(
                &mut tx,
                &code,
                &format!("第{g}网格"),
                UnitKind::Grid,
                Some(COMMUNITY),
            )
            .await
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    (db, grids)
}

async fn bare_insert(file: &str, url: &str) -> (f64, usize) {
    let bytes = std::fs::read(file).unwrap();
    let loaded = load(&bytes, None, today()).unwrap();
    let (db, grids) = registry(url).await;
    let rows: Vec<_> = loaded.rows.into_iter().map(|r| r.unwrap()).collect();
    // The same rows, one household per distinct room, without any lookup: the floor of writing them.
    let now = shouhu_server::db::now();
    let mut households: Vec<Vec<Val>> = Vec::new();
    let mut residents: Vec<Vec<Val>> = Vec::new();
    let mut key_of: std::collections::HashMap<(String, String, String, String), i64> =
        Default::default();
    for r in &rows {
        let grid = grids[r.grid[COMMUNITY.len()..].parse::<usize>().unwrap() - 1];
        let next = key_of.len() as i64 + 1;
        let hh = *key_of
            .entry((
                r.grid.clone(),
                r.building.clone(),
                r.unit.clone(),
                r.room.clone(),
            ))
            .or_insert_with(|| {
                households.push(vec![
                    Val::from(next),
                    Val::from(grid),
                    Val::from(r.room.as_str()),
                    Val::from(format!("{}{}{}", r.building, r.unit, r.room)),
                    Val::from(now),
                    Val::from(now),
                ]);
                next
            });
        let phone = r.phone.as_ref().map(|p| p.as_str().to_string());
        residents.push(vec![
            Val::from(hh),
            Val::from(grid),
            Val::from(r.name.as_str()),
            Val::from(r.id_number.as_str()),
            Val::from(r.id_number.last4()),
            Val::from(r.id_number.sex().as_str()),
            Val::from(r.id_number.birth_date().to_string()),
            Val::from(phone.as_deref().map(phone_last4)),
            Val::from(phone),
            Val::from(r.relation.as_str()),
            Val::from(r.tags.as_ref().map(|t| t.to_stored()).unwrap_or_default()),
            Val::from(r.note.as_str()),
            Val::from(now),
            Val::from(now),
        ]);
    }
    let t = Instant::now();
    let mut tx = db.begin_write().await.unwrap();
    insert_rows(
        &mut tx,
        "households",
        &[
            "id",
            "grid_id",
            "room",
            "address",
            "created_at",
            "updated_at",
        ],
        &households,
    )
    .await
    .unwrap();
    insert_rows(
        &mut tx,
        "residents",
        &[
            "household_id",
            "grid_id",
            "name",
            "id_number",
            "id_last4",
            "sex",
            "birth_date",
            "phone_last4",
            "phone",
            "relation",
            "tags",
            "note",
            "created_at",
            "updated_at",
        ],
        &residents,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (t.elapsed().as_secs_f64(), residents.len())
}

async fn import(file: &str, url: &str) -> (f64, usize) {
    let bytes = std::fs::read(file).unwrap();
    let (db, _) = registry(url).await;
    let target = shouhu_server::db::import::target(&db, COMMUNITY, None, None)
        .await
        .unwrap();
    let t = Instant::now();
    let report = shouhu_server::sheet::import::run(
        &db,
        &target,
        &Actor::cli(),
        bytes.into(),
        None,
        "bench.xlsx",
        false,
        &|_, _| {},
    )
    .await
    .unwrap();
    let s = &report.summary;
    assert_eq!(s.rejected, 0, "{:?}", report.rejected_rows.first());
    (t.elapsed().as_secs_f64(), s.created as usize)
}

async fn community_rows(url: &str) -> Vec<shouhu_server::db::export::ExportRow> {
    let db = Db::connect(url).await.unwrap();
    let (unit, _) = shouhu_server::db::export::unit(&db, COMMUNITY, None)
        .await
        .unwrap();
    shouhu_server::db::export::residents(&db, unit, None)
        .await
        .unwrap()
}

async fn export_file(url: &str, out: &str) -> (f64, usize) {
    let db = Db::connect(url).await.unwrap();
    let t = Instant::now();
    let (unit, _) = shouhu_server::db::export::unit(&db, COMMUNITY, None)
        .await
        .unwrap();
    let grids = shouhu_server::db::export::export_grids(&db, unit, None)
        .await
        .unwrap();
    let (bytes, n) =
        export::export_grids(&db, &grids, Values::Full, Format::Xlsx, "南泉社区 居民名单")
            .await
            .unwrap();
    std::fs::write(out, bytes).unwrap();
    (t.elapsed().as_secs_f64(), n)
}

async fn bare_write(url: &str, out: &str) -> (f64, usize) {
    let rows = community_rows(url).await;
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| export::cells(r, Values::Full))
        .collect();
    let t = Instant::now();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory().unwrap();
    for (r, row) in cells.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32, c as u16, v).unwrap();
            }
        }
    }
    std::fs::write(out, book.save_to_buffer().unwrap()).unwrap();
    (t.elapsed().as_secs_f64(), cells.len())
}
