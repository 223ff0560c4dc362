//! The demo's care of 金华社区's elderly people living alone: the 33 with no family nearby given
//! to named staff (a grid worker and the two home-coordination members, each the others' backup),
//! the other 18 with no one yet (the coverage view shows them first), and today's calls under way —
//! most answered, one unanswered once, one escalated to a door visit after three tries.

use crate::db::Db;

/// The carers, in turn: (primary, backup).
const CARERS: [(&str, &str); 3] = [
    ("jinhua-grid1", "jinhua-home1"),
    ("jinhua-home1", "jinhua-home2"),
    ("jinhua-home2", "jinhua-grid1"),
];

pub async fn seed_care(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    let user = |name: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE username = $1").bind(name)
    };
    let leader = user("jinhua-leader").fetch_one(&mut *tx).await?;
    let mut carers = Vec::new();
    for (p, b) in CARERS {
        carers.push((
            user(p).fetch_one(&mut *tx).await?,
            user(b).fetch_one(&mut *tx).await?,
        ));
    }
    let residents: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.id, r.grid_id FROM residents r JOIN org_units g ON g.id = r.grid_id \
         JOIN org_units c ON c.id = g.parent_id WHERE c.code = '650203100001' \
         AND (',' || r.tags || ',') LIKE '%,elderly_no_family,%' AND r.deleted_at IS NULL ORDER BY r.id",
    )
    .fetch_all(&mut *tx)
    .await?;
    let now = crate::db::now();
    for (i, (resident, grid)) in residents.iter().enumerate() {
        let (primary, backup) = carers[i % carers.len()];
        sqlx::query(
            "INSERT INTO care_assignments (resident_id, grid_id, primary_user, backup_user, \
             started_at, created_by) VALUES ($1,$2,$3,$4,$5,$6)",
        )
        .bind(resident)
        .bind(grid)
        .bind(primary)
        .bind(backup)
        .bind(now - 10 * 86_400)
        .bind(leader)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    let tz = chrono_tz::Asia::Shanghai;
    let today = chrono::Utc::now()
        .with_timezone(&tz)
        .date_naive()
        .to_string();
    crate::db::care::generate_plan(db, &today, now).await?;
    let mut tx = db.begin_write().await?;
    let calls: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, assignee_id FROM care_calls WHERE day = $1 ORDER BY resident_id",
    )
    .bind(&today)
    .fetch_all(&mut *tx)
    .await?;
    let visitor = user("jinhua-home2").fetch_one(&mut *tx).await?;
    // Calls made this morning: the first twenty answered, the next unanswered once, the next
    // unanswered three times and so escalated.
    for (n, (call, by)) in calls.iter().enumerate().take(22) {
        let (outcomes, status): (&[&str], &str) = match n {
            0..20 => (&["reached_well"], "reached"),
            20 => (&["no_answer"], "due"),
            _ => (&["no_answer", "no_answer", "wrong_number"], "escalated"),
        };
        for (k, outcome) in outcomes.iter().enumerate() {
            sqlx::query(
                "INSERT INTO care_attempts (call_id, by_user, at, outcome, idempotency_key) \
                 VALUES ($1,$2,$3,$4,$5)",
            )
            .bind(call)
            .bind(by)
            .bind(now - 3600 + 600 * k as i64)
            .bind(outcome)
            .bind(format!("demo-{call}-{k}"))
            .execute(&mut *tx)
            .await?;
        }
        let reached = status == "reached";
        let missed = if reached { 0 } else { outcomes.len() as i64 };
        sqlx::query(
            "UPDATE care_calls SET status = $1, attempts = $2, missed = $3, \
             reached_at = CASE WHEN $4 THEN $5 END, \
             escalated_at = CASE WHEN $1 = 'escalated' THEN $5 END, \
             escalation_reason = CASE WHEN $1 = 'escalated' THEN 'missed' END, \
             visit_user_id = CASE WHEN $1 = 'escalated' THEN $6 END WHERE id = $7",
        )
        .bind(status)
        .bind(outcomes.len() as i64)
        .bind(missed)
        .bind(reached)
        .bind(now - 1800)
        .bind(visitor)
        .bind(call)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
