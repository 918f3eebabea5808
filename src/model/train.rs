//! Training: a labelled corpus in, a [`Model`] out.
//!
//! 1. Every task in the labels (or the ones asked for) gets a head.
//! 2. The analyzer and TF-IDF are fitted once on the training texts.
//! 3. Each model of a head selects its own top-K features by chi-square, is fitted by the linfa
//!    estimator on the dense matrix of those features, and keeps the fitted weights as a
//!    [`SparseLinear`]. Class imbalance is handled by class weights (scikit-learn's "balanced"
//!    weights, realised by repeating rows; the regularisation is rescaled to match).
//! 4. Single-label heads fit one softmax model, plus one per stance target that has at least
//!    `min_target_records` records (the SemEval-2016 baseline's design).
//! 5. Multi-label heads fit one binary model per label and tune one threshold per label: on the
//!    dev records when given, otherwise on out-of-fold scores from cross-validation over the
//!    training records, with folds grouped by document.
//!
//! Every step is deterministic for a given seed, whatever the number of threads.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::estimator::{fit_binary, fit_multiclass, Design, Estimator};
use super::linear::{sigmoid, DenseWeights, Link, SparseLinear};
use super::select::{chi2, top_k};
use super::{normalize_target, Head, HeadBody, Model, ModelData};
use crate::corpus::{discover_tasks, LabelValue, Record, TaskInfo, TaskKind};
use crate::error::{Error, TrainError};
use crate::eval::EvalReport;
use crate::features::{CsrMatrix, TfIdfParams, TfIdfValidParams};
use crate::text::{AnalyzerConfig, AnalyzerParams};

/// How classes are weighted in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ClassWeight {
    /// Every record counts once.
    None,
    /// Each class weighs n / (k · n_class), as scikit-learn's `class_weight="balanced"`.
    #[default]
    Balanced,
}

/// The cross-validated measure that chooses C for single-label heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SelectMetric {
    /// Macro-averaged F1 over the labels.
    #[default]
    MacroF1,
    /// Accuracy.
    Accuracy,
    /// Mean F1 of `favor` and `against` (SemEval-2016 stance); needs both labels.
    FAvg,
}

impl SelectMetric {
    fn of(self, r: &crate::eval::TaskReport) -> f64 {
        match self {
            SelectMetric::MacroF1 => r.macro_f1,
            SelectMetric::Accuracy => r.accuracy.unwrap_or(r.micro_f1),
            SelectMetric::FAvg => r.f_avg.unwrap_or(0.0),
        }
    }

    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SelectMetric::MacroF1 => "macro-F1",
            SelectMetric::Accuracy => "accuracy",
            SelectMetric::FAvg => "F_avg",
        }
    }
}

/// Training settings.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `analyzer` | see [`AnalyzerParams`] | tokens, stemming, n-grams | |
/// | `tfidf` | see [`TfIdfParams`] | vocabulary and weighting | |
/// | `estimator` | logistic, C = 1 | the linfa estimator | see [`Estimator`] |
/// | `features_per_head` | 5000 | chi-square top-K features per model | >= 1 |
/// | `class_weight` | balanced | class imbalance | |
/// | `folds` | 5 | cross-validation folds for thresholds (grouped by document) | >= 2 |
/// | `seed` | 42 | folds and any randomised estimator | |
/// | `min_target_records` | 200 | records a stance target needs for its own model (0: never) | |
/// | `c_grid` | 0.3, 1, 3, 10 | C values searched by cross-validation for single-label heads | each > 0 |
/// | `select_metric` | macro-F1 | what the search maximises | |
/// | `tasks` | all | tasks to train | names in the labels |
///
/// # Errors
/// [`TrainParams::check`] returns the analyzer's, the TF-IDF's or a
/// [`TrainError::BadParam`] error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Text stage.
    pub analyzer: AnalyzerParams,
    /// Feature stage.
    pub tfidf: TfIdfParams,
    /// Estimator.
    pub estimator: Estimator,
    /// Features each model keeps (chi-square top-K).
    pub features_per_head: usize,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Cross-validation folds.
    pub folds: usize,
    /// Random seed.
    pub seed: u64,
    /// Records a target needs for its own single-label model; 0 disables per-target models.
    pub min_target_records: usize,
    /// Candidate values of C for single-label heads, chosen by cross-validation (logistic
    /// estimator; one value or none: no search, the estimator's C is used).
    pub c_grid: Vec<f32>,
    /// The measure that chooses C.
    pub select_metric: SelectMetric,
    /// Tasks to train (empty: every task in the labels).
    pub tasks: Vec<String>,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            analyzer: AnalyzerParams::default(),
            tfidf: TfIdfParams::default(),
            estimator: Estimator::default(),
            features_per_head: 5000,
            class_weight: ClassWeight::Balanced,
            folds: 5,
            seed: 42,
            min_target_records: 200,
            c_grid: vec![0.3, 1.0, 3.0, 10.0],
            select_metric: SelectMetric::MacroF1,
            tasks: Vec::new(),
        }
    }
}

