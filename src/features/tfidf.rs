//! Vocabulary and TF-IDF weighting.
//!
//! Contract: [`TfIdfValidParams::fit_transform`] reads every training text once through the
//! analyzer, keeps the terms that pass `min_df` / `max_df` / `max_features`, numbers them by
//! decreasing document frequency, ties in lexicographic order (so ids never depend on document
//! order or thread count), fixes the IDF
//! and returns the training rows. [`FittedTfIdf`] then weighs any text with that fixed vocabulary
//! and IDF: `tf' = 1 + ln(tf)` (sublinear), `idf = ln((1 + n) / (1 + df)) + 1` (smoothed), rows
//! scaled to unit L2 norm. These are scikit-learn's `TfidfVectorizer(sublinear_tf=True)` weights.
//!
//! With the analyzer's `target_context`, a text with a target also has weighted context terms
//! (see [`crate::text::AnalyzerParams::target_context`]). They form a second block of features,
//! numbered after the terms, kept by the same document-frequency bounds (not `max_features`):
//! each weighs `ln(1 + w)` for the sum `w` of its weights in the text, without IDF, and the
//! block is scaled to its own L2 norm [`CONTEXT_BLOCK_NORM`], so it neither drowns the n-grams
//! nor is drowned by them.
//!
//! With the analyzer's `encoder` norm, the last block is a contextual sentence encoder's vector
//! of the text ([`crate::text::encoder`]), scaled to that norm. The fitted vocabulary carries the
//! encoder, so a model scores with the very weights its training rows were computed with. The
//! encoder's vectors of the training texts are computed once ([`EncodedTexts`]) and shared by
//! every vocabulary candidate of a search.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::index::{CachedWord, TermIndex, WordCache, NONE};
use super::sparse::{CsrMatrix, SparseVec};
use crate::error::FeatureError;
use crate::text::encoder::{Encoder, EncoderScratch};
use crate::text::{
    categories, embeddings, for_each_char_gram, for_each_cue, is_caps, lower_into, segment,
    to_shares, Analyzer, Categories, CueToken, EmbeddingBlock, Scratch, Sink, Span, TermSource,
    TokenKind, CAPS_TERM, CATEGORY_TERM, EMBEDDING_DIM, INTENSIFIERS, INTENSIFIER_TERM,
    SECOND_PERSON, SENTIMENT_TERMS, YOU_TERM,
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

/// The L2 norm of a row's target-context block (the n-gram block has norm 1). Chosen by
/// cross-validation on NewsMTSC train (macro-F1 of the target sentiment head, 5 folds grouped
/// by article): 0.7 scored above 0.4, 0.5, 1.0 and 1.5.
pub const CONTEXT_BLOCK_NORM: f32 = 0.7;

/// The largest IDF a model file may hold. Fitted IDFs are below 50 for any corpus size (`ln`
/// of the number of documents, plus one); the bound keeps weighted counts, and so logits,
/// finite for any text.
pub const MAX_IDF: f32 = 1e6;

/// Terms of one chunk of documents: a local interner, each document's (local id, count), its
/// target-context terms' (local id, summed weight) and its embedding blocks' summed vectors.
struct ChunkTerms {
    terms: Vec<String>,
    docs: Vec<Vec<(u32, u32)>>,
    context: Vec<Vec<(u32, f32)>>,
    embedded: Vec<Vec<f32>>,
    /// The word categories' shares (empty without the category block).
    shares: Vec<Vec<f32>>,
}

/// Collects what the analyzer finds in one text while fitting: terms interned locally.
struct FitSink<'a> {
    interner: &'a mut FxHashMap<String, u32>,
    terms: &'a mut Vec<String>,
    ids: Vec<u32>,
    weighted: Vec<(u32, f32)>,
    embedded: Vec<f32>,
    shares: Vec<f32>,
}

impl Sink for FitSink<'_> {
    fn term(&mut self, term: &str, _: TermSource) {
        self.ids.push(intern(self.interner, self.terms, term));
    }

    fn context(&mut self, term: &str, weight: f32, _: TermSource) {
        let id = intern(self.interner, self.terms, term);
        self.weighted.push((id, weight));
    }

    fn piece(&mut self, block: EmbeddingBlock, piece: u32, _: TermSource) {
        add_piece(&mut self.embedded, block, piece);
    }

    fn category_shares(&mut self, shares: &[f32]) {
        self.shares.clear();
        self.shares.extend_from_slice(shares);
    }
}

/// Adds the vector of word piece `piece` to block `block` of a text's embedding sums.
#[inline]
fn add_piece(embedded: &mut [f32], block: EmbeddingBlock, piece: u32) {
    let at = block as usize * EMBEDDING_DIM;
    embeddings().add(piece, 1.0, &mut embedded[at..at + EMBEDDING_DIM]);
}

/// The id of `term` in a local interner, adding it if new.
fn intern(interner: &mut FxHashMap<String, u32>, terms: &mut Vec<String>, term: &str) -> u32 {
    match interner.get(term) {
        Some(&id) => id,
        None => {
            let id = terms.len() as u32;
            terms.push(term.to_string());
            interner.insert(term.to_string(), id);
            id
        }
    }
}

fn analyse_chunk(analyzer: &Analyzer, texts: &[(&str, Option<&str>)]) -> ChunkTerms {
    let mut interner: FxHashMap<String, u32> = FxHashMap::default();
    let mut terms = Vec::new();
    let mut scratch = Scratch::default();
    let n_embedded = analyzer.embedding_blocks().len() * EMBEDDING_DIM;
    let mut docs = Vec::with_capacity(texts.len());
    let mut context = Vec::with_capacity(texts.len());
    let mut embedded = Vec::with_capacity(texts.len());
    let mut shares = Vec::with_capacity(texts.len());
    let mut sink = FitSink {
        interner: &mut interner,
        terms: &mut terms,
        ids: Vec::new(),
        weighted: Vec::new(),
        embedded: Vec::new(),
        shares: Vec::new(),
    };
    for (text, target) in texts {
        sink.ids.clear();
        sink.weighted.clear();
        sink.embedded = vec![0.0; n_embedded];
        sink.shares.clear();
        analyzer.analyze(text, *target, &mut scratch, &mut sink);
        docs.push(count_ids(&mut sink.ids));
        context.push(sum_weights(&mut sink.weighted));
        embedded.push(std::mem::take(&mut sink.embedded));
        shares.push(std::mem::take(&mut sink.shares));
    }
    ChunkTerms {
        terms,
        docs,
        context,
        embedded,
        shares,
    }
}

/// Sorts (id, weight) pairs by id and adds up the weights of each id (in the order they came).
pub(crate) fn sum_weights(pairs: &mut [(u32, f32)]) -> Vec<(u32, f32)> {
    let mut out: Vec<(u32, f32)> = Vec::new();
    sum_weights_into(pairs, &mut out);
    out
}

