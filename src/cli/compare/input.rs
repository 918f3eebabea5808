//! Reading the inputs of `rhetor compare` into a [`CompareInput`]:
//!
//! * plain-text articles (each file one document), scored here;
//! * JSONL records (`text`, `doc`, `id`, `target`, `role`, any metadata), scored here; the
//!   records of one document (same `doc`) are put together in input order, wherever they are;
//! * paragraphs already scored by `rhetor score --format jsonl [--with-text]`, one line per
//!   paragraph, streamed: nothing is scored again.
//!
//! A document's group and date are those of its first record or paragraph line that has the
//! field. Only body paragraphs are tallied: roles come from a record's valid `role` field or a
//! scored line's `role` (missing: body), otherwise from [`paragraph_roles`] over the
//! document's paragraphs.

use std::collections::hash_map::Entry;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use rhetor::compare::{Bucket, CompareInput, DocWords, WordCounter, WordSplitter};
use rhetor::corpus::{LabelValue, Origin, ScoreRecord, TaskKind};
use rhetor::error::CorpusError;
use rhetor::model::{Model, ScoreScratch, TaskScores};
use rhetor::summary::{word_count, DocSummary, Schema, TaskSchema};
use rhetor::text::{paragraph_roles, paragraphs, Language, Role};
use rustc_hash::FxHashMap;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// How documents are grouped and dated, and what to do with malformed lines.
pub struct Options<'a> {
    /// Field naming a document's group (`None`: each document is its own group).
    pub group_by: Option<&'a str>,
    /// Field holding a document's date, and the bucket size.
    pub time: Option<(&'a str, Bucket)>,
    /// Skip malformed lines instead of stopping.
    pub skip_bad: bool,
    /// Stemming of keyness words.
    pub stem: Language,
}

/// What was read.
pub struct Loaded {
    /// The documents, ready to compare.
    pub input: CompareInput,
    /// Documents left out for want of the group field.
    pub ungrouped: usize,
    /// Malformed lines skipped (`--skip-bad`).
    pub skipped: Vec<CorpusError>,
}

/// Documents per parallel step: enough to keep every thread busy, few enough that their word
/// counts stay small before they are added to their group's.
const DOCS_PER_STEP: usize = 512;
/// Scored lines per parallel step.
const LINES_PER_STEP: usize = 8192;

fn open(path: &Path) -> Result<(String, Box<dyn Read + Send>)> {
    if path == Path::new("-") {
        Ok(("<stdin>".into(), Box::new(std::io::stdin())))
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
        Ok((path.display().to_string(), Box::new(f)))
    }
}

/// A field's value as text: a string as written, a number or boolean as its JSON text; `None`
/// for null.
fn field_text(raw: &RawValue) -> Option<String> {
    match raw.get().as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw.get()).ok(),
        Some(b'n') | None => None,
        _ => Some(raw.get().to_string()),
    }
}

/// One paragraph of a document read as text or JSONL.
struct RawParagraph {
    text: String,
    target: Option<String>,
    /// The role given by the record, if valid.
    role: Option<Role>,
}

/// A document read as text or JSONL, not yet scored.
struct RawDoc {
    doc: String,
    group: Option<String>,
    date: Option<String>,
    paragraphs: Vec<RawParagraph>,
}

thread_local! {
    /// Each worker thread keeps its scoring buffers and word cache for the whole run.
    static SCRATCH: std::cell::RefCell<(ScoreScratch, Vec<TaskScores>)> = Default::default();
}

