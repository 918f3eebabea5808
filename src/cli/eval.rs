//! `rhetor eval -m MODEL FILE... [--format text|json]`

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rhetor::atomic_file::AtomicFile;
use rhetor::corpus::LabelValue;

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
    /// Also write each record's gold and predicted labels and probabilities to FILE, as JSONL
    /// in the order of the input (atomically).
    #[arg(long, value_name = "FILE")]
    predictions: Option<PathBuf>,
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
    let scores = model.score_records(&records);
    let report = model.evaluate_scored(&records, &scores, a.bootstrap, a.seed);
    if report.tasks.is_empty() {
        let tasks: Vec<&str> = model.heads().iter().map(|h| h.task.as_str()).collect();
        bail!(
            "no record is labelled for any task of the model ({})",
            tasks.join(", ")
        );
    }
    if let Some(path) = &a.predictions {
        write_predictions(path, &model, &records, &scores)?;
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

/// One line of `--predictions`.
#[derive(serde::Serialize)]
struct PredictionLine<'a> {
    id: &'a str,
    doc: &'a str,
    tasks: BTreeMap<&'a str, TaskPrediction<'a>>,
}

/// A record's outcome on one task: labels as the record gives them (a label for single-label
/// tasks, a list for multi-label ones), and every label's probability.
#[derive(serde::Serialize)]
struct TaskPrediction<'a> {
    gold: &'a LabelValue,
    predicted: LabelValue,
    probabilities: BTreeMap<&'a str, f32>,
}

/// One line per record, in the order of the input: `{"id", "doc", "tasks": {"<task>":
/// {"gold", "predicted", "probabilities"}}}` for every task of the model the record labels.
fn write_predictions(
    path: &Path,
    model: &rhetor::model::Model,
    records: &[rhetor::corpus::Record],
    scores: &[Vec<rhetor::model::TaskScores>],
) -> Result<()> {
    let mut file = std::io::BufWriter::new(
        AtomicFile::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    for (r, s) in records.iter().zip(scores) {
        let mut tasks = BTreeMap::new();
        for (head, s) in model.heads().iter().zip(s) {
            let Some(gold) = r.labels.get(&head.task).filter(|g| g.kind() == head.kind()) else {
                continue;
            };
            let mut predicted = s.predicted.iter().map(|&i| head.labels[i].clone());
            let predicted = match gold {
                LabelValue::Single(_) => LabelValue::Single(predicted.next().unwrap_or_default()),
                LabelValue::Multi(_) => LabelValue::Multi(predicted.collect()),
            };
            let probabilities = head
                .labels
                .iter()
                .map(String::as_str)
                .zip(s.probs.iter().copied())
                .collect();
            tasks.insert(
                head.task.as_str(),
                TaskPrediction {
                    gold,
                    predicted,
                    probabilities,
                },
            );
        }
        let line = PredictionLine {
            id: &r.id,
            doc: &r.doc,
            tasks,
        };
        serde_json::to_writer(&mut file, &line)?;
        writeln!(file)?;
    }
    file.into_inner()
        .map_err(|e| e.into_error())?
        .commit()
        .with_context(|| format!("writing {}", path.display()))
}