/// [`sum_weights`] into `out` (cleared first).
fn sum_weights_into(pairs: &mut [(u32, f32)], out: &mut Vec<(u32, f32)>) {
    out.clear();
    pairs.sort_by_key(|&(id, _)| id);
    for &(id, w) in pairs.iter() {
        match out.last_mut() {
            Some((last, sum)) if *last == id => *sum += w,
            _ => out.push((id, w)),
        }
    }
}

/// `ln(1 + w)`: a target-context feature's weight for the sum `w` of its weights in a text.
#[inline]
fn context_weight(w: f32) -> f32 {
    w.ln_1p()
}

/// Sorts ids and returns (id, count) runs.
pub(crate) fn count_ids(ids: &mut [u32]) -> Vec<(u32, u32)> {
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
        self.fit_transform_encoded(analyzer, texts, None)
    }

    /// [`TfIdfValidParams::fit_transform_with_targets`] with the sentence encoder's vectors of
    /// the same texts, which the analyzer's `encoder` norm needs.
    ///
    /// # Errors
    /// Also [`FeatureError::NoEncoder`] when the analyzer asks for the encoder block and
    /// `encoded` is `None`, holds another number of texts, or (for `encoder_target`) was
    /// computed without the target vectors.
    pub fn fit_transform_encoded(
        &self,
        analyzer: &Analyzer,
        texts: &[(&str, Option<&str>)],
        encoded: Option<&EncodedTexts>,
    ) -> Result<(FittedTfIdf, CsrMatrix), FeatureError> {
        let encoder_norm = analyzer.config().params().encoder;
        let target_pool = analyzer.config().params().encoder_target;
        let encoded = match encoded {
            _ if encoder_norm <= 0.0 => None,
            Some(e) if e.len() == texts.len() && (e.with_target || !target_pool) => Some(e),
            _ => {
                return Err(FeatureError::NoEncoder {
                    norm: encoder_norm.to_string(),
                })
            }
        };
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
        // Whether a term is a target-context term (the analyzer's prefixes keep the two kinds
        // apart: no term is both).
        let mut is_context = vec![false; global_terms.len()];
        for (chunk, remap) in chunks.iter().zip(&remaps) {
            for doc in &chunk.docs {
                for &(local, count) in doc {
                    let g = remap[local as usize] as usize;
                    df[g] += 1;
                    total[g] += u64::from(count);
                }
            }
            for doc in &chunk.context {
                for &(local, _) in doc {
                    let g = remap[local as usize] as usize;
                    df[g] += 1;
                    is_context[g] = true;
                }
            }
        }

        let n_docs = texts.len();
        let min_df = self.0.min_df.resolve(n_docs);
        let max_df = self.0.max_df.resolve(n_docs);
        let in_bounds = |g: u32| {
            let d = f64::from(df[g as usize]);
            d >= min_df && d <= max_df
        };
        let mut kept: Vec<u32> = (0..global_terms.len() as u32)
            .filter(|&g| !is_context[g as usize] && in_bounds(g))
            .collect();
        let mut kept_context: Vec<u32> = (0..global_terms.len() as u32)
            .filter(|&g| is_context[g as usize] && in_bounds(g))
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
        // in cache. The context block follows, in the same order.
        let by_df = |&a: &u32, &b: &u32| {
            df[b as usize]
                .cmp(&df[a as usize])
                .then_with(|| global_terms[a as usize].cmp(global_terms[b as usize]))
        };
        kept.sort_by(by_df);
        kept_context.sort_by(by_df);
        let context_from = kept.len() as u32;
        kept.extend(kept_context);
        let embedding_from = kept.len() as u32;

        let mut feature_of = vec![u32::MAX; global_terms.len()];
        for (id, &g) in kept.iter().enumerate() {
            feature_of[g as usize] = id as u32;
        }
        let n = n_docs as f64;
        let idf: Vec<f32> = kept
            .iter()
            .map(|&g| {
                if is_context[g as usize] {
                    return 1.0;
                }
                let d = f64::from(df[g as usize]);
                let v = if self.0.smooth_idf {
                    ((1.0 + n) / (1.0 + d)).ln() + 1.0
                } else {
                    (n / d).ln() + 1.0
                };
                v as f32
            })
            .collect();
        let mut terms: Vec<String> = kept
            .iter()
            .map(|&g| global_terms[g as usize].to_string())
            .collect();
        // The embedding blocks' dimensions, named `⟨embedding⟩:0`... (no IDF).
        let mut idf = idf;
        for block in analyzer.embedding_blocks() {
            terms.extend((0..EMBEDDING_DIM).map(|d| format!("{}:{d}", block.term())));
            idf.extend(std::iter::repeat_n(1.0, EMBEDDING_DIM));
        }
        let lexicon_from = terms.len() as u32;
        let lexicon_norm = analyzer.config().params().lexicon;
        let lexicon = (lexicon_norm > 0.0).then(|| {
            let cats = categories();
            terms.extend((0..cats.len()).map(|c| format!("{CATEGORY_TERM}:{}", cats.name(c))));
            idf.extend(std::iter::repeat_n(1.0, cats.len()));
            let rows = chunks
                .iter()
                .flat_map(|c| &c.shares)
                .filter(|s| !s.is_empty());
            LexiconBlock::fit(lexicon_norm, rows.map(Vec::as_slice), cats.len())
        });
        let encoder_from = terms.len() as u32;
        let encoder = encoded.map(|e| {
            let width = e.width(target_pool);
            terms.extend((0..width).map(|d| format!("{ENCODER_TERM}:{d}")));
            idf.extend(std::iter::repeat_n(1.0, width));
            let (center, scale) = e.standardisation(encoder_norm, target_pool);
            EncoderBlock {
                encoder: Arc::clone(&e.encoder),
                norm: encoder_norm,
                target: target_pool,
                center,
                scale,
            }
        });
        let layout = Layout {
            context_from,
            embedding_from,
            embedding_norm: analyzer.config().params().embeddings,
            lexicon_from,
            encoder_from,
        };
        let fitted = FittedTfIdf::new(self.clone(), terms, idf, layout, lexicon, encoder);

        let mut matrix = CsrMatrix::new(fitted.n_features());
        matrix.pin_columns_from(fitted.pinned_from() as usize);
        matrix.set_encoder_from(encoder_from as usize);
        let mut row = SparseVec::default();
        let mut counts = Vec::new();
        let mut context = Vec::new();
        let mut text_index = 0;
        for (chunk, remap) in chunks.iter().zip(&remaps) {
            let docs = chunk.docs.iter().zip(&chunk.context).zip(&chunk.embedded);
            for (((doc, doc_context), embedded), shares) in docs.zip(&chunk.shares) {
                let vector = encoded.map_or(&[][..], |e| e.vector(text_index, target_pool));
                text_index += 1;
                counts.clear();
                counts.extend(doc.iter().filter_map(|&(local, count)| {
                    let f = feature_of[remap[local as usize] as usize];
                    (f != u32::MAX).then_some((f, count))
                }));
                counts.sort_unstable();
                context.clear();
                context.extend(doc_context.iter().filter_map(|&(local, w)| {
                    let f = feature_of[remap[local as usize] as usize];
                    (f != u32::MAX).then_some((f, w))
                }));
                context.sort_by_key(|&(f, _)| f);
                fitted.weigh(&counts, &context, embedded, shares, vector, &mut row);
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
    /// The terms, then the target-context terms, then the embedding dimensions.
    terms: Vec<String>,
    /// Per feature; 1 for the context and embedding blocks.
    idf: Vec<f32>,
    /// Where the blocks start.
    layout: Layout,
    index: TermIndex,
    /// Feature ids of the rhetoric cues ([`CAPS_TERM`], [`INTENSIFIER_TERM`], [`YOU_TERM`]).
    cue_ids: [u32; 3],
    /// Feature ids of the sentiment cues ([`SENTIMENT_TERMS`]).
    sentiment_ids: [u32; 4],
    /// The word-category block, if any.
    lexicon: Option<LexiconBlock>,
    /// The sentence encoder of the last block, if any.
    encoder: Option<EncoderBlock>,
}

/// The serialised form: the lookup index is rebuilt on load.
#[derive(Serialize, Deserialize)]
struct FittedTfIdfData {
    params: TfIdfValidParams,
    terms: Vec<String>,
    idf: Vec<f32>,
    layout: Layout,
    lexicon: Option<LexiconBlock>,
    encoder: Option<EncoderBlock>,
}

/// The word-category block of a vocabulary ([`crate::text::categories`]): each category's
/// share of a text's words, standardised over the training texts and scaled to `norm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LexiconBlock {
    norm: f32,
    /// Per category, the mean share over the training texts.
    center: Vec<f32>,
    /// Per category, `norm / (sd · √dim)` for the standard deviation `sd` over the training
    /// texts (0 for a category no training text has, or all have alike).
    scale: Vec<f32>,
}

/// How many standard deviations from the training mean a category value may lie: a short
/// paragraph scored by a model trained on articles can have shares far outside what training
/// saw, and one word would then outweigh every n-gram.
const MAX_CATEGORY_SDS: f32 = 10.0;

impl LexiconBlock {
    /// Fits the block to the shares of the training texts that have words (`dim` each).
    fn fit<'r>(norm: f32, rows: impl Iterator<Item = &'r [f32]> + Clone, dim: usize) -> Self {
        let (center, sd) = row_stats(rows, dim);
        let per_dim = f64::from(norm) / (dim as f64).sqrt();
        let scale = sd
            .iter()
            .map(|&sd| if sd > 0.0 { (per_dim / sd) as f32 } else { 0.0 })
            .collect();
        LexiconBlock {
            norm,
            center,
            scale,
        }
    }

    /// The largest magnitude of one value of the block.
    fn bound(&self) -> f32 {
        MAX_CATEGORY_SDS * self.norm / (self.center.len() as f32).sqrt()
    }
}