/// Scores one document and tallies it.
fn score_doc(
    model: &Model,
    schema: &Schema,
    counter: &WordCounter,
    d: &RawDoc,
) -> (DocSummary, DocWords) {
    SCRATCH.with(|s| {
        let (scratch, scores) = &mut *s.borrow_mut();
        let detected = paragraph_roles(d.paragraphs.iter().map(|p| p.text.as_str()));
        let mut summary = DocSummary::new(d.doc.clone(), schema);
        let mut words = DocWords::default();
        for (i, (p, found)) in d.paragraphs.iter().zip(detected).enumerate() {
            let role = p.role.unwrap_or(found);
            let n = word_count(&p.text);
            if role.is_body() {
                model.score_into(&p.text, p.target.as_deref(), scratch, scores);
                counter.add(&mut words, &p.text, scores);
                summary.add(i, role, n, scores);
            } else {
                summary.add(i, role, n, &[]);
            }
        }
        (summary, words)
    })
}

/// The group of a document, or `None` when its group field is missing.
fn group_of(doc: &str, group: Option<&String>, opts: &Options) -> Option<String> {
    match opts.group_by {
        None => Some(doc.to_string()),
        Some(_) => group.cloned(),
    }
}

/// Scores documents in parallel, a step at a time, and adds them in input order.
fn score_docs(model: &Model, docs: &[RawDoc], opts: &Options) -> Loaded {
    let schema = Schema::of_heads(model.heads());
    let counter = WordCounter::new(&schema, WordSplitter::new(opts.stem));
    let mut input = CompareInput::new(schema.clone());
    if opts.time.is_some() {
        input = input.with_time_series();
    }
    let mut ungrouped = 0;
    for step in docs.chunks(DOCS_PER_STEP) {
        let tallies: Vec<(DocSummary, DocWords)> = step
            .par_iter()
            .map(|d| score_doc(model, &schema, &counter, d))
            .collect();
        for (d, (summary, words)) in step.iter().zip(tallies) {
            let Some(group) = group_of(&d.doc, d.group.as_ref(), opts) else {
                ungrouped += 1;
                continue;
            };
            let bucket = opts
                .time
                .and_then(|(_, b)| d.date.as_deref().and_then(|date| b.of(date)));
            input.add(summary, &group, bucket.as_deref());
            input.add_words(&group, &words);
        }
    }
    Loaded {
        input,
        ungrouped,
        skipped: Vec::new(),
    }
}

