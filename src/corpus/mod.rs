//! Labelled corpora: JSONL records and the tasks they define.
//!
//! Format, one JSON object per line (UTF-8):
//!
//! ```text
//! {"id": "<doc>:<n>", "doc": "<document id>", "text": "<paragraph>", "target": "<optional>",
//!  "labels": {"<single-label task>": "<label>", "<multi-label task>": ["<label>", ...]}}
//! ```
//!
//! A task whose values are strings is single-label; one whose values are lists is multi-label
//! (`[]` means "none of the labels"). A record without a task's key is unlabelled for that task.
//! Other fields are kept, untouched, in [`Record::extra`]. Every error names the file and line.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{BadRecordKind, CorpusError};

/// A label value: one label or a set of labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LabelValue {
    /// Single-label task.
    Single(String),
    /// Multi-label task (may be empty).
    Multi(Vec<String>),
}

/// Whether a task takes one label or a set of labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    /// Exactly one label per record.
    Single,
    /// Zero or more labels per record.
    Multi,
}

impl TaskKind {
    /// `single` or `multi`.
    pub fn name(self) -> &'static str {
        match self {
            TaskKind::Single => "single",
            TaskKind::Multi => "multi",
        }
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskKind::Single => "single-label",
            TaskKind::Multi => "multi-label",
        })
    }
}

impl LabelValue {
    /// The kind of task this value belongs to.
    pub fn kind(&self) -> TaskKind {
        match self {
            LabelValue::Single(_) => TaskKind::Single,
            LabelValue::Multi(_) => TaskKind::Multi,
        }
    }

    /// The labels as a slice-like iterator (one for single-label values).
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        let (one, many): (Option<&str>, &[String]) = match self {
            LabelValue::Single(s) => (Some(s.as_str()), &[]),
            LabelValue::Multi(v) => (None, v.as_slice()),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file (`<stdin>` for standard input).
    pub path: Arc<Path>,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// One labelled (or unlabelled) record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Record id (`id` field; `<doc>:<line>` when absent).
    pub id: String,
    /// Document id (`doc` field; the id when absent). Splits and folds never cut a document.
    pub doc: String,
    /// The text.
    pub text: String,
    /// What a stance is toward, when given.
    pub target: Option<String>,
    /// Labels per task.
    pub labels: BTreeMap<String, LabelValue>,
    /// Every other field of the JSON object, untouched.
    pub extra: Map<String, Value>,
    /// File and line.
    pub origin: Origin,
}

fn bad(origin: &Origin, kind: BadRecordKind, message: impl Into<String>) -> CorpusError {
    CorpusError::BadRecord {
        path: origin.path.to_path_buf(),
        line: origin.line,
        kind,
        message: message.into(),
    }
}

impl CorpusError {
    /// The error for a line that is not UTF-8: the byte offset in the line of the first byte
    /// that is not.
    pub fn invalid_utf8(origin: &Origin, e: &std::str::Utf8Error) -> CorpusError {
        bad(
            origin,
            BadRecordKind::InvalidUtf8,
            format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
        )
    }
}

/// The JSON of a line: without its line ending, and on line 1 without the byte order mark
/// Windows editors write (neither is JSON; without the ending, an error at the end of the line
/// is placed there and not at column 0 of a next line).
fn json_of_line<'l>(line: &'l str, origin: &Origin) -> &'l str {
    let line = line.trim_end_matches(['\n', '\r']);
    if origin.line == 1 {
        line.strip_prefix('\u{feff}').unwrap_or(line)
    } else {
        line
    }
}

/// `invalid JSON at column C: <what>`, without serde_json's own position suffix (a line is
/// one line of JSON: its line number is the file's).
fn json_syntax_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let what = full.strip_suffix(&suffix).unwrap_or(&full);
    format!("invalid JSON at column {}: {what}", e.column())
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// An id-like field: a string, or a number kept exactly as written in `line`.
fn id_field(
    obj: &mut Map<String, Value>,
    key: &str,
    line: &str,
    origin: &Origin,
) -> Result<Option<String>, CorpusError> {
    match obj.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => {
            // `Value` reformats numbers (`-0` as `-0.0`, `1e3` as `1000.0`, a 30-digit id
            // rounded to an f64), so take the number as written: the last `key` of the line,
            // as `Value` does. The line parsed as an object already, so this parse succeeds;
            // fall back to serde_json's rendering all the same rather than fail.
            let raw = serde_json::from_str::<RawObject>(line)
                .ok()
                .and_then(|RawObject(f)| {
                    f.into_iter()
                        .rev()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| v.get().to_string())
                });
            Ok(Some(raw.unwrap_or_else(|| n.to_string())))
        }
        Some(v) => Err(bad(
            origin,
            BadRecordKind::WrongFieldType,
            format!("`{key}` must be a string, found {}", type_name(&v)),
        )),
    }
}

