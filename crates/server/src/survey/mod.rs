//! Questionnaires of door-to-door survey campaigns (摸排) and the checking of answers against them.
//! Pure: no database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a question asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    YesNo,
    Single,
    Multiple,
    Text,
    Number,
    Date,
    /// Yes or no for each member of the household: the answer lists the residents who said yes.
    Members,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// snake_case, unique within the questionnaire.
    pub key: String,
    pub kind: Kind,
    pub label: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// The built-in epidemic screening (2020): travel in the last 14 days (where, when back), contact
/// with confirmed or suspected cases, fever or cough now, people living there now, needs.
pub fn epidemic_screening() -> Vec<Question> {
    let q = |key: &str, kind, label: &str, options: &[&str], required| Question {
        key: key.into(),
        kind,
        label: label.into(),
        options: options.iter().map(|o| o.to_string()).collect(),
        required,
    };
    vec![
        q(
            "travel_members",
            Kind::Members,
            "近14天离开过本地的人",
            &[],
            false,
        ),
        q("travel_place", Kind::Text, "去过哪里", &[], false),
        q("back_date", Kind::Date, "哪天回来", &[], false),
        q(
            "contact_members",
            Kind::Members,
            "接触过确诊或疑似病例的人",
            &[],
            false,
        ),
        q(
            "symptom_members",
            Kind::Members,
            "现在发热或咳嗽的人",
            &[],
            false,
        ),
        q("people_now", Kind::Number, "现在住在这里的人数", &[], true),
        q(
            "needs",
            Kind::Multiple,
            "需要什么",
            &["medicine", "groceries", "help"],
            false,
        ),
        q("note", Kind::Text, "备注", &[], false),
    ]
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}")]
pub struct AnswerError {
    pub field: String,
    pub code: &'static str,
}

fn bad(field: &str, code: &'static str) -> AnswerError {
    AnswerError {
        field: format!("answers.{field}"),
        code,
    }
}

/// Checks a questionnaire itself: keys unique and snake_case, choices with options.
pub fn check_questions(questions: &[Question]) -> Result<(), AnswerError> {
    if questions.is_empty() || questions.len() > 50 {
        return Err(AnswerError {
            field: "questions".into(),
            code: "out_of_range",
        });
    }
    let mut seen = std::collections::BTreeSet::new();
    for q in questions {
        let key_ok = !q.key.is_empty()
            && q.key.len() <= 40
            && q.key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok || !seen.insert(q.key.clone()) {
            return Err(AnswerError {
                field: "questions".into(),
                code: "invalid_key",
            });
        }
        if q.label.trim().is_empty()
            || q.label.chars().count() > 200
            || q.label.chars().any(char::is_control)
        {
            return Err(AnswerError {
                field: "questions".into(),
                code: "invalid_label",
            });
        }
        let choice = matches!(q.kind, Kind::Single | Kind::Multiple);
        // Choices need options; other kinds have none.
        if choice == q.options.is_empty() || q.options.len() > 30 {
            return Err(AnswerError {
                field: "questions".into(),
                code: "invalid_options",
            });
        }
    }
    Ok(())
}

