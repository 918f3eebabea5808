//! Classifier heads and the fitted model.
//!
//! A [`Model`] is an analyzer configuration, a fitted TF-IDF, one [`Head`] per task and the
//! training metadata. Each head holds [`SparseLinear`] models whose weights were copied out of
//! fitted linfa models. When a model is built (trained or loaded), the weights of every head are
//! gathered into one inverted index, feature → (output, weight), so that scoring a paragraph is
//! one pass over its non-zero TF-IDF values for all heads at once.

mod calibrate;
mod dcd;
mod estimator;
mod explain;
mod file;
mod linear;
mod select;
mod train;

pub use calibrate::{reliability, BinSums, Platt, ReliabilityBin};
pub use dcd::{DcdError, DcdLogisticParams, DcdLogisticValidParams, FittedDcdLogistic, SparseRows};
pub use estimator::Estimator;
pub use explain::{Evidence, ExplainScratch, LabelEvidence};
pub use file::{MODEL_FORMAT_VERSION, MODEL_MAGIC};
pub use linear::{apply_link, sigmoid, Link, SparseLinear, ABSENT_CLASS_LOGIT, MAX_PARAMETER};
pub use select::{chi2, top_k};
pub use train::{
    best_threshold, describe_vocabulary, repeat_seed, train, tune_thresholds, ClassWeight,
    DataFileInfo, EncoderChoice, FinalModel, HeadMeta, HeadSettings, SearchGrid, SearchPoint,
    SelectMetric, TrainParams, TrainReport, TrainingMeta, ValidTrainParams, VocabularyPoint,
    AUTO_REPEAT_ROWS, MAX_AUTO_REPEATS, SEARCH_C_GRID,
};

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::corpus::TaskKind;
use crate::features::{FeatureCounts, FittedTfIdf, SparseVec, TransformScratch};
use crate::text::{Analyzer, AnalyzerConfig};

/// The models of one head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HeadBody {
    /// A single-label task: one model over all labels, plus one per stance target that had
    /// enough training data.
    Single {
        /// Model used when the record has no target, or one without its own model.
        general: SparseLinear,
        /// (normalised target, model), sorted by target.
        per_target: Vec<(String, SparseLinear)>,
    },
    /// A multi-label task: one binary model per label and its decision threshold.
    Multi {
        /// One single-output model per label, in label order.
        models: Vec<SparseLinear>,
        /// Probability at or above which the label is predicted, per label.
        thresholds: Vec<f32>,
    },
}

/// The classifier of one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Task name.
    pub task: String,
    /// Label names, sorted.
    pub labels: Vec<String>,
    /// The fitted models.
    pub body: HeadBody,
    /// Per label, the map of its logit fitted out of fold so that scores are calibrated
    /// probabilities (applied before the link).
    pub calibration: Vec<Platt>,
    /// Single-label heads: per label, an offset added to the log-probability before the
    /// argmax. For two labels it is a decision threshold tuned out of fold for the selection
    /// measure (macro-F1 favours the rarer label more than the plain argmax does); with more
    /// labels the offsets are zero. The probabilities themselves are not changed. Empty for
    /// multi-label heads (their thresholds decide).
    pub offsets: Vec<f32>,
    /// Single-label heads with three or more labels: per label, the map of the predicted
    /// label's probability when that label is predicted (top-label calibration, fitted on
    /// nested cross-validation predictions; see [`calibrate::fit_top_label`]). Empty: none.
    pub top_label: Vec<Platt>,
}

impl Head {
    /// Single- or multi-label.
    pub fn kind(&self) -> TaskKind {
        match self.body {
            HeadBody::Single { .. } => TaskKind::Single,
            HeadBody::Multi { .. } => TaskKind::Multi,
        }
    }

