//! `rhetor score [-m MODEL] [FILE|-]... [--format table|jsonl|csv|html] [--input text|jsonl]`
//!
//! Each paragraph is first given a role (headline, byline, boilerplate or body, see
//! `rhetor::text::role`); only body paragraphs are labelled. JSONL and CSV rows are formatted in
//! the parallel stage; the table and the HTML page group rows by document and end each
//! document with its summary (`report.rs`).
//!
//! A stream filter: inputs are read incrementally in batches; each batch is parsed, scored and
//! formatted in parallel (rayon keeps the order) and written out as whole lines before the next
//! batch is read. Memory is bounded by the batch size whatever the input size; output does not
//! depend on the number of threads; an interruption (Ctrl-C, SIGTERM) stops after the batch in
//! hand, so the output ends on a whole line.

use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use rhetor::atomic_file::AtomicFile;
use rhetor::corpus::{Origin, ScoreRecord};
use rhetor::error::CorpusError;
use rhetor::model::{ExplainScratch, LabelEvidence, Model, ScoreScratch, TaskScores};
use rhetor::summary::{word_count, Schema};
use rhetor::text::{paragraph_role, paragraphs, OwnedParagraph, ParagraphReader, Role};

use super::html_report::HtmlReport;
use super::output::{Format, ParagraphRow, RowFormatter, OWN_KEYS};
use super::report::{Grouper, ScoredRow};
use super::table::TableReport;
use super::{load_model, set_threads, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Input {
    /// Each file is one plain-text article; paragraphs are separated by blank lines.
    Text,
    /// JSONL records (`text`, optional `id`, `doc`, `target`); other fields are passed through.
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Roles {
    /// Recognise headlines, bylines and boilerplate (sign-up, cookie, share lines) and leave
    /// them unlabelled; a JSONL record's own `role` field is used as given.
    Auto,
    /// Label every paragraph as body text.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Colour {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
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
    /// Write the output to FILE (atomically: a temporary file renamed when complete) instead of
    /// standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Include the paragraph text in the output.
    #[arg(long)]
    with_text: bool,
    /// For every predicted label, the words of the paragraph that pushed its score most
    /// (always on with --format html).
    #[arg(long)]
    explain: bool,
    /// Evidence items per label with --explain.
    #[arg(long, default_value_t = 3, value_name = "K")]
    explain_top: usize,
    /// Paragraph roles.
    #[arg(long, value_enum, default_value = "auto")]
    roles: Roles,
    /// Colour in the table.
    #[arg(long, value_enum, default_value = "auto")]
    color: Colour,
    /// Width of the table (default: the terminal's, or 120).
    #[arg(long, value_name = "COLUMNS")]
    width: Option<usize>,
    /// Skip malformed JSONL lines (reported at the end) instead of stopping.
    #[arg(long)]
    skip_bad: bool,
    /// Plain-text input: replace invalid UTF-8 with U+FFFD (with a warning) instead of stopping.
    #[arg(long)]
    lossy_utf8: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bar.
    #[arg(short, long)]
    quiet: bool,
}

/// Records per batch: large enough to keep every thread busy, small enough to bound memory.
const BATCH_ITEMS: usize = 8192;
/// Input bytes per batch at most (a batch also ends at the end of each file).
const BATCH_BYTES: usize = 8 << 20;
/// Items formatted by one task of the parallel stage.
const CHUNK: usize = 64;

/// A unit of work for the parallel stage.
enum Item {
    /// A paragraph of a plain-text article; `more_follow` tells whether the article goes on
    /// after it (only looked at for the first paragraph: a headline has text after it).
    Paragraph {
        doc: Arc<str>,
        para: OwnedParagraph,
        more_follow: bool,
    },
    /// One JSONL line, not yet decoded: a byte range of the batch's buffer.
    Line {
        origin: Origin,
        range: std::ops::Range<usize>,
    },
}

/// A batch: its items and the bytes of its JSONL lines.
#[derive(Default)]
struct Batch {
    items: Vec<Item>,
    lines: Vec<u8>,
}

enum Open {
    Text {
        doc: Arc<str>,
        reader: ParagraphReader<BufReader<Box<dyn Read + Send>>>,
        /// The paragraph read ahead after an article's first one.
        ahead: Option<OwnedParagraph>,
    },
    Jsonl {
        path: Arc<Path>,
        reader: BufReader<Box<dyn Read + Send>>,
        line: usize,
    },
}

/// Reads the inputs one after the other, in batches.
struct Reader {
    files: Vec<PathBuf>,
    next_file: usize,
    input: Input,
    lossy_utf8: bool,
    open: Option<Open>,
    /// Bytes consumed in files already finished.
    done_bytes: u64,
    /// Bytes consumed in the open file.
    open_bytes: u64,
}

fn open_source(path: &Path) -> Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        Ok(Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
        Ok(Box::new(f))
    }
}

fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

impl Reader {
    fn bytes_read(&self) -> u64 {
        self.done_bytes + self.open_bytes
    }

    /// The next batch of items (no items at the end of the input), reusing `batch`'s buffers.
    fn next_batch(&mut self, batch: &mut Batch) -> Result<()> {
        batch.items.clear();
        batch.lines.clear();
        let mut bytes = 0usize;
        while batch.items.len() < BATCH_ITEMS && bytes < BATCH_BYTES {
            if self.open.is_none() {
                let Some(path) = self.files.get(self.next_file) else {
                    break;
                };
                self.next_file += 1;
                let source = BufReader::with_capacity(1 << 16, open_source(path)?);
                self.open = Some(match self.input {
                    Input::Text => Open::Text {
                        doc: display_name(path).into(),
                        reader: ParagraphReader::new(source).lossy_utf8(self.lossy_utf8),
                        ahead: None,
                    },
                    Input::Jsonl => Open::Jsonl {
                        path: Arc::from(Path::new(&display_name(path))),
                        reader: source,
                        line: 0,
                    },
                });
            }
            let finished = match self.open.as_mut().expect("opened above") {
                Open::Text { doc, reader, ahead } => {
                    let mut next = || {
                        reader
                            .next_paragraph()
                            .map_err(|e| super::text_read_error(doc, e))
                    };
                    let p = match ahead.take() {
                        Some(p) => Some(p),
                        None => next()?,
                    };
                    let p = match p {
                        Some(para) if para.index == 0 => {
                            *ahead = next()?;
                            Some((para, ahead.is_some()))
                        }
                        Some(para) => Some((para, true)),
                        None => None,
                    };
                    self.open_bytes = reader.position() as u64;
                    match p {
                        Some((para, more_follow)) => {
                            bytes += para.text.len();
                            batch.items.push(Item::Paragraph {
                                doc: doc.clone(),
                                para,
                                more_follow,
                            });
                            false
                        }
                        None => {
                            if let Some(r) = reader.replacements() {
                                eprintln!(
                                    "rhetor: warning: {doc}: replaced {} invalid UTF-8 sequence(s) with U+FFFD (the first at line {}, byte {})",
                                    r.count, r.first.line, r.first.offset
                                );
                            }
                            true
                        }
                    }
                }
                Open::Jsonl { path, reader, line } => {
                    let from = batch.lines.len();
                    let n = reader
                        .read_until(b'\n', &mut batch.lines)
                        .with_context(|| format!("reading {}", path.display()))?;
                    self.open_bytes += n as u64;
                    if n == 0 {
                        true
                    } else {
                        *line += 1;
                        bytes += n;
                        if batch.lines[from..].iter().all(u8::is_ascii_whitespace) {
                            batch.lines.truncate(from);
                        } else {
                            batch.items.push(Item::Line {
                                origin: Origin {
                                    path: path.clone(),
                                    line: *line,
                                },
                                range: from..batch.lines.len(),
                            });
                        }
                        false
                    }
                }
            };
            if finished {
                self.open = None;
                self.done_bytes += self.open_bytes;
                self.open_bytes = 0;
            }
        }
        Ok(())
    }
}

/// What one chunk of items produced.
#[derive(Default)]
struct ChunkOut {
    bytes: Vec<u8>,
    /// Rows for the reports that group by document (table, HTML).
    rows: Vec<ScoredRow>,
    paragraphs: usize,
    /// Malformed lines (all of them with `--skip-bad`; otherwise the first, which ends the chunk).
    bad: Vec<CorpusError>,
    /// Records whose text has no paragraph.
    empty: EmptyRecords,
    /// Input fields not carried through because rhetor writes a field of that name, and where
    /// the first was.
    shadowed: Shadowed,
}

/// Records whose text has no paragraph (empty or blank): how many, and where the first was.
#[derive(Default)]
struct EmptyRecords {
    n: usize,
    first: Option<Origin>,
}

impl EmptyRecords {
    fn note(&mut self, origin: &Origin) {
        self.n += 1;
        self.first.get_or_insert_with(|| origin.clone());
    }

    fn merge(&mut self, other: EmptyRecords) {
        self.n += other.n;
        if self.first.is_none() {
            self.first = other.first;
        }
    }

    /// Says on stderr that they have no output line.
    fn report(&self) {
        if let Some(first) = &self.first {
            eprintln!(
                "rhetor: {} record(s) with no text (first at {first}) have no output line: there \
                 is no paragraph to score",
                self.n
            );
        }
    }
}

/// Input fields that rhetor's own output fields replace.
#[derive(Default)]
struct Shadowed {
    names: std::collections::BTreeSet<String>,
    first: Option<Origin>,
}

impl Shadowed {
    fn note(&mut self, record: &ScoreRecord, origin: &Origin) {
        for (key, _) in &record.fields {
            // A record's `role` is honoured, not replaced.
            if key != "role" && OWN_KEYS.contains(&key.as_ref()) {
                if !self.names.contains(key.as_ref()) {
                    self.names.insert(key.to_string());
                }
                self.first.get_or_insert_with(|| origin.clone());
            }
        }
    }

    fn merge(&mut self, other: Shadowed) {
        self.names.extend(other.names);
        if self.first.is_none() {
            self.first = other.first;
        }
    }

    /// Names them on stderr.
    fn report(&self) {
        if let Some(first) = &self.first {
            let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
            eprintln!(
                "rhetor: input field(s) {} not carried through: the output has its own field of \
                 that name (first at {first})",
                names.join(", ")
            );
        }
    }
}

struct Stage<'a> {
    model: &'a Model,
    formatter: &'a RowFormatter<'a>,
    skip_bad: bool,
    roles: Roles,
    /// Evidence items per label, when explaining.
    explain: Option<usize>,
}

