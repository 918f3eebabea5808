//! Training one head: candidate settings, cross-validation, calibration, thresholds.
//!
//! The one primitive is *cross-validate a candidate*: fit it on the training rows of every
//! fold (folds grouped by document) and score the rows of the held-out fold, which gives an
//! out-of-fold logit for every row and output. From those logits:
//!
//! * a candidate's score: Platt maps fitted on them, then micro-F1 at jointly tuned thresholds
//!   (multi-label), or vector scaling and the selection measure of the calibrated softmax's
//!   argmax (single-label);
//! * the chosen candidate's calibration and, without dev data, thresholds.
//!
//! The chosen candidate is then fitted on all rows.

use std::collections::{BTreeMap, HashMap};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::thresholds::{label_f1s, tune_thresholds};
use super::{ClassWeight, SelectMetric, TrainParams};
use crate::corpus::{Record, TaskInfo, TaskKind};
use crate::error::{Error, TrainError};
use crate::features::CsrMatrix;
use crate::model::calibrate::{fit_vector_scaling, Platt};
use crate::model::estimator::{fit_binary, fit_multiclass, Design, Estimator};
use crate::model::linear::{apply_link, DenseWeights, Link, SparseLinear};
use crate::model::select::{chi2, top_k};
use crate::model::{normalize_target, HeadBody};

/// The settings of one head, chosen per head.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HeadSettings {
    /// C of the estimator (when it has one).
    pub c: Option<f32>,
    /// Features each model keeps (chi-square top-K).
    pub features: usize,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Naive-Bayes log-count-ratio scaling of the features (NB-SVM).
    pub nb: bool,
    /// Per-target models for stance targets with enough records (single-label heads).
    pub per_target: bool,
}

impl std::fmt::Display for HeadSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(c) = self.c {
            write!(f, "C={c} ")?;
        }
        write!(
            f,
            "K={} weights={} nb={}",
            self.features,
            match self.class_weight {
                ClassWeight::Balanced => "balanced",
                ClassWeight::None => "none",
            },
            if self.nb { "on" } else { "off" }
        )?;
        if self.per_target {
            write!(f, " per-target")?;
        }
        Ok(())
    }
}

/// One candidate setting and its cross-validated score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SearchPoint {
    /// The settings.
    pub settings: HeadSettings,
    /// Cross-validated score (micro-F1 for multi-label heads, the selection measure for
    /// single-label ones).
    pub score: f64,
}

/// The records of one task: rows of the feature matrix and their labels as indices.
pub(crate) struct TaskData<'a> {
    pub info: &'a TaskInfo,
    pub labels: Vec<String>,
    pub rows: Vec<usize>,
    /// Label indices per row (one for single-label tasks).
    pub gold: Vec<Vec<usize>>,
    pub docs: Vec<&'a str>,
    pub targets: Vec<Option<String>>,
}

pub(crate) fn task_data<'a>(
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

/// Fold of each row: documents shuffled with the seed, then dealt round-robin into `k` folds.
pub(crate) fn folds_by_document(docs: &[&str], k: usize, seed: u64) -> Vec<usize> {
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
pub(crate) fn class_weights(class_of: &[usize], n_classes: usize, cw: ClassWeight) -> Vec<f32> {
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
    s: &HeadSettings,
) -> Design<'a> {
    let scores = chi2(x, rows, class_of, n_classes);
    Design {
        x,
        rows: rows.to_vec(),
        weights: class_weights(class_of, n_classes, s.class_weight),
        features: top_k(&scores, s.features),
        nb: s.nb,
    }
}

fn estimator_error(task: &str, message: String) -> Error {
    TrainError::Estimator {
        task: task.to_string(),
        message,
    }
    .into()
}

/// The estimator with a candidate's C.
fn estimator_for(params: &TrainParams, s: &HeadSettings) -> Estimator {
    match s.c {
        Some(c) => params.estimator.with_c(c),
        None => params.estimator.clone(),
    }
}

/// Fits label `label` of a multi-label head on the task rows `rows_idx`.
fn fit_label(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    s: &HeadSettings,
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
    let d = design(x, &rows, &class_of, 2, s);
    let y: Vec<bool> = class_of.iter().map(|&c| c == 1).collect();
    fit_binary(
        &estimator_for(params, s),
        &d,
        &y,
        params.seed.wrapping_add(label as u64),
    )
    .map_err(|m| estimator_error(&task.info.name, m))
}

/// Groups of task rows that get their own single-label model: all of `subset` first, then,
/// with `per_target`, each stance target with at least `min_target_records` records (and two
/// classes) in `subset`.
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

/// Whether per-target models are possible at all for this (single-label) task.
pub(crate) fn has_target_groups(task: &TaskData, params: &TrainParams) -> bool {
    debug_assert_eq!(task.info.kind, TaskKind::Single);
    let all: Vec<usize> = (0..task.rows.len()).collect();
    single_groups(task, &all, params, true).len() > 1
}

