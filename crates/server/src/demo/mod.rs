//! The demo: a synthetic Karamay (MISSION.md, "Demo geography") with the seed's three communities,
//! their grids, households, residents, gates, special groups and staff. Deterministic for a seed.
//! `--households N` scales it to a city for benchmarks by adding communities of 2,400 households.

mod care;
mod help;
mod notices;
mod resident;
pub use resident::resident_link;
mod people;
mod roster;
mod supplies;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use shouhu_domain::{Role, Sex, UnitKind};

use crate::db::bulk::{Val, insert_rows};
use crate::db::{Backend, Db, Tx, accounts, address_numbers, audit, units};

pub const DEMO_PASSWORD: &str = "shouhu-demo-2020";
/// Households of the three seed communities at the default size.
pub const DEFAULT_HOUSEHOLDS: u32 = 3_900;
const HOUSEHOLDS_PER_GRID: u32 = 300;
const HOUSEHOLDS_PER_COMMUNITY: u32 = 2_400;

/// (username, display name, role, unit code, team kind)
const ACCOUNTS: &[(&str, &str, Role, &str, &str)] = &[
    ("admin", "系统管理员", Role::SystemAdmin, "", ""),
    ("security", "安全管理员", Role::SecurityAdmin, "", ""),
    ("auditor", "安全审计员", Role::Auditor, "", ""),
    (
        "kunlun-street",
        "昆仑路街道值班员",
        Role::StreetOfficer,
        KUNLUN,
        "",
    ),
    ("nanquan-leader", "徐刚", Role::CommunityLeader, NANQUAN, ""),
    ("jinhua-leader", "苗丽玲", Role::CommunityLeader, JINHUA, ""),
    ("wuting-leader", "刘密", Role::CommunityLeader, WUTING, ""),
    (
        "nanquan-grid1",
        "南泉社区网格员一",
        Role::GridWorker,
        "650203002005001",
        "",
    ),
    (
        "nanquan-grid2",
        "南泉社区网格员二",
        Role::GridWorker,
        "650203002005002",
        "",
    ),
    (
        "jinhua-grid1",
        "金华社区网格员一",
        Role::GridWorker,
        "650203100001001",
        "",
    ),
    (
        "wuting-grid1",
        "五亭社区网格员一",
        Role::GridWorker,
        "650204001002001",
        "",
    ),
    (
        "nanquan-gate-east",
        "南泉社区东门值守",
        Role::GateGuard,
        NANQUAN,
        "",
    ),
    (
        "nanquan-medical",
        "南泉社区医疗保障组",
        Role::TeamMember,
        NANQUAN,
        "medical",
    ),
    (
        "nanquan-logistics",
        "南泉社区后勤保障组",
        Role::TeamMember,
        NANQUAN,
        "logistics",
    ),
    (
        "jinhua-home1",
        "马红梅",
        Role::TeamMember,
        JINHUA,
        "home_coordination",
    ),
    (
        "jinhua-home2",
        "阿依古丽",
        Role::TeamMember,
        JINHUA,
        "home_coordination",
    ),
    (
        "jinhua-medical1",
        "王医生",
        Role::TeamMember,
        JINHUA,
        "medical",
    ),
    (
        "jinhua-medical2",
        "李护士",
        Role::TeamMember,
        JINHUA,
        "medical",
    ),
    (
        "jinhua-logistics1",
        "赵强",
        Role::TeamMember,
        JINHUA,
        "logistics",
    ),
    (
        "jinhua-logistics2",
        "孙建新",
        Role::TeamMember,
        JINHUA,
        "logistics",
    ),
    (
        "jinhua-emergency1",
        "陈刚",
        Role::TeamMember,
        JINHUA,
        "emergency",
    ),
    (
        "jinhua-emergency2",
        "吐尔洪",
        Role::TeamMember,
        JINHUA,
        "emergency",
    ),
];

const KUNLUN: &str = "650203002000";
const NANQUAN: &str = "650203002005";
const JINHUA: &str = "650203100001";
const WUTING: &str = "650204001002";

const TEAMS: &[(&str, &str)] = &[
    ("logistics", "后勤保障组"),
    ("home_coordination", "居家协调组"),
    ("medical", "医疗保障组"),
    ("emergency", "应急保障组"),
];

