//! Comparing framing across documents, outlets and time.
//!
//! ```text
//! scored body paragraphs ─► DocSummary (+ DocWords) per document ─► CompareInput (group, time bucket)
//!                                                                        │
//!        ┌───────────────────────────────────────────────────────────────┤
//!        ▼                                ▼                              ▼
//!  group profiles                   comparisons                    time series
//!  share, mean probability,         JSD per task + permutation p,  share per bucket
//!  rates per 100 paragraphs and     share differences,             (per group or pooled)
//!  per 1,000 words, each with a     keyness (log-odds, informative
//!  bootstrap interval               Dirichlet prior)
//! ```
//!
//! **The unit is the document.** Every interval resamples documents and every p-value permutes
//! documents between groups (see [`crate::stats`] for why paragraphs are not independent
//! draws). A group statistic is a ratio of sums over the group's documents: the share of a
//! label is the body paragraphs given the label over all body paragraphs of the group, so a
//! long article weighs more than a short one, as each of its paragraphs is a unit of
//! argument. A group of one document has no interval (resampling one document always gives
//! it back, which says nothing about how documents vary), nor has a difference with such a
//! group; and a permutation test of one document against one other cannot go below p = 0.5.
//!
//! **Statistics per group** ([`GroupProfile`]), for every label of every task of the
//! [`Schema`]: the share of body paragraphs given the label, the mean probability of the label
//! over body paragraphs, and the rates per 100 body paragraphs and per 1,000 body words; for
//! multi-label tasks also the rates of all labels together (a paragraph with two labels counts
//! two). Single-label tasks (stance) give the mix of their labels. Each statistic has a
//! percentile bootstrap interval ([`crate::stats::bootstrap_replicates`]).
//!
//! **Comparisons** ([`Comparison`]): with two groups, the one pair; with more, each group
//! against all the others together (K comparisons rather than K(K−1)/2, each answering "what is
//! distinctive about this group", the question a keyness table answers). For every task:
//!
//! * the Jensen–Shannon divergence (bits) between the groups' label distributions, the counts
//!   of body paragraphs given each label normalised to sum to one (for a multi-label task, the
//!   distribution of label assignments), with a permutation p-value: documents are reassigned
//!   at random to groups of the same sizes ([`crate::stats::permutation_tests`]);
//! * per label, the difference of the shares, with a bootstrap interval: each side is resampled
//!   on its own (the "all others" side group by group, a stratified bootstrap), and the
//!   difference is taken replicate by replicate.
//!
//! No correction for multiple comparisons is applied: a report lists many p-values, and about
//! one in twenty of them falls below 0.05 by chance alone.
//!
//! **Keyness** ([`KeyWords`]): the words that distinguish the two sides, overall and within the
//! paragraphs given each label of each multi-label task, ranked by the z-score of the log-odds
//! ratio with an informative Dirichlet prior ([`crate::stats::log_odds_dirichlet`], Monroe,
//! Colaresi & Quinn 2008). The prior's shape is the pooled counts of the two sides and its
//! strength `α₀` is [`CompareParams::prior_strength`] times their total word count (1 by
//! default: the pooled counts themselves as pseudo-counts, as common implementations do).
//!
//! ```
//! use rhetor::compare::{compare, CompareInput, CompareParams, DocWords, WordCounter, WordSplitter};
//! use rhetor::corpus::TaskKind;
//! use rhetor::model::TaskScores;
//! use rhetor::summary::{DocSummary, Schema, TaskSchema};
//! use rhetor::text::{Language, Role};
//!
//! let schema = Schema {
//!     tasks: vec![TaskSchema {
//!         task: "frame".into(),
//!         kind: TaskKind::Multi,
//!         labels: vec!["economic".into(), "health".into()],
//!     }],
//! };
//! let counter = WordCounter::new(&schema, WordSplitter::new(Language::None));
//! let mut input = CompareInput::new(schema.clone());
//! // (outlet, document, paragraphs as (text, frame given))
//! let docs = [
//!     ("Courier", "c1", vec![("Fares rise by a fifth.", Some(0)), ("Clinics close.", Some(1))]),
//!     ("Courier", "c2", vec![("The levy pays for buses.", Some(0))]),
//!     ("Herald", "h1", vec![("Patients wait longer.", Some(1)), ("Nurses quit.", None)]),
//!     ("Herald", "h2", vec![("Costs soar again.", Some(0))]),
//! ];
//! for (outlet, doc, paragraphs) in docs {
//!     let mut summary = DocSummary::new(doc, &schema);
//!     let mut words = DocWords::default();
//!     for (i, (text, frame)) in paragraphs.into_iter().enumerate() {
//!         let scores = [TaskScores {
//!             probs: vec![0.5, 0.5],
//!             predicted: frame.into_iter().collect(),
//!         }];
//!         counter.add(&mut words, text, &scores);
//!         summary.add(i, Role::Body, text.split_whitespace().count(), &scores);
//!     }
//!     input.add(summary, outlet, None);
//!     input.add_words(outlet, &words);
//! }
//! let params = CompareParams::new().bootstrap(200).permutations(200).check()?;
//! let report = compare(&input, &params);
//! let courier = &report.groups[0];
//! assert_eq!(courier.name, "Courier");
//! assert_eq!(courier.tasks[0].labels[0].share.value, 2.0 / 3.0);
//! let c = &report.comparisons[0];
//! assert_eq!((c.group.as_str(), c.versus.as_str()), ("Courier", "Herald"));
//! assert!(c.tasks[0].jsd > 0.0 && c.tasks[0].p_value <= 1.0);
//! # Ok::<(), rhetor::Error>(())
//! ```
//!
//! Everything is deterministic: each resampling is seeded from [`CompareParams::seed`] and the
//! position of its group, comparison or time cell in the (sorted) report, so the report is the
//! same for any number of threads.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

use crate::corpus::TaskKind;
use crate::error::CompareError;
use crate::model::TaskScores;
use crate::stats;
use crate::summary::{DocSummary, RoleCounts, Schema};
use crate::text::{Language, Stemmer};

/// Settings of a comparison, unchecked; [`CompareParams::check`] gives the valid ones.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `bootstrap` | 1000 | resamples per bootstrap interval | ≥ 0 (0: no intervals) |
/// | `permutations` | 1000 | permutations per test | ≥ 0 (0: no p-values) |
/// | `level` | 0.95 | confidence level of the intervals | (0, 1) |
/// | `seed` | 1 | seeds every resampling | any |
/// | `top_words` | 10 | words listed per side in keyness lists | ≥ 0 (0: no keyness) |
/// | `prior_strength` | 1.0 | prior pseudo-words per pooled word (keyness) | > 0 |
/// | `max_compared_groups` | 50 | above this many groups, profiles only | ≥ 2 |
/// | `time_per_group` | true | time series per group (false: pooled) | |
///
/// # Errors
///
/// [`CompareParams::check`] fails with [`CompareError::BadLevel`], [`CompareError::BadPriorStrength`]
/// or [`CompareError::BadGroupLimit`] for a value out of its range.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareParams(CompareValidParams);

/// Checked settings of a comparison; see [`CompareParams`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareValidParams {
    bootstrap: usize,
    permutations: usize,
    level: f64,
    seed: u64,
    top_words: usize,
    prior_strength: f64,
    max_compared_groups: usize,
    time_per_group: bool,
}

impl Default for CompareParams {
    fn default() -> Self {
        CompareParams(CompareValidParams {
            bootstrap: 1000,
            permutations: 1000,
            level: 0.95,
            seed: 1,
            top_words: 10,
            prior_strength: 1.0,
            max_compared_groups: 50,
            time_per_group: true,
        })
    }
}

impl CompareParams {
    /// The defaults of the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resamples per bootstrap interval.
    pub fn bootstrap(mut self, n: usize) -> Self {
        self.0.bootstrap = n;
        self
    }

    /// Permutations per test.
    pub fn permutations(mut self, n: usize) -> Self {
        self.0.permutations = n;
        self
    }

    /// Confidence level of the intervals.
    pub fn level(mut self, level: f64) -> Self {
        self.0.level = level;
        self
    }

    /// Seed of every resampling.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// Words listed per side in keyness lists.
    pub fn top_words(mut self, k: usize) -> Self {
        self.0.top_words = k;
        self
    }