/// Per-thread buffers of the parallel stage.
#[derive(Default)]
struct Buffers {
    score: ScoreScratch,
    scores: Vec<TaskScores>,
    explain: ExplainScratch,
}

/// One paragraph to score.
struct Para<'t> {
    doc: &'t str,
    /// The document name already shared (plain-text input), for the rows of reports.
    shared_doc: Option<&'t Arc<str>>,
    id: Option<&'t str>,
    fields: &'t [(std::borrow::Cow<'t, str>, &'t serde_json::value::RawValue)],
    paragraph: usize,
    start: usize,
    end: usize,
    text: &'t str,
    target: Option<&'t str>,
    role: Role,
}

fn role_error(origin: &Origin, value: &str) -> CorpusError {
    CorpusError::BadRecord {
        path: origin.path.to_path_buf(),
        line: origin.line,
        kind: rhetor::error::BadRecordKind::WrongFieldType,
        message: format!(
            "`role` is {value}; it must be one of \"headline\", \"byline\", \"boilerplate\", \"body\""
        ),
    }
}

impl Stage<'_> {
    /// Scores one paragraph (body text only) and emits its row.
    fn emit(&self, out: &mut ChunkOut, p: Para, buf: &mut Buffers) {
        out.paragraphs += 1;
        buf.scores.clear();
        let mut evidence: Vec<LabelEvidence> = Vec::new();
        if p.role.is_body() {
            self.model
                .score_into(p.text, p.target, &mut buf.score, &mut buf.scores);
            if let Some(k) = self.explain {
                evidence = self.model.explain(
                    p.text,
                    p.target,
                    &buf.scores,
                    &buf.score,
                    k,
                    &mut buf.explain,
                );
            }
        }
        match self.formatter.format() {
            Format::Table | Format::Html => out.rows.push(ScoredRow {
                doc: p.shared_doc.cloned().unwrap_or_else(|| Arc::from(p.doc)),
                paragraph: p.paragraph,
                start: p.start,
                end: p.end,
                role: p.role,
                text: p.text.to_string(),
                words: word_count(p.text),
                scores: buf.scores.clone(),
                evidence,
            }),
            _ => self.formatter.write_line(
                &mut out.bytes,
                &ParagraphRow {
                    doc: p.doc,
                    id: p.id,
                    target: p.target,
                    fields: p.fields,
                    paragraph: p.paragraph,
                    start: p.start,
                    end: p.end,
                    text: p.text,
                    role: p.role,
                    scores: &buf.scores,
                    evidence: self.explain.map(|_| evidence.as_slice()),
                },
            ),
        }
    }

    /// Scores `items`, writing their lines into `bytes` (cleared first: a buffer of an earlier
    /// batch, reused so that its memory is not allocated and faulted in again).
    fn chunk(&self, items: &[Item], lines: &[u8], bytes: Vec<u8>, buf: &mut Buffers) -> ChunkOut {
        let mut out = ChunkOut {
            bytes,
            ..ChunkOut::default()
        };
        out.bytes.clear();
        let auto = self.roles == Roles::Auto;
        for item in items {
            match item {
                Item::Paragraph {
                    doc,
                    para,
                    more_follow,
                } => {
                    let role = if auto {
                        paragraph_role(&para.text, para.index, *more_follow)
                    } else {
                        Role::Body
                    };
                    let p = Para {
                        doc,
                        shared_doc: Some(doc),
                        id: None,
                        fields: &[],
                        paragraph: para.index,
                        start: para.start,
                        end: para.end,
                        text: &para.text,
                        target: None,
                        role,
                    };
                    self.emit(&mut out, p, buf);
                }
                Item::Line { origin, range } => {
                    let record = std::str::from_utf8(&lines[range.clone()])
                        .map_err(|e| CorpusError::invalid_utf8(origin, &e))
                        .and_then(|line| ScoreRecord::parse(line, origin))
                        .and_then(|r| {
                            let given = given_role(&r, origin)?;
                            Ok((r, given))
                        });
                    let (record, given) = match record {
                        Ok(r) => r,
                        Err(e) => {
                            out.bad.push(e);
                            if self.skip_bad {
                                continue;
                            }
                            return out;
                        }
                    };
                    out.shadowed.note(&record, origin);
                    let mut paras = paragraphs(&record.text).peekable();
                    if paras.peek().is_none() {
                        out.empty.note(origin);
                    }
                    while let Some(p) = paras.next() {
                        let role = match (given, auto) {
                            (Some(r), true) => r,
                            (None, true) => paragraph_role(p.text, p.index, paras.peek().is_some()),
                            (_, false) => Role::Body,
                        };
                        let para = Para {
                            doc: &record.doc,
                            shared_doc: None,
                            id: Some(&record.id),
                            fields: &record.fields,
                            paragraph: p.index,
                            start: p.start,
                            end: p.end,
                            text: p.text,
                            target: record.target.as_deref(),
                            role,
                        };
                        self.emit(&mut out, para, buf);
                    }
                }
            }
        }
        out
    }
}

