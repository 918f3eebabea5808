//! `rhetor score [-m MODEL] [FILE|-]... [--format table|jsonl|csv] [--input text|jsonl]`

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use rhetor::model::{ScoreScratch, TaskScores};
use rhetor::text::paragraphs;
use serde_json::{Map, Value};

use super::output::{Format, ParagraphRow, RowWriter};
use super::{load_model, read_corpus, set_threads, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Input {
    /// Each file is one plain-text article; paragraphs are separated by blank lines.
    Text,
    /// JSONL records (`text`, optional `id`, `doc`, `target`); other fields are passed through.
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model file (default: the model embedded in rhetor).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// Articles to score (`-` or nothing: standard input).
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Input format.
    #[arg(long, value_enum, default_value = "text")]
    input: Input,
    /// Include the paragraph text in the output.
    #[arg(long)]
    with_text: bool,
    /// Skip malformed JSONL lines (reported) instead of stopping.
    #[arg(long)]
    skip_bad: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// One document to score.
struct Unit {
    doc: String,
    id: Option<String>,
    target: Option<String>,
    extra: Option<Map<String, Value>>,
    text: String,
}

fn read_text(path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: invalid UTF-8 at byte {}",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

fn read_units(a: &Args) -> Result<Vec<Unit>> {
    let files: Vec<PathBuf> = if a.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        a.files.clone()
    };
    match a.input {
        Input::Text => files
            .iter()
            .map(|p| {
                Ok(Unit {
                    doc: if p == Path::new("-") {
                        "<stdin>".to_string()
                    } else {
                        p.display().to_string()
                    },
                    id: None,
                    target: None,
                    extra: None,
                    text: read_text(p)?,
                })
            })
            .collect(),
        Input::Jsonl => Ok(read_corpus(&files, a.skip_bad, &[])?
            .into_iter()
            .map(|r| Unit {
                doc: r.doc,
                id: Some(r.id),
                target: r.target,
                extra: Some(r.extra),
                text: r.text,
            })
            .collect()),
    }
}

pub fn run(a: Args) -> Result<Outcome> {
    set_threads(a.threads)?;
    let model = load_model(a.model.as_deref())?;
    let units = read_units(&a)?;
    // (unit, paragraph) pairs, scored in parallel; collect keeps input order.
    let jobs: Vec<(usize, rhetor::text::Paragraph)> = units
        .iter()
        .enumerate()
        .flat_map(|(u, unit)| paragraphs(&unit.text).map(move |p| (u, p)))
        .collect();
    let scores: Vec<Vec<TaskScores>> = jobs
        .par_iter()
        .map_init(ScoreScratch::default, |scratch, (u, p)| {
            model.score(p.text, units[*u].target.as_deref(), scratch)
        })
        .collect();
    let stdout = std::io::stdout();
    let out = std::io::BufWriter::new(stdout.lock());
    let mut writer = RowWriter::new(out, a.format, model.heads(), a.with_text)?;
    for ((u, p), s) in jobs.iter().zip(&scores) {
        let unit = &units[*u];
        writer.write(&ParagraphRow {
            doc: &unit.doc,
            id: unit.id.as_deref(),
            extra: unit.extra.as_ref(),
            paragraph: p.index,
            start: p.start,
            end: p.end,
            text: p.text,
            scores: s,
        })?;
    }
    writer.finish()?;
    std::io::stderr().flush()?;
    Ok(Outcome::Success)
}
