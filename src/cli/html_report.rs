//! `rhetor score --format html`: one self-contained page (inline CSS, inline SVG, a few lines of
//! script; nothing is fetched). Per document: a summary with a bar chart per task, then every
//! paragraph with its role, its labels and probabilities, and its evidence words highlighted
//! (hover a highlight to see which label it supports and by how much).
//!
//! The script only measures the rendered page and records what it found in `data-` attributes
//! of `<body>` (paragraphs, highlights and bars drawn, and whether anything overflows the
//! page), so a test can check the rendering in a real browser.

use std::fmt::Write as _;
use std::io::{self, Write};

use rhetor::corpus::TaskKind;
use rhetor::model::Head;
use rhetor::summary::{DocSummary, Schema};

use super::html::{bar_chart, escape, page_end, page_start, Bar};
use super::report::{Report, ScoredRow};
use super::table::DOCUMENT_LABEL_SHARE;

const STYLE: &str = r#"
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
            let bars: Vec<Bar> = ranked
                .iter()
                .map(|&l| Bar {
                    label: task.labels[l].clone(),
                    value: s.share(t, l),
                    low: None,
                    high: None,
                    note: format!(
                        "{} of {} paragraphs · mean p {:.2}",
                        s.tasks[t].labels[l].paragraphs,
                        s.body_paragraphs(),
                        s.mean_prob(t, l)
                    ),
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
            if bars.is_empty() {
                h.push_str("<p class=\"muted\">no label given</p>");
            } else {
                h.push_str(&bar_chart(&bars, 1.0));
            }
            if task.kind == TaskKind::Multi {
                let main = s.document_labels(t, DOCUMENT_LABEL_SHARE);
                if !main.is_empty() {
                    let names: Vec<String> =
                        main.iter().map(|&l| escape(&task.labels[l])).collect();
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
            out.write_all(page_start("rhetor report", STYLE).as_bytes())?;
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
            out.write_all(page_start("rhetor report", STYLE).as_bytes())?;
            out.write_all(b"<p class=\"muted\">No paragraphs.</p>")?;
        }
        out.write_all(page_end().as_bytes())
    }
}