/// Plain-text articles: each file is one document named by its path.
pub fn read_text(files: &[PathBuf], model: &Model, opts: &Options) -> Result<Loaded> {
    if let Some(f) = opts.group_by.filter(|&f| f != "doc") {
        bail!(
            "--group-by {f}: plain-text articles have no field but `doc` (the file name); \
             give records with metadata with --input jsonl"
        );
    }
    if let Some((f, _)) = opts.time {
        bail!(
            "--by-time {f}: plain-text articles have no date; give records with a date field \
             with --input jsonl"
        );
    }
    let docs = files
        .iter()
        .map(|path| {
            let (name, mut reader) = open(path)?;
            let mut text = String::new();
            reader
                .read_to_string(&mut text)
                .with_context(|| format!("reading {name} (plain UTF-8 text expected)"))?;
            Ok(RawDoc {
                paragraphs: paragraphs(&text)
                    .map(|p| RawParagraph {
                        text: p.text.to_string(),
                        target: None,
                        role: None,
                    })
                    .collect(),
                group: Some(name.clone()),
                date: None,
                doc: name,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(score_docs(model, &docs, opts))
}

/// Reads the lines of `files` one by one, passing each non-blank line with its origin.
fn for_each_line(
    files: &[PathBuf],
    mut f: impl FnMut(Result<&str, CorpusError>, Origin) -> Result<()>,
) -> Result<()> {
    let mut buf = Vec::new();
    for path in files {
        let (name, reader) = open(path)?;
        let shown: Arc<Path> = Arc::from(Path::new(&name));
        let mut reader = BufReader::with_capacity(1 << 16, reader);
        let mut line = 0;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .with_context(|| format!("reading {name}"))?;
            if n == 0 {
                break;
            }
            line += 1;
            let origin = Origin {
                path: shown.clone(),
                line,
            };
            match std::str::from_utf8(&buf) {
                Ok(l) if l.trim().is_empty() => {}
                Ok(l) => f(Ok(l), origin)?,
                Err(e) => {
                    let err = CorpusError::invalid_utf8(&origin, &e);
                    f(Err(err), origin)?
                }
            }
        }
    }
    Ok(())
}

/// Stops at a malformed line, or keeps it for the report with `--skip-bad`.
fn bad_line(e: CorpusError, opts: &Options, skipped: &mut Vec<CorpusError>) -> Result<()> {
    if opts.skip_bad {
        skipped.push(e);
        Ok(())
    } else {
        bail!("{e} (use --skip-bad to skip malformed lines)")
    }
}

/// The value of `field` in a record: `doc`, `id` and `target` as read, or any other field.
fn record_field(r: &ScoreRecord, field: &str) -> Option<String> {
    match field {
        "doc" => Some(r.doc.to_string()),
        "id" => Some(r.id.to_string()),
        "target" => r.target.as_deref().map(str::to_string),
        _ => r
            .fields
            .iter()
            .find(|(k, _)| k == field)
            .and_then(|(_, v)| field_text(v)),
    }
}

/// JSONL records: documents are put together by `doc`, in the order they first appear.
pub fn read_jsonl(files: &[PathBuf], model: &Model, opts: &Options) -> Result<Loaded> {
    let mut docs: Vec<RawDoc> = Vec::new();
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    let mut skipped = Vec::new();
    for_each_line(files, |line, origin| {
        let record = line.and_then(|l| ScoreRecord::parse(l, &origin));
        let r = match record {
            Ok(r) => r,
            Err(e) => return bad_line(e, opts, &mut skipped),
        };
        let at = match index.entry(r.doc.to_string()) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                docs.push(RawDoc {
                    doc: r.doc.to_string(),
                    group: None,
                    date: None,
                    paragraphs: Vec::new(),
                });
                *e.insert(docs.len() - 1)
            }
        };
        let d = &mut docs[at];
        if let Some(g) = opts.group_by.filter(|_| d.group.is_none()) {
            d.group = record_field(&r, g);
        }
        if let Some((t, _)) = opts.time.filter(|_| d.date.is_none()) {
            d.date = record_field(&r, t);
        }
        let role = r
            .fields
            .iter()
            .find(|(k, _)| k == "role")
            .and_then(|(_, v)| serde_json::from_str::<Role>(v.get()).ok());
        for p in paragraphs(&r.text) {
            d.paragraphs.push(RawParagraph {
                text: p.text.to_string(),
                target: r.target.as_deref().map(str::to_string),
                role,
            });
        }
        Ok(())
    })?;
    let mut loaded = score_docs(model, &docs, opts);
    loaded.skipped = skipped;
    Ok(loaded)
}

/// A JSON object's entries in input order.
struct Ordered<V>(Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(Entries(PhantomData))
    }
}

/// A scored line whose fields do not have the shape `rhetor score --format jsonl` writes.
fn bad(origin: &Origin, message: impl Into<String>) -> CorpusError {
    CorpusError::BadRecord {
        path: origin.path.to_path_buf(),
        line: origin.line,
        kind: rhetor::error::BadRecordKind::WrongFieldType,
        message: message.into(),
    }
}

/// The top-level fields of a scored line.
struct ScoredFields<'a> {
    fields: Vec<(String, &'a RawValue)>,
}

impl<'a> ScoredFields<'a> {
    fn parse(line: &'a str, origin: &Origin) -> Result<Self, CorpusError> {
        let Ordered(fields) = serde_json::from_str::<Ordered<&RawValue>>(line).map_err(|e| {
            bad(
                origin,
                format!("not a scored paragraph (a JSON object): {e}"),
            )
        })?;
        Ok(ScoredFields { fields })
    }

    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn need<T: Deserialize<'a>>(&self, key: &str, origin: &Origin) -> Result<T, CorpusError> {
        let raw = self.get(key).ok_or_else(|| {
            bad(
                origin,
                format!("missing `{key}`: expected a line of `rhetor score --format jsonl` output"),
            )
        })?;
        serde_json::from_str(raw.get()).map_err(|e| bad(origin, format!("`{key}`: {e}")))
    }
}

