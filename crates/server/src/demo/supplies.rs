//! The demo's supplies in 金华社区: a catalogue, a partner unit's donation of protective material,
//! one purchase run to the wholesale market at 2 a.m. (reconciled to the fen), a week of needs
//! from grid 1's households, and door deliveries in every state — delivered on past days, and
//! today one scheduled, one out, one not delivered (nobody home) and one cancelled.

use shouhu_domain::Role;
use shouhu_domain::delivery::{DeliveryFailure, DeliveryStatus};
use shouhu_domain::supplies::{ItemCategory, MovementKind, PurchaseStatus};

use crate::db::registry::Actor;
use crate::db::supplies::deliveries::{self, DeliveryMove, NewDelivery, NewLine};
use crate::db::supplies::ledger::{self, NewMovement};
use crate::db::supplies::needs::{self, NewNeed};
use crate::db::supplies::purchases::{self, NewLine as BoughtLine, NewPurchase, PurchaseMove};
use crate::db::supplies::{self, NewItem, donations};
use crate::db::{Db, Scope};

/// (name, category, unit, usual quantity, household cap, minimum stock)
type Listed = (
    &'static str,
    ItemCategory,
    &'static str,
    i64,
    Option<i64>,
    Option<i64>,
);

const CATALOGUE: [Listed; 9] = [
    (
        "大米（10kg袋）",
        ItemCategory::Daily,
        "袋",
        1,
        Some(2),
        Some(10),
    ),
    (
        "食用油（5L桶）",
        ItemCategory::Daily,
        "桶",
        1,
        Some(1),
        None,
    ),
    ("鸡蛋（30枚盒）", ItemCategory::Daily, "盒", 1, None, None),
    (
        "蔬菜包（约5斤）",
        ItemCategory::Vegetables,
        "袋",
        2,
        None,
        Some(20),
    ),
    ("降压药", ItemCategory::Medicine, "盒", 2, None, None),
    ("退烧药", ItemCategory::Medicine, "盒", 1, None, None),
    (
        "一次性医用口罩",
        ItemCategory::Protective,
        "个",
        10,
        Some(20),
        Some(500),
    ),
    (
        "84消毒液",
        ItemCategory::Protective,
        "瓶",
        2,
        None,
        Some(20),
    ),
    (
        "电子体温计",
        ItemCategory::Protective,
        "支",
        1,
        None,
        Some(50),
    ),
];

pub(super) async fn actor(db: &Db, username: &str) -> anyhow::Result<(Actor, Scope)> {
    let (id, role): (i64, String) =
        sqlx::query_as("SELECT id, role FROM users WHERE username = $1")
            .bind(username)
            .fetch_one(&db.pool)
            .await?;
    let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("role of {username}"))?;
    Ok((
        Actor {
            user_id: id,
            username: username.to_string(),
            address: String::new(),
        },
        Scope {
            user_id: id,
            role,
            grids: None,
        },
    ))
}

fn local_day(offset: i64) -> String {
    (chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        + chrono::Duration::days(offset))
    .to_string()
}