pub fn is_demo_account(username: &str) -> bool {
    ACCOUNTS.iter().any(|a| a.0 == username)
}

/// The demo accounts, for the banner printed at start.
pub fn accounts() -> impl Iterator<Item = (&'static str, Role)> {
    ACCOUNTS.iter().map(|a| (a.0, a.2))
}

/// A community to fill: code, its street's code, name, region code for ID numbers, households.
struct CommunityPlan {
    code: String,
    street: String,
    name: String,
    region: &'static str,
    households: u32,
    /// Grids of the community; a small demo keeps the seed's grids with fewer households each.
    grids: u32,
    /// Households of elderly people living alone.
    elderly_alone: u32,
}

fn plan(total: u32) -> Vec<CommunityPlan> {
    let base: [(&str, &str, &str, &'static str, u32, u32); 3] = [
        (NANQUAN, KUNLUN, "南泉社区", "650203", 2_400, 20),
        (JINHUA, "650203100000", "金华社区", "650203", 600, 51),
        (WUTING, "650204001000", "五亭社区", "650204", 900, 15),
    ];
    // Every seed community keeps at least two grids so grid-level access can be shown.
    let grids_of = |hh: u32| hh.div_ceil(HOUSEHOLDS_PER_GRID).max(2);
    let mut out = Vec::new();
    let scale = if total < DEFAULT_HOUSEHOLDS {
        f64::from(total) / f64::from(DEFAULT_HOUSEHOLDS)
    } else {
        1.0
    };
    for (code, street, name, region, hh, alone) in base {
        let households = ((f64::from(hh) * scale).round() as u32).max(1);
        out.push(CommunityPlan {
            code: code.into(),
            street: street.into(),
            name: name.into(),
            region,
            households: households.max(2),
            grids: grids_of(hh),
            elderly_alone: alone.min(households / 2),
        });
    }
    // Beyond the seed's communities: more of 2,400 households, spread over the four districts,
    // ten communities to a street.
    let districts = ["650202", "650203", "650204", "650205"];
    let mut left = total.saturating_sub(DEFAULT_HOUSEHOLDS);
    let mut n = 0u32;
    while left > 0 {
        let households = left.min(HOUSEHOLDS_PER_COMMUNITY);
        let district = districts[(n as usize) % districts.len()];
        let street_serial = 200 + n / 40;
        let community_serial = 1 + (n / 4) % 10;
        out.push(CommunityPlan {
            code: format!("{district}{street_serial:03}{community_serial:03}"),
            street: format!("{district}{street_serial:03}000"),
            name: format!("示范{}社区", n + 1),
            region: district,
            households,
            grids: households.div_ceil(HOUSEHOLDS_PER_GRID),
            elderly_alone: households / 50,
        });
        left -= households;
        n += 1;
    }
    out
}

pub struct Options {
    pub households: u32,
    pub seed: u64,
    pub progress: bool,
}

/// True when the database holds no unit yet (a fresh database the demo may fill).
pub async fn is_empty(db: &Db) -> anyhow::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_units")
        .fetch_one(&db.pool)
        .await?;
    Ok(n == 0)
}