    /// Strength of the keyness prior, in pseudo-words per pooled word.
    pub fn prior_strength(mut self, s: f64) -> Self {
        self.0.prior_strength = s;
        self
    }

    /// Most groups for which comparisons are computed.
    pub fn max_compared_groups(mut self, n: usize) -> Self {
        self.0.max_compared_groups = n;
        self
    }

    /// Time series per group (`true`) or over all documents together.
    pub fn time_per_group(mut self, yes: bool) -> Self {
        self.0.time_per_group = yes;
        self
    }

    /// The valid settings.
    ///
    /// # Errors
    ///
    /// See the [type documentation](CompareParams).
    pub fn check(self) -> Result<CompareValidParams, CompareError> {
        let p = self.0;
        if !(p.level > 0.0 && p.level < 1.0) {
            return Err(CompareError::BadLevel(p.level));
        }
        if !(p.prior_strength > 0.0 && p.prior_strength.is_finite()) {
            return Err(CompareError::BadPriorStrength(p.prior_strength));
        }
        if p.max_compared_groups < 2 {
            return Err(CompareError::BadGroupLimit(p.max_compared_groups));
        }
        Ok(p)
    }
}

impl CompareValidParams {
    /// Resamples per bootstrap interval.
    pub fn bootstrap(&self) -> usize {
        self.bootstrap
    }

    /// Permutations per test.
    pub fn permutations(&self) -> usize {
        self.permutations
    }

    /// Confidence level.
    pub fn level(&self) -> f64 {
        self.level
    }

    /// Seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Words per side in keyness lists.
    pub fn top_words(&self) -> usize {
        self.top_words
    }
}

/// Time buckets for time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    /// `2026-02-10`.
    Day,
    /// ISO 8601 week, `2026-W07` (weeks start on Monday; week 1 holds the year's first
    /// Thursday).
    Week,
    /// `2026-02`.
    Month,
    /// `2026`.
    Year,
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A date `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, optionally followed by a time (`T…` or ` …`):
/// (year, month, day), with what is missing as `None`.
fn parse_date(s: &str) -> Option<(i64, Option<u32>, Option<u32>)> {
    let s = s.trim();
    let date = s.split(['T', ' ']).next().unwrap_or("");
    let mut parts = date.split('-');
    let num = |p: &str, len: usize| -> Option<u32> {
        (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let y = i64::from(num(parts.next()?, 4)?);
    let m = match parts.next() {
        None => return Some((y, None, None)),
        Some(p) => num(p, 2).filter(|m| (1..=12).contains(m))?,
    };
    let d = match parts.next() {
        None => return Some((y, Some(m), None)),
        Some(p) => num(p, 2).filter(|&d| d >= 1 && d <= days_in_month(y, m))?,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((y, Some(m), Some(d)))
}

impl Bucket {
    /// The bucket of a date written `YYYY-MM-DD` (a time after it, `T…` or ` …`, is ignored;
    /// `YYYY-MM` and `YYYY` are enough for months and years). `None` for anything else or a
    /// date too coarse for the bucket. Bucket names sort in time order.
    ///
    /// ```
    /// use rhetor::compare::Bucket;
    /// assert_eq!(Bucket::Week.of("2026-02-10").as_deref(), Some("2026-W07"));
    /// assert_eq!(Bucket::Week.of("2021-01-03").as_deref(), Some("2020-W53"));
    /// assert_eq!(Bucket::Month.of("2026-02-10T08:30:00Z").as_deref(), Some("2026-02"));
    /// assert_eq!(Bucket::Day.of("2026-02"), None);
    /// assert_eq!(Bucket::Year.of("10 Feb 2026"), None);
    /// ```
    pub fn of(self, date: &str) -> Option<String> {
        let (y, m, d) = parse_date(date)?;
        match self {
            Bucket::Year => Some(format!("{y:04}")),
            Bucket::Month => Some(format!("{y:04}-{:02}", m?)),
            Bucket::Day => Some(format!("{y:04}-{:02}-{:02}", m?, d?)),
            Bucket::Week => {
                let days = days_from_civil(y, m?, d?);
                // 1970-01-01 was a Thursday: Monday = 0.
                let weekday = (days + 3).rem_euclid(7);
                let thursday = days - weekday + 3;
                // The ISO year is the year of the week's Thursday.
                let mut iso_year = y;
                if thursday < days_from_civil(y, 1, 1) {
                    iso_year -= 1;
                } else if thursday >= days_from_civil(y + 1, 1, 1) {
                    iso_year += 1;
                }
                let week = (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1;
                Some(format!("{iso_year:04}-W{week:02}"))
            }
        }
    }

    /// `day`, `week`, `month` or `year`.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
            Bucket::Year => "year",
        }
    }
}

/// Splits text into the words counted for keyness: Unicode words (UAX #29), lowercased, and
/// stemmed when a language is given (off by default: words are shown as written, and stems
/// are harder to read in a keyness table).
#[derive(Debug)]
pub struct WordSplitter {
    stemmer: Stemmer,
}

impl WordSplitter {
    /// A splitter that stems in `language` ([`Language::None`]: no stemming).
    pub fn new(language: Language) -> Self {
        WordSplitter {
            stemmer: Stemmer::new(language),
        }
    }

    /// Calls `f` with each word of `text`.
    pub fn for_each_word(&self, text: &str, mut f: impl FnMut(&str)) {
        let mut buf = String::new();
        for w in text.unicode_words() {
            buf.clear();
            buf.extend(w.chars().flat_map(char::to_lowercase));
            self.stemmer.stem_tail(&mut buf, 0);
            f(&buf);
        }
    }
}

/// Where the word counts of a document go: slot 0 counts every body word, and each label of a
/// multi-label task has a slot for the words of the body paragraphs given that label.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slots {
    /// Per task, per label: the slot (multi-label tasks only).
    of: Vec<Vec<Option<usize>>>,
    /// Per slot after 0: (task, label).
    labels: Vec<(usize, usize)>,
}

impl Slots {
    fn new(schema: &Schema) -> Slots {
        let mut labels = Vec::new();
        let of = schema
            .tasks
            .iter()
            .enumerate()
            .map(|(t, task)| {
                (0..task.labels.len())
                    .map(|l| {
                        (task.kind == TaskKind::Multi).then(|| {
                            labels.push((t, l));
                            labels.len()
                        })
                    })
                    .collect()
            })
            .collect();
        Slots { of, labels }
    }

    fn len(&self) -> usize {
        1 + self.labels.len()
    }
}

/// Word counts of one document's body paragraphs, overall and per label of each multi-label
/// task; made with a [`WordCounter`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocWords {
    /// Word → id within the document.
    vocab: FxHashMap<Box<str>, u32>,
    /// (slot, word id) → count.
    counts: FxHashMap<(u32, u32), u32>,
    /// Body paragraphs whose words were counted.
    paragraphs: u32,
}

impl DocWords {
    /// Body paragraphs whose words were counted.
    pub fn paragraphs(&self) -> u32 {
        self.paragraphs
    }

    /// Adds the counts of `other` (e.g. one paragraph's, counted apart) to these.
    pub fn merge(&mut self, other: &DocWords) {
        let mut ids = vec![0u32; other.vocab.len()];
        for (w, &id) in &other.vocab {
            let next = self.vocab.len() as u32;
            ids[id as usize] = *self.vocab.entry(w.clone()).or_insert(next);
        }
        for (&(slot, id), &c) in &other.counts {
            *self.counts.entry((slot, ids[id as usize])).or_insert(0) += c;
        }
        self.paragraphs += other.paragraphs;
    }

    /// The count of `word` over the document's body paragraphs.
    pub fn count(&self, word: &str) -> u32 {
        self.vocab
            .get(word)
            .and_then(|&id| self.counts.get(&(0, id)))
            .copied()
            .unwrap_or(0)
    }
}

/// Counts the words of body paragraphs into [`DocWords`], for the tasks of a [`Schema`];
/// `Send + Sync`, one instance serves every thread.
#[derive(Debug)]
pub struct WordCounter {
    slots: Slots,
    splitter: WordSplitter,
}

impl WordCounter {
    /// A counter for the tasks of `schema`, splitting words with `splitter`.
    pub fn new(schema: &Schema, splitter: WordSplitter) -> Self {
        WordCounter {
            slots: Slots::new(schema),
            splitter,
        }
    }