/// Checked training settings; only [`TrainParams::check`] makes one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidTrainParams {
    params: TrainParams,
    analyzer: AnalyzerConfig,
    tfidf: TfIdfValidParams,
}

impl TrainParams {
    /// Validates every setting.
    pub fn check(self) -> Result<ValidTrainParams, Error> {
        let analyzer = self.analyzer.clone().check()?;
        let tfidf = self.tfidf.clone().check()?;
        self.estimator.check().map_err(TrainError::BadParam)?;
        if self.features_per_head == 0 {
            return Err(TrainError::BadParam("features per head must be at least 1".into()).into());
        }
        if let Some(c) = self.c_grid.iter().find(|c| !(c.is_finite() && **c > 0.0)) {
            return Err(TrainError::BadParam(format!(
                "every C in the grid must be a finite number > 0 (got {c})"
            ))
            .into());
        }
        if self.folds < 2 {
            return Err(TrainError::BadParam(format!(
                "cross-validation needs at least 2 folds (got {})",
                self.folds
            ))
            .into());
        }
        Ok(ValidTrainParams {
            params: self,
            analyzer,
            tfidf,
        })
    }
}

impl ValidTrainParams {
    /// The settings.
    pub fn params(&self) -> &TrainParams {
        &self.params
    }
}

/// A data file a model was trained or tuned on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFileInfo {
    /// The path as given.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Records read from it.
    pub records: usize,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

impl DataFileInfo {
    /// Hashes a file (streaming).
    pub fn of_file(path: &Path, records: usize) -> std::io::Result<DataFileInfo> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
            hasher.update(&buf[..n]);
        }
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(DataFileInfo {
            path: path.display().to_string(),
            bytes,
            records,
            sha256,
        })
    }
}

/// Facts about one trained head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadMeta {
    /// Task name.
    pub task: String,
    /// Training records labelled for the task.
    pub n_train: usize,
    /// Training records per label.
    pub label_counts: BTreeMap<String, usize>,
    /// Targets with their own model.
    pub targets: Vec<String>,
    /// For multi-label heads: the out-of-fold (or dev) F1 each label's threshold reached.
    pub threshold_f1: Vec<f32>,
    /// For single-label heads: the cross-validated selection measure of each candidate
    /// setting; empty when there was no search.
    pub search: Vec<SearchPoint>,
    /// The C the head was fitted with (logistic estimator).
    pub c: Option<f32>,
}

/// How a model was trained: stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingMeta {
    /// rhetor version that trained it.
    pub rhetor_version: String,
    /// The settings.
    pub settings: TrainParams,
    /// Training files.
    pub train_files: Vec<DataFileInfo>,
    /// Dev files (thresholds were tuned on them).
    pub dev_files: Vec<DataFileInfo>,
    /// Training records used.
    pub n_train_records: usize,
    /// Where the multi-label thresholds come from.
    pub thresholds_from: String,
    /// Per head.
    pub heads: Vec<HeadMeta>,
    /// Metrics on the dev files, as the JSON of an [`EvalReport`].
    pub dev_metrics_json: Option<String>,
}

impl TrainingMeta {
    /// The dev metrics, if the model was trained with dev files.
    pub fn dev_metrics(&self) -> Option<EvalReport> {
        self.dev_metrics_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
    }
}

/// One candidate setting of a single-label head and its cross-validated score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchPoint {
    /// C (the estimator's C when it has none to search).
    pub c: f32,
    /// Whether stance targets with enough records had their own models.
    pub per_target: bool,
    /// Cross-validated selection measure.
    pub score: f64,
}

/// What happened during training, for the person who asked.
#[derive(Debug, Clone, Default)]
pub struct TrainReport {
    /// Things the user should know (skipped tasks, rare labels...).
    pub warnings: Vec<String>,
    /// (stage, seconds).
    pub timings: Vec<(String, f64)>,
}

/// The records of one task: rows of the feature matrix and their labels as indices.
struct TaskData<'a> {
    info: &'a TaskInfo,
    labels: Vec<String>,
    rows: Vec<usize>,
    /// Label indices per row (one for single-label tasks).
    gold: Vec<Vec<usize>>,
    docs: Vec<&'a str>,
    targets: Vec<Option<String>>,
}

/// Fold of each row: documents shuffled with the seed, then dealt round-robin into `k` folds.
fn folds_by_document(docs: &[&str], k: usize, seed: u64) -> Vec<usize> {
    let mut unique: Vec<&str> = docs.to_vec();
    unique.sort_unstable();
    unique.dedup();
    unique.shuffle(&mut Xoshiro256Plus::seed_from_u64(seed));
    let fold_of: HashMap<&str, usize> = unique
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, i % k))
        .collect();
    docs.iter().map(|d| fold_of[d]).collect()
}

