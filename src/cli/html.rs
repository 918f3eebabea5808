//! Self-contained HTML reports: escaping, a page shell with inline CSS, and inline SVG charts
//! (horizontal bars with interval whiskers, diverging bars, line charts), plus a plain table.
//!
//! Reports open from disk with no network: no external stylesheet, font, script or image. Charts
//! are SVG computed here, in fixed coordinates (a `viewBox` that scales with the page), so they
//! look the same in every browser and print well.
//!
//! Every chart is an `<svg class="chart">`, and every mark drawn for a value (a bar, a point, a
//! line) carries the class `mark` (bars also `bar`). The page shell ends with a small script that
//! counts the marks the browser actually laid out with a non-zero size and writes the counts into
//! attributes of `<body>` (`data-charts`, `data-marks`, `data-bars`, `data-rendered-marks`,
//! `data-rendered-bars`), so a test can check the rendering from `chromium --headless
//! --dump-dom` without looking at pixels.
//!
//! Text is escaped by the functions that write it; callers pass plain strings everywhere except
//! to [`page`]'s `body` and [`Table`] cells built with [`Cell::html`], which are HTML already.

// The pieces are shared by the HTML output of several commands; not every command uses every
// piece or option.
#![allow(dead_code)]

use std::borrow::Cow;
use std::fmt::Write;

/// Escapes text for HTML element content and for attribute values in double or single quotes.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Series colours (Okabe & Ito's palette, distinguishable with the common colour-vision
/// deficiencies), used in turn.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// The colour of series `i`.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