/// A record's own `role` field, if it has one: a role name, or an error.
fn given_role(record: &ScoreRecord, origin: &Origin) -> Result<Option<Role>, CorpusError> {
    let Some((_, raw)) = record.fields.iter().find(|(k, _)| k == "role") else {
        return Ok(None);
    };
    match serde_json::from_str::<String>(raw.get()) {
        Ok(name) => Role::parse(&name)
            .map(Some)
            .ok_or_else(|| role_error(origin, raw.get())),
        Err(_) => Err(role_error(origin, raw.get())),
    }
}

thread_local! {
    /// Each worker thread keeps its buffers and word cache for the whole run (rayon's
    /// `map_init` would start a fresh cache for every split of every batch).
    static SCRATCH: std::cell::RefCell<Buffers> = Default::default();
}

/// Set by Ctrl-C / SIGTERM; a second signal exits at once.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn install_interrupt_handler() {
    // If a handler cannot be installed the default behaviour (exit) remains; nothing to report.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

fn progress_bar(files: &[PathBuf], quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let total: Option<u64> = files
        .iter()
        .map(|p| {
            (p != Path::new("-"))
                .then(|| {
                    std::fs::metadata(p)
                        .ok()
                        .filter(|m| m.is_file())
                        .map(|m| m.len())
                })
                .flatten()
        })
        .sum();
    let bar = match total {
        Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(
                ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes}  {msg}  ETA {eta}")
                    .expect("valid template"),
            ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {bytes} read  {msg}").expect("valid template"),
        ),
    };
    Some(bar)
}

