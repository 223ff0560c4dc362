//! Notices (通知) with read receipts: publishing to roles and units, each recipient's receipt, the
//! publisher's view of who has read and studied, new versions, files and the reminders — shared by
//! the API (`web::api::notices`) and the pages.

use serde::{Deserialize, Serialize};
use shouhu_domain::notice::{self, ReceiptStatus};
use shouhu_domain::{Right, Role};

use crate::db::notices::{self as store, NewNotice, Revision};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::supplies::request_hash;
use crate::service::validate;

const MAX_TITLE: usize = 100;
const MAX_BODY: usize = 10_000;
const MAX_UNITS: usize = 50;
/// Files of one notice, and the size of each.
pub const MAX_FILES: i64 = 10;
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// A deadline further out than this is a slip of the keyboard.
const MAX_AHEAD_SECS: i64 = 366 * 86_400;
/// People listed at once on the receipts page (the export holds everyone).
pub const PEOPLE_SHOWN: i64 = 500;

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    pub title: String,
    /// The text: new requirements, what to do.
    pub body: String,
    /// To be read and studied by then (unix seconds).
    pub deadline: i64,
    /// Staff roles addressed: street_officer, community_leader, grid_worker, gate_guard,
    /// team_member. Empty only for a notice to residents alone.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Units of the caller's jurisdiction whose staff (in them or below) receive it.
    pub unit_ids: Vec<i64>,
    /// Also shown to the residents of those units (publicity).
    #[serde(default)]
    pub to_residents: bool,
    pub idempotency_key: String,
}

/// Checks what is common to a notice and its new version: title, text and deadline.
fn checked_text(
    f: &mut Faults,
    title: &str,
    body: &str,
    deadline: i64,
    now: i64,
) -> ApiResult<Option<(String, String)>> {
    let title = f.take(validate::text("title", title, MAX_TITLE, true))?;
    let body = f.take(validate::text("body", body, MAX_BODY, true))?;
    if deadline <= now {
        f.add("deadline", "in_the_past", "the deadline is still to come");
    } else if deadline > now + MAX_AHEAD_SECS {
        f.add("deadline", "out_of_range", "the deadline is within a year");
    }
    Ok(title.zip(body))
}

