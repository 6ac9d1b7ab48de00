//! Checking a residents file (CSV, the columns of the export) before anything is
//! written: every bad row is reported with its line, column and reason, and a file with
//! any bad row imports nothing. Headers may be the export's English names or Chinese.

use crate::error::{AppError, AppResult};
use linli_domain::identity::{DisplayName, Phone};
use linli_domain::person::IdNumber;
use linli_store::Store;
use linli_store::import::NewResident;
use std::collections::{HashMap, HashSet};

/// A bad cell: line in the file (the header is line 1), column name, message key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub column: &'static str,
    pub key: &'static str,
}

#[derive(Debug, Default)]
pub struct Checked {
    pub rows: Vec<NewResident>,
    pub errors: Vec<RowError>,
}

/// Columns and the header names accepted for them.
const COLUMNS: &[(&str, &[&str])] = &[
    ("building", &["building", "楼栋"]),
    ("unit", &["unit", "单元"]),
    ("room", &["room", "房号", "户号"]),
    ("name", &["name", "姓名"]),
    ("gender", &["gender", "性别"]),
    ("birth_date", &["birth_date", "出生日期"]),
    ("relation", &["relation", "与户主关系"]),
    ("residence_type", &["residence_type", "居住类型"]),
    ("id_number", &["id_number", "身份证号", "公民身份号码"]),
    ("phone", &["phone", "手机号码", "手机号", "联系电话"]),
];

const REQUIRED: &[&str] = &["building", "unit", "room", "name"];

fn code(value: &str, pairs: &[(&'static str, &str)]) -> Option<&'static str> {
    let v = value.trim();
    pairs.iter().find(|(c, zh)| v.eq_ignore_ascii_case(c) || v == *zh).map(|(c, _)| *c)
}

const GENDERS: &[(&str, &str)] = &[("M", "男"), ("F", "女")];
const RELATIONS: &[(&str, &str)] =
    &[("head", "户主"), ("spouse", "配偶"), ("child", "子女"), ("parent", "父母"), ("other", "其他")];
const RESIDENCE: &[(&str, &str)] = &[("registered", "户籍"), ("permanent", "常住"), ("floating", "流动")];

/// Reads and checks a file against the community's buildings and registry.
pub async fn check(store: &Store, community_id: i64, bytes: &[u8]) -> AppResult<Checked> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| AppError::invalid("file", "error.import.encoding"))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|_| AppError::invalid("file", "error.import.unreadable"))?.clone();
    let mut at: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some((col, _)) = COLUMNS.iter().find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(h.trim())))
        {
            at.insert(col, i);
        }
    }
    let mut out = Checked::default();
    for col in REQUIRED {
        if !at.contains_key(col) {
            out.errors.push(RowError { line: 1, column: col, key: "error.import.column_missing" });
        }
    }
    if !out.errors.is_empty() {
        return Ok(out);
    }
    let buildings = store.building_ids(community_id).await?;
    let registered = store.registered_id_numbers(community_id).await?;
    let mut seen: HashSet<String> = HashSet::new();
    let today = linli_store::today();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let Ok(record) = record else {
            out.errors.push(RowError { line, column: "file", key: "error.import.unreadable" });
            continue;
        };
        let cell = |col: &str| at.get(col).and_then(|&i| record.get(i)).map(str::trim).unwrap_or("");
        let before = out.errors.len();
        let mut fail = |column: &'static str, key: &'static str| out.errors.push(RowError { line, column, key });

        let building = buildings.get(cell("building")).copied();
        if building.is_none() {
            fail("building", "error.import.building");
        }
        let unit = cell("unit").parse::<i64>().ok().filter(|u| (1..=99).contains(u));
        if unit.is_none() {
            fail("unit", "error.import.unit");
        }
        let room = cell("room");
        if room.is_empty() || room.chars().count() > 10 || !room.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            fail("room", "error.import.room");
        }
        let name = DisplayName::parse("name", cell("name")).map_err(|e| fail("name", e.key)).ok();
        let id_number = match cell("id_number") {
            "" => None,
            raw => match IdNumber::parse("id_number", raw, today) {
                Ok(id) => {
                    let index = store.key().blind_index(linli_store::registry::FIELD_ID_NUMBER, id.as_str());
                    if registered.contains(&index) {
                        fail("id_number", "error.import.registered");
                    } else if !seen.insert(index) {
                        fail("id_number", "error.import.duplicate");
                    }
                    Some(id)
                }
                Err(e) => {
                    fail("id_number", e.key);
                    None
                }
            },
        };
        let phone = match cell("phone") {
            "" => None,
            raw => Phone::parse("phone", raw).map_err(|e| fail("phone", e.key)).ok(),
        };
        let gender = match (cell("gender"), &id_number) {
            ("", Some(id)) => Some(id.gender()),
            ("", None) => {
                fail("gender", "error.required");
                None
            }
            (g, id) => match code(g, GENDERS) {
                Some(g) if id.as_ref().is_some_and(|id| id.gender() != g) => {
                    fail("gender", "error.import.mismatch");
                    None
                }
                Some(g) => Some(g),
                None => {
                    fail("gender", "error.choice");
                    None
                }
            },
        };
        let birth_date = match (cell("birth_date"), &id_number) {
            ("", Some(id)) => Some(id.birth_date().format("%Y-%m-%d").to_string()),
            ("", None) => {
                fail("birth_date", "error.required");
                None
            }
            (d, id) => match chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok().filter(|d| *d <= today) {
                Some(d) if id.as_ref().is_some_and(|id| id.birth_date() != d) => {
                    fail("birth_date", "error.import.mismatch");
                    None
                }
                Some(d) => Some(d.format("%Y-%m-%d").to_string()),
                None => {
                    fail("birth_date", "error.import.date");
                    None
                }
            },
        };
        let relation = match cell("relation") {
            "" => Some("other"),
            r => code(r, RELATIONS).or_else(|| {
                fail("relation", "error.choice");
                None
            }),
        };
        let residence_type = match cell("residence_type") {
            "" => Some("registered"),
            r => code(r, RESIDENCE).or_else(|| {
                fail("residence_type", "error.choice");
                None
            }),
        };
        if out.errors.len() > before {
            continue;
        }
        if let (
            Some(building_id),
            Some(unit),
            Some(name),
            Some(gender),
            Some(birth_date),
            Some(relation),
            Some(residence_type),
        ) = (building, unit, name, gender, birth_date, relation, residence_type)
        {
            out.rows.push(NewResident {
                building_id,
                unit,
                room: room.to_owned(),
                name: name.into_string(),
                gender,
                birth_date,
                relation,
                residence_type,
                id_number,
                phone,
            });
        }
    }
    if out.rows.is_empty() && out.errors.is_empty() {
        out.errors.push(RowError { line: 2, column: "file", key: "error.import.empty" });
    }
    Ok(out)
}
