//! The crate's error type.
//!
//! Each stage that can fail on user input has its own error enum carrying the offending values
//! (`TextError`, `FeatureError`, `CorpusError`, `ModelFileError`, `TrainError`,
//! `CompareError`); [`Error`] wraps
//! them so callers can match on the stage or just print the message.

use std::path::PathBuf;

/// Errors raised while configuring the text stage.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextError {
    /// An n-gram range with a zero bound or `min > max`.
    #[error("{kind} n-gram range must satisfy 1 <= min <= max (got min = {min}, max = {max})")]
    BadNgramRange {
        /// `word` or `char`.
        kind: &'static str,
        /// Lower bound given.
        min: usize,
        /// Upper bound given.
        max: usize,
    },
    /// An n-gram range wider than the analyzer supports.
    #[error("{kind} n-gram size {max} is larger than the supported maximum {limit}")]
    NgramTooLong {
        /// `word` or `char`.
        kind: &'static str,
        /// Upper bound given.
        max: usize,
        /// Largest supported size.
        limit: usize,
    },
    /// A target context window wider than supported.
    #[error("the target context window {window} is wider than the supported maximum {limit}")]
    TargetWindowTooWide {
        /// Window given.
        window: usize,
        /// Widest supported.
        limit: usize,
    },
    /// The norm of a feature block (`embedding`, `encoder` or `lexicon`) out of range.
    #[error("the {block} norm {norm} is outside 0..={limit}")]
    BadBlockNorm {
        /// `embedding`, `encoder` or `lexicon`.
        block: &'static str,
        /// Norm given.
        norm: String,
        /// Largest supported.
        limit: String,
    },
    /// A stemming language name that is not known.
    #[error("unknown stemming language `{0}` (known: {known})", known = crate::text::Language::NAMES.join(", "))]
    UnknownLanguage(String),
}

/// Errors raised while configuring or fitting the feature stage.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum FeatureError {
    /// A document-frequency bound outside its range.
    #[error("{name} must be a count >= 1 or a fraction in (0, 1] (got {value})")]
    BadDocFreq {
        /// `min_df` or `max_df`.
        name: &'static str,
        /// The value given.
        value: f64,
    },
    /// `min_df` keeps fewer documents than `max_df` allows for any corpus size.
    #[error("min_df ({min}) is larger than max_df ({max})")]
    FlippedDocFreq {
        /// `min_df` as given.
        min: String,
        /// `max_df` as given.
        max: String,
    },
    /// `max_features` of zero.
    #[error("max_features must be at least 1")]
    ZeroMaxFeatures,
    /// No term survived the vocabulary filters.
    #[error("the vocabulary is empty after applying min_df / max_df to {docs} document(s)")]
    EmptyVocabulary {
        /// Number of documents fitted on.
        docs: usize,
    },
    /// The analyzer asks for the sentence encoder block, but no encoder vectors of the texts
    /// were given.
    #[error("an encoder norm of {norm} needs a sentence encoder (train with --encoder DIR)")]
    NoEncoder {
        /// The norm asked for.
        norm: String,
    },
}

/// A problem in a corpus file, with the file and line it was found on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CorpusError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// File being read.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A line is not valid JSON, or not of the record format.
    #[error("{path}:{line}: {message}")]
    BadRecord {
        /// File being read.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The class of problem (what `--skip-bad` counts).
        kind: BadRecordKind,
        /// What is wrong, with the offending values.
        message: String,
    },
    /// A task is multi-label in one record and single-label in another.
    #[error(
        "{path}:{line}: task `{task}` is {found} here but {expected} in {first_path}:{first_line}"
    )]
    MixedTaskKind {
        /// File of the conflicting record.
        path: PathBuf,
        /// Line of the conflicting record.
        line: usize,
        /// Task name.
        task: String,
        /// Kind found on this line.
        found: &'static str,
        /// Kind first seen.
        expected: &'static str,
        /// File where the task was first seen.
        first_path: PathBuf,
        /// Line where the task was first seen.
        first_line: usize,
    },
    /// A corpus holds no record.
    #[error("{0}: the corpus holds no record")]
    Empty(String),
}

