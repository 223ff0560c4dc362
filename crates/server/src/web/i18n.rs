//! Translations: one catalogue per language (`locales/zh.txt`, `locales/en.txt`), `key = text` lines.
