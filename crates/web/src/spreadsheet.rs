//! XLSX beside CSV: the export written as a workbook (every cell text, so ID numbers keep
//! their 18 characters), and a workbook's first sheet read back as CSV so the import has
//! one checking path.

use crate::error::{AppError, AppResult};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use calamine::{Data, Reader, Xlsx};

/// A table as CSV. With `bom`, a byte-order mark first, so that Excel reads the Chinese as
/// UTF-8 (for tables meant to be opened, not imported again).
pub fn to_csv(header: &[&str], records: &[Vec<String>], bom: bool) -> AppResult<Vec<u8>> {
    let internal = |e: csv::Error| AppError::Internal(e.into());
    let mut w = csv::Writer::from_writer(if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() });
    w.write_record(header).map_err(internal)?;
    for r in records {
        w.write_record(r).map_err(internal)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// A table as a download named `stem.csv` or `stem.xlsx` (`xlsx` true), never cached.
pub fn download(stem: &str, xlsx: bool, header: &[&str], records: &[Vec<String>], bom: bool) -> AppResult<Response> {
    let (body, content_type, extension) = if xlsx {
        (to_xlsx(header, records)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    } else {
        (to_csv(header, records, bom)?, "text/csv; charset=utf-8", "csv")
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

pub fn to_xlsx(header: &[&str], records: &[Vec<String>]) -> AppResult<Vec<u8>> {
    let internal = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.into());
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(internal)?;
    }
    for (r, record) in records.iter().enumerate() {
        for (c, value) in record.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, value).map_err(internal)?;
        }
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
        let book = to_xlsx(&["building", "id_number", "phone"], &rows).unwrap();
        assert!(is_xlsx(&book));
        let csv = String::from_utf8(xlsx_to_csv(&book).unwrap()).unwrap();
        assert_eq!(csv, "building,id_number,phone\n1号楼,11010519491231002X,\n");
        assert!(xlsx_to_csv(b"PK\x03\x04 not really a workbook").is_err());
    }
}