    /// Counts the words of one body paragraph, given its scores (one entry per schema task, as
    /// [`crate::model::Model::score`] gives them).
    pub fn add(&self, words: &mut DocWords, text: &str, scores: &[TaskScores]) {
        let mut active: Vec<u32> = vec![0];
        for (t, s) in scores.iter().enumerate() {
            for &l in &s.predicted {
                if let Some(slot) = self.slots.of.get(t).and_then(|v| v.get(l)).copied() {
                    active.extend(slot.map(|s| s as u32));
                }
            }
        }
        words.paragraphs += 1;
        let DocWords { vocab, counts, .. } = words;
        self.splitter.for_each_word(text, |w| {
            let next = vocab.len() as u32;
            let id = match vocab.get(w) {
                Some(&id) => id,
                None => {
                    vocab.insert(w.into(), next);
                    next
                }
            };
            for &slot in &active {
                *counts.entry((slot, id)).or_insert(0) += 1;
            }
        });
    }
}

/// Word counts of a group, per slot: word id → count.
#[derive(Debug, Clone, Default)]
struct GroupWords {
    slots: Vec<FxHashMap<u32, u64>>,
}

/// One document of a comparison.
#[derive(Debug, Clone)]
struct Document {
    summary: DocSummary,
    group: usize,
    bucket: Option<usize>,
}

/// The documents of a comparison, each in a group and optionally in a time bucket, with the
/// word counts of each group. Groups and buckets are named by strings and reported sorted.
#[derive(Debug)]
pub struct CompareInput {
    schema: Schema,
    slots: Slots,
    docs: Vec<Document>,
    groups: Vec<String>,
    group_index: FxHashMap<String, usize>,
    buckets: Vec<String>,
    bucket_index: FxHashMap<String, usize>,
    words: Vec<GroupWords>,
    vocab: Vec<Box<str>>,
    word_index: FxHashMap<Box<str>, u32>,
    body_paragraphs: u64,
    counted_paragraphs: u64,
    undated: usize,
    time: bool,
}

impl CompareInput {
    /// An empty input for the tasks of `schema`.
    pub fn new(schema: Schema) -> Self {
        CompareInput {
            slots: Slots::new(&schema),
            schema,
            docs: Vec::new(),
            groups: Vec::new(),
            group_index: FxHashMap::default(),
            buckets: Vec::new(),
            bucket_index: FxHashMap::default(),
            words: Vec::new(),
            vocab: Vec::new(),
            word_index: FxHashMap::default(),
            body_paragraphs: 0,
            counted_paragraphs: 0,
            undated: 0,
            time: false,
        }
    }

    /// Asks for a time series: documents given no bucket are then counted as undated.
    pub fn with_time_series(mut self) -> Self {
        self.time = true;
        self
    }

    /// The schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Documents added.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether no document was added.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    fn group_id(&mut self, group: &str) -> usize {
        if let Some(&g) = self.group_index.get(group) {
            return g;
        }
        self.groups.push(group.to_string());
        self.words.push(GroupWords {
            slots: vec![FxHashMap::default(); self.slots.len()],
        });
        self.group_index
            .insert(group.to_string(), self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// Adds a document: its summary (over this input's schema), its group and its time
    /// bucket (see [`Bucket::of`]). Its words are added with [`CompareInput::add_words`].
    pub fn add(&mut self, summary: DocSummary, group: &str, bucket: Option<&str>) {
        let group = self.group_id(group);
        let bucket = bucket.map(|b| {
            *self.bucket_index.entry(b.to_string()).or_insert_with(|| {
                self.buckets.push(b.to_string());
                self.buckets.len() - 1
            })
        });
        if self.time && bucket.is_none() {
            self.undated += 1;
        }
        self.body_paragraphs += u64::from(summary.body_paragraphs());
        self.docs.push(Document {
            summary,
            group,
            bucket,
        });
    }

    /// Adds the word counts of body paragraphs of a group's document (all at once, or
    /// paragraph by paragraph). Paragraphs whose text is not available are simply not added:
    /// keyness is computed when any body paragraph's words were.
    pub fn add_words(&mut self, group: &str, words: &DocWords) {
        let group = self.group_id(group);
        self.counted_paragraphs += u64::from(words.paragraphs);
        if words.counts.is_empty() {
            return;
        }
        // Document word ids to input word ids.
        let mut global = vec![0u32; words.vocab.len()];
        for (w, &local) in &words.vocab {
            global[local as usize] = match self.word_index.get(w) {
                Some(&id) => id,
                None => {
                    let id = self.vocab.len() as u32;
                    self.vocab.push(w.clone());
                    self.word_index.insert(w.clone(), id);
                    id
                }
            };
        }
        let tally = &mut self.words[group];
        for (&(slot, local), &c) in &words.counts {
            *tally.slots[slot as usize]
                .entry(global[local as usize])
                .or_insert(0) += u64::from(c);
        }
    }
}

/// A statistic with its bootstrap interval (`lo`, `hi`; NaN, written `null` in JSON, when
/// there is no interval).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The statistic on all the documents.
    pub value: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end of the interval.
    pub hi: f64,
}

impl Estimate {
    fn point(value: f64) -> Estimate {
        Estimate {
            value,
            lo: f64::NAN,
            hi: f64::NAN,
        }
    }
}

/// One label of a [`TaskProfile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelProfile {
    /// Label name.
    pub label: String,
    /// Body paragraphs given the label.
    pub paragraphs: u64,
    /// Share of body paragraphs given the label.
    pub share: Estimate,
    /// Mean probability of the label over body paragraphs.
    pub mean_prob: Estimate,
    /// Paragraphs given the label per 100 body paragraphs.
    pub per_100_paragraphs: Estimate,
    /// Paragraphs given the label per 1,000 body words.
    pub per_1000_words: Estimate,
}

/// One task of a [`GroupProfile`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskProfile {
    /// Task name.
    pub task: String,
    /// Single- or multi-label.
    pub kind: TaskKind,
    /// Per label, in schema order.
    pub labels: Vec<LabelProfile>,
    /// Multi-label tasks: labels given per 100 body paragraphs, all labels together.
    pub labels_per_100_paragraphs: Option<Estimate>,
    /// Multi-label tasks: labels given per 1,000 body words, all labels together.
    pub labels_per_1000_words: Option<Estimate>,
}

/// The framing profile of one group of documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupProfile {
    /// Group name.
    pub name: String,
    /// Documents.
    pub documents: usize,
    /// Paragraphs of each role.
    pub roles: RoleCounts,
    /// Words in body paragraphs.
    pub body_words: u64,
    /// One entry per schema task.
    pub tasks: Vec<TaskProfile>,
}

/// One label of a [`TaskComparison`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelDifference {
    /// Label name.
    pub label: String,
    /// Share of the group's body paragraphs given the label.
    pub share: f64,
    /// The same share on the other side.
    pub share_versus: f64,
    /// `share − share_versus`, with its bootstrap interval.
    pub difference: Estimate,
}

/// One task of a [`Comparison`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskComparison {
    /// Task name.
    pub task: String,
    /// Single- or multi-label.
    pub kind: TaskKind,
    /// Jensen–Shannon divergence (bits) between the label distributions of the two sides.
    pub jsd: f64,
    /// Permutation p-value of the divergence (NaN without permutations).
    pub p_value: f64,
    /// Per label, in schema order.
    pub labels: Vec<LabelDifference>,
}

/// A word that distinguishes one side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyWord {
    /// The word (lowercased; stemmed when asked).
    pub word: String,
    /// z-score of the log-odds ratio: positive for the group, negative for the other side.
    pub z: f64,
    /// The log-odds ratio (natural log).
    pub log_odds: f64,
    /// Count in the group.
    pub count: u64,
    /// Count on the other side.
    pub count_versus: u64,
}

/// The words most typical of each side.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KeyWords {
    /// Words counted in the group.
    pub words: u64,
    /// Words counted on the other side.
    pub words_versus: u64,
    /// Most typical of the group, highest z first (z > 0).
    pub group: Vec<KeyWord>,
    /// Most typical of the other side, lowest z first (z < 0).
    pub versus: Vec<KeyWord>,
}

/// Keyness within the paragraphs given one label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelKeyWords {
    /// Task name.
    pub task: String,
    /// Label name.
    pub label: String,
    /// The words.
    pub words: KeyWords,
}

/// Keyness of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Keyness {
    /// Over all body paragraphs.
    pub overall: KeyWords,
    /// Within the paragraphs given each label of each multi-label task (labels with words on
    /// both sides).
    pub by_label: Vec<LabelKeyWords>,
}