    fn is_consistent(&self, n_features: usize) -> bool {
        let n = self.labels.len();
        if self.calibration.len() != n
            || self
                .calibration
                .iter()
                .any(|c| !(linear::within_limit(c.a) && linear::within_limit(c.b)))
            || !self.offsets.iter().all(|o| linear::within_limit(*o))
        {
            return false;
        }
        let offsets_ok = match self.body {
            HeadBody::Single { .. } => self.offsets.len() == n,
            HeadBody::Multi { .. } => self.offsets.is_empty(),
        };
        if !offsets_ok {
            return false;
        }
        let top_label_ok = self.top_label.is_empty()
            || (matches!(self.body, HeadBody::Single { .. })
                && self.top_label.len() == n
                && self.offsets.iter().all(|&o| o == 0.0)
                && self
                    .top_label
                    .iter()
                    .all(|c| linear::within_limit(c.a) && linear::within_limit(c.b)));
        if !top_label_ok {
            return false;
        }
        match &self.body {
            HeadBody::Single {
                general,
                per_target,
            } => std::iter::once(general)
                .chain(per_target.iter().map(|(_, m)| m))
                .all(|m| {
                    m.n_outputs() == n && m.link != Link::Sigmoid && m.is_consistent(n_features)
                }),
            HeadBody::Multi { models, thresholds } => {
                models.len() == n
                    && thresholds.len() == n
                    && thresholds.iter().all(|t| (0.0..=1.0).contains(t))
                    && models.iter().all(|m| {
                        m.n_outputs() == 1 && m.link == Link::Sigmoid && m.is_consistent(n_features)
                    })
            }
        }
    }
}

/// Normal form of a stance target for lookups: trimmed and lowercased.
pub fn normalize_target(target: &str) -> String {
    target.trim().to_lowercase()
}

/// Everything a model file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelData {
    /// Text-stage settings.
    pub analyzer: AnalyzerConfig,
    /// Vocabulary and IDF.
    pub tfidf: FittedTfIdf,
    /// One head per task.
    pub heads: Vec<Head>,
    /// How the model was trained.
    pub meta: TrainingMeta,
}

/// Where one linear model's outputs sit in the scoring index.
#[derive(Debug, Clone)]
struct Slots {
    first: usize,
    link: Link,
}

#[derive(Debug, Clone)]
struct HeadSlots {
    general: Vec<Slots>,
    per_target: HashMap<String, Slots>,
}

/// All heads' weights, inverted, with each feature's IDF: one contiguous record per feature,
/// so that scoring a paragraph touches one place per feature.
///
/// A record is `[idf, n_blocks, (first_slot, mask_lo, mask_hi, weights...) × n_blocks]` in
/// `u32` words (floats as bits). A block covers 64 consecutive output slots (every output of
/// every head, in head order: a model with up to 64 outputs in all needs one block per
/// feature): its 64-bit mask has a bit per slot whose model uses the feature, followed by those
/// weights, packed. Feature ids are numbered by decreasing document frequency (see the TF-IDF
/// stage), so the records of common words sit together and stay in cache. Because
/// `logits = b + (Σ w·x) / ‖x‖`, weighting, the dot products of every head and the L2
/// normalisation are one pass over the paragraph's features.
#[derive(Debug, Clone, Default)]
struct ScoringIndex {
    /// Per feature, the offset of its record in `records`.
    offsets: Vec<u32>,
    records: Vec<u32>,
    intercepts: Vec<f32>,
    heads: Vec<HeadSlots>,
}

