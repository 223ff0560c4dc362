//! `sqlx::migrate!` embeds the migrations at compile time; a new or changed migration file must
//! rebuild the crate.
//!
//! The tests that need PostgreSQL or a browser are marked ignored at build time when their
//! setting is absent, so `cargo test` lists them as ignored (with the setting to give) instead of
//! reporting a test that did nothing as passed. The settings are read here because an `#[ignore]`
//! is decided when the test is compiled.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(shouhu_test_postgres)");
    println!("cargo::rustc-check-cfg=cfg(shouhu_test_browser)");
    println!("cargo::rustc-check-cfg=cfg(shouhu_test_disk_full)");
    println!("cargo:rerun-if-env-changed=SHOUHU_TEST_DISK_FULL");
    println!("cargo:rerun-if-env-changed=SHOUHU_TEST_POSTGRES_URL");
    println!("cargo:rerun-if-env-changed=SHOUHU_TEST_BROWSER");
    if std::env::var("SHOUHU_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=shouhu_test_postgres");
    }
    // Mounting a small tmpfs to fill takes root (CI runs as root).
    if std::env::var("SHOUHU_TEST_DISK_FULL").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=shouhu_test_disk_full");
    }
    if std::env::var("SHOUHU_TEST_BROWSER").as_deref() == Ok("1") {
        println!("cargo::rustc-cfg=shouhu_test_browser");
    }
}
