//! Classifier heads and the fitted model.
//!
//! A [`Model`] is an analyzer configuration, a fitted TF-IDF, one [`Head`] per task and the
//! training metadata. Each head holds [`SparseLinear`] models whose weights were copied out of
//! fitted linfa models. When a model is built (trained or loaded), the weights of every head are
//! gathered into one inverted index, feature → (output, weight), so that scoring a paragraph is
//! one pass over its non-zero TF-IDF values for all heads at once.

mod dcd;
mod estimator;
mod file;
mod linear;
mod select;
mod train;

pub use dcd::{DcdError, DcdLogisticParams, DcdLogisticValidParams, FittedDcdLogistic, SparseRows};
pub use estimator::Estimator;
pub use file::{MODEL_FORMAT_VERSION, MODEL_MAGIC};
pub use linear::{apply_link, sigmoid, Link, SparseLinear, ABSENT_CLASS_LOGIT};
pub use select::{chi2, top_k};
pub use train::{
    best_threshold, train, tune_thresholds, ClassWeight, DataFileInfo, HeadMeta, SearchPoint, SelectMetric,
    TrainParams, TrainReport, TrainingMeta, ValidTrainParams,
};

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::corpus::TaskKind;
use crate::features::{FittedTfIdf, SparseVec, TransformScratch};
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

/// All heads' weights, inverted: for each feature, the (output slot, weight) pairs.
#[derive(Debug, Clone, Default)]
struct ScoringIndex {
    feature_ptr: Vec<u32>,
    entries: Vec<(u32, f32)>,
    intercepts: Vec<f32>,
    heads: Vec<HeadSlots>,
}

impl ScoringIndex {
    fn build(n_features: usize, heads: &[Head]) -> ScoringIndex {
        // Every linear model gets a run of output slots, in head order.
        let mut models: Vec<&SparseLinear> = Vec::new();
        let mut head_slots = Vec::new();
        {
            let mut next = 0usize;
            let mut place = |m: &'_ SparseLinear| {
                let s = Slots {
                    first: next,
                    link: m.link,
                };
                next += m.n_outputs();
                s
            };
            for head in heads {
                let mut slots = HeadSlots {
                    general: Vec::new(),
                    per_target: HashMap::new(),
                };
                match &head.body {
                    HeadBody::Single {
                        general,
                        per_target,
                    } => {
                        slots.general.push(place(general));
                        models.push(general);
                        for (t, m) in per_target {
                            slots.per_target.insert(t.clone(), place(m));
                            models.push(m);
                        }
                    }
                    HeadBody::Multi { models: ms, .. } => {
                        for m in ms {
                            slots.general.push(place(m));
                            models.push(m);
                        }
                    }
                }
                head_slots.push(slots);
            }
        }
        let intercepts: Vec<f32> = models
            .iter()
            .flat_map(|m| m.intercepts.iter().copied())
            .collect();
        // Count entries per feature, then fill (a CSR layout built in two passes).
        let mut counts = vec![0u32; n_features + 1];
        for m in &models {
            for &f in &m.features {
                counts[f as usize + 1] += m.n_outputs() as u32;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut entries = vec![(0u32, 0f32); *counts.last().unwrap_or(&0) as usize];
        let mut slot = 0usize;
        for m in &models {
            let n_out = m.n_outputs();
            for (i, &f) in m.features.iter().enumerate() {
                for o in 0..n_out {
                    let at = &mut fill[f as usize];
                    entries[*at as usize] = ((slot + o) as u32, m.weights[i * n_out + o]);
                    *at += 1;
                }
            }
            slot += n_out;
        }
        ScoringIndex {
            feature_ptr: counts,
            entries,
            intercepts,
            heads: head_slots,
        }
    }

    fn logits(&self, row: &SparseVec, out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.intercepts);
        for (f, v) in row.iter() {
            let (a, b) = (
                self.feature_ptr[f as usize] as usize,
                self.feature_ptr[f as usize + 1] as usize,
            );
            for &(slot, w) in &self.entries[a..b] {
                out[slot as usize] += w * v;
            }
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
    /// TF-IDF buffers (and the tokens of the last text).
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
        let index = ScoringIndex::build(data.tfidf.n_features(), &data.heads);
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
        self.data.tfidf.transform_one(
            &self.analyzer,
            text,
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
        self.vectorize(text, scratch);
        self.score_vectorized(target, scratch)
    }

    /// Scores the row already in `scratch.row`.
    pub fn score_vectorized(
        &self,
        target: Option<&str>,
        scratch: &mut ScoreScratch,
    ) -> Vec<TaskScores> {
        self.index.logits(&scratch.row, &mut scratch.logits);
        let logits = &scratch.logits;
        let target = target.map(normalize_target);
        self.data
            .heads
            .iter()
            .zip(&self.index.heads)
            .map(|(head, slots)| {
                let n = head.labels.len();
                match &head.body {
                    HeadBody::Single { .. } => {
                        let s = target
                            .as_ref()
                            .and_then(|t| slots.per_target.get(t))
                            .unwrap_or(&slots.general[0]);
                        let mut probs = logits[s.first..s.first + n].to_vec();
                        apply_link(s.link, &mut probs);
                        let best =
                            probs
                                .iter()
                                .enumerate()
                                .fold(0, |b, (i, p)| if *p > probs[b] { i } else { b });
                        TaskScores {
                            probs,
                            predicted: vec![best],
                        }
                    }
                    HeadBody::Multi { thresholds, .. } => {
                        let probs: Vec<f32> = slots
                            .general
                            .iter()
                            .map(|s| sigmoid(logits[s.first]))
                            .collect();
                        let predicted = (0..n).filter(|&l| probs[l] >= thresholds[l]).collect();
                        TaskScores { probs, predicted }
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Model>();
        assert_send_sync::<ModelData>();
    }
}