/// Name of the encoder block's dimensions (`⟨encoder⟩:0`...).
pub const ENCODER_TERM: &str = "\u{2}encoder";

/// The sentence encoder block of a vocabulary: the encoder and the L2 norm of its block.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EncoderBlock {
    encoder: Arc<Encoder>,
    norm: f32,
    /// Whether the block also holds the vector of the target's mentions (`2 · dim` values).
    target: bool,
    /// Per dimension, the mean over the training texts.
    center: Vec<f32>,
    /// Per dimension, `norm / (sd · √dim)` for the standard deviation over the training texts.
    scale: Vec<f32>,
}

/// A sentence encoder's vectors of a list of texts (unit norm; zeros for a text without word
/// pieces), computed once for every vocabulary fitted on those texts; optionally with the
/// vectors of each text's target mentions ([`Encoder::encode_with_target`]).
#[derive(Debug, Clone)]
pub struct EncodedTexts {
    encoder: Arc<Encoder>,
    /// Whether each text's vector is followed by its target mentions' vector.
    with_target: bool,
    /// `width(with_target)` values per text.
    vectors: Vec<f32>,
    /// Per value of a text, the mean and the standard deviation over the texts with a vector.
    mean: Vec<f32>,
    sd: Vec<f64>,
}

impl EncodedTexts {
    /// Encodes `texts` (each with its target, if any) on rayon's pool, in chunks, calling
    /// `progress(done)` after each; `with_target` adds the target mentions' vectors. The result
    /// does not depend on the number of threads.
    pub fn compute(
        encoder: Arc<Encoder>,
        texts: &[(&str, Option<&str>)],
        with_target: bool,
        progress: impl Fn(usize) + Sync,
    ) -> EncodedTexts {
        let width = encoder.width(with_target);
        let mut vectors = vec![0.0f32; texts.len() * width];
        let mut done = 0;
        for (chunk, out) in texts
            .chunks(ENCODE_CHUNK)
            .zip(vectors.chunks_mut(ENCODE_CHUNK * width))
        {
            chunk
                .par_iter()
                .zip(out.par_chunks_mut(width))
                .for_each_init(
                    || (EncoderScratch::default(), Vec::with_capacity(width)),
                    |(scratch, v), (&(text, target), out)| {
                        encoder.encode_record(text, target, with_target, scratch, v);
                        out.copy_from_slice(v);
                    },
                );
            done += chunk.len();
            progress(done);
        }
        let (mean, sd) = column_stats(&vectors, width);
        EncodedTexts {
            encoder,
            with_target,
            vectors,
            mean,
            sd,
        }
    }

    /// The number of texts.
    pub fn len(&self) -> usize {
        self.vectors.len() / self.width(self.with_target)
    }

    /// Whether there are no texts.
    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// The values of a block with or without the target mentions' vector.
    pub fn width(&self, target: bool) -> usize {
        self.encoder.width(target)
    }

    /// The vector of text `i`, followed with `target` by its target mentions' vector (which
    /// must have been computed).
    pub fn vector(&self, i: usize, target: bool) -> &[f32] {
        let stride = self.width(self.with_target);
        &self.vectors[i * stride..i * stride + self.width(target)]
    }

    /// Per value of a block (with or without the target mentions' vector), the mean over the
    /// texts with a vector, and the factor that scales the centred value to `norm / √width`
    /// standard deviations (so the block's mean squared norm is `norm²`). A sentence encoder's
    /// vectors share most of their direction: standardised, the dimensions that tell texts
    /// apart weigh as much as the rest.
    fn standardisation(&self, norm: f32, target: bool) -> (Vec<f32>, Vec<f32>) {
        let width = self.width(target);
        let per_dim = f64::from(norm) / (width as f64).sqrt();
        let scale = self.sd[..width]
            .iter()
            .map(|sd| (per_dim / sd.max(MIN_ENCODER_SD)) as f32)
            .collect();
        (self.mean[..width].to_vec(), scale)
    }
}

/// Per column of the `dim`-wide rows of `values`, the mean and the (population) standard
/// deviation over the rows that are not all zeros.
fn column_stats(values: &[f32], dim: usize) -> (Vec<f32>, Vec<f64>) {
    let rows = values
        .chunks_exact(dim)
        .filter(|v| v.iter().any(|&x| x != 0.0));
    row_stats(rows, dim)
}

