//! Dispatch of help requests (派单与升级): a new request is offered at once to the first of its
//! group on duty; not taken within its deadline (the setting of its urgency when it was taken
//! down) it goes to the group's others on duty, a deadline later to the duty leader, and a
//! deadline after that to the community's leaders. Each step fires once per round; a reopened
//! request starts a new round.
//!
//! The service runs it itself every few seconds (`schedule`); what has fired is kept in the
//! database, so after a restart the steps that fell due meanwhile fire at once, and none twice.
//! `tick` takes the instant, so tests drive it with any clock.

use std::time::Duration;

use shouhu_domain::DutyGroup;

use crate::db::dispatch::{self, LAST_STEP, Waiting};
use crate::db::{Db, StoreResult};
use crate::service::roster::on_duty_at;

/// Who step `step` offers a request to, given who is on duty now.
async fn recipients(
    db: &Db,
    on_duty: &[(DutyGroup, crate::db::roster::Person, i64)],
    w: &Waiting,
    step: i64,
) -> StoreResult<Vec<i64>> {
    let of_group: Vec<i64> = on_duty
        .iter()
        .filter(|(g, _, _)| g.as_str() == w.team_kind)
        .map(|(_, p, _)| p.user_id)
        .collect();
    Ok(match step {
        0 => of_group.into_iter().take(1).collect(),
        1 => of_group.into_iter().skip(1).collect(),
        2 => on_duty
            .iter()
            .filter(|(g, _, _)| *g == DutyGroup::DutyLeader)
            .map(|(_, p, _)| p.user_id)
            .collect(),
        _ => dispatch::leaders(db, w.community_id).await?,
    })
}

/// Fires every step due by `at` and not yet fired; answers how many fired. Steps that fell due
/// while the service was down fire now, in order, each once.
pub async fn tick(db: &Db, tz: chrono_tz::Tz, at: i64) -> StoreResult<usize> {
    let mut fired = 0;
    for w in dispatch::due(db, at).await? {
        let mut step = w.fired + 1;
        // Read once per request: after a restart several of its steps may fire together.
        let on_duty = on_duty_at(db, tz, w.community_id, at).await?;
        while step <= LAST_STEP && w.due(step) <= at {
            let to = recipients(db, &on_duty, &w, step).await?;
            if dispatch::fire(db, &w, step, at, &to).await? {
                fired += 1;
            }
            step += 1;
        }
    }
    Ok(fired)
}

/// Runs dispatch, the round of care and the notices' reminders every 15 seconds for as long as the service runs; the
/// day's call plan is made at start and when the local day turns. A failed round is logged and
/// tried again at the next.
pub fn schedule(db: Db, tz: chrono_tz::Tz, calls_by: chrono::NaiveTime) {
    tokio::spawn(async move {
        let mut planned: Option<chrono::NaiveDate> = None;
        loop {
            let at = crate::db::now();
            match tick(&db, tz, at).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(steps = n, "help requests escalated"),
                Err(e) => tracing::warn!(error = %e, "dispatch failed; trying again shortly"),
            }
            let day = chrono::Utc::now().with_timezone(&tz).date_naive();
            let plan = planned != Some(day);
            match crate::service::care::tick(&db, tz, calls_by, at, plan).await {
                Ok(n) => {
                    if plan {
                        planned = Some(day);
                    }
                    if n > 0 {
                        tracing::info!(calls = n, "care calls escalated");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "care round failed; trying again shortly"),
            }
            match crate::service::notices::tick(&db, at).await {
                Ok((0, 0)) => {}
                Ok((reminded, told)) => {
                    tracing::info!(reminded, told, "unstudied notices reminded and reported")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notice reminders failed; trying again shortly")
                }
            }
            tokio::time::sleep(Duration::from_secs(15)).await;
        }
    });
}
