//! Metrics per task, as the field reports them.
//!
//! * Single-label tasks: accuracy, per-label precision / recall / F1 / support, macro-F1 and the
//!   confusion matrix; `f_avg` = mean F1 of `favor` and `against` (the SemEval-2016 stance
//!   measure, pooled over targets) when both labels exist. Micro-F1 equals accuracy here.
//! * Multi-label tasks: micro-F1 over every (record, label) decision, macro-F1, per-label rows.
//!
//! Macro averages run over the labels that occur in the gold labels or in the predictions, as
//! scikit-learn's `classification_report` does for single-label tasks; a label the model knows
//! but that neither occurs nor is predicted has no defined F1 and is left out. A division by
//! zero gives 0, as scikit-learn's `zero_division=0`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::corpus::TaskKind;
use crate::model::{reliability, BinSums, ReliabilityBin};
use crate::stats::{bootstrap_replicates, percentile_interval};

/// Bins of the reliability table.
pub const RELIABILITY_BINS: usize = 10;

/// Precision, recall, F1 and support of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelReport {
    /// tp / (tp + fp).
    pub precision: f64,
    /// tp / (tp + fn).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Gold occurrences.
    pub support: usize,
    /// Predicted occurrences.
    pub predicted: usize,
}

/// Metrics of one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskReport {
    /// Single- or multi-label.
    pub kind: TaskKind,
    /// Records evaluated.
    pub n: usize,
    /// Micro-averaged F1.
    pub micro_f1: f64,
    /// Micro-averaged precision.
    pub micro_precision: f64,
    /// Micro-averaged recall.
    pub micro_recall: f64,
    /// Macro-averaged F1.
    pub macro_f1: f64,
    /// Support-weighted F1.
    pub weighted_f1: f64,
    /// Accuracy (single-label tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Mean F1 of `favor` and `against` (when both labels exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_avg: Option<f64>,
    /// Per-label rows.
    pub labels: BTreeMap<String, LabelReport>,
    /// gold → predicted → count (single-label tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion: Option<BTreeMap<String, BTreeMap<String, usize>>>,
    /// Labels that occur in the gold labels but were never predicted.
    pub never_predicted: Vec<String>,
    /// Gold labels the model does not know (it can never predict them).
    pub unknown_labels: Vec<String>,
    /// Expected calibration error of the scores (see [`TaskOutcomes::calibration`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece: Option<f64>,
    /// Reliability table: predictions binned by probability, with the observed frequency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reliability: Vec<ReliabilityBin>,
    /// Bootstrap intervals of the headline figures (see [`TaskOutcomes::intervals`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<Intervals>,
}

/// A confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Interval {
    /// `None` for the NaN interval of a statistic no resample defines.
    fn of((lo, hi): (f64, f64)) -> Option<Interval> {
        (!lo.is_nan() && !hi.is_nan()).then_some(Interval { lo, hi })
    }
}

/// Percentile bootstrap intervals of a task's headline figures, resampling documents.
///
/// Records of one document are drawn together (paragraphs of an article, or target mentions
/// of a sentence, are not independent), and every figure of a resample is computed as
/// [`TaskOutcomes::report`] computes it on those records. A figure a resample leaves undefined
/// (`f_avg` without `favor` or `against`) is left out of that figure's interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intervals {
    /// Confidence level.
    pub level: f64,
    /// Resamples drawn.
    pub resamples: usize,
    /// Documents resampled.
    pub documents: usize,
    /// Seed of the draws.
    pub seed: u64,
    /// Micro-averaged F1.
    pub micro_f1: Option<Interval>,
    /// Macro-averaged F1.
    pub macro_f1: Option<Interval>,
    /// Accuracy (single-label tasks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<Interval>,
    /// Mean F1 of `favor` and `against`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub f_avg: Option<Interval>,
    /// Expected calibration error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece: Option<Interval>,
}