/// Per column of `dim`-wide rows, the mean and the (population) standard deviation.
fn row_stats<'r>(
    rows: impl Iterator<Item = &'r [f32]> + Clone,
    dim: usize,
) -> (Vec<f32>, Vec<f64>) {
    let n = rows.clone().count().max(1) as f64;
    let mut mean = vec![0.0f64; dim];
    for v in rows.clone() {
        mean.iter_mut()
            .zip(v)
            .for_each(|(m, &x)| *m += f64::from(x));
    }
    mean.iter_mut().for_each(|m| *m /= n);
    let mut var = vec![0.0f64; dim];
    for v in rows {
        for ((s, &x), m) in var.iter_mut().zip(v).zip(&mean) {
            *s += (f64::from(x) - m).powi(2);
        }
    }
    let sd = var.iter().map(|s| (s / n).sqrt()).collect();
    (mean.into_iter().map(|m| m as f32).collect(), sd)
}

/// The smallest standard deviation an encoder dimension is divided by.
const MIN_ENCODER_SD: f64 = 1e-4;

/// Texts encoded between two progress reports.
const ENCODE_CHUNK: usize = 64;

/// Where a vocabulary's feature blocks start: the terms are `0..context_from`, the
/// target-context terms `context_from..embedding_from`, the embedding blocks' dimensions
/// (`EMBEDDING_DIM` per block) `embedding_from..lexicon_from`, the word categories
/// `lexicon_from..encoder_from`, the encoder block's dimensions the rest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Layout {
    context_from: u32,
    embedding_from: u32,
    /// The L2 norm of each embedding block of a row.
    embedding_norm: f32,
    lexicon_from: u32,
    encoder_from: u32,
}

impl From<FittedTfIdfData> for FittedTfIdf {
    fn from(d: FittedTfIdfData) -> Self {
        FittedTfIdf::new(d.params, d.terms, d.idf, d.layout, d.lexicon, d.encoder)
    }
}

impl From<FittedTfIdf> for FittedTfIdfData {
    fn from(f: FittedTfIdf) -> Self {
        FittedTfIdfData {
            params: f.params,
            terms: f.terms,
            idf: f.idf,
            layout: f.layout,
            lexicon: f.lexicon,
            encoder: f.encoder,
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
    /// Target-context terms of the last text: (feature, weight) per occurrence, then summed.
    context_pairs: Vec<(u32, f32)>,
    context: Vec<(u32, f32)>,
    /// Summed piece vectors of the last text's embedding blocks.
    embedded: Vec<f32>,
    /// The word categories' shares of the last text (empty without the category block).
    shares: Vec<f32>,
    /// The sentence encoder's buffers and its vector of the last text.
    encoder: EncoderScratch,
    encoded: Vec<f32>,
}

/// The features of one text before weighting, as [`FittedTfIdf::count_features`] gives them.
#[derive(Debug, Clone, Copy)]
pub struct FeatureCounts<'s> {
    /// (feature id, raw count) of the terms, in order of first occurrence.
    pub terms: &'s [(u32, u32)],
    /// (feature id, summed weight) of the target-context terms, by increasing id.
    pub context: &'s [(u32, f32)],
    /// The summed piece vectors of the embedding blocks, one after the other
    /// (`EMBEDDING_DIM` each; empty without embeddings).
    pub embedded: &'s [f32],
    /// The word categories' shares of the text (empty without the category block).
    pub shares: &'s [f32],
    /// The sentence encoder's vector of the text (empty without the encoder block).
    pub encoded: &'s [f32],
}

/// Collects what the analyzer finds in one text while transforming: terms looked up in the
/// vocabulary.
struct LookupSink<'a> {
    index: &'a TermIndex,
    features: &'a mut Vec<u32>,
    context: &'a mut Vec<(u32, f32)>,
    embedded: &'a mut Vec<f32>,
    shares: &'a mut Vec<f32>,
}

impl Sink for LookupSink<'_> {
    fn term(&mut self, term: &str, _: TermSource) {
        if let Some(f) = self.index.term(term) {
            self.features.push(f);
        }
    }

    fn context(&mut self, term: &str, weight: f32, _: TermSource) {
        if let Some(f) = self.index.term(term) {
            self.context.push((f, weight));
        }
    }

    fn piece(&mut self, block: EmbeddingBlock, piece: u32, _: TermSource) {
        add_piece(self.embedded, block, piece);
    }

    fn category_shares(&mut self, shares: &[f32]) {
        self.shares.clear();
        self.shares.extend_from_slice(shares);
    }
}

impl TransformScratch {
    /// The token spans of the last text transformed.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// The word categories' shares of the last text (empty without a word-category block).
    pub fn shares(&self) -> &[f32] {
        &self.shares
    }

    /// The sentence encoder's vector of the last text (empty without an encoder block).
    pub fn encoded(&self) -> &[f32] {
        &self.encoded
    }
}

impl FittedTfIdf {
    fn new(
        params: TfIdfValidParams,
        terms: Vec<String>,
        idf: Vec<f32>,
        layout: Layout,
        lexicon: Option<LexiconBlock>,
        encoder: Option<EncoderBlock>,
    ) -> Self {
        let index = TermIndex::new(terms.iter().map(String::as_str));
        let id = |t: &str| index.term(t).unwrap_or(NONE);
        let cue_ids = [CAPS_TERM, INTENSIFIER_TERM, YOU_TERM].map(id);
        let sentiment_ids = SENTIMENT_TERMS.map(id);
        FittedTfIdf {
            params,
            terms,
            idf,
            layout,
            index,
            cue_ids,
            sentiment_ids,
            lexicon,
            encoder,
        }
    }

    /// Whether feature `id` belongs to the target-context block.
    pub fn is_context(&self, id: u32) -> bool {
        (self.layout.context_from..self.layout.embedding_from).contains(&id)
    }

    /// The number of features in the target-context block.
    pub fn n_context(&self) -> usize {
        (self.layout.embedding_from - self.layout.context_from) as usize
    }

    /// The first feature of the blocks that per-head feature selection keeps whole (target
    /// context, embeddings, word categories and the encoder block).
    pub fn pinned_from(&self) -> u32 {
        self.layout.context_from
    }

    /// The embedding block and dimension of feature `id`, if it is one.
    pub fn embedding_dim(&self, id: u32) -> Option<(usize, usize)> {
        let at = id.checked_sub(self.layout.embedding_from)? as usize;
        (at < self.n_embedding_blocks() * EMBEDDING_DIM)
            .then_some((at / EMBEDDING_DIM, at % EMBEDDING_DIM))
    }

    /// The L2 norm of each embedding block of a row.
    pub fn embedding_norm(&self) -> f32 {
        self.layout.embedding_norm
    }

    /// The number of embedding blocks (0 without embeddings).
    pub fn n_embedding_blocks(&self) -> usize {
        (self.layout.lexicon_from - self.layout.embedding_from) as usize / EMBEDDING_DIM
    }

    /// The L2 norm of the word-category block (0 without one).
    pub fn lexicon_norm(&self) -> f32 {
        self.lexicon.as_ref().map_or(0.0, |b| b.norm)
    }