impl ScoringIndex {
    fn build(tfidf: &FittedTfIdf, heads: &[Head]) -> ScoringIndex {
        let n_features = tfidf.n_features();
        // Output slots in head order; each group lists its models with their slot offsets.
        let mut head_slots = Vec::new();
        let mut groups: Vec<(usize, Vec<&SparseLinear>)> = Vec::new();
        let mut next = 0usize;
        for head in heads {
            let mut slots = HeadSlots {
                general: Vec::new(),
                per_target: HashMap::new(),
            };
            let single = |m: &'_ SparseLinear, next: &mut usize| {
                let s = Slots {
                    first: *next,
                    link: m.link,
                };
                *next += m.n_outputs();
                s
            };
            match &head.body {
                HeadBody::Single {
                    general,
                    per_target,
                } => {
                    groups.push((next, vec![general]));
                    slots.general.push(single(general, &mut next));
                    for (t, m) in per_target {
                        groups.push((next, vec![m]));
                        slots.per_target.insert(t.clone(), single(m, &mut next));
                    }
                }
                HeadBody::Multi { models, .. } => {
                    groups.push((next, models.iter().collect()));
                    for m in models {
                        slots.general.push(single(m, &mut next));
                    }
                }
            }
            head_slots.push(slots);
        }
        let intercepts: Vec<f32> = groups
            .iter()
            .flat_map(|(_, ms)| ms.iter().flat_map(|m| m.intercepts.iter().copied()))
            .collect();
        // Per feature: (output slot, weight) for every model output that uses it.
        let mut per_feature: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_features];
        for (first, models) in &groups {
            let mut slot = *first as u32;
            for m in models {
                let n_out = m.n_outputs();
                for o in 0..n_out {
                    for (i, &f) in m.features.iter().enumerate() {
                        per_feature[f as usize].push((slot, m.weights[i * n_out + o]));
                    }
                    slot += 1;
                }
            }
        }
        let mut offsets = Vec::with_capacity(n_features + 1);
        let mut records = Vec::new();
        for (f, mut entries) in per_feature.into_iter().enumerate() {
            entries.sort_by_key(|&(slot, _)| slot);
            offsets.push(records.len() as u32);
            records.push(tfidf.idf(f as u32).to_bits());
            let n_blocks_at = records.len();
            records.push(0);
            let mut rest = &entries[..];
            while let Some(&(slot, _)) = rest.first() {
                let block = slot / 64;
                let len = rest.iter().take_while(|(s, _)| s / 64 == block).count();
                let (these, next) = rest.split_at(len);
                let mask = these.iter().fold(0u64, |m, &(s, _)| m | 1 << (s % 64));
                records.extend([block * 64, mask as u32, (mask >> 32) as u32]);
                records.extend(these.iter().map(|(_, w)| w.to_bits()));
                records[n_blocks_at] += 1;
                rest = next;
            }
        }
        ScoringIndex {
            offsets,
            records,
            intercepts,
            heads: head_slots,
        }
    }

    /// Adds `x` times feature `f`'s weights to `acc`; returns the feature's IDF.
    #[inline]
    fn accumulate(&self, f: u32, x_of_idf: impl FnOnce(f32) -> f32, acc: &mut [f32]) -> f32 {
        let rec = &self.records[self.offsets[f as usize] as usize..];
        let idf = f32::from_bits(rec[0]);
        let x = x_of_idf(idf);
        let n_blocks = rec[1] as usize;
        let mut k = 2;
        for _ in 0..n_blocks {
            let first = rec[k] as usize;
            let mut mask = u64::from(rec[k + 1]) | u64::from(rec[k + 2]) << 32;
            k += 3;
            while mask != 0 {
                acc[first + mask.trailing_zeros() as usize] += f32::from_bits(rec[k]) * x;
                k += 1;
                mask &= mask - 1;
            }
        }
        x
    }

    /// Logits from raw counts: TF-IDF weighting, every head's dot product and the L2
    /// normalisation in one pass over the terms, and another over the target-context block.
    fn logits_from_counts(&self, tfidf: &FittedTfIdf, counts: FeatureCounts, out: &mut Vec<f32>) {
        let FeatureCounts {
            terms: counts,
            context,
            embedded,
            shares,
            encoded,
        } = counts;
        out.clear();
        out.resize(self.intercepts.len(), 0.0);
        // Touch every record first: these loads are independent, so their cache misses overlap,
        // where in the accumulation loop below each would stall behind the previous one's
        // data-dependent branches.
        let mut touched = 0u32;
        for &(f, _) in counts {
            touched ^= self.records[self.offsets[f as usize] as usize + 1];
        }
        std::hint::black_box(touched);
        let mut norm = 0.0f64;
        for &(f, tf) in counts {
            let x = self.accumulate(f, |idf| tfidf.tf_weight(tf) * idf, out);
            norm += f64::from(x) * f64::from(x);
        }
        let scale = if norm > 0.0 {
            (1.0 / norm.sqrt()) as f32
        } else {
            0.0
        };
        for (o, b) in out.iter_mut().zip(&self.intercepts) {
            *o = *o * scale + b;
        }
        // The blocks with norms of their own (target context, embeddings, word categories,
        // encoder).
        let mut add = |f: u32, x: f32| {
            self.accumulate(f, |_| x, out);
        };
        tfidf.for_each_context_value(context, &mut add);
        tfidf.for_each_embedding_value(embedded, &mut add);
        tfidf.for_each_category_value(shares, &mut add);
        tfidf.for_each_encoder_value(encoded, &mut add);
    }

    /// Logits of an already weighted and normalised row.
    fn logits(&self, row: &SparseVec, out: &mut Vec<f32>) {
        out.clear();
        out.resize(self.intercepts.len(), 0.0);
        for (f, v) in row.iter() {
            self.accumulate(f, |_| v, out);
        }
        for (o, b) in out.iter_mut().zip(&self.intercepts) {
            *o += b;
        }
    }
}

