//! Decision thresholds of multi-label heads, tuned for the task's micro-F1.

use serde::{Deserialize, Serialize};

/// How a multi-label head's thresholds are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThresholdRule {
    /// One threshold for every label, maximising the task's micro-F1.
    Global,
    /// A threshold per label: [`tune_thresholds`].
    PerLabel,
}

impl ThresholdRule {
    /// Both rules, the simpler first.
    pub const ALL: [ThresholdRule; 2] = [ThresholdRule::Global, ThresholdRule::PerLabel];

    /// The rule with the highest cross-fitted micro-F1 among `(rule, micro-F1)` pairs (the
    /// first of equals); `None` for none.
    pub fn best(rules: &[(ThresholdRule, f32)]) -> Option<ThresholdRule> {
        let best = rules
            .iter()
            .reduce(|best, r| if r.1 > best.1 { r } else { best });
        best.map(|&(rule, _)| rule)
    }

    /// The rule in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            ThresholdRule::Global => "one for all labels",
            ThresholdRule::PerLabel => "one per label",
        }
    }

    /// The thresholds this rule sets on `scores` (per label, (probability, is positive)
    /// pairs), and the micro-F1 they reach there.
    pub fn tune(self, scores: &[Vec<(f32, bool)>]) -> (Vec<f32>, f32) {
        match self {
            ThresholdRule::PerLabel => tune_thresholds(scores),
            ThresholdRule::Global => {
                let pooled: Vec<(f32, bool)> = scores.iter().flatten().copied().collect();
                let (t, _) = best_cut(&pooled, Counts::default());
                let total = scores
                    .iter()
                    .fold(Counts::default(), |a, s| a.add(Counts::at(s, t)));
                (vec![t; scores.len()], total.f1())
            }
        }
    }

    /// The micro-F1 of this rule measured honestly on out-of-fold scores: each fold's rows
    /// are thresholded by the rule tuned on the other folds' rows (`fold[i]` is row `i`'s
    /// fold), and the counts of all folds are pooled. Thresholds tuned and measured on the
    /// same scores flatter a rule with more of them; this does not.
    ///
    /// Returns the pooled micro-F1 and each fold's own.
    pub fn cross_fitted_micro_f1(
        self,
        scores: &[Vec<(f32, bool)>],
        fold: &[usize],
        n_folds: usize,
    ) -> (f32, Vec<f32>) {
        let mut total = Counts::default();
        let mut per_fold = Vec::with_capacity(n_folds);
        for f in 0..n_folds {
            let part = |held: bool| -> Vec<Vec<(f32, bool)>> {
                scores
                    .iter()
                    .map(|s| {
                        s.iter()
                            .zip(fold)
                            .filter(|(_, &k)| (k == f) == held)
                            .map(|(p, _)| *p)
                            .collect()
                    })
                    .collect()
            };
            let (thresholds, _) = self.tune(&part(false));
            let mut this = Counts::default();
            for (s, &t) in part(true).iter().zip(&thresholds) {
                this = this.add(Counts::at(s, t));
            }
            per_fold.push(this.f1());
            total = total.add(this);
        }
        (total.f1(), per_fold)
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
pub(crate) fn label_f1s(scores: &[Vec<(f32, bool)>], thresholds: &[f32]) -> Vec<f32> {
    scores
        .iter()
        .zip(thresholds)
        .map(|(s, &t)| Counts::at(s, t).f1())
        .collect()
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
    fn global_rule_sets_one_threshold_and_cross_fitting_measures_it_out_of_sample() {
        // Two labels whose best cuts differ: 0.45 for label 0, 0.75 for label 1.
        let label0: Vec<(f32, bool)> = (0..10).map(|i| (i as f32 / 10.0, i >= 5)).collect();
        let label1: Vec<(f32, bool)> = (0..10).map(|i| (i as f32 / 10.0, i >= 8)).collect();
        let scores = [label0, label1];
        let (global, micro) = ThresholdRule::Global.tune(&scores);
        assert_eq!(global[0], global[1]);
        let (per_label, per_label_micro) = ThresholdRule::PerLabel.tune(&scores);
        assert_ne!(per_label[0], per_label[1]);
        assert!(
            per_label_micro > micro,
            "more thresholds fit their own data better"
        );
        assert!((per_label_micro - 1.0).abs() < 1e-6);
        // Cross-fitted on two folds (even and odd rows), per-label thresholds still separate
        // these labels perfectly: nothing here is noise.
        let fold: Vec<usize> = (0..10).map(|i| i % 2).collect();
        let (crossed, per_fold) = ThresholdRule::PerLabel.cross_fitted_micro_f1(&scores, &fold, 2);
        assert_eq!(per_fold.len(), 2);
        assert!(crossed <= per_label_micro + 1e-6);
        assert!(crossed > 0.8, "{crossed}");
        // A label whose positives are noise: in-sample its own threshold looks perfect,
        // cross-fitted it does not.
        let noise: Vec<(f32, bool)> = (0..10)
            .map(|i| (i as f32 / 10.0, [1, 4, 9].contains(&i)))
            .collect();
        let scores = [scores[0].clone(), noise];
        let (_, in_sample) = ThresholdRule::PerLabel.tune(&scores);
        let (crossed, _) = ThresholdRule::PerLabel.cross_fitted_micro_f1(&scores, &fold, 2);
        assert!(crossed < in_sample, "{crossed} vs {in_sample}");
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
}