/// The tasks and labels of scored input, from its first line with scores: tasks in the order
/// of `scores`, each task's labels in the order of its scores, single- or multi-label as
/// `labels` says. `None` for a line without scores (a headline, byline or boilerplate line).
fn scored_schema(line: &str, origin: &Origin) -> Result<Option<Schema>, CorpusError> {
    let f = ScoredFields::parse(line, origin)?;
    let Ordered(scores): Ordered<Ordered<f64>> = f.need("scores", origin)?;
    if scores.is_empty() && f.get("role").is_some_and(|r| r.get() != "\"body\"") {
        return Ok(None);
    }
    let Ordered(labels): Ordered<LabelValue> = f.need("labels", origin)?;
    let tasks = scores
        .into_iter()
        .map(|(task, Ordered(probs))| {
            let kind = labels
                .iter()
                .find(|(t, _)| *t == task)
                .map(|(_, v)| v.kind())
                .ok_or_else(|| bad(origin, format!("task `{task}` has scores but no labels")))?;
            Ok(TaskSchema {
                task,
                kind,
                labels: probs.into_iter().map(|(l, _)| l).collect(),
            })
        })
        .collect::<Result<Vec<_>, CorpusError>>()?;
    if tasks.is_empty() {
        return Err(bad(origin, "`scores` holds no task"));
    }
    Ok(Some(Schema { tasks }))
}

/// One scored paragraph, mapped onto the schema.
struct ScoredLine {
    doc: String,
    role: Role,
    group: Option<String>,
    date: Option<String>,
    scores: Vec<TaskScores>,
    /// Words in the text, when the line has it.
    words: usize,
    /// Word counts of the text (body paragraphs with text).
    counted: Option<DocWords>,
}

/// Index of `name` in `names`, trying `hint` first (lines usually keep the first line's order).
fn find(names: &[String], name: &str, hint: usize) -> Option<usize> {
    if names.get(hint).is_some_and(|n| n == name) {
        Some(hint)
    } else {
        names.iter().position(|n| n == name)
    }
}