/// Publishes a notice to the staff of the given roles in the given units. Returns its id and
/// whether this was a replay.
pub async fn publish(state: &AppState, caller: &Caller, b: &NoticeBody) -> ApiResult<(i64, bool)> {
    caller
        .require(state, Right::PublishNotices, "notices.publish")
        .await?;
    let mut f = Faults::default();
    let text = checked_text(&mut f, &b.title, &b.body, b.deadline, crate::db::now())?;
    let key = f.take(validate::text(
        "idempotency_key",
        &b.idempotency_key,
        100,
        true,
    ))?;
    let mut roles: Vec<&'static str> = Vec::new();
    for r in &b.roles {
        match Role::parse(r.trim()).filter(|r| notice::can_receive(*r)) {
            Some(role) if !roles.contains(&role.as_str()) => roles.push(role.as_str()),
            Some(_) => f.add("roles", "duplicate_role", "each role once"),
            None => f.add(
                "roles",
                "unknown_role",
                "street_officer, community_leader, grid_worker, gate_guard or team_member",
            ),
        }
    }
    if b.roles.is_empty() && !b.to_residents {
        f.add("roles", "required", "at least one role, or to residents");
    }
    if b.unit_ids.is_empty() {
        f.add("unit_ids", "required", "at least one unit");
    } else if b.unit_ids.len() > MAX_UNITS {
        f.add("unit_ids", "out_of_range", "at most 50 units");
    } else if b
        .unit_ids
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len()
        != b.unit_ids.len()
    {
        f.add("unit_ids", "duplicate_unit", "each unit once");
    }
    f.into_result()?;
    let (Some((title, body)), Some(key)) = (text, key) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let n = NewNotice {
        title,
        body,
        deadline: b.deadline,
        roles,
        unit_ids: b.unit_ids.clone(),
        to_residents: b.to_residents,
        idempotency_key: key,
        request_hash: request_hash(b)?,
    };
    Ok(store::publish(&state.db, &caller.actor(), &n).await?)
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevisionBody {
    pub title: String,
    pub body: String,
    pub deadline: i64,
    /// The version read: a change made meanwhile answers 409.
    pub version: i64,
}

/// Issues a new version: every recipient is asked to read and study it again. Returns the version.
pub async fn revise(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &RevisionBody,
) -> ApiResult<i64> {
    caller
        .require(state, Right::PublishNotices, "notices.revise")
        .await?;
    let mut f = Faults::default();
    let text = checked_text(&mut f, &b.title, &b.body, b.deadline, crate::db::now())?;
    f.into_result()?;
    let Some((title, body)) = text else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let r = Revision {
        title,
        body,
        deadline: b.deadline,
    };
    Ok(store::revise(&state.db, &caller.actor(), id, b.version, &r).await?)
}

#[derive(Deserialize, Serialize, Clone, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// `read` or `confirmed` (studied, 已学习).
    pub status: String,
    /// The version read: an older one answers 409 (the notice changed; read it again).
    pub version: i64,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct ReceiptView {
    pub status: String,
    /// False when the receipt was already there or further: receipts never move back.
    pub changed: bool,
}

/// Answers a notice the caller received: read, or studied.
pub async fn answer(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &ReceiptBody,
) -> ApiResult<ReceiptView> {
    caller
        .require(state, Right::ReadNotices, "notices.receipt")
        .await?;
    let to = match ReceiptStatus::parse(b.status.trim()) {
        Some(s @ (ReceiptStatus::Read | ReceiptStatus::Confirmed)) => s,
        _ => {
            return Err(AppError::invalid(
                "status",
                "unknown_status",
                "read or confirmed",
            ));
        }
    };
    let (status, changed) = store::answer(&state.db, &caller.actor(), id, b.version, to).await?;
    Ok(ReceiptView { status, changed })
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct UnitRef {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub deadline: i64,
    pub roles: Vec<String>,
    pub to_residents: bool,
    pub version: i64,
    /// Fixed at publication.
    pub recipients: i64,
    pub created_by_name: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub units: Vec<UnitRef>,
    pub attachments: Vec<AttachmentView>,
    /// The caller's own receipt (delivered, read, confirmed) when the caller is a recipient.
    pub my_status: Option<String>,
    /// Whether the caller may issue a new version and add files.
    pub may_edit: bool,
    /// Whether the caller may see the receipts.
    pub may_see_receipts: bool,
}

fn may_publish(caller: &Caller) -> bool {
    caller.session.user.role.has(Right::PublishNotices)
}

/// A notice that reaches the caller: as a recipient, its publisher or a leader of its units.
pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> ApiResult<NoticeView> {
    caller
        .require(state, Right::ReadNotices, "notices.read")
        .await?;
    let publisher = may_publish(caller);
    let (n, units, files) = store::get(&state.db, &caller.scope(), publisher, id).await?;
    let mine = store::my_receipt(&state.db, caller.session.user.id, id).await?;
    let held: std::collections::HashSet<i64> = if publisher {
        caller
            .units(&state.db)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect()
    } else {
        Default::default()
    };
    let may_edit = publisher
        && (n.created_by == caller.session.user.id || units.iter().all(|u| held.contains(&u.0)));
    Ok(NoticeView {
        id: n.id,
        title: n.title,
        body: n.body,
        deadline: n.deadline,
        roles: n
            .roles
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
        to_residents: n.to_residents != 0,
        version: n.version,
        recipients: n.recipients,
        created_by_name: n.created_by_name,
        created_at: n.created_at,
        updated_at: n.updated_at,
        units: units
            .into_iter()
            .map(|(id, name)| UnitRef { id, name })
            .collect(),
        attachments: files
            .into_iter()
            .map(|a| AttachmentView {
                id: a.id,
                file_name: a.file_name,
                content_type: a.content_type,
                size: a.size,
            })
            .collect(),
        my_status: mine.map(|m| m.0),
        may_edit,
        may_see_receipts: publisher,
    })
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct InboxView {
    pub id: i64,
    pub title: String,
    pub deadline: i64,
    pub version: i64,
    /// delivered, read or confirmed.
    pub status: String,
    /// Past its deadline and not yet studied.
    pub overdue: bool,
    pub created_by_name: String,
    pub created_at: i64,
}

#[derive(Serialize, Clone, Debug, utoipa::ToSchema)]
pub struct PublishedView {
    pub id: i64,
    pub title: String,
    pub deadline: i64,
    pub version: i64,
    pub created_by_name: String,
    pub created_at: i64,
    /// Recipients within the caller's jurisdiction, and how many have read and studied it.
    pub recipients: i64,
    pub read: i64,
    pub confirmed: i64,
}

#[derive(Serialize, Clone, Debug, Default, utoipa::ToSchema)]
pub struct Notices {
    /// What the caller received: still to study first.
    pub received: Vec<InboxView>,
    /// What the caller (or the caller's units) published, for a publisher.
    pub published: Vec<PublishedView>,
}

/// The caller's notices: received, and for a publisher those of the jurisdiction.
pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Notices> {
    caller
        .require(state, Right::ReadNotices, "notices.read")
        .await?;
    let at = crate::db::now();
    let received = store::inbox(&state.db, caller.session.user.id, 200)
        .await?
        .into_iter()
        .map(|i| InboxView {
            overdue: i.status != "confirmed" && i.deadline < at,
            id: i.id,
            title: i.title,
            deadline: i.deadline,
            version: i.version,
            status: i.status,
            created_by_name: i.created_by_name,
            created_at: i.created_at,
        })
        .collect();
    let published = if may_publish(caller) {
        store::published(&state.db, &caller.scope(), 100)
            .await?
            .into_iter()
            .map(|p| PublishedView {
                id: p.id,
                title: p.title,
                deadline: p.deadline,
                version: p.version,
                created_by_name: p.created_by_name,
                created_at: p.created_at,
                recipients: p.recipients,
                read: p.read,
                confirmed: p.confirmed,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Notices {
        received,
        published,
    })
}

/// How many of the caller's notices wait to be studied, and how many of those are overdue.
pub async fn pending(state: &AppState, caller: &Caller) -> ApiResult<(i64, i64)> {
    if !caller.session.user.role.has(Right::ReadNotices) {
        return Ok((0, 0));
    }
    Ok(store::pending(&state.db, caller.session.user.id, crate::db::now()).await?)
}

/// For a leader: people of the jurisdiction reported for notices they have not studied.
pub async fn reported(state: &AppState, caller: &Caller) -> ApiResult<Vec<(i64, String, String)>> {
    if !may_publish(caller) {
        return Ok(Vec::new());
    }
    Ok(store::reported(&state.db, &caller.scope()).await?)
}

/// Runs the reminders at `at` (the service's clock, every 15 seconds; tests pass their own).
pub async fn tick(db: &crate::db::Db, at: i64) -> crate::db::StoreResult<(u64, u64)> {
    store::tick(db, at).await
}

pub use super::notice_receipts::*;
