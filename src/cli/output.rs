//! Rendering scored paragraphs as JSONL and CSV (the table and HTML reports, which group rows
//! by document, are in `table.rs` and `html_report.rs`).
//!
//! Rows are formatted into byte buffers by the parallel stage of `rhetor score`; the writer only
//! concatenates them, so output is the same whatever the number of threads. JSON is written by
//! hand (label names are escaped once, up front) because formatting is a large share of the time
//! of a scoring run.

use std::borrow::Cow;
use std::io::Write;

use rhetor::corpus::TaskKind;
use rhetor::model::{Head, LabelEvidence, TaskScores};
use rhetor::text::Role;
use serde_json::value::RawValue;

/// Output formats of `rhetor score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for reading in a terminal.
    Table,
    /// One JSON object per paragraph.
    Jsonl,
    /// One CSV row per paragraph, a probability column per label.
    Csv,
    /// One self-contained HTML page: paragraphs with their labels and evidence, and charts.
    Html,
}

/// One scored paragraph.
pub struct ParagraphRow<'a> {
    pub doc: &'a str,
    pub id: Option<&'a str>,
    /// The record's stance target (JSONL input), carried through.
    pub target: Option<&'a str>,
    /// Input fields to carry through (JSONL input), raw.
    pub fields: &'a [(Cow<'a, str>, &'a RawValue)],
    pub paragraph: usize,
    pub start: usize,
    pub end: usize,
    pub text: &'a str,
    /// Headline, byline, boilerplate or body. Only body paragraphs are labelled: the others
    /// have empty `scores`.
    pub role: Role,
    pub scores: &'a [TaskScores],
    /// With `--explain`: the evidence for every predicted label.
    pub evidence: Option<&'a [LabelEvidence]>,
}

/// Keys that rhetor writes itself; input fields of these names are not carried through.
pub const OWN_KEYS: [&str; 10] = [
    "doc",
    "id",
    "paragraph",
    "start",
    "end",
    "role",
    "labels",
    "scores",
    "evidence",
    "text",
];

fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(out, s).expect("writing to a Vec cannot fail");
}

/// `p` rounded to four decimals, written as serde_json writes that f64 (`0.0`, `0.5`, `0.1234`).
fn json_prob(out: &mut Vec<u8>, p: f32) {
    let v = prob_ten_thousandths(p);
    match v {
        0 => out.extend_from_slice(b"0.0"),
        10_000 => out.extend_from_slice(b"1.0"),
        _ => {
            let digits = [
                b'0',
                b'.',
                b'0' + (v / 1000) as u8,
                b'0' + (v / 100 % 10) as u8,
                b'0' + (v / 10 % 10) as u8,
                b'0' + (v % 10) as u8,
            ];
            let zeros = count_trailing_decimal_zeros(v);
            out.extend_from_slice(&digits[..6 - zeros]);
        }
    }
}

/// How many of the four decimals of `v` / 10,000 are trailing zeros (`v` in 1..10,000).
fn count_trailing_decimal_zeros(v: u32) -> usize {
    if v.is_multiple_of(1000) {
        3
    } else if v.is_multiple_of(100) {
        2
    } else if v.is_multiple_of(10) {
        1
    } else {
        0
    }
}

/// `p` in ten-thousandths, rounded half away from zero and clamped to 0..=10,000 (NaN → 0).
/// `p` × 10,000 is exact in f64 (24 + 14 significant bits), so adding one half and truncating
/// rounds exactly as `f64::round` does, without the libm call.
#[inline]
fn prob_ten_thousandths(p: f32) -> u32 {
    let x = (f64::from(p) * 10_000.0).clamp(0.0, 10_000.0);
    (x + 0.5) as u32
}

/// `p` with exactly four decimals (`0.1230`), for CSV.
fn fixed_prob(out: &mut Vec<u8>, p: f32) {
    let v = prob_ten_thousandths(p);
    let _ = write!(out, "{}.{:04}", v / 10_000, v % 10_000);
}

fn csv_field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Pre-rendered names of one head.
struct HeadNames {
    /// `"task":`
    key: Vec<u8>,
    /// `"label"` per label.
    labels: Vec<Vec<u8>>,
    /// `"label":` for the first label, `,"label":` for the others (the keys of `scores`).
    score_keys: Vec<Vec<u8>>,
}

/// Formats rows; `Sync`, shared by the threads that score.
pub struct RowFormatter<'h> {
    format: Format,
    heads: &'h [Head],
    names: Vec<HeadNames>,
    with_text: bool,
    explain: bool,
}