impl CorpusError {
    /// The class of problem of a rejected record; `None` for errors that are not about one
    /// record (I/O, an empty corpus).
    pub fn bad_record_kind(&self) -> Option<BadRecordKind> {
        match self {
            CorpusError::BadRecord { kind, .. } => Some(*kind),
            CorpusError::MixedTaskKind { .. } => Some(BadRecordKind::MixedTaskKind),
            _ => None,
        }
    }
}

/// Why a corpus record was rejected. Skipped records are counted per kind, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum BadRecordKind {
    /// The line is not valid UTF-8.
    InvalidUtf8,
    /// The line is not valid JSON.
    InvalidJson,
    /// The line is JSON but not an object.
    NotAnObject,
    /// The object has no `text`.
    MissingText,
    /// `text`, `id`, `doc` or `target` holds a value of the wrong type.
    WrongFieldType,
    /// `labels`, or a label in it, holds a value of the wrong type.
    WrongLabelType,
    /// A task is single-label in this record and multi-label in an earlier one, or the reverse.
    MixedTaskKind,
}

impl BadRecordKind {
    /// A few words for summaries (`invalid JSON`, `missing text`, ...).
    pub fn description(self) -> &'static str {
        match self {
            BadRecordKind::InvalidUtf8 => "invalid UTF-8",
            BadRecordKind::InvalidJson => "invalid JSON",
            BadRecordKind::NotAnObject => "not a JSON object",
            BadRecordKind::MissingText => "missing `text`",
            BadRecordKind::WrongFieldType => "a field of the wrong type",
            BadRecordKind::WrongLabelType => "a label of the wrong type",
            BadRecordKind::MixedTaskKind => "single- and multi-label task mixed",
        }
    }
}

impl std::fmt::Display for BadRecordKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

/// Errors raised by model-file reading and writing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Model file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file does not start with the rhetor model magic bytes.
    #[error("{path}: not a rhetor model file")]
    NotAModel {
        /// Model file.
        path: PathBuf,
    },
    /// The file was written by a format version this build cannot read.
    #[error(
        "{path}: model format version {found} is not supported (this build reads version {supported}); retrain the model or use a matching rhetor"
    )]
    UnsupportedVersion {
        /// Model file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The file is shorter or longer than its header says, or its checksum does not match.
    #[error("{path}: model file is damaged ({detail})")]
    Damaged {
        /// Model file.
        path: PathBuf,
        /// What check failed.
        detail: String,
    },
}

/// Errors raised while training.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A training parameter is out of range.
    #[error("invalid training parameter: {0}")]
    BadParam(String),
    /// A task named with `--task` is not in the corpus.
    #[error("task `{task}` is not in the training labels (found: {found})")]
    UnknownTask {
        /// Task asked for.
        task: String,
        /// Tasks present.
        found: String,
    },
    /// No training record carries labels.
    #[error("no training record carries labels (the `labels` object of a record); there is nothing to train")]
    NoLabels,
    /// Every task had to be skipped.
    #[error("no task can be trained: {reasons}")]
    NoTrainableTask {
        /// Why each task was skipped.
        reasons: String,
    },
    /// A task cannot be trained (for example, one label only).
    #[error("task `{task}`: {reason}")]
    Untrainable {
        /// Task name.
        task: String,
        /// Why.
        reason: String,
    },
    /// linfa's solver failed.
    #[error("task `{task}`: the estimator failed: {message}")]
    Estimator {
        /// Task name.
        task: String,
        /// linfa's message.
        message: String,
    },
}

/// Errors raised by the settings of a comparison ([`crate::compare::CompareParams`]).
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum CompareError {
    /// A confidence level outside (0, 1).
    #[error("the confidence level must be strictly between 0 and 1 (got {0})")]
    BadLevel(f64),
    /// A prior strength that is not a positive finite number.
    #[error("the prior strength must be a positive finite number (got {0})")]
    BadPriorStrength(f64),
    /// A limit on compared groups below two.
    #[error("at most {0} groups compared: the limit must be at least 2")]
    BadGroupLimit(usize),
}

/// Any error from the rhetor library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Text stage configuration.
    #[error(transparent)]
    Text(#[from] TextError),
    /// Feature stage configuration or fitting.
    #[error(transparent)]
    Feature(#[from] FeatureError),
    /// Corpus reading.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// Model file reading or writing.
    #[error(transparent)]
    ModelFile(#[from] ModelFileError),
    /// Training.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// Comparison settings.
    #[error(transparent)]
    Compare(#[from] CompareError),
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
