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
