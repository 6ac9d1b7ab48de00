//! Charts drawn on the server as SVG, with no client library: grouped horizontal bars of
//! rates (one row per grid, category or community) and telemetry lines.
//!
//! A chart is as wide as its page and is never scaled as a picture: widths are percentages
//! and heights and text are in pixels, so its labels read at 13 px on a 360 px phone and on
//! a 1,280 px desk alike. Only a line's path is drawn in a stretched inner plane, with
//! strokes that do not stretch.

use askama::Template;

/// One row of bars: a label and rates in hundredths of a percent (`None`: no data).
pub struct BarRow {
    pub label: String,
    pub values: Vec<Option<u64>>,
}

pub struct Bar {
    /// Percent of the chart's width.
    pub width: f64,
    pub y: f64,
    pub class: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "bars.svg", escape = "html")]
pub struct BarChart {
    pub title: String,
    pub height: f64,
    pub legend: Vec<(String, &'static str, f64)>,
    /// Each row's label, drawn above its bars, and its baseline.
    pub rows: Vec<(String, f64)>,
    pub bars: Vec<Bar>,
    /// Percent of the chart's width and the label under it.
    pub gridlines: Vec<(f64, &'static str)>,
}

const CLASSES: [&str; 3] = ["b0", "b1", "b2"];
/// The share of the width a 100% bar takes; the rest holds its figure.
const PLOT: f64 = 78.0;
const BAR: f64 = 14.0;

impl BarChart {
    /// Rows of up to three series (legend names in order), scaled 0–100%.
    pub fn new(title: String, series: &[String], rows: &[BarRow]) -> BarChart {
        let n = series.len().clamp(1, 3) as f64;
        // A label line, the bars, a gap.
        let row_h = 18.0 + n * (BAR + 2.0) + 8.0;
        let top = 30.0;
        let mut bars = Vec::new();
        let mut labels = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let y0 = top + i as f64 * row_h;
            labels.push((row.label.clone(), y0 + 13.0));
            for (j, v) in row.values.iter().take(3).enumerate() {
                let bp = v.unwrap_or(0) as f64;
                bars.push(Bar {
                    width: bp / 10_000.0 * PLOT,
                    y: y0 + 18.0 + j as f64 * (BAR + 2.0),
                    class: CLASSES[j],
                    text: v.map_or("—".into(), |bp| format!("{}.{:02}%", bp / 100, bp % 100)),
                });
            }
        }
        let legend =
            series.iter().take(3).enumerate().map(|(j, s)| (s.clone(), CLASSES[j], j as f64 * 120.0)).collect();
        BarChart {
            title,
            height: top + rows.len() as f64 * row_h + 20.0,
            legend,
            rows: labels,
            bars,
            gridlines: vec![(0.0, "0"), (PLOT / 2.0, "50%"), (PLOT, "100%")],
        }
    }

    pub fn svg(&self) -> String {
        self.render().unwrap_or_default()
    }
}

/// A telemetry chart: the mean of each bucket as a line over the band from its low to
/// its high, with the range's bounds on the axes. A value that is only ever 0 or 1 (a
/// leak, a door) is drawn as steps of its highest value in each bucket instead.
#[derive(Template)]
#[template(path = "line.svg", escape = "html")]
pub struct LineChart {
    pub title: String,
    /// Points in a 1000 × 1000 plane stretched over the plot.
    pub line: String,
    pub band: String,
    pub low: String,
    pub high: String,
    pub from: String,
    pub to: String,
    pub empty: bool,
    /// On/off values, drawn as steps.
    pub steps: bool,
    /// Points drawn as dots when there are too few for a line to show: percent across,
    /// pixels down.
    pub dots: Vec<(f64, f64)>,
    /// Said in the middle of a chart without data.
    pub empty_label: String,
}

/// The plot's top and height in pixels.
const PLOT_TOP: f64 = 22.0;
const PLOT_H: f64 = 120.0;

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
        let on_off = |v: f64| v == 0.0 || v == 1.0;
        let steps = !points.is_empty() && points.iter().all(|p| on_off(p.1) && on_off(p.3));
        let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let hi = points.iter().map(|p| p.3).fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if points.is_empty() || steps {
            (0.0, 1.0)
        } else if hi > lo {
            (lo, hi)
        } else {
            (lo - 1.0, hi + 1.0)
        };
        let span = (to - from).max(1) as f64;
        // Across in thousandths of the width, down in thousandths of the plot's height.
        let x = |t: i64| (t - from) as f64 / span * 1000.0;
        let y = |v: f64| (hi - v) / (hi - lo) * 1000.0;
        let xy = |t: i64, v: f64| format!("{:.1},{:.1}", x(t), y(v));
        let (line, band) = if steps {
            let mut line = Vec::new();
            for (i, p) in points.iter().enumerate() {
                if i > 0 {
                    line.push(xy(p.0, points[i - 1].3));
                }
                line.push(xy(p.0, p.3));
            }
            if let Some(last) = points.last() {
                line.push(xy(to.min(last.0 + (span as i64) / points.len().max(1) as i64), last.3));
            }
            (line.join(" "), String::new())
        } else {
            let line = points.iter().map(|p| xy(p.0, p.2)).collect::<Vec<_>>().join(" ");
            let upper = points.iter().map(|p| xy(p.0, p.3));
            let lower = points.iter().rev().map(|p| xy(p.0, p.1));
            (line, upper.chain(lower).collect::<Vec<_>>().join(" "))
        };
        let number = |v: f64| if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") };
        LineChart {
            title,
            line,
            band,
            low: number(lo),
            high: number(hi),
            from: label(from),
            to: label(to),
            empty: points.is_empty(),
            steps,
            dots: if points.len() < 3 && !steps {
                points.iter().map(|p| (x(p.0) / 10.0, PLOT_TOP + y(p.2) / 1000.0 * PLOT_H)).collect()
            } else {
                Vec::new()
            },
            empty_label: "—".to_owned(),
        }
    }

    pub fn svg(&self) -> String {
        self.render().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_off_values_are_drawn_as_steps_and_measured_values_as_a_line() {
        let hour = 3_600_000;
        let leak = [(0, 0.0, 0.0, 0.0), (hour, 0.0, 0.4, 1.0), (2 * hour, 0.0, 0.0, 0.0)];
        let chart = LineChart::new("漏水".into(), &leak, 0, 3 * hour, |_| String::new());
        assert!(chart.steps);
        // Each change is a vertical segment at one time: up at 1 h, down at 2 h.
        assert_eq!(chart.line, "0.0,1000.0 333.3,1000.0 333.3,0.0 666.7,0.0 666.7,1000.0 1000.0,1000.0");
        let temperature = [(0, 20.0, 21.0, 22.0), (hour, 21.0, 22.5, 24.0), (2 * hour, 19.5, 20.0, 21.0)];
        let chart = LineChart::new("温度".into(), &temperature, 0, 3 * hour, |_| String::new());
        assert!(!chart.steps && !chart.band.is_empty());
        assert_eq!((chart.low.as_str(), chart.high.as_str()), ("19.50", "24"));
    }

    #[test]
    fn bars_are_sized_in_percent_of_the_page_width() {
        let rows = [BarRow { label: "第1网格".into(), values: vec![Some(10_000), Some(5_000), None] }];
        let chart = BarChart::new("图".into(), &["a".into(), "b".into(), "c".into()], &rows);
        let widths: Vec<f64> = chart.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, [PLOT, PLOT / 2.0, 0.0]);
        assert_eq!(chart.bars[2].text, "—");
        let svg = chart.svg();
        assert!(!svg.contains("viewBox"), "a scaled picture would shrink its text on a phone: {svg}");
    }
}