/// A group compared with another group or with all the others.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The group.
    pub group: String,
    /// The other group, or `all others`.
    pub versus: String,
    /// Whether the other side is every other group together.
    pub versus_rest: bool,
    /// Documents in the group.
    pub documents: usize,
    /// Documents on the other side.
    pub documents_versus: usize,
    /// Per schema task.
    pub tasks: Vec<TaskComparison>,
    /// Keyness, when word counts are available.
    pub keyness: Option<Keyness>,
}

/// How groups were compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonMode {
    /// Two groups: one comparison.
    Pair,
    /// More than two: each group against all others.
    OneVsRest,
    /// Fewer than two groups, or more than the limit.
    None,
}

/// The label shares of one time bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimePoint {
    /// Bucket name.
    pub bucket: String,
    /// Documents in the bucket.
    pub documents: usize,
    /// Body paragraphs in the bucket.
    pub body_paragraphs: u64,
    /// Per task, per label (schema order): share of body paragraphs.
    pub shares: Vec<Vec<Estimate>>,
}

/// A time series of label shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeSeries {
    /// Group name (`all documents` when pooled).
    pub name: String,
    /// Buckets with documents, in time order.
    pub points: Vec<TimePoint>,
}

/// Label shares over time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeReport {
    /// Every bucket with documents, in time order.
    pub buckets: Vec<String>,
    /// Documents left out for want of a usable date.
    pub undated: usize,
    /// The series.
    pub series: Vec<TimeSeries>,
}

/// Whether keyness could be computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeynessInfo {
    /// Whether any body paragraph's words were counted.
    pub available: bool,
    /// Body paragraphs whose text was not available.
    pub paragraphs_without_text: u64,
}

/// A whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Settings used.
    pub settings: CompareValidParams,
    /// Tasks and labels.
    pub schema: Schema,
    /// Documents compared.
    pub documents: usize,
    /// Per group, sorted by name.
    pub groups: Vec<GroupProfile>,
    /// How groups were compared.
    pub mode: ComparisonMode,
    /// Why there is no comparison, when there is none.
    pub mode_note: Option<String>,
    /// The comparisons.
    pub comparisons: Vec<Comparison>,
    /// Whether keyness was computed.
    pub keyness: KeynessInfo,
    /// Label shares over time, when asked for.
    pub time: Option<TimeReport>,
}

/// Where each quantity of a document sits in its row of column sums, and how the statistics of
/// a group are derived from the sums.
#[derive(Debug)]
struct Layout {
    n_cols: usize,
    /// Per task, per label: (paragraphs column, probability-sum column).
    label_cols: Vec<Vec<(usize, usize)>>,
    /// Per task: column of labels given in all (multi-label tasks).
    total_col: Vec<Option<usize>>,
    /// Per task, per label: index of the label's first statistic (share, mean probability,
    /// per 100 paragraphs, per 1,000 words).
    stat_of: Vec<Vec<usize>>,
    /// Per task: index of the two all-labels rates (multi-label tasks).
    total_stat: Vec<Option<usize>>,
    n_stats: usize,
}

const BODY: usize = 0;
const WORDS: usize = 1;

impl Layout {
    fn new(schema: &Schema) -> Layout {
        let mut col = 2;
        let mut stat = 0;
        let (mut label_cols, mut total_col, mut stat_of, mut total_stat) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for t in &schema.tasks {
            let mut cols = Vec::new();
            let mut stats = Vec::new();
            for _ in &t.labels {
                cols.push((col, col + 1));
                col += 2;
                stats.push(stat);
                stat += 4;
            }
            label_cols.push(cols);
            stat_of.push(stats);
            if t.kind == TaskKind::Multi {
                total_col.push(Some(col));
                col += 1;
                total_stat.push(Some(stat));
                stat += 2;
            } else {
                total_col.push(None);
                total_stat.push(None);
            }
        }
        Layout {
            n_cols: col,
            label_cols,
            total_col,
            stat_of,
            total_stat,
            n_stats: stat,
        }
    }

    fn row(&self, s: &DocSummary, out: &mut [f64]) {
        out[BODY] = f64::from(s.roles.body);
        out[WORDS] = s.body_words as f64;
        for (t, tally) in s.tasks.iter().enumerate() {
            for (l, lt) in tally.labels.iter().enumerate() {
                let (p, q) = self.label_cols[t][l];
                out[p] = f64::from(lt.paragraphs);
                out[q] = lt.prob_sum;
            }
            if let Some(c) = self.total_col[t] {
                out[c] = f64::from(tally.total_labels);
            }
        }
    }

    /// The statistics of a group from its column sums (NaN where a denominator is zero).
    fn derive(&self, sums: &[f64], out: &mut [f64]) {
        let ratio = |n: f64, d: f64| if d > 0.0 { n / d } else { f64::NAN };
        let (body, words) = (sums[BODY], sums[WORDS]);
        for (t, cols) in self.label_cols.iter().enumerate() {
            for (l, &(p, q)) in cols.iter().enumerate() {
                let i = self.stat_of[t][l];
                out[i] = ratio(sums[p], body);
                out[i + 1] = ratio(sums[q], body);
                out[i + 2] = 100.0 * ratio(sums[p], body);
                out[i + 3] = 1000.0 * ratio(sums[p], words);
            }
            if let (Some(c), Some(i)) = (self.total_col[t], self.total_stat[t]) {
                out[i] = 100.0 * ratio(sums[c], body);
                out[i + 1] = 1000.0 * ratio(sums[c], words);
            }
        }
    }
}

