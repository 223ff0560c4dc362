//! The pool against a PostgreSQL server that drops its connections (a restart, an administrator):
//! a connection idle for half a second is tested before use and replaced; one used just before is
//! taken as alive, so a request may meet the break — and is answered 503, to be tried again.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use shouhu_server::db::Db;
use shouhu_server::web::error::database_unreachable;

/// Drops every connection of the pool named `name`; returns how many.
async fn drop_connections(admin: &Db, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(name)
    .fetch_one(&admin.pool)
    .await
    .unwrap()
}

/// Runs `n` queries at once, so that the pool holds several connections.
async fn use_connections(db: &Db, n: usize) -> Vec<Result<i64, sqlx::Error>> {
    let queries = (0..n).map(|_| async {
        sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT) FROM pg_sleep(0.05)")
            .fetch_one(&db.pool)
            .await
    });
    futures::future::join_all(queries).await
}

#[tokio::test]
#[cfg_attr(
    not(shouhu_test_postgres),
    ignore = "needs SHOUHU_TEST_POSTGRES_URL at build"
)]
async fn connections_the_server_dropped_are_replaced_or_answered_503() {
    let t = common::postgres().await.expect("PostgreSQL configured");
    // A pool of its own, named, so that only its connections are dropped: other tests share the
    // database.
    let name = format!("shouhu_pool_test_{}", std::process::id());
    let db = Db::connect(&format!("{}&application_name={name}", t.url))
        .await
        .unwrap();
    assert!(use_connections(&db, 4).await.iter().all(Result::is_ok));

    // Idle for more than half a second: each is tested on the way out, and replaced.
    assert!(drop_connections(&t.db, &name).await >= 4);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let after_idle = use_connections(&db, 4).await;
    assert!(after_idle.iter().all(Result::is_ok), "{after_idle:?}");

    // Used a moment ago: taken as alive, so the break reaches a query. Every such failure says
    // the database is unreachable (a 503 at the web edge), and the pool then heals.
    assert!(drop_connections(&t.db, &name).await >= 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut failures = 0;
    loop {
        match sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&db.pool)
            .await
        {
            Ok(_) => break,
            Err(e) => {
                assert!(database_unreachable(&e), "{e}");
                failures += 1;
                assert!(
                    failures <= 4,
                    "the pool kept handing out dropped connections"
                );
            }
        }
    }
    assert!(
        failures >= 1,
        "a dropped connection used within half a second was tested"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(use_connections(&db, 4).await.iter().all(Result::is_ok));
    db.close().await;
}
