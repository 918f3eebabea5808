//! The terminal report of `rhetor score`: per document, a heading, aligned columns (paragraph,
//! role, one column per task; a multi-label task lists one label per line), then the
//! document's summary. Text is wrapped to the terminal width; colour is used on a terminal only
//! (and never with `NO_COLOR` set or `--color never`).

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};
use rhetor::corpus::TaskKind;
use rhetor::model::Head;
use rhetor::summary::{DocSummary, Schema};
use unicode_width::UnicodeWidthStr;

use super::report::{Report, ScoredRow};

/// Share of body paragraphs from which a multi-label task's label counts as one of the
/// document's own labels in the summary.
pub const DOCUMENT_LABEL_SHARE: f64 = 0.25;

/// Labels listed per task in the summary.
const SUMMARY_LABELS: usize = 6;

/// Styles, all plain when colour is off.
#[derive(Clone, Copy)]
struct Palette {
    title: Style,
    header: Style,
    dim: Style,
    label: Style,
    evidence: Style,
}

impl Palette {
    fn new(colour: bool) -> Palette {
        if !colour {
            let p = Style::new();
            return Palette {
                title: p,
                header: p,
                dim: p,
                label: p,
                evidence: p,
            };
        }
        Palette {
            title: Style::new().effects(Effects::BOLD),
            header: Style::new().effects(Effects::BOLD | Effects::UNDERLINE),
            dim: Style::new().effects(Effects::DIMMED),
            label: Style::new().fg_color(Some(AnsiColor::Cyan.into())),
            evidence: Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        }
    }
}

fn paint(style: Style, s: &str) -> String {
    if style == Style::new() {
        s.to_string()
    } else {
        format!("{}{s}{}", style.render(), style.render_reset())
    }
}

fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Splits a label into lines of at most `w` columns, breaking after `_` or `-` where possible.
fn wrap_label(label: &str, w: usize) -> Vec<String> {
    if width(label) <= w || w == 0 {
        return vec![label.to_string()];
    }
    let mut pieces: Vec<&str> = Vec::new();
    let mut from = 0;
    for (i, c) in label.char_indices() {
        if c == '_' || c == '-' {
            pieces.push(&label[from..i + 1]);
            from = i + 1;
        }
    }
    pieces.push(&label[from..]);
    let mut lines = vec![String::new()];
    for piece in pieces {
        let current = lines.len() - 1;
        if !lines[current].is_empty() && width(&lines[current]) + width(piece) > w {
            lines.push(String::new());
        }
        for c in piece.chars() {
            let current = lines.len() - 1;
            if width(&lines[current]) + c.to_string().width() > w {
                lines.push(String::new());
            }
            lines.last_mut().expect("one line at least").push(c);
        }
    }
    lines
}

/// `s` cut to `w` columns, with an ellipsis when cut.
fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&out) + c.to_string().width() + 1 > w {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// One label with its probability, aligned on the probability.
struct Entry {
    name: String,
    prob: f32,
}

/// A cell: plain text, or labels with probabilities.
enum Cell {
    Text(String),
    Labels(Vec<Entry>),
}

impl Cell {
    fn natural_width(&self) -> usize {
        match self {
            Cell::Text(t) => width(t),
            Cell::Labels(es) => es.iter().map(|e| width(&e.name) + 5).max().unwrap_or(0),
        }
    }

    /// The cell's lines at column width `w` (labels wrapped, probabilities right-aligned).
    fn lines(&self, w: usize, p: &Palette) -> Vec<(String, usize)> {
        match self {
            Cell::Text(t) => vec![(t.clone(), width(t))],
            Cell::Labels(es) => {
                let name_w = w.saturating_sub(5).max(1);
                let mut out = Vec::new();
                for e in es {
                    let parts = wrap_label(&e.name, name_w);
                    let last = parts.len() - 1;
                    for (i, part) in parts.into_iter().enumerate() {
                        let pw = width(&part);
                        if i < last {
                            out.push((paint(p.label, &part), pw));
                        } else {
                            let pad = name_w.saturating_sub(pw);
                            let prob = format!("{:.2}", e.prob);
                            let s = format!(
                                "{}{} {}",
                                paint(p.label, &part),
                                " ".repeat(pad),
                                paint(p.dim, &prob)
                            );
                            out.push((s, pw + pad + 5));
                        }
                    }
                }
                out
            }
        }
    }
}

/// The terminal report.
pub struct TableReport<'m> {
    heads: &'m [Head],
    schema: Schema,
    palette: Palette,
    /// Terminal width.
    width: usize,
    with_text: bool,
}

