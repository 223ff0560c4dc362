//! Every refusal a user can meet has words in both languages: each error code written in the
//! source (`AppError::invalid(field, "code", …)`, `code: "…"` of the store, `faults.add`) has an
//! `invalid.<code>` line in zh.txt and en.txt. A code without one showed "输入有误" ("wrong
//! input"), which does not say what is wrong.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
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

/// The arguments of the call whose parenthesis opens at `text[0]`, split at the commas of its
/// own level (strings and nested brackets skipped).
fn arguments(text: &str) -> Vec<String> {
    let (mut args, mut current, mut depth, mut in_string) = (Vec::new(), String::new(), 0, false);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if in_string {
            current.push(c);
            match c {
                '\\' => current.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                current.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    args.push(std::mem::take(&mut current));
                    return args;
                }
                current.push(c);
            }
            ',' if depth == 1 => args.push(std::mem::take(&mut current)),
            _ if depth >= 1 => current.push(c),
            _ => {}
        }
    }
    args
}

/// The code of each call `marker(…)`: its `nth` argument, when written as a literal.
fn codes_after(text: &str, marker: &str, nth: usize, out: &mut BTreeSet<String>) {
    for (at, _) in text.match_indices(marker) {
        let open = at + marker.len() - 1;
        let args = arguments(&text[open..]);
        if let Some(code) = args
            .get(nth)
            .map(|a| a.trim())
            .and_then(|a| a.strip_prefix('"'))
            .and_then(|a| a.strip_suffix('"'))
        {
            out.insert(code.to_string());
        }
    }
}

/// The store's codes: `code: "…"` in its errors.
fn store_codes(text: &str, out: &mut BTreeSet<String>) {
    for (at, m) in text.match_indices("code: \"") {
        let rest = &text[at + m.len()..];
        if let Some(code) = rest.split('"').next()
            && !code.is_empty()
            && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        {
            out.insert(code.to_string());
        }
    }
}

fn codes_in_source() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut codes = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        codes_after(&text, "AppError::invalid(", 1, &mut codes);
        codes_after(&text, ".add(", 1, &mut codes);
        store_codes(&text, &mut codes);
    }
    codes
}

fn translated(file: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("locales")
        .join(file);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("invalid."))
        .filter_map(|l| l.split(" = ").next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_error_code_in_the_source_has_words_in_both_languages() {
    let codes = codes_in_source();
    // The scan finds what it should: codes of each kind of site are among them.
    for known in [
        "temperature_out_of_range",
        "site_full",
        "required",
        "unknown_kind",
    ] {
        assert!(codes.contains(known), "{known} not found: {codes:?}");
    }
    for file in ["zh.txt", "en.txt"] {
        let words = translated(file);
        let missing: Vec<&String> = codes.iter().filter(|c| !words.contains(*c)).collect();
        assert!(missing.is_empty(), "{file} has no words for {missing:?}");
    }
}
