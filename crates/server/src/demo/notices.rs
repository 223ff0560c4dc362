//! The demo's notices: last night's study from 昆仑路街道 to every worker of the street (two still
//! missing, reminded and reported to their leader), tonight's from 南泉社区 in its second version,
//! and one from 金华社区 due tomorrow.

use shouhu_domain::notice::ReceiptStatus;

use super::supplies::actor;
use crate::db::notices::{self, NewNotice, Revision};
use crate::db::{Db, now};

/// 21:00 local, `days` from today.
fn evening(days: i64) -> i64 {
    let tz = chrono_tz::Asia::Shanghai;
    let day = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(days);
    day.and_hms_opt(21, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).single())
        .map_or(now() + days * 86_400, |t| t.timestamp())
}

async fn unit(db: &Db, code: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
            .bind(code)
            .fetch_one(&db.pool)
            .await?,
    )
}

fn notice(title: &str, body: &str, deadline: i64, roles: &[&'static str], unit: i64) -> NewNotice {
    NewNotice {
        title: title.into(),
        body: body.into(),
        deadline,
        roles: roles.to_vec(),
        unit_ids: vec![unit],
        to_residents: false,
        idempotency_key: format!("demo-{title}"),
        request_hash: "demo".into(),
    }
}

/// Everyone of a notice studies it but `missing`.
async fn studied_but(db: &Db, id: i64, version: i64, missing: &[&str]) -> anyhow::Result<()> {
    let people: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM notice_recipients r JOIN users u ON u.id = r.user_id \
         WHERE r.notice_id = $1 ORDER BY u.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    for name in people.iter().filter(|p| !missing.contains(&p.as_str())) {
        let (who, _) = actor(db, name).await?;
        notices::answer(db, &who, id, version, ReceiptStatus::Confirmed).await?;
    }
    Ok(())
}

pub async fn seed_notices(db: &Db) -> anyhow::Result<()> {
    let all = [
        "community_leader",
        "grid_worker",
        "gate_guard",
        "team_member",
    ];
    // Last night's study, published at 18:00 yesterday and due at 21:00.
    let (street, _) = actor(db, "kunlun-street").await?;
    let kunlun = unit(db, "650203002000").await?;
    let (id, _) = notices::publish(
        db,
        &street,
        &notice(
            "关于进一步加强社区疫情防控工作的通知",
            "各社区：\n一、严格执行小区封闭管理，每户每两天可指派一名家庭成员出门采购。\n\
             二、门岗二十四小时值守，进出人员一律测温、登记。\n\
             三、网格员每日入户或电话核实居家隔离人员健康状况，发现发热立即报告医疗保障组。\n\
             请各位工作人员当晚学习并在系统中确认。",
            evening(-1),
            &all,
            kunlun,
        ),
    )
    .await?;
    studied_but(db, id, 1, &["nanquan-grid2", "nanquan-gate-east"]).await?;
    // Published, read and studied yesterday evening, not at seeding time.
    let (published, studied) = (evening(-1) - 3 * 3600, evening(-1) - 3600);
    sqlx::query("UPDATE notices SET created_at = $1, updated_at = $1 WHERE id = $2")
        .bind(published)
        .bind(id)
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "UPDATE notice_recipients SET delivered_at = $1, \
         read_at = CASE WHEN read_at IS NULL THEN NULL ELSE $2 END, \
         confirmed_at = CASE WHEN confirmed_at IS NULL THEN NULL ELSE $2 END WHERE notice_id = $3",
    )
    .bind(published)
    .bind(studied)
    .bind(id)
    .execute(&db.pool)
    .await?;
    sqlx::query(
        "UPDATE notice_receipts SET at = CASE WHEN status = 'delivered' THEN $1 ELSE $2 END \
         WHERE notice_id = $3",
    )
    .bind(published)
    .bind(studied)
    .bind(id)
    .execute(&db.pool)
    .await?;
    // The two missing are reminded, then reported to 南泉's leader.
    notices::tick(db, now()).await?;

    // Tonight's, in its second version (the hours of the gate changed).
    let (leader, _) = actor(db, "nanquan-leader").await?;
    let nanquan = unit(db, "650203002005").await?;
    let tonight = if evening(0) > now() + 3600 {
        evening(0)
    } else {
        evening(1)
    };
    let (id, _) = notices::publish(
        db,
        &leader,
        &notice(
            "今晚学习：门岗测温与出入登记新要求",
            "东门、西门测温后登记姓名、楼栋、出入时间。",
            tonight,
            &["grid_worker", "gate_guard", "team_member"],
            nanquan,
        ),
    )
    .await?;
    let revised = Revision {
        title: "今晚学习：门岗测温与出入登记新要求".into(),
        body: "东门、西门测温后登记姓名、楼栋、出入时间。\n\
               补充：体温≥37.3℃者不得进入，立即通知医疗保障组。\n\
               西门每日22:00至次日7:00关闭。"
            .into(),
        deadline: tonight,
    };
    notices::revise(db, &leader, id, 1, &revised).await?;
    let (medical, _) = actor(db, "nanquan-medical").await?;
    notices::answer(db, &medical, id, 2, ReceiptStatus::Confirmed).await?;
    let (grid1, _) = actor(db, "nanquan-grid1").await?;
    notices::answer(db, &grid1, id, 2, ReceiptStatus::Read).await?;

    // 金华's, due tomorrow evening.
    let (leader, _) = actor(db, "jinhua-leader").await?;
    let jinhua = unit(db, "650203100001").await?;
    let (id, _) = notices::publish(
        db,
        &leader,
        &notice(
            "独居老人每日电话联系要求",
            "包干人员每天上午给所包老人打电话，问身体、问吃饭、问需要；连续两次联系不上的，立即上门。",
            evening(1),
            &["grid_worker", "team_member"],
            jinhua,
        ),
    )
    .await?;
    let (home1, _) = actor(db, "jinhua-home1").await?;
    notices::answer(db, &home1, id, 1, ReceiptStatus::Confirmed).await?;

    // Publicity to 南泉's residents, shown on every household's own page.
    let mut public = notice(
        "致南泉社区居民的一封信",
        "各位居民：\n\
         请每天早晚为家人测量体温，并通过\"我家\"页面上报；如有发热、咳嗽等症状，\
         请在页面上求助或直接联系网格员。\n\
         买药、生活物资有困难的，也可以在页面上提出，社区统一安排配送。\n\
         居家期间请不串门、不聚集。感谢大家的理解和支持！",
        evening(3),
        &[],
        nanquan,
    );
    public.to_residents = true;
    notices::publish(db, &leader_of(db, "nanquan-leader").await?, &public).await?;
    Ok(())
}

async fn leader_of(db: &Db, name: &str) -> anyhow::Result<crate::db::registry::Actor> {
    Ok(actor(db, name).await?.0)
}
