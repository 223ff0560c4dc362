//! Translations: one catalogue per language (`locales/zh.txt`, `locales/en.txt`), `key = text` lines,
//! embedded in the binary. Chinese is the default; a cookie switches to English.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Lang {
        match v {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

fn parse(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

static ZH: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| parse(include_str!("../locales/zh.txt")));
static EN: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| parse(include_str!("../locales/en.txt")));

/// The translator handed to every page.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text for `key`; a missing key shows itself, which the catalogue test prevents.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        let map = match self.lang {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        map.get(key).copied().unwrap_or(key)
    }

    /// The text for `prefix.name`, e.g. `tk("role", "grid_worker")`.
    pub fn tk(&self, prefix: &str, name: &str) -> String {
        let key = format!("{prefix}.{name}");
        self.t(&key).to_string()
    }

    /// The text for `key` with `{n}` replaced.
    pub fn tn(&self, key: &str, n: impl std::borrow::Borrow<i64>) -> String {
        self.t(key).replace("{n}", &n.borrow().to_string())
    }

    /// The text for `key` with `{p}` and `{n}` replaced (paging).
    pub fn tpn(
        &self,
        key: &str,
        p: impl std::borrow::Borrow<i64>,
        n: impl std::borrow::Borrow<i64>,
    ) -> String {
        self.t(key)
            .replace("{p}", &p.borrow().to_string())
            .replace("{n}", &n.borrow().to_string())
    }

    /// A known tag's label, or the tag itself for a community's own tags.
    pub fn tag(&self, tag: &str) -> String {
        let key = format!("tag.{tag}");
        let label = self.t(&key);
        if label == key {
            tag.to_string()
        } else {
            label.to_string()
        }
    }

    /// Why an alert or a risk flag was raised, in words: the store keeps the reason as the service
    /// wrote it (`fever`, `fever at the gate`, symptom codes joined by commas, `travel: PLACE
    /// (AREA), back DATE`, the contact sentence); anything else is shown as it is.
    pub fn reason(&self, stored: &str) -> String {
        match stored {
            "fever" => return self.t("reason.fever").to_string(),
            "fever at the gate" => return self.t("reason.gate_fever").to_string(),
            "symptoms" => return self.t("reason.symptoms").to_string(),
            "contact with a confirmed or suspected case" => {
                return self.t("reason.contact").to_string();
            }
            _ => {}
        }
        if let Some(rest) = stored.strip_prefix("travel: ")
            && let Some((place_area, back)) = rest.rsplit_once("), back ")
            && let Some((place, area)) = place_area.rsplit_once(" (")
        {
            return self
                .t("reason.travel")
                .replace("{place}", place)
                .replace("{area}", area)
                .replace("{back}", back);
        }
        let symptoms: Vec<&str> = stored.split(',').map(str::trim).collect();
        if symptoms
            .iter()
            .all(|s| shouhu_domain::health::is_symptom(s))
        {
            // The catalogue trims its values: Latin punctuation gets its space back here.
            let sep = match self.t("reason.list_separator") {
                s if s.is_ascii() => format!("{s} "),
                s => s.to_string(),
            };
            return symptoms
                .iter()
                .map(|s| self.tk("symptom", s))
                .collect::<Vec<_>>()
                .join(&sep);
        }
        stored.to_string()
    }

    /// An audit action in words: its own entry when the catalogue has one, else the thing acted on
    /// and what was done to it (`resident.update` → 居民 · 修改); a part the catalogue does not
    /// know stays as written, so a new action is still readable.
    pub fn action(&self, code: &str) -> String {
        let own = format!("audit.action.{code}");
        let text = self.t(&own);
        if text != own {
            return text.to_string();
        }
        let word = |prefix: &str, part: &str| {
            let key = format!("{prefix}.{part}");
            let text = self.t(&key);
            if text == key {
                part.to_string()
            } else {
                text.to_string()
            }
        };
        let mut parts = code.split('.');
        let thing = parts
            .next()
            .map(|p| word("audit.object", p))
            .unwrap_or_default();
        let done: Vec<String> = parts.map(|p| word("audit.verb", p)).collect();
        if done.is_empty() {
            thing
        } else {
            format!("{thing} · {}", done.join(" "))
        }
    }

    /// An audit entry's result in words (`ok`, `forbidden`, …), or as written.
    pub fn audit_result(&self, result: &str) -> String {
        let key = format!("audit.result.{result}");
        let text = self.t(&key);
        if text == key {
            result.to_string()
        } else {
            text.to_string()
        }
    }

    /// Tags as a person types them, by their words (独居老人, "Elderly living alone") or by their
    /// code: separated by commas (or 、) when there are any, since English words hold spaces, else
    /// by spaces. The known ones become their codes; a community's own tags stay as written.
    pub fn tags_typed(typed: &str) -> Vec<String> {
        let comma = |c: char| matches!(c, ',' | '，' | '、');
        let words: Vec<&str> = if typed.contains(comma) {
            typed.split(comma).map(str::trim).collect()
        } else {
            typed.split_whitespace().collect()
        };
        words
            .into_iter()
            .filter(|w| !w.is_empty())
            .map(|w| {
                shouhu_domain::tags::KNOWN
                    .iter()
                    .find(|code| {
                        let key = format!("tag.{code}");
                        **code == w
                            || ZH.get(key.as_str()) == Some(&w)
                            || EN
                                .get(key.as_str())
                                .is_some_and(|l| l.eq_ignore_ascii_case(w))
                    })
                    .map_or_else(|| w.to_string(), |code| code.to_string())
            })
            .collect()
    }

    /// A refusal's message in words a worker understands: by code, else by field, else generic.
    pub fn invalid(&self, code: &str) -> String {
        let key = format!("invalid.{code}");
        let text = self.t(&key);
        if text == key {
            self.t("invalid.other").to_string()
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_actions_are_read_in_words() {
        let zh = Tr::new(Lang::Zh);
        assert_eq!(zh.action("resident.update"), "居民 · 修改");
        assert_eq!(zh.action("session.sign_in"), "登录 · 登录成功");
        assert_eq!(zh.action("gate.log.export"), "门岗 · 记录 导出");
        assert_eq!(zh.action("something.new"), "something · new");
        assert_eq!(zh.audit_result("forbidden"), "无权限，已拒绝");
        assert_eq!(
            Tr::new(Lang::En).action("resident.unmask"),
            "resident · unmask"
        );
    }

    #[test]
    fn tags_are_typed_in_words() {
        assert_eq!(
            Tr::tags_typed("独居老人 慢性病  低保 elderly_no_family"),
            [
                "elderly_alone",
                "chronic_illness",
                "低保",
                "elderly_no_family"
            ]
        );
        assert_eq!(
            Tr::tags_typed("Elderly living alone, disabled、独居老人，低保"),
            ["elderly_alone", "disabled", "elderly_alone", "低保"]
        );
        assert!(Tr::tags_typed("  ").is_empty());
    }

    #[test]
    fn reasons_are_read_in_words() {
        let zh = Tr::new(Lang::Zh);
        let en = Tr::new(Lang::En);
        assert_eq!(zh.reason("fever"), "发热");
        assert_eq!(zh.reason("fever at the gate"), "门岗测温发热");
        assert_eq!(zh.reason("cough,fatigue"), "咳嗽、乏力");
        assert_eq!(en.reason("cough,fatigue"), "cough, fatigue");
        assert_eq!(
            zh.reason("travel: 武汉 (湖北), back 2020-02-01"),
            "去过武汉（湖北风险地区），2020-02-01 返回"
        );
        assert_eq!(
            zh.reason("contact with a confirmed or suspected case"),
            "与确诊或疑似病例有过接触"
        );
        assert_eq!(zh.reason("照顾老人时发现"), "照顾老人时发现");
        for s in shouhu_domain::health::SYMPTOMS {
            assert_ne!(zh.reason(s), s, "{s} has a Chinese name");
        }
    }

    #[test]
    fn both_catalogues_hold_the_same_keys() {
        let mut zh: Vec<_> = ZH.keys().collect();
        let mut en: Vec<_> = EN.keys().collect();
        zh.sort();
        en.sort();
        assert_eq!(zh, en);
        assert!(zh.len() > 100);
    }

    #[test]
    fn chinese_is_the_default_and_english_the_switch() {
        assert_eq!(Tr::new(Lang::from_cookie(None)).t("nav.residents"), "居民");
        assert_eq!(
            Tr::new(Lang::from_cookie(Some("en"))).t("nav.residents"),
            "Residents"
        );
        assert_eq!(Tr::new(Lang::Zh).tn("residents.total", 3), "共 3 人");
        assert_eq!(Tr::new(Lang::Zh).tag("elderly_alone"), "独居老人");
        assert_eq!(Tr::new(Lang::Zh).tag("低保"), "低保");
    }
}
