//! Vocabulary and TF-IDF weighting.
//!
//! Contract: [`TfIdfValidParams::fit_transform`] reads every training text once through the
//! analyzer, keeps the terms that pass `min_df` / `max_df` / `max_features`, numbers them by
//! decreasing document frequency, ties in lexicographic order (so ids never depend on document
//! order or thread count), fixes the IDF
//! and returns the training rows. [`FittedTfIdf`] then weighs any text with that fixed vocabulary
//! and IDF: `tf' = 1 + ln(tf)` (sublinear), `idf = ln((1 + n) / (1 + df)) + 1` (smoothed), rows
//! scaled to unit L2 norm. These are scikit-learn's `TfidfVectorizer(sublinear_tf=True)` weights.

use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::index::{CachedWord, TermIndex, WordCache, NONE};
use super::sparse::{CsrMatrix, SparseVec};
use crate::error::FeatureError;
use crate::text::{
    for_each_char_gram, for_each_cue, is_caps, lower_into, segment, Analyzer, CueToken, Scratch,
    Span, TokenKind, CAPS_TERM, INTENSIFIERS, INTENSIFIER_TERM, SECOND_PERSON, SENTIMENT_TERMS,
    YOU_TERM,
};

/// A document-frequency bound: an absolute count of documents or a fraction of them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum DocFreq {
    /// At least / at most this many documents.
    Count(u32),
    /// At least / at most this fraction of the documents.
    Fraction(f64),
}

impl DocFreq {
    fn check(self, name: &'static str) -> Result<(), FeatureError> {
        let ok = match self {
            DocFreq::Count(c) => c >= 1,
            DocFreq::Fraction(f) => f > 0.0 && f <= 1.0,
        };
        if ok {
            Ok(())
        } else {
            Err(FeatureError::BadDocFreq {
                name,
                value: match self {
                    DocFreq::Count(c) => f64::from(c),
                    DocFreq::Fraction(f) => f,
                },
            })
        }
    }

    /// The bound as a number of documents, for a corpus of `n_docs`.
    fn resolve(self, n_docs: usize) -> f64 {
        match self {
            DocFreq::Count(c) => f64::from(c),
            DocFreq::Fraction(f) => f * n_docs as f64,
        }
    }
}

impl FromStr for DocFreq {
    type Err = String;
    /// `"2"` is a count, `"0.5"` or `"1.0"` a fraction (as in scikit-learn: int or float).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.contains(['.', 'e', 'E']) {
            s.parse::<f64>()
                .map(DocFreq::Fraction)
                .map_err(|e| format!("`{s}` is not a number: {e}"))
        } else {
            s.parse::<u32>()
                .map(DocFreq::Count)
                .map_err(|e| format!("`{s}` is not a document count: {e}"))
        }
    }
}

impl fmt::Display for DocFreq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DocFreq::Count(c) => write!(f, "{c}"),
            DocFreq::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

/// Settings of the TF-IDF stage.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `min_df` | `Count(2)` | drop terms in fewer documents | count >= 1 or fraction in (0, 1] |
/// | `max_df` | `Fraction(1.0)` | drop terms in more documents | count >= 1 or fraction in (0, 1] |
/// | `max_features` | `None` | keep the most frequent terms only | >= 1 |
/// | `sublinear_tf` | `true` | `1 + ln(tf)` instead of `tf` | |
/// | `smooth_idf` | `true` | add one to document frequencies | |
///
/// # Errors
/// [`TfIdfParams::check`] returns [`FeatureError::BadDocFreq`],
/// [`FeatureError::FlippedDocFreq`] (both counts, or both fractions, with min > max) or
/// [`FeatureError::ZeroMaxFeatures`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfIdfParams {
    /// Minimum document frequency.
    pub min_df: DocFreq,
    /// Maximum document frequency.
    pub max_df: DocFreq,
    /// Vocabulary size limit (most frequent terms by total count).
    pub max_features: Option<usize>,
    /// Sublinear term frequency.
    pub sublinear_tf: bool,
    /// Smoothed inverse document frequency.
    pub smooth_idf: bool,
}