const CSS: &str = "\
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--bg:#fff;--soft:#f4f6f8}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:24px 28px 48px;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 8px;padding-top:8px;border-top:1px solid var(--line)}
h3{font-size:15px;margin:20px 0 6px}
p.lead{color:var(--muted);margin:0 0 16px}
.note{color:var(--muted);font-size:13px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{padding:3px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:8px 0 20px}
figcaption{font-weight:600;margin-bottom:4px}
svg.chart{display:block;width:100%;height:auto;max-width:900px;font:12px system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif}
svg.chart text{fill:var(--fg)}
svg.chart .axis{stroke:#9aa3ad;stroke-width:1}
svg.chart .grid{stroke:var(--line);stroke-width:1}
svg.chart .whisker{stroke:#1b1f24;stroke-width:1.2}
svg.chart .tick{fill:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:4px 0;font-size:13px}
.legend span::before{content:\"\";display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px;background:var(--c)}
details{margin:6px 0}
summary{cursor:pointer;font-weight:600}
code{background:var(--soft);padding:0 3px;border-radius:3px}
@media print{body{max-width:none}h2{break-before:auto}}
";

/// Counts the marks the browser laid out with a non-zero size; see the module documentation.
const LAYOUT_CHECK: &str = "\
(function(){var b=document.body;function n(s,r){var c=0;document.querySelectorAll(s).forEach(function(e){if(!r){c++;return}var x=e.getBoundingClientRect();if(x.width>0&&x.height>0)c++});return c}\
b.setAttribute('data-charts',n('svg.chart',false));b.setAttribute('data-marks',n('svg.chart .mark',false));\
b.setAttribute('data-bars',n('svg.chart .bar',false));b.setAttribute('data-rendered-marks',n('svg.chart .mark',true));\
b.setAttribute('data-rendered-bars',n('svg.chart .bar',true))})();";

/// The start of a page, up to and including the `<h1>` (and the subtitle when not empty):
/// `title` and `subtitle` are plain text; `extra_css` is appended to the shared stylesheet. For
/// pages written in pieces; [`page`] builds a whole one.
pub fn page_start(title: &str, subtitle: &str, extra_css: &str) -> String {
    let mut out = String::with_capacity(CSS.len() + extra_css.len() + 1024);
    let t = escape(title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{t}</title>\n<style>\n{CSS}{extra_css}</style>\n</head>\n<body>\n<h1>{t}</h1>\n"
    );
    if !subtitle.is_empty() {
        let _ = writeln!(out, "<p class=\"lead\">{}</p>", escape(subtitle));
    }
    out
}

/// The end of a page: the layout check, then `extra_script` (JavaScript, may be empty), then
/// the closing tags.
pub fn page_end(extra_script: &str) -> String {
    format!("\n<script>{LAYOUT_CHECK}{extra_script}</script>\n</body>\n</html>\n")
}

/// A complete HTML document: `title` (plain text) in `<title>` and as the `<h1>`, `subtitle`
/// (plain text, may be empty) under it, then `body` (HTML), the inline CSS and the layout check.
pub fn page(title: &str, subtitle: &str, body: &str) -> String {
    let mut out = page_start(title, subtitle, "");
    out.push_str(body);
    out.push_str(&page_end(""));
    out
}

/// How chart values are written on axes and labels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueFormat {
    /// A fraction shown as a percentage (`0.25` → `25%`), with this many decimals.
    Percent(usize),
    /// A number with this many decimals.
    Number(usize),
}

impl ValueFormat {
    /// `v` in this format; `–` for a value that is not finite.
    pub fn format(self, v: f64) -> String {
        if !v.is_finite() {
            return "–".into();
        }
        match self {
            ValueFormat::Percent(d) => format!("{:.*}%", d, 100.0 * v),
            ValueFormat::Number(d) => format!("{v:.d$}"),
        }
    }
}

/// A legend of series names in their colours (HTML, above a chart).
pub fn legend(series: &[String]) -> String {
    let mut out = String::from("<div class=\"legend\">");
    for (i, s) in series.iter().enumerate() {
        let _ = write!(out, "<span style=\"--c:{}\">{}</span>", color(i), escape(s));
    }
    out.push_str("</div>");
    out
}

/// A figure: a caption (plain text) over some HTML.
pub fn figure(caption: &str, inner: &str) -> String {
    format!(
        "<figure><figcaption>{}</figcaption>{inner}</figure>\n",
        escape(caption)
    )
}

/// Approximate width in pixels of `s` at the charts' 12px font (for laying out label columns).
fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * 6.6
}

/// A "nice" upper bound for an axis holding values up to `max`: 1, 2, 2.5 or 5 times a power of
/// ten.
fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * p >= max * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

/// `s` shortened to `n` characters with an ellipsis.
fn clip(s: &str, n: usize) -> Cow<'_, str> {
    if s.chars().count() <= n {
        Cow::Borrowed(s)
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        Cow::Owned(t)
    }
}

/// One bar: a value with an optional interval drawn as a whisker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// The bar's length (negative values are drawn as zero).
    pub value: f64,
    /// Interval `(lo, hi)`; not drawn when either end is not finite.
    pub interval: Option<(f64, f64)>,
}

/// One row of a [`BarChart`]: a label and one bar per series.
#[derive(Debug, Clone, PartialEq)]
pub struct BarRow {
    /// Row label (plain text).
    pub label: String,
    /// One bar per series, in series order.
    pub bars: Vec<Bar>,
}

/// Horizontal bars, grouped by row, one colour per series, with interval whiskers.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Rows, top to bottom.
    pub rows: Vec<BarRow>,
    /// Series names (a legend is drawn when there are two or more).
    pub series: Vec<String>,
    /// Axis and value format.
    pub format: ValueFormat,
    /// Axis maximum; `None` picks a round number above the largest bar or interval end.
    pub max: Option<f64>,
    /// Whether to write each bar's value after it.
    pub value_labels: bool,
}

/// Width of every chart's `viewBox`.
const WIDTH: f64 = 860.0;

/// `f` with as many decimals as ticks at multiples of `step` need (at most two more).
fn tick_format(f: ValueFormat, step: f64) -> ValueFormat {
    let (d, scaled) = match f {
        ValueFormat::Percent(d) => (d, 100.0 * step),
        ValueFormat::Number(d) => (d, step),
    };
    let exact = |d: usize| {
        let k = scaled * 10f64.powi(d as i32);
        (k - k.round()).abs() < 1e-6
    };
    let d = (d..=d + 2).find(|&d| exact(d)).unwrap_or(d + 2);
    match f {
        ValueFormat::Percent(_) => ValueFormat::Percent(d),
        ValueFormat::Number(_) => ValueFormat::Number(d),
    }
}