/// Confidence level of [`TaskOutcomes::intervals`].
pub const INTERVAL_LEVEL: f64 = 0.95;

/// Metrics of every evaluated task.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EvalReport {
    /// Per task.
    pub tasks: BTreeMap<String, TaskReport>,
}

/// Gold and predicted labels of one task, record by record.
#[derive(Debug, Clone)]
pub struct TaskOutcomes {
    /// Single- or multi-label.
    pub kind: TaskKind,
    /// Labels the model can predict.
    pub model_labels: Vec<String>,
    /// (gold, predicted) label sets per record; single-label tasks hold one label in each.
    pub pairs: Vec<(Vec<String>, Vec<String>)>,
    /// (probability, was it right) for calibration, per record in the order of `pairs`: every
    /// label's probability for a multi-label task, the predicted label's probability for a
    /// single-label one (the usual top-label calibration). Empty: no calibration measure.
    pub calibration: Vec<Vec<(f64, bool)>>,
    /// The document of each record, in the order of `pairs` (equal numbers: the same
    /// document): what [`TaskOutcomes::intervals`] resamples. Empty: every record is a
    /// document of its own.
    pub docs: Vec<usize>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Which of a label's counts a record adds to (the index into `[tp, fp, fn]`).
#[derive(Debug, Clone, Copy)]
enum Hit {
    TruePositive = 0,
    FalsePositive = 1,
    FalseNegative = 2,
}

/// What one record adds to its labels' counts: each gold label a true positive or a false
/// negative, each predicted label that is not gold a false positive.
fn hits<'p>(gold: &'p [String], pred: &'p [String]) -> impl Iterator<Item = (&'p str, Hit)> {
    let found = gold.iter().map(|g| {
        let hit = if pred.contains(g) {
            Hit::TruePositive
        } else {
            Hit::FalseNegative
        };
        (g.as_str(), hit)
    });
    let wrong = pred
        .iter()
        .filter(|p| !gold.contains(p))
        .map(|p| (p.as_str(), Hit::FalsePositive));
    found.chain(wrong)
}

impl TaskOutcomes {
    /// Computes the task's metrics.
    pub fn report(&self) -> TaskReport {
        // Per label: [true positives, false positives, false negatives].
        let mut counts: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
        let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let mut correct = 0;
        for (gold, pred) in &self.pairs {
            for (label, hit) in hits(gold, pred) {
                counts.entry(label).or_default()[hit as usize] += 1;
            }
            if self.kind == TaskKind::Single {
                if gold == pred {
                    correct += 1;
                }
                if let (Some(g), Some(p)) = (gold.first(), pred.first()) {
                    *confusion
                        .entry(g.clone())
                        .or_default()
                        .entry(p.clone())
                        .or_default() += 1;
                }
            }
        }
        let known: BTreeSet<&str> = self.model_labels.iter().map(String::as_str).collect();
        let mut labels = BTreeMap::new();
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        let (mut macro_sum, mut weighted_sum, mut support_sum) = (0.0, 0.0, 0usize);
        for (&label, &[l_tp, l_fp, l_fn]) in &counts {
            tp += l_tp;
            fp += l_fp;
            fn_ += l_fn;
            let p = ratio(l_tp, l_tp + l_fp);
            let r = ratio(l_tp, l_tp + l_fn);
            let support = l_tp + l_fn;
            let row = LabelReport {
                precision: p,
                recall: r,
                f1: f1(p, r),
                support,
                predicted: l_tp + l_fp,
            };
            macro_sum += row.f1;
            weighted_sum += row.f1 * support as f64;
            support_sum += support;
            labels.insert(label.to_string(), row);
        }
        let micro_p = ratio(tp, tp + fp);
        let micro_r = ratio(tp, tp + fn_);
        let f_avg = match (labels.get("favor"), labels.get("against")) {
            (Some(a), Some(b)) => Some((a.f1 + b.f1) / 2.0),
            _ => None,
        };
        let never_predicted = labels
            .iter()
            .filter(|(_, r)| r.support > 0 && r.predicted == 0)
            .map(|(l, _)| l.clone())
            .collect();
        let unknown_labels = labels
            .keys()
            .filter(|l| !known.contains(l.as_str()))
            .cloned()
            .collect();
        let single = self.kind == TaskKind::Single;
        let (ece, reliability) = if self.calibration.is_empty() {
            (None, Vec::new())
        } else {
            let pairs: Vec<(f64, bool)> = self.calibration.iter().flatten().copied().collect();
            let (ece, table) = reliability(&pairs, RELIABILITY_BINS);
            (Some(ece), table)
        };
        TaskReport {
            kind: self.kind,
            n: self.pairs.len(),
            micro_f1: f1(micro_p, micro_r),
            micro_precision: micro_p,
            micro_recall: micro_r,
            macro_f1: if labels.is_empty() {
                0.0
            } else {
                macro_sum / labels.len() as f64
            },
            weighted_f1: if support_sum == 0 {
                0.0
            } else {
                weighted_sum / support_sum as f64
            },
            accuracy: single.then(|| ratio(correct, self.pairs.len())),
            f_avg,
            labels,
            confusion: single.then_some(confusion),
            never_predicted,
            unknown_labels,
            ece,
            reliability,
            intervals: None,
        }
    }