impl Default for TfIdfParams {
    fn default() -> Self {
        TfIdfParams {
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Fraction(1.0),
            max_features: None,
            sublinear_tf: true,
            smooth_idf: true,
        }
    }
}

/// Checked TF-IDF settings; only [`TfIdfParams::check`] makes one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TfIdfValidParams(TfIdfParams);

impl TfIdfParams {
    /// Validates the settings.
    pub fn check(self) -> Result<TfIdfValidParams, FeatureError> {
        self.min_df.check("min_df")?;
        self.max_df.check("max_df")?;
        let flipped = match (self.min_df, self.max_df) {
            (DocFreq::Count(a), DocFreq::Count(b)) => a > b,
            (DocFreq::Fraction(a), DocFreq::Fraction(b)) => a > b,
            _ => false,
        };
        if flipped {
            return Err(FeatureError::FlippedDocFreq {
                min: self.min_df.to_string(),
                max: self.max_df.to_string(),
            });
        }
        if self.max_features == Some(0) {
            return Err(FeatureError::ZeroMaxFeatures);
        }
        Ok(TfIdfValidParams(self))
    }
}

/// Documents analysed per parallel work unit while fitting.
const FIT_CHUNK: usize = 512;

/// The largest IDF a model file may hold. Fitted IDFs are below 50 for any corpus size (`ln`
/// of the number of documents, plus one); the bound keeps weighted counts, and so logits,
/// finite for any text.
pub const MAX_IDF: f32 = 1e6;

/// Terms of one chunk of documents: a local interner and each document's (local id, count).
struct ChunkTerms {
    terms: Vec<String>,
    docs: Vec<Vec<(u32, u32)>>,
}

fn analyse_chunk(analyzer: &Analyzer, texts: &[(&str, Option<&str>)]) -> ChunkTerms {
    let mut interner: FxHashMap<String, u32> = FxHashMap::default();
    let mut terms = Vec::new();
    let mut scratch = Scratch::default();
    let mut ids = Vec::new();
    let docs = texts
        .iter()
        .map(|(text, target)| {
            ids.clear();
            analyzer.for_each_term_with_target(text, *target, &mut scratch, |term, _| {
                let id = match interner.get(term) {
                    Some(&id) => id,
                    None => {
                        let id = terms.len() as u32;
                        terms.push(term.to_string());
                        interner.insert(term.to_string(), id);
                        id
                    }
                };
                ids.push(id);
            });
            count_ids(&mut ids)
        })
        .collect();
    ChunkTerms { terms, docs }
}

/// Sorts ids and returns (id, count) runs.
fn count_ids(ids: &mut [u32]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    count_ids_into(ids, &mut out);
    out
}