    /// Whether feature `id` is a dimension of the word-category block.
    pub fn is_category_dim(&self, id: u32) -> bool {
        (self.layout.lexicon_from..self.layout.encoder_from).contains(&id)
    }

    /// Whether feature `id` describes the whole text rather than words at places in it: a
    /// dimension of the word-category block or of the encoder block.
    pub fn is_whole_text_dim(&self, id: u32) -> bool {
        self.is_category_dim(id) || self.is_encoder_dim(id)
    }

    /// Calls `f(feature, value)` for every dimension of the word-category block of a row
    /// whose category shares are `shares`: each standardised by the training texts' mean and
    /// standard deviation, times `norm / √dim`, within [`MAX_CATEGORY_SDS`] standard deviations
    /// (a text without words, whose `shares` are empty, has no block).
    pub fn for_each_category_value(&self, shares: &[f32], mut f: impl FnMut(u32, f32)) {
        let Some(b) = self.lexicon.as_ref().filter(|_| !shares.is_empty()) else {
            return;
        };
        let bound = b.bound();
        let values = shares.iter().zip(&b.center).zip(&b.scale);
        for (d, ((&v, &c), &s)) in values.enumerate() {
            if s != 0.0 {
                f(
                    self.layout.lexicon_from + d as u32,
                    ((v - c) * s).clamp(-bound, bound),
                );
            }
        }
    }

    /// The sentence encoder of the encoder block, if the vocabulary has one.
    pub fn encoder(&self) -> Option<&Arc<Encoder>> {
        self.encoder.as_ref().map(|b| &b.encoder)
    }

    /// The L2 norm of the encoder block (0 without one).
    pub fn encoder_norm(&self) -> f32 {
        self.encoder.as_ref().map_or(0.0, |b| b.norm)
    }

    /// Whether the encoder block also holds the target mentions' vector.
    pub fn encoder_target(&self) -> bool {
        self.encoder.as_ref().is_some_and(|b| b.target)
    }

    /// Whether feature `id` is a dimension of the encoder block.
    pub fn is_encoder_dim(&self, id: u32) -> bool {
        self.encoder.is_some() && id >= self.layout.encoder_from
    }

    /// The sentence encoder's vector of `text` (and, for a block with target pooling, of its
    /// mentions of `target`) into `out` (empty without the encoder block).
    fn encode(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut EncoderScratch,
        out: &mut Vec<f32>,
    ) {
        match &self.encoder {
            Some(b) => b
                .encoder
                .encode_record(text, target, b.target, scratch, out),
            None => out.clear(),
        }
    }

    /// Calls `f(feature, value)` for every dimension of the encoder block of a row whose
    /// encoder vector is `encoded`: each dimension standardised by the training texts' mean and
    /// standard deviation, times `norm / √dim` (a text without word pieces has no block).
    pub fn for_each_encoder_value(&self, encoded: &[f32], mut f: impl FnMut(u32, f32)) {
        let Some(b) = &self.encoder else { return };
        if encoded.iter().all(|&v| v == 0.0) {
            return;
        }
        let values = encoded.iter().zip(&b.center).zip(&b.scale);
        for (d, ((&v, &c), &s)) in values.enumerate() {
            f(self.layout.encoder_from + d as u32, (v - c) * s);
        }
    }

    /// The feature of dimension `d` of embedding block `b`.
    pub fn embedding_feature(&self, b: usize, d: usize) -> u32 {
        debug_assert!(b < self.n_embedding_blocks() && d < EMBEDDING_DIM);
        self.layout.embedding_from + (b * EMBEDDING_DIM + d) as u32
    }