pub async fn seed_supplies(db: &Db) -> anyhow::Result<()> {
    let (leader, leader_scope) = actor(db, "jinhua-leader").await?;
    let (logistics, _) = actor(db, "jinhua-logistics1").await?;
    let (grid, grid_scope) = actor(db, "jinhua-grid1").await?;
    let community: i64 = sqlx::query_scalar("SELECT id FROM org_units WHERE code = '650203100001'")
        .fetch_one(&db.pool)
        .await?;
    let mut items = Vec::new();
    for (name, category, unit, usual, cap, min) in CATALOGUE {
        let n = NewItem {
            name: name.into(),
            category,
            unit: unit.into(),
            usual_quantity: Some(usual),
        };
        let id = supplies::create_item(db, &leader, &n).await?;
        if cap.is_some() || min.is_some() {
            supplies::set_limits(db, &leader, community, id, cap, min).await?;
        }
        items.push(id);
    }
    let now = crate::db::now();
    let key = |k: &str| format!("demo-{k}");

    // The partner unit's gift, six days ago.
    let gift = donations::NewDonation {
        community_id: community,
        donor: "克拉玛依石化公司（联点单位）".into(),
        contact_name: "王经理".into(),
        contact_phone: "13999001234".into(),
        received_at: now - 6 * 86_400,
        note: "疫情防控物资".into(),
        lines: vec![
            (items[6], 2000),
            (items[7], 60),
            (items[8], 30),
            (items[3], 40),
        ],
        idempotency_key: key("donation"),
        request_hash: String::new(),
    };
    let (donation, _) = donations::create(db, &logistics, &gift).await?;
    // Masks and disinfectant given to staff over the week.
    for d in 1..=5 {
        let mut m = NewMovement::plain(
            community,
            items[6],
            MovementKind::StaffOut,
            -50,
            now - d * 86_400 + 3600,
            "卡口、网格员".into(),
        );
        m.idempotency_key = key(&format!("staff-{d}"));
        ledger::post(db, &logistics, &m).await?;
    }

    // The run to the wholesale market at 2 a.m., reconciled.
    let run = NewPurchase {
        community_id: community,
        place: "九鼎农资批发市场".into(),
        buyers: "马红梅、司机老王".into(),
        planned_for: now - 86_400,
        cash_advanced_fen: 500_000,
        note: String::new(),
        idempotency_key: key("run"),
        request_hash: String::new(),
    };
    let (run, _) = purchases::create(db, &logistics, &run).await?;
    let bought = [
        (items[0], 40, 4_500),
        (items[1], 20, 6_200),
        (items[2], 30, 1_800),
        (items[3], 60, 1_200),
        (items[4], 20, 2_850),
    ];
    let lines: Vec<BoughtLine> = bought
        .iter()
        .map(|&(item_id, quantity, unit_price_fen)| BoughtLine {
            item_id,
            quantity,
            unit_price_fen,
            total_fen: quantity * unit_price_fen,
        })
        .collect();
    let spent: i64 = lines.iter().map(|l| l.total_fen).sum();
    purchases::set_lines(db, &logistics, community, run, 1, &lines).await?;
    for (version, to) in [
        (2, PurchaseStatus::Shopping),
        (3, PurchaseStatus::Returned),
        (4, PurchaseStatus::Reconciled),
    ] {
        let m = PurchaseMove {
            to,
            version,
            change_returned_fen: Some(500_000 - spent),
            receipts_note: "小票5张，马红梅保管".into(),
        };
        purchases::transition(db, &logistics, community, run, &m).await?;
    }

    // A week of needs from ten households, each of one or two items.
    // Three of grid 1's households recorded by its grid worker, seven of the other grids by the
    // leader (the rest of grid 1 is left without needs).
    let of = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_all(&db.pool);
    let mut households: Vec<(i64, bool)> = of(
        "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
         WHERE g.code = '650203100001001' AND h.deleted_at IS NULL ORDER BY h.id LIMIT 3",
    )
    .await?
    .into_iter()
    .map(|h| (h, true))
    .collect();
    households.extend(
        of(
            "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
             JOIN org_units c ON c.id = g.parent_id WHERE c.code = '650203100001' \
             AND g.code <> '650203100001001' AND h.deleted_at IS NULL ORDER BY h.id LIMIT 7",
        )
        .await?
        .into_iter()
        .map(|h| (h, false)),
    );
    // Today's four are the last: one of grid 1 among them.
    households.swap(2, 9);
    let mut week: Vec<(i64, i64, Vec<i64>)> = Vec::new();
    for (i, (household, of_grid1)) in households.iter().enumerate() {
        // One a day for the six days before, four today.
        let offset = (6 - i as i64).max(0);
        let day = local_day(-offset);
        let wanted = [(items[0], 1), (items[3], 2), (items[4], 1), (items[6], 10)];
        let mut ids = Vec::new();
        for (j, (item, quantity)) in wanted.iter().enumerate().skip(i % 3).take(2) {
            let n = NewNeed {
                household_id: *household,
                item_id: *item,
                quantity: *quantity,
                paid: i % 4 != 0,
                note: String::new(),
                confirm: false,
                day: day.clone(),
                idempotency_key: key(&format!("need-{i}-{j}")),
                request_hash: String::new(),
                via_link_id: None,
            };
            let (scope, by) = match of_grid1 {
                true => (&grid_scope, &grid),
                false => (&leader_scope, &leader),
            };
            ids.push(needs::create(db, scope, by, &n).await?.0);
        }
        // Recorded on its own day, at nine in the morning.
        let at =
            crate::db::report_stats::day_bounds(&day).map_or(now, |(start, _)| start + 9 * 3600);
        for id in &ids {
            sqlx::query("UPDATE supply_needs SET created_at = $1, updated_at = $1 WHERE id = $2")
                .bind(at.min(now))
                .bind(id)
                .execute(&db.pool)
                .await?;
        }
        week.push((*household, offset, ids));
    }

    // Deliveries: every earlier day's needs delivered; today's in each state.
    let today_states = [
        Some(DeliveryStatus::Scheduled),
        Some(DeliveryStatus::Out),
        Some(DeliveryStatus::Failed),
        Some(DeliveryStatus::Cancelled),
    ];
    let mut today = 0;
    for (i, (household, offset, ids)) in week.iter().enumerate() {
        let target = match offset {
            0 => {
                today += 1;
                match today_states.get(today - 1).copied().flatten() {
                    Some(s) => s,
                    None => continue,
                }
            }
            _ => DeliveryStatus::Delivered,
        };
        let mut lines = Vec::new();
        for need in ids {
            let (item, quantity): (i64, i64) =
                sqlx::query_as("SELECT item_id, quantity FROM supply_needs WHERE id = $1")
                    .bind(need)
                    .fetch_one(&db.pool)
                    .await?;
            // Protective material and vegetables from the partner unit's gift.
            let from = (item == items[6] || item == items[3]).then_some(donation);
            lines.push(NewLine {
                item_id: item,
                quantity,
                need_id: Some(*need),
                donation_id: from,
            });
        }
        let d = NewDelivery {
            community_id: community,
            household_id: *household,
            scheduled_for: now - offset * 86_400,
            courier: "志愿者小李".into(),
            contactless: false,
            due_fen: if i % 4 != 0 { 4_500 } else { 0 },
            note: String::new(),
            lines,
            idempotency_key: key(&format!("delivery-{i}")),
            request_hash: String::new(),
        };
        let (id, _) = deliveries::create(db, &logistics, &d).await?;
        let path: &[DeliveryStatus] = match target {
            DeliveryStatus::Scheduled => &[],
            DeliveryStatus::Out => &[DeliveryStatus::Out],
            DeliveryStatus::Failed => &[DeliveryStatus::Out, DeliveryStatus::Failed],
            DeliveryStatus::Cancelled => &[DeliveryStatus::Cancelled],
            DeliveryStatus::Delivered => &[DeliveryStatus::Out, DeliveryStatus::Delivered],
        };
        for (v, to) in path.iter().enumerate() {
            let m = DeliveryMove {
                to: Some(*to),
                version: v as i64 + 1,
                received_by: "户主".into(),
                phone_confirmed: true,
                collected_fen: Some(d.due_fen),
                failure: Some(DeliveryFailure::NobodyHome),
                note: match to {
                    DeliveryStatus::Cancelled => "住户已自行购买".into(),
                    _ => String::new(),
                },
                ..DeliveryMove::default()
            };
            deliveries::transition(db, &logistics, community, id, &m).await?;
        }
    }
    Ok(())
}
