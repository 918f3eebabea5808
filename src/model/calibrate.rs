//! Probability calibration: Platt scaling of each output's logit, fitted out of fold.
//!
//! Class weights, regularisation and one-vs-rest training all distort a model's raw
//! probabilities (a rare label trained with balanced weights is scored far too high). Each
//! output therefore gets an affine map of its logit, `z' = a·z + b`, fitted by maximum
//! likelihood on out-of-fold logits (cross-validation over the training data, so the map is
//! fitted on scores of rows the model did not see), with Platt's smoothed targets
//! `(N₊ + 1) / (N₊ + 2)` and `1 / (N₋ + 2)`. The fit is Newton's method with backtracking, as
//! in Lin, Lin & Weng (2007), "A note on Platt's probabilistic outputs for support vector
//! machines".
//!
//! Single-label heads with three or more classes are calibrated in two stages: vector scaling
//! of the logits, then top-label maps ([`fit_top_label`]) of the predicted label's probability.

use serde::{Deserialize, Serialize};

use super::linear::{apply_link, Link};

/// An affine map of a logit: `a·z + b`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    /// Slope.
    pub a: f32,
    /// Offset.
    pub b: f32,
}

impl Platt {
    /// The identity map.
    pub const IDENTITY: Platt = Platt { a: 1.0, b: 0.0 };

    /// The calibrated logit.
    #[inline]
    pub fn apply(self, z: f32) -> f32 {
        self.a * z + self.b
    }

    /// Fits the map on (logit, outcome) pairs. With no positive or no negative outcome the
    /// identity is returned (there is nothing to calibrate against).
    pub fn fit(pairs: &[(f32, bool)]) -> Platt {
        Platt::fit_toward(pairs, Platt::IDENTITY, 0.0)
    }

    /// Fits the map with a Gaussian prior centred on `prior`: the negative log-likelihood plus
    /// `strength · ((a − a₀)² + (b − b₀)²)`, so that a map fitted on few pairs stays near the
    /// prior. Without a positive or a negative outcome, `prior` itself.
    pub fn fit_toward(pairs: &[(f32, bool)], prior: Platt, strength: f64) -> Platt {
        let n_pos = pairs.iter().filter(|p| p.1).count();
        let n_neg = pairs.len() - n_pos;
        if n_pos == 0 || n_neg == 0 {
            return prior;
        }
        let (a0, b0) = (f64::from(prior.a), f64::from(prior.b));
        let hi = (n_pos as f64 + 1.0) / (n_pos as f64 + 2.0);
        let lo = 1.0 / (n_neg as f64 + 2.0);
        let t: Vec<f64> = pairs.iter().map(|p| if p.1 { hi } else { lo }).collect();
        let z: Vec<f64> = pairs.iter().map(|p| f64::from(p.0)).collect();
        // Negative log-likelihood of p = σ(a z + b), computed stably.
        let nll = |a: f64, b: f64| -> f64 {
            z.iter()
                .zip(&t)
                .map(|(&zi, &ti)| {
                    let f = a * zi + b;
                    // −[t log σ(f) + (1 − t) log(1 − σ(f))] = log(1 + e^f) − t·f
                    let log1p_exp = if f > 0.0 {
                        f + (-f).exp().ln_1p()
                    } else {
                        f.exp().ln_1p()
                    };
                    log1p_exp - ti * f
                })
                .sum::<f64>()
                + strength * ((a - a0) * (a - a0) + (b - b0) * (b - b0))
        };
        let (mut a, mut b) = (a0, b0);
        let mut f = nll(a, b);
        for _ in 0..100 {
            // Gradient and Hessian of the NLL in (a, b).
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (&zi, &ti) in z.iter().zip(&t) {
                let p = 1.0 / (1.0 + (-(a * zi + b)).exp());
                let d = p - ti;
                let w = (p * (1.0 - p)).max(1e-12);
                ga += d * zi;
                gb += d;
                haa += w * zi * zi;
                hab += w * zi;
                hbb += w;
            }
            ga += 2.0 * strength * (a - a0);
            gb += 2.0 * strength * (b - b0);
            let (haa, hbb) = (haa + 2.0 * strength, hbb + 2.0 * strength);
            if ga.abs() < 1e-7 && gb.abs() < 1e-7 {
                break;
            }
            // A small ridge keeps the Hessian invertible when all logits are equal.
            let (haa, hbb) = (haa + 1e-9, hbb + 1e-9);
            let det = haa * hbb - hab * hab;
            let da = -(hbb * ga - hab * gb) / det;
            let db = -(haa * gb - hab * ga) / det;
            let mut step = 1.0;
            let mut improved = false;
            while step > 1e-10 {
                let (na, nb) = (a + step * da, b + step * db);
                let nf = nll(na, nb);
                if nf < f - 1e-4 * step * (ga * da + gb * db).abs() || nf < f {
                    a = na;
                    b = nb;
                    f = nf;
                    improved = true;
                    break;
                }
                step *= 0.5;
            }
            if !improved {
                break;
            }
        }
        // Opaque to the optimiser: rustc 1.95's release build otherwise returned
        // the offset's starting value instead of the fitted one when this function was
        // compiled beside some unrelated code (a miscompilation; see the test
        // `calibration_survives_release_codegen` in tests/model_file.rs).
        let (a, b) = std::hint::black_box((a, b));
        if !(a.is_finite() && b.is_finite()) {
            return prior;
        }
        Platt {
            a: a as f32,
            b: b as f32,
        }
    }
}