    /// Per embedding block of a row whose summed piece vectors are `embedded`, the factor that
    /// scales the block's sum to the embedding norm (0 for a block without pieces).
    pub fn embedding_scales<'a>(&self, embedded: &'a [f32]) -> impl Iterator<Item = f32> + 'a {
        let target = f64::from(self.layout.embedding_norm);
        embedded.chunks_exact(EMBEDDING_DIM).map(move |block| {
            let norm = block
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum::<f64>()
                .sqrt();
            if norm > 0.0 {
                (target / norm) as f32
            } else {
                0.0
            }
        })
    }

    /// Calls `f(feature, value)` for every dimension of the embedding blocks of a row whose
    /// summed piece vectors are `embedded`: each block scaled to the embedding norm (a block
    /// without pieces stays empty).
    pub fn for_each_embedding_value(&self, embedded: &[f32], mut f: impl FnMut(u32, f32)) {
        let blocks = embedded.chunks_exact(EMBEDDING_DIM);
        for (b, (block, scale)) in blocks.zip(self.embedding_scales(embedded)).enumerate() {
            for (d, &v) in block.iter().enumerate() {
                if v != 0.0 && scale > 0.0 {
                    f(self.embedding_feature(b, d), v * scale);
                }
            }
        }
    }

    /// Calls `f(feature, value)` for every target-context feature of a row whose summed
    /// weights are `context` (sorted by feature): `ln(1 + w)`, the block scaled to
    /// [`CONTEXT_BLOCK_NORM`].
    pub fn for_each_context_value(&self, context: &[(u32, f32)], mut f: impl FnMut(u32, f32)) {
        let norm = context
            .iter()
            .map(|&(_, w)| f64::from(context_weight(w)).powi(2))
            .sum::<f64>()
            .sqrt();
        if norm <= 0.0 {
            return;
        }
        let scale = (f64::from(CONTEXT_BLOCK_NORM) / norm) as f32;
        for &(id, w) in context {
            f(id, context_weight(w) * scale);
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
            && self.layout.context_from <= self.layout.embedding_from
            && self.layout.embedding_from <= self.layout.lexicon_from
            && self.layout.lexicon_from <= self.layout.encoder_from
            && self.layout.encoder_from as usize <= self.terms.len()
            && (self.layout.lexicon_from - self.layout.embedding_from)
                .is_multiple_of(EMBEDDING_DIM as u32)
            && match &self.lexicon {
                None => self.layout.lexicon_from == self.layout.encoder_from,
                Some(b) => {
                    let width = categories().len();
                    (self.layout.encoder_from - self.layout.lexicon_from) as usize == width
                        && b.norm > 0.0
                        && b.norm <= crate::text::MAX_EMBEDDING_NORM
                        && b.center.len() == width
                        && b.scale.len() == width
                        && b.center.iter().chain(&b.scale).all(|x| x.is_finite())
                }
            }
            && match &self.encoder {
                None => self.layout.encoder_from as usize == self.terms.len(),
                Some(b) => {
                    let width = b.encoder.width(b.target);
                    self.terms.len() - self.layout.encoder_from as usize == width
                        && b.norm > 0.0
                        && b.norm <= crate::text::MAX_EMBEDDING_NORM
                        && b.center.len() == width
                        && b.scale.len() == width
                        && b.center.iter().chain(&b.scale).all(|x| x.is_finite())
                        && b.encoder.is_consistent()
                }
            }
            && (0.0..=crate::text::MAX_EMBEDDING_NORM).contains(&self.layout.embedding_norm)
            && self.idf.iter().all(|v| *v > 0.0 && *v <= MAX_IDF)
    }

    /// Weighs sorted (feature id, raw count) pairs of terms and sorted (feature id, summed
    /// weight) pairs of target-context terms into a row: the terms' block with unit norm, the
    /// context block with norm [`CONTEXT_BLOCK_NORM`], then the embedding, word-category and
    /// encoder blocks.
    pub(crate) fn weigh(
        &self,
        counts: &[(u32, u32)],
        context: &[(u32, f32)],
        embedded: &[f32],
        shares: &[f32],
        encoded: &[f32],
        out: &mut SparseVec,
    ) {
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
        let mut push = |id, v| {
            out.indices.push(id);
            out.values.push(v);
        };
        self.for_each_context_value(context, &mut push);
        self.for_each_embedding_value(embedded, &mut push);
        self.for_each_category_value(shares, &mut push);
        self.for_each_encoder_value(encoded, &mut push);
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
        self.transform_one_with_target(analyzer, text, None, scratch, out);
    }

    /// [`FittedTfIdf::transform_one`] for a text whose stance is toward `target`.
    pub fn transform_one_with_target(
        &self,
        analyzer: &Analyzer,
        text: &str,
        target: Option<&str>,
        scratch: &mut TransformScratch,
        out: &mut SparseVec,
    ) {
        self.count_features(analyzer, text, target, scratch);
        scratch.counts.sort_unstable();
        self.weigh(
            &scratch.counts,
            &scratch.context,
            &scratch.embedded,
            &scratch.shares,
            &scratch.encoded,
            out,
        );
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
    ) -> FeatureCounts<'s> {
        scratch.context.clear();
        scratch.embedded.clear();
        scratch.shares.clear();
        self.encode(text, target, &mut scratch.encoder, &mut scratch.encoded);
        let n_embedded = self.n_embedding_blocks() * EMBEDDING_DIM;
        scratch.embedded.resize(n_embedded, 0.0);
        if target.is_some() && analyzer.uses_target() {
            // Target mentions change the terms: take the analyzer's own (string) path.
            scratch.features.clear();
            scratch.context_pairs.clear();
            let mut sink = LookupSink {
                index: &self.index,
                features: &mut scratch.features,
                context: &mut scratch.context_pairs,
                embedded: &mut scratch.embedded,
                shares: &mut scratch.shares,
            };
            analyzer.analyze(text, target, &mut scratch.text, &mut sink);
            count_unsorted(&scratch.features, &mut scratch.table, &mut scratch.counts);
            sum_weights_into(&mut scratch.context_pairs, &mut scratch.context);
            return FeatureCounts {
                terms: &scratch.counts,
                context: &scratch.context,
                embedded: &scratch.embedded,
                shares: &scratch.shares,
                encoded: &scratch.encoded,
            };
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
            context_pairs: _,
            context,
            embedded,
            shares,
            encoder: _,
            encoded,
        } = scratch;
        let params = analyzer.config().params();
        segment(text, spans);
        tokens.clear();
        features.clear();
        cues.clear();
        for span in spans.iter() {
            let surface = &text[span.start..span.end];
            let word = cache.get_or_insert(&self.index, surface, |pieces| {
                if n_embedded > 0 {
                    embeddings().for_each_piece(surface, norm, term, |p| pieces.push(p));
                }
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
                    ..CachedWord::default()
                }
            });
            tokens.push(word.token);
            if params.sentiment {
                cues.push(word.cue);
            }
            if n_embedded > 0 {
                for &p in cache.pieces(&word) {
                    add_piece(embedded, EmbeddingBlock::Text, p);
                }
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
            for_each_cue(cues, |_, bin, _| {
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
        // Character n-grams and word categories read each word lowercased: one pass for both.
        let char_range = params.char_ngrams.filter(|_| self.index.has_char_grams());
        let cats = self.lexicon.as_ref().map(|_| categories());
        if char_range.is_some() || cats.is_some() {
            shares.resize(cats.map_or(0, Categories::len), 0.0);
            let mut n_words = 0;
            for span in spans.iter().filter(|s| s.kind == TokenKind::Word) {
                norm.clear();
                lower_into(&text[span.start..span.end], TokenKind::Word, norm);
                n_words += 1;
                if let Some(range) = char_range {
                    for_each_char_gram(norm, range, chars, term, |t| {
                        let f = self.index.char_gram(t);
                        if f != NONE {
                            features.push(f);
                        }
                    });
                }
                if let Some(cats) = cats {
                    cats.count(norm, shares);
                }
            }
            if cats.is_some() {
                to_shares(shares, n_words);
            }
        }
        count_unsorted(features, table, counts);
        FeatureCounts {
            terms: counts,
            context,
            embedded,
            shares,
            encoded,
        }
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

    /// Target-context terms get ids after the terms, weigh `ln(1 + w)` without IDF, and their
    /// block has norm [`CONTEXT_BLOCK_NORM`] beside the terms' unit norm.
    /// Fits a unigram vocabulary with `settings` (target mask on) on texts toward "Jones".
    fn fit_toward_jones(settings: AnalyzerParams, texts: &[&str]) -> (FittedTfIdf, CsrMatrix) {
        let analyzer = AnalyzerParams {
            word_ngrams: (1, 1),
            target_mask: true,
            ..settings
        }
        .check()
        .unwrap()
        .build();
        let texts: Vec<(&str, Option<&str>)> = texts.iter().map(|t| (*t, Some("Jones"))).collect();
        params(DocFreq::Count(1))
            .fit_transform_with_targets(&analyzer, &texts)
            .unwrap()
    }

    #[test]
    fn target_context_is_a_block_of_its_own() {
        let settings = AnalyzerParams {
            language: Language::None,
            target_context: true,
            ..AnalyzerParams::default()
        };
        let texts = [
            "Smith met Jones in town",
            "Jones met voters",
            "no mention here",
        ];
        let (tfidf, x) = fit_toward_jones(settings, &texts);
        let n = tfidf.n_features();
        let context: Vec<&str> = (0..n as u32)
            .filter(|&f| tfidf.is_context(f))
            .map(|f| tfidf.term(f))
            .collect();
        // The vocabulary's tail; by decreasing document frequency, then term.
        assert_eq!(
            context,
            [
                "\u{2}near-left:met",
                "\u{2}near-left:smith",
                "\u{2}near-right:in",
                "\u{2}near-right:met",
                "\u{2}near-right:town",
                "\u{2}near-right:voters",
            ]
        );
        assert_eq!(tfidf.n_context(), 6);
        assert!((0..(n - 6) as u32).all(|f| !tfidf.is_context(f)));
        assert_eq!(x.pinned_from(), n - 6);
        // Row 0: "smith" (d = 2), "met" (1) on the left; "in" (1), "town" (2) on the right.
        let (ids, vals) = x.row(0);
        let block = |context: bool| -> Vec<(u32, f32)> {
            ids.iter()
                .zip(vals)
                .filter(|(&f, _)| tfidf.is_context(f) == context)
                .map(|(&f, &v)| (f, v))
                .collect()
        };
        let norm = |b: &[(u32, f32)]| b.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
        assert_abs_diff_eq!(norm(&block(false)), 1.0, epsilon = 1e-6);
        assert_abs_diff_eq!(norm(&block(true)), CONTEXT_BLOCK_NORM, epsilon = 1e-6);
        let value = |term: &str| {
            let f = tfidf.id(term).unwrap();
            block(true).iter().find(|(g, _)| *g == f).unwrap().1
        };
        assert_abs_diff_eq!(
            value("\u{2}near-right:town") / value("\u{2}near-right:in"),
            0.5f32.ln_1p() / 1.0f32.ln_1p(),
            epsilon = 1e-6
        );
        // No mention: no context block.
        assert!(x.row(2).0.iter().all(|&f| !tfidf.is_context(f)));
    }

    /// Embeddings add one block of `EMBEDDING_DIM` features per embedding block after every
    /// other feature, each scaled to the embedding norm; the side blocks only near a mention.
    #[test]
    fn embedding_blocks_have_the_embedding_norm() {
        let settings = AnalyzerParams {
            embeddings: 0.5,
            ..AnalyzerParams::default()
        };
        let (tfidf, x) =
            fit_toward_jones(settings, &["Smith met Jones in town", "no mention here"]);
        assert_eq!(tfidf.n_embedding_blocks(), 3);
        let n = tfidf.n_features();
        assert_eq!(
            tfidf.term((n - 3 * EMBEDDING_DIM) as u32),
            "\u{2}embedding:0"
        );
        assert_eq!(tfidf.term((n - 1) as u32), "\u{2}right-embedding:127");
        assert_eq!(
            x.pinned_from(),
            n - 3 * EMBEDDING_DIM,
            "no context block here"
        );
        // (row, blocks present)
        for (row, present) in [(0, [true, true, true]), (1, [true, false, false])] {
            let (ids, vals) = x.row(row);
            for (b, want) in present.into_iter().enumerate() {
                let norm = ids
                    .iter()
                    .zip(vals)
                    .filter(|(&f, _)| tfidf.embedding_dim(f).is_some_and(|(fb, _)| fb == b))
                    .map(|(_, v)| v * v)
                    .sum::<f32>()
                    .sqrt();
                let expected = if want { 0.5 } else { 0.0 };
                assert_abs_diff_eq!(norm, expected, epsilon = 1e-5);
            }
        }
    }

    /// The tiny encoder of the tests, and an analyzer with its block (`norm`, target pooling
    /// or not) beside word n-grams kept from one occurrence.
    fn tiny_encoder_setup(norm: f32, target: bool) -> (Arc<Encoder>, Analyzer, TfIdfValidParams) {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder-tiny");
        let analyzer = AnalyzerParams {
            encoder: norm,
            encoder_target: target,
            ..AnalyzerParams::default()
        }
        .check()
        .unwrap()
        .build();
        let params = TfIdfParams {
            min_df: DocFreq::Count(1),
            ..TfIdfParams::default()
        }
        .check()
        .unwrap();
        (Arc::new(Encoder::from_dir(&dir).unwrap()), analyzer, params)
    }

    /// Weighing each record again, as scoring does (running the encoder), gives its row of `x`.
    fn assert_served_as_fitted(
        tfidf: &FittedTfIdf,
        analyzer: &Analyzer,
        records: &[(&str, Option<&str>)],
        x: &CsrMatrix,
    ) {
        let mut scratch = TransformScratch::default();
        let mut row = SparseVec::default();
        for (i, &(text, target)) in records.iter().enumerate() {
            tfidf.transform_one_with_target(analyzer, text, target, &mut scratch, &mut row);
            let (ids, vals) = x.row(i);
            assert_eq!(row.indices, ids, "{text} / {target:?}");
            for (a, b) in row.values.iter().zip(vals) {
                assert_abs_diff_eq!(*a, *b, epsilon = 1e-6);
            }
        }
    }

    /// The encoder block closes the vocabulary and is marked on the matrix; over the training
    /// rows each of its dimensions has mean 0 and the block's mean squared norm is the norm's
    /// square; a text without word pieces has no block; and weighing a training text again
    /// (as scoring does, running the encoder) gives its training row.
    #[test]
    fn encoder_block_is_standardised_and_served_as_fitted() {
        let norm = 1.5f32;
        let (encoder, analyzer, params) = tiny_encoder_setup(norm, false);
        let texts = [
            "The council approved the congestion charge",
            "Critics slammed the unaffordable housing plan!",
            "Buses will run every ten minutes",
            "   ",
            "The charge starts in May, the council said.",
        ];
        let with_targets: Vec<(&str, Option<&str>)> = texts.iter().map(|t| (*t, None)).collect();
        let encoded = EncodedTexts::compute(Arc::clone(&encoder), &with_targets, false, |_| {});
        assert_eq!((encoded.len(), encoded.width(false)), (5, 8));
        assert!(matches!(
            params.fit_transform_with_targets(&analyzer, &with_targets),
            Err(FeatureError::NoEncoder { .. })
        ));
        let (tfidf, x) = params
            .fit_transform_encoded(&analyzer, &with_targets, Some(&encoded))
            .unwrap();
        let n = tfidf.n_features();
        assert_eq!(x.encoder_from(), n - 8);
        assert_eq!(tfidf.term((n - 8) as u32), "\u{2}encoder:0");
        assert_eq!(tfidf.encoder_norm(), norm);
        let block = |row: usize| -> Vec<f32> {
            let (ids, vals) = x.row(row);
            let mut v = vec![0.0; 8];
            for (&f, &val) in ids.iter().zip(vals) {
                if tfidf.is_encoder_dim(f) {
                    v[f as usize - (n - 8)] = val;
                }
            }
            v
        };
        assert_eq!(block(3), vec![0.0; 8], "no piece, no block");
        let with_block = [0, 1, 2, 4];
        for d in 0..8 {
            let mean = with_block.iter().map(|&r| block(r)[d]).sum::<f32>() / 4.0;
            assert_abs_diff_eq!(mean, 0.0, epsilon = 1e-5);
        }
        let mean_square = with_block
            .iter()
            .map(|&r| block(r).iter().map(|v| v * v).sum::<f32>())
            .sum::<f32>()
            / 4.0;
        assert_abs_diff_eq!(mean_square, norm * norm, epsilon = 1e-3);
        assert_served_as_fitted(&tfidf, &analyzer, &with_targets, &x);
    }

    /// The word-category block sits between the embedding and encoder blocks, one feature per
    /// category; over the training rows each category that varies has mean 0, and the block's
    /// mean squared norm is the norm's square (a category constant over training has no
    /// feature value); a text without words has no block; values far outside training are
    /// bounded; and scoring a training text again gives its training row.
    #[test]
    fn category_block_is_standardised_and_served_as_fitted() {
        let norm = 0.5f32;
        let analyzer = AnalyzerParams {
            lexicon: norm,
            ..AnalyzerParams::default()
        }
        .check()
        .unwrap()
        .build();
        let texts = [
            "The thief was seen on Monday near the old station with a bag",
            "The economy, the budget and the bank: money everywhere",
            "The doctor saw the patient at the hospital",
            "?! 42",
            "The family dinner: children, parents and a dog",
        ];
        let (tfidf, x) = params(DocFreq::Count(1))
            .fit_transform(&analyzer, &texts)
            .unwrap();
        let cats = categories();
        let dim = cats.len();
        let from = tfidf.n_features() - dim;
        assert_eq!(tfidf.lexicon_norm(), norm);
        assert_eq!(x.pinned_from(), tfidf.pinned_from() as usize);
        assert!(
            tfidf.pinned_from() as usize <= from,
            "selection keeps the block whole"
        );
        assert_eq!(
            x.encoder_from(),
            tfidf.n_features(),
            "not part of an encoder block"
        );
        assert_eq!(tfidf.term(from as u32), "\u{2}category:achievement");
        assert!((from..tfidf.n_features()).all(|f| tfidf.is_category_dim(f as u32)));
        assert!(!tfidf.is_category_dim(from as u32 - 1));
        let block = |row: usize| -> Vec<f32> {
            let (ids, vals) = x.row(row);
            let mut v = vec![0.0; dim];
            for (&f, &val) in ids.iter().zip(vals) {
                if tfidf.is_category_dim(f) {
                    v[f as usize - from] = val;
                }
            }
            v
        };
        assert_eq!(block(3), vec![0.0; dim], "no word, no block");
        let with_block = [0, 1, 2, 4];
        for d in 0..dim {
            let mean = with_block.iter().map(|&r| block(r)[d]).sum::<f32>() / 4.0;
            assert_abs_diff_eq!(mean, 0.0, epsilon = 1e-5);
        }
        let crime = (0..dim).find(|&d| cats.name(d) == "crime").unwrap();
        assert!(
            block(0)[crime] > 0.0 && block(1)[crime] < 0.0,
            "the crime text stands out"
        );
        // Every varying category's values have mean square (norm²/dim); the others are 0.
        let varying = (0..dim)
            .filter(|&d| with_block.iter().any(|&r| block(r)[d] != 0.0))
            .count();
        let mean_square = with_block
            .iter()
            .map(|&r| block(r).iter().map(|v| v * v).sum::<f32>())
            .sum::<f32>()
            / 4.0;
        assert_abs_diff_eq!(
            mean_square,
            norm * norm * varying as f32 / dim as f32,
            epsilon = 1e-3
        );
        let records: Vec<(&str, Option<&str>)> = texts.iter().map(|t| (*t, None)).collect();
        assert_served_as_fitted(&tfidf, &analyzer, &records, &x);
        // One crime word alone: far outside training, bounded to MAX_CATEGORY_SDS.
        let mut scratch = TransformScratch::default();
        let mut row = SparseVec::default();
        tfidf.transform_one(&analyzer, "prison", &mut scratch, &mut row);
        let bound = MAX_CATEGORY_SDS * norm / (dim as f32).sqrt();
        let values: Vec<f32> = row
            .iter()
            .filter(|&(f, _)| tfidf.is_category_dim(f))
            .map(|(_, v)| v)
            .collect();
        assert!(values.iter().all(|v| v.abs() <= bound + 1e-6));
        assert!(
            values.iter().any(|v| (v - bound).abs() < 1e-6),
            "{values:?}"
        );
    }

    /// With `encoder_target` the block holds the text vector and the target mentions' vector
    /// (twice the encoder's width); it needs vectors computed with targets; scoring a record
    /// again with its target gives its training row, and with another target another row.
    #[test]
    fn encoder_target_block_is_served_as_fitted() {
        let (encoder, analyzer, params) = tiny_encoder_setup(1.0, true);
        let records = [
            (
                "Smith praised the plan, but Jones attacked Smith.",
                Some("Smith"),
            ),
            (
                "Smith praised the plan, but Jones attacked Smith.",
                Some("Jones"),
            ),
            (
                "Critics slammed Mayor Jones for the plan.",
                Some("Mayor Jones"),
            ),
            ("The council approved the plan.", None),
        ];
        let plain = EncodedTexts::compute(Arc::clone(&encoder), &records, false, |_| {});
        assert!(matches!(
            params.fit_transform_encoded(&analyzer, &records, Some(&plain)),
            Err(FeatureError::NoEncoder { .. })
        ));
        let encoded = EncodedTexts::compute(Arc::clone(&encoder), &records, true, |_| {});
        assert_eq!((encoded.len(), encoded.width(true)), (4, 16));
        assert_eq!(encoded.vector(0, false), plain.vector(0, false));
        let (tfidf, x) = params
            .fit_transform_encoded(&analyzer, &records, Some(&encoded))
            .unwrap();
        assert_eq!(x.encoder_from(), tfidf.n_features() - 16);
        assert!(tfidf.encoder_target());
        assert_served_as_fitted(&tfidf, &analyzer, &records, &x);
        // The same sentence about two people: the same text half, other mention halves.
        let (_, smith) = x.row(0);
        let (_, jones) = x.row(1);
        let n = smith.len();
        assert_eq!(smith[n - 16..n - 8], jones[n - 16..n - 8]);
        assert_ne!(smith[n - 8..], jones[n - 8..]);
    }

    /// The fast path (token ids, word cache) gives exactly the rows of the plain path (every
    /// term of the analyzer looked up by string), for word 1–3 grams with and without
    /// character n-grams, rhetoric and sentiment cues, and embeddings.
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
        for (char_ngrams, rhetoric, sentiment, embeddings, lexicon) in [
            (None, false, false, 0.0, 0.0),
            (Some((2, 4)), false, false, 0.0, 0.0),
            (None, true, false, 0.0, 0.0),
            (None, false, true, 0.0, 0.0),
            (None, false, false, 0.5, 0.0),
            (None, false, false, 0.0, 0.5),
            (Some((2, 4)), true, true, 1.0, 0.25),
        ] {
            let analyzer = AnalyzerParams {
                language: Language::English,
                word_ngrams: (1, 3),
                char_ngrams,
                rhetoric,
                sentiment,
                embeddings,
                lexicon,
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
                let mut embedded = vec![0.0; tfidf.n_embedding_blocks() * EMBEDDING_DIM];
                let mut shares = Vec::new();
                let mut sink = LookupSink {
                    index: &tfidf.index,
                    features: &mut ids,
                    context: &mut Vec::new(),
                    embedded: &mut embedded,
                    shares: &mut shares,
                };
                analyzer.analyze(text, None, &mut text_scratch, &mut sink);
                let mut slow = SparseVec::default();
                tfidf.weigh(
                    &count_ids(&mut ids),
                    &[],
                    &embedded,
                    &shares,
                    &[],
                    &mut slow,
                );
                assert_eq!(
                    fast, slow,
                    "{text:?} with char n-grams {char_ngrams:?}, embeddings {embeddings}, \
                     lexicon {lexicon}"
                );
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