/// Where the output goes: standard output, or an [`AtomicFile`] renamed over `-o FILE` when
/// the run ends (so a failed run never leaves a truncated FILE).
enum Sink {
    Stdout(std::io::BufWriter<super::Stdout>),
    File(AtomicFile, PathBuf),
}

impl Sink {
    fn open(path: Option<&Path>) -> Result<Sink> {
        Ok(match path {
            None => Sink::Stdout(std::io::BufWriter::with_capacity(1 << 16, super::stdout())),
            Some(p) => Sink::File(
                AtomicFile::create(p).with_context(|| format!("cannot create {}", p.display()))?,
                p.to_path_buf(),
            ),
        })
    }

    fn out(&mut self) -> &mut dyn Write {
        match self {
            Sink::Stdout(w) => w,
            Sink::File(f, _) => f,
        }
    }

    /// Flushes and, with `-o`, moves the file into place. Dropped instead, a file sink
    /// removes its temporary file.
    fn commit(self) -> Result<()> {
        match self {
            Sink::Stdout(mut w) => Ok(w.flush()?),
            Sink::File(f, path) => f
                .commit()
                .with_context(|| format!("writing {}", path.display())),
        }
    }
}

/// Whether the table is coloured.
fn use_colour(choice: Colour, to_file: bool) -> bool {
    match choice {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => {
            !to_file
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// The table's width: `--width`, else the terminal's, else `COLUMNS`, else 120.
fn table_width(given: Option<usize>) -> usize {
    given
        .or_else(|| {
            std::io::stdout()
                .is_terminal()
                .then(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
                .flatten()
        })
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
        .unwrap_or(120)
}

/// The writer side of a run: whole lines as they come, or reports grouped by document.
enum Writer<'m> {
    Lines,
    Table(Grouper<TableReport<'m>>),
    Html(Grouper<HtmlReport<'m>>),
}

impl Writer<'_> {
    fn rows(&mut self, out: &mut dyn Write, rows: Vec<ScoredRow>) -> std::io::Result<()> {
        match self {
            Writer::Lines => Ok(()),
            Writer::Table(g) => rows.into_iter().try_for_each(|r| g.push(out, r)),
            Writer::Html(g) => rows.into_iter().try_for_each(|r| g.push(out, r)),
        }
    }

    fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        match self {
            Writer::Lines => Ok(()),
            Writer::Table(g) => g.finish(out),
            Writer::Html(g) => g.finish(out),
        }
    }
}

pub fn run(a: Args) -> Result<Outcome> {
    set_threads(a.threads)?;
    let model = load_model(a.model.as_deref())?;
    install_interrupt_handler();
    let files = if a.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        a.files.clone()
    };
    let explain = (a.explain || a.format == Format::Html).then_some(a.explain_top);
    let formatter = RowFormatter::new(a.format, model.heads(), a.with_text, explain.is_some());
    let stage = Stage {
        model: &model,
        formatter: &formatter,
        skip_bad: a.skip_bad,
        roles: a.roles,
        explain,
    };
    let mut reader = Reader {
        files: files.clone(),
        next_file: 0,
        input: a.input,
        lossy_utf8: a.lossy_utf8,
        open: None,
        done_bytes: 0,
        open_bytes: 0,
    };
    let mut sink = Sink::open(a.output.as_deref())?;
    let schema = Schema::of_heads(model.heads());
    let mut writer = match a.format {
        Format::Table => Writer::Table(Grouper::new(
            TableReport::new(
                model.heads(),
                use_colour(a.color, a.output.is_some()),
                table_width(a.width),
                a.with_text,
            ),
            schema,
        )),
        Format::Html => Writer::Html(Grouper::new(HtmlReport::new(model.heads()), schema)),
        Format::Csv | Format::Jsonl => Writer::Lines,
    };
    let outcome = score_all(&a, &stage, &mut reader, &mut writer, sink.out());
    if outcome.is_err() {
        // What was written stays on standard output (whole lines); a file is not left
        // behind half-written (dropping its sink removes it).
        let _ = sink.out().flush();
        return outcome;
    }
    sink.commit()?;
    outcome
}

fn score_all(
    a: &Args,
    stage: &Stage,
    reader: &mut Reader,
    writer: &mut Writer,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let bar = progress_bar(&reader.files, a.quiet);
    let clock = Instant::now();
    if a.format == Format::Csv {
        let mut line = Vec::new();
        super::output::csv_header(&mut line, &stage.formatter.csv_columns());
        out.write_all(&line)?;
    }
    let mut total = 0usize;
    let mut skipped: Vec<CorpusError> = Vec::new();
    let mut empty = EmptyRecords::default();
    let mut shadowed = Shadowed::default();
    let mut batch = Batch::default();
    // One output buffer per chunk of a batch, handed back after writing.
    let mut spare: Vec<Vec<u8>> = Vec::new();
    let finish_bar = || {
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
    };
    // The next batch is read while this one is scored (on a pool thread of its own when there
    // are two or more); with one thread the two steps simply take turns.
    let mut ahead = Batch::default();
    reader.next_batch(&mut batch)?;
    while !batch.items.is_empty() {
        let lines = &batch.lines;
        spare.resize_with(batch.items.len().div_ceil(CHUNK), Vec::new);
        let (chunks, read_ahead) = rayon::join(
            || -> Vec<ChunkOut> {
                batch
                    .items
                    .par_chunks(CHUNK)
                    .zip(spare.par_iter_mut())
                    .map(|(items, bytes)| {
                        let bytes = std::mem::take(bytes);
                        SCRATCH.with(|s| stage.chunk(items, lines, bytes, &mut s.borrow_mut()))
                    })
                    .collect()
            },
            || reader.next_batch(&mut ahead),
        );
        let mut failure = None;
        // Each write is whole lines; the run only stops between batches (or on a second
        // interrupt), so the output always ends on a whole line.
        for (chunk, spare) in chunks.into_iter().zip(spare.iter_mut()) {
            total += chunk.paragraphs;
            empty.merge(chunk.empty);
            shadowed.merge(chunk.shadowed);
            out.write_all(&chunk.bytes)?;
            *spare = chunk.bytes;
            writer.rows(out, chunk.rows)?;
            if a.skip_bad {
                skipped.extend(chunk.bad);
            } else if let Some(e) = chunk.bad.into_iter().next() {
                failure = Some(e);
                break;
            }
        }
        if let Some(e) = failure {
            writer.finish(out)?;
            finish_bar();
            bail!("{e} (use --skip-bad to skip malformed lines)");
        }
        if let Some(b) = &bar {
            b.set_position(reader.bytes_read());
            let rate = total as f64 / clock.elapsed().as_secs_f64().max(1e-9);
            b.set_message(format!("{total} paragraphs, {rate:.0}/s"));
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            writer.finish(out)?;
            finish_bar();
            eprintln!(
                "rhetor: interrupted after {total} paragraphs; the output ends on a whole line"
            );
            return Ok(Outcome::Interrupted);
        }
        // A read error surfaces once everything before it is written.
        read_ahead?;
        std::mem::swap(&mut batch, &mut ahead);
    }
    writer.finish(out)?;
    finish_bar();
    super::report_skipped(&skipped);
    shadowed.report();
    empty.report();
    Ok(Outcome::Success)
}
