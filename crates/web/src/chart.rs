//! Charts drawn on the server as SVG: grouped horizontal bars of rates (one row per grid,
//! category or community), readable at 360 px and printable, with no client library.

use askama::Template;

/// One row of bars: a label and rates in hundredths of a percent (`None`: no data).
pub struct BarRow {
    pub label: String,
    pub values: Vec<Option<u64>>,
}

pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub class: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "bars.svg", escape = "html")]
pub struct BarChart {
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub label_width: f64,
    pub legend: Vec<(String, &'static str, f64)>,
    pub rows: Vec<(String, f64)>,
    pub bars: Vec<Bar>,
    pub gridlines: Vec<(f64, &'static str)>,
}

const CLASSES: [&str; 3] = ["b0", "b1", "b2"];

impl BarChart {
    /// Rows of up to three series (legend names in order), scaled 0–100%.
    pub fn new(title: String, series: &[String], rows: &[BarRow]) -> BarChart {
        // Narrow enough that a 360 px phone shows the text near its own size.
        let (label_width, plot, bar_h, gap) = (86.0, 200.0, 14.0, 10.0);
        let n = series.len().clamp(1, 3) as f64;
        let row_h = n * bar_h + gap;
        let top = 34.0;
        let mut bars = Vec::new();
        let mut labels = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let y0 = top + i as f64 * row_h;
            labels.push((row.label.clone(), y0 + n * bar_h / 2.0 + 4.0));
            for (j, v) in row.values.iter().take(3).enumerate() {
                let bp = v.unwrap_or(0) as f64;
                bars.push(Bar {
                    x: label_width,
                    y: y0 + j as f64 * bar_h,
                    width: (bp / 10_000.0 * plot).max(if v.is_some() { 1.0 } else { 0.0 }),
                    class: CLASSES[j],
                    text: v.map_or("—".into(), |bp| format!("{}.{:02}%", bp / 100, bp % 100)),
                });
            }
        }
        let legend =
            series.iter().take(3).enumerate().map(|(j, s)| (s.clone(), CLASSES[j], 4.0 + j as f64 * 130.0)).collect();
        BarChart {
            title,
            width: label_width + plot + 56.0,
            height: top + rows.len() as f64 * row_h + 10.0,
            label_width,
            legend,
            rows: labels,
            bars,
            gridlines: vec![(label_width, "0"), (label_width + plot / 2.0, "50%"), (label_width + plot, "100%")],
        }
    }

    pub fn svg(&self) -> String {
        self.render().unwrap_or_default()
    }
}

/// A telemetry chart: the mean of each bucket as a line over the band from its low to
/// its high, with the range's bounds on the axes.
#[derive(Template)]
#[template(path = "line.svg", escape = "html")]
pub struct LineChart {
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub line: String,
    pub band: String,
    pub low: String,
    pub high: String,
    pub from: String,
    pub to: String,
    pub empty: bool,
    /// Points drawn as dots when there are too few for a line to show.
    pub dots: Vec<(f64, f64)>,
    /// Said in the middle of a chart without data.
    pub empty_label: String,
}

impl LineChart {
    /// `points` are (time, low, mean, high) between `from` and `to` (UTC milliseconds);
    /// `label` formats a time for the axis.
    pub fn new(
        title: String,
        points: &[(i64, f64, f64, f64)],
        from: i64,
        to: i64,
        label: fn(i64) -> String,
    ) -> LineChart {
        let (width, height, left, top, plot_w, plot_h) = (600.0, 180.0, 52.0, 12.0, 536.0, 140.0);
        let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = points.iter().map(|p| p.3).fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if points.is_empty() {
            (0.0, 1.0)
        } else if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        };
        let span = (to - from).max(1) as f64;
        let x = |t: i64| left + (t - from) as f64 / span * plot_w;
        let y = |v: f64| top + (hi - v) / (hi - lo) * plot_h;
        let line = points.iter().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.2))).collect::<Vec<_>>().join(" ");
        let upper = points.iter().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.3)));
        let lower = points.iter().rev().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.1)));
        let band = upper.chain(lower).collect::<Vec<_>>().join(" ");
        let number = |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
        LineChart {
            title,
            width,
            height,
            line,
            band,
            low: number(lo),
            high: number(hi),
            from: label(from),
            to: label(to),
            empty: points.is_empty(),
            dots: if points.len() < 3 { points.iter().map(|p| (x(p.0), y(p.2))).collect() } else { Vec::new() },
            empty_label: "—".to_owned(),
        }
    }

    pub fn svg(&self) -> String {
        self.render().unwrap_or_default()
    }
}