    /// Percentile bootstrap intervals ([`INTERVAL_LEVEL`]) of micro-F1, macro-F1, accuracy,
    /// `f_avg` and ECE over `resamples` resamples of the documents, drawn from `seed` (the
    /// same seed, records and documents give the same intervals). `None` when `resamples` is 0
    /// or there is no record.
    pub fn intervals(&self, resamples: usize, seed: u64) -> Option<Intervals> {
        if resamples == 0 || self.pairs.is_empty() {
            return None;
        }
        let n = self.pairs.len();
        // Records of each document, documents numbered in order of first appearance.
        let mut members: Vec<Vec<usize>> = Vec::new();
        let mut slot: BTreeMap<usize, usize> = BTreeMap::new();
        for i in 0..n {
            let doc = self.docs.get(i).copied().unwrap_or(i);
            let k = *slot.entry(doc).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            members[k].push(i);
        }
        let tally = Tally::new(self);
        let stats = bootstrap_replicates(
            members.len(),
            Figure::ALL.len(),
            |draw, out| tally.figures(draw.iter().flat_map(|&d| &members[d]), out),
            resamples,
            seed,
        );
        let interval = |f: Figure| {
            let mut values: Vec<f64> = stats
                .chunks_exact(Figure::ALL.len())
                .map(|r| r[f as usize])
                .collect();
            Interval::of(percentile_interval(&mut values, INTERVAL_LEVEL))
        };
        Some(Intervals {
            level: INTERVAL_LEVEL,
            resamples,
            documents: members.len(),
            seed,
            micro_f1: interval(Figure::MicroF1),
            macro_f1: interval(Figure::MacroF1),
            accuracy: interval(Figure::Accuracy),
            f_avg: interval(Figure::FAvg),
            ece: interval(Figure::Ece),
        })
    }
}

/// The figures [`TaskOutcomes::intervals`] resamples, in the order of a replicate's values.
#[derive(Debug, Clone, Copy)]
enum Figure {
    MicroF1,
    MacroF1,
    Accuracy,
    FAvg,
    Ece,
}

impl Figure {
    const ALL: [Figure; 5] = [
        Figure::MicroF1,
        Figure::MacroF1,
        Figure::Accuracy,
        Figure::FAvg,
        Figure::Ece,
    ];
}