impl Record {
    /// Parses one JSONL line (its line ending may be included). On line 1 a byte order mark is
    /// skipped.
    pub fn parse(line: &str, origin: Origin) -> Result<Record, CorpusError> {
        let line = json_of_line(line, &origin);
        let value: Value = serde_json::from_str(line)
            .map_err(|e| bad(&origin, BadRecordKind::InvalidJson, json_syntax_message(&e)))?;
        let Value::Object(mut obj) = value else {
            return Err(bad(
                &origin,
                BadRecordKind::NotAnObject,
                format!("expected a JSON object, found {}", type_name(&value)),
            ));
        };
        let text = match obj.remove("text") {
            Some(Value::String(s)) => s,
            None => return Err(bad(&origin, BadRecordKind::MissingText, "missing `text`")),
            Some(v) => {
                return Err(bad(
                    &origin,
                    BadRecordKind::WrongFieldType,
                    format!("`text` must be a string, found {}", type_name(&v)),
                ))
            }
        };
        let id = id_field(&mut obj, "id", line, &origin)?;
        let doc = id_field(&mut obj, "doc", line, &origin)?;
        let target = match obj.remove("target") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(v) => {
                return Err(bad(
                    &origin,
                    BadRecordKind::WrongFieldType,
                    format!("`target` must be a string, found {}", type_name(&v)),
                ))
            }
        };
        let mut labels = BTreeMap::new();
        match obj.remove("labels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (task, v) in map {
                    let value = match v {
                        Value::Null => continue,
                        Value::String(s) => LabelValue::Single(s),
                        Value::Array(items) => {
                            let mut out = Vec::with_capacity(items.len());
                            for item in items {
                                match item {
                                    Value::String(s) => out.push(s),
                                    other => {
                                        return Err(bad(
                                            &origin,
                                            BadRecordKind::WrongLabelType,
                                            format!(
                                                "labels of task `{task}` must be strings, found {}",
                                                type_name(&other)
                                            ),
                                        ))
                                    }
                                }
                            }
                            out.sort();
                            out.dedup();
                            LabelValue::Multi(out)
                        }
                        other => {
                            return Err(bad(
                                &origin,
                                BadRecordKind::WrongLabelType,
                                format!(
                                    "label of task `{task}` must be a string or a list of strings, found {}",
                                    type_name(&other)
                                ),
                            ))
                        }
                    };
                    labels.insert(task, value);
                }
            }
            Some(v) => {
                return Err(bad(
                    &origin,
                    BadRecordKind::WrongLabelType,
                    format!("`labels` must be an object, found {}", type_name(&v)),
                ))
            }
        }
        let doc = doc
            .or_else(|| id.clone())
            .unwrap_or_else(|| origin.to_string());
        let id = id.unwrap_or_else(|| format!("{doc}:{}", origin.line));
        Ok(Record {
            id,
            doc,
            text,
            target,
            labels,
            extra: obj,
            origin,
        })
    }
}

/// A record read for scoring: the fields rhetor uses, decoded, and every other field kept as
/// raw JSON in input order, so that it can be written out untouched without building a JSON
/// tree (the scoring hot path). Strings borrow from the line unless JSON escapes forced a copy.
#[derive(Debug)]
pub struct ScoreRecord<'a> {
    /// Record id (`<doc>:<line>` when absent).
    pub id: Cow<'a, str>,
    /// Document id (the id when absent).
    pub doc: Cow<'a, str>,
    /// The text.
    pub text: Cow<'a, str>,
    /// Stance target, if any.
    pub target: Option<Cow<'a, str>>,
    /// Every other field, as (key, raw JSON), in input order.
    pub fields: Vec<(Cow<'a, str>, &'a serde_json::value::RawValue)>,
}

