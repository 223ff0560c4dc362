//! The demo's duty roster: a week of 金华社区 with every group covered day and night but for one
//! night's gap (the second medic's evening off, on the third day), one person on it without a
//! phone, and in 南泉社区 the medical and logistics groups and the duty leader around the clock,
//! so that the night's requests there find someone to go to.

use crate::db::Db;

/// (community code, group, username, start minute, minutes) of each day of the week.
const WEEKLY: [(&str, &str, &str, i64, i64); 11] = [
    (
        "650203100001",
        "home_coordination",
        "jinhua-home1",
        8 * 60,
        12 * 60,
    ),
    (
        "650203100001",
        "home_coordination",
        "jinhua-home2",
        20 * 60,
        12 * 60,
    ),
    (
        "650203100001",
        "medical",
        "jinhua-medical1",
        8 * 60,
        12 * 60,
    ),
    (
        "650203100001",
        "medical",
        "jinhua-medical2",
        20 * 60,
        12 * 60,
    ),
    ("650203100001", "logistics", "jinhua-logistics1", 0, 24 * 60),
    (
        "650203100001",
        "emergency",
        "jinhua-emergency1",
        8 * 60,
        12 * 60,
    ),
    (
        "650203100001",
        "emergency",
        "jinhua-emergency2",
        20 * 60,
        12 * 60,
    ),
    ("650203100001", "duty_leader", "jinhua-leader", 0, 24 * 60),
    ("650203002005", "medical", "nanquan-medical", 0, 24 * 60),
    ("650203002005", "logistics", "nanquan-logistics", 0, 24 * 60),
    ("650203002005", "duty_leader", "nanquan-leader", 0, 24 * 60),
];

/// Seeds the roster, and the phones the staff are reached on (all but `jinhua-logistics2`, who is
/// on the roster as a stand-in and whose number nobody wrote down).
pub async fn seed_roster(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    let now = crate::db::now();
    let staff: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, username FROM users WHERE username LIKE 'jinhua-%' OR username LIKE 'nanquan-%' \
         ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (n, (id, username)) in staff.iter().enumerate() {
        if username == "jinhua-logistics2" {
            continue;
        }
        sqlx::query("UPDATE users SET phone = $1 WHERE id = $2")
            .bind(format!("139{:08}", 9_010_000 + n))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let id_of = |name: &str| staff.iter().find(|(_, u)| u == name).map(|(id, _)| *id);
    let community = |code: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM org_units WHERE code = $1").bind(code)
    };
    let Some(leader) = id_of("jinhua-leader") else {
        return Ok(());
    };
    for (code, group, username, start, minutes) in WEEKLY {
        let (Some(user), c) = (id_of(username), community(code).fetch_one(&mut *tx).await?) else {
            continue;
        };
        for weekday in 1..=7 {
            sqlx::query(
                "INSERT INTO duty_patterns (community_id, duty_group, user_id, weekday, start_minute, \
                 minutes, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            )
            .bind(c)
            .bind(group)
            .bind(user)
            .bind(weekday)
            .bind(start)
            .bind(minutes)
            .bind(leader)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    // The one gap: the night medic off from 20:00 to midnight, two days from today; the stand-in
    // logistics man takes an extra evening that same day.
    let tz = chrono_tz::Asia::Shanghai;
    let day3 = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(2);
    let at = |h: u32| {
        day3.and_hms_opt(h, 0, 0)
            .and_then(|t| t.and_local_timezone(tz).single())
            .map_or(now, |t| t.timestamp())
    };
    let jinhua = community("650203100001").fetch_one(&mut *tx).await?;
    for (username, group, kind, from, to, note) in [
        (
            "jinhua-medical2",
            "medical",
            "off",
            at(20),
            at(20) + 4 * 3600,
            "家中有事",
        ),
        (
            "jinhua-logistics2",
            "logistics",
            "on",
            at(18),
            at(22),
            "替班",
        ),
    ] {
        let Some(user) = id_of(username) else {
            continue;
        };
        sqlx::query(
            "INSERT INTO duty_shifts (community_id, duty_group, user_id, kind, starts_at, ends_at, \
             note, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        )
        .bind(jinhua)
        .bind(group)
        .bind(user)
        .bind(kind)
        .bind(from)
        .bind(to)
        .bind(note)
        .bind(leader)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
