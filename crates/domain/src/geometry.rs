//! Grid boundaries as GeoJSON: a FeatureCollection of Polygons whose properties carry the
//! grid's 15-digit `code` and `name`. Rings must be closed and grids must not overlap;
//! each failure names the feature and the reason. Buildings are placed by point in
//! polygon, a point on a shared edge going to the grid that comes first in code order
//! (grids are numbered west→east, north→south).

use crate::admin::{AdminCode, Level};
use geo::{BooleanOps, Contains, Coord, Intersects, LineString, Point, Polygon};

/// One grid read from the file.
#[derive(Debug, Clone)]
pub struct GridShape {
    pub code: String,
    pub name: String,
    pub polygon: Polygon<f64>,
    /// The geometry as GeoJSON text, as it will be stored.
    pub geometry: String,
}

/// Why a feature was refused: its position in the file (1-based), its code if known,
/// a message key, and the other grid's code for overlaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub feature: usize,
    pub code: Option<String>,
    pub key: &'static str,
    pub other: Option<String>,
}

/// Overlaps smaller than this (in square degrees, about 0.01 m²) are rounding, not overlap.
const OVERLAP_EPSILON: f64 = 1e-12;

/// Reads and checks a FeatureCollection for a community; all problems are reported.
pub fn parse_grids(text: &str, community: &AdminCode) -> Result<Vec<GridShape>, Vec<ShapeError>> {
    let err = |feature, code: Option<String>, key| ShapeError { feature, code, key, other: None };
    let collection: geojson::FeatureCollection = match text.parse::<geojson::GeoJson>() {
        Ok(geojson::GeoJson::FeatureCollection(fc)) => fc,
        _ => return Err(vec![err(0, None, "error.geo.collection")]),
    };
    let mut shapes = Vec::new();
    let mut errors = Vec::new();
    for (i, feature) in collection.features.iter().enumerate() {
        let n = i + 1;
        let prop = |k: &str| feature.property(k).and_then(|v| v.as_str()).map(|s| s.trim().to_owned());
        let code = prop("code");
        let Some(code_text) = code.clone() else {
            errors.push(err(n, None, "error.geo.code"));
            continue;
        };
        if AdminCode::parse("code", Level::Grid, &code_text, Some(community)).is_err() {
            errors.push(err(n, code, "error.geo.code"));
            continue;
        }
        let name = prop("name").filter(|s| !s.is_empty() && s.chars().count() <= 64);
        let Some(name) = name else {
            errors.push(err(n, code, "error.geo.name"));
            continue;
        };
        let rings = match feature.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::Value::Polygon(rings)) => rings,
            _ => {
                errors.push(err(n, code, "error.geo.not_polygon"));
                continue;
            }
        };
        match polygon(rings) {
            Ok(p) => {
                let geometry = geojson::Geometry::new(geojson::Value::Polygon(rings.clone())).to_string();
                shapes.push(GridShape { code: code_text, name, polygon: p, geometry });
            }
            Err(key) => errors.push(err(n, code, key)),
        }
    }
    for i in 0..shapes.len() {
        for j in 0..i {
            if shapes[i].code == shapes[j].code {
                errors.push(err(i + 1, Some(shapes[i].code.clone()), "error.geo.duplicate"));
            } else if shapes[i].polygon.intersection(&shapes[j].polygon).unsigned_area_sum() > OVERLAP_EPSILON {
                errors.push(ShapeError {
                    feature: i + 1,
                    code: Some(shapes[i].code.clone()),
                    key: "error.geo.overlap",
                    other: Some(shapes[j].code.clone()),
                });
            }
        }
    }
    if errors.is_empty() && shapes.is_empty() {
        errors.push(err(0, None, "error.geo.empty"));
    }
    if errors.is_empty() {
        shapes.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(shapes)
    } else {
        Err(errors)
    }
}

/// A stored grid boundary (a GeoJSON Polygon geometry, as written by an import) read
/// back for locating points; `None` if it is not one.
pub fn stored_shape(code: &str, name: &str, geometry: &str) -> Option<GridShape> {
    let geometry_value: geojson::Geometry = geometry.parse().ok()?;
    let geojson::Value::Polygon(rings) = &geometry_value.value else { return None };
    let polygon = polygon(rings).ok()?;
    Some(GridShape { code: code.to_owned(), name: name.to_owned(), polygon, geometry: geometry.to_owned() })
}

trait AreaSum {
    fn unsigned_area_sum(&self) -> f64;
}

impl AreaSum for geo::MultiPolygon<f64> {
    fn unsigned_area_sum(&self) -> f64 {
        use geo::Area;
        self.unsigned_area()
    }
}