fn axis_ticks(out: &mut String, x0: f64, x1: f64, y0: f64, y1: f64, max: f64, f: ValueFormat) {
    let f = tick_format(f, max / 4.0);
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let x = x0 + (x1 - x0) * f64::from(i) / 4.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{y0:.1}\" x2=\"{x:.1}\" y2=\"{y1:.1}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y1 + 14.0,
            escape(&f.format(v))
        );
    }
}

/// Renders a [`BarChart`] as a legend (for two or more series) and an SVG.
pub fn bar_chart(chart: &BarChart) -> String {
    let n_series = chart.series.len().max(1);
    let bar_h = if n_series == 1 { 16.0 } else { 11.0 };
    let row_gap = 10.0;
    let row_h = bar_h * n_series as f64 + row_gap;
    let label_w = chart
        .rows
        .iter()
        .map(|r| text_width(&clip(&r.label, 48)))
        .fold(60.0, f64::max)
        + 12.0;
    let (top, bottom) = (6.0, 24.0);
    let x0 = label_w;
    let x1 = WIDTH - 56.0;
    let height = top + row_h * chart.rows.len() as f64 + bottom;
    let data_max = chart
        .rows
        .iter()
        .flat_map(|r| &r.bars)
        .flat_map(|b| {
            let (lo, hi) = b.interval.unwrap_or((b.value, b.value));
            [b.value, lo, hi]
        })
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let max = chart.max.unwrap_or_else(|| nice_max(data_max));
    let scale = |v: f64| x0 + (x1 - x0) * (v.clamp(0.0, max) / max);
    let mut out = String::new();
    if chart.series.len() > 1 {
        out.push_str(&legend(&chart.series));
    }
    let _ = write!(
        out,
        "<svg class=\"chart bar-chart\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" \
         xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let y_end = top + row_h * chart.rows.len() as f64;
    axis_ticks(&mut out, x0, x1, top, y_end, max, chart.format);
    for (r, row) in chart.rows.iter().enumerate() {
        let y = top + row_h * r as f64;
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\">\
             <title>{}</title>{}</text>",
            x0 - 8.0,
            y + (row_h - row_gap) / 2.0,
            escape(&row.label),
            escape(&clip(&row.label, 48))
        );
        for (s, bar) in row.bars.iter().enumerate() {
            let by = y + bar_h * s as f64;
            let v = if bar.value.is_finite() {
                bar.value.max(0.0)
            } else {
                0.0
            };
            let w = scale(v) - x0;
            let name = chart.series.get(s).map_or("", String::as_str);
            let mut tip = format!("{}: {}", row.label, chart.format.format(bar.value));
            if !name.is_empty() {
                tip = format!("{name} · {tip}");
            }
            if let Some((lo, hi)) = bar.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                let _ = write!(
                    tip,
                    " [{}, {}]",
                    chart.format.format(lo),
                    chart.format.format(hi)
                );
            }
            let _ = write!(
                out,
                "<rect class=\"mark bar\" x=\"{x0:.1}\" y=\"{by:.1}\" width=\"{w:.1}\" \
                 height=\"{:.1}\" fill=\"{}\"><title>{}</title></rect>",
                bar_h - 1.0,
                color(s),
                escape(&tip)
            );
            let mut label_x = scale(v) + 4.0;
            if let Some((lo, hi)) = bar.interval.filter(|(l, h)| l.is_finite() && h.is_finite()) {
                let (xl, xh) = (scale(lo), scale(hi));
                let cy = by + (bar_h - 1.0) / 2.0;
                let _ = write!(
                    out,
                    "<path class=\"whisker\" d=\"M{xl:.1} {cy:.1}H{xh:.1}M{xl:.1} {:.1}V{:.1}\
                     M{xh:.1} {:.1}V{:.1}\"/>",
                    cy - 3.0,
                    cy + 3.0,
                    cy - 3.0,
                    cy + 3.0
                );
                label_x = label_x.max(xh + 4.0);
            }
            if chart.value_labels {
                let _ = write!(
                    out,
                    "<text class=\"tick\" x=\"{label_x:.1}\" y=\"{:.1}\" \
                     dominant-baseline=\"middle\">{}</text>",
                    by + (bar_h - 1.0) / 2.0,
                    escape(&chart.format.format(bar.value))
                );
            }
        }
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{x0:.1}\" y1=\"{top:.1}\" x2=\"{x0:.1}\" y2=\"{y_end:.1}\"/></svg>"
    );
    out
}

