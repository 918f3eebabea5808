//! Pieces of rhetor's self-contained HTML reports: escaping, the page shell (inline CSS and the
//! layout check), and inline SVG charts. Nothing is ever fetched: a report is one file that
//! opens offline.

use std::fmt::Write as _;

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
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
    out
}

const BASE_STYLE: &str = r#"
:root { --fg: #1d2430; --muted: #5b6575; --line: #c9d1dc; --chip: #e8eef7; --bar: #3f6fb5; --bg: #fff; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); max-width: 1100px; margin: 0 auto; padding: 1.2rem; }
h1 { font-size: 1.4rem; margin: .2rem 0 1rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid var(--line); padding-bottom: .3rem; margin-top: 2rem; overflow-wrap: anywhere; }
h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.muted { color: var(--muted); font-size: .85rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: .8rem 1.5rem; }
figure { margin: 0; min-width: 0; }
figcaption { font-size: .85rem; font-weight: 600; margin-bottom: .3rem; }
svg.chart { max-width: 100%; height: auto; display: block; }
svg.chart text { font: 11px system-ui, sans-serif; fill: var(--fg); }
svg.chart rect.bar { fill: var(--bar); }
svg.chart line.ci { stroke: var(--fg); stroke-width: 1.2; }
"#;

/// Records what the browser rendered in `data-` attributes of `<body>`: paragraphs, highlights
/// and chart bars with a non-zero width, and elements wider than the page.
const LAYOUT_CHECK: &str = r#"
<script>
(function () {
  var b = document.body;
  var bars = Array.prototype.filter.call(document.querySelectorAll('rect.bar'),
    function (r) { return r.getBoundingClientRect().width > 0; }).length;
  var wide = Array.prototype.filter.call(document.querySelectorAll('section, article, figure, table'),
    function (e) { return e.getBoundingClientRect().right > document.documentElement.clientWidth + 1; }).length;
  b.setAttribute('data-rendered-paragraphs', document.querySelectorAll('article.para').length);
  b.setAttribute('data-rendered-marks', document.querySelectorAll('mark').length);
  b.setAttribute('data-rendered-bars', bars);
  b.setAttribute('data-overflowing', wide);
  b.setAttribute('data-layout', 'done');
})();
</script>
"#;

/// The start of a page, up to and including `<body>` and the title heading.
pub fn page_start(title: &str, style: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title><style>{BASE_STYLE}{style}</style></head>\n<body>\n<h1>{t}</h1>\n",
        t = escape(title)
    )
}

/// The end of a page: the layout check and the closing tags.
pub fn page_end() -> String {
    format!("{LAYOUT_CHECK}</body></html>\n")
}

/// One bar of a horizontal bar chart: a value in `[0, max]` with an optional interval.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Shown on hover and after the value.
    pub note: String,
}

/// A label cut to what fits beside a chart (the full label is in the bar's tooltip).
fn short_label(label: &str) -> String {
    const MAX: usize = 32;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
}

/// A horizontal bar chart (SVG) of values between 0 and `max`, drawn as percentages of `max`
/// when `max` is 1; intervals are drawn as whiskers.
pub fn bar_chart(bars: &[Bar], max: f64) -> String {
    let label_w = 200.0;
    let plot_w = 200.0;
    let row_h = 20.0;
    let w = label_w + plot_w + 60.0;
    let h = row_h * bars.len() as f64 + 4.0;
    let scale = |v: f64| (v.clamp(0.0, max) / max) * plot_w;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row_h + 2.0;
        let shown = if max == 1.0 {
            format!("{:.0}%", 100.0 * b.value)
        } else {
            format!("{:.2}", b.value)
        };
        let _ = write!(
            s,
            "<g><title>{}: {} ({})</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect class=\"bar\" x=\"{label_w}\" y=\"{}\" width=\"{:.1}\" height=\"{}\"></rect>",
            escape(&b.label),
            shown,
            escape(&b.note),
            label_w - 6.0,
            y + row_h * 0.65,
            escape(&short_label(&b.label)),
            y + 3.0,
            scale(b.value).max(0.5),
            row_h - 6.0
        );
        if let (Some(lo), Some(hi)) = (b.low, b.high) {
            let (x0, x1, ym) = (label_w + scale(lo), label_w + scale(hi), y + row_h / 2.0);
            let _ = write!(
                s,
                "<line class=\"ci\" x1=\"{x0:.1}\" x2=\"{x1:.1}\" y1=\"{ym}\" y2=\"{ym}\"></line>\
                 <line class=\"ci\" x1=\"{x0:.1}\" x2=\"{x0:.1}\" y1=\"{}\" y2=\"{}\"></line>\
                 <line class=\"ci\" x1=\"{x1:.1}\" x2=\"{x1:.1}\" y1=\"{}\" y2=\"{}\"></line>",
                ym - 4.0,
                ym + 4.0,
                ym - 4.0,
                ym + 4.0
            );
        }
        let right = b.high.map_or(scale(b.value), scale);
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\">{shown}</text></g>",
            label_w + right + 4.0,
            y + row_h * 0.65
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        for (raw, want) in [
            ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
            ("say \"hi\" it's", "say &quot;hi&quot; it&#39;s"),
            ("plain", "plain"),
        ] {
            assert_eq!(escape(raw), want);
        }
    }

    #[test]
    fn bar_chart_draws_one_bar_per_value_with_whiskers() {
        let bars = [
            Bar {
                label: "economic <x>".into(),
                value: 0.5,
                low: Some(0.25),
                high: Some(0.75),
                note: String::new(),
            },
            Bar {
                label: "political".into(),
                value: 0.0,
                low: None,
                high: None,
                note: String::new(),
            },
        ];
        let svg = bar_chart(&bars, 1.0);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 2);
        assert_eq!(svg.matches("<line class=\"ci\"").count(), 3);
        assert!(svg.contains("width=\"100.0\""), "half of the 200-wide plot");
        assert!(svg.contains("economic &lt;x&gt;") && svg.contains(">50%<"));
    }
}
