//! Buildings from a file (CSV, or the first sheet of an XLSX workbook), checked whole
//! before anything is written, and the same columns out again. A building's grid is the
//! one its position falls in, or the grid named in `grid_code` (then placed by hand).

use crate::error::{AppError, AppResult};
use crate::residents::import_file::RowError;
use linli_domain::geometry;
use linli_store::Store;
use linli_store::registry::NewBuilding;
use std::collections::HashSet;

/// The columns, as exported, and the header names accepted for each.
pub const COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["name", "楼栋", "楼栋名称"]),
    ("address", &["address", "地址"]),
    ("lon", &["lon", "经度"]),
    ("lat", &["lat", "纬度"]),
    ("floors", &["floors", "层数"]),
    ("units", &["units", "单元数"]),
    ("grid_code", &["grid_code", "网格编码"]),
];

pub const HEADER: [&str; 7] = ["name", "address", "lon", "lat", "floors", "units", "grid_code"];

#[derive(Debug, Default)]
pub struct Checked {
    pub rows: Vec<NewBuilding>,
    pub errors: Vec<RowError>,
}

/// Reads and checks a buildings file for a community.
pub async fn check(store: &Store, community_id: i64, bytes: &[u8]) -> AppResult<Checked> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| AppError::invalid("file", "error.import.encoding"))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|_| AppError::invalid("file", "error.import.unreadable"))?.clone();
    let at = |col: &str| {
        let names = COLUMNS.iter().find(|(c, _)| *c == col).map(|(_, n)| *n).unwrap_or(&[]);
        headers.iter().position(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h.trim())))
    };
    let mut out = Checked::default();
    for col in ["name", "lon", "lat"] {
        if at(col).is_none() {
            out.errors.push(RowError { line: 1, column: col, key: "error.import.column_missing" });
        }
    }
    if !out.errors.is_empty() {
        return Ok(out);
    }
    let grids = store.grids(community_id).await?;
    let shapes: Vec<_> = grids
        .iter()
        .filter_map(|g| g.boundary.as_deref().and_then(|b| geometry::stored_shape(&g.code, &g.name, b)))
        .collect();
    let existing: HashSet<String> = store.building_ids(community_id).await?.into_keys().collect();
    let mut seen: HashSet<String> = HashSet::new();
    let positions: Vec<(&str, Option<usize>)> = COLUMNS.iter().map(|(c, _)| (*c, at(c))).collect();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let Ok(record) = record else {
            out.errors.push(RowError { line, column: "file", key: "error.import.unreadable" });
            continue;
        };
        let cell = |col: &str| {
            positions
                .iter()
                .find(|(c, _)| *c == col)
                .and_then(|(_, i)| *i)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let before = out.errors.len();
        let mut fail = |column: &'static str, key: &'static str| out.errors.push(RowError { line, column, key });
        let name = cell("name");
        if name.is_empty() || name.chars().count() > 32 {
            fail("name", "error.building.name");
        } else if existing.contains(name) {
            fail("name", "error.building.exists");
        } else if !seen.insert(name.to_owned()) {
            fail("name", "error.import.duplicate");
        }
        let address = cell("address");
        if address.chars().count() > 120 {
            fail("address", "error.building.address");
        }
        let lon = cell("lon").parse::<f64>().ok().filter(|v| v.is_finite() && (73.0..=136.0).contains(v));
        if lon.is_none() {
            fail("lon", "error.building.lon");
        }
        let lat = cell("lat").parse::<f64>().ok().filter(|v| v.is_finite() && (3.0..=54.0).contains(v));
        if lat.is_none() {
            fail("lat", "error.building.lat");
        }
        let count = |raw: &str, max: i64| {
            if raw.is_empty() { Some(1) } else { raw.parse::<i64>().ok().filter(|v| (1..=max).contains(v)) }
        };
        let floors = count(cell("floors"), 200);
        if floors.is_none() {
            fail("floors", "error.building.floors");
        }
        let units = count(cell("units"), 50);
        if units.is_none() {
            fail("units", "error.building.units");
        }
        let code = cell("grid_code");
        let placed = if code.is_empty() {
            match (lon, lat) {
                (Some(x), Some(y)) => match geometry::locate(x, y, &shapes) {
                    Some(i) => grids.iter().find(|g| g.code == shapes[i].code).map(|g| (g.id, false)),
                    None => {
                        fail("grid_code", "error.geo.building_outside_any");
                        None
                    }
                },
                _ => None,
            }
        } else {
            match grids.iter().find(|g| g.code == code) {
                Some(g) => Some((g.id, true)),
                None => {
                    fail("grid_code", "error.choice");
                    None
                }
            }
        };
        if out.errors.len() > before {
            continue;
        }
        if let (Some(lon), Some(lat), Some(floors), Some(units), Some((grid_id, pinned))) =
            (lon, lat, floors, units, placed)
        {
            out.rows.push(NewBuilding {
                name: name.to_owned(),
                address: address.to_owned(),
                lon,
                lat,
                floors,
                units,
                grid_id,
                grid_pinned: pinned,
            });
        }
    }
    if out.rows.is_empty() && out.errors.is_empty() {
        out.errors.push(RowError { line: 2, column: "file", key: "error.import.empty" });
    }
    Ok(out)
}