/// Seeds the demo into an empty, migrated database.
pub async fn seed(db: &Db, opts: &Options) -> anyhow::Result<SeedReport> {
    let started = std::time::Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let plans = plan(opts.households);
    let mut tx = db.begin_write().await?;
    let grids = seed_units(&mut tx, &plans).await?;
    let hash = accounts::hash_password(DEMO_PASSWORD)?;
    seed_accounts(&mut tx, &hash).await?;
    seed_gates_and_teams(&mut tx).await?;
    seed_campaign(&mut tx).await?;
    audit::append(
        &mut tx,
        db.backend,
        &audit::NewEntry {
            actor: "system".into(),
            action: "demo.seed",
            result: "ok",
            detail: format!("households={} seed={}", opts.households, opts.seed),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;

    let bar = if opts.progress {
        let b = ProgressBar::new(u64::from(plans.iter().map(|p| p.households).sum::<u32>()));
        b.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} households ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message("seeding");
        b
    } else {
        ProgressBar::hidden()
    };
    let mut ids = people::IdNumbers::new(chrono::Utc::now().date_naive());
    let mut next = Ids::default();
    let mut residents = 0u64;
    // Loading a city into indexed tables costs a random index write per row and index; building
    // the indexes once after the load is several times faster. Small demos keep them.
    let bulk = opts.households > 20_000;
    let indexes = if bulk {
        drop_indexes(db).await?
    } else {
        Vec::new()
    };
    for (plan, grid_ids) in plans.iter().zip(&grids) {
        residents +=
            seed_community(db, &mut rng, &mut ids, &mut next, plan, grid_ids, &bar).await?;
    }
    bar.finish_and_clear();
    for definition in indexes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(definition))
            .execute(&db.pool)
            .await?;
    }
    plant_defects(db).await?;
    help::seed_help(db).await?;
    roster::seed_roster(db).await?;
    care::seed_care(db).await?;
    supplies::seed_supplies(db).await?;
    notices::seed_notices(db).await?;
    // Rows were loaded in bulk, around the per-grid totals: count them once.
    crate::db::grid_stats::rebuild(db).await?;
    // Fresh statistics, so the planners know a grid is a small part of a city; on PostgreSQL also
    // the visibility map, without which its index-only scans still visit every row.
    let analyze = match db.backend {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM ANALYZE",
    };
    sqlx::raw_sql(analyze).execute(&db.pool).await?;
    if db.backend == Backend::Postgres {
        // Rows were inserted with explicit ids; move the identity sequences past them.
        for table in ["households", "residents", "buildings", "building_units"] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&db.pool)
                .await?;
        }
    }
    Ok(SeedReport {
        households: plans.iter().map(|p| u64::from(p.households)).sum(),
        residents,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Drops the secondary indexes of the registry tables and returns the statements that rebuild them,
/// read from the database's own catalogue so they always match the migrations.
async fn drop_indexes(db: &Db) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String, String)> = match db.backend {
        Backend::Sqlite => {
            sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ('residents', 'households', 'address_numbers')",
            )
            .fetch_all(&db.pool)
            .await?
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT indexname::text, indexdef::text FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename IN ('residents', 'households', 'address_numbers') AND indexname NOT LIKE '%_pkey'",
            )
            .fetch_all(&db.pool)
            .await?
        }
    };
    let mut definitions = Vec::new();
    for (name, definition) in rows {
        let sql = format!("DROP INDEX {name}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&db.pool)
            .await?;
        definitions.push(definition);
    }
    Ok(definitions)
}

pub struct SeedReport {
    pub households: u64,
    pub residents: u64,
    pub seconds: f64,
}

/// Creates city, districts, streets, communities and grids; returns each community's grid ids.
async fn seed_units(tx: &mut Tx, plans: &[CommunityPlan]) -> anyhow::Result<Vec<Vec<i64>>> {
    units::create(tx, "650200", "克拉玛依市", UnitKind::City, None).await?;
    for (code, name) in [
        ("650202", "独山子区"),
        ("650203", "克拉玛依区"),
        ("650204", "白碱滩区"),
        ("650205", "乌尔禾区"),
    ] {
        units::create(tx, code, name, UnitKind::District, Some("650200")).await?;
    }
    let street_names = [
        (KUNLUN, "昆仑路街道"),
        ("650203100000", "金龙镇街道"),
        ("650204001000", "中兴路街道"),
    ];
    let mut out = Vec::new();
    for p in plans {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
            .bind(&p.street)
            .fetch_optional(&mut **tx)
            .await?;
        if exists.is_none() {
            let name = street_names
                .iter()
                .find(|s| s.0 == p.street)
                .map(|s| s.1.to_string())
                .unwrap_or_else(|| format!("示范{}街道", &p.street[6..9]));
            units::create(tx, &p.street, &name, UnitKind::Street, Some(&p.street[..6])).await?;
        }
        units::create(tx, &p.code, &p.name, UnitKind::Community, Some(&p.street)).await?;
        let mut grid_ids = Vec::new();
        for g in 1..=p.grids {
            let code = format!("{}{g:03}", p.code);
            let name = format!("{}第{g}网格", p.name);
            grid_ids.push(units::create(tx, &code, &name, UnitKind::Grid, Some(&p.code)).await?);
        }
        out.push(grid_ids);
    }
    Ok(out)
}