/// A JSON string that borrows from the input when it holds no escape.
struct JsonStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for JsonStr<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = JsonStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<JsonStr<'de>, E> {
                Ok(JsonStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The fields of a JSON object in input order, values left raw.
struct RawObject<'a>(Vec<(Cow<'a, str>, &'a serde_json::value::RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawObject<'de>, A::Error> {
                let mut fields = Vec::new();
                while let Some((JsonStr(k), v)) =
                    map.next_entry::<JsonStr<'de>, &'de serde_json::value::RawValue>()?
                {
                    fields.push((k, v));
                }
                Ok(RawObject(fields))
            }
        }
        d.deserialize_map(V)
    }
}

/// The JSON type of a raw value, for messages.
fn raw_type_name(raw: &serde_json::value::RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "a list",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

impl<'a> ScoreRecord<'a> {
    /// Parses one JSONL line. Errors read as [`Record::parse`]'s. On line 1 a byte order mark
    /// is skipped.
    pub fn parse(line: &'a str, origin: &Origin) -> Result<ScoreRecord<'a>, CorpusError> {
        let line = json_of_line(line, origin);
        let RawObject(raw_fields) = serde_json::from_str(line).map_err(|e| {
            if e.is_data() {
                let found = serde_json::from_str::<Value>(line)
                    .map(|v| type_name(&v))
                    .unwrap_or("something else");
                bad(
                    origin,
                    BadRecordKind::NotAnObject,
                    format!("expected a JSON object, found {found}"),
                )
            } else {
                bad(origin, BadRecordKind::InvalidJson, json_syntax_message(&e))
            }
        })?;
        let mut text = None;
        let (mut id, mut doc, mut target) = (None, None, None);
        let mut fields = Vec::with_capacity(raw_fields.len());
        let string = |key: &str,
                      raw: &'a serde_json::value::RawValue|
         -> Result<Option<Cow<'a, str>>, CorpusError> {
            match raw.get().as_bytes().first() {
                Some(b'"') => serde_json::from_str::<JsonStr<'a>>(raw.get())
                    .map(|s| Some(s.0))
                    .map_err(|e| bad(origin, BadRecordKind::InvalidJson, format!("`{key}`: {e}"))),
                Some(b'n') => Ok(None),
                _ => Err(bad(
                    origin,
                    BadRecordKind::WrongFieldType,
                    format!("`{key}` must be a string, found {}", raw_type_name(raw)),
                )),
            }
        };
        for (key, raw) in raw_fields {
            match key.as_ref() {
                "text" => {
                    text = Some(string("text", raw)?.ok_or_else(|| {
                        bad(
                            origin,
                            BadRecordKind::WrongFieldType,
                            "`text` must be a string, found null",
                        )
                    })?)
                }
                "id" | "doc" => {
                    let v = match raw.get().as_bytes().first() {
                        Some(b'0'..=b'9' | b'-') => Some(Cow::Borrowed(raw.get())),
                        _ => string(&key, raw)?,
                    };
                    if key == "id" {
                        id = v;
                    } else {
                        doc = v;
                    }
                }
                "target" => target = string("target", raw)?,
                _ => fields.push((key, raw)),
            }
        }
        let text = text.ok_or_else(|| bad(origin, BadRecordKind::MissingText, "missing `text`"))?;
        let doc = doc
            .or_else(|| id.clone())
            .unwrap_or_else(|| Cow::Owned(origin.to_string()));
        let id = id.unwrap_or_else(|| Cow::Owned(format!("{doc}:{}", origin.line)));
        Ok(ScoreRecord {
            id,
            doc,
            text,
            target,
            fields,
        })
    }
}

/// What to do with a malformed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnBad {
    /// Stop at the first malformed line.
    #[default]
    Stop,
    /// Skip it and report it at the end.
    Skip,
}