fn parse_scored(
    line: &str,
    origin: &Origin,
    schema: &Schema,
    counter: &WordCounter,
    opts: &Options,
) -> Result<ScoredLine, CorpusError> {
    let f = ScoredFields::parse(line, origin)?;
    let doc = match f.get("doc").or_else(|| f.get("id")) {
        Some(raw) => field_text(raw).ok_or_else(|| bad(origin, "`doc` is null"))?,
        None => return Err(bad(origin, "missing `doc`")),
    };
    let role = match f.get("role") {
        None => Role::Body,
        Some(raw) if raw.get() == "null" => Role::Body,
        Some(raw) => serde_json::from_str::<Role>(raw.get()).map_err(|_| {
            bad(
                origin,
                format!(
                    "`role` must be headline, byline, boilerplate or body, found {}",
                    raw.get()
                ),
            )
        })?,
    };
    let Ordered(scores): Ordered<Ordered<f64>> = f.need("scores", origin)?;
    let Ordered(labels): Ordered<LabelValue> = f.need("labels", origin)?;
    if scores.is_empty() && !role.is_body() {
        // Headlines, bylines and boilerplate are not scored.
        let text = f.get("text").and_then(field_text);
        return Ok(ScoredLine {
            doc,
            role,
            group: opts.group_by.and_then(|g| f.get(g).and_then(field_text)),
            date: opts.time.and_then(|(t, _)| f.get(t).and_then(field_text)),
            scores: Vec::new(),
            words: text.as_deref().map_or(0, word_count),
            counted: None,
        });
    }
    let task_names: Vec<String> = schema.tasks.iter().map(|t| t.task.clone()).collect();
    let mut out: Vec<Option<TaskScores>> = vec![None; schema.tasks.len()];
    for (i, (task, Ordered(probs))) in scores.into_iter().enumerate() {
        let t = find(&task_names, &task, i).ok_or_else(|| {
            bad(
                origin,
                format!(
                    "unknown task `{task}` (the first line has {})",
                    task_names.join(", ")
                ),
            )
        })?;
        let ts = &schema.tasks[t];
        let mut p = vec![f32::NAN; ts.labels.len()];
        for (j, (label, prob)) in probs.into_iter().enumerate() {
            let l = find(&ts.labels, &label, j).ok_or_else(|| {
                bad(
                    origin,
                    format!("unknown label `{label}` of task `{task}` (not in the first line)"),
                )
            })?;
            p[l] = prob as f32;
        }
        if let Some(l) = p.iter().position(|x| x.is_nan()) {
            return Err(bad(
                origin,
                format!("no score for label `{}` of task `{task}`", ts.labels[l]),
            ));
        }
        let value = labels
            .iter()
            .find(|(name, _)| *name == task)
            .map(|(_, v)| v)
            .ok_or_else(|| bad(origin, format!("task `{task}` has scores but no labels")))?;
        if value.kind() != ts.kind {
            return Err(bad(
                origin,
                format!(
                    "task `{task}` is {} here but {} in the first line",
                    value.kind(),
                    ts.kind
                ),
            ));
        }
        let predicted = value
            .labels()
            .map(|l| {
                ts.labels.iter().position(|x| x == l).ok_or_else(|| {
                    bad(origin, format!("label `{l}` of task `{task}` has no score"))
                })
            })
            .collect::<Result<Vec<usize>, CorpusError>>()?;
        if ts.kind == TaskKind::Single && predicted.len() != 1 {
            return Err(bad(origin, format!("task `{task}` needs one label")));
        }
        out[t] = Some(TaskScores {
            probs: p,
            predicted,
        });
    }
    let scores = out
        .into_iter()
        .zip(&schema.tasks)
        .map(|(s, t)| s.ok_or_else(|| bad(origin, format!("no scores for task `{}`", t.task))))
        .collect::<Result<Vec<_>, CorpusError>>()?;
    let text: Option<String> = match f.get("text") {
        Some(raw) => field_text(raw),
        None => None,
    };
    let field = |name: &str| f.get(name).and_then(field_text);
    let mut counted = None;
    let words = text.as_deref().map_or(0, word_count);
    if let (Some(t), true) = (&text, role.is_body()) {
        let mut w = DocWords::default();
        counter.add(&mut w, t, &scores);
        counted = Some(w);
    }
    Ok(ScoredLine {
        doc,
        role,
        group: opts.group_by.and_then(field),
        date: opts.time.and_then(|(t, _)| field(t)),
        scores,
        words,
        counted,
    })
}

/// A document of scored input, being tallied.
struct ScoredDoc {
    summary: DocSummary,
    /// `None`: the document has no group and is left out.
    group: Option<String>,
    bucket: Option<String>,
    next_paragraph: usize,
}