/// One row of a [`DivergingChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct DivergingRow {
    /// Row label (plain text).
    pub label: String,
    /// Signed value: positive toward the right-hand side, negative toward the left.
    pub value: f64,
    /// Extra text for the tooltip (plain text), e.g. counts.
    pub detail: String,
}

/// Bars growing left or right from a zero line, e.g. words typical of one group or the other.
#[derive(Debug, Clone, PartialEq)]
pub struct DivergingChart {
    /// Rows, top to bottom.
    pub rows: Vec<DivergingRow>,
    /// What negative values lean toward (plain text, written over the left half).
    pub left: String,
    /// What positive values lean toward (plain text, written over the right half).
    pub right: String,
    /// Value format.
    pub format: ValueFormat,
}

/// Renders a [`DivergingChart`]: labels sit beside the bars, on the side of the zero line
/// away from the bar.
pub fn diverging_chart(chart: &DivergingChart) -> String {
    let bar_h = 14.0;
    let row_h = bar_h + 5.0;
    let top = 24.0;
    let bottom = 22.0;
    let height = top + row_h * chart.rows.len() as f64 + bottom;
    let mid = WIDTH / 2.0;
    let half = WIDTH / 2.0 - 150.0;
    let max = nice_max(
        chart
            .rows
            .iter()
            .map(|r| r.value.abs())
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max),
    );
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"chart diverging-chart\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" \
         xmlns=\"http://www.w3.org/2000/svg\">\
         <text x=\"{:.1}\" y=\"14\" text-anchor=\"end\" font-weight=\"600\" fill=\"{}\">← {}</text>\
         <text x=\"{:.1}\" y=\"14\" font-weight=\"600\" fill=\"{}\">{} →</text>",
        mid - 8.0,
        color(1),
        escape(&chart.left),
        mid + 8.0,
        color(0),
        escape(&chart.right)
    );
    let y_end = top + row_h * chart.rows.len() as f64;
    let tick = tick_format(chart.format, max / 2.0);
    for i in -2i32..=2 {
        let v = max * f64::from(i) / 2.0;
        let x = mid + half * f64::from(i) / 2.0;
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{top:.1}\" x2=\"{x:.1}\" y2=\"{y_end:.1}\"/>\
             <text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            y_end + 14.0,
            escape(&tick.format(v))
        );
    }
    for (r, row) in chart.rows.iter().enumerate() {
        let y = top + row_h * r as f64;
        let v = if row.value.is_finite() {
            row.value
        } else {
            0.0
        };
        let w = half * (v.abs().min(max) / max);
        let (x, fill, anchor, lx) = if v >= 0.0 {
            (mid, color(0), "end", mid - 6.0)
        } else {
            (mid - w, color(1), "start", mid + 6.0)
        };
        let mut tip = format!("{}: {}", row.label, chart.format.format(row.value));
        if !row.detail.is_empty() {
            let _ = write!(tip, " ({})", row.detail);
        }
        let _ = write!(
            out,
            "<rect class=\"mark bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" \
             height=\"{bar_h:.1}\" fill=\"{fill}\"><title>{}</title></rect>\
             <text x=\"{lx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" \
             dominant-baseline=\"middle\">{}</text>",
            escape(&tip),
            y + bar_h / 2.0,
            escape(&clip(&row.label, 28))
        );
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{mid:.1}\" y1=\"{top:.1}\" x2=\"{mid:.1}\" y2=\"{y_end:.1}\"/></svg>"
    );
    out
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Series name (plain text).
    pub name: String,
    /// One value per x position; `None` (or a value that is not finite) leaves a gap.
    pub values: Vec<Option<f64>>,
    /// Optional interval per x position, drawn as a whisker at the point.
    pub intervals: Vec<Option<(f64, f64)>>,
}