impl<'m> TableReport<'m> {
    pub fn new(heads: &'m [Head], colour: bool, width: usize, with_text: bool) -> Self {
        TableReport {
            heads,
            schema: Schema::of_heads(heads),
            palette: Palette::new(colour),
            width: width.max(40),
            with_text,
        }
    }

    fn cells(&self, row: &ScoredRow) -> Vec<Cell> {
        let mut cells = vec![
            Cell::Text(row.paragraph.to_string()),
            Cell::Text(row.role.as_str().to_string()),
        ];
        for (h, head) in self.heads.iter().enumerate() {
            let Some(s) = row.scores.get(h) else {
                cells.push(Cell::Text(String::new()));
                continue;
            };
            let entries: Vec<Entry> = s
                .predicted
                .iter()
                .map(|&i| Entry {
                    name: head.labels[i].clone(),
                    prob: s.probs[i],
                })
                .collect();
            cells.push(if entries.is_empty() {
                Cell::Text("-".into())
            } else {
                Cell::Labels(entries)
            });
        }
        cells
    }

    /// Column widths fitted to the terminal: the widest label columns give way first.
    fn widths(&self, table: &[Vec<Cell>], header: &[String]) -> Vec<usize> {
        let mut w: Vec<usize> = header.iter().map(|h| width(h)).collect();
        for r in table {
            for (c, cell) in r.iter().enumerate() {
                w[c] = w[c].max(cell.natural_width());
            }
        }
        let gaps = 2 * (w.len() - 1);
        let floor = 16;
        while w.iter().sum::<usize>() + gaps > self.width {
            let (c, &widest) = w
                .iter()
                .enumerate()
                .skip(2)
                .max_by_key(|&(i, v)| (*v, std::cmp::Reverse(i)))
                .expect("task columns");
            if widest <= floor {
                break;
            }
            w[c] = widest - 1;
        }
        w
    }

    fn wrapped(
        &self,
        text: &str,
        indent: usize,
        style: Style,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let avail = self.width.saturating_sub(indent).max(20);
        let pad = " ".repeat(indent);
        for line in textwrap::wrap(text, avail) {
            writeln!(out, "{pad}{}", paint(style, &line))?;
        }
        Ok(())
    }
}

