//! What a bulk export took, kept in the access log as data (what, how many rows, which
//! filters) and read back in words in the reader's language: "居民名单 4,963 行（网格：
//! 第1网格；搜索：张）", not `4963 rows; grid all; search`.

use crate::i18n::Tr;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRecord {
    /// `residents` or `cases`.
    pub what: String,
    pub rows: usize,
    /// The filters in force: a field (`grid`, `state`, `category`, `holder`, `source`,
    /// `search`, `former`, `full`) and its value as a name (a grid's name, not its id);
    /// `state` and `source` values are codes, named in the reader's language.
    pub filters: Vec<(String, String)>,
    /// `csv` or `xlsx`.
    pub format: String,
}

impl ExportRecord {
    /// The record as the log stores it.
    pub fn detail(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A logged detail read back, if it is an export's (older rows hold plain text).
    pub fn read(detail: &str) -> Option<ExportRecord> {
        serde_json::from_str(detail).ok()
    }

    /// The export in words.
    pub fn words(&self, t: Tr) -> String {
        let filters: Vec<String> = self
            .filters
            .iter()
            .map(|(field, value)| {
                let value = match field.as_str() {
                    "state" => t.label("cases.filter", value),
                    "source" => t.label("case.source", value),
                    "former" | "full" => String::new(),
                    _ => value.clone(),
                };
                let name = t.label("export.filter", field);
                if value.is_empty() { name } else { format!("{name}{}{value}", t.get("export.colon")) }
            })
            .collect();
        let filters =
            if filters.is_empty() { t.get("export.unfiltered").to_owned() } else { filters.join(t.get("export.sep")) };
        t.fill(
            "export.words",
            &[
                ("what", &t.label("export.what", &self.what)),
                ("n", &self.rows),
                ("filters", &filters),
                ("format", &self.format.to_uppercase()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn an_export_reads_back_in_words_in_each_language() {
        let record = ExportRecord {
            what: "residents".into(),
            rows: 4963,
            filters: vec![
                ("grid".into(), "第1网格".into()),
                ("search".into(), "张".into()),
                ("full".into(), "".into()),
            ],
            format: "xlsx".into(),
        };
        let back = ExportRecord::read(&record.detail()).unwrap();
        assert_eq!(back, record);
        assert_eq!(
            back.words(Tr::new(Lang::Zh)),
            "居民名单 4963 行（网格：第1网格；搜索：张；含完整证件号和电话）· XLSX"
        );
        assert_eq!(
            back.words(Tr::new(Lang::En)),
            "Residents list, 4963 rows (grid: 第1网格; search: 张; with full ID numbers and phones) · XLSX"
        );
        let cases = ExportRecord {
            what: "cases".into(),
            rows: 1,
            filters: vec![("state".into(), "overdue".into())],
            format: "csv".into(),
        };
        assert_eq!(cases.words(Tr::new(Lang::Zh)), "事件清单 1 行（状态：已超期）· CSV");
        assert_eq!(cases.words(Tr::new(Lang::En)), "Case list, 1 row (state: Overdue) · CSV");
        assert_eq!(ExportRecord::read("4963 rows; grid all; search"), None, "old rows stay as they were written");
    }
}