/// What each record adds to the counts behind the headline figures, with labels as indices,
/// so a resample's figures are sums over its records.
struct Tally<'a> {
    kind: TaskKind,
    n_labels: usize,
    /// Per record: (label, [`Hit`] as an index into `[tp, fp, fn]`).
    counts: Vec<Vec<(usize, usize)>>,
    /// Per record: was the single label right.
    correct: Vec<bool>,
    /// Per record: (probability, was it right); empty: no calibration measure.
    calibration: &'a [Vec<(f64, bool)>],
    favor_against: Option<(usize, usize)>,
}

impl<'a> Tally<'a> {
    fn new(o: &'a TaskOutcomes) -> Tally<'a> {
        let names: BTreeSet<&str> = o
            .pairs
            .iter()
            .flat_map(|(g, p)| g.iter().chain(p))
            .map(String::as_str)
            .collect();
        let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, &l)| (l, i)).collect();
        let counts = o
            .pairs
            .iter()
            .map(|(gold, pred)| {
                hits(gold, pred)
                    .map(|(label, hit)| (index[label], hit as usize))
                    .collect()
            })
            .collect();
        Tally {
            kind: o.kind,
            n_labels: names.len(),
            counts,
            correct: o.pairs.iter().map(|(g, p)| g == p).collect(),
            calibration: &o.calibration,
            favor_against: index
                .get("favor")
                .copied()
                .zip(index.get("against").copied()),
        }
    }

    /// The figures of the records `rows` (with repeats) into `out`, in [`Figure::ALL`] order;
    /// NaN where a figure does not apply or is undefined.
    fn figures<'r>(&self, rows: impl Iterator<Item = &'r usize>, out: &mut [f64]) {
        let mut counts = vec![[0usize; 3]; self.n_labels];
        let mut bins = BinSums::new(RELIABILITY_BINS);
        let (mut n, mut correct) = (0usize, 0usize);
        for &i in rows {
            n += 1;
            correct += usize::from(self.correct[i]);
            for &(label, what) in &self.counts[i] {
                counts[label][what] += 1;
            }
            if let Some(row) = self.calibration.get(i) {
                row.iter().for_each(|&(p, y)| bins.add(p, y));
            }
        }
        let label_f1 = |[tp, fp, fn_]: [usize; 3]| f1(ratio(tp, tp + fp), ratio(tp, tp + fn_));
        let seen: Vec<[usize; 3]> = counts
            .iter()
            .copied()
            .filter(|c| c.iter().sum::<usize>() > 0)
            .collect();
        let (tp, fp, fn_) = seen
            .iter()
            .fold((0, 0, 0), |(a, b, c), x| (a + x[0], b + x[1], c + x[2]));
        out[Figure::MicroF1 as usize] = f1(ratio(tp, tp + fp), ratio(tp, tp + fn_));
        out[Figure::MacroF1 as usize] = if seen.is_empty() {
            0.0
        } else {
            seen.iter().map(|&c| label_f1(c)).sum::<f64>() / seen.len() as f64
        };
        out[Figure::Accuracy as usize] = if self.kind == TaskKind::Single {
            ratio(correct, n)
        } else {
            f64::NAN
        };
        let present = |l: usize| counts[l].iter().sum::<usize>() > 0;
        out[Figure::FAvg as usize] = match self.favor_against {
            Some((f, a)) if present(f) && present(a) => {
                (label_f1(counts[f]) + label_f1(counts[a])) / 2.0
            }
            _ => f64::NAN,
        };
        out[Figure::Ece as usize] = if self.calibration.is_empty() {
            f64::NAN
        } else {
            bins.ece()
        };
    }
}

impl EvalReport {
    /// A classification report in the style of scikit-learn's, one block per task, with the
    /// confusion matrix of single-label tasks.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (name, t) in &self.tasks {
            render_task(&mut out, name, t);
        }
        out
    }
}