impl Report for TableReport<'_> {
    fn rows(&mut self, out: &mut dyn Write, rows: &[ScoredRow], first: bool) -> io::Result<()> {
        let p = self.palette;
        if first {
            let doc = &rows[0].doc;
            writeln!(out, "{}", paint(p.title, &format!("── {doc} ──")))?;
        }
        let mut header = vec!["¶".to_string(), "role".to_string()];
        header.extend(self.heads.iter().map(|h| h.task.clone()));
        let table: Vec<Vec<Cell>> = rows.iter().map(|r| self.cells(r)).collect();
        let widths = self.widths(&table, &header);
        let line_of = |cells: Vec<(String, usize)>| -> String {
            let mut s = String::new();
            for (c, (text, w)) in cells.iter().enumerate() {
                if c > 0 {
                    s.push_str("  ");
                }
                s.push_str(text);
                if c + 1 < cells.len() {
                    s.push_str(&" ".repeat(widths[c].saturating_sub(*w)));
                }
            }
            s.trim_end().to_string()
        };
        let head_cells: Vec<(String, usize)> = header
            .iter()
            .enumerate()
            .map(|(c, h)| {
                let padded = format!("{h}{}", " ".repeat(widths[c].saturating_sub(width(h))));
                (paint(p.header, &padded), widths[c])
            })
            .collect();
        writeln!(out, "{}", line_of(head_cells))?;
        let indent = widths[0] + 2 + widths[1] + 2;
        for (row, cells) in rows.iter().zip(&table) {
            if !row.role.is_body() {
                // Headline, byline, boilerplate: their text in place of labels, on one line.
                let text = row.text.replace(['\r', '\n'], " ");
                let avail = self.width.saturating_sub(indent).max(20);
                let shown = truncate(&text, avail);
                let cells = vec![
                    (
                        paint(p.dim, &row.paragraph.to_string()),
                        width(&row.paragraph.to_string()),
                    ),
                    (paint(p.dim, row.role.as_str()), width(row.role.as_str())),
                    (paint(p.dim, &shown), width(&shown)),
                ];
                writeln!(out, "{}", line_of(cells))?;
                continue;
            }
            let lines: Vec<Vec<(String, usize)>> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, &w)| cell.lines(w, &p))
                .collect();
            let height = lines.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let cells: Vec<(String, usize)> = lines
                    .iter()
                    .map(|l| l.get(k).cloned().unwrap_or_default())
                    .collect();
                writeln!(out, "{}", line_of(cells))?;
            }
            if self.with_text {
                let text = row.text.replace(['\r', '\n'], " ");
                self.wrapped(&text, indent, p.dim, out)?;
            }
            for e in &row.evidence {
                if e.evidence.is_empty() {
                    continue;
                }
                let head = &self.heads[e.task];
                let words: Vec<String> = e
                    .evidence
                    .iter()
                    .map(|ev| {
                        format!(
                            "{} {:+.2}",
                            paint(p.evidence, &format!("“{}”", ev.text.replace('\n', " "))),
                            ev.weight
                        )
                    })
                    .collect();
                let why = format!(
                    "{} {}: {}",
                    paint(p.dim, "why"),
                    head.labels[e.label],
                    words.join(", ")
                );
                // Wrapping would cut colour codes apart: evidence lines are kept whole.
                writeln!(out, "{}{why}", " ".repeat(indent))?;
            }
        }
        Ok(())
    }

    fn end_document(&mut self, out: &mut dyn Write, s: &DocSummary) -> io::Result<()> {
        let p = self.palette;
        let r = &s.roles;
        let mut other = Vec::new();
        for (n, what) in [
            (r.headline, "headline"),
            (r.byline, "byline"),
            (r.boilerplate, "boilerplate"),
        ] {
            if n > 0 {
                other.push(format!("{n} {what}"));
            }
        }
        let also = if other.is_empty() {
            String::new()
        } else {
            format!(" (not scored: {})", other.join(", "))
        };
        writeln!(out)?;
        writeln!(
            out,
            "{}  {} body paragraphs, {} words{also}",
            paint(p.title, "Summary"),
            s.body_paragraphs(),
            s.body_words
        )?;
        let name_w = self
            .schema
            .tasks
            .iter()
            .map(|t| width(&t.task))
            .max()
            .unwrap_or(0)
            .max("most loaded".len());
        let indent = 2 + name_w + 2;
        let body = s.body_paragraphs();
        let pct = |share: f64| format!("{:.0}%", 100.0 * share);
        for (t, task) in self.schema.tasks.iter().enumerate() {
            let ranked = s.ranked(t);
            let tally = &s.tasks[t];
            let mut lines = Vec::new();
            match task.kind {
                TaskKind::Single => {
                    let mix: Vec<String> = ranked
                        .iter()
                        .map(|&l| {
                            format!(
                                "{} {} ({})",
                                task.labels[l],
                                pct(s.share(t, l)),
                                tally.labels[l].paragraphs
                            )
                        })
                        .collect();
                    lines.push(if mix.is_empty() {
                        "-".to_string()
                    } else {
                        mix.join(" · ")
                    });
                }
                TaskKind::Multi => {
                    lines.push(format!(
                        "{} labels in {} of {body} paragraphs: {:.0} per 100 paragraphs, {:.1} per 1,000 words",
                        tally.total_labels,
                        tally.labelled_paragraphs,
                        s.total_per_100_paragraphs(t),
                        s.total_per_1000_words(t)
                    ));
                    let main = s.document_labels(t, DOCUMENT_LABEL_SHARE);
                    if !main.is_empty() {
                        let names: Vec<&str> =
                            main.iter().map(|&l| task.labels[l].as_str()).collect();
                        lines.push(format!(
                            "in ≥{:.0}% of paragraphs: {}",
                            100.0 * DOCUMENT_LABEL_SHARE,
                            names.join(", ")
                        ));
                    }
                    let top: Vec<String> = ranked
                        .iter()
                        .take(SUMMARY_LABELS)
                        .map(|&l| {
                            format!(
                                "{} {} ({}, mean p {:.2})",
                                task.labels[l],
                                pct(s.share(t, l)),
                                tally.labels[l].paragraphs,
                                s.mean_prob(t, l)
                            )
                        })
                        .collect();
                    if !top.is_empty() {
                        let more = ranked.len().saturating_sub(SUMMARY_LABELS);
                        let mut l = top.join(" · ");
                        if more > 0 {
                            l.push_str(&format!(" · {more} more"));
                        }
                        lines.push(l);
                    }
                }
            }
            for (i, line) in lines.iter().enumerate() {
                let name = if i == 0 { task.task.as_str() } else { "" };
                let avail = self.width.saturating_sub(indent).max(20);
                for (j, w) in textwrap::wrap(line, avail).iter().enumerate() {
                    if i == 0 && j == 0 {
                        let pad = " ".repeat(name_w - width(name));
                        writeln!(out, "  {}{pad}  {w}", paint(p.header, name))?;
                    } else {
                        writeln!(out, "{}{w}", " ".repeat(indent))?;
                    }
                }
            }
        }
        // The paragraphs most loaded with labels, per multi-label task.
        let mut loaded_lines = Vec::new();
        for (t, task) in self.schema.tasks.iter().enumerate() {
            if task.kind != TaskKind::Multi || s.tasks[t].most_loaded.is_empty() {
                continue;
            }
            let items: Vec<String> = s.tasks[t]
                .most_loaded
                .iter()
                .map(|m| {
                    let names: Vec<&str> =
                        m.labels.iter().map(|&l| task.labels[l].as_str()).collect();
                    format!("¶{} ({})", m.paragraph, names.join(", "))
                })
                .collect();
            loaded_lines.push(format!("{}: {}", task.task, items.join(" · ")));
        }
        for (i, line) in loaded_lines.iter().enumerate() {
            let avail = self.width.saturating_sub(indent).max(20);
            for (j, w) in textwrap::wrap(line, avail).iter().enumerate() {
                if i == 0 && j == 0 {
                    let name = "most loaded";
                    let pad = " ".repeat(name_w - width(name));
                    writeln!(out, "  {}{pad}  {w}", paint(p.header, name))?;
                } else {
                    writeln!(out, "{}{w}", " ".repeat(indent))?;
                }
            }
        }
        writeln!(out)?;
        Ok(())
    }

    fn finish(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_at_underscores_within_width() {
        // (label, width, lines)
        let cases: [(&str, usize, &[&str]); 4] = [
            ("economic", 20, &["economic"]),
            (
                "legality_constitutionality_and_jurisprudence",
                20,
                &["legality_", "constitutionality_", "and_jurisprudence"],
            ),
            ("abcdefghij", 4, &["abcd", "efgh", "ij"]),
            ("a_b_c", 3, &["a_", "b_c"]),
        ];
        for (label, w, want) in cases {
            let got = wrap_label(label, w);
            assert_eq!(got, want, "{label} at {w}");
            assert!(got.iter().all(|l| width(l) <= w));
            assert_eq!(got.concat(), label);
        }
    }
}