/// The scores of one task for one text.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskScores {
    /// Probability per label, in the head's label order.
    pub probs: Vec<f32>,
    /// Indices of the predicted labels (exactly one for single-label tasks).
    pub predicted: Vec<usize>,
}

/// Per-thread buffers for scoring.
#[derive(Debug, Default, Clone)]
pub struct ScoreScratch {
    /// TF-IDF buffers (with the token spans of the last text).
    pub transform: TransformScratch,
    /// The TF-IDF row of the last text.
    pub row: SparseVec,
    logits: Vec<f32>,
}

/// A model ready to score: its data plus the built analyzer and scoring index.
#[derive(Debug)]
pub struct Model {
    data: ModelData,
    analyzer: Analyzer,
    index: ScoringIndex,
}

impl Model {
    /// Builds the analyzer and the scoring index.
    pub fn from_data(data: ModelData) -> Model {
        let analyzer = data.analyzer.build();
        let index = ScoringIndex::build(&data.tfidf, &data.heads);
        Model {
            data,
            analyzer,
            index,
        }
    }

    /// The model's data.
    pub fn data(&self) -> &ModelData {
        &self.data
    }

    /// The heads.
    pub fn heads(&self) -> &[Head] {
        &self.data.heads
    }

    /// The head of a task.
    pub fn head(&self, task: &str) -> Option<(usize, &Head)> {
        self.data
            .heads
            .iter()
            .enumerate()
            .find(|(_, h)| h.task == task)
    }

    /// The analyzer.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The fitted TF-IDF.
    pub fn tfidf(&self) -> &FittedTfIdf {
        &self.data.tfidf
    }

    /// Consistency checks on data read from a file.
    pub(crate) fn check_data(data: &ModelData) -> Result<(), String> {
        data.analyzer
            .revalidate()
            .map_err(|e| format!("analyzer settings: {e}"))?;
        if !data.tfidf.is_consistent() {
            return Err("vocabulary and IDF do not match".into());
        }
        // The vocabulary's embedding blocks are those the analyzer gives pieces for.
        let analyzer = data.analyzer.build();
        if data.tfidf.n_embedding_blocks() != analyzer.embedding_blocks().len()
            || (data.tfidf.n_embedding_blocks() > 0
                && data.tfidf.embedding_norm() != data.analyzer.params().embeddings)
        {
            return Err("embedding blocks and analyzer settings do not match".into());
        }
        let params = data.analyzer.params();
        if data.tfidf.encoder_norm() != params.encoder
            || (params.encoder > 0.0 && data.tfidf.encoder_target() != params.encoder_target)
        {
            return Err("encoder block and analyzer settings do not match".into());
        }
        if data.tfidf.lexicon_norm() != params.lexicon {
            return Err("word-category block and analyzer settings do not match".into());
        }
        let n = data.tfidf.n_features();
        for h in &data.heads {
            if !h.is_consistent(n) {
                return Err(format!("head `{}` is inconsistent", h.task));
            }
        }
        Ok(())
    }

    /// TF-IDF row of a text into `scratch.row`.
    pub fn vectorize(&self, text: &str, scratch: &mut ScoreScratch) {
        self.vectorize_with_target(text, None, scratch);
    }

    /// TF-IDF row of a text whose stance is toward `target` into `scratch.row` (with the
    /// target features the model uses).
    pub fn vectorize_with_target(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut ScoreScratch,
    ) {
        self.data.tfidf.transform_one_with_target(
            &self.analyzer,
            text,
            target,
            &mut scratch.transform,
            &mut scratch.row,
        );
    }

    /// Scores one text for every head. `target` selects per-target stance models when the model
    /// has one for it.
    pub fn score(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut ScoreScratch,
    ) -> Vec<TaskScores> {
        let mut out = Vec::new();
        self.score_into(text, target, scratch, &mut out);
        out
    }

    /// Like [`Model::score`], reusing `out`'s buffers (no allocation once they have grown).
    pub fn score_into(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut ScoreScratch,
        out: &mut Vec<TaskScores>,
    ) {
        let counts =
            self.data
                .tfidf
                .count_features(&self.analyzer, text, target, &mut scratch.transform);
        self.index
            .logits_from_counts(&self.data.tfidf, counts, &mut scratch.logits);
        self.heads_from_logits(target, &scratch.logits, out);
    }

