//! The linfa estimators behind every head, and how their weights are copied out.
//!
//! Choice of estimator. Measured on SemEval-2023 techniques (train → dev, 19 labels, K = 5000
//! chi-square features per label, thresholds tuned on dev for every estimator; reproduce with
//! `cargo run --release --example estimators`, 2 cores):
//!
//! | estimator | dev micro-F1 | training time |
//! |---|---|---|
//! | linfa-logistic, C = 1 | 0.354 | 26 s |
//! | linfa-ftrl, alpha 0.5, l2 0.1, 3 epochs | 0.352 | 38 s |
//! | linfa-ftrl, alpha 0.1, l2 1, 3 epochs | 0.346 | 38 s |
//! | linfa-bayes MultinomialNb, alpha 1 | 0.220 | 10 s |
//!
//! Of linfa's estimators, linfa-logistic's L-BFGS logistic regression is the most accurate,
//! faster than FTRL here (linfa-ftrl updates every feature on every row), deterministic, the
//! same objective as scikit-learn's `LogisticRegression` (linfa's `alpha` = 1 / C), and its
//! scores are probabilities. MultinomialNb is far behind on these multi-label sets and
//! linfa-bayes 0.8.1 prints its internal state to stderr on every fit (a stray `dbg!`), so it is
//! not offered. linfa-ftrl is offered as the online alternative (no intercept, so a constant
//! column is added).
//!
//! All of linfa's solvers need dense matrices, which is what makes them slow on text. The
//! default estimator is therefore rhetor's own [`Estimator::Logistic`]: the same L2 logistic
//! regression solved by dual coordinate descent directly on sparse rows (`dcd.rs`), which
//! implements linfa's `Fit` / `Predict` traits over linfa's `Dataset` and agrees with
//! linfa-logistic in the tests. It takes class weights as sample weights; the dense linfa
//! estimators take no weights, so for them weights are realised by repeating rows.
//!
//! linfa 0.8.1's binary `LogisticRegression` calls the *more frequent* class "positive"
//! (rust-ml/linfa#393): the copied weights are negated when the positive class is `false`, so a
//! [`Link::Sigmoid`] output is always P(label present). The test
//! `sparse_scores_equal_linfa_predict` checks this against linfa's own `predict_probabilities`.

use linfa::prelude::*;
use linfa::DatasetBase;
use linfa_ftrl::Ftrl;
use linfa_logistic::{LogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2, ArrayView2, ShapeBuilder};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use serde::{Deserialize, Serialize};

use super::dcd::{DcdLogisticParams, SparseRows};
use super::linear::{Link, SparseLinear, ABSENT_CLASS_LOGIT};
use crate::features::CsrMatrix;

/// The estimator used for every head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Estimator {
    /// rhetor's L2-regularised logistic regression by dual coordinate descent on sparse rows
    /// (one binary model per label; one-vs-rest for single-label heads). The default.
    Logistic {
        /// Inverse regularisation strength, as scikit-learn's `C`.
        c: f32,
        /// Stopping tolerance on the dual projected gradient.
        eps: f32,
        /// Passes over the rows at most.
        max_epochs: usize,
    },
    /// linfa-logistic: L2-regularised logistic regression fitted by L-BFGS on dense matrices
    /// (softmax for single-label heads, one binary model per label for multi-label heads).
    LinfaLogistic {
        /// Inverse regularisation strength, as scikit-learn's `C` (linfa's `alpha` = 1 / C).
        c: f32,
        /// L-BFGS iteration limit.
        max_iter: u64,
        /// Tolerance on the gradient norm of the mean loss (linfa's tolerance applies to the
        /// summed loss, so it is multiplied by the number of rows).
        tol: f32,
    },
    /// linfa-ftrl: FTRL-Proximal logistic regression, one pass over the rows per epoch
    /// (one-vs-rest for single-label heads).
    LinfaFtrl {
        /// Learning-rate scale.
        alpha: f32,
        /// Learning-rate smoothing.
        beta: f32,
        /// L1 strength.
        l1: f32,
        /// L2 strength.
        l2: f32,
        /// Passes over the training rows.
        epochs: usize,
    },
}

impl Default for Estimator {
    fn default() -> Self {
        Estimator::Logistic {
            c: 1.0,
            eps: 0.1,
            max_epochs: 1000,
        }
    }
}

