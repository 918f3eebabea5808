//! Command-line front end: argument parsing, dispatch, error reporting and exit codes.
//!
//! Exit codes: 0 success (also when the reader of our output goes away, as `| head` does),
//! 1 when `eval --min-f1` is not reached, 2 for any error, 130 when interrupted.

mod compare;
mod eval;
mod html;
mod html_report;
mod output;
mod report;
mod score;
mod table;
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
            let _ = writeln!(io::stderr(), "rhetor: error: {}", error_message(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-separated, each cause said once: the library's errors put
/// their source in their message ("m.rhetor: Not a directory (os error 20)") and also expose
/// it as their source, which `{:#}` would print a second time.
fn error_message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// A closed stdout (`rhetor score ... | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        // serde_json's error does not list the I/O error it wraps as its source.
        let kind = e
            .downcast_ref::<io::Error>()
            .map(io::Error::kind)
            .or_else(|| e.downcast_ref::<serde_json::Error>()?.io_error_kind());
        kind == Some(io::ErrorKind::BrokenPipe)
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

/// Prints a message to stderr unless quiet.
pub(crate) fn note(quiet: bool, msg: &str) {
    if !quiet {
        let _ = writeln!(io::stderr(), "{msg}");
    }
}

/// Records read from labelled JSONL files, and a description of each file (size, SHA-256,
/// records kept) for the model's training metadata.
pub(crate) struct Corpus {
    pub records: Vec<rhetor::corpus::Record>,
    pub files: Vec<rhetor::model::DataFileInfo>,
}

/// Reads labelled JSONL files (`-` for standard input), renaming labels as asked. Every record
/// must agree with `kinds` (the tasks' kinds in the records read before, updated here). The
/// first malformed record stops the run, or with `skip_bad` every one is skipped and reported
/// to stderr. Each file is hashed as it is read, so the hash is of the bytes the records came
/// from (standard input included).
pub(crate) fn read_corpus(
    paths: &[PathBuf],
    skip_bad: bool,
    maps: &[rhetor::corpus::LabelMap],
    kinds: &mut rhetor::corpus::TaskKinds,
) -> Result<Corpus> {
    use rhetor::corpus::{apply_label_maps, drop_non_body, read_records, OnBad};
    use rhetor::error::CorpusError;
    let mut skipped = Vec::new();
    let on_bad = if skip_bad { OnBad::Skip } else { OnBad::Stop };
    let hint = "use --skip-bad to skip malformed records and count them";
    let mut records = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let (name, source): (PathBuf, Box<dyn io::Read>) = if path == Path::new("-") {
            (PathBuf::from("<stdin>"), Box::new(io::stdin().lock()))
        } else {
            let file = std::fs::File::open(path).map_err(|source| CorpusError::Io {
                path: path.clone(),
                source,
            })?;
            (path.clone(), Box::new(file))
        };
        let mut reader = Hashing::new(source);
        let first_skipped = skipped.len();
        let mut read = read_records(&mut reader, &name, on_bad, &mut skipped)
            .map_err(|e| bad_input(e, hint))?;
        apply_label_maps(&mut read, maps);
        let furniture = drop_non_body(&mut read);
        if furniture > 0 {
            let _ = writeln!(
                io::stderr(),
                "rhetor: {}: left out {furniture} record(s) whose role is headline, byline or boilerplate",
                name.display()
            );
        }
        let read = kinds
            .filter(read, on_bad, &mut skipped)
            .map_err(|e| bad_input(e, hint))?;
        // Malformed lines were found first, disagreeing records after: list them in line order.
        skipped[first_skipped..].sort_by_key(|e| match e {
            CorpusError::BadRecord { line, .. } | CorpusError::MixedTaskKind { line, .. } => *line,
            _ => 0,
        });
        files.push(reader.info(&name, read.len()));
        records.extend(read);
    }
    report_skipped(&skipped);
    Ok(Corpus { records, files })
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: sha2::Sha256,
    bytes: u64,
}

impl<R: io::Read> Hashing<R> {
    fn new(inner: R) -> Self {
        use sha2::Digest;
        Hashing {
            inner,
            hasher: sha2::Sha256::new(),
            bytes: 0,
        }
    }

    fn info(self, path: &Path, records: usize) -> rhetor::model::DataFileInfo {
        use sha2::Digest;
        rhetor::model::DataFileInfo {
            path: path.display().to_string(),
            bytes: self.bytes,
            records,
            sha256: self
                .hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }
}

impl<R: io::Read> io::Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A corpus error, with `hint` when it is about one record (not for I/O errors).
fn bad_input(e: rhetor::error::CorpusError, hint: &str) -> anyhow::Error {
    if e.bad_record_kind().is_some() {
        anyhow::anyhow!("{e} ({hint})")
    } else {
        e.into()
    }
}

/// Reports records skipped by `--skip-bad` to stderr: how many, how many per reason, and the
/// first few with their file and line.
pub(crate) fn report_skipped(skipped: &[rhetor::error::CorpusError]) {
    if skipped.is_empty() {
        return;
    }
    let reasons: Vec<String> = rhetor::corpus::count_by_kind(skipped)
        .into_iter()
        .map(|(kind, n)| format!("{kind}: {n}"))
        .collect();
    let mut err = io::stderr().lock();
    let _ = writeln!(
        err,
        "rhetor: skipped {} malformed line(s) ({}):",
        skipped.len(),
        reasons.join(", ")
    );
    for e in skipped.iter().take(20) {
        let _ = writeln!(err, "  {e}");
    }
    if skipped.len() > 20 {
        let _ = writeln!(err, "  ... and {} more", skipped.len() - 20);
    }
}

/// An error reading a plain-text article, naming the file, and for invalid UTF-8 the line and
/// the byte offset in the file.
pub(crate) fn text_read_error(doc: &str, e: io::Error) -> anyhow::Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rhetor::text::Utf8Error>())
    {
        Some(u) => anyhow::anyhow!(
            "{doc}:{}: {u} (use --lossy-utf8 to replace invalid bytes with U+FFFD)",
            u.line
        ),
        None => anyhow::anyhow!("{doc}: {e}"),
    }
}

/// Standard output, whose write errors say what was being written ("writing to standard
/// output: No space left on device") and keep their kind, so that a closed pipe is still
/// recognised as one.
pub(crate) fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

pub(crate) struct Stdout(io::StdoutLock<'static>);

fn output_error(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("writing to standard output: {e}"))
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(output_error)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(output_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_message_says_each_cause_once() {
        let io = io::Error::new(io::ErrorKind::NotFound, "No such file or directory");
        let model = rhetor::error::ModelFileError::Io {
            path: "m.rhetor".into(),
            source: io,
        };
        let err = anyhow::Error::from(model).context("writing the model");
        assert_eq!(
            error_message(&err),
            "writing the model: m.rhetor: No such file or directory"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_message(&plain), "outer: inner");
    }

    #[test]
    fn broken_pipes_are_recognised_through_serde_json() {
        let pipe = || io::Error::new(io::ErrorKind::BrokenPipe, "closed");
        assert!(is_broken_pipe(&anyhow::Error::from(pipe())));
        let json = serde_json::Error::io(pipe());
        assert!(is_broken_pipe(
            &anyhow::Error::from(json).context("writing")
        ));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