    /// Scores many texts (with optional stance targets) on every core of rayon's pool, keeping
    /// their order; the result does not depend on the number of threads.
    pub fn score_batch(&self, texts: &[(&str, Option<&str>)]) -> Vec<Vec<TaskScores>> {
        use rayon::prelude::*;
        thread_local! {
            // One scratch per worker thread for the whole batch and later ones, so that its
            // word cache stays warm.
            static SCRATCH: std::cell::RefCell<ScoreScratch> = Default::default();
        }
        // Chunks of paragraphs, not single ones: a paragraph takes microseconds, too little to
        // pay for a task each.
        let chunks: Vec<Vec<Vec<TaskScores>>> = texts
            .par_chunks(64)
            .map(|chunk| {
                SCRATCH.with(|s| {
                    let scratch = &mut s.borrow_mut();
                    chunk
                        .iter()
                        .map(|(text, target)| self.score(text, *target, scratch))
                        .collect()
                })
            })
            .collect();
        chunks.into_iter().flatten().collect()
    }

    /// Scores the row already in `scratch.row`.
    pub fn score_vectorized(
        &self,
        target: Option<&str>,
        scratch: &mut ScoreScratch,
    ) -> Vec<TaskScores> {
        let mut out = Vec::new();
        self.score_vectorized_into(target, scratch, &mut out);
        out
    }

    fn score_vectorized_into(
        &self,
        target: Option<&str>,
        scratch: &mut ScoreScratch,
        out: &mut Vec<TaskScores>,
    ) {
        self.index.logits(&scratch.row, &mut scratch.logits);
        self.heads_from_logits(target, &scratch.logits, out);
    }