/// A seed for one resampling, from the report's seed, the kind of resampling and its position.
fn sub_seed(seed: u64, stream: u64, index: u64) -> u64 {
    // SplitMix64's finaliser over the three inputs mixed together.
    let mut z = seed
        ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ index.wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const STREAM_GROUP: u64 = 1;
const STREAM_PERMUTATION: u64 = 2;
const STREAM_TIME: u64 = 3;

/// Column sums of some documents.
fn sums_of(matrix: &[f64], n_cols: usize, docs: &[usize]) -> Vec<f64> {
    let mut out = vec![0.0; n_cols];
    for &d in docs {
        for (o, x) in out.iter_mut().zip(&matrix[d * n_cols..(d + 1) * n_cols]) {
            *o += x;
        }
    }
    out
}

/// Bootstrap replicates of the column sums of `docs` (`n_boot × n_cols`).
fn replicate_sums(
    matrix: &[f64],
    n_cols: usize,
    docs: &[usize],
    n_boot: usize,
    seed: u64,
) -> Vec<f64> {
    stats::bootstrap_replicates(
        docs.len(),
        n_cols,
        |idx: &[usize], out: &mut [f64]| {
            out.fill(0.0);
            for &i in idx {
                let d = docs[i];
                for (o, x) in out.iter_mut().zip(&matrix[d * n_cols..(d + 1) * n_cols]) {
                    *o += x;
                }
            }
        },
        n_boot,
        seed,
    )
}

/// Point values and intervals of every statistic, from the sums and their replicates (no
/// intervals for fewer than two documents).
fn estimates(
    layout: &Layout,
    sums: &[f64],
    reps: &[f64],
    n_docs: usize,
    level: f64,
) -> Vec<Estimate> {
    let mut point = vec![0.0; layout.n_stats];
    layout.derive(sums, &mut point);
    if n_docs < 2 || reps.is_empty() {
        return point.into_iter().map(Estimate::point).collect();
    }
    let n_boot = reps.len() / layout.n_cols;
    let mut derived = vec![0.0; n_boot * layout.n_stats];
    for (r, out) in reps
        .chunks_exact(layout.n_cols)
        .zip(derived.chunks_exact_mut(layout.n_stats))
    {
        layout.derive(r, out);
    }
    let mut column = Vec::with_capacity(n_boot);
    point
        .iter()
        .enumerate()
        .map(|(s, &value)| {
            column.clear();
            column.extend(derived.iter().skip(s).step_by(layout.n_stats));
            let (lo, hi) = stats::percentile_interval(&mut column, level);
            Estimate { value, lo, hi }
        })
        .collect()
}

fn profile(
    schema: &Schema,
    layout: &Layout,
    name: &str,
    docs: &[&Document],
    sums: &[f64],
    est: &[Estimate],
) -> GroupProfile {
    let mut roles = RoleCounts::default();
    let mut body_words = 0;
    for d in docs {
        let r = &d.summary.roles;
        roles.headline += r.headline;
        roles.byline += r.byline;
        roles.boilerplate += r.boilerplate;
        roles.body += r.body;
        body_words += d.summary.body_words;
    }
    let tasks = schema
        .tasks
        .iter()
        .enumerate()
        .map(|(t, task)| TaskProfile {
            task: task.task.clone(),
            kind: task.kind,
            labels: task
                .labels
                .iter()
                .enumerate()
                .map(|(l, label)| {
                    let i = layout.stat_of[t][l];
                    LabelProfile {
                        label: label.clone(),
                        paragraphs: sums[layout.label_cols[t][l].0] as u64,
                        share: est[i],
                        mean_prob: est[i + 1],
                        per_100_paragraphs: est[i + 2],
                        per_1000_words: est[i + 3],
                    }
                })
                .collect(),
            labels_per_100_paragraphs: layout.total_stat[t].map(|i| est[i]),
            labels_per_1000_words: layout.total_stat[t].map(|i| est[i + 1]),
        })
        .collect();
    GroupProfile {
        name: name.to_string(),
        documents: docs.len(),
        roles,
        body_words,
        tasks,
    }
}

/// The top `k` words of each side, from the counts of the two sides.
fn key_words(
    a: &FxHashMap<u32, u64>,
    b: &FxHashMap<u32, u64>,
    vocab: &[Box<str>],
    k: usize,
    prior_strength: f64,
) -> KeyWords {
    let words: u64 = a.values().sum();
    let words_versus: u64 = b.values().sum();
    let mut out = KeyWords {
        words,
        words_versus,
        ..KeyWords::default()
    };
    if words == 0 || words_versus == 0 || k == 0 {
        return out;
    }
    // Ids in increasing order: the same vectors whatever the hash maps' order.
    let mut ids: Vec<u32> = a.keys().chain(b.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let count = |m: &FxHashMap<u32, u64>, id: u32| m.get(&id).copied().unwrap_or(0);
    let ca: Vec<f64> = ids.iter().map(|&id| count(a, id) as f64).collect();
    let cb: Vec<f64> = ids.iter().map(|&id| count(b, id) as f64).collect();
    let pooled: Vec<f64> = ca.iter().zip(&cb).map(|(x, y)| x + y).collect();
    let alpha = stats::informative_prior(&pooled, prior_strength * (words + words_versus) as f64);
    let scores = stats::log_odds_dirichlet(&ca, &cb, &alpha);
    let mut ranked: Vec<(usize, f64)> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| s.z.is_finite() && s.z != 0.0)
        .map(|(i, s)| (i, s.z))
        .collect();
    let word = |i: usize| &*vocab[ids[i] as usize];
    let make = |i: usize| KeyWord {
        word: word(i).to_string(),
        z: scores[i].z,
        log_odds: scores[i].delta,
        count: ca[i] as u64,
        count_versus: cb[i] as u64,
    };
    ranked.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| word(x.0).cmp(word(y.0))));
    out.group = ranked
        .iter()
        .take_while(|(_, z)| *z > 0.0)
        .take(k)
        .map(|&(i, _)| make(i))
        .collect();
    out.versus = ranked
        .iter()
        .rev()
        .take_while(|(_, z)| *z < 0.0)
        .take(k)
        .map(|&(i, _)| make(i))
        .collect();
    out
}

/// `total − part`, per word.
fn minus(total: &FxHashMap<u32, u64>, part: &FxHashMap<u32, u64>) -> FxHashMap<u32, u64> {
    total
        .iter()
        .filter_map(|(&id, &c)| {
            let rest = c - part.get(&id).copied().unwrap_or(0);
            (rest > 0).then_some((id, rest))
        })
        .collect()
}

/// Label-count columns of every task, for the divergence statistic of the permutation test.
fn label_counts(layout: &Layout, matrix: &[f64], docs: &[usize]) -> Vec<f64> {
    let cols: Vec<usize> = layout
        .label_cols
        .iter()
        .flat_map(|c| c.iter().map(|&(p, _)| p))
        .collect();
    let mut out = Vec::with_capacity(docs.len() * cols.len());
    for &d in docs {
        let row = &matrix[d * layout.n_cols..(d + 1) * layout.n_cols];
        out.extend(cols.iter().map(|&c| row[c]));
    }
    out
}

