//! Stacking a binary head on a multi-label head trained on the same records.
//!
//! Some corpora label each record twice: whether any technique is present (a binary
//! single-label task, SemEval-2023 `persuasion`, PTC `propaganda`) and which ones (a
//! multi-label task). The per-label models of the multi-label head see evidence that the binary
//! model, fitted on the pooled label alone, blurs. Stacking learns, by logistic regression on
//! out-of-fold logits, the binary decision as
//!
//! `s = a · (z₁ − z₀) + Σ_l b_l · m_l + c`
//!
//! where `z` are the binary head's logits and `m_l` the multi-label head's logits. Every logit
//! is linear in the same TF-IDF row, so `s` is one linear model too: it is folded into the
//! binary head's model at training time and scoring costs what it did.
//!
//! The stacker is kept only when its cross-validated score is clearly better (one-standard-
//! error rule) than the binary head alone; that score is nested — the stacker of each fold is
//! fitted on the other folds' out-of-fold logits — and its held-out logits give the head's
//! calibration and decision threshold.

use super::heads::{assess, clearly_better, folds_by_document, Assessment, TaskData};
use super::TrainParams;
use crate::model::linear::{Link, SparseLinear};
use linfa::prelude::*;
use linfa::DatasetBase;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

/// L2 penalty of the stacker's weights (not its intercept): C = 1 on the summed loss, as
/// scikit-learn's default.
const STACK_L2: f64 = 1.0;

/// A stacker for a binary head: the weights `[a, b_1, …, b_L]`, the intercept, the assessment
/// of its nested out-of-fold logits, and whether it is kept (clearly better than the binary
/// head alone).
pub(crate) struct Stacked {
    pub weights: Vec<f64>,
    pub intercept: f64,
    pub assessment: Assessment,
    pub kept: bool,
}

/// The stacker's inputs for row `i`: the binary head's logit difference, then the multi-label
/// head's logits.
fn inputs(binary_oof: &[Vec<f32>], multi_oof: &[Vec<f32>], i: usize) -> Vec<f64> {
    let mut x = Vec::with_capacity(1 + multi_oof.len());
    x.push(f64::from(binary_oof[1][i]) - f64::from(binary_oof[0][i]));
    x.extend(multi_oof.iter().map(|m| f64::from(m[i])));
    x
}

/// L2-regularised logistic regression (linfa-logistic) on dense rows of a few dozen columns:
/// weights and intercept of the logit of P(true). Like the linfa estimator in
/// `estimator.rs`, it undoes linfa 0.8.1's choice of the more frequent class as positive
/// (#393).
/// `None` when linfa fails (a single class, or a line search that does not converge).
fn fit_logistic(rows: &[Vec<f64>], y: &[bool]) -> Option<(Vec<f64>, f64)> {
    let d = rows.first().map_or(0, Vec::len);
    let x = Array2::from_shape_fn((rows.len(), d), |(i, j)| rows[i][j]);
    let ds = DatasetBase::new(x, Array1::from(y.to_vec()));
    let model = LogisticRegression::default()
        .alpha(STACK_L2)
        .max_iterations(200)
        .gradient_tolerance(1e-8)
        .fit(&ds)
        .ok()?;
    let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
    Some((
        model.params().iter().map(|w| sign * w).collect(),
        sign * model.intercept(),
    ))
}

/// The stacker of binary head `task` (out-of-fold logits `binary_oof`, `[2][row]`, per-fold
/// scores `binary_folds`) on a multi-label head's out-of-fold logits `multi_oof` over the same
/// rows, with its nested cross-validated assessment and whether that is clearly better than
/// the binary head alone. `None` when there is nothing to stack on or a fit fails.
pub(crate) fn stack_binary(
    task: &TaskData,
    params: &TrainParams,
    binary_oof: &[Vec<f32>],
    binary_folds: &[f64],
    multi_oof: &[Vec<f32>],
) -> Option<Stacked> {
    let n = task.rows.len();
    if binary_oof.len() != 2 || multi_oof.iter().any(|m| m.len() != n) {
        return None;
    }
    let rows: Vec<Vec<f64>> = (0..n).map(|i| inputs(binary_oof, multi_oof, i)).collect();
    // A class absent from a fold's training rows has a sentinel logit: nothing to stack on.
    if rows
        .iter()
        .flatten()
        .any(|v| !v.is_finite() || v.abs() > 1e3)
    {
        return None;
    }
    let y: Vec<bool> = task.gold.iter().map(|g| g[0] == 1).collect();
    // The binary head's scores on the seed's own folds, the stacker's folds.
    let first_repeat = &binary_folds[..binary_folds.len().min(params.folds)];
    let folds = folds_by_document(&task.docs, params.folds, params.seed);
    let mut held_out = vec![0.0f32; n];
    for f in 0..params.folds {
        let (fit_rows, fit_y): (Vec<Vec<f64>>, Vec<bool>) = (0..n)
            .filter(|&i| folds[i] != f)
            .map(|i| (rows[i].clone(), y[i]))
            .unzip();
        if fit_y.iter().all(|&v| v) || fit_y.iter().all(|&v| !v) {
            return None;
        }
        let (w, b) = fit_logistic(&fit_rows, &fit_y)?;
        for i in (0..n).filter(|&i| folds[i] == f) {
            let z = rows[i].iter().zip(&w).map(|(a, c)| a * c).sum::<f64>() + b;
            held_out[i] = z as f32;
        }
    }
    let oof = vec![vec![0.0f32; n], held_out];
    let assessment = assess(task, &oof, params.select_metric, &folds, params.folds);
    let (weights, intercept) = fit_logistic(&rows, &y)?;
    Some(Stacked {
        weights,
        intercept,
        kept: clearly_better(&assessment.fold_scores, first_repeat, 1),
        assessment,
    })
}

