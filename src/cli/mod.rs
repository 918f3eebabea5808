//! Command-line front end: argument parsing, dispatch, error reporting and exit codes.
//!
//! Exit codes: 0 success (also when the reader of our output goes away, as `| head` does),
//! 1 when `eval --min-f1` is not reached, 2 for any error, 130 when interrupted.

mod compare;
mod eval;
mod html;
mod output;
mod score;
mod train;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use rhetor::model::Model;

const AFTER_HELP: &str = "\
Exit status: 0 on success, 1 when `eval --min-f1` is not reached, 2 on error, 130 when
interrupted (the output then ends on a whole line).

Examples:
  rhetor score corpus/articles/harbour-herald-congestion-charge.txt
  rhetor train train.jsonl -o my.rhetor --dev dev.jsonl
  rhetor eval -m my.rhetor test.jsonl --format json
  rhetor compare --input jsonl corpus/examples.jsonl --group-by outlet --format html -o report.html";

/// Label news and opinion paragraphs by stance, framing and persuasion technique.
#[derive(Debug, Parser)]
#[command(name = "rhetor", version, about, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a model on labelled JSONL records.
    Train(Box<train::Args>),
    /// Measure a model on labelled JSONL records.
    Eval(eval::Args),
    /// Label every paragraph of articles (plain text or JSONL records).
    Score(score::Args),
    /// Compare framing across documents, outlets and time.
    #[command(after_help = compare::AFTER_HELP)]
    Compare(Box<compare::Args>),
}

/// What a command asks the process to exit with.
pub(crate) enum Outcome {
    Success,
    BelowTarget,
    /// Stopped by Ctrl-C or SIGTERM after writing whole lines.
    Interrupted,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(a) => train::run(*a),
        Command::Eval(a) => eval::run(a),
        Command::Score(a) => score::run(a),
        Command::Compare(a) => compare::run(*a),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::BelowTarget) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr(), "rhetor: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A closed stdout (`rhetor score ... | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Sets the size of rayon's global pool (0: one thread per core).
pub(crate) fn set_threads(threads: usize) -> Result<()> {
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("setting the number of threads")?;
    }
    Ok(())
}

/// The default model, embedded in the binary at build time.
pub(crate) const DEFAULT_MODEL: &[u8] = include_bytes!("../../models/default.rhetor");
pub(crate) const DEFAULT_MODEL_NAME: &str = "<embedded default model>";

/// Loads `-m MODEL`, or the embedded default model.
pub(crate) fn load_model(path: Option<&Path>) -> Result<Model> {
    match path {
        Some(p) => Ok(Model::load(p)?),
        None => Ok(Model::from_bytes(DEFAULT_MODEL, DEFAULT_MODEL_NAME)?),
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file in the same directory, flushed,
/// then renamed over `path`, so a reader never sees a half-written file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

/// Prints a message to stderr unless quiet.
pub(crate) fn note(quiet: bool, msg: &str) {
    if !quiet {
        let _ = writeln!(io::stderr(), "{msg}");
    }
}

/// Reads labelled JSONL files, renaming labels as asked and reporting skipped lines to stderr.
pub(crate) fn read_corpus(
    paths: &[PathBuf],
    skip_bad: bool,
    maps: &[rhetor::corpus::LabelMap],
) -> Result<Vec<rhetor::corpus::Record>> {
    use rhetor::corpus::{apply_label_maps, read_files, OnBad};
    let mut skipped = Vec::new();
    let on_bad = if skip_bad { OnBad::Skip } else { OnBad::Stop };
    let mut records = read_files(paths, on_bad, &mut skipped)?;
    apply_label_maps(&mut records, maps);
    if !skipped.is_empty() {
        let _ = writeln!(
            io::stderr(),
            "rhetor: skipped {} malformed line(s):",
            skipped.len()
        );
        for e in skipped.iter().take(20) {
            let _ = writeln!(io::stderr(), "  {e}");
        }
        if skipped.len() > 20 {
            let _ = writeln!(io::stderr(), "  ... and {} more", skipped.len() - 20);
        }
    }
    Ok(records)
}