/// Compares the groups of `input`; see the module documentation.
pub fn compare(input: &CompareInput, params: &CompareValidParams) -> Report {
    let schema = &input.schema;
    let layout = Layout::new(schema);
    let n_cols = layout.n_cols;
    let mut matrix = vec![0.0; input.docs.len() * n_cols];
    for (d, row) in input.docs.iter().zip(matrix.chunks_exact_mut(n_cols)) {
        layout.row(&d.summary, row);
    }

    // Groups sorted by name; documents of each group in input order.
    let mut order: Vec<usize> = (0..input.groups.len()).collect();
    order.sort_by(|&a, &b| input.groups[a].cmp(&input.groups[b]));
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); input.groups.len()];
    for (i, d) in input.docs.iter().enumerate() {
        members[d.group].push(i);
    }
    let n_groups = order.len();
    let mode = match n_groups {
        2 => ComparisonMode::Pair,
        n if n > 2 && n <= params.max_compared_groups => ComparisonMode::OneVsRest,
        _ => ComparisonMode::None,
    };
    let keep_reps = mode != ComparisonMode::None;

    // Profiles and bootstrap replicates, one group per task.
    let per_group: Vec<(GroupProfile, Vec<f64>, Vec<f64>)> = order
        .par_iter()
        .enumerate()
        .map(|(pos, &g)| {
            let docs = &members[g];
            let sums = sums_of(&matrix, n_cols, docs);
            let reps = if docs.len() >= 2 || keep_reps {
                replicate_sums(
                    &matrix,
                    n_cols,
                    docs,
                    params.bootstrap,
                    sub_seed(params.seed, STREAM_GROUP, pos as u64),
                )
            } else {
                Vec::new()
            };
            let est = estimates(&layout, &sums, &reps, docs.len(), params.level);
            let doc_refs: Vec<&Document> = docs.iter().map(|&i| &input.docs[i]).collect();
            let p = profile(schema, &layout, &input.groups[g], &doc_refs, &sums, &est);
            (p, sums, if keep_reps { reps } else { Vec::new() })
        })
        .collect();

    let keyness_available = input.counted_paragraphs > 0 && params.top_words > 0;
    let mut comparisons = Vec::new();
    let mut mode_note = None;
    match mode {
        ComparisonMode::None if n_groups > params.max_compared_groups => {
            mode_note = Some(format!(
                "{n_groups} groups: more than {} are not compared (group the documents with \
                 --group-by)",
                params.max_compared_groups
            ));
        }
        ComparisonMode::None => {
            mode_note = Some(format!(
                "{n_groups} group{}: at least two are needed for a comparison",
                if n_groups == 1 { "" } else { "s" }
            ));
        }
        _ => {
            // (group position, other group position or None for all others)
            let pairs: Vec<(usize, Option<usize>)> = if mode == ComparisonMode::Pair {
                vec![(0, Some(1))]
            } else {
                (0..n_groups).map(|p| (p, None)).collect()
            };
            let n_boot_reps = per_group[0].2.len() / n_cols;
            let total_reps: Vec<f64> = if mode == ComparisonMode::OneVsRest {
                let mut t = vec![0.0; n_boot_reps * n_cols];
                for (_, _, reps) in &per_group {
                    for (x, r) in t.iter_mut().zip(reps) {
                        *x += r;
                    }
                }
                t
            } else {
                Vec::new()
            };
            let total_sums = sums_of(&matrix, n_cols, &(0..input.docs.len()).collect::<Vec<_>>());
            let total_words: Option<GroupWords> =
                (keyness_available && mode == ComparisonMode::OneVsRest).then(|| {
                    let mut t = GroupWords {
                        slots: vec![FxHashMap::default(); input.slots.len()],
                    };
                    for gw in &input.words {
                        for (ts, gs) in t.slots.iter_mut().zip(&gw.slots) {
                            for (&id, &c) in gs {
                                *ts.entry(id).or_insert(0) += c;
                            }
                        }
                    }
                    t
                });
            comparisons = pairs
                .par_iter()
                .enumerate()
                .map(|(ci, &(pa, pb))| {
                    let ga = order[pa];
                    let docs_a = &members[ga];
                    let docs_b: Vec<usize> = match pb {
                        Some(pb) => members[order[pb]].clone(),
                        None => (0..input.docs.len())
                            .filter(|&i| input.docs[i].group != ga)
                            .collect(),
                    };
                    let (sums_a, reps_a) = (&per_group[pa].1, &per_group[pa].2);
                    let (sums_b, reps_b): (Vec<f64>, Vec<f64>) = match pb {
                        Some(pb) => (per_group[pb].1.clone(), per_group[pb].2.clone()),
                        None => (
                            total_sums.iter().zip(sums_a).map(|(t, a)| t - a).collect(),
                            total_reps.iter().zip(reps_a).map(|(t, a)| t - a).collect(),
                        ),
                    };
                    // Permutation test of every task's divergence.
                    let concat: Vec<usize> = docs_a.iter().chain(&docs_b).copied().collect();
                    let counts = label_counts(&layout, &matrix, &concat);
                    let n_labels: usize = schema.tasks.iter().map(|t| t.labels.len()).sum();
                    let all: Vec<f64> = (0..n_labels)
                        .map(|c| counts.iter().skip(c).step_by(n_labels).sum())
                        .collect();
                    let tests = stats::permutation_tests(
                        docs_a.len(),
                        docs_b.len(),
                        schema.tasks.len(),
                        |a: &[usize], _b: &[usize], out: &mut [f64]| {
                            let mut sa = vec![0.0; n_labels];
                            for &i in a {
                                for (s, x) in sa.iter_mut().zip(&counts[i * n_labels..]) {
                                    *s += x;
                                }
                            }
                            let sb: Vec<f64> = all.iter().zip(&sa).map(|(t, a)| t - a).collect();
                            let mut from = 0;
                            for (o, t) in out.iter_mut().zip(&schema.tasks) {
                                let to = from + t.labels.len();
                                *o = stats::js_divergence(&sa[from..to], &sb[from..to]);
                                from = to;
                            }
                        },
                        params.permutations,
                        sub_seed(params.seed, STREAM_PERMUTATION, ci as u64),
                    );
                    // Share differences, replicate by replicate.
                    let n_reps = reps_a.len() / n_cols;
                    let tasks = schema
                        .tasks
                        .iter()
                        .enumerate()
                        .map(|(t, task)| {
                            let labels = task
                                .labels
                                .iter()
                                .enumerate()
                                .map(|(l, label)| {
                                    let (p, _) = layout.label_cols[t][l];
                                    let share = |s: &[f64]| {
                                        if s[BODY] > 0.0 {
                                            s[p] / s[BODY]
                                        } else {
                                            f64::NAN
                                        }
                                    };
                                    let (va, vb) = (share(sums_a), share(&sums_b));
                                    let mut diffs: Vec<f64> = (0..n_reps)
                                        .map(|r| {
                                            let ra = &reps_a[r * n_cols..(r + 1) * n_cols];
                                            let rb = &reps_b[r * n_cols..(r + 1) * n_cols];
                                            share(ra) - share(rb)
                                        })
                                        .collect();
                                    let (lo, hi) = if docs_a.len() >= 2 && docs_b.len() >= 2 {
                                        stats::percentile_interval(&mut diffs, params.level)
                                    } else {
                                        (f64::NAN, f64::NAN)
                                    };
                                    LabelDifference {
                                        label: label.clone(),
                                        share: va,
                                        share_versus: vb,
                                        difference: Estimate {
                                            value: va - vb,
                                            lo,
                                            hi,
                                        },
                                    }
                                })
                                .collect();
                            TaskComparison {
                                task: task.task.clone(),
                                kind: task.kind,
                                jsd: tests[t].observed,
                                p_value: if params.permutations == 0 {
                                    f64::NAN
                                } else {
                                    tests[t].p_value
                                },
                                labels,
                            }
                        })
                        .collect();
                    let keyness = keyness_available.then(|| {
                        let wa = &input.words[ga];
                        let wb_owned;
                        let wb = match (pb, &total_words) {
                            (Some(pb), _) => &input.words[order[pb]],
                            (None, Some(total)) => {
                                wb_owned = GroupWords {
                                    slots: total
                                        .slots
                                        .iter()
                                        .zip(&wa.slots)
                                        .map(|(t, a)| minus(t, a))
                                        .collect(),
                                };
                                &wb_owned
                            }
                            (None, None) => unreachable!("totals are counted for one-vs-rest"),
                        };
                        let kw = |slot: usize| {
                            key_words(
                                &wa.slots[slot],
                                &wb.slots[slot],
                                &input.vocab,
                                params.top_words,
                                params.prior_strength,
                            )
                        };
                        Keyness {
                            overall: kw(0),
                            by_label: input
                                .slots
                                .labels
                                .iter()
                                .enumerate()
                                .filter_map(|(i, &(t, l))| {
                                    let words = kw(i + 1);
                                    (words.words > 0 && words.words_versus > 0).then(|| {
                                        LabelKeyWords {
                                            task: schema.tasks[t].task.clone(),
                                            label: schema.tasks[t].labels[l].clone(),
                                            words,
                                        }
                                    })
                                })
                                .collect(),
                        }
                    });
                    Comparison {
                        group: input.groups[ga].clone(),
                        versus: match pb {
                            Some(pb) => input.groups[order[pb]].clone(),
                            None => "all others".to_string(),
                        },
                        versus_rest: pb.is_none(),
                        documents: docs_a.len(),
                        documents_versus: docs_b.len(),
                        tasks,
                        keyness,
                    }
                })
                .collect();
        }
    }

    let time = input
        .time
        .then(|| time_series(input, &layout, &matrix, &order, params));
    Report {
        settings: params.clone(),
        schema: schema.clone(),
        documents: input.docs.len(),
        groups: per_group.into_iter().map(|(p, _, _)| p).collect(),
        mode,
        mode_note,
        comparisons,
        keyness: KeynessInfo {
            available: keyness_available,
            paragraphs_without_text: input
                .body_paragraphs
                .saturating_sub(input.counted_paragraphs),
        },
        time,
    }
}