fn render_task(out: &mut String, name: &str, t: &TaskReport) {
    let width = t
        .labels
        .keys()
        .map(|l| l.chars().count())
        .chain([12])
        .max()
        .unwrap_or(12);
    let _ = writeln!(out, "task {name} ({}, n = {})\n", t.kind, t.n);
    let _ = writeln!(
        out,
        "{:>width$}  {:>9}  {:>9}  {:>9}  {:>9}",
        "", "precision", "recall", "f1-score", "support"
    );
    let _ = writeln!(out);
    for (label, r) in &t.labels {
        let _ = writeln!(
            out,
            "{label:>width$}  {:>9.4}  {:>9.4}  {:>9.4}  {:>9}",
            r.precision, r.recall, r.f1, r.support
        );
    }
    let _ = writeln!(out);
    let support: usize = t.labels.values().map(|r| r.support).sum();
    let n_labels = t.labels.len().max(1) as f64;
    let macro_p: f64 = t.labels.values().map(|r| r.precision).sum::<f64>() / n_labels;
    let macro_r: f64 = t.labels.values().map(|r| r.recall).sum::<f64>() / n_labels;
    let weighted = |f: fn(&LabelReport) -> f64| {
        if support == 0 {
            0.0
        } else {
            t.labels
                .values()
                .map(|r| f(r) * r.support as f64)
                .sum::<f64>()
                / support as f64
        }
    };
    if let Some(acc) = t.accuracy {
        let _ = writeln!(
            out,
            "{:>width$}  {:>9}  {:>9}  {acc:>9.4}  {:>9}",
            "accuracy", "", "", t.n
        );
    } else {
        let _ = writeln!(
            out,
            "{:>width$}  {:>9.4}  {:>9.4}  {:>9.4}  {support:>9}",
            "micro avg", t.micro_precision, t.micro_recall, t.micro_f1
        );
    }
    let _ = writeln!(
        out,
        "{:>width$}  {macro_p:>9.4}  {macro_r:>9.4}  {:>9.4}  {support:>9}",
        "macro avg", t.macro_f1
    );
    let _ = writeln!(
        out,
        "{:>width$}  {:>9.4}  {:>9.4}  {:>9.4}  {support:>9}",
        "weighted avg",
        weighted(|r| r.precision),
        weighted(|r| r.recall),
        t.weighted_f1
    );
    if let Some(f_avg) = t.f_avg {
        let _ = writeln!(
            out,
            "{:>width$}  {:>9}  {:>9}  {f_avg:>9.4}",
            "f_avg", "", ""
        );
    }
    if let Some(intervals) = &t.intervals {
        render_intervals(out, t, intervals);
    }
    if !t.never_predicted.is_empty() {
        let _ = writeln!(out, "\nnever predicted: {}", t.never_predicted.join(", "));
    }
    if !t.unknown_labels.is_empty() {
        let _ = writeln!(
            out,
            "not in the model (cannot be predicted): {}",
            t.unknown_labels.join(", ")
        );
    }
    if let Some(confusion) = &t.confusion {
        render_confusion(out, confusion, &t.labels);
    }
    if let Some(ece) = t.ece {
        render_reliability(out, ece, &t.reliability, t.kind);
    }
    let _ = writeln!(out);
}

fn render_intervals(out: &mut String, t: &TaskReport, i: &Intervals) {
    let _ = writeln!(
        out,
        "\n{:.0}% bootstrap intervals ({} resamples of the {} documents, seed {})",
        i.level * 100.0,
        i.resamples,
        i.documents,
        i.seed
    );
    // Single-label micro-F1 is the accuracy.
    let micro = (t.kind == TaskKind::Multi).then_some(t.micro_f1);
    let rows = [
        ("micro-F1", micro, i.micro_f1),
        ("macro-F1", Some(t.macro_f1), i.macro_f1),
        ("accuracy", t.accuracy, i.accuracy),
        ("f_avg", t.f_avg, i.f_avg),
        ("ECE", t.ece, i.ece),
    ];
    for (name, value, interval) in rows {
        if let (Some(v), Some(iv)) = (value, interval) {
            let _ = writeln!(out, "{name:>13}  {v:.4}  [{:.4}, {:.4}]", iv.lo, iv.hi);
        }
    }
}