/// Reads JSONL records from `reader`, naming `path` in errors. Blank lines are ignored.
/// With [`OnBad::Skip`], malformed lines are collected into `skipped` instead of stopping.
pub fn read_records(
    reader: impl Read,
    path: &Path,
    on_bad: OnBad,
    skipped: &mut Vec<CorpusError>,
) -> Result<Vec<Record>, CorpusError> {
    let path: Arc<Path> = Arc::from(path);
    let mut reader = BufReader::new(reader);
    let mut records = Vec::new();
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| CorpusError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let origin = Origin {
            path: path.clone(),
            line: line_no,
        };
        let result = match std::str::from_utf8(&buf) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => Record::parse(line, origin),
            Err(e) => Err(CorpusError::invalid_utf8(&origin, &e)),
        };
        match (result, on_bad) {
            (Ok(r), _) => records.push(r),
            (Err(e), OnBad::Stop) => return Err(e),
            (Err(e), OnBad::Skip) => skipped.push(e),
        }
    }
    Ok(records)
}

/// Reads a JSONL file (`-` for standard input).
pub fn read_file(
    path: &Path,
    on_bad: OnBad,
    skipped: &mut Vec<CorpusError>,
) -> Result<Vec<Record>, CorpusError> {
    if path == Path::new("-") {
        return read_records(
            std::io::stdin().lock(),
            Path::new("<stdin>"),
            on_bad,
            skipped,
        );
    }
    let file = std::fs::File::open(path).map_err(|source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_records(file, path, on_bad, skipped)
}

/// A task found in a corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskInfo {
    /// Task name (the key under `labels`).
    pub name: String,
    /// Single- or multi-label.
    pub kind: TaskKind,
    /// Records per label, labels in sorted order.
    pub label_counts: BTreeMap<String, usize>,
    /// Records labelled for this task.
    pub n_records: usize,
    /// Multi-label records with an empty label list.
    pub n_empty: usize,
    /// Where the task was first seen.
    pub first_seen: Origin,
}

impl TaskInfo {
    /// The labels, sorted.
    pub fn labels(&self) -> Vec<String> {
        self.label_counts.keys().cloned().collect()
    }
}

/// Finds every task in `records`, with its kind and label counts.
///
/// # Errors
/// [`CorpusError::MixedTaskKind`] when a task is single-label in one record and multi-label in
/// another, naming both places.
pub fn discover_tasks(records: &[Record]) -> Result<BTreeMap<String, TaskInfo>, CorpusError> {
    let mut tasks: BTreeMap<String, TaskInfo> = BTreeMap::new();
    let mut kinds = TaskKinds::new();
    for r in records {
        kinds.check(r)?;
        for (name, value) in &r.labels {
            let info = tasks.entry(name.clone()).or_insert_with(|| TaskInfo {
                name: name.clone(),
                kind: value.kind(),
                label_counts: BTreeMap::new(),
                n_records: 0,
                n_empty: 0,
                first_seen: r.origin.clone(),
            });
            info.n_records += 1;
            if matches!(value, LabelValue::Multi(v) if v.is_empty()) {
                info.n_empty += 1;
            }
            for label in value.labels() {
                *info.label_counts.entry(label.to_string()).or_default() += 1;
            }
        }
    }
    Ok(tasks)
}

/// The kind (single- or multi-label) of every task seen so far, and where it was first seen:
/// checks that each record agrees with the records before it, across files (a dev file must
/// agree with the training files).
#[derive(Debug, Clone, Default)]
pub struct TaskKinds {
    first: BTreeMap<String, (TaskKind, Origin)>,
}

impl TaskKinds {
    /// No task seen yet.
    pub fn new() -> TaskKinds {
        TaskKinds::default()
    }

    /// The kind of `task`, if seen.
    pub fn get(&self, task: &str) -> Option<TaskKind> {
        self.first.get(task).map(|(k, _)| *k)
    }

    /// Checks `record` against the records seen before; if it agrees, its new tasks are
    /// remembered. A record that disagrees changes nothing.
    ///
    /// # Errors
    /// [`CorpusError::MixedTaskKind`] naming this record and the one that first set the kind.
    pub fn check(&mut self, record: &Record) -> Result<(), CorpusError> {
        for (task, value) in &record.labels {
            if let Some((kind, first)) = self.first.get(task) {
                if *kind != value.kind() {
                    return Err(CorpusError::MixedTaskKind {
                        path: record.origin.path.to_path_buf(),
                        line: record.origin.line,
                        task: task.clone(),
                        found: value.kind().name(),
                        expected: kind.name(),
                        first_path: first.path.to_path_buf(),
                        first_line: first.line,
                    });
                }
            }
        }
        for (task, value) in &record.labels {
            self.first
                .entry(task.clone())
                .or_insert_with(|| (value.kind(), record.origin.clone()));
        }
        Ok(())
    }

