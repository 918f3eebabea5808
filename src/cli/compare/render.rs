//! Rendering a comparison [`Report`]: aligned terminal tables, tidy CSV, JSON and a
//! self-contained HTML report.
//!
//! CSV is long ("tidy"): one row per statistic, with the columns
//!
//! ```text
//! section,group,versus,bucket,task,label,word,statistic,value,lo,hi
//! ```
//!
//! * `section=group`: per group, `statistic` = `documents`, `body_paragraphs`,
//!   `headline_paragraphs`, `byline_paragraphs`, `boilerplate_paragraphs`, `body_words` (no
//!   task); per task and label `paragraphs`, `share`, `mean_prob`, `per_100_paragraphs`,
//!   `per_1000_words`; per multi-label task (no label) `labels_per_100_paragraphs`,
//!   `labels_per_1000_words`.
//! * `section=comparison`: `group` against `versus` (`all others` for each group against the
//!   rest); per task `jsd` and `p_value`; per label `share`, `share_versus`, `share_difference`.
//! * `section=keyness`: per listed word (`task` and `label` empty for all body paragraphs, set
//!   for the paragraphs given that label), `z`, `log_odds`, `count`, `count_versus`.
//! * `section=time`: per series (`group`) and `bucket`: `documents`, `body_paragraphs`, and per
//!   task and label `share`.
//!
//! `lo` and `hi` hold the bootstrap interval where there is one; empty cells mean "none" (no
//! interval, or a statistic with no denominator).

use std::fmt::Write as _;

use rhetor::compare::{
    Bucket, Comparison, ComparisonMode, Estimate, KeyWords, Report, TaskProfile,
};
use rhetor::corpus::TaskKind;
use serde::Serialize;

use crate::cli::html::{self, escape, Bar, BarChart, BarRow, Cell, Table, ValueFormat};

/// Output formats of `rhetor compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned tables for reading in a terminal.
    Table,
    /// One row per statistic (long format, columns below).
    Csv,
    /// The whole report as one JSON object.
    Json,
    /// A self-contained HTML report with charts.
    Html,
}

/// How the report was made, for its headings.
pub struct Context<'a> {
    /// `text`, `jsonl` or `scored`.
    pub input: &'a str,
    /// Grouping field.
    pub group_by: Option<&'a str>,
    /// Date field and bucket.
    pub time: Option<(&'a str, Bucket)>,
    /// Documents left out for want of the grouping field.
    pub ungrouped: usize,
}

/// Renders `report` in `format`.
pub fn render(format: Format, report: &Report, ctx: &Context) -> String {
    match format {
        Format::Table => table(report, ctx),
        Format::Csv => csv(report),
        Format::Json => json(report, ctx),
        Format::Html => html_report(report, ctx),
    }
}

/// A share as a percentage with one decimal; `–` when undefined.
fn pct(v: f64) -> String {
    if v.is_finite() {
        format!("{:.1}", 100.0 * v)
    } else {
        "–".into()
    }
}

fn num(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        "–".into()
    }
}

fn has_interval(e: &Estimate) -> bool {
    e.lo.is_finite() && e.hi.is_finite()
}

/// `35.0 [20.0–50.0]` for a share (or `35.0` with no interval).
fn pct_ci(e: &Estimate) -> String {
    if has_interval(e) {
        format!("{} [{}–{}]", pct(e.value), pct(e.lo), pct(e.hi))
    } else {
        pct(e.value)
    }
}

fn num_ci(e: &Estimate, d: usize) -> String {
    if has_interval(e) {
        format!("{} [{}–{}]", num(e.value, d), num(e.lo, d), num(e.hi, d))
    } else {
        num(e.value, d)
    }
}

/// A signed difference of shares in percentage points with its interval.
fn diff_ci(e: &Estimate) -> String {
    let s = |v: f64| {
        if v.is_finite() {
            format!("{:+.1}", 100.0 * v)
        } else {
            "–".into()
        }
    };
    if has_interval(e) {
        format!("{} [{}, {}]", s(e.value), s(e.lo), s(e.hi))
    } else {
        s(e.value)
    }
}

