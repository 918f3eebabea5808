//! Linear models over a selected subset of features, scored as sparse dot products.
//!
//! A [`SparseLinear`] holds the weights copied out of a fitted linfa model, for the features the
//! head selected. Scoring a TF-IDF row costs one multiply-add per (non-zero feature, output), so
//! serving never builds a dense matrix.

use serde::{Deserialize, Serialize};

/// How the raw scores (logits) of a model's outputs become probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    /// Each output is an independent logistic (binary or one-vs-rest) probability.
    Sigmoid,
    /// The outputs are the classes of one softmax (multinomial logistic regression).
    Softmax,
    /// One-vs-rest logistic outputs, rescaled to sum to one (single-label heads fitted as
    /// independent binary models).
    NormalizedSigmoid,
}

/// Logit given to a class that a model never saw in training, so that softmax gives it zero
/// probability without non-finite values in the file.
pub const ABSENT_CLASS_LOGIT: f32 = -1.0e4;

/// A linear model over selected features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseLinear {
    /// Global feature ids used, strictly increasing.
    pub features: Vec<u32>,
    /// Weights, row-major: `weights[i * n_outputs + o]` for feature `features[i]`, output `o`.
    pub weights: Vec<f32>,
    /// One intercept per output.
    pub intercepts: Vec<f32>,
    /// How logits become probabilities.
    pub link: Link,
}

impl SparseLinear {
    /// Number of outputs.
    pub fn n_outputs(&self) -> usize {
        self.intercepts.len()
    }

    /// A model with no features that always gives the same logits.
    pub fn constant(intercepts: Vec<f32>, link: Link) -> Self {
        SparseLinear {
            features: Vec::new(),
            weights: Vec::new(),
            intercepts,
            link,
        }
    }

    /// The average of models with the same outputs and link: weights averaged over the union
    /// of their features (a model without a feature counts 0 for it), intercepts averaged.
    /// The average of linear models' logits is this model's logits.
    pub fn average(models: &[&SparseLinear]) -> SparseLinear {
        let weighted: Vec<(&SparseLinear, f32)> = models.iter().map(|&m| (m, 1.0)).collect();
        SparseLinear::weighted_sum(&weighted, models.len() as f32)
    }

    /// `Σ share · model / divisor`, for models with the same outputs and link: its logits are
    /// that sum of theirs.
    pub fn weighted_sum(models: &[(&SparseLinear, f32)], divisor: f32) -> SparseLinear {
        let n_out = models[0].0.n_outputs();
        let mut features: Vec<u32> = models
            .iter()
            .flat_map(|(m, _)| m.features.iter().copied())
            .collect();
        features.sort_unstable();
        features.dedup();
        let mut weights = vec![0.0f32; features.len() * n_out];
        for &(m, share) in models {
            debug_assert_eq!(m.n_outputs(), n_out);
            let mut j = 0;
            for (i, &f) in m.features.iter().enumerate() {
                while features[j] != f {
                    j += 1;
                }
                for o in 0..n_out {
                    weights[j * n_out + o] += m.weights[i * n_out + o] * share / divisor;
                }
            }
        }
        let intercepts = (0..n_out)
            .map(|o| {
                models
                    .iter()
                    .map(|(m, share)| m.intercepts[o] * share)
                    .sum::<f32>()
                    / divisor
            })
            .collect();
        SparseLinear {
            features,
            weights,
            intercepts,
            link: models[0].0.link,
        }
    }

    /// Shape and value checks for data read from a file; weights and intercepts within
    /// ±[`MAX_PARAMETER`].
    pub(crate) fn is_consistent(&self, n_features: usize) -> bool {
        let n_out = self.n_outputs();
        n_out > 0
            && self.weights.len() == self.features.len() * n_out
            && self.features.windows(2).all(|w| w[0] < w[1])
            && self
                .features
                .last()
                .is_none_or(|&f| (f as usize) < n_features)
            && self
                .weights
                .iter()
                .chain(&self.intercepts)
                .all(|v| within_limit(*v))
    }

