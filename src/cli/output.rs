//! Rendering of paragraph rows: aligned table, JSONL and CSV.

use std::io::{self, Write};

use rhetor::model::{Head, TaskScores};
use serde_json::{Map, Value};

/// One scored paragraph.
pub struct ParagraphRow<'a> {
    pub doc: &'a str,
    pub id: Option<&'a str>,
    pub extra: Option<&'a Map<String, Value>>,
    pub paragraph: usize,
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
    pub scores: &'a [TaskScores],
}

/// Output formats of `rhetor score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading in a terminal.
    Table,
    /// One JSON object per paragraph.
    Jsonl,
    /// One CSV row per paragraph, a probability column per label.
    Csv,
}

/// Probabilities are printed with four decimals everywhere, so output is stable.
fn round4(p: f32) -> f64 {
    (f64::from(p) * 10_000.0).round() / 10_000.0
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Writes rows in one of the formats.
pub struct RowWriter<'h, W: Write> {
    out: W,
    format: Format,
    heads: &'h [Head],
    with_text: bool,
    table_rows: Vec<Vec<String>>,
}

impl<'h, W: Write> RowWriter<'h, W> {
    pub fn new(out: W, format: Format, heads: &'h [Head], with_text: bool) -> io::Result<Self> {
        let mut w = RowWriter {
            out,
            format,
            heads,
            with_text,
            table_rows: Vec::new(),
        };
        match format {
            Format::Csv => {
                let mut cols: Vec<String> = ["doc", "id", "paragraph", "start", "end"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                for h in heads {
                    cols.push(h.task.clone());
                    for l in &h.labels {
                        cols.push(format!("{}:{}", h.task, l));
                    }
                }
                if with_text {
                    cols.push("text".into());
                }
                let line: Vec<String> = cols.iter().map(|c| csv_field(c)).collect();
                writeln!(w.out, "{}", line.join(","))?;
            }
            Format::Table => {
                let mut header = vec!["doc".to_string(), "¶".into(), "span".into()];
                header.extend(heads.iter().map(|h| h.task.clone()));
                if with_text {
                    header.push("text".into());
                }
                w.table_rows.push(header);
            }
            Format::Jsonl => {}
        }
        Ok(w)
    }

    fn predicted(head: &Head, s: &TaskScores) -> Vec<String> {
        s.predicted
            .iter()
            .map(|&i| head.labels[i].clone())
            .collect()
    }

    pub fn write(&mut self, row: &ParagraphRow) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                let mut obj = row.extra.cloned().unwrap_or_default();
                obj.insert("doc".into(), row.doc.into());
                if let Some(id) = row.id {
                    obj.insert("id".into(), id.into());
                }
                obj.insert("paragraph".into(), row.paragraph.into());
                obj.insert("start".into(), row.start.into());
                obj.insert("end".into(), row.end.into());
                let mut labels = Map::new();
                let mut scores = Map::new();
                for (h, s) in self.heads.iter().zip(row.scores) {
                    let pred = Self::predicted(h, s);
                    let value: Value = match h.kind() {
                        rhetor::corpus::TaskKind::Single => {
                            pred.into_iter().next().unwrap_or_default().into()
                        }
                        rhetor::corpus::TaskKind::Multi => pred.into(),
                    };
                    labels.insert(h.task.clone(), value);
                    let per: Map<String, Value> = h
                        .labels
                        .iter()
                        .zip(&s.probs)
                        .map(|(l, p)| (l.clone(), round4(*p).into()))
                        .collect();
                    scores.insert(h.task.clone(), per.into());
                }
                obj.insert("labels".into(), labels.into());
                obj.insert("scores".into(), scores.into());
                if self.with_text {
                    obj.insert("text".into(), row.text.into());
                }
                serde_json::to_writer(&mut self.out, &obj)?;
                writeln!(self.out)?;
            }
            Format::Csv => {
                let mut cols = vec![
                    csv_field(row.doc),
                    csv_field(row.id.unwrap_or("")),
                    row.paragraph.to_string(),
                    row.start.to_string(),
                    row.end.to_string(),
                ];
                for (h, s) in self.heads.iter().zip(row.scores) {
                    cols.push(csv_field(&Self::predicted(h, s).join(";")));
                    cols.extend(s.probs.iter().map(|p| format!("{:.4}", round4(*p))));
                }
                if self.with_text {
                    cols.push(csv_field(row.text));
                }
                writeln!(self.out, "{}", cols.join(","))?;
            }
            Format::Table => {
                let mut cols = vec![
                    row.doc.to_string(),
                    row.paragraph.to_string(),
                    format!("{}-{}", row.start, row.end),
                ];
                for (h, s) in self.heads.iter().zip(row.scores) {
                    let cell: Vec<String> = s
                        .predicted
                        .iter()
                        .map(|&i| format!("{} {:.2}", h.labels[i], s.probs[i]))
                        .collect();
                    cols.push(if cell.is_empty() {
                        "-".into()
                    } else {
                        cell.join(", ")
                    });
                }
                if self.with_text {
                    let short: String = row.text.chars().take(60).collect();
                    cols.push(short.replace(['\n', '\r'], " "));
                }
                self.table_rows.push(cols);
            }
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<()> {
        if self.format == Format::Table {
            let n_cols = self.table_rows.first().map_or(0, Vec::len);
            let widths: Vec<usize> = (0..n_cols)
                .map(|c| {
                    self.table_rows
                        .iter()
                        .map(|r| r[c].chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            for r in &self.table_rows {
                let mut line = String::new();
                for (c, cell) in r.iter().enumerate() {
                    if c > 0 {
                        line.push_str("  ");
                    }
                    if c + 1 == n_cols {
                        line.push_str(cell);
                    } else {
                        let pad = widths[c] - cell.chars().count();
                        line.push_str(cell);
                        line.extend(std::iter::repeat_n(' ', pad));
                    }
                }
                writeln!(self.out, "{}", line.trim_end())?;
            }
        }
        self.out.flush()
    }
}