impl Estimator {
    /// Range checks, with a message naming the bad value.
    pub fn check(&self) -> Result<(), String> {
        let positive = |name: &str, v: f32| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number > 0 (got {v})"))
            }
        };
        let at_least_one = |name: &str, v: usize| {
            if v == 0 {
                Err(format!("{name} must be at least 1"))
            } else {
                Ok(())
            }
        };
        match *self {
            Estimator::Logistic { c, eps, max_epochs } => {
                positive("C", c)?;
                positive("eps", eps)?;
                at_least_one("max_epochs", max_epochs)?;
            }
            Estimator::LinfaLogistic { c, max_iter, tol } => {
                positive("C", c)?;
                positive("tolerance", tol)?;
                at_least_one("max_iter", max_iter as usize)?;
            }
            Estimator::LinfaFtrl {
                alpha,
                beta,
                l1,
                l2,
                epochs,
            } => {
                positive("ftrl alpha", alpha)?;
                if !(beta.is_finite() && beta >= 0.0) {
                    return Err(format!(
                        "ftrl beta must be a finite number >= 0 (got {beta})"
                    ));
                }
                for (name, v) in [("ftrl l1", l1), ("ftrl l2", l2)] {
                    if !(0.0..=1.0).contains(&v) {
                        return Err(format!("{name} must be in [0, 1] (got {v})"));
                    }
                }
                at_least_one("epochs", epochs)?;
            }
        }
        Ok(())
    }

    /// The estimator's C, if it has one.
    pub fn c(&self) -> Option<f32> {
        match *self {
            Estimator::Logistic { c, .. } | Estimator::LinfaLogistic { c, .. } => Some(c),
            Estimator::LinfaFtrl { .. } => None,
        }
    }

    /// The same estimator with another C (estimators without a C are returned as they are).
    pub fn with_c(&self, c: f32) -> Estimator {
        let mut e = self.clone();
        match &mut e {
            Estimator::Logistic { c: old, .. } | Estimator::LinfaLogistic { c: old, .. } => {
                *old = c
            }
            Estimator::LinfaFtrl { .. } => {}
        }
        e
    }

    /// The name used on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Estimator::Logistic { .. } => "logistic",
            Estimator::LinfaLogistic { .. } => "linfa-logistic",
            Estimator::LinfaFtrl { .. } => "linfa-ftrl",
        }
    }
}

/// Training rows for one model: which rows of the head's matrix, each row's sample weight
/// (its class weight), and the selected features.
#[derive(Clone)]
pub(crate) struct Design<'a> {
    pub x: &'a CsrMatrix,
    /// Rows of `x`.
    pub rows: Vec<usize>,
    /// Sample weight of each row (1 when classes are not weighted).
    pub weights: Vec<f32>,
    /// Selected global feature ids, increasing.
    pub features: Vec<u32>,
    /// Scale binary models' features by their naive-Bayes log-count ratio (NB-SVM).
    pub nb: bool,
}

/// Largest number of times one row is repeated to realise a weight for the dense estimators
/// (bounds memory for very rare classes).
const MAX_REPEAT: usize = 64;