fn render_reliability(out: &mut String, ece: f64, table: &[ReliabilityBin], kind: TaskKind) {
    let what = match kind {
        TaskKind::Multi => "every label's probability",
        TaskKind::Single => "the predicted label's probability",
    };
    let _ = writeln!(out, "\nexpected calibration error {ece:.4} ({what})");
    let _ = writeln!(
        out,
        "{:>13}  {:>8}  {:>9}  {:>9}",
        "probability", "n", "predicted", "observed"
    );
    for b in table.iter().filter(|b| b.n > 0) {
        let _ = writeln!(
            out,
            "{:>13}  {:>8}  {:>9.4}  {:>9.4}",
            format!("{:.1}-{:.1}", b.lo, b.hi),
            b.n,
            b.mean_predicted,
            b.observed
        );
    }
}

fn render_confusion(
    out: &mut String,
    confusion: &BTreeMap<String, BTreeMap<String, usize>>,
    labels: &BTreeMap<String, LabelReport>,
) {
    let names: Vec<&String> = labels.keys().collect();
    let row_w = names
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let col_w = names
        .iter()
        .map(|l| l.chars().count().min(10))
        .max()
        .unwrap_or(5)
        .max(5);
    let _ = writeln!(out, "\nconfusion (rows: gold, columns: predicted)");
    let _ = write!(out, "{:>row_w$}", "");
    for n in &names {
        let short: String = n.chars().take(col_w).collect();
        let _ = write!(out, "  {short:>col_w$}");
    }
    let _ = writeln!(out);
    for g in &names {
        let _ = write!(out, "{g:>row_w$}");
        for p in &names {
            let v = confusion
                .get(*g)
                .and_then(|r| r.get(*p))
                .copied()
                .unwrap_or(0);
            let _ = write!(out, "  {v:>col_w$}");
        }
        let _ = writeln!(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    fn v(labels: &[&str]) -> Vec<String> {
        labels.iter().map(|s| s.to_string()).collect()
    }

    /// Expected values computed with scikit-learn 1.9.1:
    /// `precision_recall_fscore_support(y_true, y_pred)`, `f1_score(average="macro")`,
    /// `accuracy_score` on y_true = [favor, against, none, against, favor, none],
    /// y_pred = [favor, against, against, against, none, none].
    #[test]
    fn single_label_matches_sklearn() {
        let gold = ["favor", "against", "none", "against", "favor", "none"];
        let pred = ["favor", "against", "against", "against", "none", "none"];
        let outcomes = TaskOutcomes {
            kind: TaskKind::Single,
            model_labels: v(&["against", "favor", "none"]),
            pairs: gold
                .iter()
                .zip(pred)
                .map(|(g, p)| (v(&[g]), v(&[p])))
                .collect(),
            calibration: Vec::new(),
            docs: Vec::new(),
        };
        let r = outcomes.report();
        assert_abs_diff_eq!(r.accuracy.unwrap(), 4.0 / 6.0, epsilon = 1e-12);
        assert_abs_diff_eq!(r.micro_f1, 4.0 / 6.0, epsilon = 1e-12);
        // per label (precision, recall, f1, support)
        let expected = [
            ("against", 2.0 / 3.0, 1.0, 0.8, 2),
            ("favor", 1.0, 0.5, 2.0 / 3.0, 2),
            ("none", 0.5, 0.5, 0.5, 2),
        ];
        for (label, p, rec, f, s) in expected {
            let row = &r.labels[label];
            assert_abs_diff_eq!(row.precision, p, epsilon = 1e-12);
            assert_abs_diff_eq!(row.recall, rec, epsilon = 1e-12);
            assert_abs_diff_eq!(row.f1, f, epsilon = 1e-12);
            assert_eq!(row.support, s, "{label}");
        }
        assert_abs_diff_eq!(r.macro_f1, 0.655_555_555_555_555_5, epsilon = 1e-12);
        assert_abs_diff_eq!(r.f_avg.unwrap(), (0.8 + 2.0 / 3.0) / 2.0, epsilon = 1e-12);
        assert_eq!(r.confusion.as_ref().unwrap()["none"]["against"], 1);
        assert!(r.never_predicted.is_empty());
    }

    /// Expected values computed with scikit-learn 1.9.1 on the indicator matrices of
    /// y_true = [{a,b}, {}, {a}, {c}], y_pred = [{a}, {b}, {a,c}, {}]:
    /// micro-F1 0.5 (tp 2, fp 2, fn 2); per-label F1 a = 1.0, b = 0.0, c = 0.0.
    #[test]
    fn multi_label_matches_sklearn() {
        let outcomes = TaskOutcomes {
            kind: TaskKind::Multi,
            model_labels: v(&["a", "b", "c", "d"]),
            pairs: vec![
                (v(&["a", "b"]), v(&["a"])),
                (v(&[]), v(&["b"])),
                (v(&["a"]), v(&["a", "c"])),
                (v(&["c"]), v(&[])),
            ],
            calibration: vec![
                vec![(0.9, true)],
                vec![(0.1, false)],
                vec![(0.6, true)],
                vec![(0.6, false)],
            ],
            docs: Vec::new(),
        };
        let r = outcomes.report();
        assert_abs_diff_eq!(r.micro_f1, 0.5, epsilon = 1e-12);
        assert_abs_diff_eq!(r.labels["a"].f1, 1.0, epsilon = 1e-12);
        assert_abs_diff_eq!(r.labels["b"].f1, 0.0, epsilon = 1e-12);
        assert_abs_diff_eq!(r.macro_f1, 1.0 / 3.0, epsilon = 1e-12);
        assert!(
            !r.labels.contains_key("d"),
            "never seen nor predicted: left out"
        );
        assert_eq!(r.accuracy, None);
        assert!(
            r.never_predicted.is_empty(),
            "c is predicted once (wrongly)"
        );
        let text = EvalReport {
            tasks: BTreeMap::from([("technique".to_string(), r)]),
        }
        .to_text();
        assert!(
            text.contains("micro avg     0.5000     0.5000     0.5000"),
            "{text}"
        );
        // ECE: bins [0.9, 1.0] (0.9, hit: 0.1), [0.6, 0.7) (0.6, 0.6; one hit: 0.1),
        // [0.1, 0.2) (0.1, miss: 0.1): every bin is off by 0.1.
        assert!(text.contains("expected calibration error 0.1000"), "{text}");
    }

    #[test]
    fn unknown_gold_labels_are_reported() {
        let outcomes = TaskOutcomes {
            kind: TaskKind::Multi,
            model_labels: v(&["a"]),
            pairs: vec![(v(&["z"]), v(&[]))],
            calibration: Vec::new(),
            docs: Vec::new(),
        };
        let r = outcomes.report();
        assert_eq!(r.unknown_labels, ["z"]);
        assert_eq!(r.never_predicted, ["z"]);
        assert_eq!(r.micro_f1, 0.0);
    }

    /// Six single-label records: (gold, predicted, probability of the prediction).
    fn stance_outcomes(docs: Vec<usize>) -> TaskOutcomes {
        let rows = [
            ("favor", "favor", 0.9),
            ("against", "against", 0.8),
            ("none", "against", 0.6),
            ("against", "against", 0.7),
            ("favor", "none", 0.5),
            ("none", "none", 0.4),
        ];
        TaskOutcomes {
            kind: TaskKind::Single,
            model_labels: v(&["against", "favor", "none"]),
            pairs: rows.iter().map(|(g, p, _)| (v(&[g]), v(&[p]))).collect(),
            calibration: rows.iter().map(|&(g, p, q)| vec![(q, g == p)]).collect(),
            docs,
        }
    }

    #[test]
    fn intervals_of_one_document_are_its_figures() {
        let o = stance_outcomes(vec![7; 6]);
        let r = o.report();
        let i = o.intervals(200, 3).unwrap();
        assert_eq!((i.documents, i.resamples, i.seed), (1, 200, 3));
        let cases = [
            ("micro-F1", i.micro_f1, Some(r.micro_f1)),
            ("macro-F1", i.macro_f1, Some(r.macro_f1)),
            ("accuracy", i.accuracy, r.accuracy),
            ("f_avg", i.f_avg, r.f_avg),
            ("ECE", i.ece, r.ece),
        ];
        for (name, interval, value) in cases {
            let (interval, value) = (interval.unwrap(), value.unwrap());
            let off = (interval.lo - value).abs().max((interval.hi - value).abs());
            assert!(off < 1e-12, "{name}: {interval:?} against {value}");
        }
    }

    #[test]
    fn intervals_resample_documents_not_records() {
        // Two documents: the first three records (2 of 3 right), the last three (2 of 3).
        // Any resample of the two documents has accuracy 4/6; resampling records does not.
        let by_doc = stance_outcomes(vec![0, 0, 0, 1, 1, 1])
            .intervals(500, 1)
            .unwrap();
        let acc = by_doc.accuracy.unwrap();
        assert_eq!(by_doc.documents, 2);
        assert_abs_diff_eq!(acc.lo, 4.0 / 6.0, epsilon = 1e-12);
        assert_abs_diff_eq!(acc.hi, 4.0 / 6.0, epsilon = 1e-12);
        let by_record = stance_outcomes(Vec::new()).intervals(500, 1).unwrap();
        let acc = by_record.accuracy.unwrap();
        assert_eq!(by_record.documents, 6);
        assert!(acc.lo < 0.5 && acc.hi > 0.8, "{acc:?}");
    }

    #[test]
    fn intervals_are_deterministic_and_optional() {
        let o = stance_outcomes(Vec::new());
        assert_eq!(o.intervals(300, 9), o.intervals(300, 9));
        assert_eq!(o.intervals(0, 9), None);
        // A multi-label task has no accuracy and, without favor and against, no f_avg.
        let multi = TaskOutcomes {
            kind: TaskKind::Multi,
            model_labels: v(&["a", "b"]),
            pairs: vec![(v(&["a"]), v(&["a"])), (v(&["b"]), v(&[]))],
            calibration: Vec::new(),
            docs: Vec::new(),
        };
        let i = multi.intervals(100, 1).unwrap();
        assert_eq!((i.accuracy, i.f_avg, i.ece), (None, None, None));
        let micro = i.micro_f1.unwrap();
        assert!(micro.lo <= micro.hi && micro.lo >= 0.0 && micro.hi <= 1.0);
    }

    #[test]
    fn intervals_are_rendered_after_the_averages() {
        let o = stance_outcomes(Vec::new());
        let mut r = o.report();
        r.intervals = o.intervals(100, 1);
        let text = EvalReport {
            tasks: BTreeMap::from([("stance".to_string(), r)]),
        }
        .to_text();
        let at = |what: &str| text.find(what).unwrap_or_else(|| panic!("{what}: {text}"));
        assert!(
            at("weighted avg")
                < at("95% bootstrap intervals (100 resamples of the 6 documents, seed 1)")
        );
        for row in [
            "macro-F1  0.6556  [",
            "accuracy  0.6667  [",
            "f_avg  0.7333  [",
            "ECE  0.",
        ] {
            at(row);
        }
        assert!(
            !text.contains("micro-F1"),
            "single-label micro-F1 is the accuracy: {text}"
        );
    }
}