/// Checks `answers` against `questions` for a household whose members are `members`. Returns the
/// answers as stored: only known keys, each in its kind's form.
pub fn check_answers(
    questions: &[Question],
    answers: &BTreeMap<String, Value>,
    members: &[i64],
) -> Result<BTreeMap<String, Value>, AnswerError> {
    if let Some(unknown) = answers
        .keys()
        .find(|k| !questions.iter().any(|q| &q.key == *k))
    {
        return Err(bad(unknown, "unknown_question"));
    }
    let mut out = BTreeMap::new();
    for q in questions {
        let v = answers.get(&q.key).filter(|v| !is_empty(v));
        let Some(v) = v else {
            if q.required {
                return Err(bad(&q.key, "required"));
            }
            continue;
        };
        let stored = match q.kind {
            Kind::YesNo => Value::Bool(v.as_bool().ok_or_else(|| bad(&q.key, "not_yes_no"))?),
            Kind::Single => {
                let s = v.as_str().ok_or_else(|| bad(&q.key, "not_an_option"))?;
                if !q.options.iter().any(|o| o == s) {
                    return Err(bad(&q.key, "not_an_option"));
                }
                Value::String(s.into())
            }
            Kind::Multiple => {
                let items = v.as_array().ok_or_else(|| bad(&q.key, "not_an_option"))?;
                let mut chosen: Vec<String> = Vec::new();
                for i in items {
                    let s = i.as_str().filter(|s| q.options.iter().any(|o| o == s));
                    let s = s.ok_or_else(|| bad(&q.key, "not_an_option"))?;
                    if !chosen.iter().any(|c| c == s) {
                        chosen.push(s.into());
                    }
                }
                Value::from(chosen)
            }
            Kind::Text => {
                let s = v.as_str().ok_or_else(|| bad(&q.key, "not_text"))?.trim();
                if s.chars().count() > 500 || s.chars().any(char::is_control) {
                    return Err(bad(&q.key, "too_long"));
                }
                Value::String(s.into())
            }
            Kind::Number => {
                let n = v.as_i64().filter(|n| (0..=1000).contains(n));
                Value::from(n.ok_or_else(|| bad(&q.key, "not_a_number"))?)
            }
            Kind::Date => {
                let s = v.as_str().ok_or_else(|| bad(&q.key, "invalid_date"))?;
                let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map_err(|_| bad(&q.key, "invalid_date"))?;
                Value::String(d.to_string())
            }
            Kind::Members => {
                let items = v.as_array().ok_or_else(|| bad(&q.key, "not_a_member"))?;
                let mut ids: Vec<i64> = Vec::new();
                for i in items {
                    let id = i.as_i64().filter(|id| members.contains(id));
                    let id = id.ok_or_else(|| bad(&q.key, "not_a_member"))?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids.sort_unstable();
                Value::from(ids)
            }
        };
        out.insert(q.key.clone(), stored);
    }
    Ok(out)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answers(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_template_is_a_valid_questionnaire() {
        assert_eq!(check_questions(&epidemic_screening()), Ok(()));
    }

    #[test]
    fn answers_are_checked_against_their_kinds_and_the_members() {
        let q = epidemic_screening();
        let ok = check_answers(
            &q,
            &answers(json!({"travel_members": [7, 7], "travel_place": " 武汉 ", "back_date": "2020-02-01",
                            "people_now": 3, "needs": ["medicine"], "contact_members": []})),
            &[7, 8],
        )
        .unwrap();
        assert_eq!(ok["travel_members"], json!([7]));
        assert_eq!(ok["travel_place"], json!("武汉"));
        assert!(!ok.contains_key("contact_members"));
        let cases = [
            (
                json!({"people_now": 2, "travel_members": [9]}),
                "answers.travel_members",
                "not_a_member",
            ),
            (json!({}), "answers.people_now", "required"),
            (
                json!({"people_now": "two"}),
                "answers.people_now",
                "not_a_number",
            ),
            (
                json!({"people_now": 2, "needs": ["gold"]}),
                "answers.needs",
                "not_an_option",
            ),
            (
                json!({"people_now": 2, "back_date": "2020-02-30"}),
                "answers.back_date",
                "invalid_date",
            ),
            (
                json!({"people_now": 2, "pets": 1}),
                "answers.pets",
                "unknown_question",
            ),
        ];
        for (a, field, code) in cases {
            let e = check_answers(&q, &answers(a.clone()), &[7, 8]).unwrap_err();
            assert_eq!((e.field.as_str(), e.code), (field, code), "{a}");
        }
    }

    #[test]
    fn questionnaires_with_duplicate_keys_or_choices_without_options_are_refused() {
        let mut q = epidemic_screening();
        q.push(q[0].clone());
        assert!(check_questions(&q).is_err());
        let single = Question {
            key: "a".into(),
            kind: Kind::Single,
            label: "A".into(),
            options: vec![],
            required: false,
        };
        assert!(check_questions(&[single]).is_err());
    }
}