/// Fits a single-label head (general model, and per-target models when the settings ask for
/// them) on the task rows `subset`.
fn fit_single(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    s: &HeadSettings,
    subset: &[usize],
) -> Result<HeadBody, Error> {
    let n_classes = task.labels.len();
    let est = estimator_for(params, s);
    let groups = single_groups(task, subset, params, s.per_target);
    let fitted: Vec<SparseLinear> = groups
        .par_iter()
        .map(|(_, idx)| {
            let rows: Vec<usize> = idx.iter().map(|&i| task.rows[i]).collect();
            let classes: Vec<usize> = idx.iter().map(|&i| task.gold[i][0]).collect();
            let d = design(x, &rows, &classes, n_classes, s);
            fit_multiclass(&est, &d, &classes, n_classes, params.seed)
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

/// Logits of a fitted single-label head for task rows `held`, with dense weights.
fn single_logits(
    body: &HeadBody,
    task: &TaskData,
    x: &CsrMatrix,
    held: &[usize],
) -> Vec<(usize, Vec<f32>)> {
    let HeadBody::Single {
        general,
        per_target,
    } = body
    else {
        unreachable!("single-label heads only");
    };
    let general = DenseWeights::new(general, x.n_cols());
    let per_target: Vec<(&String, DenseWeights)> = per_target
        .iter()
        .map(|(t, m)| (t, DenseWeights::new(m, x.n_cols())))
        .collect();
    let mut logits = Vec::new();
    held.iter()
        .map(|&i| {
            let model = task.targets[i]
                .as_ref()
                .and_then(|t| per_target.iter().find(|(pt, _)| *pt == t))
                .map_or(&general, |(_, m)| m);
            let (ids, vals) = x.row(task.rows[i]);
            model.logits(ids, vals, &mut logits);
            (i, logits.clone())
        })
        .collect()
}

/// Out-of-fold logits of candidate `s`: `[output][row]` (outputs: the labels of a multi-label
/// head, the classes of a single-label one).
fn cross_validate(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    s: &HeadSettings,
    folds: &[usize],
) -> Result<Vec<Vec<f32>>, Error> {
    let n = task.rows.len();
    let n_out = task.labels.len();
    let all: Vec<usize> = (0..n).collect();
    let split =
        |f: usize| -> (Vec<usize>, Vec<usize>) { all.iter().partition(|&&i| folds[i] != f) };
    let mut oof = vec![vec![0.0f32; n]; n_out];
    match task.info.kind {
        TaskKind::Multi => {
            let jobs: Vec<(usize, usize)> = (0..n_out)
                .flat_map(|l| (0..params.folds).map(move |f| (l, f)))
                .collect();
            let results: Vec<Vec<(usize, f32)>> = jobs
                .par_iter()
                .map(|&(label, f)| {
                    let (train_idx, held) = split(f);
                    let model = fit_label(task, x, params, s, label, &train_idx)?;
                    let dense = DenseWeights::new(&model, x.n_cols());
                    let mut logits = Vec::new();
                    Ok(held
                        .iter()
                        .map(|&i| {
                            let (ids, vals) = x.row(task.rows[i]);
                            dense.logits(ids, vals, &mut logits);
                            (i, logits[0])
                        })
                        .collect())
                })
                .collect::<Result<_, Error>>()?;
            for (&(label, _), scores) in jobs.iter().zip(results) {
                for (i, z) in scores {
                    oof[label][i] = z;
                }
            }
        }
        TaskKind::Single => {
            let results: Vec<Vec<(usize, Vec<f32>)>> = (0..params.folds)
                .into_par_iter()
                .map(|f| {
                    let (train_idx, held) = split(f);
                    let body = fit_single(task, x, params, s, &train_idx)?;
                    Ok(single_logits(&body, task, x, &held))
                })
                .collect::<Result<_, Error>>()?;
            for (i, logits) in results.into_iter().flatten() {
                for (c, z) in logits.into_iter().enumerate() {
                    oof[c][i] = z;
                }
            }
        }
    }
    Ok(oof)
}

/// What the out-of-fold logits of a candidate say about it.
struct Assessment {
    score: f64,
    calibration: Vec<Platt>,
    /// Multi-label: thresholds on calibrated probabilities, and each label's F1 at them.
    thresholds: Vec<f32>,
    threshold_f1: Vec<f32>,
}

/// Calibrated out-of-fold probabilities of a multi-label head: per label, (p, is gold).
fn calibrated_pairs(
    task: &TaskData,
    oof: &[Vec<f32>],
    calibration: &[Platt],
) -> Vec<Vec<(f32, bool)>> {
    oof.iter()
        .zip(calibration)
        .enumerate()
        .map(|(l, (logits, c))| {
            logits
                .iter()
                .zip(&task.gold)
                .map(|(&z, g)| (crate::model::linear::sigmoid(c.apply(z)), g.contains(&l)))
                .collect()
        })
        .collect()
}

fn assess(task: &TaskData, oof: &[Vec<f32>], metric: SelectMetric) -> Assessment {
    match task.info.kind {
        TaskKind::Multi => {
            let calibration: Vec<Platt> = oof
                .iter()
                .enumerate()
                .map(|(l, logits)| {
                    let pairs: Vec<(f32, bool)> = logits
                        .iter()
                        .zip(&task.gold)
                        .map(|(&z, g)| (z, g.contains(&l)))
                        .collect();
                    Platt::fit(&pairs)
                })
                .collect();
            let pairs = calibrated_pairs(task, oof, &calibration);
            let (thresholds, micro) = tune_thresholds(&pairs);
            let threshold_f1 = label_f1s(&pairs, &thresholds);
            Assessment {
                score: f64::from(micro),
                calibration,
                thresholds,
                threshold_f1,
            }
        }
        TaskKind::Single => {
            // Softmax over the calibrated logits, calibrated jointly (vector scaling).
            let gold: Vec<usize> = task.gold.iter().map(|g| g[0]).collect();
            let calibration = fit_vector_scaling(oof, &gold);
            let n_classes = task.labels.len();
            let mut probs = vec![0.0f32; n_classes];
            let predicted: Vec<usize> = (0..task.rows.len())
                .map(|i| {
                    for c in 0..n_classes {
                        probs[c] = calibration[c].apply(oof[c][i]);
                    }
                    apply_link(Link::Softmax, &mut probs);
                    (0..n_classes).fold(0, |b, c| if probs[c] > probs[b] { c } else { b })
                })
                .collect();
            Assessment {
                score: selection_score(task, &predicted, metric),
                calibration,
                thresholds: Vec::new(),
                threshold_f1: Vec::new(),
            }
        }
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
        calibration: Vec::new(),
    };
    metric.of(&outcomes.report())
}

/// A trained head and what its training found.
pub(crate) struct HeadFit {
    pub body: HeadBody,
    pub calibration: Vec<Platt>,
    pub settings: HeadSettings,
    pub search: Vec<SearchPoint>,
    /// Cross-validated score of the chosen settings.
    pub cv_score: f64,
    /// Multi-label: each label's out-of-fold F1 at its threshold.
    pub threshold_f1: Vec<f32>,
}

/// Cross-validates every candidate (in parallel) and returns each one's assessment.
fn assess_candidates(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    candidates: &[HeadSettings],
) -> Result<Vec<Assessment>, Error> {
    if params.select_metric == SelectMetric::FAvg
        && task.info.kind == TaskKind::Single
        && !(task.labels.iter().any(|l| l == "favor") && task.labels.iter().any(|l| l == "against"))
    {
        return Err(TrainError::Untrainable {
            task: task.info.name.clone(),
            reason: "selection by F_avg needs the labels `favor` and `against`".into(),
        }
        .into());
    }
    let folds = folds_by_document(&task.docs, params.folds, params.seed);
    candidates
        .par_iter()
        .map(|s| {
            let oof = cross_validate(task, x, params, s, &folds)?;
            Ok(assess(task, &oof, params.select_metric))
        })
        .collect()
}

/// The cross-validated score of one candidate (the global search's measure of a vocabulary).
pub(crate) fn cv_score(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    s: &HeadSettings,
) -> Result<f64, Error> {
    Ok(assess_candidates(task, x, params, std::slice::from_ref(s))?[0].score)
}

/// Trains a head: cross-validates every candidate, keeps the best (ties go to the earlier
/// candidate), fits it on all rows, and calibrates it (and tunes its thresholds) on its
/// out-of-fold logits.
pub(crate) fn train_head(
    task: &TaskData,
    x: &CsrMatrix,
    params: &TrainParams,
    candidates: &[HeadSettings],
) -> Result<HeadFit, Error> {
    let assessed = assess_candidates(task, x, params, candidates)?;
    let best = (0..assessed.len()).fold(0, |b, k| {
        if assessed[k].score > assessed[b].score + 1e-12 {
            k
        } else {
            b
        }
    });
    let search = if candidates.len() > 1 {
        candidates
            .iter()
            .zip(&assessed)
            .map(|(s, a)| SearchPoint {
                settings: *s,
                score: a.score,
            })
            .collect()
    } else {
        Vec::new()
    };
    let settings = candidates[best];
    let assessment = assessed.into_iter().nth(best).expect("best is an index");
    let all: Vec<usize> = (0..task.rows.len()).collect();
    let body = match task.info.kind {
        TaskKind::Single => {
            // The calibration is for a softmax over the models' logits, whatever the
            // estimator's own link.
            let mut body = fit_single(task, x, params, &settings, &all)?;
            if let HeadBody::Single {
                general,
                per_target,
            } = &mut body
            {
                general.link = Link::Softmax;
                per_target
                    .iter_mut()
                    .for_each(|(_, m)| m.link = Link::Softmax);
            }
            body
        }
        TaskKind::Multi => {
            let models = (0..task.labels.len())
                .into_par_iter()
                .map(|l| fit_label(task, x, params, &settings, l, &all))
                .collect::<Result<_, _>>()?;
            HeadBody::Multi {
                models,
                thresholds: assessment.thresholds.clone(),
            }
        }
    };
    Ok(HeadFit {
        body,
        calibration: assessment.calibration,
        settings,
        search,
        cv_score: assessment.score,
        threshold_f1: assessment.threshold_f1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
