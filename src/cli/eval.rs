//! `rhetor eval -m MODEL FILE... [--format text|json]`

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};

use super::{load_model, read_corpus, set_threads, Outcome};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// A classification report per task, like scikit-learn's.
    Text,
    /// `{"tasks": {"<task>": {...}}}`.
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model file (default: the embedded model).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// Labelled JSONL files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Exit with status 1 when any task's headline F1 (micro-F1 for multi-label tasks, macro-F1
    /// for single-label ones) is below this value.
    #[arg(long)]
    min_f1: Option<f64>,
    /// Bootstrap resamples of the documents for the 95% intervals of each task's headline
    /// figures (0: no intervals).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    bootstrap: usize,
    /// Seed of the resampling.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Rename a label while reading, TASK:FROM=TO (repeatable), e.g. stance:positive=supportive.
    #[arg(long, value_name = "TASK:FROM=TO")]
    map_label: Vec<rhetor::corpus::LabelMap>,
    /// Skip malformed records instead of stopping; they are counted per reason and listed.
    #[arg(long)]
    skip_bad: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

pub fn run(a: Args) -> Result<Outcome> {
    set_threads(a.threads)?;
    let model = load_model(a.model.as_deref())?;
    let records = read_corpus(
        &a.files,
        a.skip_bad,
        &a.map_label,
        &mut rhetor::corpus::TaskKinds::new(),
    )?
    .records;
    for head in model.heads() {
        let other = records
            .iter()
            .filter(|r| {
                r.labels
                    .get(&head.task)
                    .is_some_and(|v| v.kind() != head.kind())
            })
            .count();
        if other > 0 {
            use rhetor::corpus::TaskKind;
            let theirs = match head.kind() {
                TaskKind::Single => TaskKind::Multi,
                TaskKind::Multi => TaskKind::Single,
            };
            eprintln!(
                "rhetor: warning: task `{}`: {other} record(s) label it as {} but the model's head is {}; they are not evaluated",
                head.task,
                theirs,
                head.kind()
            );
        }
    }
    let report = model.evaluate_with_intervals(&records, a.bootstrap, a.seed);
    if report.tasks.is_empty() {
        let tasks: Vec<&str> = model.heads().iter().map(|h| h.task.as_str()).collect();
        bail!(
            "no record is labelled for any task of the model ({})",
            tasks.join(", ")
        );
    }
    let mut out = super::stdout();
    match a.format {
        Format::Text => out.write_all(report.to_text().as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if let Some(min) = a.min_f1 {
        let below: Vec<String> = report
            .tasks
            .iter()
            .filter_map(|(name, t)| {
                let headline = match t.kind {
                    rhetor::corpus::TaskKind::Multi => t.micro_f1,
                    rhetor::corpus::TaskKind::Single => t.macro_f1,
                };
                (headline < min).then(|| format!("{name} ({headline:.4})"))
            })
            .collect();
        if !below.is_empty() {
            eprintln!("rhetor: below --min-f1 {min}: {}", below.join(", "));
            return Ok(Outcome::BelowTarget);
        }
    }
    Ok(Outcome::Success)
}