/// Per-row weights: scikit-learn's "balanced" class weights `n / (k · n_c)` (k: classes present),
/// or 1 for every row.
fn class_weights(class_of: &[usize], n_classes: usize, cw: ClassWeight) -> Vec<f32> {
    match cw {
        ClassWeight::None => vec![1.0; class_of.len()],
        ClassWeight::Balanced => {
            let mut counts = vec![0usize; n_classes];
            for &c in class_of {
                counts[c] += 1;
            }
            let present = counts.iter().filter(|&&c| c > 0).count().max(1);
            let n = class_of.len() as f64;
            class_of
                .iter()
                .map(|&c| (n / (present as f64 * counts[c] as f64)) as f32)
                .collect()
        }
    }
}

/// The design (rows, class weights, chi-square-selected features) for rows `rows` with
/// classes `class_of`.
fn design<'a>(
    x: &'a CsrMatrix,
    rows: &[usize],
    class_of: &[usize],
    n_classes: usize,
    params: &TrainParams,
) -> Design<'a> {
    let scores = chi2(x, rows, class_of, n_classes);
    Design {
        x,
        rows: rows.to_vec(),
        weights: class_weights(class_of, n_classes, params.class_weight),
        features: top_k(&scores, params.features_per_head),
    }
}

/// The threshold that maximises F1 over (probability, is positive) pairs, and that F1.
///
/// The threshold is set halfway between the lowest accepted and the highest rejected score, so
/// that it does not sit on a training score. With no positive example it is 0.5 (F1 0).
pub fn best_threshold(scored: &[(f32, bool)]) -> (f32, f32) {
    best_cut(scored, Counts::default())
}

/// True positives, false positives and false negatives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn f1(self) -> f32 {
        let d = 2 * self.tp + self.fp + self.fn_;
        if d == 0 {
            0.0
        } else {
            2.0 * self.tp as f32 / d as f32
        }
    }

    fn add(self, o: Counts) -> Counts {
        Counts {
            tp: self.tp + o.tp,
            fp: self.fp + o.fp,
            fn_: self.fn_ + o.fn_,
        }
    }

    fn sub(self, o: Counts) -> Counts {
        Counts {
            tp: self.tp - o.tp,
            fp: self.fp - o.fp,
            fn_: self.fn_ - o.fn_,
        }
    }

    fn at(scored: &[(f32, bool)], threshold: f32) -> Counts {
        let mut c = Counts::default();
        for &(p, y) in scored {
            match (p >= threshold, y) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                (false, false) => {}
            }
        }
        c
    }
}

/// The threshold on `scored` that maximises the F1 of `base + counts(scored, threshold)`:
/// with an empty base, the F1 of this label alone; with the other labels' counts as base, the
/// micro-F1 of the whole task.
fn best_cut(scored: &[(f32, bool)], base: Counts) -> (f32, f32) {
    let n_pos = scored.iter().filter(|(_, y)| *y).count();
    let mut s: Vec<(f32, bool)> = scored.to_vec();
    s.sort_by(|a, b| b.0.total_cmp(&a.0));
    // Predicting nothing is a candidate too (threshold above every score).
    let none = base.add(Counts {
        fn_: n_pos,
        ..Counts::default()
    });
    let (mut best_f1, mut best_k) = (none.f1(), 0usize);
    let mut tp = 0usize;
    for k in 1..=s.len() {
        tp += usize::from(s[k - 1].1);
        // Only cut between distinct scores.
        if k < s.len() && s[k].0 == s[k - 1].0 {
            continue;
        }
        let f1 = base
            .add(Counts {
                tp,
                fp: k - tp,
                fn_: n_pos - tp,
            })
            .f1();
        if f1 > best_f1 {
            best_f1 = f1;
            best_k = k;
        }
    }
    if best_k == 0 {
        let t = s.first().map_or(0.5, |top| ((top.0 + 1.0) / 2.0).max(0.5));
        return (t, best_f1);
    }
    let lo = if best_k < s.len() { s[best_k].0 } else { 0.0 };
    let t = (s[best_k - 1].0 + lo) / 2.0;
    (t.clamp(1e-6, 1.0), best_f1)
}

