//! A set of values bound as one parameter, for `column IN (…)` over a batch.
//!
//! Writing a batch's values into the SQL (or one `$n` each) gives every batch its own statement
//! text: each is parsed and planned anew, and they push the statements that repeat out of the
//! connection's cache. One parameter keeps the text of each statement fixed, so it is prepared
//! once per connection: an array on PostgreSQL (`= ANY`, which walks an index per value), a JSON
//! array on SQLite (`IN (SELECT value FROM json_each(…))`).

use super::Backend;

/// SQL: `column` is one of the integers bound at `$param`.
pub fn ints_in(backend: Backend, column: &str, param: usize) -> String {
    match backend {
        Backend::Postgres => format!("{column} = ANY(CAST(${param} AS BIGINT[]))"),
        Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each(${param}))"),
    }
}

/// SQL: `column` is one of the texts bound at `$param`.
pub fn texts_in(backend: Backend, column: &str, param: usize) -> String {
    match backend {
        Backend::Postgres => format!("{column} = ANY(CAST(${param} AS TEXT[]))"),
        Backend::Sqlite => format!("{column} IN (SELECT value FROM json_each(${param}))"),
    }
}

/// The value to bind for [`ints_in`].
pub fn ints(backend: Backend, values: &[i64]) -> String {
    let list = super::id_list(values);
    match backend {
        Backend::Postgres => format!("{{{list}}}"),
        Backend::Sqlite => format!("[{list}]"),
    }
}

/// The value to bind for [`texts_in`]. Any text is safe: PostgreSQL's array elements are quoted
/// with `\` and `"` escaped, SQLite's are JSON strings.
pub fn texts<S: AsRef<str>>(backend: Backend, values: &[S]) -> String {
    match backend {
        Backend::Postgres => {
            let mut out = String::from("{");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                for c in v.as_ref().chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            out.push('}');
            out
        }
        Backend::Sqlite => {
            let list: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
            serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_quoted_for_each_backend() {
        let v = ["A\"B", "C\\D", "E,F", "{G}", "NULL"];
        assert_eq!(
            texts(Backend::Postgres, &v),
            r#"{"A\"B","C\\D","E,F","{G}","NULL"}"#
        );
        assert_eq!(
            texts(Backend::Sqlite, &v),
            r#"["A\"B","C\\D","E,F","{G}","NULL"]"#
        );
        assert_eq!(ints(Backend::Postgres, &[1, -2]), "{1,-2}");
        assert_eq!(ints(Backend::Sqlite, &[]), "[]");
    }
}