fn polygon(rings: &[Vec<Vec<f64>>]) -> Result<Polygon<f64>, &'static str> {
    let mut lines = Vec::new();
    for ring in rings {
        let coords: Vec<Coord<f64>> = ring
            .iter()
            .filter(|p| p.len() >= 2 && p[0].is_finite() && p[1].is_finite())
            .map(|p| Coord { x: p[0], y: p[1] })
            .collect();
        if coords.len() != ring.len() {
            return Err("error.geo.coordinates");
        }
        if coords.len() < 4 {
            return Err("error.geo.too_few_points");
        }
        if coords.first() != coords.last() {
            return Err("error.geo.not_closed");
        }
        lines.push(LineString::new(coords));
    }
    let mut lines = lines.into_iter();
    let exterior = lines.next().ok_or("error.geo.too_few_points")?;
    Ok(Polygon::new(exterior, lines.collect()))
}

/// The grid a position falls in (index into `shapes`, which are in code order). Points
/// on an edge count as inside; the first grid in code order wins a shared edge.
/// The distance in metres between two WGS84 points (haversine).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    use geo::{Distance, Haversine};
    Haversine::distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

pub fn locate(lon: f64, lat: f64, shapes: &[GridShape]) -> Option<usize> {
    let p = Point::new(lon, lat);
    shapes.iter().position(|s| s.polygon.contains(&p)).or_else(|| shapes.iter().position(|s| s.polygon.intersects(&p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn community() -> AdminCode {
        let d = AdminCode::parse("c", Level::District, "310117", None).unwrap();
        let s = AdminCode::parse("c", Level::Street, "310117004", Some(&d)).unwrap();
        AdminCode::parse("c", Level::Community, "310117004001", Some(&s)).unwrap()
    }

    fn square(code: &str, x0: f64, y0: f64, size: f64, closed: bool) -> String {
        let mut ring = vec![[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size]];
        if closed {
            ring.push([x0, y0]);
        }
        let coords: Vec<String> = ring.iter().map(|[x, y]| format!("[{x},{y}]")).collect();
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{code}","name":"网格{code}"}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}"#,
            coords.join(",")
        )
    }

    fn collection(features: &[String]) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    #[test]
    fn distances_are_in_metres() {
        // 0.001° of latitude is about 111 m anywhere.
        let d = distance_m((121.47, 31.23), (121.47, 31.231));
        assert!((d - 111.2).abs() < 0.5, "{d}");
        assert_eq!(distance_m((121.0, 31.0), (121.0, 31.0)), 0.0);
    }

    #[test]
    fn neighbouring_grids_pass_and_shared_edges_go_to_the_first_code() {
        let text = collection(&[
            square("310117004001002", 1.0, 0.0, 1.0, true),
            square("310117004001001", 0.0, 0.0, 1.0, true),
        ]);
        let shapes = parse_grids(&text, &community()).unwrap();
        assert_eq!(shapes[0].code, "310117004001001", "sorted by code");
        assert_eq!(locate(0.5, 0.5, &shapes), Some(0));
        assert_eq!(locate(1.5, 0.5, &shapes), Some(1));
        assert_eq!(locate(1.0, 0.5, &shapes), Some(0), "a point on the shared edge");
        assert_eq!(locate(0.0, 0.0, &shapes), Some(0), "a corner");
        assert_eq!(locate(2.5, 0.5, &shapes), None);
    }

    #[test]
    fn open_rings_overlaps_and_foreign_codes_are_refused_with_the_reason() {
        let text = collection(&[
            square("310117004001001", 0.0, 0.0, 1.0, false),
            square("310117004001002", 2.0, 0.0, 1.0, true),
            square("310117004001003", 2.5, 0.5, 1.0, true),
            square("310117004009001", 5.0, 0.0, 1.0, true),
        ]);
        let errors = parse_grids(&text, &community()).unwrap_err();
        let keys: Vec<(usize, &str)> = errors.iter().map(|e| (e.feature, e.key)).collect();
        assert!(keys.contains(&(1, "error.geo.not_closed")), "{keys:?}");
        assert!(keys.contains(&(4, "error.geo.code")), "{keys:?}");
        let overlap = errors.iter().find(|e| e.key == "error.geo.overlap").unwrap();
        assert_eq!(
            (overlap.code.as_deref(), overlap.other.as_deref()),
            (Some("310117004001003"), Some("310117004001002"))
        );
        assert_eq!(
            parse_grids("{\"type\":\"Point\",\"coordinates\":[1,2]}", &community()).unwrap_err()[0].key,
            "error.geo.collection"
        );
    }
}