impl Design<'_> {
    /// For the dense linfa estimators, which take no weights: positions in `rows` repeated in
    /// proportion to their weights (the lightest weight counts once), and the factor by which
    /// the regularisation must grow so that the objective keeps scikit-learn's scale.
    fn repeated(&self) -> (Vec<usize>, f32) {
        let min = self.weights.iter().copied().fold(f32::INFINITY, f32::min);
        let mut out = Vec::with_capacity(self.rows.len());
        for (i, &w) in self.weights.iter().enumerate() {
            let r = ((w / min).round() as usize).clamp(1, MAX_REPEAT);
            out.extend(std::iter::repeat_n(i, r));
        }
        // Weighted objective: Σ w_i loss_i ≈ min · Σ repeated loss, so alpha grows by 1 / min.
        (out, 1.0 / min)
    }

    /// Naive-Bayes log-count ratios of the selected features for labels `y` (Wang & Manning
    /// 2012, "Baselines and bigrams", NBSVM): with feature presence counted per class and
    /// add-one smoothing, `r_j = ln((p_j / ‖p‖₁) / (q_j / ‖q‖₁))`. A model trained on `x ⊙ r`
    /// is the linear model `w ⊙ r` on `x`, so the ratios fold into the weights afterwards.
    fn nb_ratios(&self, y: &[bool]) -> Vec<f32> {
        let k = self.features.len();
        let mut local = vec![u32::MAX; self.x.n_cols()];
        for (i, &f) in self.features.iter().enumerate() {
            local[f as usize] = i as u32;
        }
        let (mut p, mut q) = (vec![1.0f64; k], vec![1.0f64; k]);
        for (&r, &yi) in self.rows.iter().zip(y) {
            let counts = if yi { &mut p } else { &mut q };
            for &id in self.x.row(r).0 {
                let j = local[id as usize];
                if j != u32::MAX {
                    counts[j as usize] += 1.0;
                }
            }
        }
        let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
        p.iter()
            .zip(&q)
            .map(|(pj, qj)| ((pj / sp) / (qj / sq)).ln() as f32)
            .collect()
    }

    /// The dense, column-major matrix of the selected features for the given positions in
    /// `rows` (linfa's solvers are 2–3× faster on column-major data), with an optional trailing
    /// column of ones, each feature multiplied by `scale` when given.
    fn dense(&self, positions: &[usize], bias_column: bool, scale: Option<&[f32]>) -> Array2<f32> {
        let k = self.features.len() + usize::from(bias_column);
        let mut local = vec![u32::MAX; self.x.n_cols()];
        for (i, &f) in self.features.iter().enumerate() {
            local[f as usize] = i as u32;
        }
        let mut m = Array2::<f32>::zeros((positions.len(), k).f());
        for (i, &p) in positions.iter().enumerate() {
            let (ids, vals) = self.x.row(self.rows[p]);
            for (&id, &v) in ids.iter().zip(vals) {
                let j = local[id as usize];
                if j != u32::MAX {
                    m[[i, j as usize]] = scale.map_or(v, |s| v * s[j as usize]);
                }
            }
            if bias_column {
                m[[i, k - 1]] = 1.0;
            }
        }
        m
    }
}

fn linfa_error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Fits a binary model; the output is P(`y` is true). `y` is aligned with `design.rows`.
pub(crate) fn fit_binary(
    est: &Estimator,
    design: &Design,
    y: &[bool],
    seed: u64,
) -> Result<SparseLinear, String> {
    debug_assert_eq!(design.rows.len(), y.len());
    let k = design.features.len();
    let scale = design.nb.then(|| design.nb_ratios(y));
    let scale = scale.as_deref();
    let (mut weights, intercept): (Vec<f32>, f32) = match *est {
        Estimator::Logistic { c, eps, max_epochs } => {
            let rows = SparseRows::select_scaled(design.x, &design.rows, &design.features, scale);
            let ds = DatasetBase::new(rows, Array1::from(y.to_vec()))
                .with_weights(Array1::from(design.weights.clone()));
            let model = DcdLogisticParams::new()
                .c(f64::from(c))
                .eps(f64::from(eps))
                .max_epochs(max_epochs)
                .seed(seed)
                .check()
                .map_err(linfa_error)?
                .fit(&ds)
                .map_err(linfa_error)?;
            (model.weights, model.intercept)
        }
        Estimator::LinfaLogistic { c, max_iter, tol } => {
            let (positions, reg_scale) = design.repeated();
            let x = design.dense(&positions, false, scale);
            let yr: Vec<bool> = positions.iter().map(|&p| y[p]).collect();
            let ds = DatasetBase::new(x.view(), Array1::from(yr));
            let model = LogisticRegression::default()
                .alpha(reg_scale / c)
                .max_iterations(max_iter)
                .gradient_tolerance(tol * positions.len() as f32)
                .fit(&ds)
                .map_err(linfa_error)?;
            // linfa 0.8.1 calls the more frequent class positive (#393).
            let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
            (
                model.params().iter().map(|w| sign * w).collect(),
                sign * model.intercept(),
            )
        }
        Estimator::LinfaFtrl {
            alpha,
            beta,
            l1,
            l2,
            epochs,
        } => {
            // linfa-ftrl's l1 / l2 are ratios in [0, 1] applied per update: not rescaled.
            let (positions, _) = design.repeated();
            let x = design.dense(&positions, true, scale);
            let yr: Vec<bool> = positions.iter().map(|&p| y[p]).collect();
            let w = fit_ftrl(x.view(), &yr, alpha, beta, l1, l2, epochs, seed)?;
            (w[..k].to_vec(), w[k])
        }
    };
    if let Some(r) = scale {
        weights.iter_mut().zip(r).for_each(|(w, r)| *w *= r);
    }
    Ok(SparseLinear {
        features: design.features.clone(),
        weights,
        intercepts: vec![intercept],
        link: Link::Sigmoid,
    })
}