    /// Keeps the records that agree with the ones before them: stops at the first that does
    /// not, or, with [`OnBad::Skip`], moves it to `skipped`.
    pub fn filter(
        &mut self,
        records: Vec<Record>,
        on_bad: OnBad,
        skipped: &mut Vec<CorpusError>,
    ) -> Result<Vec<Record>, CorpusError> {
        let mut kept = Vec::with_capacity(records.len());
        for r in records {
            match (self.check(&r), on_bad) {
                (Ok(()), _) => kept.push(r),
                (Err(e), OnBad::Stop) => return Err(e),
                (Err(e), OnBad::Skip) => skipped.push(e),
            }
        }
        Ok(kept)
    }
}

/// Rejected records counted per [`BadRecordKind`], in the kinds' order (for `--skip-bad`
/// summaries). Errors that are not about one record are not counted.
pub fn count_by_kind(errors: &[CorpusError]) -> BTreeMap<BadRecordKind, usize> {
    let mut counts = BTreeMap::new();
    for kind in errors.iter().filter_map(CorpusError::bad_record_kind) {
        *counts.entry(kind).or_default() += 1;
    }
    counts
}

/// A renaming of one label of one task, written `TASK:FROM=TO` (for example
/// `stance:positive=supportive`), to align a corpus with a codebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelMap {
    /// Task whose label is renamed.
    pub task: String,
    /// Label as in the corpus.
    pub from: String,
    /// New name.
    pub to: String,
}

impl std::str::FromStr for LabelMap {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("`{s}` is not of the form TASK:FROM=TO");
        let (task, rest) = s.split_once(':').ok_or_else(err)?;
        let (from, to) = rest.split_once('=').ok_or_else(err)?;
        if task.is_empty() || from.is_empty() || to.is_empty() {
            return Err(err());
        }
        Ok(LabelMap {
            task: task.to_string(),
            from: from.to_string(),
            to: to.to_string(),
        })
    }
}

/// Removes records whose `role` field names a paragraph that is not body text (`headline`,
/// `byline`, `boilerplate`, as in `corpus/`): page furniture is neither trained on nor
/// measured. Returns how many were removed.
pub fn drop_non_body(records: &mut Vec<Record>) -> usize {
    let before = records.len();
    records.retain(|r| {
        r.extra
            .get("role")
            .and_then(Value::as_str)
            .and_then(crate::text::Role::parse)
            .is_none_or(crate::text::Role::is_body)
    });
    before - records.len()
}

/// Renames labels in place; a multi-label list stays sorted and free of duplicates.
pub fn apply_label_maps(records: &mut [Record], maps: &[LabelMap]) {
    if maps.is_empty() {
        return;
    }
    for r in records {
        for m in maps {
            match r.labels.get_mut(&m.task) {
                Some(LabelValue::Single(l)) if *l == m.from => *l = m.to.clone(),
                Some(LabelValue::Multi(ls)) if ls.contains(&m.from) => {
                    for l in ls.iter_mut().filter(|l| **l == m.from) {
                        *l = m.to.clone();
                    }
                    ls.sort();
                    ls.dedup();
                }
                _ => {}
            }
        }
    }
}