/// Paragraphs already scored (`rhetor score --format jsonl` output), streamed a step at a time.
pub fn read_scored(files: &[PathBuf], opts: &Options) -> Result<Loaded> {
    let mut schema: Option<(Schema, WordCounter)> = None;
    let mut skipped = Vec::new();
    let mut pending: Vec<(String, Origin)> = Vec::new();
    let mut docs: Vec<ScoredDoc> = Vec::new();
    let mut index: FxHashMap<String, usize> = FxHashMap::default();
    let mut input: Option<CompareInput> = None;

    let mut flush = |pending: &mut Vec<(String, Origin)>,
                     (schema, counter): &(Schema, WordCounter),
                     input: &mut CompareInput,
                     skipped: &mut Vec<CorpusError>|
     -> Result<()> {
        let parsed: Vec<Result<ScoredLine, CorpusError>> = pending
            .par_iter()
            .map(|(line, origin)| parse_scored(line, origin, schema, counter, opts))
            .collect();
        pending.clear();
        for p in parsed {
            let line = match p {
                Ok(l) => l,
                Err(e) => {
                    bad_line(e, opts, skipped)?;
                    continue;
                }
            };
            let at = match index.entry(line.doc.clone()) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    let group = match opts.group_by {
                        None => Some(line.doc.clone()),
                        Some(_) => line.group.clone(),
                    };
                    let bucket = opts
                        .time
                        .and_then(|(_, b)| line.date.as_deref().and_then(|d| b.of(d)));
                    docs.push(ScoredDoc {
                        summary: DocSummary::new(line.doc.clone(), schema),
                        group,
                        bucket,
                        next_paragraph: 0,
                    });
                    *e.insert(docs.len() - 1)
                }
            };
            let d = &mut docs[at];
            let i = d.next_paragraph;
            d.next_paragraph += 1;
            d.summary.add(i, line.role, line.words, &line.scores);
            if let (Some(g), Some(w)) = (&d.group, &line.counted) {
                input.add_words(g, w);
            }
        }
        Ok(())
    };

    for_each_line(files, |line, origin| {
        let line = match line {
            Ok(l) => l,
            Err(e) => return bad_line(e, opts, &mut skipped),
        };
        if schema.is_none() {
            match scored_schema(line, &origin) {
                Ok(Some(s)) => {
                    let counter = WordCounter::new(&s, WordSplitter::new(opts.stem));
                    schema = Some((s, counter));
                }
                // A line without scores: the schema comes from the next scored one.
                Ok(None) => {
                    pending.push((line.to_string(), origin));
                    return Ok(());
                }
                Err(e) => return bad_line(e, opts, &mut skipped),
            }
        }
        let s = schema.as_ref().expect("set above");
        let inp = input.get_or_insert_with(|| {
            let i = CompareInput::new(s.0.clone());
            if opts.time.is_some() {
                i.with_time_series()
            } else {
                i
            }
        });
        pending.push((line.to_string(), origin));
        if pending.len() >= LINES_PER_STEP {
            flush(&mut pending, s, inp, &mut skipped)?;
        }
        Ok(())
    })?;
    let Some(schema) = schema else {
        bail!("no scored paragraph in the input (expected `rhetor score --format jsonl` output)");
    };
    let mut input = input.expect("created with the schema");
    flush(&mut pending, &schema, &mut input, &mut skipped)?;
    let mut ungrouped = 0;
    for d in docs {
        match d.group {
            Some(g) => input.add(d.summary, &g, d.bucket.as_deref()),
            None => ungrouped += 1,
        }
    }
    Ok(Loaded {
        input,
        ungrouped,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            path: Arc::from(Path::new("x.jsonl")),
            line: 3,
        }
    }

    const LINE: &str = r#"{"outlet":"A","date":"2026-02-10","role":"body","doc":"d1","paragraph":0,"labels":{"frame":["b"],"stance":"neutral"},"scores":{"frame":{"a":0.1,"b":0.7},"stance":{"critical":0.2,"neutral":0.8}},"text":"Fares rise again."}"#;

    #[test]
    fn lines_without_scores_give_no_schema() {
        let headline = r#"{"doc":"d1","paragraph":0,"role":"headline","labels":{},"scores":{}}"#;
        assert!(scored_schema(headline, &origin()).unwrap().is_none());
        let body = r#"{"doc":"d1","paragraph":1,"role":"body","labels":{},"scores":{}}"#;
        assert!(
            scored_schema(body, &origin()).is_err(),
            "a body line must be scored"
        );
    }

    #[test]
    fn schema_comes_from_the_first_scored_line() {
        let s = scored_schema(LINE, &origin()).unwrap().unwrap();
        let got: Vec<(&str, TaskKind, Vec<&str>)> = s
            .tasks
            .iter()
            .map(|t| {
                (
                    t.task.as_str(),
                    t.kind,
                    t.labels.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("frame", TaskKind::Multi, vec!["a", "b"]),
                ("stance", TaskKind::Single, vec!["critical", "neutral"]),
            ]
        );
    }

    #[test]
    fn scored_lines_map_onto_the_schema_in_any_key_order() {
        let schema = scored_schema(LINE, &origin()).unwrap().unwrap();
        let counter = WordCounter::new(&schema, WordSplitter::new(Language::None));
        let opts = Options {
            group_by: Some("outlet"),
            time: Some(("date", Bucket::Month)),
            skip_bad: false,
            stem: Language::None,
        };
        let reordered = r#"{"doc":7,"labels":{"stance":"critical","frame":[]},"scores":{"stance":{"neutral":0.4,"critical":0.6},"frame":{"b":0.2,"a":0.3}},"outlet":"B"}"#;
        let l = parse_scored(reordered, &origin(), &schema, &counter, &opts).unwrap();
        assert_eq!((l.doc.as_str(), l.role), ("7", Role::Body));
        assert_eq!(l.group.as_deref(), Some("B"));
        assert_eq!(l.date, None);
        assert_eq!(l.scores[0].probs, [0.3, 0.2]);
        assert!(l.scores[0].predicted.is_empty());
        assert_eq!(l.scores[1].probs, [0.6, 0.4]);
        assert_eq!(l.scores[1].predicted, [0]);
        assert!(l.counted.is_none(), "no text: no word counts");
        let l = parse_scored(LINE, &origin(), &schema, &counter, &opts).unwrap();
        assert_eq!(l.words, 3);
        assert_eq!(l.counted.unwrap().count("fares"), 1);
    }

    #[test]
    fn malformed_scored_lines_say_what_is_wrong() {
        let schema = scored_schema(LINE, &origin()).unwrap().unwrap();
        let counter = WordCounter::new(&schema, WordSplitter::new(Language::None));
        let opts = Options {
            group_by: None,
            time: None,
            skip_bad: false,
            stem: Language::None,
        };
        let cases = [
            ("[1, 2]", "not a scored paragraph"),
            (r#"{"doc":"d"}"#, "missing `scores`"),
            (
                r#"{"doc":"d","role":"footer","labels":{},"scores":{}}"#,
                "`role` must be",
            ),
            (
                r#"{"doc":"d","labels":{"frame":[],"stance":"neutral"},"scores":{"frame":{"a":0.1,"b":0.7}}}"#,
                "no scores for task `stance`",
            ),
            (
                r#"{"doc":"d","labels":{"frame":["z"],"stance":"neutral"},"scores":{"frame":{"a":0.1,"b":0.7},"stance":{"critical":0.2,"neutral":0.8}}}"#,
                "label `z` of task `frame` has no score",
            ),
            (
                r#"{"doc":"d","labels":{"frame":"a","stance":"neutral"},"scores":{"frame":{"a":0.1,"b":0.7},"stance":{"critical":0.2,"neutral":0.8}}}"#,
                "is single-label here but multi-label",
            ),
            (
                r#"{"doc":"d","labels":{"frame":[],"stance":"neutral"},"scores":{"frame":{"a":0.1,"c":0.7},"stance":{"critical":0.2,"neutral":0.8}}}"#,
                "unknown label `c`",
            ),
        ];
        for (line, want) in cases {
            let err = parse_scored(line, &origin(), &schema, &counter, &opts)
                .err()
                .unwrap_or_else(|| panic!("{line} parsed"))
                .to_string();
            assert!(err.contains(want), "{line}: {err}");
            assert!(err.contains("x.jsonl:3"), "{err}");
        }
    }
}