/// The stacked model as one linear model with two outputs (softmax): class 0 at logit 0,
/// class 1 at `a · (z₁ − z₀) + Σ_l b_l · m_l + c`.
pub(crate) fn fold_stacked(
    binary: &SparseLinear,
    multi: &[SparseLinear],
    stacked: &Stacked,
    n_features: usize,
) -> SparseLinear {
    let mut dense = vec![0.0f64; n_features];
    let mut used = vec![false; n_features];
    let mut intercept = stacked.intercept;
    let a = stacked.weights[0];
    debug_assert_eq!(binary.n_outputs(), 2);
    for (i, &f) in binary.features.iter().enumerate() {
        let w = f64::from(binary.weights[i * 2 + 1]) - f64::from(binary.weights[i * 2]);
        dense[f as usize] += a * w;
        used[f as usize] = true;
    }
    intercept += a * (f64::from(binary.intercepts[1]) - f64::from(binary.intercepts[0]));
    for (m, &b) in multi.iter().zip(&stacked.weights[1..]) {
        for (i, &f) in m.features.iter().enumerate() {
            dense[f as usize] += b * f64::from(m.weights[i]);
            used[f as usize] = true;
        }
        intercept += b * f64::from(m.intercepts[0]);
    }
    let features: Vec<u32> = (0..n_features)
        .filter(|&f| used[f])
        .map(|f| f as u32)
        .collect();
    let weights = features
        .iter()
        .flat_map(|&f| [0.0f32, dense[f as usize] as f32])
        .collect();
    SparseLinear {
        features,
        weights,
        intercepts: vec![0.0, intercept as f32],
        link: Link::Softmax,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_separates_a_noisy_line() {
        // y = x > 0 with one flipped row: positive weight, intercept near 0.
        let xs = [-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0, -0.2, 0.2];
        let ys = [
            false, false, false, false, true, true, true, true, true, false,
        ];
        let rows: Vec<Vec<f64>> = xs.iter().map(|&x| vec![x]).collect();
        let (w, b) = fit_logistic(&rows, &ys).expect("two classes");
        assert!(w[0] > 0.5, "{w:?}");
        assert!(b.abs() < 0.5, "{b}");
    }

    #[test]
    fn folded_model_gives_the_stacked_logit() {
        let binary = SparseLinear {
            features: vec![0, 2],
            weights: vec![0.5, 1.5, -1.0, 1.0],
            intercepts: vec![0.1, 0.3],
            link: Link::Softmax,
        };
        let multi = vec![SparseLinear {
            features: vec![1, 2],
            weights: vec![2.0, -1.0],
            intercepts: vec![-0.5],
            link: Link::Sigmoid,
        }];
        let stacked = Stacked {
            weights: vec![2.0, 0.5],
            intercept: 0.25,
            assessment: Assessment::empty(),
            kept: true,
        };
        let m = fold_stacked(&binary, &multi, &stacked, 3);
        // x = (1, 1, 1): z1 − z0 = (1.5 + 1 + 0.3) − (0.5 − 1 + 0.1) = 3.2; m = 2 − 1 − 0.5 = 0.5.
        let mut out = Vec::new();
        m.logits(&[0, 1, 2], &[1.0, 1.0, 1.0], &mut out);
        assert!((out[0]).abs() < 1e-6);
        assert!(
            (out[1] - (2.0 * 3.2 + 0.5 * 0.5 + 0.25)).abs() < 1e-5,
            "{out:?}"
        );
    }
}