async fn unit_id(tx: &mut Tx, code: &str) -> anyhow::Result<i64> {
    sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
        .bind(code)
        .fetch_one(&mut **tx)
        .await
        .with_context(|| format!("demo unit {code} missing"))
}

async fn seed_accounts(tx: &mut Tx, hash: &str) -> anyhow::Result<()> {
    for (username, display, role, unit, _) in ACCOUNTS {
        // Demo accounts keep the forced change on record; `shouhu demo` exempts them while it runs.
        let id = accounts::create_user(tx, username, display, *role, hash, true).await?;
        if !unit.is_empty() {
            let u = unit_id(tx, unit).await?;
            accounts::assign_unit(tx, id, u).await?;
        }
    }
    Ok(())
}

async fn seed_gates_and_teams(tx: &mut Tx) -> anyhow::Result<()> {
    // Centralized observation: the district's hotel, and a small room of 南泉社区's own (two beds,
    // so that a full site can be seen).
    for (unit, name, address, beds) in [
        (
            "650203",
            "克拉玛依区集中医学观察点（昆仑宾馆）",
            "克拉玛依区昆仑路",
            40,
        ),
        (NANQUAN, "南泉社区临时观察室", "南泉社区服务中心二楼", 2),
    ] {
        let u = unit_id(tx, unit).await?;
        sqlx::query(
            "INSERT INTO observation_sites (unit_id, name, address, beds, occupied, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5)",
        )
        .bind(u)
        .bind(name)
        .bind(address)
        .bind(beds)
        .bind(crate::db::now())
        .execute(&mut **tx)
        .await?;
    }
    // 南泉社区: one exit per household every two days (as the closed products of 2020 set it).
    let nanquan = unit_id(tx, NANQUAN).await?;
    sqlx::query(
        "INSERT INTO gate_rules (community_id, exits_per_period, period_days, curfew_start, curfew_end, \
         vehicles_allowed, visitors_allowed, updated_at) VALUES ($1, 1, 2, 0, 0, 1, 1, $2)",
    )
    .bind(nanquan)
    .bind(crate::db::now())
    .execute(&mut **tx)
    .await?;
    for community in [NANQUAN, JINHUA, WUTING] {
        let c = unit_id(tx, community).await?;
        for (kind, name) in TEAMS {
            let team = accounts::create_team(tx, c, kind, name).await?;
            for (username, _, _, unit, team_kind) in ACCOUNTS {
                if *unit == community && team_kind == kind {
                    let uid: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
                        .bind(username)
                        .fetch_one(&mut **tx)
                        .await?;
                    accounts::add_team_member(tx, team, uid).await?;
                }
            }
        }
        for (name, kind) in [
            ("东门", "both"),
            ("西门", "pedestrian"),
            ("北门车辆口", "vehicle"),
        ] {
            sqlx::query("INSERT INTO gates (community_id, name, kind) VALUES ($1, $2, $3)")
                .bind(c)
                .bind(name)
                .bind(kind)
                .execute(&mut **tx)
                .await?;
        }
    }
    let guard: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'nanquan-gate-east'")
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query(
        "INSERT INTO gate_guards (gate_id, user_id) SELECT g.id, $1 FROM gates g \
         JOIN org_units o ON o.id = g.community_id WHERE o.code = $2 AND g.name = '东门'",
    )
    .bind(guard)
    .bind(NANQUAN)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Default)]
struct Ids {
    building: i64,
    building_unit: i64,
    household: i64,
    resident: i64,
}