impl<'h> RowFormatter<'h> {
    pub fn new(format: Format, heads: &'h [Head], with_text: bool, explain: bool) -> Self {
        let names = heads
            .iter()
            .map(|h| {
                let mut key = Vec::new();
                json_str(&mut key, &h.task);
                key.push(b':');
                let labels = h
                    .labels
                    .iter()
                    .map(|l| {
                        let mut v = Vec::new();
                        json_str(&mut v, l);
                        v
                    })
                    .collect::<Vec<Vec<u8>>>();
                let score_keys = labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| [&b","[..usize::from(i > 0)], l, b":"].concat())
                    .collect();
                HeadNames {
                    key,
                    labels,
                    score_keys,
                }
            })
            .collect();
        RowFormatter {
            format,
            heads,
            names,
            with_text,
            explain,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The columns of the CSV header.
    pub fn csv_columns(&self) -> Vec<String> {
        let mut cols: Vec<String> = ["doc", "id", "paragraph", "start", "end", "role"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for h in self.heads {
            cols.push(h.task.clone());
            cols.extend(h.labels.iter().map(|l| format!("{}:{}", h.task, l)));
        }
        if self.explain {
            cols.push("evidence".into());
        }
        if self.with_text {
            cols.push("text".into());
        }
        cols
    }

    /// Appends one JSONL or CSV line for `row` to `out`.
    pub fn write_line(&self, out: &mut Vec<u8>, row: &ParagraphRow) {
        match self.format {
            Format::Jsonl => self.jsonl(out, row),
            Format::Csv => self.csv(out, row),
            Format::Table | Format::Html => {
                unreachable!("reports group rows by document, see table.rs and html_report.rs")
            }
        }
    }

    fn jsonl(&self, out: &mut Vec<u8>, row: &ParagraphRow) {
        out.push(b'{');
        for (k, v) in row.fields {
            if OWN_KEYS.contains(&k.as_ref()) {
                continue;
            }
            json_str(out, k);
            out.push(b':');
            out.extend_from_slice(v.get().as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(b"\"doc\":");
        json_str(out, row.doc);
        if let Some(id) = row.id {
            out.extend_from_slice(b",\"id\":");
            json_str(out, id);
        }
        if let Some(target) = row.target {
            out.extend_from_slice(b",\"target\":");
            json_str(out, target);
        }
        let _ = write!(
            out,
            ",\"paragraph\":{},\"start\":{},\"end\":{},\"role\":\"{}\",\"labels\":{{",
            row.paragraph,
            row.start,
            row.end,
            row.role.as_str()
        );
        for (h, ((head, names), s)) in self
            .heads
            .iter()
            .zip(&self.names)
            .zip(row.scores)
            .enumerate()
        {
            if h > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&names.key);
            match head.kind() {
                TaskKind::Single => out.extend_from_slice(&names.labels[s.predicted[0]]),
                TaskKind::Multi => {
                    out.push(b'[');
                    for (i, &l) in s.predicted.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(&names.labels[l]);
                    }
                    out.push(b']');
                }
            }
        }
        out.extend_from_slice(b"},\"scores\":{");
        for (h, (names, s)) in self.names.iter().zip(row.scores).enumerate() {
            if h > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&names.key);
            out.push(b'{');
            for (key, &p) in names.score_keys.iter().zip(&s.probs) {
                out.extend_from_slice(key);
                json_prob(out, p);
            }
            out.push(b'}');
        }
        out.push(b'}');
        if let Some(evidence) = row.evidence {
            out.extend_from_slice(b",\"evidence\":");
            self.evidence_json(out, row.scores, evidence);
        }
        if self.with_text {
            out.extend_from_slice(b",\"text\":");
            json_str(out, row.text);
        }
        out.extend_from_slice(b"}\n");
    }

    /// `{"task": {"label": [{"text": ..., "start": s, "end": e, "weight": w}, ...]}}`: per
    /// predicted label, its evidence, strongest first (`start`/`end` are the byte span of the
    /// first place in the paragraph, both `null` for the terms of the record's target itself).
    fn evidence_json(&self, out: &mut Vec<u8>, scores: &[TaskScores], evidence: &[LabelEvidence]) {
        out.push(b'{');
        let mut first_task = true;
        for (t, names) in self.names.iter().enumerate() {
            if scores.get(t).is_none_or(|s| s.predicted.is_empty()) {
                continue;
            }
            if !first_task {
                out.push(b',');
            }
            first_task = false;
            out.extend_from_slice(&names.key);
            out.push(b'{');
            for (i, e) in evidence.iter().filter(|e| e.task == t).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&names.labels[e.label]);
                out.extend_from_slice(b":[");
                for (j, ev) in e.evidence.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"text\":");
                    json_str(out, &ev.text);
                    match ev.spans.first() {
                        Some((start, end)) => {
                            let _ = write!(out, ",\"start\":{start},\"end\":{end},\"weight\":");
                        }
                        // The terms of the record's target: not a place in the paragraph.
                        None => out.extend_from_slice(b",\"start\":null,\"end\":null,\"weight\":"),
                    }
                    json_weight(out, ev.weight);
                    out.push(b'}');
                }
                out.push(b']');
            }
            out.push(b'}');
        }
        out.push(b'}');
    }

    fn csv(&self, out: &mut Vec<u8>, row: &ParagraphRow) {
        csv_field(out, row.doc);
        out.push(b',');
        csv_field(out, row.id.unwrap_or(""));
        let _ = write!(
            out,
            ",{},{},{},{}",
            row.paragraph,
            row.start,
            row.end,
            row.role.as_str()
        );
        for (h, head) in self.heads.iter().enumerate() {
            let Some(s) = row.scores.get(h) else {
                // An unlabelled (non-body) paragraph: empty cells.
                out.extend(std::iter::repeat_n(b',', 1 + head.labels.len()));
                continue;
            };
            out.push(b',');
            let names: Vec<&str> = s
                .predicted
                .iter()
                .map(|&i| head.labels[i].as_str())
                .collect();
            csv_field(out, &names.join(";"));
            for &p in &s.probs {
                out.push(b',');
                fixed_prob(out, p);
            }
        }
        if self.explain {
            out.push(b',');
            let cell = row
                .evidence
                .map(|e| evidence_line(self.heads, e))
                .unwrap_or_default();
            csv_field(out, &cell);
        }
        if self.with_text {
            out.push(b',');
            csv_field(out, row.text);
        }
        out.push(b'\n');
    }
}