fn p_value(p: f64) -> String {
    if !p.is_finite() {
        "–".into()
    } else if p < 0.001 {
        "<0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// Labels of task `t` given to at least one body paragraph of any group, most paragraphs
/// first (ties in schema order).
fn labels_in_use(report: &Report, t: usize) -> Vec<usize> {
    let n = report.schema.tasks[t].labels.len();
    let total = |l: usize| -> u64 {
        report
            .groups
            .iter()
            .map(|g| g.tasks[t].labels[l].paragraphs)
            .sum()
    };
    let mut used: Vec<usize> = (0..n).filter(|&l| total(l) > 0).collect();
    used.sort_by_key(|&l| (std::cmp::Reverse(total(l)), l));
    used
}

/// Aligned columns: the first `left` columns left-aligned, the others right-aligned.
fn aligned(rows: &[Vec<String>], left: usize, out: &mut String) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; n];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i] - c.chars().count();
            if i < left {
                line.push_str(c);
                line.extend(std::iter::repeat_n(' ', pad));
            } else {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(c);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn headline(report: &Report, ctx: &Context) -> String {
    let body: u64 = report.groups.iter().map(|g| u64::from(g.roles.body)).sum();
    let grouping = match ctx.group_by {
        Some(f) => format!("grouped by {f}"),
        None => "each document its own group".into(),
    };
    let s = |n: u64| if n == 1 { "" } else { "s" };
    format!(
        "{} document{} in {} group{} ({grouping}), {body} body paragraph{}",
        report.documents,
        s(report.documents as u64),
        report.groups.len(),
        s(report.groups.len() as u64),
        s(body),
    )
}

fn method(report: &Report) -> String {
    let s = &report.settings;
    format!(
        "Intervals: {:.0}% percentile bootstrap over documents, {} resamples; p-values: {} \
         permutations of documents between groups; seed {}.",
        100.0 * s.level(),
        s.bootstrap(),
        s.permutations(),
        s.seed()
    )
}

fn versus_heading(c: &Comparison) -> String {
    format!(
        "{} vs {} ({} vs {} documents)",
        c.group, c.versus, c.documents, c.documents_versus
    )
}

fn words_line(words: &[rhetor::compare::KeyWord]) -> String {
    if words.is_empty() {
        return "–".into();
    }
    words
        .iter()
        .map(|w| format!("{} {:.1}", w.word, w.z.abs()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Labels of multi-label tasks shown with their own keyness in the terminal and HTML views.
const LABEL_KEYNESS_SHOWN: usize = 3;
/// Labels per task shown in the terminal's time tables and the HTML's time charts.
const TIME_LABELS_SHOWN: usize = 4;
/// Label differences per task listed in the terminal view.
const DIFFERENCES_SHOWN: usize = 5;

/// A task's labels whose share differs between the groups, largest difference first.
fn largest_differences(
    tc: &rhetor::compare::TaskComparison,
) -> impl Iterator<Item = &rhetor::compare::LabelDifference> {
    let mut ls: Vec<&rhetor::compare::LabelDifference> = tc
        .labels
        .iter()
        .filter(|l| l.difference.value.is_finite() && l.difference.value != 0.0)
        .collect();
    ls.sort_by(|a, b| {
        b.difference
            .value
            .abs()
            .total_cmp(&a.difference.value.abs())
    });
    ls.into_iter()
}

fn table(report: &Report, ctx: &Context) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Framing comparison: {}", headline(report, ctx));
    let _ = writeln!(out, "{}", method(report));
    if ctx.ungrouped > 0 {
        let _ = writeln!(
            out,
            "{} document(s) without `{}` left out.",
            ctx.ungrouped,
            ctx.group_by.unwrap_or("")
        );
    }
    out.push('\n');
    let mut rows = vec![vec![
        "group".to_string(),
        "documents".into(),
        "body ¶".into(),
        "body words".into(),
        "headlines".into(),
        "bylines".into(),
        "boilerplate".into(),
    ]];
    for g in &report.groups {
        rows.push(vec![
            g.name.clone(),
            g.documents.to_string(),
            g.roles.body.to_string(),
            g.body_words.to_string(),
            g.roles.headline.to_string(),
            g.roles.byline.to_string(),
            g.roles.boilerplate.to_string(),
        ]);
    }
    aligned(&rows, 1, &mut out);

    for (t, task) in report.schema.tasks.iter().enumerate() {
        let used = labels_in_use(report, t);
        let _ = writeln!(
            out,
            "\n{} ({}): % of body paragraphs given the label [95% interval]",
            task.task, task.kind
        );
        let mut rows = vec![std::iter::once("label".to_string())
            .chain(report.groups.iter().map(|g| g.name.clone()))
            .collect::<Vec<_>>()];
        for &l in &used {
            rows.push(
                std::iter::once(task.labels[l].clone())
                    .chain(
                        report
                            .groups
                            .iter()
                            .map(|g| pct_ci(&g.tasks[t].labels[l].share)),
                    )
                    .collect(),
            );
        }
        if task.kind == TaskKind::Multi {
            for (name, pick) in [
                (
                    "all labels per 100 ¶",
                    (|p: &TaskProfile| p.labels_per_100_paragraphs)
                        as fn(&TaskProfile) -> Option<Estimate>,
                ),
                ("all labels per 1,000 words", |p: &TaskProfile| {
                    p.labels_per_1000_words
                }),
            ] {
                rows.push(
                    std::iter::once(name.to_string())
                        .chain(
                            report
                                .groups
                                .iter()
                                .map(|g| pick(&g.tasks[t]).map_or("–".into(), |e| num_ci(&e, 1))),
                        )
                        .collect(),
                );
            }
        }
        aligned(&rows, 1, &mut out);
        let unused = task.labels.len() - used.len();
        if unused > 0 {
            let _ = writeln!(
                out,
                "({unused} label{} given to no body paragraph not shown)",
                if unused == 1 { "" } else { "s" }
            );
        }
    }

    out.push('\n');
    match report.mode {
        ComparisonMode::Pair => out.push_str("Comparison of the two groups\n"),
        ComparisonMode::OneVsRest => out.push_str("Comparisons: each group against all others\n"),
        ComparisonMode::None => {
            let _ = writeln!(
                out,
                "No comparison: {}",
                report.mode_note.as_deref().unwrap_or("")
            );
        }
    }
    for c in &report.comparisons {
        let _ = writeln!(out, "\n== {}", versus_heading(c));
        let mut rows = vec![vec!["task".to_string(), "JSD (bits)".into(), "p".into()]];
        for tc in &c.tasks {
            rows.push(vec![tc.task.clone(), num(tc.jsd, 4), p_value(tc.p_value)]);
        }
        aligned(&rows, 1, &mut out);
        let _ = writeln!(
            out,
            "\nLargest differences in share (percentage points, {} minus {}) [95% interval]",
            c.group, c.versus
        );
        let mut rows = vec![vec![
            "task".to_string(),
            "label".into(),
            c.group.clone(),
            c.versus.clone(),
            "difference".into(),
        ]];
        for tc in &c.tasks {
            for l in largest_differences(tc).take(DIFFERENCES_SHOWN) {
                rows.push(vec![
                    tc.task.clone(),
                    l.label.clone(),
                    pct(l.share),
                    pct(l.share_versus),
                    diff_ci(&l.difference),
                ]);
            }
        }
        aligned(&rows, 2, &mut out);
        match &c.keyness {
            None => {}
            Some(k) => {
                let _ = writeln!(
                    out,
                    "\nDistinctive words (|z| of the log-odds ratio, informative Dirichlet prior)"
                );
                let _ = writeln!(out, "  {}: {}", c.group, words_line(&k.overall.group));
                let _ = writeln!(out, "  {}: {}", c.versus, words_line(&k.overall.versus));
                for (t, task) in report.schema.tasks.iter().enumerate() {
                    if task.kind != TaskKind::Multi {
                        continue;
                    }
                    for l in labels_in_use(report, t)
                        .into_iter()
                        .take(LABEL_KEYNESS_SHOWN)
                    {
                        let Some(lk) = k
                            .by_label
                            .iter()
                            .find(|x| x.task == task.task && x.label == task.labels[l])
                        else {
                            continue;
                        };
                        let _ = writeln!(out, "  within {} `{}`:", task.task, lk.label);
                        let _ = writeln!(out, "    {}: {}", c.group, words_line(&lk.words.group));
                        let _ = writeln!(out, "    {}: {}", c.versus, words_line(&lk.words.versus));
                    }
                }
            }
        }
    }
    if !report.comparisons.is_empty() {
        out.push('\n');
        out.push_str(&keyness_note(report));
        out.push('\n');
    }
    if let (Some(time), Some((field, bucket))) = (&report.time, ctx.time) {
        let _ = writeln!(
            out,
            "\nShares over time (% of body paragraphs, by {} of `{field}`)",
            bucket.name()
        );
        if time.undated > 0 {
            let _ = writeln!(
                out,
                "{} document(s) without a usable `{field}` left out of the time series.",
                time.undated
            );
        }
        for (t, task) in report.schema.tasks.iter().enumerate() {
            let shown: Vec<usize> = labels_in_use(report, t)
                .into_iter()
                .take(TIME_LABELS_SHOWN)
                .collect();
            if shown.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{}", task.task);
            let mut rows = vec![["series", "bucket", "docs"]
                .iter()
                .map(|s| s.to_string())
                .chain(shown.iter().map(|&l| task.labels[l].clone()))
                .collect::<Vec<_>>()];
            for s in &time.series {
                for p in &s.points {
                    rows.push(
                        [s.name.clone(), p.bucket.clone(), p.documents.to_string()]
                            .into_iter()
                            .chain(shown.iter().map(|&l| pct_ci(&p.shares[t][l])))
                            .collect(),
                    );
                }
            }
            aligned(&rows, 2, &mut out);
        }
    }
    out
}

fn keyness_note(report: &Report) -> String {
    let k = &report.keyness;
    if !k.available {
        "Keyness unavailable: the input has no paragraph text (score with `rhetor score \
         --format jsonl --with-text` to keep it)."
            .into()
    } else if k.paragraphs_without_text > 0 {
        format!(
            "Keyness counts the words of the body paragraphs that have text; {} had none.",
            k.paragraphs_without_text
        )
    } else {
        "Keyness: words lowercased, from body paragraphs; z > 1.96 is the usual threshold.".into()
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn csv_num(v: f64) -> String {
    if v.is_finite() {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    } else {
        String::new()
    }
}

/// One CSV row; see the module documentation.
#[derive(Default)]
struct Row<'a> {
    section: &'a str,
    group: &'a str,
    versus: &'a str,
    bucket: &'a str,
    task: &'a str,
    label: &'a str,
    word: &'a str,
    statistic: &'a str,
}

impl Row<'_> {
    fn write(&self, out: &mut String, value: f64, lo: f64, hi: f64) {
        for (i, f) in [
            self.section,
            self.group,
            self.versus,
            self.bucket,
            self.task,
            self.label,
            self.word,
            self.statistic,
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            csv_field(out, f);
        }
        let _ = writeln!(out, ",{},{},{}", csv_num(value), csv_num(lo), csv_num(hi));
    }

    fn value(&self, out: &mut String, value: f64) {
        self.write(out, value, f64::NAN, f64::NAN);
    }

    fn estimate(&self, out: &mut String, e: &Estimate) {
        self.write(out, e.value, e.lo, e.hi);
    }
}

fn csv(report: &Report) -> String {
    let mut out =
        String::from("section,group,versus,bucket,task,label,word,statistic,value,lo,hi\n");
    for g in &report.groups {
        let row = |statistic| Row {
            section: "group",
            group: &g.name,
            statistic,
            ..Row::default()
        };
        row("documents").value(&mut out, g.documents as f64);
        row("body_paragraphs").value(&mut out, f64::from(g.roles.body));
        row("headline_paragraphs").value(&mut out, f64::from(g.roles.headline));
        row("byline_paragraphs").value(&mut out, f64::from(g.roles.byline));
        row("boilerplate_paragraphs").value(&mut out, f64::from(g.roles.boilerplate));
        row("body_words").value(&mut out, g.body_words as f64);
        for tp in &g.tasks {
            for lp in &tp.labels {
                let row = |statistic| Row {
                    section: "group",
                    group: &g.name,
                    task: &tp.task,
                    label: &lp.label,
                    statistic,
                    ..Row::default()
                };
                row("paragraphs").value(&mut out, lp.paragraphs as f64);
                row("share").estimate(&mut out, &lp.share);
                row("mean_prob").estimate(&mut out, &lp.mean_prob);
                row("per_100_paragraphs").estimate(&mut out, &lp.per_100_paragraphs);
                row("per_1000_words").estimate(&mut out, &lp.per_1000_words);
            }
            let row = |statistic| Row {
                section: "group",
                group: &g.name,
                task: &tp.task,
                statistic,
                ..Row::default()
            };
            if let Some(e) = &tp.labels_per_100_paragraphs {
                row("labels_per_100_paragraphs").estimate(&mut out, e);
            }
            if let Some(e) = &tp.labels_per_1000_words {
                row("labels_per_1000_words").estimate(&mut out, e);
            }
        }
    }
    for c in &report.comparisons {
        for tc in &c.tasks {
            let row = |label, statistic| Row {
                section: "comparison",
                group: &c.group,
                versus: &c.versus,
                task: &tc.task,
                label,
                statistic,
                ..Row::default()
            };
            row("", "jsd").value(&mut out, tc.jsd);
            row("", "p_value").value(&mut out, tc.p_value);
            for l in &tc.labels {
                row(&l.label, "share").value(&mut out, l.share);
                row(&l.label, "share_versus").value(&mut out, l.share_versus);
                row(&l.label, "share_difference").estimate(&mut out, &l.difference);
            }
        }
        if let Some(k) = &c.keyness {
            let mut lists: Vec<(&str, &str, &KeyWords)> = vec![("", "", &k.overall)];
            lists.extend(
                k.by_label
                    .iter()
                    .map(|l| (l.task.as_str(), l.label.as_str(), &l.words)),
            );
            for (task, label, words) in lists {
                for w in words.group.iter().chain(&words.versus) {
                    let row = |statistic| Row {
                        section: "keyness",
                        group: &c.group,
                        versus: &c.versus,
                        task,
                        label,
                        word: &w.word,
                        statistic,
                        ..Row::default()
                    };
                    row("z").value(&mut out, w.z);
                    row("log_odds").value(&mut out, w.log_odds);
                    row("count").value(&mut out, w.count as f64);
                    row("count_versus").value(&mut out, w.count_versus as f64);
                }
            }
        }
    }
    if let Some(time) = &report.time {
        for s in &time.series {
            for p in &s.points {
                let row = |task, label, statistic| Row {
                    section: "time",
                    group: &s.name,
                    bucket: &p.bucket,
                    task,
                    label,
                    statistic,
                    ..Row::default()
                };
                row("", "", "documents").value(&mut out, p.documents as f64);
                row("", "", "body_paragraphs").value(&mut out, p.body_paragraphs as f64);
                for (task, shares) in report.schema.tasks.iter().zip(&p.shares) {
                    for (label, e) in task.labels.iter().zip(shares) {
                        row(&task.task, label, "share").estimate(&mut out, e);
                    }
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// JSON

#[derive(Serialize)]
struct JsonReport<'a> {
    input: &'a str,
    group_by: Option<&'a str>,
    time_field: Option<&'a str>,
    bucket: Option<Bucket>,
    documents_without_group: usize,
    #[serde(flatten)]
    report: &'a Report,
}

fn json(report: &Report, ctx: &Context) -> String {
    let j = JsonReport {
        input: ctx.input,
        group_by: ctx.group_by,
        time_field: ctx.time.map(|t| t.0),
        bucket: ctx.time.map(|t| t.1),
        documents_without_group: ctx.ungrouped,
        report,
    };
    let mut s = serde_json::to_string_pretty(&j).expect("a report serialises");
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------------------
// HTML

fn interval(e: &Estimate) -> Option<(f64, f64)> {
    has_interval(e).then_some((e.lo, e.hi))
}

fn groups_table(report: &Report) -> String {
    let mut t = Table {
        header: vec![
            Cell::text("group"),
            Cell::num("documents"),
            Cell::num("body paragraphs"),
            Cell::num("body words"),
            Cell::num("headlines"),
            Cell::num("bylines"),
            Cell::num("boilerplate"),
        ],
        rows: Vec::new(),
    };
    for (i, g) in report.groups.iter().enumerate() {
        t.rows.push(vec![
            Cell::html(format!(
                "<span style=\"color:{}\">■</span> {}",
                html::color(i),
                escape(&g.name)
            )),
            Cell::num(g.documents.to_string()),
            Cell::num(g.roles.body.to_string()),
            Cell::num(g.body_words.to_string()),
            Cell::num(g.roles.headline.to_string()),
            Cell::num(g.roles.byline.to_string()),
            Cell::num(g.roles.boilerplate.to_string()),
        ]);
    }
    t.render()
}

fn task_section(report: &Report, t: usize, out: &mut String) {
    let task = &report.schema.tasks[t];
    let used = labels_in_use(report, t);
    let _ = writeln!(
        out,
        "<h2 id=\"task-{}\">{} <span class=\"note\">({})</span></h2>",
        escape(&task.task),
        escape(&task.task),
        task.kind
    );
    if used.is_empty() {
        out.push_str("<p class=\"note\">No body paragraph was given any label.</p>\n");
        return;
    }
    let chart = BarChart {
        rows: used
            .iter()
            .map(|&l| BarRow {
                label: task.labels[l].clone(),
                bars: report
                    .groups
                    .iter()
                    .map(|g| {
                        let s = &g.tasks[t].labels[l].share;
                        Bar {
                            value: s.value,
                            interval: interval(s),
                        }
                    })
                    .collect(),
            })
            .collect(),
        series: report.groups.iter().map(|g| g.name.clone()).collect(),
        format: ValueFormat::Percent(0),
        max: None,
        value_labels: report.groups.len() <= 3,
    };
    out.push_str(&html::figure(
        &format!(
            "{}: share of body paragraphs given each label, with 95% intervals",
            task.task
        ),
        &html::bar_chart(&chart),
    ));
    let unused = task.labels.len() - used.len();
    if unused > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{unused} label(s) given to no body paragraph are not shown.</p>"
        );
    }
    // Rates of all labels together, per group.
    if task.kind == TaskKind::Multi {
        let mut t_rates = Table {
            header: vec![
                Cell::text("group"),
                Cell::num("labels per 100 body paragraphs"),
                Cell::num("labels per 1,000 body words"),
            ],
            rows: Vec::new(),
        };
        for g in &report.groups {
            let tp = &g.tasks[t];
            t_rates.rows.push(vec![
                Cell::text(g.name.clone()),
                Cell::num(
                    tp.labels_per_100_paragraphs
                        .map_or("–".into(), |e| num_ci(&e, 1)),
                ),
                Cell::num(
                    tp.labels_per_1000_words
                        .map_or("–".into(), |e| num_ci(&e, 1)),
                ),
            ]);
        }
        out.push_str(&t_rates.render());
    }
    // Every statistic of every label, folded.
    let mut full = Table {
        header: vec![Cell::text("label"), Cell::text("group")],
        rows: Vec::new(),
    };
    full.header.extend(
        [
            "paragraphs",
            "% of body ¶",
            "mean probability",
            "per 1,000 words",
        ]
        .map(Cell::num),
    );
    for &l in &used {
        for g in &report.groups {
            let lp = &g.tasks[t].labels[l];
            full.rows.push(vec![
                Cell::text(task.labels[l].clone()),
                Cell::text(g.name.clone()),
                Cell::num(lp.paragraphs.to_string()),
                Cell::num(pct_ci(&lp.share)),
                Cell::num(num_ci(&lp.mean_prob, 3)),
                Cell::num(num_ci(&lp.per_1000_words, 2)),
            ]);
        }
    }
    let _ = writeln!(
        out,
        "<details><summary>All statistics of {}</summary>{}</details>",
        escape(&task.task),
        full.render()
    );
}

fn keyness_chart(c: &Comparison, words: &KeyWords) -> String {
    let rows: Vec<html::DivergingRow> = words
        .group
        .iter()
        .chain(words.versus.iter().rev())
        .map(|w| html::DivergingRow {
            label: w.word.clone(),
            value: w.z,
            detail: format!("{} vs {} occurrences", w.count, w.count_versus),
        })
        .collect();
    if rows.is_empty() {
        return "<p class=\"note\">No distinctive word.</p>".into();
    }
    html::diverging_chart(&html::DivergingChart {
        rows,
        left: c.versus.clone(),
        right: c.group.clone(),
        format: ValueFormat::Number(1),
    })
}

fn word_list(words: &[rhetor::compare::KeyWord]) -> String {
    if words.is_empty() {
        return "–".into();
    }
    words
        .iter()
        .map(|w| format!("{} ({:.1})", escape(&w.word), w.z.abs()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn comparison_section(c: &Comparison, out: &mut String) {
    let _ = writeln!(out, "<h3>{}</h3>", escape(&versus_heading(c)));
    let mut t = Table {
        header: vec![
            Cell::text("task"),
            Cell::num("Jensen–Shannon divergence (bits)"),
            Cell::num("permutation p"),
            Cell::text("largest differences in share (points) [95% interval]"),
        ],
        rows: Vec::new(),
    };
    for tc in &c.tasks {
        let diffs = largest_differences(tc)
            .take(3)
            .map(|l| format!("{} {}", escape(&l.label), escape(&diff_ci(&l.difference))))
            .collect::<Vec<_>>()
            .join("<br>");
        t.rows.push(vec![
            Cell::text(tc.task.clone()),
            Cell::num(num(tc.jsd, 4)),
            Cell::num(p_value(tc.p_value)),
            Cell::html(diffs),
        ]);
    }
    out.push_str(&t.render());
    if let Some(k) = &c.keyness {
        out.push_str(&html::figure(
            &format!(
                "Distinctive words: z of the log-odds ratio, {} (right) vs {} (left)",
                c.group, c.versus
            ),
            &keyness_chart(c, &k.overall),
        ));
        if !k.by_label.is_empty() {
            let mut t = Table {
                header: vec![
                    Cell::text("task"),
                    Cell::text("label"),
                    Cell::text(format!("words of {}", c.group)),
                    Cell::text(format!("words of {}", c.versus)),
                ],
                rows: Vec::new(),
            };
            for lk in &k.by_label {
                t.rows.push(vec![
                    Cell::text(lk.task.clone()),
                    Cell::text(lk.label.clone()),
                    Cell::html(word_list(&lk.words.group)),
                    Cell::html(word_list(&lk.words.versus)),
                ]);
            }
            let _ = writeln!(
                out,
                "<details><summary>Distinctive words within each label</summary>{}</details>",
                t.render()
            );
        }
    }
}

fn time_section(report: &Report, ctx: &Context, out: &mut String) {
    let (Some(time), Some((field, bucket))) = (&report.time, ctx.time) else {
        return;
    };
    let _ = writeln!(
        out,
        "<h2 id=\"time\">Over time <span class=\"note\">(by {} of <code>{}</code>)</span></h2>",
        bucket.name(),
        escape(field)
    );
    if time.undated > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{} document(s) without a usable <code>{}</code> are left out.</p>",
            time.undated,
            escape(field)
        );
    }
    if time.buckets.is_empty() {
        out.push_str("<p class=\"note\">No document has a usable date.</p>\n");
        return;
    }
    for (t, task) in report.schema.tasks.iter().enumerate() {
        for l in labels_in_use(report, t).into_iter().take(TIME_LABELS_SHOWN) {
            let lines = time
                .series
                .iter()
                .map(|s| {
                    let at = |b: &String| s.points.iter().find(|p| &p.bucket == b);
                    html::Line {
                        name: s.name.clone(),
                        values: time
                            .buckets
                            .iter()
                            .map(|b| at(b).map(|p| p.shares[t][l].value))
                            .collect(),
                        intervals: time
                            .buckets
                            .iter()
                            .map(|b| at(b).and_then(|p| interval(&p.shares[t][l])))
                            .collect(),
                    }
                })
                .collect();
            out.push_str(&html::figure(
                &format!(
                    "{} `{}`: share of body paragraphs per {}",
                    task.task,
                    task.labels[l],
                    bucket.name()
                ),
                &html::line_chart(&html::LineChart {
                    x: time.buckets.clone(),
                    lines,
                    format: ValueFormat::Percent(0),
                    max: None,
                }),
            ));
        }
    }
}

fn html_report(report: &Report, ctx: &Context) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p>{}. {} Input: {}.</p>",
        escape(&headline(report, ctx)),
        escape(&method(report)),
        escape(ctx.input)
    );
    if ctx.ungrouped > 0 {
        let _ = writeln!(
            body,
            "<p class=\"note\">{} document(s) without <code>{}</code> left out.</p>",
            ctx.ungrouped,
            escape(ctx.group_by.unwrap_or(""))
        );
    }
    body.push_str("<h2 id=\"groups\">Groups</h2>\n");
    body.push_str(&groups_table(report));
    body.push_str(
        "<p class=\"note\">Only body paragraphs are counted: headlines, bylines and \
         boilerplate are recognised and left out. A share is the body paragraphs of the group \
         given the label over all its body paragraphs; intervals resample documents.</p>\n",
    );
    body.push_str("<h2 id=\"comparisons\">Comparisons</h2>\n");
    match report.mode {
        ComparisonMode::Pair => {}
        ComparisonMode::OneVsRest => body.push_str(
            "<p class=\"note\">Each group against all the other documents together.</p>\n",
        ),
        ComparisonMode::None => {
            let _ = writeln!(
                body,
                "<p class=\"note\">No comparison: {}.</p>",
                escape(report.mode_note.as_deref().unwrap_or(""))
            );
        }
    }
    for c in &report.comparisons {
        comparison_section(c, &mut body);
    }
    if !report.comparisons.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"note\">{}</p>",
            escape(&keyness_note(report))
        );
    }
    for t in 0..report.schema.tasks.len() {
        task_section(report, t, &mut body);
    }
    time_section(report, ctx, &mut body);
    let subtitle = match ctx.group_by {
        Some(f) => format!("Groups by {f}"),
        None => "Each document its own group".into(),
    };
    html::page("Framing comparison", &subtitle, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people_and_for_csv() {
        assert_eq!(pct(0.3), "30.0");
        assert_eq!(pct(f64::NAN), "–");
        let e = Estimate {
            value: 0.3,
            lo: 0.1,
            hi: 0.5,
        };
        assert_eq!(pct_ci(&e), "30.0 [10.0–50.0]");
        let d = Estimate {
            value: 0.2,
            lo: -0.05,
            hi: 0.4,
        };
        assert_eq!(diff_ci(&d), "+20.0 [-5.0, +40.0]");
        assert_eq!(p_value(0.0004), "<0.001");
        assert_eq!(p_value(0.05), "0.050");
        for (v, want) in [
            (0.25, "0.25"),
            (1.0, "1"),
            (-0.0, "0"),
            (1.0 / 3.0, "0.333333"),
            (f64::NAN, ""),
        ] {
            assert_eq!(csv_num(v), want, "{v}");
        }
    }

    #[test]
    fn aligned_columns() {
        let rows = vec![
            vec!["a".to_string(), "1".into(), "x".into()],
            vec!["long".to_string(), "100".into(), "yy".into()],
        ];
        let mut out = String::new();
        aligned(&rows, 1, &mut out);
        assert_eq!(out, "a       1   x\nlong  100  yy\n");
    }
}