/// Vector scaling (Guo et al. 2017, "On calibration of modern neural networks"): one affine
/// map per class, `z'_c = a_c·z_c + b_c`, fitted jointly to minimise the negative
/// log-likelihood of `softmax(z')` on out-of-fold logits `logits[class][row]` with gold classes
/// `gold[row]`. Gradient descent with backtracking from the identity; returns the identity for
/// fewer than two classes present.
pub fn fit_vector_scaling(logits: &[Vec<f32>], gold: &[usize]) -> Vec<Platt> {
    let k = logits.len();
    let n = gold.len();
    let mut present = vec![false; k];
    gold.iter().for_each(|&g| present[g] = true);
    if n == 0 || present.iter().filter(|&&p| p).count() < 2 {
        return vec![Platt::IDENTITY; k];
    }
    let nll_and_grad = |a: &[f64], b: &[f64], grad: Option<(&mut [f64], &mut [f64])>| -> f64 {
        let mut total = 0.0;
        let mut z = vec![0.0f64; k];
        let (mut ga, mut gb) = match grad {
            Some((ga, gb)) => {
                ga.fill(0.0);
                gb.fill(0.0);
                (Some(ga), Some(gb))
            }
            None => (None, None),
        };
        for (i, &y) in gold.iter().enumerate() {
            for c in 0..k {
                z[c] = a[c] * f64::from(logits[c][i]) + b[c];
            }
            let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
            total += max + sum.ln() - z[y];
            if let (Some(ga), Some(gb)) = (ga.as_deref_mut(), gb.as_deref_mut()) {
                for c in 0..k {
                    let p = (z[c] - max).exp() / sum;
                    let d = p - f64::from(u8::from(c == y));
                    ga[c] += d * f64::from(logits[c][i]);
                    gb[c] += d;
                }
            }
        }
        total / n as f64
    };
    let (mut a, mut b) = (vec![1.0f64; k], vec![0.0f64; k]);
    let (mut ga, mut gb) = (vec![0.0f64; k], vec![0.0f64; k]);
    let mut f = nll_and_grad(&a, &b, Some((&mut ga, &mut gb)));
    let mut step = 1.0;
    for _ in 0..500 {
        ga.iter_mut()
            .chain(gb.iter_mut())
            .for_each(|g| *g /= n as f64);
        let norm2: f64 = ga.iter().chain(&gb).map(|g| g * g).sum();
        if norm2 < 1e-12 {
            break;
        }
        // Backtracking (Armijo) along the negative gradient.
        let mut accepted = false;
        while step > 1e-8 {
            let na: Vec<f64> = a.iter().zip(&ga).map(|(v, g)| v - step * g).collect();
            let nb: Vec<f64> = b.iter().zip(&gb).map(|(v, g)| v - step * g).collect();
            let nf = nll_and_grad(&na, &nb, None);
            if nf <= f - 0.5 * step * norm2 {
                a = na;
                b = nb;
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
        f = nll_and_grad(&a, &b, Some((&mut ga, &mut gb)));
        step *= 2.0;
    }
    a.iter()
        .zip(&b)
        .map(|(&a, &b)| {
            if a.is_finite() && b.is_finite() {
                Platt {
                    a: a as f32,
                    b: b as f32,
                }
            } else {
                Platt::IDENTITY
            }
        })
        .collect()
}

/// The softmax of one row's logits after vector scaling: `logit(c)` is class c's logit,
/// `out` (one slot per class) receives the probabilities.
pub(crate) fn calibrated_softmax(
    calibration: &[Platt],
    logit: impl Fn(usize) -> f32,
    out: &mut [f32],
) {
    for (c, (p, map)) in out.iter_mut().zip(calibration).enumerate() {
        *p = map.apply(logit(c));
    }
    apply_link(Link::Softmax, out);
}

/// Strength of the prior that pulls each predicted class's top-label map toward the map of
/// all classes pooled (see [`fit_top_label`]), in the units of the summed log-likelihood: about
/// as many pseudo-records. Chosen by the log-loss of the predicted label's probability under
/// maps cross-fitted on nested cross-validation predictions of GVFC `frame`'s training split
/// (strength 1, 3, 10, 30, 100: 0.4289, 0.4281, 0.4279, 0.4285, 0.4298; no map 0.4342).
pub const TOP_LABEL_PRIOR: f64 = 10.0;

/// The logit of a probability, clamped away from 0 and 1.
fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// The index of the largest value, the first of equals (the argmax every single-label
/// prediction uses).
pub(crate) fn first_max(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Top-label calibration (Gupta & Ramdas 2022, "Top-label calibration and multiclass-to-binary
/// reductions"): per predicted class, a Platt map of the logit of the predicted label's
/// probability, fitted on `(probabilities, gold class)` rows the model did not see. Vector
/// scaling calibrates the whole distribution on average, but when a rare class wins the argmax
/// it is more often wrong than its probability says (and the common class is right more often),
/// which is what the usual calibration measure, that of the predicted label's probability,
/// sees. Each class's map is fitted with a prior ([`TOP_LABEL_PRIOR`]) centred on the map
/// fitted on all rows pooled, so a class predicted a few times keeps close to that one.
pub fn fit_top_label(rows: &[(&[f32], usize)], n_classes: usize) -> Vec<Platt> {
    let outcomes: Vec<(usize, (f32, bool))> = rows
        .iter()
        .map(|(probs, gold)| {
            let c = first_max(probs);
            (c, (logit(probs[c]), c == *gold))
        })
        .collect();
    let all: Vec<(f32, bool)> = outcomes.iter().map(|o| o.1).collect();
    let pooled = Platt::fit(&all);
    (0..n_classes)
        .map(|c| {
            let pairs: Vec<(f32, bool)> =
                outcomes.iter().filter(|o| o.0 == c).map(|o| o.1).collect();
            Platt::fit_toward(&pairs, pooled, TOP_LABEL_PRIOR)
        })
        .collect()
}

/// Applies the top-label maps of [`fit_top_label`] to a probability distribution: the
/// predicted (first largest) label's probability goes through its class's map, and the others
/// share the rest in their old proportions. The predicted label stays the predicted label (its
/// new probability is kept above what the runner-up would get), and the probabilities still
/// sum to 1. A distribution with (almost) all its mass on one label is left as it is: the
/// others' proportions are then unknown.
pub fn apply_top_label(probs: &mut [f32], maps: &[Platt]) {
    if probs.len() < 2 || maps.len() != probs.len() {
        return;
    }
    let c = first_max(probs);
    let top = f64::from(probs[c]);
    let rest = 1.0 - top;
    if rest <= 1e-6 {
        return;
    }
    let second = probs
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != c)
        .map(|(_, &p)| f64::from(p))
        .fold(0.0, f64::max);
    let mapped = 1.0 / (1.0 + (-f64::from(maps[c].apply(logit(probs[c])))).exp());
    // After the change the runner-up has second · (1 − new) / rest, which stays below new
    // while new > second / (rest + second).
    let floor = second / (rest + second) * (1.0 + 1e-4);
    let new = mapped.max(floor).min(1.0);
    let scale = (1.0 - new) / rest;
    for (i, p) in probs.iter_mut().enumerate() {
        *p = if i == c {
            new as f32
        } else {
            (f64::from(*p) * scale) as f32
        };
    }
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the bin (probabilities in `[lo, hi)`, the last bin includes 1).
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Predictions in the bin.
    pub n: usize,
    /// Mean predicted probability in the bin.
    pub mean_predicted: f64,
    /// Fraction of those predictions that were right.
    pub observed: f64,
}

/// Expected calibration error over `bins` equal-width bins of (probability, outcome) pairs, and
/// the reliability table: `ECE = Σ_b (n_b / N) · |observed_b − mean_predicted_b|`.
pub fn reliability(pairs: &[(f64, bool)], bins: usize) -> (f64, Vec<ReliabilityBin>) {
    let mut sums = BinSums::new(bins);
    pairs.iter().for_each(|&(p, y)| sums.add(p, y));
    (sums.ece(), sums.table())
}

/// Running sums of (probability, outcome) pairs in equal-width bins: what the expected
/// calibration error and the reliability table of [`reliability`] are computed from.
#[derive(Debug, Clone)]
pub struct BinSums {
    /// Per bin: pairs, summed probability, right outcomes.
    bins: Vec<(usize, f64, usize)>,
    /// Pairs in all bins.
    n: usize,
}

impl BinSums {
    /// `bins` empty bins (at least one).
    pub fn new(bins: usize) -> BinSums {
        BinSums {
            bins: vec![(0, 0.0, 0); bins.max(1)],
            n: 0,
        }
    }

    /// Adds a pair to its bin; 1.0 falls in the last.
    pub fn add(&mut self, p: f64, right: bool) {
        let k = ((p * self.bins.len() as f64) as usize).min(self.bins.len() - 1);
        let bin = &mut self.bins[k];
        bin.0 += 1;
        bin.1 += p;
        bin.2 += usize::from(right);
        self.n += 1;
    }

    /// Per bin: (pairs, mean probability, share right); zeros for an empty bin.
    fn means(&self) -> impl Iterator<Item = (usize, f64, f64)> + '_ {
        self.bins.iter().map(|&(count, sum_p, hits)| {
            if count == 0 {
                (0, 0.0, 0.0)
            } else {
                (count, sum_p / count as f64, hits as f64 / count as f64)
            }
        })
    }

    /// Expected calibration error (0 without pairs).
    pub fn ece(&self) -> f64 {
        let n = self.n.max(1) as f64;
        self.means()
            .map(|(count, mean, observed)| count as f64 / n * (observed - mean).abs())
            .sum()
    }

    /// The reliability table, one row per bin.
    pub fn table(&self) -> Vec<ReliabilityBin> {
        let bins = self.bins.len() as f64;
        self.means()
            .enumerate()
            .map(|(k, (n, mean_predicted, observed))| ReliabilityBin {
                lo: k as f64 / bins,
                hi: (k + 1) as f64 / bins,
                n,
                mean_predicted,
                observed,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// Logits twice too large and shifted by 1: Platt undoes both.
    #[test]
    fn platt_recovers_a_known_distortion() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let pairs: Vec<(f32, bool)> = (0..20_000)
            .map(|_| {
                let true_logit: f64 = rng.gen_range(-4.0..4.0);
                let p = 1.0 / (1.0 + (-true_logit).exp());
                let y = rng.gen_bool(p);
                ((2.0 * true_logit + 1.0) as f32, y)
            })
            .collect();
        let m = Platt::fit(&pairs);
        assert_abs_diff_eq!(m.a, 0.5, epsilon = 0.03);
        assert_abs_diff_eq!(m.b, -0.5, epsilon = 0.06);
    }

    /// Three classes whose logits are three times too sharp and whose class 2 is offset by
    /// +1: vector scaling shrinks the slopes towards 1/3 and removes most of the offset.
    #[test]
    fn vector_scaling_recovers_a_known_distortion() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        let (mut logits, mut gold) = (vec![Vec::new(); 3], Vec::new());
        for _ in 0..6000 {
            let true_z: Vec<f64> = (0..3).map(|_| rng.gen_range(-2.0..2.0)).collect();
            let sum: f64 = true_z.iter().map(|v| v.exp()).sum();
            let r: f64 = rng.gen();
            let mut acc = 0.0;
            let y = (0..3)
                .find(|&c| {
                    acc += true_z[c].exp() / sum;
                    r < acc
                })
                .unwrap_or(2);
            gold.push(y);
            for c in 0..3 {
                logits[c].push((3.0 * true_z[c] + if c == 2 { 1.0 } else { 0.0 }) as f32);
            }
        }
        let maps = fit_vector_scaling(&logits, &gold);
        for m in &maps {
            assert_abs_diff_eq!(m.a, 1.0 / 3.0, epsilon = 0.04);
        }
        // Offsets are identified up to a shared constant: compare class 2 with class 0.
        assert_abs_diff_eq!(maps[2].b - maps[0].b, -1.0 / 3.0, epsilon = 0.1);
        assert_eq!(
            fit_vector_scaling(&logits, &vec![1; gold.len()]),
            vec![Platt::IDENTITY; 3]
        );
    }

    #[test]
    fn platt_degenerate_inputs_give_identity() {
        assert_eq!(Platt::fit(&[]), Platt::IDENTITY);
        assert_eq!(Platt::fit(&[(1.0, true), (2.0, true)]), Platt::IDENTITY);
        // Equal logits: only the offset can move, towards the smoothed base rate.
        let m = Platt::fit(&[(0.0, true), (0.0, false), (0.0, false), (0.0, false)]);
        let p = 1.0 / (1.0 + (-m.apply(0.0)).exp());
        assert!((p - 2.0 / 6.0).abs() < 0.02, "{p}");
    }

    /// Hand-worked: two bins of 0.1-wide; [0.1, 0.2) holds 0.15 and 0.15 with one hit
    /// (observed 0.5, |0.5 − 0.15| = 0.35), [0.9, 1.0] holds 0.95 with a hit (0.05);
    /// ECE = 2/3 · 0.35 + 1/3 · 0.05 = 0.25.
    #[test]
    fn ece_hand_worked() {
        let (ece, table) = reliability(&[(0.15, true), (0.15, false), (0.95, true)], 10);
        assert_abs_diff_eq!(ece, 0.25, epsilon = 1e-12);
        assert_eq!(table.len(), 10);
        assert_eq!((table[1].n, table[9].n), (2, 1));
        assert_abs_diff_eq!(table[1].observed, 0.5);
        let (ece, _) = reliability(&[(1.0, true), (0.0, false)], 10);
        assert_abs_diff_eq!(ece, 0.0);
    }

    /// Class 2 is right far less often than its probability says when it is predicted
    /// (its true logit is the stated one − 1.5), class 0 is calibrated, class 1 is never
    /// predicted: the maps undo class 2's offset, leave class 0 near the identity, and class 1
    /// gets the pooled map.
    #[test]
    fn top_label_maps_recover_a_per_class_distortion() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut rows: Vec<(Vec<f32>, usize)> = Vec::new();
        for i in 0..8000 {
            let c = if i % 4 == 0 { 2 } else { 0 };
            let stated: f64 = rng.gen_range(0.4..0.99);
            let z = (stated / (1.0 - stated)).ln() - if c == 2 { 1.5 } else { 0.0 };
            let right = rng.gen_bool(1.0 / (1.0 + (-z).exp()));
            let mut probs = vec![((1.0 - stated) / 2.0) as f32; 3];
            probs[c] = stated as f32;
            let other = if c == 2 { 0 } else { 2 };
            rows.push((probs, if right { c } else { other }));
        }
        let view: Vec<(&[f32], usize)> = rows.iter().map(|(p, g)| (p.as_slice(), *g)).collect();
        let maps = fit_top_label(&view, 3);
        assert_abs_diff_eq!(maps[2].a, 1.0, epsilon = 0.15);
        assert_abs_diff_eq!(maps[2].b, -1.5, epsilon = 0.25);
        assert_abs_diff_eq!(maps[0].a, 1.0, epsilon = 0.1);
        assert_abs_diff_eq!(maps[0].b, 0.0, epsilon = 0.15);
        let all: Vec<(f32, bool)> = view
            .iter()
            .map(|(p, g)| {
                let c = first_max(p);
                (logit(p[c]), c == *g)
            })
            .collect();
        assert_eq!(maps[1], Platt::fit(&all));
    }

    /// Applying the maps: (probabilities, map of the predicted class) → probabilities. The
    /// predicted label stays the first largest, the sum stays 1, the others keep their ratios.
    #[test]
    fn top_label_application_table() {
        let shrink = Platt { a: 1.0, b: -2.0 };
        let grow = Platt { a: 1.0, b: 2.0 };
        let cases: &[(&[f32], Platt, &[f32])] = &[
            // σ(logit(0.8) − 2) = 0.3512; the others share the rest 1:1.
            (&[0.8, 0.1, 0.1], shrink, &[0.3512, 0.3244, 0.3244]),
            // σ(logit(0.6) − 2) = 0.1687 would fall below the runner-up's share of the rest,
            // so the predicted label is held just above it: 0.3 / (0.4 + 0.3) = 0.4286.
            (&[0.6, 0.3, 0.1], shrink, &[0.42861, 0.42854, 0.14285]),
            // σ(logit(0.5) + 2) = 0.8808; the others share 0.1192 as 3:2.
            (&[0.3, 0.5, 0.2], grow, &[0.0715, 0.8808, 0.0477]),
            // All the mass on one label: unchanged.
            (&[1.0, 0.0, 0.0], shrink, &[1.0, 0.0, 0.0]),
            // Equal first: the first is the predicted one and stays so.
            (
                &[0.4, 0.4, 0.2],
                Platt::IDENTITY,
                &[0.40004, 0.39996, 0.19998],
            ),
        ];
        for (before, map, after) in cases {
            let mut p = before.to_vec();
            apply_top_label(&mut p, &[*map; 3]);
            for (got, want) in p.iter().zip(*after) {
                assert_abs_diff_eq!(*got, *want, epsilon = 2e-4);
            }
            assert_abs_diff_eq!(p.iter().sum::<f32>(), 1.0, epsilon = 1e-5);
            assert_eq!(first_max(&p), first_max(before), "{before:?}");
        }
    }
}