/// Reads several files, stopping at the first error (or skipping malformed lines).
pub fn read_files(
    paths: &[PathBuf],
    on_bad: OnBad,
    skipped: &mut Vec<CorpusError>,
) -> Result<Vec<Record>, CorpusError> {
    let mut all = Vec::new();
    for p in paths {
        all.extend(read_file(p, on_bad, skipped)?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<Record>, CorpusError> {
        read_records(
            text.as_bytes(),
            Path::new("c.jsonl"),
            OnBad::Stop,
            &mut Vec::new(),
        )
    }

    #[test]
    fn parses_records_table() {
        let recs = read(concat!(
            r#"{"id": "d1:0", "doc": "d1", "text": "A", "labels": {"stance": "favor", "frame": ["b", "a", "a"]}, "outlet": "X"}"#,
            "\n\n",
            r#"{"text": "B", "doc": 7, "target": "T", "labels": {"frame": [], "stance": null}}"#,
            "\n",
            r#"{"text": "C"}"#,
        ))
        .unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].id, "d1:0");
        assert_eq!(recs[0].labels["stance"], LabelValue::Single("favor".into()));
        assert_eq!(
            recs[0].labels["frame"],
            LabelValue::Multi(vec!["a".into(), "b".into()])
        );
        assert_eq!(recs[0].extra["outlet"], Value::String("X".into()));
        assert_eq!((recs[1].doc.as_str(), recs[1].id.as_str()), ("7", "7:3"));
        assert_eq!(recs[1].target.as_deref(), Some("T"));
        assert!(
            !recs[1].labels.contains_key("stance"),
            "null label = unlabelled"
        );
        assert_eq!(recs[2].origin.line, 4);
        assert_eq!(recs[2].doc, "c.jsonl:4");
    }

    #[test]
    fn numeric_ids_are_kept_as_written_by_both_readers() {
        // (line, id, doc): serde_json's `Value` would give `-0.0`, `1000.0` and a rounded f64.
        let cases = [
            (r#"{"text": "a", "doc": -0}"#, "-0:1", "-0"),
            (r#"{"text": "a", "id": 1e3}"#, "1e3", "1e3"),
            (
                r#"{"text": "a", "id": 123456789012345678901234567890}"#,
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            (r#"{"text": "a", "id": 1, "id": 2.50}"#, "2.50", "2.50"),
            (r#"{"text": "a", "id": "x", "doc": 7}"#, "x", "7"),
        ];
        let origin = Origin {
            path: Arc::from(Path::new("c.jsonl")),
            line: 1,
        };
        for (line, id, doc) in cases {
            let r = Record::parse(line, origin.clone()).unwrap();
            assert_eq!(
                (r.id.as_str(), r.doc.as_str()),
                (id, doc),
                "Record on {line}"
            );
            let s = ScoreRecord::parse(line, &origin).unwrap();
            assert_eq!(
                (s.id.as_ref(), s.doc.as_ref()),
                (id, doc),
                "ScoreRecord on {line}"
            );
        }
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            ("{\"text\": \"a\"}\n{oops", "c.jsonl:2: invalid JSON at column 2: key must be a string"),
            ("[1]", "c.jsonl:1: expected a JSON object, found a list"),
            ("{\"id\": \"x\"}", "c.jsonl:1: missing `text`"),
            ("{\"text\": 3}", "c.jsonl:1: `text` must be a string, found a number"),
            ("{\"text\": \"a\", \"labels\": {\"s\": 1}}", "c.jsonl:1: label of task `s` must be a string or a list of strings, found a number"),
            ("{\"text\": \"a\", \"labels\": {\"s\": [\"x\", 2]}}", "c.jsonl:1: labels of task `s` must be strings, found a number"),
            ("{\"text\": \"a\", \"labels\": []}", "c.jsonl:1: `labels` must be an object, found a list"),
            ("{\"text\": \"a\", \"target\": [\"t\"]}", "c.jsonl:1: `target` must be a string, found a list"),
        ];
        for (input, message) in cases {
            let err = read(input).unwrap_err();
            assert_eq!(err.to_string(), message, "input {input:?}");
        }
        let err = read_records(
            &b"{\"text\": \"caf\xe9\"}"[..],
            Path::new("c.jsonl"),
            OnBad::Stop,
            &mut Vec::new(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.jsonl:1: invalid UTF-8 at byte 13 of the line"
        );
    }

    #[test]
    fn score_records_keep_other_fields_raw_and_in_order() {
        let origin = Origin {
            path: Arc::from(Path::new("c.jsonl")),
            line: 3,
        };
        let r = ScoreRecord::parse(
            r#"{"z": 1.50, "text": "T", "doc": 7, "labels": {"s": "x"}, "a": {"b": [1, "2"]}, "target": null}"#,
            &origin,
        )
        .unwrap();
        assert_eq!((&*r.text, &*r.doc, &*r.id), ("T", "7", "7:3"));
        assert!(
            matches!(r.text, Cow::Borrowed(_)),
            "no escape: borrowed from the line"
        );
        assert_eq!(r.target, None);
        let fields: Vec<(&str, &str)> = r
            .fields
            .iter()
            .map(|(k, v)| (k.as_ref(), v.get()))
            .collect();
        assert_eq!(
            fields,
            [
                ("z", "1.50"),
                ("labels", r#"{"s": "x"}"#),
                ("a", r#"{"b": [1, "2"]}"#)
            ],
            "raw, in input order"
        );

        // Errors read like Record::parse's.
        let cases = [
            ("{\"text\": \"a\"\n", "c.jsonl:3: invalid JSON"),
            ("[1]", "c.jsonl:3: expected a JSON object, found a list"),
            ("{\"id\": \"x\"}", "c.jsonl:3: missing `text`"),
            (
                "{\"text\": 3}",
                "c.jsonl:3: `text` must be a string, found a number",
            ),
            (
                "{\"text\": \"a\", \"target\": [\"t\"]}",
                "c.jsonl:3: `target` must be a string, found a list",
            ),
        ];
        for (line, message) in cases {
            let err = ScoreRecord::parse(line, &origin).unwrap_err().to_string();
            assert!(err.starts_with(message), "{line:?}: {err}");
            if let Ok(e) = Record::parse(line, origin.clone()) {
                panic!("Record::parse accepted {line:?}: {e:?}");
            }
        }
    }

    fn label_value() -> impl proptest::strategy::Strategy<Value = LabelValue> {
        use proptest::prelude::*;
        prop_oneof![
            any::<String>().prop_map(LabelValue::Single),
            proptest::collection::vec(any::<String>(), 0..4).prop_map(LabelValue::Multi),
        ]
    }

    fn extra_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            proptest::collection::vec(any::<String>(), 0..3)
                .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect())),
        ]
    }

    proptest::proptest! {
        /// A record written as a JSON object reads back as the same record, by both readers,
        /// with either line ending and, on line 1, a byte order mark.
        #[test]
        fn jsonl_record_round_trip(
            id in proptest::option::of(proptest::prelude::any::<String>()),
            doc in proptest::option::of(proptest::prelude::any::<String>()),
            text in proptest::prelude::any::<String>(),
            target in proptest::option::of(proptest::prelude::any::<String>()),
            labels in proptest::collection::btree_map(proptest::prelude::any::<String>(), label_value(), 0..4),
            extra in proptest::collection::btree_map("[a-z_]{1,8}", extra_value(), 0..4),
            ending in proptest::sample::select(vec!["", "\n", "\r\n"]),
            line_no in 1usize..3,
            bom in proptest::prelude::any::<bool>(),
        ) {
            let mut obj = Map::new();
            obj.insert("text".into(), Value::String(text.clone()));
            for (k, v) in [("id", &id), ("doc", &doc), ("target", &target)] {
                if let Some(v) = v {
                    obj.insert(k.into(), Value::String(v.clone()));
                }
            }
            let labels_json = serde_json::to_value(&labels).unwrap();
            obj.insert("labels".into(), labels_json.clone());
            let extra: Map<String, Value> = extra
                .into_iter()
                .filter(|(k, _)| !["id", "doc", "text", "target", "labels"].contains(&k.as_str()))
                .collect();
            obj.extend(extra.clone());
            let bom = if bom && line_no == 1 { "\u{feff}" } else { "" };
            let line = format!("{bom}{}{ending}", Value::Object(obj));
            let origin = Origin { path: Arc::from(Path::new("p.jsonl")), line: line_no };

            let r = Record::parse(&line, origin.clone()).unwrap();
            let want_doc = doc.clone().or_else(|| id.clone()).unwrap_or_else(|| origin.to_string());
            let want_id = id.clone().unwrap_or_else(|| format!("{want_doc}:{line_no}"));
            proptest::prop_assert_eq!(&r.text, &text);
            proptest::prop_assert_eq!(&r.id, &want_id);
            proptest::prop_assert_eq!(&r.doc, &want_doc);
            proptest::prop_assert_eq!(&r.target, &target);
            proptest::prop_assert_eq!(&r.extra, &extra);
            // Multi-label lists come back sorted and without duplicates.
            let want_labels: BTreeMap<String, LabelValue> = labels
                .into_iter()
                .map(|(k, v)| match v {
                    LabelValue::Multi(mut l) => {
                        l.sort();
                        l.dedup();
                        (k, LabelValue::Multi(l))
                    }
                    single => (k, single),
                })
                .collect();
            proptest::prop_assert_eq!(&r.labels, &want_labels);

            let s = ScoreRecord::parse(&line, &origin).unwrap();
            proptest::prop_assert_eq!(s.text.as_ref(), text.as_str());
            proptest::prop_assert_eq!(s.id.as_ref(), want_id.as_str());
            proptest::prop_assert_eq!(s.doc.as_ref(), want_doc.as_str());
            proptest::prop_assert_eq!(s.target.as_deref(), target.as_deref());
            let fields: Vec<(String, Value)> = s
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::from_str(v.get()).unwrap()))
                .collect();
            // Gold labels are a field like any other here (the output writes its own `labels`).
            let (label_fields, fields): (Vec<_>, Vec<_>) =
                fields.into_iter().partition(|(k, _)| k == "labels");
            let want_fields: Vec<(String, Value)> = extra.into_iter().collect();
            proptest::prop_assert_eq!(fields, want_fields);
            proptest::prop_assert_eq!(label_fields, vec![("labels".to_string(), labels_json)]);
        }

        /// Any bytes: reading never panics and accounts for every line that is not blank.
        #[test]
        fn read_records_takes_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut skipped = Vec::new();
            let records = read_records(&bytes[..], Path::new("p.jsonl"), OnBad::Skip, &mut skipped).unwrap();
            let lines = bytes
                .split_inclusive(|&b| b == b'\n')
                .filter(|l| std::str::from_utf8(l).map_or(true, |l| !l.trim().is_empty()))
                .count();
            proptest::prop_assert_eq!(records.len() + skipped.len(), lines);
            for e in &skipped {
                proptest::prop_assert!(e.bad_record_kind().is_some());
                proptest::prop_assert!(e.to_string().starts_with("p.jsonl:"));
            }
        }
    }

    #[test]
    fn skip_bad_collects_errors() {
        let mut skipped = Vec::new();
        let recs = read_records(
            "{\"text\": \"a\"}\nnot json\n{\"text\": \"b\"}\n".as_bytes(),
            Path::new("c.jsonl"),
            OnBad::Skip,
            &mut skipped,
        )
        .unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0]
            .to_string()
            .starts_with("c.jsonl:2: invalid JSON"));
    }

    #[test]
    fn label_maps_rename_table() {
        let mut recs = read(concat!(
            r#"{"text": "a", "labels": {"s": "positive", "m": ["x", "y"]}}"#,
            "\n",
            r#"{"text": "b", "labels": {"s": "negative", "m": ["y"]}}"#,
        ))
        .unwrap();
        let maps: Vec<LabelMap> = ["s:positive=supportive", "m:x=y"]
            .iter()
            .map(|m| m.parse().unwrap())
            .collect();
        apply_label_maps(&mut recs, &maps);
        assert_eq!(recs[0].labels["s"], LabelValue::Single("supportive".into()));
        assert_eq!(recs[1].labels["s"], LabelValue::Single("negative".into()));
        assert_eq!(
            recs[0].labels["m"],
            LabelValue::Multi(vec!["y".into()]),
            "merged, deduplicated"
        );
        for bad in ["s", "s:a", ":a=b", "s:=b", "s:a="] {
            assert!(bad.parse::<LabelMap>().is_err(), "{bad}");
        }
    }

    #[test]
    fn discovers_tasks_and_rejects_mixed_kinds() {
        let recs = read(concat!(
            r#"{"text": "a", "labels": {"s": "x", "m": ["p"]}}"#,
            "\n",
            r#"{"text": "b", "labels": {"s": "y", "m": []}}"#,
            "\n",
            r#"{"text": "c", "labels": {"s": "x"}}"#,
        ))
        .unwrap();
        let tasks = discover_tasks(&recs).unwrap();
        assert_eq!(tasks["s"].kind, TaskKind::Single);
        assert_eq!(
            tasks["s"].label_counts,
            BTreeMap::from([("x".into(), 2), ("y".into(), 1)])
        );
        assert_eq!(
            (tasks["m"].kind, tasks["m"].n_records, tasks["m"].n_empty),
            (TaskKind::Multi, 2, 1)
        );

        let recs = read(concat!(
            r#"{"text": "a", "labels": {"s": "x"}}"#,
            "\n",
            r#"{"text": "b", "labels": {"s": ["x"]}}"#,
        ))
        .unwrap();
        let err = discover_tasks(&recs).unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.jsonl:2: task `s` is multi here but single in c.jsonl:1"
        );
    }
}
