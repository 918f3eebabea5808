//! Why a label was given: the terms of a paragraph that pushed its score most.
//!
//! A head's calibrated logit for a label is `a · (w · x + b) + c`, with `x` the paragraph's
//! TF-IDF row, `w` the label's weights and `a` its calibration slope. The contribution of
//! feature `f` is `a · w_f · x_f`: exactly how much the feature moved the calibrated logit. For
//! a single-label head the classes compete, so a feature's contribution to a label is taken
//! relative to the other labels: `a_l w_lf x_f − mean_{k≠l} a_k w_kf x_f` (a feature that
//! raises every class equally explains nothing).
//!
//! Features are mapped back to the tokens they came from (an n-gram to its words, a character
//! n-gram or a rhetoric cue to its word), and features found at exactly the same places are
//! merged, so one piece of evidence is one set of places in the text with one weight.

use std::collections::HashMap;

use serde::Serialize;

use super::{normalize_target, HeadBody, Model, SparseLinear, TaskScores};
use crate::text::Scratch;

/// A stretch of the text that pushed a label's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The words as written at the first place (the text's bytes `spans[0]`).
    pub text: String,
    /// Byte spans of every place the features occur, in text order.
    pub spans: Vec<(usize, usize)>,
    /// Contribution to the label's calibrated logit (positive: towards the label).
    pub weight: f32,
    /// The vocabulary terms merged into this evidence (stemmed n-grams, character n-grams,
    /// cues).
    pub terms: Vec<String>,
}

/// The evidence for one predicted label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelEvidence {
    /// Index of the head (task) in the model.
    pub task: usize,
    /// Index of the label in the head.
    pub label: usize,
    /// The strongest evidence, strongest first.
    pub evidence: Vec<Evidence>,
    /// What the intercepts and calibration offsets add (relative to the other labels for a
    /// single-label head).
    pub bias: f32,
    /// What every feature not listed in `evidence` adds: `bias + Σ evidence + rest` is the
    /// label's calibrated logit (relative to the mean of the other labels' for a single-label
    /// head).
    pub rest: f32,
}

/// Reusable buffers for [`Model::explain`].
#[derive(Debug, Default, Clone)]
pub struct ExplainScratch {
    text: Scratch,
    /// (feature, first token, last token) per occurrence.
    occurrences: Vec<(u32, usize, usize)>,
}

/// The weight of feature `f` for output `o` of `m` (0 if the model does not use it).
fn weight_of(m: &SparseLinear, f: u32, o: usize) -> f32 {
    match m.features.binary_search(&f) {
        Ok(i) => m.weights[i * m.n_outputs() + o],
        Err(_) => 0.0,
    }
}

impl Model {
    /// For every predicted label in `scores` (as [`Model::score`] gave them for this `text` and
    /// `target`), the `top_k` pieces of evidence with the largest positive contributions.
    /// Labels with no positive evidence (given on the intercept alone) get an empty list.
    pub fn explain(
        &self,
        text: &str,
        target: Option<&str>,
        scores: &[TaskScores],
        top_k: usize,
        scratch: &mut ExplainScratch,
    ) -> Vec<LabelEvidence> {
        let tfidf = self.tfidf();
        let ExplainScratch {
            text: text_scratch,
            occurrences,
        } = scratch;
        occurrences.clear();
        self.analyzer()
            .for_each_term_with_target(text, target, text_scratch, |term, source| {
                if let Some(f) = tfidf.id(term) {
                    occurrences.push((f, source.first, source.last));
                }
            });
        let tokens = text_scratch.tokens.tokens();
        // The TF-IDF row, as scoring computes it: sublinear tf × idf, L2-normalised.
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for &(f, _, _) in occurrences.iter() {
            *tf.entry(f).or_default() += 1;
        }
        let mut row: Vec<(u32, f32)> = tf
            .iter()
            .map(|(&f, &n)| (f, tfidf.tf_weight(n) * tfidf.idf(f)))
            .collect();
        row.sort_unstable_by_key(|&(f, _)| f);
        let norm = row
            .iter()
            .map(|&(_, v)| f64::from(v) * f64::from(v))
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            row.iter_mut()
                .for_each(|(_, v)| *v = (f64::from(*v) / norm) as f32);
        }
        // Where each feature occurs, as byte spans.
        let mut places: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
        for &(f, first, last) in occurrences.iter() {
            let span = (tokens[first].start, tokens[last].end);
            let v = places.entry(f).or_default();
            if !v.contains(&span) {
                v.push(span);
            }
        }
        places.values_mut().for_each(|v| v.sort_unstable());

        let target = target.map(normalize_target);
        let mut out = Vec::new();
        for (t, (head, s)) in self.heads().iter().zip(scores).enumerate() {
            for &label in &s.predicted {
                // Per feature, its contribution to this label; and the bias.
                let (contribution, bias): (Box<dyn Fn(u32, f32) -> f32>, f32) = match &head.body {
                    HeadBody::Multi { models, .. } => {
                        let m = &models[label];
                        let c = head.calibration[label];
                        (
                            Box::new(move |f, x| c.a * weight_of(m, f, 0) * x),
                            c.apply(m.intercepts[0]),
                        )
                    }
                    HeadBody::Single {
                        general,
                        per_target,
                    } => {
                        let m = target
                            .as_ref()
                            .and_then(|t| {
                                per_target
                                    .binary_search_by(|(k, _)| k.as_str().cmp(t))
                                    .ok()
                                    .map(|i| &per_target[i].1)
                            })
                            .unwrap_or(general);
                        let cal = &head.calibration;
                        let n = head.labels.len();
                        // Label l's value minus the mean of the other labels' values.
                        let relative = move |value: &dyn Fn(usize) -> f32| {
                            let others = if n > 1 {
                                (0..n).filter(|&k| k != label).map(value).sum::<f32>()
                                    / (n - 1) as f32
                            } else {
                                0.0
                            };
                            value(label) - others
                        };
                        let bias = relative(&|k| cal[k].apply(m.intercepts[k]));
                        (
                            Box::new(move |f, x| relative(&|k| cal[k].a * weight_of(m, f, k)) * x),
                            bias,
                        )
                    }
                };
                // Merge features found at exactly the same places.
                let mut merged: Vec<Evidence> = Vec::new();
                let mut at: HashMap<&[(usize, usize)], usize> = HashMap::new();
                for &(f, x) in &row {
                    let c = contribution(f, x);
                    if c == 0.0 {
                        continue;
                    }
                    let spans = places[&f].as_slice();
                    let i = *at.entry(spans).or_insert_with(|| {
                        merged.push(Evidence {
                            text: text[spans[0].0..spans[0].1].to_string(),
                            spans: spans.to_vec(),
                            weight: 0.0,
                            terms: Vec::new(),
                        });
                        merged.len() - 1
                    });
                    merged[i].weight += c;
                    merged[i].terms.push(tfidf.term(f).to_string());
                }
                let total: f32 = merged.iter().map(|e| e.weight).sum();
                merged.retain(|e| e.weight > 0.0);
                merged.sort_by(|a, b| {
                    b.weight
                        .total_cmp(&a.weight)
                        .then_with(|| a.spans.cmp(&b.spans))
                });
                merged.truncate(top_k);
                let shown: f32 = merged.iter().map(|e| e.weight).sum();
                out.push(LabelEvidence {
                    task: t,
                    label,
                    evidence: merged,
                    bias,
                    rest: total - shown,
                });
            }
        }
        out
    }
}
