//! Who has read and studied a notice, for its publisher and the leaders of its units: totals per
//! community ("37 of 40, 3 missing: …"), each person, and the same as a spreadsheet; and the files
//! kept with a notice.

use serde::Serialize;
use shouhu_domain::Right;

use crate::db::notices as store;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};
use crate::service::notices::{MAX_FILE_BYTES, MAX_FILES, PEOPLE_SHOWN};

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct UnitReceipts {
    pub community_id: i64,
    pub community_name: String,
    pub recipients: i64,
    pub read: i64,
    pub confirmed: i64,
    /// Not yet studied.
    pub missing: i64,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct PersonReceipt {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    pub unit_name: String,
    pub community_id: i64,
    pub community_name: String,
    /// delivered, read or confirmed.
    pub status: String,
    pub read_at: Option<i64>,
    pub confirmed_at: Option<i64>,
    /// Reminded after the deadline, and reported to their leader later.
    pub reminded: bool,
    pub reported: bool,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ReceiptsView {
    pub notice_id: i64,
    pub title: String,
    pub version: i64,
    pub deadline: i64,
    /// All of the caller's jurisdiction together.
    pub total: UnitReceipts,
    /// Per community (or unit above one), in code order.
    pub units: Vec<UnitReceipts>,
    /// People (of one community when asked), those not yet studied first; at most 500. Beyond
    /// 500 recipients in all, only when a community is asked for.
    pub people: Vec<PersonReceipt>,
    /// The people are too many to list at once: pick a community.
    pub pick_community: bool,
}

fn unit_receipts(t: store::UnitTotal) -> UnitReceipts {
    UnitReceipts {
        missing: t.recipients - t.confirmed,
        community_id: t.community_id,
        community_name: t.community_name,
        recipients: t.recipients,
        read: t.read,
        confirmed: t.confirmed,
    }
}

fn person(r: store::Receipt) -> PersonReceipt {
    PersonReceipt {
        user_id: r.user_id,
        name: r.display_name,
        role: r.role,
        unit_name: r.unit_name,
        community_id: r.community_id,
        community_name: r.community_name,
        status: r.status,
        read_at: r.read_at,
        confirmed_at: r.confirmed_at,
        reminded: r.reminded_at.is_some(),
        reported: r.escalated_at.is_some(),
    }
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: i64,
    community: Option<i64>,
    limit: i64,
) -> ApiResult<(store::Notice, Vec<UnitReceipts>, Vec<PersonReceipt>)> {
    caller
        .require(state, Right::PublishNotices, "notices.receipts")
        .await?;
    let scope = caller.scope();
    let (head, totals) = store::receipts(&state.db, &scope, id).await?;
    let totals: Vec<UnitReceipts> = totals.into_iter().map(unit_receipts).collect();
    // A city's thousands of people are listed a community at a time; a few hundred at once.
    let all: i64 = totals.iter().map(|t| t.recipients).sum();
    let people = if community.is_some() || all <= limit {
        store::receipt_people(&state.db, &scope, &head, community, limit)
            .await?
            .into_iter()
            .map(person)
            .collect()
    } else {
        Vec::new()
    };
    Ok((head.notice, totals, people))
}

/// The receipts of a notice within the caller's jurisdiction.
pub async fn receipts(
    state: &AppState,
    caller: &Caller,
    id: i64,
    community: Option<i64>,
) -> ApiResult<ReceiptsView> {
    let (n, units, people) = load(state, caller, id, community, PEOPLE_SHOWN).await?;
    let pick_community = community.is_none() && people.is_empty() && !units.is_empty();
    let mut total = UnitReceipts {
        community_id: 0,
        community_name: String::new(),
        recipients: 0,
        read: 0,
        confirmed: 0,
        missing: 0,
    };
    for u in &units {
        total.recipients += u.recipients;
        total.read += u.read;
        total.confirmed += u.confirmed;
        total.missing += u.missing;
    }
    Ok(ReceiptsView {
        notice_id: n.id,
        title: n.title,
        version: n.version,
        deadline: n.deadline,
        total,
        units,
        people,
        pick_community,
    })
}

/// The receipts as a spreadsheet: everyone of the caller's jurisdiction, per community.
pub async fn receipts_xlsx(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<(String, Vec<u8>)> {
    let (n, units, people) = load(state, caller, id, None, 1_000_000).await?;
    let t = crate::i18n::Tr::new(crate::i18n::Lang::Zh);
    let time = |s: Option<i64>| {
        s.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map(|d| {
                d.with_timezone(&state.settings.time_zone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let header: Vec<String> = [
        "社区",
        "姓名",
        "角色",
        "所在单位",
        "状态",
        "已读时间",
        "学习时间",
        "应收",
        "已读",
        "已学习",
        "未学习",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    let totals = units.iter().map(|u| {
        vec![
            u.community_name.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            u.recipients.to_string(),
            u.read.to_string(),
            u.confirmed.to_string(),
            u.missing.to_string(),
        ]
    });
    let rows = people.into_iter().map(|p| {
        vec![
            p.community_name,
            p.name,
            t.tk("role", &p.role),
            p.unit_name,
            t.tk("notice.status", &p.status),
            time(p.read_at),
            time(p.confirmed_at),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]
    });
    let title = format!("{}（第{}版）{}", n.title, n.version, t.t("notice.receipts"));
    let bytes = crate::sheet::write::xlsx("回执", Some(&title), &header, totals.chain(rows))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((format!("notice-{}-receipts", n.id), bytes))
}

/// Content types a notice's file may have; anything else is kept as a plain download.
const INLINE_TYPES: [&str; 5] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
];

/// The type a file's name says it has (a phone's upload often says nothing), among the kinds
/// kept; anything else is a plain download.
fn type_of_name(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "txt" => "text/plain",
        "docx" => INLINE_TYPES[4],
        _ => "application/octet-stream",
    }
}

/// Keeps a file with a notice the caller may change. Returns its id.
pub async fn attach(
    state: &AppState,
    caller: &Caller,
    id: i64,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> ApiResult<i64> {
    caller
        .require(state, Right::PublishNotices, "notices.attach")
        .await?;
    let name = crate::service::validate::text("file", file_name, 120, true)?;
    if name.contains(['/', '\\', '"']) {
        return Err(AppError::invalid(
            "file",
            "bad_file_name",
            "a file name without / \\ or \"",
        ));
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "required", "the file is empty"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::invalid(
            "file",
            "too_large",
            "a file of at most 10 MB",
        ));
    }
    let sent = content_type.split(';').next().unwrap_or("").trim();
    let kind = if INLINE_TYPES.contains(&sent) {
        sent
    } else {
        type_of_name(&name)
    };
    Ok(store::attach(
        &state.db,
        &caller.actor(),
        id,
        &name,
        kind,
        bytes,
        MAX_FILES,
    )
    .await?)
}

/// A file of a notice that reaches the caller: (name, content type, bytes).
pub async fn attachment(
    state: &AppState,
    caller: &Caller,
    id: i64,
    attachment: i64,
) -> ApiResult<(String, String, Vec<u8>)> {
    caller
        .require(state, Right::ReadNotices, "notices.read")
        .await?;
    let publisher = caller.session.user.role.has(Right::PublishNotices);
    Ok(store::attachment(&state.db, &caller.scope(), publisher, id, attachment).await?)
}
