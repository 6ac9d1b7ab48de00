//! Tables as downloads: CSV, or an XLSX workbook with one sheet per table, its numbers as
//! number cells and its rates as percentage cells (text stays text, so ID numbers keep
//! their 18 characters); and a workbook's first sheet read back as CSV so the import has
//! one checking path.

use crate::error::{AppError, AppResult};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use calamine::{Data, Reader, Xlsx};
use linli_domain::indicators::Rate;

/// One cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A count: a number cell.
    Count(u64),
    /// A rate: a percentage cell (`—` with no denominator).
    Share(Rate),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl Cell {
    /// The cell as CSV writes it: a rate as `99.34%`.
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Share(r) => r.percent(),
        }
    }
}

/// A titled table: a sheet of a workbook.
pub struct Table {
    /// The sheet's name (at most 31 characters in Excel; longer names are cut).
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table of text only.
    pub fn text(title: &str, header: &[&str], records: Vec<Vec<String>>) -> Table {
        Table {
            title: title.to_owned(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: records.into_iter().map(|r| r.into_iter().map(Cell::Text).collect()).collect(),
        }
    }
}

/// Tables as CSV. With several tables, the first column names the table each row is of
/// (`table_column` is its heading). With `bom`, a byte-order mark first, so that Excel
/// reads the Chinese as UTF-8 (for tables meant to be opened, not imported again).
pub fn to_csv(tables: &[Table], table_column: &str, bom: bool) -> AppResult<Vec<u8>> {
    let internal = |e: csv::Error| AppError::Internal(e.into());
    let mut w = csv::Writer::from_writer(if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() });
    let several = tables.len() > 1;
    if let Some(first) = tables.first() {
        let lead = several.then_some(table_column);
        w.write_record(lead.into_iter().chain(first.header.iter().map(String::as_str))).map_err(internal)?;
    }
    for table in tables {
        for row in &table.rows {
            let lead = several.then(|| table.title.clone());
            w.write_record(lead.into_iter().chain(row.iter().map(Cell::text))).map_err(internal)?;
        }
    }
    w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// Tables as a download named `stem.csv` or `stem.xlsx` (`xlsx` true), never cached.
/// `table_column` heads the CSV column that names each row's table, when there are several.
pub fn download(stem: &str, xlsx: bool, tables: &[Table], table_column: &str, bom: bool) -> AppResult<Response> {
    let (body, content_type, extension) = if xlsx {
        (to_xlsx(tables)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    } else {
        (to_csv(tables, table_column, bom)?, "text/csv; charset=utf-8", "csv")
    };
    // A name in Chinese (和谐家园社区_事件处置_全部.xlsx) travels percent-encoded (RFC 6266),
    // with a plain ASCII name beside it for old clients.
    let ascii: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let encoded: String = format!("{stem}.{extension}")
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{ascii}.{extension}\"; filename*=UTF-8''{encoded}"))
            .map_err(|e| AppError::Internal(e.into()))?;
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

/// The zip signature every XLSX file starts with.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Tables as a workbook, one sheet each: the header bold and frozen, columns fitted.
pub fn to_xlsx(tables: &[Table]) -> AppResult<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let internal = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.00%");
    let mut book = Workbook::new();
    for table in tables {
        let sheet = book.add_worksheet();
        // Excel refuses these characters in a sheet's name, and more than 31 of them.
        let name: String =
            table.title.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')).take(31).collect();
        if !name.trim().is_empty() {
            sheet.set_name(name).map_err(internal)?;
        }
        for (c, h) in table.header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(internal)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ()),
                    Cell::Count(n) => sheet.write_number(r, c, *n as f64).map(|_| ()),
                    Cell::Share(rate) => match rate.basis_points() {
                        Some(bp) => sheet.write_number_with_format(r, c, bp as f64 / 10_000.0, &percent).map(|_| ()),
                        None => sheet.write_string(r, c, "—").map(|_| ()),
                    },
                }
                .map_err(internal)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(internal)?;
        sheet.autofit_to_max_width(400);
    }
    book.save_to_buffer().map_err(internal)
}

/// The first sheet as CSV. Whole numbers lose their `.0`; dates become `YYYY-MM-DD`.
pub fn xlsx_to_csv(bytes: &[u8]) -> AppResult<Vec<u8>> {
    let unreadable = || AppError::invalid("file", "error.import.unreadable");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|_| unreadable())?;
    let range = book.worksheet_range_at(0).ok_or_else(unreadable)?.map_err(|_| unreadable())?;
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in range.rows() {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
                Data::DateTime(d) => d.as_datetime().map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default(),
                other => other.to_string(),
            })
            .collect();
        w.write_record(&cells).map_err(|_| unreadable())?;
    }
    w.into_inner().map_err(|_| unreadable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_reads_back_as_the_same_rows() {
        let rows = vec![vec!["1号楼".to_owned(), "11010519491231002X".to_owned(), "".to_owned()]];
        let book = to_xlsx(&[Table::text("buildings", &["building", "id_number", "phone"], rows)]).unwrap();
        assert!(is_xlsx(&book));
        let csv = String::from_utf8(xlsx_to_csv(&book).unwrap()).unwrap();
        assert_eq!(csv, "building,id_number,phone\n1号楼,11010519491231002X,\n");
        assert!(xlsx_to_csv(b"PK\x03\x04 not really a workbook").is_err());
    }

    #[test]
    fn counts_and_rates_are_number_cells_and_each_table_is_a_sheet() {
        let table = |title: &str, n: u64| Table {
            title: title.to_owned(),
            header: vec!["网格".into(), "受理数".into(), "结案率".into()],
            rows: vec![vec![Cell::Text("第1网格".into()), Cell::Count(n), Cell::Share(Rate { num: 1, den: 3 })]],
        };
        let tables = [table("按网格", 12), table("按类别/ [全部]", 7)];
        let book = to_xlsx(&tables).unwrap();
        let mut read: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(book)).unwrap();
        assert_eq!(read.sheet_names(), vec!["按网格".to_owned(), "按类别 全部".to_owned()]);
        let second = read.worksheet_range_at(1).unwrap().unwrap();
        assert_eq!(second.get_value((1, 1)), Some(&Data::Float(7.0)), "a count is a number cell");
        assert_eq!(second.get_value((1, 2)), Some(&Data::Float(0.3333)), "a rate is a fraction shown as a percentage");
        let csv = String::from_utf8(to_csv(&tables, "分组", false).unwrap()).unwrap();
        assert_eq!(csv, "分组,网格,受理数,结案率\n按网格,第1网格,12,33.33%\n按类别/ [全部],第1网格,7,33.33%\n");
        let one = String::from_utf8(to_csv(&tables[..1], "分组", false).unwrap()).unwrap();
        assert_eq!(one, "网格,受理数,结案率\n第1网格,12,33.33%\n", "one table needs no column naming it");
    }
}