/// Households of a community are written in batches of whole grids, one transaction per grid.
async fn seed_community(
    db: &Db,
    rng: &mut ChaCha8Rng,
    ids: &mut people::IdNumbers,
    next: &mut Ids,
    plan: &CommunityPlan,
    grid_ids: &[i64],
    bar: &ProgressBar,
) -> anyhow::Result<u64> {
    let now = crate::db::now();
    let mut residents_total = 0u64;
    let mut alone_left = plan.elderly_alone;
    let mut remaining = plan.households;
    let per_grid = plan.households.div_ceil(plan.grids.max(1));
    for (grid_index, &grid) in grid_ids.iter().enumerate() {
        let in_grid = remaining.min(per_grid);
        remaining -= in_grid;
        let (mut buildings, mut bunits, mut households, mut numbers, mut residents) =
            (vec![], vec![], vec![], vec![], vec![]);
        for i in 0..in_grid {
            // 10 buildings of 3 units (单元) of 10 rooms per grid, numbered through the community.
            let b = grid_index as u32 * (HOUSEHOLDS_PER_GRID / 30) + i / 30 + 1;
            let (u, room) = ((i / 10) % 3 + 1, i % 10);
            if i % 30 == 0 {
                next.building += 1;
                buildings.push(vec![
                    Val::from(next.building),
                    Val::from(grid),
                    Val::from(format!("{b}号楼")),
                ]);
            }
            if i % 10 == 0 {
                next.building_unit += 1;
                bunits.push(vec![
                    Val::from(next.building_unit),
                    Val::from(next.building),
                    Val::from(format!("{u}单元")),
                ]);
            }
            let room = format!("{}{:02}", room / 2 + 1, room % 2 + 1);
            next.household += 1;
            let hh = next.household;
            let alone = alone_left > 0 && rng.random_bool(0.25);
            let size = if alone {
                alone_left -= 1;
                1
            } else {
                household_size(rng)
            };
            let head_id = next.resident + 1;
            let address = format!("{}{b}号楼{u}单元{room}室", plan.name);
            numbers.extend(address_numbers::rows(hh, grid, &address));
            households.push(vec![
                Val::from(hh),
                Val::from(grid),
                Val::from(next.building_unit),
                Val::from(room.clone()),
                Val::from(address.as_str()),
                Val::from(head_id),
                Val::from(now),
                Val::from(now),
            ]);
            for m in 0..size {
                next.resident += 1;
                let (age, relation) = member(rng, m, alone);
                let sex = if rng.random_bool(0.5) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let id = ids.issue(rng, plan.region, age, sex);
                let mut tags: Vec<&str> = Vec::new();
                if alone {
                    tags.push("elderly_alone");
                    if plan.code == JINHUA && alone_left < 33 {
                        tags.push("elderly_no_family");
                    }
                }
                if age < 14 {
                    tags.push("child");
                }
                if age >= 60 && rng.random_bool(0.3) {
                    tags.push("chronic_illness");
                }
                let phone = (age >= 14 && rng.random_bool(0.95)).then(|| people::phone(rng));
                let contacts = if alone {
                    format!(
                        r#"[{{"name":"{}","relation":"子女","phone":"{}"}}]"#,
                        people::name(rng, Sex::Female),
                        people::phone(rng)
                    )
                } else {
                    "[]".to_string()
                };
                residents.push(vec![
                    Val::from(next.resident),
                    Val::from(hh),
                    Val::from(grid),
                    Val::from(people::name(rng, sex)),
                    Val::from(id.as_str()),
                    Val::from(id.last4()),
                    Val::from(id.sex().as_str()),
                    Val::from(id.birth_date().to_string()),
                    Val::from(phone.as_deref().map(crate::db::registry::phone_last4)),
                    Val::from(phone),
                    Val::from(relation),
                    // The stored form is sorted, as `Tags::to_stored` writes it.
                    Val::from({
                        tags.sort_unstable();
                        tags.join(",")
                    }),
                    Val::from(contacts),
                    Val::from(now),
                    Val::from(now),
                    Val::from(address.as_str()),
                ]);
            }
        }
        residents_total += residents.len() as u64;
        let mut tx = db.begin_write().await?;
        insert_rows(&mut tx, "buildings", &["id", "grid_id", "name"], &buildings).await?;
        insert_rows(
            &mut tx,
            "building_units",
            &["id", "building_id", "name"],
            &bunits,
        )
        .await?;
        insert_rows(
            &mut tx,
            "households",
            &[
                "id",
                "grid_id",
                "building_unit_id",
                "room",
                "address",
                "head_resident_id",
                "created_at",
                "updated_at",
            ],
            &households,
        )
        .await?;
        insert_rows(
            &mut tx,
            address_numbers::TABLE,
            &address_numbers::COLUMNS,
            &numbers,
        )
        .await?;
        insert_rows(
            &mut tx,
            "residents",
            &[
                "id",
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
                "family_contacts",
                "created_at",
                "updated_at",
                "address",
            ],
            &residents,
        )
        .await?;
        tx.commit().await?;
        bar.inc(u64::from(in_grid));
    }
    Ok(residents_total)
}

