//! The grid map, drawn server-side as SVG from the grids' GeoJSON boundaries and the
//! buildings' positions and sizes (no tile server, no client library). A building is drawn
//! as the slab its stair units make, facing south as residential blocks do, and named
//! where the map has room.

use askama::Template;
use linli_store::admin::Grid;
use linli_store::registry::BuildingSummary;
use serde::Deserialize;

#[derive(Deserialize)]
struct Polygon {
    coordinates: Vec<Vec<[f64; 2]>>,
}

pub struct MapGrid {
    pub id: i64,
    pub name: String,
    pub points: String,
    pub label_x: f64,
    pub label_y: f64,
    pub href: Option<String>,
    pub highlight: bool,
}

pub struct MapBuilding {
    pub id: i64,
    pub name: String,
    /// What a picker map writes on the building: its number ("12" of "12号楼").
    pub short: String,
    pub x: f64,
    pub y: f64,
    /// The footprint's width and depth on the map: a slab of `units` stair units, each
    /// about 16 m wide, 12 m deep, at the map's scale (never smaller than a mark one can
    /// see, or, on a picker, hit).
    pub w: f64,
    pub h: f64,
}

/// Metres in a degree of latitude.
const METRES_PER_DEGREE: f64 = 111_320.0;

#[derive(Template)]
#[template(path = "map.svg", escape = "html")]
pub struct GridMap {
    pub width: f64,
    pub height: f64,
    pub title: String,
    pub grids: Vec<MapGrid>,
    pub buildings: Vec<MapBuilding>,
    /// Name the buildings (on a one-grid map, where there is room).
    pub labels: bool,
    /// The projection, for a page script that turns a click into lon/lat:
    /// lon = lon0 + (x − pad) / sx, lat = lat0 − (y − pad) / sy.
    pub lon0: f64,
    pub lat0: f64,
    pub sx: f64,
    pub sy: f64,
    pub pad: f64,
    /// Clicks pick a point (the report form).
    pub picker: bool,
}

const WIDTH: f64 = 640.0;
const PAD: f64 = 8.0;

impl GridMap {
    /// Projects lon/lat onto the SVG plane (equirectangular, scaled by the latitude's
    /// cosine so that squares stay square). `link` says which grids are clickable.
    pub fn new(
        title: String,
        grids: &[Grid],
        buildings: &[BuildingSummary],
        link: impl Fn(&Grid) -> bool,
        highlight: Option<i64>,
    ) -> Option<GridMap> {
        let rings: Vec<(&Grid, Vec<[f64; 2]>)> = grids
            .iter()
            .filter_map(|g| {
                let poly: Polygon = serde_json::from_str(g.boundary.as_deref()?).ok()?;
                Some((g, poly.coordinates.into_iter().next()?))
            })
            .collect();
        let all = rings.iter().flat_map(|(_, r)| r.iter());
        let (mut min_x, mut min_y, mut max_x, mut max_y) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for [x, y] in all {
            min_x = min_x.min(*x);
            max_x = max_x.max(*x);
            min_y = min_y.min(*y);
            max_y = max_y.max(*y);
        }
        if rings.is_empty() || max_x <= min_x || max_y <= min_y {
            return None;
        }
        let k = ((min_y + max_y) / 2.0).to_radians().cos();
        // The longer side spans WIDTH: a tall grid is drawn narrower rather than taller, so
        // that a page showing it at a bounded height does not shrink its labels.
        let (span_x, span_y) = ((max_x - min_x) * k, max_y - min_y);
        let scale = (WIDTH - 2.0 * PAD) / span_x.max(span_y);
        let (width, height) = (span_x * scale + 2.0 * PAD, span_y * scale + 2.0 * PAD);
        let project = |x: f64, y: f64| (PAD + (x - min_x) * k * scale, PAD + (max_y - y) * scale);
        let grids: Vec<MapGrid> = rings
            .iter()
            .map(|(g, ring)| {
                let pts: Vec<(f64, f64)> = ring.iter().map(|[x, y]| project(*x, *y)).collect();
                // The label sits in the top-left corner, clear of the buildings.
                let left = pts.iter().map(|p| p.0).fold(f64::MAX, f64::min);
                let top = pts.iter().map(|p| p.1).fold(f64::MAX, f64::min);
                MapGrid {
                    id: g.id,
                    name: g.name.clone(),
                    points: pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" "),
                    label_x: left + 6.0,
                    label_y: top + 18.0,
                    href: link(g).then(|| format!("/grids/{}", g.id)),
                    highlight: highlight == Some(g.id),
                }
            })
            .collect();
        let buildings = buildings
            .iter()
            .map(|b| {
                let (x, y) = project(b.lon, b.lat);
                let digits: String = b.name.chars().take_while(char::is_ascii_digit).collect();
                let short = if digits.is_empty() { b.name.chars().take(2).collect() } else { digits };
                let px_per_metre = scale / METRES_PER_DEGREE;
                let w = (16.0 * b.units.max(1) as f64 * px_per_metre).max(10.0);
                let h = (12.0 * px_per_metre).max(8.0);
                MapBuilding { id: b.id, name: b.name.clone(), short, x, y, w, h }
            })
            .collect();
        let labels = grids.len() == 1;
        Some(GridMap {
            width,
            height,
            title,
            grids,
            buildings,
            labels,
            lon0: min_x,
            lat0: max_y,
            sx: k * scale,
            sy: scale,
            pad: PAD,
            picker: false,
        })
    }

    /// The SVG markup, or nothing if it cannot be drawn.
    pub fn svg(&self) -> String {
        self.render().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildings_are_drawn_as_slabs_of_their_units_at_the_maps_scale() {
        // A grid about 285 m wide: 640 px for 285 m.
        let grid = Grid {
            id: 1,
            community_id: 1,
            code: "1".into(),
            name: "第1网格".into(),
            boundary: Some(r#"{"type":"Polygon","coordinates":[[[121.400,31.200],[121.403,31.200],[121.403,31.203],[121.400,31.203],[121.400,31.200]]]}"#.into()),
        };
        let building = |id: i64, units: i64| BuildingSummary {
            id,
            grid_id: 1,
            name: format!("{id}号楼"),
            address: String::new(),
            floors: 6,
            units,
            lon: 121.4015,
            lat: 31.2015,
            households: 0,
            residents: 0,
        };
        let map = GridMap::new("map".into(), &[grid], &[building(1, 3), building(2, 1)], |_| false, None).unwrap();
        let (slab, small) = (&map.buildings[0], &map.buildings[1]);
        let px_per_metre = map.sy / METRES_PER_DEGREE;
        assert!((map.height - WIDTH).abs() < 0.01 && map.width < map.height, "a tall grid is drawn narrow");
        assert!((slab.w - 48.0 * px_per_metre).abs() < 1.0, "three units of 16 m: {} px", slab.w);
        assert!((slab.w / small.w - 3.0).abs() < 0.01 && slab.h == small.h, "wider by its units, as deep");
        assert!(slab.w > slab.h, "a slab, wider than deep");
        let svg = map.svg();
        assert!(svg.contains("1号楼</text>"), "a one-grid map names its buildings");
    }
}