/// Per-label thresholds that maximise the micro-F1 of a multi-label task: the best single
/// threshold for all labels first, then rounds of coordinate ascent, each label's threshold
/// moved only when that raises the task's micro-F1. Unlike maximising each label's own F1,
/// this never lets a rare label buy a tiny F1 by predicting itself everywhere.
///
/// Returns the thresholds and the micro-F1 they reach on `scores`.
pub fn tune_thresholds(scores: &[Vec<(f32, bool)>]) -> (Vec<f32>, f32) {
    let pooled: Vec<(f32, bool)> = scores.iter().flatten().copied().collect();
    let (global, _) = best_cut(&pooled, Counts::default());
    let mut thresholds = vec![global; scores.len()];
    let mut per_label: Vec<Counts> = scores.iter().map(|s| Counts::at(s, global)).collect();
    let mut total = per_label.iter().fold(Counts::default(), |a, &c| a.add(c));
    for _round in 0..3 {
        let mut changed = false;
        for (l, s) in scores.iter().enumerate() {
            let others = total.sub(per_label[l]);
            let (t, f1) = best_cut(s, others);
            if f1 > total.f1() + 1e-6 {
                thresholds[l] = t;
                per_label[l] = Counts::at(s, t);
                total = others.add(per_label[l]);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    (thresholds, total.f1())
}

/// Each label's own F1 at its threshold.
fn label_f1s(scores: &[Vec<(f32, bool)>], thresholds: &[f32]) -> Vec<f32> {
    scores
        .iter()
        .zip(thresholds)
        .map(|(s, &t)| Counts::at(s, t).f1())
        .collect()
}

fn estimator_error(task: &str, message: String) -> Error {
    TrainError::Estimator {
        task: task.to_string(),
        message,
    }
    .into()
}

/// Groups of task rows that get their own single-label model: all of `subset` first, then each
/// stance target with at least `min_target_records` records (and two classes) in `subset`.
fn single_groups(
    task: &TaskData,
    subset: &[usize],
    params: &TrainParams,
    per_target: bool,
) -> Vec<(Option<String>, Vec<usize>)> {
    let mut groups = vec![(None, subset.to_vec())];
    if !per_target || params.min_target_records == 0 {
        return groups;
    }
    let mut by_target: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in subset {
        if let Some(t) = &task.targets[i] {
            by_target.entry(t.as_str()).or_default().push(i);
        }
    }
    for (t, idx) in by_target {
        let mut classes: Vec<usize> = idx.iter().map(|&i| task.gold[i][0]).collect();
        classes.sort_unstable();
        classes.dedup();
        if idx.len() >= params.min_target_records && classes.len() >= 2 {
            groups.push((Some(t.to_string()), idx));
        }
    }
    groups
}

/// Fits a single-label head (general model, and per-target models when `per_target`) on the
/// task rows `subset`.
fn fit_single(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    est: &Estimator,
    subset: &[usize],
    per_target: bool,
) -> Result<HeadBody, Error> {
    let n_classes = task.labels.len();
    let groups = single_groups(task, subset, params, per_target);
    let fitted: Vec<SparseLinear> = groups
        .par_iter()
        .map(|(_, idx)| {
            let rows: Vec<usize> = idx.iter().map(|&i| task.rows[i]).collect();
            let classes: Vec<usize> = idx.iter().map(|&i| task.gold[i][0]).collect();
            let d = design(x, &rows, &classes, n_classes, params);
            fit_multiclass(est, &d, &classes, n_classes, params.seed)
                .map_err(|m| estimator_error(&task.info.name, m))
        })
        .collect::<Result<_, _>>()?;
    let mut fitted = fitted.into_iter();
    let general = fitted.next().expect("the general model is always fitted");
    let per_target = groups[1..]
        .iter()
        .map(|(t, _)| t.clone().expect("per-target groups have a target"))
        .zip(fitted)
        .collect();
    Ok(HeadBody::Single {
        general,
        per_target,
    })
}

/// A single-label head ready to predict many rows: dense weights of its general and
/// per-target models.
struct SinglePredictor {
    general: DenseWeights,
    per_target: Vec<(String, DenseWeights)>,
}

impl SinglePredictor {
    fn new(body: &HeadBody, n_features: usize) -> Self {
        let HeadBody::Single {
            general,
            per_target,
        } = body
        else {
            unreachable!("single-label heads only");
        };
        SinglePredictor {
            general: DenseWeights::new(general, n_features),
            per_target: per_target
                .iter()
                .map(|(t, m)| (t.clone(), DenseWeights::new(m, n_features)))
                .collect(),
        }
    }

    /// The class predicted for task row `i`.
    fn predict(&self, task: &TaskData, x: &CsrMatrix, i: usize, logits: &mut Vec<f32>) -> usize {
        let model = task.targets[i]
            .as_deref()
            .and_then(|t| self.per_target.iter().find(|(pt, _)| pt == t))
            .map_or(&self.general, |(_, m)| m);
        let (ids, vals) = x.row(task.rows[i]);
        model.logits(ids, vals, logits);
        logits
            .iter()
            .enumerate()
            .fold(0, |b, (c, z)| if *z > logits[b] { c } else { b })
    }
}

/// The selection measure of predicted class indices against the task's gold classes.
fn selection_score(task: &TaskData, predicted: &[usize], metric: SelectMetric) -> f64 {
    let outcomes = crate::eval::TaskOutcomes {
        kind: TaskKind::Single,
        model_labels: task.labels.clone(),
        pairs: task
            .gold
            .iter()
            .zip(predicted)
            .map(|(g, &p)| {
                (
                    vec![task.labels[g[0]].clone()],
                    vec![task.labels[p].clone()],
                )
            })
            .collect(),
    };
    metric.of(&outcomes.report())
}

/// Trains a single-label head. The candidate settings are every C of `c_grid` (when the
/// estimator has a C) crossed with per-target models on or off (when some stance target has
/// `min_target_records` records); with more than one candidate, each is scored by
/// cross-validation over the training rows (folds grouped by document, `select_metric` of the
/// out-of-fold predictions) and the best is fitted on all rows. Ties go to the earlier
/// candidate: the smaller C, and no per-target models.
type SingleFit = (HeadBody, Vec<String>, Vec<SearchPoint>, Option<f32>);

fn train_single(task: &TaskData, x: &CsrMatrix, params: &TrainParams) -> Result<SingleFit, Error> {
    let all: Vec<usize> = (0..task.rows.len()).collect();
    let c_values: Vec<f32> = match params.estimator.c() {
        Some(c) if params.c_grid.is_empty() => vec![c],
        Some(_) => params.c_grid.clone(),
        None => vec![f32::NAN],
    };
    let target_options: &[bool] = if single_groups(task, &all, params, true).len() > 1 {
        &[false, true]
    } else {
        &[false]
    };
    let candidates: Vec<(f32, bool)> = c_values
        .iter()
        .flat_map(|&c| target_options.iter().map(move |&t| (c, t)))
        .collect();
    let estimator_for = |c: f32| {
        if c.is_nan() {
            params.estimator.clone()
        } else {
            params.estimator.with_c(c)
        }
    };
    let mut search = Vec::new();
    let mut chosen = candidates[0];
    if candidates.len() > 1 {
        if params.select_metric == SelectMetric::FAvg
            && !(task.labels.iter().any(|l| l == "favor")
                && task.labels.iter().any(|l| l == "against"))
        {
            return Err(TrainError::Untrainable {
                task: task.info.name.clone(),
                reason: "selection by F_avg needs the labels `favor` and `against`".into(),
            }
            .into());
        }
        let folds = folds_by_document(&task.docs, params.folds, params.seed);
        let jobs: Vec<(usize, usize)> = (0..candidates.len())
            .flat_map(|k| (0..params.folds).map(move |f| (k, f)))
            .collect();
        let results: Vec<Vec<(usize, usize)>> = jobs
            .par_iter()
            .map(|&(k, f)| {
                let (c, per_target) = candidates[k];
                let (train_idx, held): (Vec<usize>, Vec<usize>) =
                    all.iter().partition(|&&i| folds[i] != f);
                let body = fit_single(task, x, params, &estimator_for(c), &train_idx, per_target)?;
                let predictor = SinglePredictor::new(&body, x.n_cols());
                let mut logits = Vec::new();
                Ok(held
                    .iter()
                    .map(|&i| (i, predictor.predict(task, x, i, &mut logits)))
                    .collect())
            })
            .collect::<Result<_, Error>>()?;
        for (k, &(c, per_target)) in candidates.iter().enumerate() {
            let mut predicted = vec![0usize; all.len()];
            for (&(jk, _), preds) in jobs.iter().zip(&results) {
                if jk == k {
                    for &(i, p) in preds {
                        predicted[i] = p;
                    }
                }
            }
            search.push(SearchPoint {
                c,
                per_target,
                score: selection_score(task, &predicted, params.select_metric),
            });
        }
        let best = search.iter().fold(
            search[0],
            |b, &s| if s.score > b.score + 1e-12 { s } else { b },
        );
        chosen = (best.c, best.per_target);
    }
    let est = estimator_for(chosen.0);
    let body = fit_single(task, x, params, &est, &all, chosen.1)?;
    let HeadBody::Single { per_target, .. } = &body else {
        unreachable!()
    };
    let targets = per_target.iter().map(|(t, _)| t.clone()).collect();
    Ok((body, targets, search, est.c()))
}

/// One binary fit of a multi-label head: the final model (`fold = None`) or a fold's model,
/// which returns its out-of-fold probabilities.
struct BinaryJob {
    label: usize,
    fold: Option<usize>,
}

struct MultiFit {
    models: Vec<SparseLinear>,
    /// Out-of-fold probability per label per row (empty without cross-validation).
    oof: Vec<Vec<f32>>,
}

fn fit_label(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    label: usize,
    rows_idx: &[usize],
) -> Result<SparseLinear, Error> {
    let class_of: Vec<usize> = rows_idx
        .iter()
        .map(|&i| usize::from(task.gold[i].contains(&label)))
        .collect();
    let n_pos = class_of.iter().sum::<usize>();
    if n_pos == 0 || n_pos == class_of.len() {
        // One class only in these rows: a constant model at the observed rate.
        let p = (n_pos as f32 / class_of.len().max(1) as f32).clamp(1e-4, 1.0 - 1e-4);
        return Ok(SparseLinear::constant(
            vec![(p / (1.0 - p)).ln()],
            Link::Sigmoid,
        ));
    }
    let rows: Vec<usize> = rows_idx.iter().map(|&i| task.rows[i]).collect();
    let d = design(x, &rows, &class_of, 2, params);
    let y: Vec<bool> = class_of.iter().map(|&c| c == 1).collect();
    fit_binary(
        &params.estimator,
        &d,
        &y,
        params.seed.wrapping_add(label as u64),
    )
    .map_err(|m| estimator_error(&task.info.name, m))
}

fn train_multi(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    cross_validate: bool,
) -> Result<MultiFit, Error> {
    let n_labels = task.labels.len();
    let n = task.rows.len();
    let folds = folds_by_document(&task.docs, params.folds, params.seed);
    let mut jobs = Vec::new();
    for label in 0..n_labels {
        jobs.push(BinaryJob { label, fold: None });
        if cross_validate {
            for f in 0..params.folds {
                jobs.push(BinaryJob {
                    label,
                    fold: Some(f),
                });
            }
        }
    }
    let results: Vec<(SparseLinear, Vec<(usize, f32)>)> = jobs
        .par_iter()
        .map(|job| {
            let (train_idx, held): (Vec<usize>, Vec<usize>) = match job.fold {
                None => ((0..n).collect(), Vec::new()),
                Some(f) => (0..n).partition(|&i| folds[i] != f),
            };
            let model = fit_label(task, x, params, job.label, &train_idx)?;
            let mut scores = Vec::with_capacity(held.len());
            if !held.is_empty() {
                let dense = DenseWeights::new(&model, x.n_cols());
                let mut logits = Vec::new();
                for &i in &held {
                    let (ids, vals) = x.row(task.rows[i]);
                    dense.logits(ids, vals, &mut logits);
                    scores.push((i, sigmoid(logits[0])));
                }
            }
            Ok((model, scores))
        })
        .collect::<Result<_, Error>>()?;
    let mut models = Vec::with_capacity(n_labels);
    let mut oof = if cross_validate {
        vec![vec![0.0f32; n]; n_labels]
    } else {
        Vec::new()
    };
    for (job, (model, scores)) in jobs.iter().zip(results) {
        match job.fold {
            None => models.push(model),
            Some(_) => {
                for (i, p) in scores {
                    oof[job.label][i] = p;
                }
            }
        }
    }
    Ok(MultiFit { models, oof })
}

fn task_data<'a>(
    info: &'a TaskInfo,
    records: &'a [Record],
    record_rows: &[Option<usize>],
) -> TaskData<'a> {
    let labels = info.labels();
    let index: HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut t = TaskData {
        info,
        labels: labels.clone(),
        rows: Vec::new(),
        gold: Vec::new(),
        docs: Vec::new(),
        targets: Vec::new(),
    };
    for (r, row) in records.iter().zip(record_rows) {
        let (Some(value), Some(row)) = (r.labels.get(&info.name), row) else {
            continue;
        };
        t.rows.push(*row);
        t.gold.push(
            value
                .labels()
                .filter_map(|l| index.get(l).copied())
                .collect(),
        );
        t.docs.push(&r.doc);
        t.targets.push(r.target.as_deref().map(normalize_target));
    }
    t
}

/// Per-label (probability, is gold) pairs of `head` over the records labelled for it.
fn label_scores(model: &Model, head_idx: usize, records: &[Record]) -> Vec<Vec<(f32, bool)>> {
    let head = &model.heads()[head_idx];
    let labelled: Vec<&Record> = records
        .iter()
        .filter(|r| r.labels.contains_key(&head.task))
        .collect();
    let scored: Vec<Vec<f32>> = labelled
        .par_iter()
        .map_init(super::ScoreScratch::default, |scratch, r| {
            model.score(&r.text, r.target.as_deref(), scratch)[head_idx]
                .probs
                .clone()
        })
        .collect();
    (0..head.labels.len())
        .map(|l| {
            labelled
                .iter()
                .zip(&scored)
                .map(|(r, p)| {
                    let gold = r.labels[&head.task].labels().any(|g| g == head.labels[l]);
                    (p[l], gold)
                })
                .collect()
        })
        .collect()
}

/// Trains a model on `train`; with `dev`, thresholds are tuned on it and its metrics stored.
///
/// `train_files` and `dev_files` describe where the records came from (stored in the model).
/// `progress` receives a line per stage.
pub fn train(
    params: &ValidTrainParams,
    train: &[Record],
    dev: Option<&[Record]>,
    train_files: Vec<DataFileInfo>,
    dev_files: Vec<DataFileInfo>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(Model, TrainReport), Error> {
    let p = &params.params;
    let mut report = TrainReport::default();
    let clock = Instant::now();
    let all_tasks = discover_tasks(train)?;
    let tasks: Vec<&TaskInfo> = if p.tasks.is_empty() {
        all_tasks.values().collect()
    } else {
        p.tasks
            .iter()
            .map(|t| {
                all_tasks.get(t).ok_or_else(|| TrainError::UnknownTask {
                    task: t.clone(),
                    found: all_tasks.keys().cloned().collect::<Vec<_>>().join(", "),
                })
            })
            .collect::<Result<_, _>>()?
    };
    if tasks.is_empty() {
        return Err(TrainError::Untrainable {
            task: "(any)".into(),
            reason: "the training records carry no labels".into(),
        }
        .into());
    }

    // Texts of the records labelled for at least one trained task.
    let mut record_rows = vec![None; train.len()];
    let mut texts = Vec::new();
    for (i, r) in train.iter().enumerate() {
        if tasks.iter().any(|t| r.labels.contains_key(&t.name)) {
            record_rows[i] = Some(texts.len());
            texts.push(r.text.as_str());
        }
    }
    progress(&format!("fitting TF-IDF on {} records", texts.len()));
    let analyzer = params.analyzer.build();
    let (tfidf, x) = params.tfidf.fit_transform(&analyzer, &texts)?;
    report
        .timings
        .push(("tf-idf".into(), clock.elapsed().as_secs_f64()));
    progress(&format!("vocabulary: {} features", tfidf.n_features()));

    let mut heads = Vec::new();
    let mut metas = Vec::new();
    for info in &tasks {
        let start = Instant::now();
        let data = task_data(info, train, &record_rows);
        if data.labels.len() < 2 && info.kind == TaskKind::Single {
            report.warnings.push(format!(
                "task `{}` skipped: it has a single label ({}) in the training data",
                info.name,
                data.labels.join(", ")
            ));
            continue;
        }
        if data.labels.is_empty() {
            report.warnings.push(format!(
                "task `{}` skipped: no record carries any of its labels",
                info.name
            ));
            continue;
        }
        for (label, count) in &info.label_counts {
            if info.kind == TaskKind::Multi && dev.is_none() && *count < p.folds {
                report.warnings.push(format!(
                    "task `{}`: label `{label}` has {count} training records, fewer than the {} folds; its threshold is unreliable",
                    info.name, p.folds
                ));
            }
        }
        progress(&format!(
            "training `{}` ({}, {} records, {} labels)",
            info.name,
            info.kind,
            data.rows.len(),
            data.labels.len()
        ));
        let mut search = Vec::new();
        let mut chosen_c = p.estimator.c();
        let (body, targets, threshold_f1) = match info.kind {
            TaskKind::Single => {
                let (body, targets, points, c) = train_single(&data, &x, p)?;
                search = points;
                chosen_c = c;
                (body, targets, Vec::new())
            }
            TaskKind::Multi => {
                let fit = train_multi(&data, &x, p, dev.is_none())?;
                let (thresholds, f1s) = if fit.oof.is_empty() {
                    (vec![0.5; data.labels.len()], Vec::new())
                } else {
                    let scores: Vec<Vec<(f32, bool)>> = (0..data.labels.len())
                        .map(|l| {
                            fit.oof[l]
                                .iter()
                                .zip(&data.gold)
                                .map(|(&s, g)| (s, g.contains(&l)))
                                .collect()
                        })
                        .collect();
                    let (thresholds, _) = tune_thresholds(&scores);
                    let f1s = label_f1s(&scores, &thresholds);
                    (thresholds, f1s)
                };
                (
                    HeadBody::Multi {
                        models: fit.models,
                        thresholds,
                    },
                    Vec::new(),
                    f1s,
                )
            }
        };
        heads.push(Head {
            task: info.name.clone(),
            labels: data.labels.clone(),
            body,
        });
        metas.push(HeadMeta {
            task: info.name.clone(),
            n_train: data.rows.len(),
            label_counts: info.label_counts.clone(),
            targets,
            threshold_f1,
            search,
            c: chosen_c,
        });
        report
            .timings
            .push((format!("head {}", info.name), start.elapsed().as_secs_f64()));
    }

    let meta = TrainingMeta {
        rhetor_version: env!("CARGO_PKG_VERSION").to_string(),
        settings: p.clone(),
        train_files,
        dev_files,
        n_train_records: texts.len(),
        thresholds_from: if dev.is_some() {
            "dev".to_string()
        } else {
            format!(
                "cross-validation on train, {} folds grouped by document",
                p.folds
            )
        },
        heads: metas,
        dev_metrics_json: None,
    };
    let mut model = Model::from_data(ModelData {
        analyzer: params.analyzer.clone(),
        tfidf,
        heads,
        meta,
    });

    if let Some(dev) = dev {
        progress(&format!("tuning thresholds on {} dev records", dev.len()));
        let mut data = model.data.clone();
        for (h, head) in data.heads.iter_mut().enumerate() {
            if let HeadBody::Multi { thresholds, .. } = &mut head.body {
                let scores = label_scores(&model, h, dev);
                let (tuned, _) = tune_thresholds(&scores);
                data.meta.heads[h].threshold_f1 = label_f1s(&scores, &tuned);
                *thresholds = tuned;
            }
        }
        model = Model::from_data(data);
        let metrics = model.evaluate(dev);
        let mut data = model.data.clone();
        data.meta.dev_metrics_json =
            Some(serde_json::to_string(&metrics).expect("metrics serialise"));
        model = Model::from_data(data);
    }
    report
        .timings
        .push(("total".into(), clock.elapsed().as_secs_f64()));
    Ok((model, report))
}

impl Model {
    /// Predicts every record and measures each task the model has and the records label.
    pub fn evaluate(&self, records: &[Record]) -> EvalReport {
        let preds: Vec<Vec<super::TaskScores>> = records
            .par_iter()
            .map_init(super::ScoreScratch::default, |scratch, r| {
                self.score(&r.text, r.target.as_deref(), scratch)
            })
            .collect();
        let mut tasks = BTreeMap::new();
        for (h, head) in self.heads().iter().enumerate() {
            let pairs: Vec<(Vec<String>, Vec<String>)> = records
                .iter()
                .zip(&preds)
                .filter_map(|(r, p)| {
                    let gold = r.labels.get(&head.task)?;
                    if gold.kind() != head.kind() {
                        return None;
                    }
                    let gold: Vec<String> = match gold {
                        LabelValue::Single(s) => vec![s.clone()],
                        LabelValue::Multi(v) => v.clone(),
                    };
                    let pred = p[h]
                        .predicted
                        .iter()
                        .map(|&i| head.labels[i].clone())
                        .collect();
                    Some((gold, pred))
                })
                .collect();
            if pairs.is_empty() {
                continue;
            }
            let outcomes = crate::eval::TaskOutcomes {
                kind: head.kind(),
                model_labels: head.labels.clone(),
                pairs,
            };
            tasks.insert(head.task.clone(), outcomes.report());
        }
        EvalReport { tasks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_threshold_table() {
        // (scored pairs, expected threshold, expected F1)
        type Case<'a> = (&'a [(f32, bool)], f32, f32);
        let cases: &[Case] = &[
            (
                &[(0.9, true), (0.8, true), (0.3, false), (0.1, false)],
                0.55,
                1.0,
            ),
            (
                &[(0.9, true), (0.8, false), (0.7, true), (0.1, false)],
                0.4,
                0.8,
            ),
            (&[(0.2, false), (0.1, false)], 0.6, 0.0),
            (&[(0.6, true), (0.6, false), (0.2, false)], 0.4, 2.0 / 3.0),
        ];
        for (pairs, t, f1) in cases {
            let (gt, gf) = best_threshold(pairs);
            assert!(
                (gt - t).abs() < 1e-6 && (gf - f1).abs() < 1e-6,
                "{pairs:?}: expected ({t}, {f1}) got ({gt}, {gf})"
            );
        }
    }

    #[test]
    fn joint_thresholds_do_not_flood_rare_labels() {
        // Label 0 is learnable; label 1 has one positive scored below every negative, so
        // predicting it everywhere is its best own F1 (2/11) but lowers the task's micro-F1.
        let label0: Vec<(f32, bool)> = (0..10).map(|i| (i as f32 / 10.0, i >= 5)).collect();
        let mut label1: Vec<(f32, bool)> =
            (0..9).map(|i| (0.5 + i as f32 / 100.0, false)).collect();
        label1.push((0.1, true));
        let (own, _) = best_threshold(&label1);
        assert!(
            own <= 0.1,
            "alone, label 1 would predict everything (threshold {own})"
        );
        let (t, micro) = tune_thresholds(&[label0.clone(), label1.clone()]);
        assert!(
            t[1] > 0.58,
            "jointly, label 1 predicts nothing (threshold {})",
            t[1]
        );
        assert!(
            (t[0] - 0.45).abs() < 1e-6,
            "label 0 cuts between 0.4 and 0.5: {}",
            t[0]
        );
        // tp 5, fp 0, fn 1 (label 1's positive): micro-F1 = 10 / 11.
        assert!((micro - 10.0 / 11.0).abs() < 1e-6, "micro-F1 {micro}");
    }

    #[test]
    fn folds_keep_documents_together_and_are_seeded() {
        let docs = ["a", "b", "a", "c", "d", "b", "e", "f"];
        let f1 = folds_by_document(&docs, 3, 1);
        assert_eq!(f1[0], f1[2]);
        assert_eq!(f1[1], f1[5]);
        assert_eq!(f1, folds_by_document(&docs, 3, 1));
        let mut used = f1.clone();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, [0, 1, 2], "six documents fill three folds");
    }

    #[test]
    fn balanced_weights_match_sklearn() {
        // sklearn.utils.class_weight.compute_class_weight("balanced", classes=[0, 1],
        // y=[0, 0, 0, 1]) = [0.6667, 2.0]
        let w = class_weights(&[0, 0, 0, 1], 2, ClassWeight::Balanced);
        assert_eq!(w, [4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0, 2.0]);
        // A class absent from the rows does not count among the classes.
        let w = class_weights(&[0, 2, 2, 2], 3, ClassWeight::Balanced);
        assert_eq!(w, [2.0, 4.0 / 6.0, 4.0 / 6.0, 4.0 / 6.0]);
        assert_eq!(class_weights(&[0, 1], 2, ClassWeight::None), [1.0, 1.0]);
    }
}
