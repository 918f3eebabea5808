//! `rhetor compare [-m MODEL] FILE... [--input text|jsonl|scored] [--group-by FIELD]
//! [--by-time FIELD --bucket day|week|month|year] [--format table|csv|json|html] [-o FILE]`
//!
//! Reads documents (scoring them, unless they come scored), tallies their body paragraphs and
//! compares the groups with [`rhetor::compare`]: label shares and rates with bootstrap
//! intervals over documents, divergences with permutation p-values, share differences,
//! distinctive words, and shares over time.

mod input;
mod render;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use rhetor::compare::{compare, Bucket, CompareParams};
use rhetor::text::Language;

use super::{load_model, set_threads, Outcome};
use input::{Loaded, Options};
use render::{Context, Format};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Input {
    /// Each file is one plain-text article (paragraphs separated by blank lines).
    Text,
    /// JSONL records (`text`, `doc`, `id`, `target`, `role`, metadata such as `outlet`,
    /// `date`); records with the same `doc` form one document.
    Jsonl,
    /// Output of `rhetor score --format jsonl [--with-text]`: paragraphs already scored, not
    /// scored again.
    Scored,
}

impl Input {
    fn name(self) -> &'static str {
        match self {
            Input::Text => "text",
            Input::Jsonl => "jsonl",
            Input::Scored => "scored",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BucketArg {
    Day,
    Week,
    Month,
    Year,
}

impl From<BucketArg> for Bucket {
    fn from(b: BucketArg) -> Bucket {
        match b {
            BucketArg::Day => Bucket::Day,
            BucketArg::Week => Bucket::Week,
            BucketArg::Month => Bucket::Month,
            BucketArg::Year => Bucket::Year,
        }
    }
}

pub const AFTER_HELP: &str = "\
Only body paragraphs are counted (headlines, bylines and boilerplate are recognised, or taken
from a record's `role`). Without --group-by each document is its own group. With two groups
they are compared with each other; with more, each group is compared with all the others
together (at most 50 groups are compared).

Per group and label: share of body paragraphs, mean probability, rate per 100 paragraphs and
per 1,000 words, each with a 95% percentile bootstrap interval resampling documents (none for
a group of one document). Per comparison and task: Jensen-Shannon divergence (bits) of the
label distributions with a permutation p-value (documents permuted between groups), the
difference of every label's share with a bootstrap interval, and distinctive words by log-odds
ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), overall and within
each label of multi-label tasks. Results are the same for any --threads.

CSV is long: section,group,versus,bucket,task,label,word,statistic,value,lo,hi with one row
per statistic (sections group, comparison, keyness, time).

Examples:
  rhetor compare corpus/articles/harbour-herald-*.txt corpus/articles/valley-courier-*.txt
  rhetor compare --input jsonl corpus/examples.jsonl --group-by outlet
  rhetor compare --input jsonl corpus/examples.jsonl --group-by outlet --by-time date \\
      --bucket week --format html -o report.html
  rhetor score --input jsonl archive.jsonl --format jsonl --with-text > scored.jsonl
  rhetor compare --input scored scored.jsonl --group-by outlet --format csv";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Model file (default: the model embedded in rhetor; not used with --input scored).
    #[arg(short, long)]
    model: Option<PathBuf>,
    /// Documents to compare (`-`: standard input).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Input format.
    #[arg(long, value_enum, default_value = "text")]
    input: Input,
    /// Group documents by this field (e.g. `outlet`); default: each document its own group.
    #[arg(long, value_name = "FIELD")]
    group_by: Option<String>,
    /// Also give label shares over time, by the date in this field (`YYYY-MM-DD`).
    #[arg(long, value_name = "FIELD")]
    by_time: Option<String>,
    /// Time bucket for --by-time.
    #[arg(long, value_enum, default_value = "month", requires = "by_time")]
    bucket: BucketArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Bootstrap resamples per interval (0: no intervals).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    bootstrap: usize,
    /// Permutations per test (0: no p-values).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    permutations: usize,
    /// Seed of the resampling.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Skip malformed JSONL lines (reported at the end) instead of stopping.
    #[arg(long)]
    skip_bad: bool,
    /// Distinctive words listed per side (0: no keyness).
    #[arg(long, value_name = "K", default_value_t = 10)]
    top_words: usize,
    /// Stem keyness words in this language (`none`: words as written).
    #[arg(long, value_name = "LANGUAGE", default_value = "none")]
    stem: Language,
}

pub fn run(a: Args) -> Result<Outcome> {
    set_threads(a.threads)?;
    if a.input == Input::Scored && a.model.is_some() {
        bail!("--model is not used with --input scored: the paragraphs are already scored");
    }
    let params = CompareParams::new()
        .bootstrap(a.bootstrap)
        .permutations(a.permutations)
        .seed(a.seed)
        .top_words(a.top_words)
        .time_per_group(a.group_by.is_some())
        .check()?;
    let time = a.by_time.as_deref().map(|f| (f, Bucket::from(a.bucket)));
    let opts = Options {
        group_by: a.group_by.as_deref(),
        time,
        skip_bad: a.skip_bad,
        stem: a.stem,
    };
    let loaded: Loaded = match a.input {
        Input::Text => input::read_text(&a.files, &load_model(a.model.as_deref())?, &opts)?,
        Input::Jsonl => input::read_jsonl(&a.files, &load_model(a.model.as_deref())?, &opts)?,
        Input::Scored => input::read_scored(&a.files, &opts)?,
    };
    if !loaded.skipped.is_empty() {
        eprintln!(
            "rhetor: skipped {} malformed line(s):",
            loaded.skipped.len()
        );
        for e in loaded.skipped.iter().take(20) {
            eprintln!("  {e}");
        }
        if loaded.skipped.len() > 20 {
            eprintln!("  ... and {} more", loaded.skipped.len() - 20);
        }
    }
    if let (Some(field), n @ 1..) = (&a.group_by, loaded.ungrouped) {
        eprintln!("rhetor: {n} document(s) without `{field}` left out");
    }
    if loaded.input.is_empty() {
        bail!("no document to compare");
    }
    let report = compare(&loaded.input, &params);
    let ctx = Context {
        input: a.input.name(),
        group_by: a.group_by.as_deref(),
        time,
        ungrouped: loaded.ungrouped,
    };
    let text = render::render(a.format, &report, &ctx);
    match &a.output {
        Some(path) => rhetor::atomic_file::write_atomically(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(Outcome::Success)
}