/// Counts ids into (id, count) pairs in order of first occurrence, with a small open-addressing
/// table that stays in L1 cache (`table` is scratch space). Sorting would cost more than the
/// counting for a paragraph's few dozen ids, and scoring does not need them sorted.
fn count_unsorted(ids: &[u32], table: &mut Vec<u32>, out: &mut Vec<(u32, u32)>) {
    out.clear();
    let size = (ids.len() * 2).next_power_of_two().max(16);
    table.clear();
    table.resize(size, u32::MAX);
    let mask = size - 1;
    for &id in ids {
        // Fibonacci hashing of the id; linear probing over slots holding indices into `out`.
        let mut slot = (id.wrapping_mul(0x9E37_79B9) >> 7) as usize & mask;
        loop {
            let at = table[slot];
            if at == u32::MAX {
                table[slot] = out.len() as u32;
                out.push((id, 1));
                break;
            }
            if out[at as usize].0 == id {
                out[at as usize].1 += 1;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
}

/// Sorts ids and writes (id, count) runs into `out` (cleared first).
fn count_ids_into(ids: &mut [u32], out: &mut Vec<(u32, u32)>) {
    out.clear();
    ids.sort_unstable();
    for &id in ids.iter() {
        match out.last_mut() {
            Some((last, n)) if *last == id => *n += 1,
            _ => out.push((id, 1)),
        }
    }
}

impl TfIdfValidParams {
    /// The settings.
    pub fn params(&self) -> &TfIdfParams {
        &self.0
    }

    /// Fits the vocabulary and IDF on `texts` and returns them with the weighted training rows.
    ///
    /// # Errors
    /// [`FeatureError::EmptyVocabulary`] when no term passes the filters.
    pub fn fit_transform(
        &self,
        analyzer: &Analyzer,
        texts: &[&str],
    ) -> Result<(FittedTfIdf, CsrMatrix), FeatureError> {
        let with_targets: Vec<(&str, Option<&str>)> = texts.iter().map(|t| (*t, None)).collect();
        self.fit_transform_with_targets(analyzer, &with_targets)
    }

    /// [`TfIdfValidParams::fit_transform`] for texts with their stance targets (which the
    /// analyzer's target options use).
    pub fn fit_transform_with_targets(
        &self,
        analyzer: &Analyzer,
        texts: &[(&str, Option<&str>)],
    ) -> Result<(FittedTfIdf, CsrMatrix), FeatureError> {
        let chunks: Vec<ChunkTerms> = texts
            .par_chunks(FIT_CHUNK)
            .map(|chunk| analyse_chunk(analyzer, chunk))
            .collect();

        // Merge the chunk interners into global ids (in chunk order, so deterministically).
        let mut global: FxHashMap<&str, u32> = FxHashMap::default();
        let mut global_terms: Vec<&str> = Vec::new();
        let remaps: Vec<Vec<u32>> = chunks
            .iter()
            .map(|c| {
                c.terms
                    .iter()
                    .map(|t| {
                        *global.entry(t.as_str()).or_insert_with(|| {
                            global_terms.push(t.as_str());
                            (global_terms.len() - 1) as u32
                        })
                    })
                    .collect()
            })
            .collect();
        let mut df = vec![0u32; global_terms.len()];
        let mut total = vec![0u64; global_terms.len()];
        for (chunk, remap) in chunks.iter().zip(&remaps) {
            for doc in &chunk.docs {
                for &(local, count) in doc {
                    let g = remap[local as usize] as usize;
                    df[g] += 1;
                    total[g] += u64::from(count);
                }
            }
        }

        let n_docs = texts.len();
        let min_df = self.0.min_df.resolve(n_docs);
        let max_df = self.0.max_df.resolve(n_docs);
        let mut kept: Vec<u32> = (0..global_terms.len() as u32)
            .filter(|&g| {
                let d = f64::from(df[g as usize]);
                d >= min_df && d <= max_df
            })
            .collect();
        if let Some(limit) = self.0.max_features {
            if kept.len() > limit {
                // Most frequent first; ties by term so the choice is deterministic.
                kept.sort_by(|&a, &b| {
                    total[b as usize]
                        .cmp(&total[a as usize])
                        .then_with(|| global_terms[a as usize].cmp(global_terms[b as usize]))
                });
                kept.truncate(limit);
            }
        }
        if kept.is_empty() {
            return Err(FeatureError::EmptyVocabulary { docs: n_docs });
        }
        // Ids by decreasing document frequency (ties by term, so still independent of document
        // order and thread count): the features of common words, which make up most of any
        // text, then sit together at the front of every per-feature table, which keeps scoring
        // in cache.
        kept.sort_by(|&a, &b| {
            df[b as usize]
                .cmp(&df[a as usize])
                .then_with(|| global_terms[a as usize].cmp(global_terms[b as usize]))
        });

        let mut feature_of = vec![u32::MAX; global_terms.len()];
        for (id, &g) in kept.iter().enumerate() {
            feature_of[g as usize] = id as u32;
        }
        let n = n_docs as f64;
        let idf: Vec<f32> = kept
            .iter()
            .map(|&g| {
                let d = f64::from(df[g as usize]);
                let v = if self.0.smooth_idf {
                    ((1.0 + n) / (1.0 + d)).ln() + 1.0
                } else {
                    (n / d).ln() + 1.0
                };
                v as f32
            })
            .collect();
        let terms: Vec<String> = kept
            .iter()
            .map(|&g| global_terms[g as usize].to_string())
            .collect();
        let fitted = FittedTfIdf::new(self.clone(), terms, idf);

        let mut matrix = CsrMatrix::new(fitted.n_features());
        let mut row = SparseVec::default();
        let mut counts = Vec::new();
        for (chunk, remap) in chunks.iter().zip(&remaps) {
            for doc in &chunk.docs {
                counts.clear();
                counts.extend(doc.iter().filter_map(|&(local, count)| {
                    let f = feature_of[remap[local as usize] as usize];
                    (f != u32::MAX).then_some((f, count))
                }));
                counts.sort_unstable();
                fitted.weigh(&counts, &mut row);
                matrix.push_row(&row.indices, &row.values);
            }
        }
        Ok((fitted, matrix))
    }
}

/// A fitted vocabulary with fixed IDF.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "FittedTfIdfData", into = "FittedTfIdfData")]
pub struct FittedTfIdf {
    params: TfIdfValidParams,
    terms: Vec<String>,
    idf: Vec<f32>,
    index: TermIndex,
    /// Feature ids of the rhetoric cues ([`CAPS_TERM`], [`INTENSIFIER_TERM`], [`YOU_TERM`]).
    cue_ids: [u32; 3],
    /// Feature ids of the sentiment cues ([`SENTIMENT_TERMS`]).
    sentiment_ids: [u32; 4],
}

/// The serialised form: the lookup index is rebuilt on load.
#[derive(Serialize, Deserialize)]
struct FittedTfIdfData {
    params: TfIdfValidParams,
    terms: Vec<String>,
    idf: Vec<f32>,
}

impl From<FittedTfIdfData> for FittedTfIdf {
    fn from(d: FittedTfIdfData) -> Self {
        FittedTfIdf::new(d.params, d.terms, d.idf)
    }
}

impl From<FittedTfIdf> for FittedTfIdfData {
    fn from(f: FittedTfIdf) -> Self {
        FittedTfIdfData {
            params: f.params,
            terms: f.terms,
            idf: f.idf,
        }
    }
}

/// Per-thread buffers for [`FittedTfIdf::transform_one`]. Reusing one across calls makes
/// transforming allocation-free once its buffers and word cache have grown.
#[derive(Debug, Default, Clone)]
pub struct TransformScratch {
    /// The analyzer's buffers, for texts with a stance target.
    text: Scratch,
    spans: Vec<Span>,
    tokens: Vec<u32>,
    features: Vec<u32>,
    counts: Vec<(u32, u32)>,
    table: Vec<u32>,
    norm: String,
    cache: WordCache,
    chars: Vec<char>,
    term: String,
    cues: Vec<CueToken>,
}

impl TransformScratch {
    /// The token spans of the last text transformed.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }
}

impl FittedTfIdf {
    fn new(params: TfIdfValidParams, terms: Vec<String>, idf: Vec<f32>) -> Self {
        let index = TermIndex::new(terms.iter().map(String::as_str));
        let id = |t: &str| index.term(t).unwrap_or(NONE);
        let cue_ids = [CAPS_TERM, INTENSIFIER_TERM, YOU_TERM].map(id);
        let sentiment_ids = SENTIMENT_TERMS.map(id);
        FittedTfIdf {
            params,
            terms,
            idf,
            index,
            cue_ids,
            sentiment_ids,
        }
    }

    /// The settings it was fitted with.
    pub fn params(&self) -> &TfIdfParams {
        self.params.params()
    }

    /// Vocabulary size.
    pub fn n_features(&self) -> usize {
        self.terms.len()
    }

    /// The term of feature `id`.
    pub fn term(&self, id: u32) -> &str {
        &self.terms[id as usize]
    }

    /// The id of a term, if it is in the vocabulary.
    pub fn id(&self, term: &str) -> Option<u32> {
        self.index.term(term)
    }

    /// The IDF of feature `id`.
    pub fn idf(&self, id: u32) -> f32 {
        self.idf[id as usize]
    }

    /// Consistency check for data read from a file: one IDF per term, positive and at most
    /// [`MAX_IDF`], and no term twice.
    pub(crate) fn is_consistent(&self) -> bool {
        self.terms.len() == self.idf.len()
            && self.index.len() == self.terms.len()
            && self.idf.iter().all(|v| *v > 0.0 && *v <= MAX_IDF)
    }

    /// Weighs sorted (feature id, raw count) pairs into a unit-norm row.
    fn weigh(&self, counts: &[(u32, u32)], out: &mut SparseVec) {
        out.clear();
        let mut norm = 0.0f64;
        for &(id, tf) in counts {
            let v = self.weight(id, tf);
            norm += f64::from(v) * f64::from(v);
            out.indices.push(id);
            out.values.push(v);
        }
        if norm > 0.0 {
            let inv = (1.0 / norm.sqrt()) as f32;
            out.values.iter_mut().for_each(|v| *v *= inv);
        }
    }

    /// Weighs one text into `out`.
    ///
    /// The result equals weighing the terms of [`Analyzer::for_each_term`] looked up by
    /// string (`transform_one_matches_the_string_path` checks it), but tokens are looked up once
    /// each, through the scratch's word cache, and n-grams by token ids.
    pub fn transform_one(
        &self,
        analyzer: &Analyzer,
        text: &str,
        scratch: &mut TransformScratch,
        out: &mut SparseVec,
    ) {
        self.count_features(analyzer, text, None, scratch);
        scratch.counts.sort_unstable();
        self.weigh(&scratch.counts, out);
    }

    /// The (feature id, raw count) pairs of `text`, in order of first occurrence, before any
    /// weighting: the first half of [`FittedTfIdf::transform_one`], for callers that fuse
    /// weighting with their own work.
    pub fn count_features<'s>(
        &self,
        analyzer: &Analyzer,
        text: &str,
        target: Option<&str>,
        scratch: &'s mut TransformScratch,
    ) -> &'s [(u32, u32)] {
        if target.is_some() && analyzer.uses_target() {
            // Target mentions change the terms: take the analyzer's own (string) path.
            scratch.features.clear();
            let features = &mut scratch.features;
            analyzer.for_each_term_with_target(text, target, &mut scratch.text, |term, _| {
                if let Some(f) = self.index.term(term) {
                    features.push(f);
                }
            });
            count_unsorted(&scratch.features, &mut scratch.table, &mut scratch.counts);
            return &scratch.counts;
        }
        let TransformScratch {
            spans,
            tokens,
            features,
            counts,
            table,
            norm,
            cache,
            chars,
            term,
            cues,
            text: _,
        } = scratch;
        let params = analyzer.config().params();
        segment(text, spans);
        tokens.clear();
        features.clear();
        cues.clear();
        for span in spans.iter() {
            let surface = &text[span.start..span.end];
            let word = cache.get_or_insert(&self.index, surface, || {
                norm.clear();
                lower_into(surface, span.kind, norm);
                let mut flags = 0;
                let mut cue = CueToken::default();
                if span.kind == TokenKind::Word {
                    // Like the stemmed form, the cue is cached for this vocabulary's analyzer.
                    if params.sentiment {
                        cue = CueToken::of_word(norm);
                    }
                    if is_caps(surface) {
                        flags |= CachedWord::CAPS;
                    }
                    if INTENSIFIERS.contains(&norm.as_str()) {
                        flags |= CachedWord::INTENSIFIER;
                    }
                    if SECOND_PERSON.contains(&norm.as_str()) {
                        flags |= CachedWord::YOU;
                    }
                    analyzer.stemmer().stem_tail(norm, 0);
                }
                CachedWord {
                    token: self.index.token(norm),
                    flags,
                    cue,
                }
            });
            tokens.push(word.token);
            if params.sentiment {
                cues.push(word.cue);
            }
            if params.rhetoric && word.flags != 0 {
                for (bit, &id) in [CachedWord::CAPS, CachedWord::INTENSIFIER, CachedWord::YOU]
                    .iter()
                    .zip(&self.cue_ids)
                {
                    if word.flags & bit != 0 && id != NONE {
                        features.push(id);
                    }
                }
            }
        }
        if params.sentiment {
            for_each_cue(cues, |_, bin| {
                let id = self.sentiment_ids[bin];
                if id != NONE {
                    features.push(id);
                }
            });
        }
        let (wmin, wmax) = params.word_ngrams;
        for n in wmin..=wmax.min(tokens.len()) {
            // Look up every window, then drop the misses: no branch on a lookup's result inside
            // the loop, so the hash probes' cache misses overlap.
            let from = features.len();
            features.extend(tokens.windows(n).map(|w| self.index.ngram(w)));
            let mut kept = from;
            for i in from..features.len() {
                let f = features[i];
                features[kept] = f;
                kept += usize::from(f != NONE);
            }
            features.truncate(kept);
        }
        if let Some(range) = params.char_ngrams.filter(|_| self.index.has_char_grams()) {
            for span in spans.iter().filter(|s| s.kind == TokenKind::Word) {
                norm.clear();
                lower_into(&text[span.start..span.end], TokenKind::Word, norm);
                for_each_char_gram(norm, range, chars, term, |t| {
                    let f = self.index.char_gram(t);
                    if f != NONE {
                        features.push(f);
                    }
                });
            }
        }
        count_unsorted(features, table, counts);
        counts
    }

    /// The weight of a feature occurring `tf` times, before normalisation.
    pub fn weight(&self, id: u32, tf: u32) -> f32 {
        self.tf_weight(tf) * self.idf[id as usize]
    }

    /// The term-frequency factor of a weight: `1 + ln(tf)` (sublinear) or `tf`.
    #[inline]
    pub fn tf_weight(&self, tf: u32) -> f32 {
        // Most terms occur once in a paragraph: skip the logarithm (ln 1 = 0 exactly).
        if tf == 1 {
            return 1.0;
        }
        let tf = tf as f32;
        if self.params.0.sublinear_tf {
            1.0 + tf.ln()
        } else {
            tf
        }
    }

    /// Weighs many texts, in parallel, keeping their order.
    pub fn transform(&self, analyzer: &Analyzer, texts: &[&str]) -> CsrMatrix {
        let rows: Vec<SparseVec> = texts
            .par_iter()
            .map_init(TransformScratch::default, |scratch, text| {
                let mut row = SparseVec::default();
                self.transform_one(analyzer, text, scratch, &mut row);
                row
            })
            .collect();
        CsrMatrix::from_rows(self.n_features(), &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::{AnalyzerParams, Language};
    use approx::assert_abs_diff_eq;

    fn unigram_analyzer() -> Analyzer {
        AnalyzerParams {
            language: Language::None,
            word_ngrams: (1, 1),
            ..AnalyzerParams::default()
        }
        .check()
        .unwrap()
        .build()
    }

    fn params(min_df: DocFreq) -> TfIdfValidParams {
        TfIdfParams {
            min_df,
            ..TfIdfParams::default()
        }
        .check()
        .unwrap()
    }

    /// Reference weights from scikit-learn 1.9.1:
    /// `TfidfVectorizer(sublinear_tf=True, token_pattern=r"\w+")` fitted on the three documents.
    #[test]
    fn matches_sklearn_tfidf() {
        let docs = ["the cat sat", "the cat cat ran", "a dog ran"];
        let (tfidf, m) = params(DocFreq::Count(1))
            .fit_transform(&unigram_analyzer(), &docs)
            .unwrap();
        let terms: Vec<_> = (0..tfidf.n_features() as u32)
            .map(|i| tfidf.term(i))
            .collect();
        // By decreasing document frequency, ties in lexicographic order.
        assert_eq!(terms, ["cat", "ran", "the", "a", "dog", "sat"]);
        // (row, term, expected weight)
        let expected = [
            (0, "cat", 0.517_856_1),
            (0, "sat", 0.680_918_6),
            (0, "the", 0.517_856_1),
            (1, "cat", 0.767_494_6),
            (1, "ran", 0.453_294_7),
            (1, "the", 0.453_294_7),
            (2, "a", 0.622_766),
            (2, "dog", 0.622_766),
            (2, "ran", 0.473_629_6),
        ];
        for (row, term, want) in expected {
            let (ids, vals) = m.row(row);
            let id = tfidf.id(term).unwrap();
            let pos = ids.iter().position(|&i| i == id).unwrap();
            assert_abs_diff_eq!(vals[pos], want, epsilon = 1e-6);
        }
        // A new text is weighed with the fitted IDF, not its own.
        let mut row = SparseVec::default();
        tfidf.transform_one(
            &unigram_analyzer(),
            "cat zebra",
            &mut Default::default(),
            &mut row,
        );
        assert_eq!(row.indices, [tfidf.id("cat").unwrap()]);
        assert_abs_diff_eq!(row.values[0], 1.0);
    }

    /// The fast path (token ids, word cache) gives exactly the rows of the plain path (every
    /// term of `for_each_term` looked up by string), for word 1–3 grams with and without
    /// character n-grams, rhetoric and sentiment cues.
    #[test]
    fn transform_one_matches_the_string_path() {
        let docs = [
            "The council's congestion charge will cost drivers £8 a day, from 2026!",
            "Will it work? Critics say \"no\": the charge is a TOTALLY unfair tax on YOU.",
            "Drivers, drivers, drivers: the charge hits them first and hardest.",
            "Überraschung in 1990s Köln — naïve café owners can't cope.",
            "Not a good plan, and never a terrible one: it isn't GREAT, it is fine.",
            "",
        ];
        for (char_ngrams, rhetoric, sentiment) in [
            (None, false, false),
            (Some((2, 4)), false, false),
            (None, true, false),
            (None, false, true),
            (Some((2, 4)), true, true),
        ] {
            let analyzer = AnalyzerParams {
                language: Language::English,
                word_ngrams: (1, 3),
                char_ngrams,
                rhetoric,
                sentiment,
                ..AnalyzerParams::default()
            }
            .check()
            .unwrap()
            .build();
            let (tfidf, _) = params(DocFreq::Count(1))
                .fit_transform(&analyzer, &docs)
                .unwrap();
            let mut scratch = TransformScratch::default();
            let mut text_scratch = Scratch::default();
            for text in docs.iter().chain(&[
                "the charge, the charge?",
                "unseen words only",
                "an awful, not awful, wonderful day",
            ]) {
                let mut fast = SparseVec::default();
                tfidf.transform_one(&analyzer, text, &mut scratch, &mut fast);
                let mut ids = Vec::new();
                analyzer.for_each_term(text, &mut text_scratch, |t, _| {
                    if let Some(id) = tfidf.id(t) {
                        ids.push(id);
                    }
                });
                let mut slow = SparseVec::default();
                tfidf.weigh(&count_ids(&mut ids), &mut slow);
                assert_eq!(fast, slow, "{text:?} with char n-grams {char_ngrams:?}");
            }
        }
    }

    #[test]
    fn unsorted_counting_table() {
        // (ids, expected (id, count) in order of first occurrence)
        type Case<'a> = (&'a [u32], &'a [(u32, u32)]);
        let cases: &[Case] = &[
            (&[], &[]),
            (&[7], &[(7, 1)]),
            (&[5, 3, 5, 5, 9, 3], &[(5, 3), (3, 2), (9, 1)]),
            (
                &[u32::MAX - 1, 0, u32::MAX - 1],
                &[(u32::MAX - 1, 2), (0, 1)],
            ),
        ];
        let mut table = Vec::new();
        let mut out = Vec::new();
        for (ids, want) in cases {
            count_unsorted(ids, &mut table, &mut out);
            assert_eq!(&out, want, "{ids:?}");
        }
        // Many ids that collide in the table still count right.
        let ids: Vec<u32> = (0..500).map(|i| (i % 97) << 20).collect();
        count_unsorted(&ids, &mut table, &mut out);
        let mut sorted = ids.clone();
        let mut reference = count_ids(&mut sorted);
        out.sort_unstable();
        reference.sort_unstable();
        assert_eq!(out, reference);
    }

    #[test]
    fn doc_freq_filters_table() {
        let docs = ["a b c", "a b", "a", "a d"];
        // (min_df, max_df, max_features, expected vocabulary)
        let cases: &[(DocFreq, DocFreq, Option<usize>, &[&str])] = &[
            (
                DocFreq::Count(1),
                DocFreq::Fraction(1.0),
                None,
                &["a", "b", "c", "d"],
            ),
            (DocFreq::Count(2), DocFreq::Fraction(1.0), None, &["a", "b"]),
            (DocFreq::Count(1), DocFreq::Count(2), None, &["b", "c", "d"]),
            (DocFreq::Fraction(0.5), DocFreq::Fraction(0.9), None, &["b"]),
            (
                DocFreq::Count(1),
                DocFreq::Fraction(1.0),
                Some(2),
                &["a", "b"],
            ),
            (
                DocFreq::Count(1),
                DocFreq::Fraction(1.0),
                Some(3),
                &["a", "b", "c"],
            ),
        ];
        for &(min_df, max_df, max_features, expected) in cases {
            let p = TfIdfParams {
                min_df,
                max_df,
                max_features,
                ..TfIdfParams::default()
            }
            .check()
            .unwrap();
            let (tfidf, _) = p.fit_transform(&unigram_analyzer(), &docs).unwrap();
            let terms: Vec<_> = (0..tfidf.n_features() as u32)
                .map(|i| tfidf.term(i))
                .collect();
            assert_eq!(
                terms, expected,
                "min_df {min_df}, max_df {max_df}, max_features {max_features:?}"
            );
        }
    }

    #[test]
    fn vocabulary_does_not_depend_on_document_order() {
        let docs: Vec<String> = (0..1500)
            .map(|i| format!("w{} common w{}", i % 37, i % 11))
            .collect();
        let mut rev = docs.clone();
        rev.reverse();
        let a: Vec<&str> = docs.iter().map(String::as_str).collect();
        let b: Vec<&str> = rev.iter().map(String::as_str).collect();
        let (fa, ma) = params(DocFreq::Count(2))
            .fit_transform(&unigram_analyzer(), &a)
            .unwrap();
        let (fb, mb) = params(DocFreq::Count(2))
            .fit_transform(&unigram_analyzer(), &b)
            .unwrap();
        assert_eq!(fa.terms, fb.terms);
        assert_eq!(fa.idf, fb.idf);
        assert_eq!(ma.row(0), mb.row(1499));
    }

    #[test]
    fn bad_params_are_typed_errors() {
        let cases = [
            (
                DocFreq::Count(0),
                DocFreq::Fraction(1.0),
                None,
                "min_df must be a count >= 1 or a fraction in (0, 1] (got 0)",
            ),
            (
                DocFreq::Count(1),
                DocFreq::Fraction(1.5),
                None,
                "max_df must be a count >= 1 or a fraction in (0, 1] (got 1.5)",
            ),
            (
                DocFreq::Count(5),
                DocFreq::Count(2),
                None,
                "min_df (5) is larger than max_df (2)",
            ),
            (
                DocFreq::Count(1),
                DocFreq::Fraction(1.0),
                Some(0),
                "max_features must be at least 1",
            ),
        ];
        for (min_df, max_df, max_features, message) in cases {
            let err = TfIdfParams {
                min_df,
                max_df,
                max_features,
                ..TfIdfParams::default()
            }
            .check()
            .unwrap_err();
            assert_eq!(err.to_string(), message);
        }
        let err = params(DocFreq::Count(3))
            .fit_transform(&unigram_analyzer(), &["a", "b"])
            .unwrap_err();
        assert_eq!(err, FeatureError::EmptyVocabulary { docs: 2 });
    }

    #[test]
    fn doc_freq_parses_like_sklearn() {
        assert_eq!("2".parse::<DocFreq>().unwrap(), DocFreq::Count(2));
        assert_eq!("0.5".parse::<DocFreq>().unwrap(), DocFreq::Fraction(0.5));
        assert_eq!("1.0".parse::<DocFreq>().unwrap(), DocFreq::Fraction(1.0));
        assert!("two".parse::<DocFreq>().is_err());
    }
}
