//! Synthetic people: names, valid-by-checksum ID numbers, phones. Never a real person's.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use shouhu_domain::{IdNumber, Sex};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧", "程", "曹",
    "袁", "邓", "许", "傅", "沈", "曾", "彭", "吕", "苗", "倪", "欧阳", "司马",
];
const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞",
    "建国", "建军", "志强", "海涛", "国庆", "文博", "子轩", "浩然", "宇航", "业勤", "振华", "立新",
];
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "颖", "洁", "琳",
    "秀英", "桂兰", "玉兰", "丽玲", "雅琪", "欣怡", "梓涵", "思琪", "春梅", "海燕", "红霞", "秋菊",
];
/// Names as written in Chinese for residents of Uyghur, Kazakh and Hui families, common in Karamay.
const MINORITY_MALE: &[&str] = &[
    "买买提·艾力",
    "艾尔肯·吐尔逊",
    "努尔兰·哈力别克",
    "阿不都·热合曼",
    "吐尔洪·卡德尔",
];
const MINORITY_FEMALE: &[&str] = &[
    "阿依古丽·买买提",
    "古丽娜尔·艾山",
    "热孜万古丽",
    "努尔古丽·吾甫尔",
    "迪丽拜尔·阿不都",
];

pub fn name(rng: &mut ChaCha8Rng, sex: Sex) -> String {
    if rng.random_bool(0.08) {
        let pool = if sex == Sex::Male {
            MINORITY_MALE
        } else {
            MINORITY_FEMALE
        };
        return pool[rng.random_range(0..pool.len())].to_string();
    }
    let s = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let pool = if sex == Sex::Male {
        GIVEN_MALE
    } else {
        GIVEN_FEMALE
    };
    format!("{s}{}", pool[rng.random_range(0..pool.len())])
}

pub fn phone(rng: &mut ChaCha8Rng) -> String {
    const PREFIXES: &[&str] = &[
        "138", "139", "135", "136", "150", "151", "152", "180", "181", "186", "189", "199",
    ];
    format!(
        "{}{:08}",
        PREFIXES[rng.random_range(0..PREFIXES.len())],
        rng.random_range(0..100_000_000u32)
    )
}

/// Hands out ID numbers that are valid and unique within one demo.
pub struct IdNumbers {
    issued: HashSet<u64>,
    today: NaiveDate,
}

impl IdNumbers {
    pub fn new(today: NaiveDate) -> IdNumbers {
        IdNumbers {
            issued: HashSet::new(),
            today,
        }
    }

    /// A number for someone of `age` years and `sex` from `region`.
    pub fn issue(&mut self, rng: &mut ChaCha8Rng, region: &str, age: u32, sex: Sex) -> IdNumber {
        loop {
            let days = i64::from(age) * 365 + rng.random_range(0..365);
            let birth = self.today - Duration::days(days);
            let mut seq: u16 = rng.random_range(0..500) * 2;
            if sex == Sex::Male {
                seq += 1;
            }
            let Some(id) = IdNumber::from_parts(region, birth, seq) else {
                continue;
            };
            let key: u64 = id.as_str()[..17].parse().unwrap_or(0);
            if id.birth_date() <= self.today && self.issued.insert(key) {
                return id;
            }
        }
    }
}