/// Lines over ordered categories (time buckets), one colour per line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Category names along the x axis, in order.
    pub x: Vec<String>,
    /// The lines.
    pub lines: Vec<Line>,
    /// Value format of the y axis.
    pub format: ValueFormat,
    /// Axis maximum; `None` picks a round number above the largest value or interval end.
    pub max: Option<f64>,
}

/// Renders a [`LineChart`] as a legend and an SVG. A point with no neighbour is drawn as a dot
/// only.
pub fn line_chart(chart: &LineChart) -> String {
    let (left, right, top, bottom) = (56.0, 20.0, 10.0, 40.0);
    let height = 240.0;
    let (x0, x1, y0, y1) = (left, WIDTH - right, top, height - bottom);
    let n = chart.x.len();
    let finite = |v: &Option<f64>| v.filter(|x| x.is_finite());
    let data_max = chart
        .lines
        .iter()
        .flat_map(|l| {
            l.values.iter().filter_map(finite).chain(
                l.intervals
                    .iter()
                    .filter_map(|i| i.map(|(_, h)| h).filter(|h| h.is_finite())),
            )
        })
        .fold(0.0, f64::max);
    let max = chart.max.unwrap_or_else(|| nice_max(data_max));
    let px = |i: usize| {
        if n <= 1 {
            (x0 + x1) / 2.0
        } else {
            x0 + (x1 - x0) * i as f64 / (n - 1) as f64
        }
    };
    let py = |v: f64| y1 - (y1 - y0) * (v.clamp(0.0, max) / max);
    let mut out = legend(
        &chart
            .lines
            .iter()
            .map(|l| l.name.clone())
            .collect::<Vec<_>>(),
    );
    let _ = write!(
        out,
        "<svg class=\"chart line-chart\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" \
         xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let tick = tick_format(chart.format, max / 4.0);
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = py(v);
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x0:.1}\" y1=\"{y:.1}\" x2=\"{x1:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\" \
             dominant-baseline=\"middle\">{}</text>",
            x0 - 6.0,
            escape(&tick.format(v))
        );
    }
    // Label at most ~12 categories so that they do not overlap.
    let step = n.div_ceil(12).max(1);
    for (i, name) in chart.x.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let _ = write!(
                out,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                px(i),
                y1 + 16.0,
                escape(&clip(name, 12))
            );
        }
    }
    let _ = write!(
        out,
        "<line class=\"axis\" x1=\"{x0:.1}\" y1=\"{y1:.1}\" x2=\"{x1:.1}\" y2=\"{y1:.1}\"/>"
    );
    for (s, line) in chart.lines.iter().enumerate() {
        let c = color(s);
        // Runs of consecutive values become one polyline each.
        let mut run: Vec<(f64, f64)> = Vec::new();
        let flush = |run: &mut Vec<(f64, f64)>, out: &mut String| {
            if run.len() > 1 {
                let pts: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
                let _ = write!(
                    out,
                    "<polyline class=\"mark line\" fill=\"none\" stroke=\"{c}\" \
                     stroke-width=\"2\" points=\"{}\"/>",
                    pts.join(" ")
                );
            }
            run.clear();
        };
        for i in 0..n {
            match line.values.get(i).and_then(finite) {
                Some(v) => run.push((px(i), py(v))),
                None => flush(&mut run, &mut out),
            }
        }
        flush(&mut run, &mut out);
        for i in 0..n {
            let Some(v) = line.values.get(i).and_then(finite) else {
                continue;
            };
            let (x, y) = (px(i), py(v));
            let mut tip = format!("{} · {}: {}", line.name, chart.x[i], chart.format.format(v));
            if let Some((lo, hi)) = line
                .intervals
                .get(i)
                .copied()
                .flatten()
                .filter(|(l, h)| l.is_finite() && h.is_finite())
            {
                let _ = write!(
                    out,
                    "<path class=\"whisker\" stroke=\"{c}\" d=\"M{x:.1} {:.1}V{:.1}\"/>",
                    py(lo),
                    py(hi)
                );
                let _ = write!(
                    tip,
                    " [{}, {}]",
                    chart.format.format(lo),
                    chart.format.format(hi)
                );
            }
            let _ = write!(
                out,
                "<circle class=\"mark point\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{c}\">\
                 <title>{}</title></circle>",
                escape(&tip)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A table cell: plain text (escaped when rendered) or HTML.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, escaped when rendered.
    Text(String),
    /// A number or other right-aligned text, escaped when rendered.
    Num(String),
    /// HTML written as is.
    Html(String),
}

impl Cell {
    /// A plain-text cell.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// A right-aligned cell.
    pub fn num(s: impl Into<String>) -> Cell {
        Cell::Num(s.into())
    }

    /// An HTML cell.
    pub fn html(s: impl Into<String>) -> Cell {
        Cell::Html(s.into())
    }

    fn write(&self, out: &mut String, tag: &str) {
        match self {
            Cell::Text(s) => {
                let _ = write!(out, "<{tag}>{}</{tag}>", escape(s));
            }
            Cell::Num(s) => {
                let _ = write!(out, "<{tag} class=\"num\">{}</{tag}>", escape(s));
            }
            Cell::Html(s) => {
                let _ = write!(out, "<{tag}>{s}</{tag}>");
            }
        }
    }
}

/// A table with a header row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Header cells.
    pub header: Vec<Cell>,
    /// Body rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Renders the table.
    pub fn render(&self) -> String {
        let mut out = String::from("<table><thead><tr>");
        for c in &self.header {
            c.write(&mut out, "th");
        }
        out.push_str("</tr></thead><tbody>");
        for row in &self.rows {
            out.push_str("<tr>");
            for c in row {
                c.write(&mut out, "td");
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_table() {
        let cases = [
            ("plain text", "plain text"),
            ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
            ("\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"),
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            ("é — ünïcode", "é — ünïcode"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(escape(input), want, "{input:?}");
        }
        assert!(matches!(escape("nothing to do"), Cow::Borrowed(_)));
    }

    #[test]
    fn nice_max_rounds_up_to_round_numbers() {
        for (max, want) in [
            (0.37, 0.5),
            (0.5, 0.5),
            (0.51, 1.0),
            (1.0, 1.0),
            (3.2, 5.0),
            (7.0, 10.0),
            (18.0, 20.0),
            (0.021, 0.025),
            (0.0, 1.0),
            (f64::NAN, 1.0),
        ] {
            let got = nice_max(max);
            assert!((got - want).abs() < 1e-12, "{max}: {got} != {want}");
        }
    }

    #[test]
    fn ticks_get_the_decimals_they_need() {
        // (format, step, tick format)
        let cases = [
            (ValueFormat::Percent(0), 0.125, ValueFormat::Percent(1)),
            (ValueFormat::Percent(0), 0.25, ValueFormat::Percent(0)),
            (ValueFormat::Percent(0), 0.00625, ValueFormat::Percent(2)),
            (ValueFormat::Number(1), 1.25, ValueFormat::Number(2)),
            (ValueFormat::Number(0), 5.0, ValueFormat::Number(0)),
        ];
        for (f, step, want) in cases {
            assert_eq!(tick_format(f, step), want, "{f:?} {step}");
        }
    }

    #[test]
    fn value_formats() {
        assert_eq!(ValueFormat::Percent(1).format(0.2534), "25.3%");
        assert_eq!(ValueFormat::Percent(0).format(1.0), "100%");
        assert_eq!(ValueFormat::Number(2).format(-1.234), "-1.23");
        assert_eq!(ValueFormat::Number(2).format(f64::NAN), "–");
    }

    #[test]
    fn page_is_complete_and_escapes_its_title() {
        let html = page("A <b> & C", "sub \"title\"", "<p>body</p>");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>A &lt;b&gt; &amp; C</title>"));
        assert!(html.contains("<p class=\"lead\">sub &quot;title&quot;</p>"));
        assert!(html.contains("<p>body</p>"));
        assert!(html.contains("data-rendered-bars"));
        assert!(html.trim_end().ends_with("</html>"));
        // self-contained: nothing fetched
        for needle in ["http://", "https://", "src=", "<link"] {
            let outside_svg_ns = html.replace("http://www.w3.org/2000/svg", "");
            assert!(!outside_svg_ns.contains(needle), "{needle}");
        }
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn bar_chart_draws_one_bar_per_value_and_whiskers_for_intervals() {
        let chart = BarChart {
            rows: vec![
                BarRow {
                    label: "economic <&>".into(),
                    bars: vec![
                        Bar {
                            value: 0.4,
                            interval: Some((0.3, 0.5)),
                        },
                        Bar {
                            value: 0.2,
                            interval: Some((f64::NAN, f64::NAN)),
                        },
                    ],
                },
                BarRow {
                    label: "political".into(),
                    bars: vec![
                        Bar {
                            value: 0.0,
                            interval: None,
                        },
                        Bar {
                            value: 0.9,
                            interval: Some((0.8, 1.0)),
                        },
                    ],
                },
            ],
            series: vec!["Outlet A".into(), "Outlet B".into()],
            format: ValueFormat::Percent(0),
            max: None,
            value_labels: true,
        };
        let svg = bar_chart(&chart);
        assert_eq!(count(&svg, "class=\"mark bar\""), 4);
        assert_eq!(count(&svg, "class=\"whisker\""), 2);
        assert!(svg.contains("economic &lt;&amp;&gt;"));
        assert!(svg.contains("class=\"legend\""));
        assert!(svg.contains("Outlet B"));
        // axis up to 100%: the 0.9 bar is 90% of the plot width
        assert!(svg.contains(">100%<"));
    }

    #[test]
    fn diverging_chart_puts_negative_values_left() {
        let chart = DivergingChart {
            rows: vec![
                DivergingRow {
                    label: "charge".into(),
                    value: 3.0,
                    detail: "12 vs 2".into(),
                },
                DivergingRow {
                    label: "relief".into(),
                    value: -2.0,
                    detail: String::new(),
                },
            ],
            left: "B".into(),
            right: "A".into(),
            format: ValueFormat::Number(1),
        };
        let svg = diverging_chart(&chart);
        assert_eq!(count(&svg, "class=\"mark bar\""), 2);
        let x_of = |label: &str| -> f64 {
            let at = svg.find(&format!("<title>{label}:")).unwrap();
            let rect = svg[..at].rfind("<rect").unwrap();
            let x = &svg[rect..at];
            let x = &x[x.find("x=\"").unwrap() + 3..];
            x[..x.find('"').unwrap()].parse().unwrap()
        };
        assert!(x_of("charge") >= WIDTH / 2.0);
        assert!(x_of("relief") < WIDTH / 2.0);
        assert!(svg.contains("12 vs 2"));
    }

    #[test]
    fn line_chart_breaks_at_gaps() {
        let chart = LineChart {
            x: vec![
                "2026-01".into(),
                "2026-02".into(),
                "2026-03".into(),
                "2026-04".into(),
            ],
            lines: vec![Line {
                name: "all".into(),
                values: vec![Some(0.2), Some(0.3), None, Some(0.1)],
                intervals: vec![Some((0.1, 0.3)), None, None, None],
            }],
            format: ValueFormat::Percent(0),
            max: None,
        };
        let svg = line_chart(&chart);
        assert_eq!(count(&svg, "class=\"mark point\""), 3);
        assert_eq!(count(&svg, "class=\"mark line\""), 1);
        assert_eq!(count(&svg, "class=\"whisker\""), 1);
    }

    #[test]
    fn table_escapes_text_but_not_html_cells() {
        let t = Table {
            header: vec![Cell::text("a<b"), Cell::num("n")],
            rows: vec![vec![Cell::html("<b>x</b>"), Cell::num("1 & 2")]],
        };
        let html = t.render();
        assert!(html.contains("<th>a&lt;b</th>"));
        assert!(html.contains("<td><b>x</b></td>"));
        assert!(html.contains("<td class=\"num\">1 &amp; 2</td>"));
    }
}
