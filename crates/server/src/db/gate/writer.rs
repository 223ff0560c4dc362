//! Group commit for scans. One task takes the scans waiting at that moment, decides and logs them in
//! order in one transaction, commits once, and only then answers each. At a gate's rush hour the
//! cost of a commit (an fsync with `synchronous=FULL`, a WAL flush on PostgreSQL) is shared by all
//! the scans waiting for it instead of paid by each; and since one writer decides them in order, two
//! exits of one household in one batch see each other.

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::batch::{self, Item};
use super::scan::{Memo, NewScan, Scanned, When};
use crate::db::{Backend, Db, Scope, StoreError, StoreResult};

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
    queues: OnceLock<Vec<mpsc::Sender<Job>>>,
}

/// SQLite has one writer at a time whatever we do: one queue. PostgreSQL commits in parallel: on a
/// larger machine a few queues, a code always to the same one (so the scans of one pass stay in
/// order); a household reached by two codes at once is kept in order by its row lock (`FOR UPDATE`
/// in `batch.rs`).
fn writers(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 1,
        // One per two cores: each writer's batch waits on the database most of its time, but on
        // a small machine a second writer only splits the batches (more statements for the same
        // scans) and its batches lock against the first's (measured on two cores: one writer did
        // 10–20% more scans per second than two, three fewer still).
        Backend::Postgres => std::thread::available_parallelism()
            .map(|n| (n.get() / 2).max(1))
            .unwrap_or(1),
    }
}

impl ScanWriter {
    /// Decides and logs a scan; answers once it is committed.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn scan(&self, db: &Db, scope: &Scope, when: When, scan: NewScan) -> Answer {
        let queues = self.queues.get_or_init(|| {
            (0..writers(db.backend))
                .map(|_| {
                    let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
                    tokio::spawn(run(db.clone(), rx));
                    tx
                })
                .collect()
        });
        let mut h = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(
            &(scope.user_id, scan.code.trim().to_ascii_uppercase()),
            &mut h,
        );
        let shard =
            usize::try_from(std::hash::Hasher::finish(&h) % queues.len() as u64).unwrap_or(0);
        let (reply, answer) = oneshot::channel();
        let job = Job {
            user_id: scope.user_id,
            when,
            scan,
            reply,
        };
        if queues[shard].send(job).await.is_err() {
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
        let mut outcome = attempt(&db, &batch).await;
        // Two queues' batches that lock the same rows in opposite order: PostgreSQL ends one of
        // them; it is tried again once, whole, before its scans fail.
        if let Err(e) = &outcome
            && retryable(e)
        {
            outcome = attempt(&db, &batch).await;
        }
        match outcome {
            Ok(answers) => {
                for (job, answer) in batch.drain(..).zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "a batch of gate scans was not committed");
                let message = e.to_string();
                for job in batch.drain(..) {
                    let _ = job
                        .reply
                        .send(Err(StoreError::Database(sqlx::Error::Protocol(
                            message.clone(),
                        ))));
                }
            }
        }
    }
}

fn retryable(e: &StoreError) -> bool {
    match e {
        StoreError::Database(sqlx::Error::Database(d)) => {
            matches!(d.code().as_deref(), Some("40P01" | "40001"))
        }
        _ => false,
    }
}

/// One transaction for the batch. A scan refused with an error (not found, a reused key) wrote
/// nothing and answers its error; a database failure fails the batch (nothing of it committed).
async fn attempt(db: &Db, batch: &[Job]) -> StoreResult<Vec<Answer>> {
    // Planned once per connection (the service's `force_generic_plan`): every statement of the
    // batch has one text whatever the batch holds (its sets are one parameter each), so a batch
    // costs no planning. The plan must not depend on the log's size when it is made: planned while
    // the log was still empty, PostgreSQL would scan it whole on every batch until autovacuum
    // first analyzed it. Every statement of the batch has an index to follow, so it is planned
    // with sequential scans ruled out (set in the same round trip as BEGIN).
    let mut tx = match db.backend {
        crate::db::Backend::Postgres => {
            db.pool
                .begin_with("BEGIN; SET LOCAL enable_seqscan = off")
                .await?
        }
        crate::db::Backend::Sqlite => db.begin_write().await?,
    };
    let mut memo = Memo::default();
    let items: Vec<Item<'_>> = batch
        .iter()
        .map(|j| Item {
            user_id: j.user_id,
            when: &j.when,
            scan: &j.scan,
        })
        .collect();
    let answers = batch::decide(&mut tx, &mut memo, db.backend, &items).await?;
    memo.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(answers)
}
