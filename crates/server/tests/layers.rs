//! The layers point down only: the web edge calls the service, the service calls the store and the
//! domain. A file below the web that names it, or a page that reaches into the API's handlers
//! instead of the service, fails here.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of the files under `dirs` (relative to `src/`) that name `needle` outside comments.
fn offending(dirs: &[&str], needle: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for d in dirs {
        let p = src.join(d);
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else {
            files.push(p);
        }
    }
    assert!(!files.is_empty());
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains(needle) {
                found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn nothing_below_the_web_names_it() {
    let below = ["service", "db", "sheet", "survey", "i18n.rs", "config.rs"];
    let up = offending(&below, "crate::web");
    assert!(up.is_empty(), "arrows pointing up:\n{}", up.join("\n"));
}

#[test]
fn the_store_does_not_name_the_service() {
    let up = offending(&["db", "sheet", "survey"], "crate::service");
    assert!(up.is_empty(), "arrows pointing up:\n{}", up.join("\n"));
}

#[test]
fn pages_call_the_service_not_the_api() {
    let across = offending(&["web/pages"], "web::api");
    assert!(
        across.is_empty(),
        "pages reaching into the API:\n{}",
        across.join("\n")
    );
}