#[allow(clippy::too_many_arguments)]
fn fit_ftrl(
    x: ArrayView2<f32>,
    y: &[bool],
    alpha: f32,
    beta: f32,
    l1: f32,
    l2: f32,
    epochs: usize,
    seed: u64,
) -> Result<Vec<f32>, String> {
    let params = Ftrl::params_with_rng(Xoshiro256Plus::seed_from_u64(seed))
        .alpha(alpha)
        .beta(beta)
        .l1_ratio(l1)
        .l2_ratio(l2)
        .check()
        .map_err(linfa_error)?;
    let mut model: Option<Ftrl<f32>> = None;
    // FTRL is online: one update per row, rows visited in a seeded order each epoch.
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    let mut rng = Xoshiro256Plus::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
    for _ in 0..epochs {
        rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
        for &i in &order {
            let row = x.slice(ndarray::s![i..i + 1, ..]);
            let ds = DatasetBase::new(row, Array1::from(vec![y[i]]));
            model = Some(params.fit_with(model, &ds).map_err(linfa_error)?);
        }
    }
    let model = model.ok_or("no training rows")?;
    Ok(model.get_weights().to_vec())
}

/// Fits a single-label model over `n_classes` classes; `y` holds class indices aligned with
/// `design.rows`. Classes absent from `y` get [`ABSENT_CLASS_LOGIT`].
pub(crate) fn fit_multiclass(
    est: &Estimator,
    design: &Design,
    y: &[usize],
    n_classes: usize,
    seed: u64,
) -> Result<SparseLinear, String> {
    let k = design.features.len();
    let mut weights = vec![0.0f32; k * n_classes];
    let mut intercepts = vec![ABSENT_CLASS_LOGIT; n_classes];
    let link = match *est {
        Estimator::LinfaLogistic { c, max_iter, tol } => {
            let (positions, scale) = design.repeated();
            let x = design.dense(&positions, false, None);
            let yr: Vec<usize> = positions.iter().map(|&p| y[p]).collect();
            let ds = DatasetBase::new(x.view(), Array1::from(yr));
            let model = MultiLogisticRegression::default()
                .alpha(scale / c)
                .max_iterations(max_iter)
                .gradient_tolerance(tol * positions.len() as f32)
                .fit(&ds)
                .map_err(linfa_error)?;
            let params = model.params();
            for (col, &class) in model.classes().iter().enumerate() {
                intercepts[class] = model.intercept()[col];
                for i in 0..k {
                    weights[i * n_classes + class] = params[[i, col]];
                }
            }
            Link::Softmax
        }
        Estimator::Logistic { .. } | Estimator::LinfaFtrl { .. } => {
            // One-vs-rest binary models, probabilities rescaled to sum to one.
            for class in 0..n_classes {
                let yc: Vec<bool> = y.iter().map(|&c| c == class).collect();
                if !yc.iter().any(|&b| b) {
                    continue;
                }
                let m = fit_binary(est, design, &yc, seed.wrapping_add(class as u64))?;
                intercepts[class] = m.intercepts[0];
                for i in 0..k {
                    weights[i * n_classes + class] = m.weights[i];
                }
            }
            Link::NormalizedSigmoid
        }
    };
    Ok(SparseLinear {
        features: design.features.clone(),
        weights,
        intercepts,
        link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::SparseVec;
    use crate::model::linear::apply_link;
    use approx::assert_abs_diff_eq;

    /// A small sparse problem where the rare class is `true`, so linfa's label orientation
    /// bug would flip the probabilities if the weights were copied as they are.
    fn toy() -> (CsrMatrix, Vec<bool>) {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..40u32 {
            let pos = i % 5 == 0;
            let mut r = SparseVec::default();
            r.indices.push(i % 3);
            r.values.push(0.5);
            r.indices.push(if pos { 3 } else { 4 + i % 2 });
            r.values.push(0.8);
            if i % 7 == 0 {
                r.indices.push(6);
                r.values.push(0.3);
            }
            rows.push(r);
            y.push(pos);
        }
        (CsrMatrix::from_rows(7, &rows), y)
    }

    const LINFA: Estimator = Estimator::LinfaLogistic {
        c: 1.0,
        max_iter: 100,
        tol: 1e-3,
    };

    /// linfa's own settings for the rows of `design`, as `fit_binary` derives them.
    fn linfa_settings(design: &Design) -> (f32, u64, f32) {
        let Estimator::LinfaLogistic { c, max_iter, tol } = LINFA else {
            unreachable!()
        };
        (1.0 / c, max_iter, tol * design.rows.len() as f32)
    }

    fn design(x: &CsrMatrix, features: Vec<u32>) -> Design<'_> {
        Design {
            x,
            rows: (0..x.n_rows()).collect(),
            weights: vec![1.0; x.n_rows()],
            features,
            nb: false,
        }
    }

    #[test]
    fn sparse_scores_equal_linfa_predict() {
        let (x, y) = toy();
        let design = design(&x, vec![0, 1, 3, 4, 6]);
        let sparse = fit_binary(&LINFA, &design, &y, 0).unwrap();

        // linfa's own model on the same dense rows.
        let all: Vec<usize> = (0..x.n_rows()).collect();
        let dense = design.dense(&all, false, None);
        let ds = DatasetBase::new(dense.view(), Array1::from(y.clone()));
        let (alpha, max_iter, tol) = linfa_settings(&design);
        let linfa_model = LogisticRegression::default()
            .alpha(alpha)
            .max_iterations(max_iter)
            .gradient_tolerance(tol)
            .fit(&ds)
            .unwrap();
        assert!(
            !linfa_model.labels().pos.class,
            "the toy must exercise linfa's orientation (rare class true)"
        );
        let linfa_p = linfa_model.predict_probabilities(&dense);
        let mut out = Vec::new();
        for r in 0..x.n_rows() {
            let (ids, vals) = x.row(r);
            sparse.logits(ids, vals, &mut out);
            apply_link(Link::Sigmoid, &mut out);
            // linfa's probability is of its "positive" (= more frequent = false) class.
            assert_abs_diff_eq!(out[0], 1.0 - linfa_p[r], epsilon = 1e-6);
        }
        // And the model separates the classes.
        let (ids, vals) = x.row(0);
        sparse.logits(ids, vals, &mut out);
        assert!(out[0] > 0.0, "row 0 is positive");
    }

    #[test]
    fn multiclass_sparse_scores_equal_linfa_predict() {
        let (x, y) = toy();
        let classes: Vec<usize> = y
            .iter()
            .enumerate()
            .map(|(i, &p)| if p { 2 } else { i % 2 })
            .collect();
        let design = design(&x, vec![0, 1, 2, 3, 4, 5, 6]);
        let sparse = fit_multiclass(&LINFA, &design, &classes, 4, 0).unwrap();
        assert_eq!(
            sparse.intercepts[3], ABSENT_CLASS_LOGIT,
            "class 3 never seen"
        );
        let all: Vec<usize> = (0..x.n_rows()).collect();
        let dense = design.dense(&all, false, None);
        let ds = DatasetBase::new(dense.view(), Array1::from(classes.clone()));
        let (alpha, max_iter, tol) = linfa_settings(&design);
        let linfa_model = MultiLogisticRegression::default()
            .alpha(alpha)
            .max_iterations(max_iter)
            .gradient_tolerance(tol)
            .fit(&ds)
            .unwrap();
        let linfa_p = linfa_model.predict_probabilities(&dense);
        let mut out = Vec::new();
        for r in 0..x.n_rows() {
            let (ids, vals) = x.row(r);
            sparse.logits(ids, vals, &mut out);
            apply_link(Link::Softmax, &mut out);
            for c in 0..3 {
                assert_abs_diff_eq!(out[c], linfa_p[[r, c]], epsilon = 1e-6);
            }
            assert_abs_diff_eq!(out[3], 0.0);
        }
    }

    #[test]
    fn default_estimator_learns_the_toy_with_weights() {
        let (x, y) = toy();
        let mut d = design(&x, vec![0, 1, 2, 3, 4, 5, 6]);
        d.weights = y.iter().map(|&p| if p { 4.0 } else { 1.0 }).collect();
        let m = fit_binary(&Estimator::default(), &d, &y, 0).unwrap();
        let mut out = Vec::new();
        for (r, &truth) in y.iter().enumerate() {
            let (ids, vals) = x.row(r);
            m.logits(ids, vals, &mut out);
            assert_eq!(out[0] > 0.0, truth, "row {r}");
        }
    }

    /// NB scaling trains on x ⊙ r and folds r into the weights: the sparse logits of the
    /// folded model equal those of a model fitted on explicitly scaled rows.
    #[test]
    fn nb_scaling_folds_into_the_weights() {
        let (x, y) = toy();
        let mut d = design(&x, vec![0, 1, 3, 4, 6]);
        d.nb = true;
        let folded = fit_binary(&Estimator::default(), &d, &y, 0).unwrap();
        let r = d.nb_ratios(&y);
        assert!(
            r[2] > 0.0 && r[3] < 0.0,
            "feature 3 marks positives, 4 negatives: {r:?}"
        );
        // Fit on the scaled rows directly.
        let rows = SparseRows::select_scaled(&x, &d.rows, &d.features, Some(&r));
        let ds = DatasetBase::new(rows, Array1::from(y.clone()));
        let plain = DcdLogisticParams::new().check().unwrap().fit(&ds).unwrap();
        for ((f, p), r) in folded.weights.iter().zip(&plain.weights).zip(&r) {
            assert_abs_diff_eq!(*f, p * r, epsilon = 1e-6);
        }
        assert_abs_diff_eq!(folded.intercepts[0], plain.intercept, epsilon = 1e-6);
    }

    #[test]
    fn repeated_rows_follow_weights() {
        let (x, _) = toy();
        let mut d = design(&x, vec![0]);
        d.rows = vec![5, 6, 7];
        d.weights = vec![0.5, 1.5, 1000.0];
        let (positions, scale) = d.repeated();
        assert_eq!(
            positions,
            [0, 1, 1, 1, 2]
                .iter()
                .copied()
                .chain(std::iter::repeat_n(2, 63))
                .collect::<Vec<_>>()
        );
        assert!((scale - 2.0).abs() < 1e-6);
    }

    #[test]
    fn ftrl_learns_the_toy() {
        let (x, y) = toy();
        let design = design(&x, vec![0, 1, 2, 3, 4, 5, 6]);
        let est = Estimator::LinfaFtrl {
            alpha: 0.5,
            beta: 1.0,
            l1: 0.0,
            l2: 0.1,
            epochs: 20,
        };
        let m = fit_binary(&est, &design, &y, 7).unwrap();
        let mut out = Vec::new();
        let mut correct = 0;
        for (r, &truth) in y.iter().enumerate() {
            let (ids, vals) = x.row(r);
            m.logits(ids, vals, &mut out);
            correct += usize::from((out[0] > 0.0) == truth);
        }
        assert_eq!(correct, y.len());
    }

    #[test]
    fn bad_estimator_settings_are_reported() {
        let cases = [
            (
                Estimator::Logistic {
                    c: 0.0,
                    eps: 0.1,
                    max_epochs: 10,
                },
                "C must be a finite number > 0 (got 0)",
            ),
            (
                Estimator::Logistic {
                    c: 1.0,
                    eps: 0.1,
                    max_epochs: 0,
                },
                "max_epochs must be at least 1",
            ),
            (
                Estimator::LinfaLogistic {
                    c: 1.0,
                    max_iter: 0,
                    tol: 1e-4,
                },
                "max_iter must be at least 1",
            ),
            (
                Estimator::LinfaFtrl {
                    alpha: 1.0,
                    beta: -1.0,
                    l1: 0.0,
                    l2: 0.0,
                    epochs: 1,
                },
                "ftrl beta must be a finite number >= 0 (got -1)",
            ),
            (
                Estimator::LinfaFtrl {
                    alpha: 1.0,
                    beta: 1.0,
                    l1: 0.0,
                    l2: 1.5,
                    epochs: 1,
                },
                "ftrl l2 must be in [0, 1] (got 1.5)",
            ),
        ];
        for (est, msg) in cases {
            assert_eq!(est.check().unwrap_err(), msg);
        }
    }
}
