//! The demo's help requests: a night of the 24-hour service in 南泉社区, one request in each state,
//! the first taken down at 04:00 and still waiting past its deadline.

use crate::db::Db;

/// (minutes before now, or None for 04:00 today; category; urgency; words; status; who has it;
/// outcome or reason)
type Seeded = (
    Option<i64>,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

const REQUESTS: [Seeded; 6] = [
    (
        None,
        "medical",
        "critical",
        "老人胸闷气短，家属要求送医",
        "new",
        None,
        "",
    ),
    (
        Some(120),
        "ride",
        "urgent",
        "出院回家，需要车接",
        "acknowledged",
        Some("nanquan-logistics"),
        "",
    ),
    (
        Some(180),
        "medicine",
        "normal",
        "降压药吃完了，请代买两盒",
        "in_progress",
        Some("nanquan-logistics"),
        "",
    ),
    (
        Some(300),
        "medical",
        "urgent",
        "孩子发烧38.5度",
        "resolved",
        Some("nanquan-medical"),
        "已送发热门诊，已返回",
    ),
    (
        Some(400),
        "food",
        "normal",
        "家里没有菜了",
        "cancelled",
        Some("nanquan-leader"),
        "家属已自行送到",
    ),
    (
        Some(190),
        "medicine",
        "normal",
        "降压药（家属又打来一次）",
        "duplicate",
        Some("nanquan-leader"),
        "",
    ),
];

/// Seeds the requests of the demo, with their moves.
pub async fn seed_help(db: &Db) -> anyhow::Result<()> {
    let mut tx = db.begin_write().await?;
    let user = |name: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE username = $1").bind(name)
    };
    let grid1 = user("nanquan-grid1").fetch_one(&mut *tx).await?;
    let households: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT h.id, h.grid_id, g.parent_id FROM households h JOIN org_units g ON g.id = h.grid_id \
         WHERE g.code = '650203002005001' AND h.deleted_at IS NULL ORDER BY h.id LIMIT 6",
    )
    .fetch_all(&mut *tx)
    .await?;
    let now = crate::db::now();
    let tz = chrono_tz::Asia::Shanghai;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let four = today
        .and_hms_opt(4, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).single())
        .map_or(now - 3600, |t| t.timestamp());
    // Before 04:00 the night's request is yesterday's; so it is in the first minutes after 04:00,
    // while today's would not yet be past its three-minute deadline (the demo promises one that is).
    let four = if four > now - 10 * 60 {
        four - 86_400
    } else {
        four
    };
    let mut first_in_progress = None;
    for (i, (ago, category, urgency, words, status, who, outcome)) in REQUESTS.iter().enumerate() {
        let Some(&(household, grid, community)) = households.get(i % households.len().max(1))
        else {
            return Ok(());
        };
        let created = ago.map_or(four, |m| now - m * 60);
        let ack_minutes = match *urgency {
            "critical" => 3,
            "urgent" => 10,
            _ => 30,
        };
        let assignee = match who {
            Some(name) => Some(user(name).fetch_one(&mut *tx).await?),
            None => None,
        };
        let acknowledged = assignee.map(|_| created + 5 * 60);
        let closed =
            matches!(*status, "resolved" | "cancelled" | "duplicate").then_some(created + 50 * 60);
        let duplicate_of = (*status == "duplicate")
            .then_some(first_in_progress)
            .flatten();
        let team_kind = shouhu_domain::HelpCategory::parse(category)
            .map_or("home_coordination", |c| c.team_kind());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO help_requests (community_id, grid_id, household_id, place, category, team_kind, \
             urgency, words, status, assignee_id, outcome, duplicate_of, created_by, created_at, \
             ack_due_at, acknowledged_at, closed_at, idempotency_key, request_hash, ack_minutes, \
             round_started_at) VALUES ($1,$2,$3,'',$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,\
             'demo',$18,$13) RETURNING id",
        )
        .bind(community)
        .bind(grid)
        .bind(household)
        .bind(category)
        .bind(team_kind)
        .bind(urgency)
        .bind(words)
        .bind(status)
        .bind(assignee)
        .bind(outcome)
        .bind(duplicate_of)
        .bind(grid1)
        .bind(created)
        .bind(created + ack_minutes * 60)
        .bind(acknowledged)
        .bind(closed)
        .bind(format!("demo-{i}"))
        .bind(ack_minutes)
        .fetch_one(&mut *tx)
        .await?;
        if *status == "in_progress" {
            first_in_progress = Some(id);
        }
        // The moves that led there: taken down, taken, started, closed.
        let mut moves: Vec<(Option<&str>, &str, i64, i64, &str)> =
            vec![(None, "new", grid1, created, "")];
        if let (Some(a), Some(at)) = (assignee, acknowledged) {
            moves.push((Some("new"), "acknowledged", a, at, ""));
            if *status != "acknowledged" {
                moves.push((Some("acknowledged"), "in_progress", a, at + 60, ""));
            }
            if let Some(c) = closed {
                moves.push((Some("in_progress"), status, a, c, outcome));
            }
        }
        for (from, to, by, at, note) in moves {
            sqlx::query(
                "INSERT INTO help_request_events (request_id, from_status, to_status, assignee_id, by_user, at, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(assignee)
            .bind(by)
            .bind(at)
            .bind(note)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