fn time_series(
    input: &CompareInput,
    layout: &Layout,
    matrix: &[f64],
    order: &[usize],
    params: &CompareValidParams,
) -> TimeReport {
    let mut bucket_order: Vec<usize> = (0..input.buckets.len()).collect();
    bucket_order.sort_by(|&a, &b| input.buckets[a].cmp(&input.buckets[b]));
    let mut rank = vec![0; input.buckets.len()];
    for (pos, &b) in bucket_order.iter().enumerate() {
        rank[b] = pos;
    }
    // Series: groups in report order, or one pooled series.
    let series: Vec<(String, Option<usize>)> =
        if input.time.then_some(params.time_per_group) == Some(true) {
            order
                .iter()
                .map(|&g| (input.groups[g].clone(), Some(g)))
                .collect()
        } else {
            vec![("all documents".to_string(), None)]
        };
    let n_buckets = bucket_order.len();
    let mut cells: Vec<Vec<usize>> = vec![Vec::new(); series.len() * n_buckets];
    for (i, d) in input.docs.iter().enumerate() {
        let Some(b) = d.bucket else { continue };
        for (s, (_, g)) in series.iter().enumerate() {
            if g.is_none_or(|g| g == d.group) {
                cells[s * n_buckets + rank[b]].push(i);
            }
        }
    }
    let points: Vec<Option<TimePoint>> = cells
        .par_iter()
        .enumerate()
        .map(|(c, docs)| {
            if docs.is_empty() {
                return None;
            }
            let sums = sums_of(matrix, layout.n_cols, docs);
            let reps = if docs.len() >= 2 {
                replicate_sums(
                    matrix,
                    layout.n_cols,
                    docs,
                    params.bootstrap,
                    sub_seed(params.seed, STREAM_TIME, c as u64),
                )
            } else {
                Vec::new()
            };
            let est = estimates(layout, &sums, &reps, docs.len(), params.level);
            Some(TimePoint {
                bucket: input.buckets[bucket_order[c % n_buckets]].clone(),
                documents: docs.len(),
                body_paragraphs: sums[BODY] as u64,
                shares: layout
                    .stat_of
                    .iter()
                    .map(|labels| labels.iter().map(|&i| est[i]).collect())
                    .collect(),
            })
        })
        .collect();
    let mut points = points.into_iter();
    TimeReport {
        buckets: bucket_order
            .iter()
            .map(|&b| input.buckets[b].clone())
            .collect(),
        undated: input.undated,
        series: series
            .into_iter()
            .map(|(name, _)| TimeSeries {
                name,
                points: points.by_ref().take(n_buckets).flatten().collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::TaskSchema;
    use crate::text::Role;
    use approx::assert_abs_diff_eq;

    #[test]
    fn buckets_table() {
        // (date, day, week, month, year); weeks cross-checked with Python's
        // `datetime.date(y, m, d).isocalendar()`.
        let cases = [
            ("2026-02-10", "2026-02-10", "2026-W07", "2026-02", "2026"),
            ("2026-01-01", "2026-01-01", "2026-W01", "2026-01", "2026"),
            ("2024-12-30", "2024-12-30", "2025-W01", "2024-12", "2024"),
            ("2021-01-03", "2021-01-03", "2020-W53", "2021-01", "2021"),
            ("2020-12-31", "2020-12-31", "2020-W53", "2020-12", "2020"),
            ("2024-02-29", "2024-02-29", "2024-W09", "2024-02", "2024"),
            (
                "2026-07-07T23:59:59Z",
                "2026-07-07",
                "2026-W28",
                "2026-07",
                "2026",
            ),
            (
                "1999-06-15 10:00",
                "1999-06-15",
                "1999-W24",
                "1999-06",
                "1999",
            ),
        ];
        for (date, day, week, month, year) in cases {
            assert_eq!(Bucket::Day.of(date).as_deref(), Some(day), "{date}");
            assert_eq!(Bucket::Week.of(date).as_deref(), Some(week), "{date}");
            assert_eq!(Bucket::Month.of(date).as_deref(), Some(month), "{date}");
            assert_eq!(Bucket::Year.of(date).as_deref(), Some(year), "{date}");
        }
        for bad in [
            "",
            "2026-13-01",
            "2023-02-29",
            "26-02-10",
            "2026/02/10",
            "x2026",
        ] {
            assert_eq!(Bucket::Month.of(bad), None, "{bad}");
        }
        assert_eq!(Bucket::Year.of("2026").as_deref(), Some("2026"));
        assert_eq!(Bucket::Month.of("2026").as_deref(), None);
        assert_eq!(Bucket::Month.of("2026-02").as_deref(), Some("2026-02"));
    }

    #[test]
    fn words_are_lowercased_unicode_words() {
        let mut seen = Vec::new();
        WordSplitter::new(Language::None)
            .for_each_word("The Council's £9 ÉTÉ plan—rejected.", |w| {
                seen.push(w.to_string())
            });
        assert_eq!(seen, ["the", "council's", "9", "été", "plan", "rejected"]);
        let mut stemmed = Vec::new();
        WordSplitter::new(Language::English)
            .for_each_word("Charges charged", |w| stemmed.push(w.to_string()));
        assert_eq!(stemmed, ["charg", "charg"]);
    }

    #[test]
    fn doc_words_merge_adds_counts() {
        let s = schema();
        let counter = WordCounter::new(&s, WordSplitter::new(Language::None));
        let scores = |frames: Vec<usize>| {
            [
                TaskScores {
                    probs: vec![0.5, 0.5],
                    predicted: vec![0],
                },
                TaskScores {
                    probs: vec![0.5, 0.5],
                    predicted: frames,
                },
            ]
        };
        let (mut whole, mut first, mut second) = Default::default();
        counter.add(&mut whole, "Tax cuts now", &scores(vec![0]));
        counter.add(&mut whole, "tax the rich", &scores(vec![0, 1]));
        counter.add(&mut first, "Tax cuts now", &scores(vec![0]));
        counter.add(&mut second, "tax the rich", &scores(vec![0, 1]));
        let mut merged: DocWords = first;
        merged.merge(&second);
        assert_eq!(merged.paragraphs(), 2);
        for w in ["tax", "cuts", "now", "the", "rich", "absent"] {
            assert_eq!(merged.count(w), whole.count(w), "{w}");
        }
        assert_eq!(merged.count("tax"), 2);
        let sorted = |d: &DocWords| {
            let mut v: Vec<(u32, String, u32)> = d
                .counts
                .iter()
                .map(|(&(slot, id), &c)| {
                    let w = d.vocab.iter().find(|(_, &i)| i == id).unwrap().0;
                    (slot, w.to_string(), c)
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&merged), sorted(&whole));
    }

    #[test]
    fn params_are_checked() {
        assert!(CompareParams::new().check().is_ok());
        let cases = [
            (CompareParams::new().level(1.0), CompareError::BadLevel(1.0)),
            (
                CompareParams::new().prior_strength(0.0),
                CompareError::BadPriorStrength(0.0),
            ),
            (
                CompareParams::new().max_compared_groups(1),
                CompareError::BadGroupLimit(1),
            ),
        ];
        for (params, err) in cases {
            assert_eq!(params.check().unwrap_err(), err);
        }
    }

    fn schema() -> Schema {
        Schema {
            tasks: vec![
                TaskSchema {
                    task: "stance".into(),
                    kind: TaskKind::Single,
                    labels: vec!["against".into(), "favor".into()],
                },
                TaskSchema {
                    task: "frame".into(),
                    kind: TaskKind::Multi,
                    labels: vec!["econ".into(), "health".into()],
                },
            ],
        }
    }

    /// A document of `n` body paragraphs of 10 words, `k` of them given frame `econ` (and
    /// stance `favor`), probability 0.8 for those and 0.2 for the others.
    fn doc(name: &str, n: usize, k: usize) -> DocSummary {
        let mut s = DocSummary::new(name, &schema());
        for i in 0..n {
            let yes = i < k;
            let p = if yes { 0.8 } else { 0.2 };
            let scores = [
                TaskScores {
                    probs: vec![1.0 - p, p],
                    predicted: vec![usize::from(yes)],
                },
                TaskScores {
                    probs: vec![p, 0.1],
                    predicted: if yes { vec![0] } else { vec![] },
                },
            ];
            s.add(i, Role::Body, 10, &scores);
        }
        s.add(n, Role::Boilerplate, 5, &[]);
        s
    }

    fn input(groups: &[(&str, &[(usize, usize)])]) -> CompareInput {
        let mut input = CompareInput::new(schema());
        for (g, docs) in groups {
            for (i, &(n, k)) in docs.iter().enumerate() {
                input.add(doc(&format!("{g}{i}"), n, k), g, None);
            }
        }
        input
    }

    /// Group shares and intervals on a fixed set of documents, worked by hand and with numpy.
    ///
    /// Group A: documents with (body paragraphs, given `econ`) = (4, 2), (6, 3), (10, 1);
    /// group B: (5, 0), (5, 1).
    ///
    /// * A's share of `econ` = (2 + 3 + 1) / (4 + 6 + 10) = 6/20 = 0.3; B's = 1/10 = 0.1.
    /// * A's mean probability of `econ` = (6·0.8 + 14·0.2) / 20 = 7.6/20 = 0.38.
    /// * A per 1,000 words = 1000 · 6 / 200 = 30; all frame labels per 100 paragraphs = 30.
    /// * stance `favor` = the same paragraphs as `econ`: 0.3.
    /// * JSD between A and B of `stance` (label counts [against, favor] = [14, 6] against
    ///   [9, 1]): `scipy.spatial.distance.jensenshannon([14, 6], [9, 1], base=2)**2` =
    ///   0.04678484847737535 (scipy 1.17.1); of `frame` (counts [6, 0] against [1, 0]): 0, the
    ///   same distribution.
    /// * A's bootstrap interval of the `econ` share: a resample is three draws from the three
    ///   documents, 27 equally likely ordered draws. Enumerated with numpy
    ///   (`itertools.product(range(3), repeat=3)`, ratio Σ econ / Σ body): the smallest ratio,
    ///   0.1 (the third document three times), has probability 1/27 ≈ 3.7% > 2.5%, and the
    ///   largest, 0.5 (any draw of only the first two documents, whose shares are both 0.5: 8
    ///   of the 27 draws), has probability 8/27 > 2.5%. So the
    ///   2.5th and 97.5th percentiles of the bootstrap distribution are exactly 0.1 and 0.5, and
    ///   with 4000 resamples the percentile interval is [0.1, 0.5].
    /// * A − B: the `econ` share difference is 0.3 − 0.1 = 0.2.
    #[test]
    fn group_statistics_on_a_fixed_set_by_hand() {
        let input = input(&[("A", &[(4, 2), (6, 3), (10, 1)]), ("B", &[(5, 0), (5, 1)])]);
        let params = CompareParams::new()
            .bootstrap(4000)
            .permutations(200)
            .check()
            .unwrap();
        let report = compare(&input, &params);
        assert_eq!(report.mode, ComparisonMode::Pair);
        let a = &report.groups[0];
        assert_eq!((a.name.as_str(), a.documents), ("A", 3));
        assert_eq!(
            (a.roles.body, a.roles.boilerplate, a.body_words),
            (20, 3, 200)
        );
        let econ = &a.tasks[1].labels[0];
        assert_eq!(econ.paragraphs, 6);
        assert_abs_diff_eq!(econ.share.value, 0.3, epsilon = 1e-12);
        assert_abs_diff_eq!(econ.mean_prob.value, 0.38, epsilon = 1e-6);
        assert_abs_diff_eq!(econ.per_100_paragraphs.value, 30.0, epsilon = 1e-9);
        assert_abs_diff_eq!(econ.per_1000_words.value, 30.0, epsilon = 1e-9);
        let total = a.tasks[1].labels_per_100_paragraphs.unwrap();
        assert_abs_diff_eq!(total.value, 30.0, epsilon = 1e-9);
        assert!(a.tasks[0].labels_per_100_paragraphs.is_none());
        assert_abs_diff_eq!(a.tasks[0].labels[1].share.value, 0.3, epsilon = 1e-12);
        assert_abs_diff_eq!(econ.share.lo, 0.1, epsilon = 1e-12);
        assert_abs_diff_eq!(econ.share.hi, 0.5, epsilon = 1e-12);
        let b = &report.groups[1];
        assert_abs_diff_eq!(b.tasks[1].labels[0].share.value, 0.1, epsilon = 1e-12);

        let c = &report.comparisons[0];
        assert_eq!((c.group.as_str(), c.versus.as_str()), ("A", "B"));
        assert_abs_diff_eq!(c.tasks[0].jsd, 0.046_784_848_477_375_35, epsilon = 1e-12);
        assert_eq!(c.tasks[1].jsd, 0.0);
        // 5 documents, 2 of them in B: 10 splits, and the observed one is among them.
        assert!(c.tasks[0].p_value > 0.0 && c.tasks[0].p_value <= 1.0);
        let d = &c.tasks[1].labels[0].difference;
        assert_abs_diff_eq!(d.value, 0.2, epsilon = 1e-12);
        assert!(d.lo <= d.value && d.value <= d.hi, "{d:?}");
    }

    #[test]
    fn reports_do_not_depend_on_the_number_of_threads() {
        let groups: [(&str, &[(usize, usize)]); 3] = [
            ("A", &[(4, 2), (6, 3), (10, 1), (3, 3)]),
            ("B", &[(5, 0), (5, 1), (8, 2)]),
            ("C", &[(7, 7), (2, 0)]),
        ];
        let params = CompareParams::new()
            .bootstrap(300)
            .permutations(300)
            .check()
            .unwrap();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| compare(&input(&groups), &params))
        };
        let one = run(1);
        assert_eq!(one.mode, ComparisonMode::OneVsRest);
        assert_eq!(one.comparisons.len(), 3);
        let json = |r: &Report| serde_json::to_string(r).unwrap();
        assert_eq!(json(&one), json(&run(3)));
    }

    #[test]
    fn single_documents_get_values_but_no_intervals() {
        let report = compare(
            &input(&[("A", &[(4, 2)]), ("B", &[(5, 1)])]),
            &CompareParams::new().check().unwrap(),
        );
        let share = report.groups[0].tasks[1].labels[0].share;
        assert_abs_diff_eq!(share.value, 0.5, epsilon = 1e-12);
        assert!(share.lo.is_nan() && share.hi.is_nan());
        let d = report.comparisons[0].tasks[1].labels[0].difference;
        assert!(d.lo.is_nan());
    }

    #[test]
    fn no_comparison_for_one_group_or_too_many() {
        let one = compare(
            &input(&[("A", &[(4, 2), (3, 1)])]),
            &CompareParams::new().check().unwrap(),
        );
        assert_eq!(one.mode, ComparisonMode::None);
        assert!(one.comparisons.is_empty() && one.mode_note.is_some());
        let groups: Vec<(String, [(usize, usize); 1])> =
            (0..4).map(|i| (format!("g{i}"), [(3, i % 3)])).collect();
        let refs: Vec<(&str, &[(usize, usize)])> = groups
            .iter()
            .map(|(g, d)| (g.as_str(), d.as_slice()))
            .collect();
        let many = compare(
            &input(&refs),
            &CompareParams::new().max_compared_groups(3).check().unwrap(),
        );
        assert_eq!(many.mode, ComparisonMode::None);
        assert_eq!(many.groups.len(), 4);
    }

    /// Keyness on a tiny corpus, worked by hand (see `stats::tests::log_odds_hand_worked` for
    /// the formula): A = "tax tax tax relief", B = "tax care care".
    ///
    /// Vocabulary (first seen): tax, relief, care. Counts: A = [3, 1, 0] (n_a = 4),
    /// B = [1, 0, 2] (n_b = 3). Prior: pooled counts [4, 1, 2] scaled to α₀ = 7, i.e. α = [4, 1, 2].
    ///
    /// * tax: A: (3+4)/(4+7−7) = 7/4; B: (1+4)/(3+7−5) = 5/5 = 1; δ = ln(7/4) = 0.5596158;
    ///   σ² = 1/7 + 1/5 = 12/35; z = 0.5596158 / 0.5855400 = 0.9557260.
    /// * relief: A: 2/(11−2) = 2/9; B: 1/(10−1) = 1/9; δ = ln 2 = 0.6931472; σ² = 1/2 + 1 = 1.5;
    ///   z = 0.6931472 / 1.2247449 = 0.5659524.
    /// * care: A: 2/(11−2) = 2/9; B: 4/(10−4) = 2/3; δ = ln(1/3) = −1.0986123;
    ///   σ² = 1/2 + 1/4 = 0.75; z = −1.0986123 / 0.8660254 = −1.2685682.
    ///
    /// (Python 3.11: `math.log(7/4)/math.sqrt(12/35)`, `math.log(2)/math.sqrt(1.5)`,
    /// `math.log(1/3)/math.sqrt(0.75)`.)
    #[test]
    fn keyness_by_hand() {
        let s = Schema {
            tasks: vec![TaskSchema {
                task: "frame".into(),
                kind: TaskKind::Multi,
                labels: vec!["econ".into()],
            }],
        };
        let counter = WordCounter::new(&s, WordSplitter::new(Language::None));
        let mut input = CompareInput::new(s.clone());
        for (g, text) in [("A", "Tax tax TAX relief"), ("B", "tax care care")] {
            let mut words = DocWords::default();
            let scores = [TaskScores {
                probs: vec![0.9],
                predicted: vec![0],
            }];
            counter.add(&mut words, text, &scores);
            let mut summary = DocSummary::new(g, &s);
            summary.add(0, Role::Body, 4, &scores);
            input.add(summary, g, None);
            input.add_words(g, &words);
        }
        let report = compare(&input, &CompareParams::new().check().unwrap());
        let k = report.comparisons[0].keyness.as_ref().unwrap();
        let got: Vec<(&str, f64, u64, u64)> = k
            .overall
            .group
            .iter()
            .chain(&k.overall.versus)
            .map(|w| (w.word.as_str(), w.z, w.count, w.count_versus))
            .collect();
        let want = [
            ("tax", 0.955_726_0, 3, 1),
            ("relief", 0.565_952_4, 1, 0),
            ("care", -1.268_568_2, 0, 2),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((w, z, ca, cb), (ww, wz, wca, wcb)) in got.iter().zip(want) {
            assert_eq!((*w, *ca, *cb), (ww, wca, wcb));
            assert_abs_diff_eq!(*z, wz, epsilon = 1e-6);
        }
        assert_eq!((k.overall.words, k.overall.words_versus), (4, 3));
        // every paragraph has the label: the same lists within it
        assert_eq!(k.by_label.len(), 1);
        assert_eq!(k.by_label[0].words, k.overall);
    }
}