    fn heads_from_logits(&self, target: Option<&str>, logits: &[f32], out: &mut Vec<TaskScores>) {
        let target = target.map(normalize_target);
        out.resize_with(self.data.heads.len(), || TaskScores {
            probs: Vec::new(),
            predicted: Vec::new(),
        });
        for ((head, slots), scores) in self
            .data
            .heads
            .iter()
            .zip(&self.index.heads)
            .zip(out.iter_mut())
        {
            let n = head.labels.len();
            scores.probs.clear();
            scores.predicted.clear();
            match &head.body {
                HeadBody::Single { .. } => {
                    let s = target
                        .as_ref()
                        .and_then(|t| slots.per_target.get(t))
                        .unwrap_or(&slots.general[0]);
                    scores.probs.extend(
                        logits[s.first..s.first + n]
                            .iter()
                            .zip(&head.calibration)
                            .map(|(&z, c)| c.apply(z)),
                    );
                    apply_link(s.link, &mut scores.probs);
                    calibrate::apply_top_label(&mut scores.probs, &head.top_label);
                    // The label with the highest ln p + offset (the first of equals).
                    let mut best = (0, f32::NEG_INFINITY);
                    for (i, (p, offset)) in scores.probs.iter().zip(&head.offsets).enumerate() {
                        let d = p.ln() + offset;
                        if i == 0 || d > best.1 {
                            best = (i, d);
                        }
                    }
                    scores.predicted.push(best.0);
                }
                HeadBody::Multi { thresholds, .. } => {
                    scores.probs.extend(
                        slots
                            .general
                            .iter()
                            .zip(&head.calibration)
                            .map(|(s, c)| sigmoid(c.apply(logits[s.first]))),
                    );
                    scores
                        .predicted
                        .extend((0..n).filter(|&l| scores.probs[l] >= thresholds[l]));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear(features: Vec<u32>, n_out: usize, link: Link, seed: f32) -> SparseLinear {
        let weights = (0..features.len() * n_out)
            .map(|i| (i as f32 * 0.37 + seed).sin())
            .collect();
        let intercepts = (0..n_out).map(|o| o as f32 * 0.1 - seed).collect();
        SparseLinear {
            features,
            weights,
            intercepts,
            link,
        }
    }

    /// The inverted index gives each model's own logits (checked against
    /// `SparseLinear::logits`), for multi-label heads, softmax heads and per-target models.
    #[test]
    fn scoring_index_equals_each_model() {
        // 70 binary models first, so that the other heads' slots straddle two 64-slot blocks.
        let wide: Vec<SparseLinear> = (0..70u32)
            .map(|i| {
                let features = (0..6).filter(|f| (i + f) % 3 != 0).collect();
                linear(features, 1, Link::Sigmoid, i as f32 * 0.01)
            })
            .collect();
        let heads = vec![
            Head {
                task: "wide".into(),
                labels: (0..70).map(|i| format!("w{i}")).collect(),
                body: HeadBody::Multi {
                    models: wide,
                    thresholds: vec![0.5; 70],
                },
                calibration: vec![Platt::IDENTITY; 70],
                offsets: Vec::new(),
                top_label: Vec::new(),
            },
            Head {
                task: "m".into(),
                labels: vec!["a".into(), "b".into(), "c".into()],
                body: HeadBody::Multi {
                    models: vec![
                        linear(vec![0, 2, 5], 1, Link::Sigmoid, 0.1),
                        linear(vec![2, 3], 1, Link::Sigmoid, 0.2),
                        linear(vec![], 1, Link::Sigmoid, 0.3),
                    ],
                    thresholds: vec![0.5; 3],
                },
                calibration: vec![Platt::IDENTITY; 3],
                offsets: Vec::new(),
                top_label: Vec::new(),
            },
            Head {
                task: "s".into(),
                labels: vec!["x".into(), "y".into()],
                body: HeadBody::Single {
                    general: linear(vec![1, 2, 5], 2, Link::Softmax, 0.4),
                    per_target: vec![("t".into(), linear(vec![0, 5], 2, Link::Softmax, 0.5))],
                },
                calibration: vec![Platt::IDENTITY; 2],
                offsets: vec![0.0; 2],
                top_label: Vec::new(),
            },
        ];
        let analyzer = crate::text::AnalyzerParams {
            word_ngrams: (1, 1),
            ..Default::default()
        }
        .check()
        .unwrap()
        .build();
        let docs = ["a b c d e f", "a b c d e", "a b c d", "a b c", "a b", "a"];
        let (tfidf, _) = crate::features::TfIdfParams {
            min_df: crate::features::DocFreq::Count(1),
            ..Default::default()
        }
        .check()
        .unwrap()
        .fit_transform(&analyzer, &docs)
        .unwrap();
        let index = ScoringIndex::build(&tfidf, &heads);
        let row = SparseVec {
            indices: vec![0, 2, 3, 5],
            values: vec![0.5, 0.25, 0.125, 0.75],
        };
        let mut all = Vec::new();
        index.logits(&row, &mut all);
        let mut expected = Vec::new();
        let mut one = Vec::new();
        let models: Vec<&SparseLinear> = heads
            .iter()
            .flat_map(|h| match &h.body {
                HeadBody::Multi { models, .. } => models.iter().collect::<Vec<_>>(),
                HeadBody::Single {
                    general,
                    per_target,
                } => std::iter::once(general)
                    .chain(per_target.iter().map(|(_, m)| m))
                    .collect(),
            })
            .collect();
        for m in models {
            m.logits(&row.indices, &row.values, &mut one);
            expected.extend_from_slice(&one);
        }
        assert_eq!(all.len(), expected.len());
        for (g, w) in all.iter().zip(&expected) {
            assert!((g - w).abs() < 1e-6, "{all:?} vs {expected:?}");
        }

        // The fused path (raw counts → weights, dot products and normalisation in one pass)
        // gives the logits of the weighted, normalised row.
        let counts = [(0u32, 3u32), (2, 1), (5, 2)];
        let mut fused = Vec::new();
        index.logits_from_counts(
            &tfidf,
            FeatureCounts {
                terms: &counts,
                context: &[],
                embedded: &[],
                shares: &[],
                encoded: &[],
            },
            &mut fused,
        );
        let weights: Vec<f32> = counts.iter().map(|&(f, tf)| tfidf.weight(f, tf)).collect();
        let norm = weights.iter().map(|w| w * w).sum::<f32>().sqrt();
        let row = SparseVec {
            indices: counts.iter().map(|c| c.0).collect(),
            values: weights.iter().map(|w| w / norm).collect(),
        };
        index.logits(&row, &mut all);
        for (g, w) in fused.iter().zip(&all) {
            assert!((g - w).abs() < 1e-5, "{fused:?} vs {all:?}");
        }
    }

    #[test]
    fn model_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Model>();
        assert_send_sync::<ModelData>();
    }
}
