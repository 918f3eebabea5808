//! `rhetor score [-m MODEL] [FILE|-]... [--format table|jsonl|csv] [--input text|jsonl]`
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
use rhetor::corpus::{Origin, ScoreRecord};
use rhetor::error::CorpusError;
use rhetor::model::{Model, ScoreScratch, TaskScores};
use rhetor::text::{paragraphs, OwnedParagraph, ParagraphReader};

use super::output::{align, Format, ParagraphRow, RowFormatter};
use super::{load_model, set_threads, Outcome};

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
    /// A paragraph of a plain-text article.
    Paragraph { doc: Arc<str>, para: OwnedParagraph },
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
                    },
                    Input::Jsonl => Open::Jsonl {
                        path: Arc::from(Path::new(&display_name(path))),
                        reader: source,
                        line: 0,
                    },
                });
            }
            let finished = match self.open.as_mut().expect("opened above") {
                Open::Text { doc, reader } => {
                    let p = reader
                        .next_paragraph()
                        .map_err(|e| super::text_read_error(doc, e))?;
                    self.open_bytes = reader.position() as u64;
                    match p {
                        Some(para) => {
                            bytes += para.text.len();
                            batch.items.push(Item::Paragraph {
                                doc: doc.clone(),
                                para,
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
    table: Vec<Vec<String>>,
    paragraphs: usize,
    /// Malformed lines (all of them with `--skip-bad`; otherwise the first, which ends the chunk).
    bad: Vec<CorpusError>,
}

struct Stage<'a> {
    model: &'a Model,
    formatter: &'a RowFormatter<'a>,
    skip_bad: bool,
}

impl Stage<'_> {
    fn emit(&self, out: &mut ChunkOut, row: &ParagraphRow) {
        out.paragraphs += 1;
        match self.formatter.format() {
            Format::Table => out.table.push(self.formatter.cells(row)),
            _ => self.formatter.write_line(&mut out.bytes, row),
        }
    }

    fn chunk(
        &self,
        items: &[Item],
        lines: &[u8],
        scratch: &mut ScoreScratch,
        scores: &mut Vec<TaskScores>,
    ) -> ChunkOut {
        let mut out = ChunkOut::default();
        for item in items {
            match item {
                Item::Paragraph { doc, para } => {
                    self.model.score_into(&para.text, None, scratch, scores);
                    self.emit(
                        &mut out,
                        &ParagraphRow {
                            doc,
                            id: None,
                            fields: &[],
                            paragraph: para.index,
                            start: para.start,
                            end: para.end,
                            text: &para.text,
                            scores,
                        },
                    );
                }
                Item::Line { origin, range } => {
                    let record = std::str::from_utf8(&lines[range.clone()])
                        .map_err(|e| CorpusError::invalid_utf8(origin, &e))
                        .and_then(|line| ScoreRecord::parse(line, origin));
                    let record = match record {
                        Ok(r) => r,
                        Err(e) => {
                            out.bad.push(e);
                            if self.skip_bad {
                                continue;
                            }
                            return out;
                        }
                    };
                    for p in paragraphs(&record.text) {
                        self.model
                            .score_into(p.text, record.target.as_deref(), scratch, scores);
                        self.emit(
                            &mut out,
                            &ParagraphRow {
                                doc: &record.doc,
                                id: Some(&record.id),
                                fields: &record.fields,
                                paragraph: p.index,
                                start: p.start,
                                end: p.end,
                                text: p.text,
                                scores,
                            },
                        );
                    }
                }
            }
        }
        out
    }
}

thread_local! {
    /// Each worker thread keeps its buffers and word cache for the whole run (rayon's
    /// `map_init` would start a fresh cache for every split of every batch).
    static SCRATCH: std::cell::RefCell<(ScoreScratch, Vec<TaskScores>)> = Default::default();
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

pub fn run(a: Args) -> Result<Outcome> {
    set_threads(a.threads)?;
    let model = load_model(a.model.as_deref())?;
    install_interrupt_handler();
    let files = if a.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        a.files.clone()
    };
    let formatter = RowFormatter::new(a.format, model.heads(), a.with_text);
    let stage = Stage {
        model: &model,
        formatter: &formatter,
        skip_bad: a.skip_bad,
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
    let bar = progress_bar(&files, a.quiet);
    let clock = Instant::now();
    let mut out = super::stdout();
    let header = formatter.header();
    let mut widths: Vec<usize> = Vec::new();
    let mut table_header = None;
    match a.format {
        Format::Csv => {
            let mut line = Vec::new();
            super::output::csv_header(&mut line, &header);
            out.write_all(&line)?;
        }
        Format::Table => table_header = Some(header),
        Format::Jsonl => {}
    }
    let mut total = 0usize;
    let mut skipped: Vec<CorpusError> = Vec::new();
    let mut batch = Batch::default();
    let mut table = Vec::new();
    loop {
        reader.next_batch(&mut batch)?;
        if batch.items.is_empty() {
            break;
        }
        let lines = &batch.lines;
        let chunks: Vec<ChunkOut> = batch
            .items
            .par_chunks(CHUNK)
            .map(|items| {
                SCRATCH.with(|s| {
                    let (scratch, scores) = &mut *s.borrow_mut();
                    stage.chunk(items, lines, scratch, scores)
                })
            })
            .collect();
        table.clear();
        table.extend(table_header.take());
        let mut failure = None;
        // Each write is whole lines; the run only stops between batches (or on a second
        // interrupt), so the output always ends on a whole line.
        for chunk in chunks {
            total += chunk.paragraphs;
            out.write_all(&chunk.bytes)?;
            table.extend(chunk.table);
            if a.skip_bad {
                skipped.extend(chunk.bad);
            } else if let Some(e) = chunk.bad.into_iter().next() {
                failure = Some(e);
                break;
            }
        }
        if a.format == Format::Table {
            let mut buf = Vec::new();
            align(&table, &mut widths, &mut buf);
            out.write_all(&buf)?;
        }
        if let Some(e) = failure {
            out.flush()?;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            bail!("{e} (use --skip-bad to skip malformed lines)");
        }
        if let Some(b) = &bar {
            b.set_position(reader.bytes_read());
            let rate = total as f64 / clock.elapsed().as_secs_f64().max(1e-9);
            b.set_message(format!("{total} paragraphs, {rate:.0}/s"));
        }
        if INTERRUPTED.load(Ordering::SeqCst) {
            out.flush()?;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            eprintln!(
                "rhetor: interrupted after {total} paragraphs; the output ends on a whole line"
            );
            return Ok(Outcome::Interrupted);
        }
    }
    out.flush()?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    super::report_skipped(&skipped);
    Ok(Outcome::Success)
}
