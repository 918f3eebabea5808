//! `rhetor score --format html`: one self-contained page (inline CSS, inline SVG, a few lines of
//! script; nothing is fetched). Per document: a summary with a bar chart per task, then every
//! paragraph with its role, its labels and probabilities, and its evidence words highlighted
//! (hover a highlight to see which label it supports and by how much).
//!
//! The page's scripts only measure the rendered page and record what they found in `data-`
//! attributes of `<body>` (chart bars laid out, see `html.rs`; paragraphs and highlights drawn,
//! and elements wider than the window), so a test can check the rendering in a real browser.

use std::fmt::Write as _;
use std::io::{self, Write};

use rhetor::corpus::TaskKind;
use rhetor::model::Head;
use rhetor::summary::{DocSummary, Schema};

use super::html::{bar_chart, escape, page_end, page_start, Bar, BarChart, BarRow, ValueFormat};
use super::report::{Report, ScoredRow};
use super::table::DOCUMENT_LABEL_SHARE;

const STYLE: &str = r#"
:root { --chip: #e8eef7; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 0 2rem; }
.charts figure { min-width: 0; }
.charts svg.chart { max-width: 640px; }
.muted { color: var(--muted); font-size: 13px; }
article.para { border-left: 3px solid var(--line); padding: .3rem .8rem; margin: .6rem 0; }
article.para.nonbody { opacity: .6; }
article.para header { font-size: .85rem; color: var(--muted); display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; }
.role { text-transform: uppercase; font-size: .7rem; letter-spacing: .05em; border: 1px solid var(--line); border-radius: 3px; padding: 0 .3rem; }
.chip { display: inline-block; border-radius: 1rem; padding: .05rem .55rem; margin: .1rem .15rem; font-size: .8rem; background: var(--chip); }
.chip b { font-weight: 600; }
.chip .p { color: var(--muted); margin-left: .25rem; }
.task { color: var(--muted); font-size: .75rem; margin-left: .4rem; }
p.text { margin: .35rem 0; line-height: 1.5; }
mark { background: #ffe58a; border-radius: 2px; padding: 0 1px; }
.why { font-size: .8rem; color: var(--muted); margin: .2rem 0 .4rem; }
.why q { color: var(--fg); }
"#;

/// Counts what the browser laid out: paragraphs, highlights with a size, and elements wider
/// than the window.
const SCORE_CHECK: &str = "(function(){var b=document.body;function n(s){var c=0;document.querySelectorAll(s).forEach(function(e){var x=e.getBoundingClientRect();if(x.width>0&&x.height>0)c++});return c}\
b.setAttribute('data-paragraphs',n('article.para'));b.setAttribute('data-highlights',n('mark'));\
var w=document.documentElement.clientWidth,o=0;document.querySelectorAll('section,article,figure').forEach(function(e){if(e.getBoundingClientRect().right>w+1)o++});\
b.setAttribute('data-overflowing',o);b.setAttribute('data-layout','done')})();";

/// The HTML report.
pub struct HtmlReport<'m> {
    heads: &'m [Head],
    schema: Schema,
    /// Rows of the current document (its summary comes first on the page, so the document is
    /// rendered when it ends).
    body: String,
    docs: usize,
}

impl<'m> HtmlReport<'m> {
    pub fn new(heads: &'m [Head]) -> Self {
        HtmlReport {
            heads,
            schema: Schema::of_heads(heads),
            body: String::new(),
            docs: 0,
        }
    }

    fn paragraph(&mut self, row: &ScoredRow) {
        let b = &mut self.body;
        let class = if row.role.is_body() {
            "para"
        } else {
            "para nonbody"
        };
        let _ = write!(
            b,
            "<article class=\"{class}\" data-paragraph=\"{}\"><header><span>¶ {}</span><span class=\"role\">{}</span><span>bytes {}–{}</span>",
            row.paragraph,
            row.paragraph,
            row.role.as_str(),
            row.start,
            row.end
        );
        for (h, head) in self.heads.iter().enumerate() {
            let Some(s) = row.scores.get(h) else { continue };
            if s.predicted.is_empty() {
                continue;
            }
            let _ = write!(b, "<span class=\"task\">{}</span>", escape(&head.task));
            for &l in &s.predicted {
                let _ = write!(
                    b,
                    "<span class=\"chip\"><b>{}</b><span class=\"p\">{:.2}</span></span>",
                    escape(&head.labels[l]),
                    s.probs[l]
                );
            }
        }
        b.push_str("</header>");
        // Highlights: the union of every evidence span, each with the labels it supports.
        let mut spans: Vec<(usize, usize, String)> = Vec::new();
        for e in &row.evidence {
            let label = format!(
                "{}: {}",
                self.heads[e.task].task, self.heads[e.task].labels[e.label]
            );
            for ev in &e.evidence {
                for &(s, t) in &ev.spans {
                    spans.push((s, t, format!("{label} {:+.2}", ev.weight)));
                }
            }
        }
        spans.sort_by_key(|s| (s.0, s.1));
        let mut merged: Vec<(usize, usize, Vec<String>)> = Vec::new();
        for (s, t, why) in spans {
            match merged.last_mut() {
                Some(last) if s < last.1 => {
                    last.1 = last.1.max(t);
                    if !last.2.contains(&why) {
                        last.2.push(why);
                    }
                }
                _ => merged.push((s, t, vec![why])),
            }
        }
        b.push_str("<p class=\"text\">");
        let text = &row.text;
        let mut at = 0;
        for (s, t, why) in &merged {
            if *s < at
                || *t > text.len()
                || !text.is_char_boundary(*s)
                || !text.is_char_boundary(*t)
            {
                continue;
            }
            b.push_str(&escape(&text[at..*s]));
            let _ = write!(
                b,
                "<mark title=\"{}\">{}</mark>",
                escape(&why.join("; ")),
                escape(&text[*s..*t])
            );
            at = *t;
        }
        b.push_str(&escape(&text[at..]));
        b.push_str("</p>");
        for e in &row.evidence {
            if e.evidence.is_empty() {
                continue;
            }
            let words: Vec<String> = e
                .evidence
                .iter()
                .map(|ev| format!("<q>{}</q> {:+.2}", escape(&ev.text), ev.weight))
                .collect();
            let _ = write!(
                b,
                "<div class=\"why\">why <b>{}</b>: {}</div>",
                escape(&self.heads[e.task].labels[e.label]),
                words.join(", ")
            );
        }
        b.push_str("</article>\n");
    }

    fn summary(&self, s: &DocSummary) -> String {
        let mut h = String::new();
        let r = &s.roles;
        let _ = write!(
            h,
            "<p class=\"muted\">{} body paragraphs, {} words; not scored: {} headline, {} byline, {} boilerplate.</p><div class=\"charts\">",
            s.body_paragraphs(),
            s.body_words,
            r.headline,
            r.byline,
            r.boilerplate
        );
        for (t, task) in self.schema.tasks.iter().enumerate() {
            let ranked = s.ranked(t);
            let rows: Vec<BarRow> = ranked
                .iter()
                .map(|&l| BarRow {
                    label: task.labels[l].clone(),
                    bars: vec![Bar {
                        value: s.share(t, l),
                        interval: None,
                    }],
                })
                .collect();
            let title = match task.kind {
                TaskKind::Single => format!("{}: mix over body paragraphs", task.task),
                TaskKind::Multi => format!(
                    "{}: share of body paragraphs ({} labels, {:.0} per 100 paragraphs, {:.1} per 1,000 words)",
                    task.task,
                    s.tasks[t].total_labels,
                    s.total_per_100_paragraphs(t),
                    s.total_per_1000_words(t)
                ),
            };
            let _ = write!(h, "<figure><figcaption>{}</figcaption>", escape(&title));
            if rows.is_empty() {
                h.push_str("<p class=\"muted\">no label given</p>");
            } else {
                h.push_str(&bar_chart(&BarChart {
                    rows,
                    series: Vec::new(),
                    format: ValueFormat::Percent(0),
                    max: Some(1.0),
                    value_labels: true,
                }));
            }
            if task.kind == TaskKind::Multi {
                let main = s.document_labels(t, DOCUMENT_LABEL_SHARE);
                if !main.is_empty() {
                    let names: Vec<String> = main
                        .iter()
                        .map(|&l| escape(&task.labels[l]).into_owned())
                        .collect();
                    let _ = write!(
                        h,
                        "<p class=\"muted\">in ≥{:.0}% of paragraphs: <b>{}</b></p>",
                        100.0 * DOCUMENT_LABEL_SHARE,
                        names.join(", ")
                    );
                }
                if !s.tasks[t].most_loaded.is_empty() {
                    let items: Vec<String> = s.tasks[t]
                        .most_loaded
                        .iter()
                        .map(|m| {
                            format!(
                                "<a href=\"#d{}p{}\">¶ {}</a> ({})",
                                self.docs,
                                m.paragraph,
                                m.paragraph,
                                m.labels
                                    .iter()
                                    .map(|&l| escape(&task.labels[l]))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        })
                        .collect();
                    let _ = write!(
                        h,
                        "<p class=\"muted\">most loaded: {}</p>",
                        items.join(" · ")
                    );
                }
            }
            h.push_str("</figure>");
        }
        h.push_str("</div>");
        h
    }
}

impl Report for HtmlReport<'_> {
    fn rows(&mut self, out: &mut dyn Write, rows: &[ScoredRow], first: bool) -> io::Result<()> {
        if self.docs == 0 && first {
            out.write_all(page_start("rhetor report", "", STYLE).as_bytes())?;
        }
        for row in rows {
            let _ = write!(self.body, "<a id=\"d{}p{}\"></a>", self.docs, row.paragraph);
            self.paragraph(row);
        }
        Ok(())
    }

    fn end_document(&mut self, out: &mut dyn Write, s: &DocSummary) -> io::Result<()> {
        let mut h = String::new();
        let _ = write!(
            h,
            "<section class=\"doc\"><h2>{}</h2>{}<h3>Paragraphs</h3>",
            escape(&s.doc),
            self.summary(s)
        );
        out.write_all(h.as_bytes())?;
        out.write_all(self.body.as_bytes())?;
        out.write_all(b"</section>\n")?;
        self.body.clear();
        self.docs += 1;
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.docs == 0 {
            out.write_all(page_start("rhetor report", "", STYLE).as_bytes())?;
            out.write_all(b"<p class=\"muted\">No paragraphs.</p>")?;
        }
        out.write_all(page_end(SCORE_CHECK).as_bytes())
    }
}