    /// Logits of one sparse row (ids increasing), by merging the row with the model's features.
    pub fn logits(&self, ids: &[u32], values: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.intercepts);
        let n_out = self.n_outputs();
        let (mut i, mut j) = (0, 0);
        while i < ids.len() && j < self.features.len() {
            match ids[i].cmp(&self.features[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let w = &self.weights[j * n_out..(j + 1) * n_out];
                    for (o, wv) in out.iter_mut().zip(w) {
                        *o += wv * values[i];
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
    }
}

/// A model's weights laid out over the whole vocabulary, for scoring many rows: each row costs
/// one lookup per non-zero value instead of a merge with the model's feature list.
#[derive(Debug, Clone)]
pub(crate) struct DenseWeights {
    n_out: usize,
    weights: Vec<f32>,
    intercepts: Vec<f32>,
}

impl DenseWeights {
    pub(crate) fn new(m: &SparseLinear, n_features: usize) -> Self {
        let n_out = m.n_outputs();
        let mut weights = vec![0.0f32; n_features * n_out];
        for (i, &f) in m.features.iter().enumerate() {
            let at = f as usize * n_out;
            weights[at..at + n_out].copy_from_slice(&m.weights[i * n_out..(i + 1) * n_out]);
        }
        DenseWeights {
            n_out,
            weights,
            intercepts: m.intercepts.clone(),
        }
    }

    /// Logits of one sparse row; the same values as [`SparseLinear::logits`].
    pub(crate) fn logits(&self, ids: &[u32], values: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.intercepts);
        for (&f, &v) in ids.iter().zip(values) {
            let at = f as usize * self.n_out;
            for (o, w) in out.iter_mut().zip(&self.weights[at..at + self.n_out]) {
                *o += w * v;
            }
        }
    }
}

/// Turns logits into probabilities in place, according to `link`.
pub fn apply_link(link: Link, logits: &mut [f32]) {
    match link {
        Link::Sigmoid => logits.iter_mut().for_each(|z| *z = sigmoid(*z)),
        Link::NormalizedSigmoid => {
            logits.iter_mut().for_each(|z| *z = sigmoid(*z));
            let sum: f32 = logits.iter().sum();
            if sum > 0.0 {
                logits.iter_mut().for_each(|p| *p /= sum);
            }
        }
        Link::Softmax => {
            let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for z in logits.iter_mut() {
                *z = (*z - max).exp();
                sum += *z;
            }
            logits.iter_mut().for_each(|p| *p /= sum);
        }
    }
}

/// The largest magnitude of a weight, intercept, calibration parameter or offset a model file
/// may hold. Fitted models stay far below it (they are regularised); with every parameter
/// within it and every IDF within [`crate::features::MAX_IDF`], a logit is finite for any text,
/// so scores are never NaN. A file beyond it is damaged or was not written by rhetor.
pub const MAX_PARAMETER: f32 = 1e6;

/// Finite and within ±[`MAX_PARAMETER`] (false for NaN).
pub(crate) fn within_limit(v: f32) -> bool {
    v.abs() <= MAX_PARAMETER
}

/// The logistic function, stable for large |z|.
pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn logits_merge_row_and_features() {
        let m = SparseLinear {
            features: vec![1, 4, 7],
            weights: vec![1.0, -1.0, 2.0, 0.0, 0.5, 0.5],
            intercepts: vec![0.1, 0.2],
            link: Link::Softmax,
        };
        let mut out = Vec::new();
        m.logits(&[0, 4, 7, 9], &[9.0, 1.0, 2.0, 9.0], &mut out);
        assert_eq!(out, [0.1 + 2.0 + 1.0, 0.2 + 0.0 + 1.0]);
        m.logits(&[], &[], &mut out);
        assert_eq!(out, [0.1, 0.2]);
        let dense = DenseWeights::new(&m, 10);
        let mut d = Vec::new();
        m.logits(&[0, 4, 7, 9], &[9.0, 1.0, 2.0, 9.0], &mut out);
        dense.logits(&[0, 4, 7, 9], &[9.0, 1.0, 2.0, 9.0], &mut d);
        assert_eq!(out, d);
    }

    #[test]
    fn average_logits_equal_the_average_model() {
        let a = SparseLinear {
            features: vec![1, 4],
            weights: vec![1.0, 2.0],
            intercepts: vec![0.5],
            link: Link::Sigmoid,
        };
        let b = SparseLinear {
            features: vec![0, 4],
            weights: vec![3.0, -2.0],
            intercepts: vec![-0.5],
            link: Link::Sigmoid,
        };
        let avg = SparseLinear::average(&[&a, &b]);
        assert_eq!(avg.features, [0, 1, 4]);
        let (ids, vals) = (&[0u32, 1, 4][..], &[0.5f32, 0.25, 2.0][..]);
        let (mut la, mut lb, mut lavg) = (Vec::new(), Vec::new(), Vec::new());
        a.logits(ids, vals, &mut la);
        b.logits(ids, vals, &mut lb);
        avg.logits(ids, vals, &mut lavg);
        assert_abs_diff_eq!(lavg[0], (la[0] + lb[0]) / 2.0, epsilon = 1e-6);
    }

    #[test]
    fn links_table() {
        let cases: [(Link, [f32; 2], [f32; 2]); 3] = [
            (Link::Sigmoid, [0.0, 2.0], [0.5, 0.880_797_1]),
            (Link::Softmax, [1.0, 1.0], [0.5, 0.5]),
            (Link::NormalizedSigmoid, [0.0, 0.0], [0.5, 0.5]),
        ];
        for (link, mut z, want) in cases {
            apply_link(link, &mut z);
            for (g, w) in z.iter().zip(want) {
                assert_abs_diff_eq!(*g, w, epsilon = 1e-6);
            }
        }
        let mut z = [ABSENT_CLASS_LOGIT, 3.0];
        apply_link(Link::Softmax, &mut z);
        assert_eq!(z, [0.0, 1.0]);
        assert_abs_diff_eq!(sigmoid(-100.0), 0.0, epsilon = 1e-30);
    }
}