fn household_size(rng: &mut ChaCha8Rng) -> u32 {
    match rng.random_range(0..100) {
        0..20 => 1,
        20..55 => 2,
        55..80 => 3,
        80..95 => 4,
        _ => 5,
    }
}

/// Age and relation to the head of the `m`-th member.
fn member(rng: &mut ChaCha8Rng, m: u32, alone: bool) -> (u32, &'static str) {
    match (m, alone) {
        (0, true) => (rng.random_range(68..92), "户主"),
        (0, false) => (rng.random_range(25..80), "户主"),
        (1, _) => (rng.random_range(25..80), "配偶"),
        (2 | 3, _) => (rng.random_range(1..30), "子女"),
        _ => (rng.random_range(60..90), "父母"),
    }
}

/// Real registers are typed by many hands: the demo's 南泉社区 carries a few of the slips the data
/// checks (核对) exist to find, so that page has something to show. Counts of people and households
/// stay as planned; only fields change.
async fn plant_defects(db: &Db) -> anyhow::Result<()> {
    let in_grid = |grid: &str, relation: &str, pick: &str| {
        format!(
            "SELECT {pick}(r.id) FROM residents r JOIN org_units g ON g.id = r.grid_id \
             WHERE g.code = '{NANQUAN}{grid}' AND r.relation = '{relation}'"
        )
    };
    let slips = [
        // A spouse also recorded as head of the household: two heads.
        format!(
            "UPDATE residents SET relation = '户主' WHERE id = ({})",
            in_grid("001", "配偶", "MIN")
        ),
        // A birth date typed by hand, not the one in the ID number.
        format!(
            "UPDATE residents SET birth_date = '1970-01-01' WHERE id = ({})",
            in_grid("001", "子女", "MIN")
        ),
        // A head whose relation was left blank, in a household of several: no head on record.
        format!(
            "UPDATE residents SET relation = '' WHERE id = ({} AND EXISTS (SELECT 1 FROM residents o \
             WHERE o.household_id = r.household_id AND o.id <> r.id))",
            in_grid("002", "户主", "MAX")
        ),
        // A parent living with the family tagged as living alone.
        format!(
            "UPDATE residents SET tags = 'elderly_alone' WHERE id = ({})",
            in_grid("002", "父母", "MIN")
        ),
    ];
    for sql in slips {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

/// The risk area of 2020 (dated around today, so that the demo's answers count) and 南泉社区's
/// door-to-door survey with the built-in screening questionnaire, over all its grids.
async fn seed_campaign(tx: &mut Tx) -> anyhow::Result<()> {
    let today = chrono::Utc::now().date_naive();
    let leader: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'nanquan-leader'")
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO risk_areas (name, starts_on, ends_on, created_by, created_at) VALUES ('湖北', $1, $2, $3, $4)",
    )
    .bind((today - chrono::Days::new(60)).to_string())
    .bind((today + chrono::Days::new(60)).to_string())
    .bind(leader)
    .bind(crate::db::now())
    .execute(&mut **tx)
    .await?;
    let community = unit_id(tx, NANQUAN).await?;
    let questions = serde_json::to_string(&crate::survey::epidemic_screening())?;
    let survey: i64 = sqlx::query_scalar(
        "INSERT INTO surveys (community_id, name, questions, status, created_by, created_at) \
         VALUES ($1, '南泉社区入户摸排', $2, 'open', $3, $4) RETURNING id",
    )
    .bind(community)
    .bind(questions)
    .bind(leader)
    .bind(crate::db::now())
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO survey_grids (survey_id, grid_id) SELECT $1, id FROM org_units WHERE parent_id = $2 AND kind = 'grid'",
    )
    .bind(survey)
    .bind(community)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