/// The CSV header line.
pub fn csv_header(out: &mut Vec<u8>, cols: &[String]) {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, c);
    }
    out.push(b'\n');
}

/// Evidence in one line: `task:label "words" +0.82 "more words" +0.31; ...`.
pub fn evidence_line(heads: &[Head], evidence: &[LabelEvidence]) -> String {
    let mut parts = Vec::new();
    for e in evidence {
        let mut p = format!("{}:{}", heads[e.task].task, heads[e.task].labels[e.label]);
        for ev in &e.evidence {
            let _ = std::fmt::Write::write_fmt(
                &mut p,
                format_args!(" \"{}\" {:+.2}", ev.text, ev.weight),
            );
        }
        parts.push(p);
    }
    parts.join("; ")
}

/// A contribution rounded to three decimals, written as serde_json writes that f64.
fn json_weight(out: &mut Vec<u8>, w: f32) {
    let v = (f64::from(w) * 1000.0).round() / 1000.0;
    serde_json::to_writer(out, &v).expect("writing to a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_print_as_serde_json_prints_them() {
        for p in [
            0.0f32, 1.0, 0.5, 0.12344, 0.12346, 0.0001, 0.99996, 0.1, 0.3,
        ] {
            let mut ours = Vec::new();
            json_prob(&mut ours, p);
            let rounded = (f64::from(p) * 10_000.0).round() / 10_000.0;
            let theirs = serde_json::to_string(&rounded).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), theirs, "{p}");
            let mut fixed = Vec::new();
            fixed_prob(&mut fixed, p);
            assert_eq!(
                String::from_utf8(fixed).unwrap(),
                format!("{rounded:.4}"),
                "{p}"
            );
        }
    }

    #[test]
    fn rounding_to_ten_thousandths_matches_f64_round() {
        // Every half-way point k / 20,000 with its f32 neighbours (where rounding could differ),
        // plus a sweep of a million evenly spaced values, NaN and out-of-range values.
        let mut values = vec![f32::NAN, -0.5, -0.0, 1.5, f32::INFINITY, f32::MIN_POSITIVE];
        for k in 0..=20_000u32 {
            let p = k as f32 / 20_000.0;
            values.extend([p, f32::from_bits(p.to_bits() + 1)]);
            if k > 0 {
                values.push(f32::from_bits(p.to_bits() - 1));
            }
        }
        values.extend((0..1_000_000).map(|i| i as f32 / 1_000_000.0));
        for p in values {
            let want = (f64::from(p) * 10_000.0).round().clamp(0.0, 10_000.0) as u32;
            assert_eq!(prob_ten_thousandths(p), want, "{p:e}");
        }
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let cases = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("l1\nl2", "\"l1\nl2\""),
        ];
        for (input, want) in cases {
            let mut out = Vec::new();
            csv_field(&mut out, input);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
