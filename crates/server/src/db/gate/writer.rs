//! Group commit for scans. One task takes the scans waiting at that moment, decides and logs them in
//! order in one transaction, commits once, and only then answers each. At a gate's rush hour the
//! cost of a commit (an fsync with `synchronous=FULL`, a WAL flush on PostgreSQL) is shared by all
//! the scans waiting for it instead of paid by each; and since one writer decides them in order, two
//! exits of one household in one batch see each other.

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::scan::{NewScan, Scanned, When, scan_in};
use crate::db::{Db, Scope, StoreError, StoreResult};

/// The most scans one transaction takes: enough to absorb a burst, small enough that the first in
/// the batch does not wait long for the last.
const MAX_BATCH: usize = 256;

type Answer = StoreResult<(Scanned, bool)>;

struct Job {
    user_id: i64,
    when: When,
    scan: NewScan,
    reply: oneshot::Sender<Answer>,
}

/// Started on first use, on the runtime that serves the requests.
#[derive(Default)]
pub struct ScanWriter {
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl ScanWriter {
    /// Decides and logs a scan; answers once it is committed.
    pub async fn scan(&self, db: &Db, scope: &Scope, when: When, scan: NewScan) -> Answer {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
            tokio::spawn(run(db.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let job = Job {
            user_id: scope.user_id,
            when,
            scan,
            reply,
        };
        if queue.send(job).await.is_err() {
            return Err(stopped());
        }
        answer.await.unwrap_or_else(|_| Err(stopped()))
    }
}

fn stopped() -> StoreError {
    StoreError::Database(sqlx::Error::Protocol("the scan writer stopped".into()))
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&db, &mut batch).await;
    }
}

/// One transaction for the batch. A scan refused with an error (not found, a reused key) wrote
/// nothing and answers its error; a database failure fails every scan of the batch (nothing of it
/// was committed), which the guards' pages retry with their keys.
async fn write_batch(db: &Db, batch: &mut Vec<Job>) {
    let mut jobs = std::mem::take(batch).into_iter();
    let mut answers: Vec<(oneshot::Sender<Answer>, Answer)> = Vec::with_capacity(jobs.len());
    let failure = match db.begin_write().await {
        Err(e) => Some(e),
        Ok(mut tx) => {
            let mut failure = crate::db::health::custom_plans(&mut tx, db).await.err();
            while failure.is_none()
                && let Some(job) = jobs.next()
            {
                match scan_in(&mut tx, db.backend, job.user_id, &job.when, &job.scan).await {
                    Err(e @ StoreError::Database(_)) => {
                        failure = Some(e);
                        answers.push((job.reply, Err(stopped())));
                    }
                    answer => answers.push((job.reply, answer)),
                }
            }
            match failure {
                Some(e) => Some(e),
                None => tx.commit().await.err().map(StoreError::from),
            }
        }
    };
    match failure {
        None => {
            for (reply, answer) in answers {
                let _ = reply.send(answer);
            }
        }
        Some(e) => {
            tracing::error!(error = %e, "a batch of gate scans was not committed");
            let message = e.to_string();
            let replies = answers
                .into_iter()
                .map(|(r, _)| r)
                .chain(jobs.map(|j| j.reply));
            for reply in replies {
                let _ = reply.send(Err(StoreError::Database(sqlx::Error::Protocol(
                    message.clone(),
                ))));
            }
        }
    }
}
