//! Statistics for comparing the framing of two groups of documents (the `compare` command).
//!
//! * [`js_divergence`] / [`js_distance`]: how far apart two label distributions are (e.g. the
//!   frame shares of two outlets), in bits.
//! * [`bootstrap_ci`] and [`permutation_test`]: uncertainty of any such statistic, with
//!   [`bootstrap_replicates`] / [`percentile_interval`] and [`permutation_tests`] for many
//!   statistics on the same resamples. They resample
//!   *documents*, not paragraphs: paragraphs of one article share an author, a topic and an
//!   editorial line, so they are not independent draws, and resampling them one by one would make
//!   the intervals too narrow and the p-values too small. The statistic receives document indices
//!   and gathers whatever it needs from them.
//! * [`log_odds_dirichlet`] / [`informative_prior`]: which words distinguish the two groups
//!   (Monroe, Colaresi & Quinn 2008).
//! * [`mean`], [`share`] / [`wilson_interval`] and [`normal_quantile`]: the small summaries a
//!   report prints.
//!
//! Everything is deterministic: the resampling functions take a `seed` and draw from
//! [`Xoshiro256PlusPlus`] seeded with it, so a report can be reproduced exactly. Nothing here
//! panics on empty input; each function documents what it returns instead (usually NaN, the
//! value that makes an undefined quantity visible in a report without aborting it).

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Jensen–Shannon divergence in bits between two distributions given as non-negative weights.
///
/// Each input is normalised to sum to 1 first, so counts can be passed directly. With
/// `m = (p + q) / 2`,
///
/// ```text
/// JSD(p, q) = ½ Σᵢ pᵢ log₂(pᵢ / mᵢ) + ½ Σᵢ qᵢ log₂(qᵢ / mᵢ),   with 0 · log 0 = 0,
/// ```
///
/// which lies in [0, 1]: 0 for identical distributions, 1 for disjoint supports. The result is
/// the square of `scipy.spatial.distance.jensenshannon(p, q, base=2)`.
///
/// * Slices of different lengths are compared as if the shorter one were padded with zeros (index
///   = category).
/// * Weights that are negative or not finite count as 0.
/// * If either input has no positive weight (all zeros, or empty) the result is 0.0: there is no
///   distribution to compare, and an empty group must not look "maximally different".
///
/// Reference: J. Lin, "Divergence measures based on the Shannon entropy", IEEE Transactions on
/// Information Theory 37(1):145–151, 1991.
pub fn js_divergence(p: &[f64], q: &[f64]) -> f64 {
    let weight = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let sum_p: f64 = p.iter().map(|&x| weight(x)).sum();
    let sum_q: f64 = q.iter().map(|&x| weight(x)).sum();
    if !(sum_p > 0.0 && sum_p.is_finite() && sum_q > 0.0 && sum_q.is_finite()) {
        return 0.0;
    }
    let mut total = 0.0;
    for i in 0..p.len().max(q.len()) {
        let pi = p.get(i).map_or(0.0, |&x| weight(x) / sum_p);
        let qi = q.get(i).map_or(0.0, |&x| weight(x) / sum_q);
        let m = 0.5 * (pi + qi);
        if pi > 0.0 {
            total += pi * (pi / m).log2();
        }
        if qi > 0.0 {
            total += qi * (qi / m).log2();
        }
    }
    // Rounding can push the sum a hair outside [0, 1]; the square root in `js_distance` must not
    // see a negative number.
    (0.5 * total).clamp(0.0, 1.0)
}

/// Jensen–Shannon distance: the square root of [`js_divergence`] (log base 2), a metric on
/// distributions (Endres & Schindelin, "A new metric for probability distributions", IEEE
/// Transactions on Information Theory 49(7):1858–1860, 2003).
///
/// Equals `scipy.spatial.distance.jensenshannon(p, q, base=2)`; the input conventions (padding,
/// negative weights, empty input → 0.0) are those of [`js_divergence`].
pub fn js_distance(p: &[f64], q: &[f64]) -> f64 {
    js_divergence(p, q).sqrt()
}

/// A uniform index in `0..n` (`n > 0`).
///
/// Drawn as a `u64`: rand 0.8 samples a `usize` range at the pointer width, which would give
/// 32-bit targets a different sequence for the same seed.
fn uniform_index(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    rng.gen_range(0..n as u64) as usize
}

/// `a + (b − a)·t`, computed as numpy's `_lerp` does (from the nearer end) so that percentiles
/// agree with `numpy.percentile` to the last bit in ordinary cases.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if t == 0.0 || a == b {
        // Also keeps `inf · 0` out of the result when a bound is infinite.
        return a;
    }
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// The `q`-quantile (`q` in [0, 1]) of ascending, non-empty `sorted` data, interpolating linearly
/// between order statistics: position `h = (n − 1)·q`, value
/// `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`. This is numpy.percentile's default (`method =
/// "linear"`), definition 7 of Hyndman & Fan, "Sample quantiles in statistical packages", The
/// American Statistician 50(4):361–365, 1996.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = (h.floor() as usize).min(sorted.len() - 1);
    let hi = (lo + 1).min(sorted.len() - 1);
    lerp(sorted[lo], sorted[hi], h - lo as f64)
}

/// Bootstrap percentile confidence interval of a statistic over documents.
///
/// Draws `n_boot` resamples of `n_docs` document indices from `0..n_docs` uniformly with
/// replacement, evaluates `statistic` on each (it receives the resample's indices, in drawing
/// order, with repeats) and returns the `(1 − level)/2` and `(1 + level)/2` quantiles of the
/// replicate values, interpolated linearly as `numpy.percentile` does by default. With
/// `level = 0.95` that is the 2.5th and 97.5th percentile.
///
/// Replicates for which `statistic` returns NaN (e.g. a share of zero paragraphs) are left out,
/// as `numpy.nanpercentile` would. Returns `(NaN, NaN)` when there is nothing to resample or
/// nothing left: `n_docs == 0`, `n_boot == 0`, `level` not strictly between 0 and 1, or every
/// replicate NaN. The draws depend only on `seed`, `n_docs` and `n_boot`.
///
/// The percentile interval is the simplest bootstrap interval and is adequate for the smooth,
/// roughly symmetric statistics `compare` reports; it can undercover for small samples or
/// skewed statistics (a BCa interval corrects that).
///
/// Reference: B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman & Hall,
/// 1993, chapter 13 (the percentile interval).
pub fn bootstrap_ci<F: Fn(&[usize]) -> f64>(
    n_docs: usize,
    statistic: F,
    n_boot: usize,
    level: f64,
    seed: u64,
) -> (f64, f64) {
    if !(level > 0.0 && level < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    let mut replicates = bootstrap_replicates(
        n_docs,
        1,
        |idx: &[usize], out: &mut [f64]| out[0] = statistic(idx),
        n_boot,
        seed,
    );
    percentile_interval(&mut replicates, level)
}

/// Bootstrap replicates of a statistic with `n_stats` components, over documents.
///
/// The resampling of [`bootstrap_ci`], for statistics that are vectors (all the label shares of
/// a group at once) or that are combined afterwards (the difference of two groups' shares,
/// each group resampled on its own): `statistic(indices, out)` writes the `n_stats` values of
/// one resample into `out` (which holds the previous resample's values, or zeros). The result
/// holds the replicates one after the other, `n_boot × n_stats` values:
/// `result[r * n_stats + s]` is component `s` of replicate `r`.
///
/// The draws are those of [`bootstrap_ci`] with the same `seed`, `n_docs` and `n_boot`, so a
/// one-component statistic gives the same replicates. Empty (no replicate) when `n_docs == 0`,
/// `n_boot == 0` or `n_stats == 0`.
pub fn bootstrap_replicates<F: FnMut(&[usize], &mut [f64])>(
    n_docs: usize,
    n_stats: usize,
    mut statistic: F,
    n_boot: usize,
    seed: u64,
) -> Vec<f64> {
    if n_docs == 0 || n_boot == 0 || n_stats == 0 {
        return Vec::new();
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut resample = vec![0usize; n_docs];
    let mut replicates = vec![0.0; n_boot * n_stats];
    for out in replicates.chunks_exact_mut(n_stats) {
        for slot in resample.iter_mut() {
            *slot = uniform_index(&mut rng, n_docs);
        }
        statistic(&resample, out);
    }
    replicates
}

/// The percentile interval at `level` of bootstrap replicates: their `(1 − level)/2` and
/// `(1 + level)/2` quantiles, interpolated linearly as `numpy.percentile` does by default.
///
/// NaN replicates are left out (as `numpy.nanpercentile` does); `values` is reordered. Returns
/// `(NaN, NaN)` when nothing is left or `level` is not strictly between 0 and 1.
pub fn percentile_interval(values: &mut Vec<f64>, level: f64) -> (f64, f64) {
    values.retain(|v| !v.is_nan());
    if values.is_empty() || !(level > 0.0 && level < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    (
        quantile_sorted(values, tail),
        quantile_sorted(values, 1.0 - tail),
    )
}

/// Outcome of [`permutation_test`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PermutationResult {
    /// The statistic on the actual split (group A = documents `0..n_a`).
    pub observed: f64,
    /// One-sided Monte Carlo p-value, `(1 + #{permuted ≥ observed}) / (1 + n_perm)`.
    pub p_value: f64,
}

/// Monte Carlo permutation test of "the two groups of documents are exchangeable".
///
/// Documents are the indices `0..n_a + n_b`; the first `n_a` form group A, the rest group B.
/// `statistic(a, b)` gets the indices of each group (each in increasing order) and should grow
/// with the difference between the groups, as a divergence does. The test evaluates it on the
/// actual split, then on `n_perm` random re-splits into groups of the same sizes, and returns
///
/// ```text
/// p = (1 + #{permutations with statistic ≥ observed}) / (1 + n_perm),
/// ```
///
/// the one-sided p-value that counts the observed split as one of the permutations, so it is
/// never 0 and the test keeps its level (Phipson & Smyth, "Permutation p-values should never be
/// zero", Statistical Applications in Genetics and Molecular Biology 9(1), 2010). For a two-sided
/// test of a signed difference, pass its absolute value.
///
/// Each re-split picks group A by a Fisher–Yates shuffle stopped after its first `n_a` steps
/// (Durstenfeld 1964; Knuth, TAOCP vol. 2, Algorithm 3.4.2 P), which makes every subset of `n_a`
/// documents equally likely. Because the indices are passed sorted, a permutation that happens to
/// reproduce the actual split gives bit-for-bit the observed value; in addition, "≥" allows a
/// relative slack of `100 · f64::EPSILON`, as `scipy.stats.permutation_test` does, so that equal
/// values computed along different paths still count.
///
/// Edge cases: if either group is empty there is nothing to compare and both fields are NaN (the
/// statistic is not called). An observed NaN gives a NaN p-value; permuted NaN values do not
/// count as "≥". `n_perm == 0` gives `p_value = 1`.
pub fn permutation_test<F: Fn(&[usize], &[usize]) -> f64>(
    n_a: usize,
    n_b: usize,
    statistic: F,
    n_perm: usize,
    seed: u64,
) -> PermutationResult {
    permutation_tests(
        n_a,
        n_b,
        1,
        |a: &[usize], b: &[usize], out: &mut [f64]| out[0] = statistic(a, b),
        n_perm,
        seed,
    )[0]
}

/// [`permutation_test`] of `n_stats` statistics at once, on the same permutations.
///
/// `statistic(a, b, out)` writes the `n_stats` values for one split into `out`. Each component
/// gets its own observed value and p-value, computed exactly as [`permutation_test`] computes
/// them; with one component the result equals [`permutation_test`]'s for the same `seed`.
/// Sharing the permutations makes the p-values of, say, every task's divergence cost one set
/// of shuffles. An empty result for `n_stats == 0`; NaN fields when either group is empty.
pub fn permutation_tests<F: FnMut(&[usize], &[usize], &mut [f64])>(
    n_a: usize,
    n_b: usize,
    n_stats: usize,
    mut statistic: F,
    n_perm: usize,
    seed: u64,
) -> Vec<PermutationResult> {
    let nan = PermutationResult {
        observed: f64::NAN,
        p_value: f64::NAN,
    };
    if n_a == 0 || n_b == 0 {
        return vec![nan; n_stats];
    }
    if n_stats == 0 {
        return Vec::new();
    }
    let n = n_a + n_b;
    let mut order: Vec<usize> = (0..n).collect();
    let mut observed = vec![0.0; n_stats];
    statistic(&order[..n_a], &order[n_a..], &mut observed);
    let threshold: Vec<f64> = observed
        .iter()
        .map(|&o| {
            let slack = if o.is_finite() {
                o.abs() * 100.0 * f64::EPSILON
            } else {
                0.0
            };
            o - slack
        })
        .collect();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (mut group_a, mut group_b) = (Vec::with_capacity(n_a), Vec::with_capacity(n_b));
    let mut values = vec![0.0; n_stats];
    let mut at_least = vec![0usize; n_stats];
    for _ in 0..n_perm {
        // Step i swaps a uniformly chosen not-yet-chosen document into position i, whatever the
        // arrangement left by the previous permutation, so no reset is needed.
        for i in 0..n_a {
            let j = i + uniform_index(&mut rng, n - i);
            order.swap(i, j);
        }
        group_a.clear();
        group_a.extend_from_slice(&order[..n_a]);
        group_a.sort_unstable();
        group_b.clear();
        group_b.extend_from_slice(&order[n_a..]);
        group_b.sort_unstable();
        statistic(&group_a, &group_b, &mut values);
        for ((count, &v), &t) in at_least.iter_mut().zip(&values).zip(&threshold) {
            if v >= t {
                *count += 1;
            }
        }
    }
    observed
        .iter()
        .zip(&at_least)
        .map(|(&observed, &k)| PermutationResult {
            observed,
            p_value: if observed.is_nan() {
                f64::NAN
            } else {
                (1 + k) as f64 / (1 + n_perm) as f64
            },
        })
        .collect()
}

/// Log-odds ratio of one word between two groups, with its approximate variance and z-score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogOdds {
    /// Difference of the smoothed log-odds of the word in group A and in group B (natural log);
    /// positive when the word is more typical of A.
    pub delta: f64,
    /// Approximate variance of `delta`: `1/(y_a + α_w) + 1/(y_b + α_w)`.
    pub variance: f64,
    /// `delta / sqrt(variance)`, the quantity to rank words by.
    pub z: f64,
}

/// Log-odds ratio with an informative Dirichlet prior, per word ("Fightin' Words").
///
/// `counts_a[w]` and `counts_b[w]` are the counts of word `w` in group A and group B, `alpha[w]`
/// its prior pseudo-count (see [`informative_prior`]). With `n_a = Σ counts_a`,
/// `n_b = Σ counts_b` and `α₀ = Σ α`, each word gets
///
/// ```text
/// δ_w  = ln[(y_a + α_w) / (n_a + α₀ − y_a − α_w)] − ln[(y_b + α_w) / (n_b + α₀ − y_b − α_w)]
/// σ²_w ≈ 1/(y_a + α_w) + 1/(y_b + α_w)
/// z_w  = δ_w / σ_w
/// ```
///
/// The prior shrinks the log-odds of rare words toward zero, and the z-score divides out the
/// remaining uncertainty, so the top of a ranking by `z` is neither rare noise (as with raw
/// log-odds) nor merely frequent words (as with raw count differences). Swapping A and B negates
/// `delta` and `z`.
///
/// The output has one entry per word, `max(len)` of the three slices; a word missing from a
/// shorter slice has count (or prior) 0. Empty input gives an empty vector. The values are not
/// finite for a word with `y + α_w = 0` in a group (no count and no prior mass: give every word a
/// positive prior) or one that holds all of a group's count and prior mass.
///
/// Reference: B. L. Monroe, M. P. Colaresi and K. M. Quinn, "Fightin' Words: Lexical Feature
/// Selection and Evaluation for Identifying the Content of Political Conflict", Political
/// Analysis 16(4):372–403, 2008, section 3.5.1.
pub fn log_odds_dirichlet(counts_a: &[f64], counts_b: &[f64], alpha: &[f64]) -> Vec<LogOdds> {
    let n_a: f64 = counts_a.iter().sum();
    let n_b: f64 = counts_b.iter().sum();
    let alpha_0: f64 = alpha.iter().sum();
    let at = |xs: &[f64], w: usize| xs.get(w).copied().unwrap_or(0.0);
    let len = counts_a.len().max(counts_b.len()).max(alpha.len());
    (0..len)
        .map(|w| {
            let a = at(alpha, w);
            let ya = at(counts_a, w) + a;
            let yb = at(counts_b, w) + a;
            let delta = (ya / (n_a + alpha_0 - ya)).ln() - (yb / (n_b + alpha_0 - yb)).ln();
            let variance = 1.0 / ya + 1.0 / yb;
            LogOdds {
                delta,
                variance,
                z: delta / variance.sqrt(),
            }
        })
        .collect()
}

/// Informative Dirichlet prior for [`log_odds_dirichlet`]: `α_w = alpha_0 · background_w / Σ
/// background`.
///
/// The prior's *shape* is the word distribution of a background corpus: Monroe et al. (2008,
/// section 3.5.1) use the word frequencies of a larger corpus (all their Senate speeches) as the
/// prior mean, so that each word's log-odds is shrunk toward its usual rate. When no larger
/// corpus is at hand, the pooled counts of the two groups being compared are the usual
/// background.
///
/// `alpha_0` is the prior's *strength*, the number of pseudo-words it adds to each group: the
/// larger it is relative to a group's word count, the more each word is pulled toward its
/// background rate. It is left to the caller, who knows the corpus sizes, rather than hidden
/// behind a default. `alpha_0 = Σ background`, i.e. the raw background counts as pseudo-counts,
/// is what widely used implementations do (e.g. Kawintiranon's `log_odds_ratio.py`, which uses
/// the pooled counts of both groups when no background corpus is given); with the pooled
/// background that weighs the prior as much as both groups' data together, a strong shrinkage
/// appropriate for small corpora, and a smaller `alpha_0` lets larger corpora speak for
/// themselves.
///
/// Background weights that are negative or not finite count as 0. If the background has no
/// positive weight, or `alpha_0` is not a positive finite number, every `α_w` is 0 (and
/// [`log_odds_dirichlet`] then has no prior to smooth with). The output has one entry per
/// background word.
pub fn informative_prior(background: &[f64], alpha_0: f64) -> Vec<f64> {
    let weight = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let total: f64 = background.iter().map(|&x| weight(x)).sum();
    if !(total > 0.0 && total.is_finite() && alpha_0 > 0.0 && alpha_0.is_finite()) {
        return vec![0.0; background.len()];
    }
    background
        .iter()
        .map(|&x| alpha_0 * weight(x) / total)
        .collect()
}

/// Arithmetic mean of `xs`; NaN for an empty slice (the mean of nothing is undefined, and NaN
/// shows that in a report rather than a misleading 0).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        f64::NAN
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// A proportion `k` of `n` with its Wilson score interval; built by [`share`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    /// Items with the property (e.g. paragraphs with frame X).
    pub k: usize,
    /// Items in all.
    pub n: usize,
    /// `k / n`.
    pub value: f64,
    /// Lower end of the Wilson score interval.
    pub lo: f64,
    /// Upper end of the Wilson score interval.
    pub hi: f64,
}

/// The share `k / n` with its Wilson score interval at confidence `level` (e.g. 0.95).
///
/// See [`wilson_interval`] for the formula. `n == 0` or `k > n` make `value`, `lo` and `hi`
/// NaN; a `level` not strictly between 0 and 1 makes `lo` and `hi` NaN.
pub fn share(k: usize, n: usize, level: f64) -> Share {
    let (lo, hi) = wilson_interval(k, n, level);
    let value = if n == 0 || k > n {
        f64::NAN
    } else {
        k as f64 / n as f64
    };
    Share {
        k,
        n,
        value,
        lo,
        hi,
    }
}

/// Wilson score interval for a binomial proportion `k` of `n` at confidence `level`.
///
/// With `p̂ = k/n` and `z = Φ⁻¹((1 + level)/2)` (see [`normal_quantile`]),
///
/// ```text
/// centre = (p̂ + z²/(2n)) / (1 + z²/n)
/// half   = z / (1 + z²/n) · sqrt(p̂(1 − p̂)/n + z²/(4n²))
/// interval = [centre − half, centre + half]
/// ```
///
/// Unlike the textbook `p̂ ± z·sqrt(p̂(1 − p̂)/n)`, it stays inside [0, 1] and does not collapse to
/// a point at `k = 0` or `k = n`, which matters for rare frames and small groups (Brown, Cai &
/// DasGupta, "Interval Estimation for a Binomial Proportion", Statistical Science 16(2):101–133,
/// 2001, recommend it). The ends are exactly 0 when `k = 0` and exactly 1 when `k = n`. Same as
/// `scipy.stats.binomtest(k, n).proportion_ci(level, method="wilson")`.
///
/// Returns `(NaN, NaN)` for `n == 0`, `k > n`, or a `level` not strictly between 0 and 1.
///
/// Reference: E. B. Wilson, "Probable inference, the law of succession, and statistical
/// inference", Journal of the American Statistical Association 22(158):209–212, 1927.
pub fn wilson_interval(k: usize, n: usize, level: f64) -> (f64, f64) {
    if n == 0 || k > n || !(level > 0.0 && level < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    let z = normal_quantile(1.0 - (1.0 - level) / 2.0);
    let (nf, p) = (n as f64, k as f64 / n as f64);
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// Evaluates the polynomial `c[0] + c[1]·x + … + c[7]·x⁷` by Horner's rule.
fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

/// Inverse of the standard normal CDF: the `x` with `Φ(x) = p`.
///
/// Wichura's algorithm AS 241 (`PPND16`): three rational approximations of degree 7, one for the
/// centre (`|p − ½| ≤ 0.425`) in `r = 0.180625 − (p − ½)²`, and two for the tails in
/// `r = sqrt(−ln min(p, 1 − p))` (split at `r = 5`), accurate to about 1 part in 10¹⁶ over the
/// whole double range. It is used instead of Acklam's approximation (relative error ~1e-9 without
/// a refinement step, which in turn would need an `erfc` that `std` lacks); Python's
/// `statistics.NormalDist.inv_cdf` and R's `qnorm` use the same algorithm.
///
/// `p = 0` gives −∞, `p = 1` gives +∞, and `p` outside [0, 1] or NaN gives NaN, as
/// `scipy.stats.norm.ppf` does.
///
/// Reference: M. J. Wichura, "Algorithm AS 241: The Percentage Points of the Normal
/// Distribution", Applied Statistics 37(3):477–484, 1988.
// The coefficients are written with all the digits the paper prints, so that they can be checked
// against it (and against Python's `statistics` module) digit by digit; f64 rounds them.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 8] = [
        3.387_132_872_796_366_608_0,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083_0e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061_0e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561_0e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_90,
        5.769_497_221_460_691_405_50,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_70e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_40e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_40,
        6.897_673_349_851_000_045_50e-1,
        1.481_039_764_274_800_745_90e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946_00e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_20,
        5.463_784_911_164_114_369_90,
        1.784_826_539_917_291_335_80,
        2.965_605_718_285_048_912_30e-1,
        2.653_218_952_657_612_309_30e-2,
        1.242_660_947_388_078_438_60e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_90e-1,
        1.369_298_809_227_358_053_10e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591_00e-4,
        1.846_318_317_510_054_681_80e-5,
        1.421_511_758_316_445_888_70e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 {
        -x
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::{assert_abs_diff_eq, assert_relative_eq};

    /// Expected values computed with scipy 1.17.1: `jensenshannon(p, q, base=2)**2` (the
    /// divergence) and `jensenshannon(p, q, base=2)` (the distance).
    #[test]
    fn js_divergence_matches_scipy() {
        let cases: [(&[f64], &[f64], f64, f64); 7] = [
            // identical distributions
            (&[0.2, 0.3, 0.5], &[0.2, 0.3, 0.5], 0.0, 0.0),
            // disjoint supports: 1 bit
            (&[1.0, 0.0], &[0.0, 1.0], 1.0, 1.0),
            // unnormalised weights
            (
                &[1.0, 2.0, 3.0],
                &[3.0, 2.0, 1.0],
                0.125_814_583_693_911_5,
                0.354_703_515_198_132_04,
            ),
            // a zero in each, at different places
            (
                &[0.5, 0.5, 0.0],
                &[0.0, 0.5, 0.5],
                0.500_000_000_000_000_1,
                // 0.7071067811865476 printed by scipy
                std::f64::consts::FRAC_1_SQRT_2,
            ),
            // zeros against a uniform distribution
            (
                &[10.0, 0.0, 0.0, 5.0],
                &[1.0, 1.0, 1.0, 1.0],
                0.325_189_281_038_060_05,
                0.570_253_698_837_684_1,
            ),
            // the same distribution at different scales
            (&[2.0, 6.0, 2.0], &[0.1, 0.3, 0.1], 0.0, 0.0),
            (
                &[0.9, 0.1],
                &[0.1, 0.9],
                0.531_004_406_410_718_8,
                0.728_700_491_567_501_8,
            ),
        ];
        for (p, q, divergence, distance) in cases {
            assert_abs_diff_eq!(js_divergence(p, q), divergence, epsilon = 1e-12);
            assert_abs_diff_eq!(js_divergence(q, p), divergence, epsilon = 1e-12);
            assert_abs_diff_eq!(js_distance(p, q), distance, epsilon = 1e-12);
        }
    }

    /// Conventions of this module (scipy returns NaN for an all-zero input and rejects slices of
    /// different lengths).
    #[test]
    fn js_divergence_edge_cases() {
        let cases: [(&[f64], &[f64], f64); 6] = [
            (&[0.0, 0.0], &[0.0, 0.0], 0.0),
            (&[0.0, 0.0], &[1.0, 3.0], 0.0),
            (&[], &[], 0.0),
            (&[], &[1.0], 0.0),
            // a shorter slice is padded with zeros: same as the disjoint case above
            (&[1.0], &[0.0, 1.0], 1.0),
            // negative and non-finite weights count as 0
            (&[1.0, -2.0, f64::NAN], &[1.0, 0.0, 0.0], 0.0),
        ];
        for (p, q, expected) in cases {
            assert_eq!(js_divergence(p, q), expected, "{p:?} {q:?}");
        }
    }

    /// Hand-worked example: y_a = [5, 2, 0] (n_a = 7), y_b = [1, 3, 4] (n_b = 8),
    /// α = [0.5, 0.5, 1] (α₀ = 2).
    ///
    /// word 0: A: (5 + 0.5) / (7 + 2 − 5.5) = 5.5/3.5 = 11/7;  B: 1.5 / (8 + 2 − 1.5) = 3/17;
    ///         δ = ln(11/7) − ln(3/17) = ln(187/21);  σ² = 1/5.5 + 1/1.5 = 2/11 + 2/3 = 28/33.
    /// word 1: A: 2.5 / 6.5 = 5/13;  B: 3.5 / 6.5 = 7/13;  δ = ln(5/7);
    ///         σ² = 1/2.5 + 1/3.5 = 2/5 + 2/7 = 24/35.
    /// word 2: A: 1 / 8;  B: 5 / 5 = 1;  δ = ln(1/8) = −3 ln 2;  σ² = 1/1 + 1/5 = 6/5.
    ///
    /// Numbers cross-checked with Python 3.11 `math` from the formula itself:
    /// `math.log((ya+a)/(na+a0-ya-a)) - math.log((yb+a)/(nb+a0-yb-a))`, `1/(ya+a) + 1/(yb+a)`,
    /// `d/math.sqrt(v)`, which agreed with the closed forms below to 1e-15.
    #[test]
    fn log_odds_hand_worked() {
        let result = log_odds_dirichlet(&[5.0, 2.0, 0.0], &[1.0, 3.0, 4.0], &[0.5, 0.5, 1.0]);
        let expected = [
            // (delta, variance, z) — values as printed by Python
            ((187.0f64 / 21.0).ln(), 28.0 / 33.0, 2.373_802_336_512_674_6),
            ((5.0f64 / 7.0).ln(), 24.0 / 35.0, -0.406_328_828_792_582_9),
            (-3.0 * 2.0f64.ln(), 6.0 / 5.0, -1.898_261_732_318_942),
        ];
        assert_eq!(result.len(), 3);
        for (w, (got, (delta, variance, z))) in result.iter().zip(expected).enumerate() {
            assert_relative_eq!(got.delta, delta, max_relative = 1e-12);
            assert_relative_eq!(got.variance, variance, max_relative = 1e-12);
            assert_relative_eq!(got.z, z, max_relative = 1e-12);
            assert_relative_eq!(got.z, delta / variance.sqrt(), max_relative = 1e-12);
            assert!(got.delta.is_finite(), "word {w}");
        }
        // Python's values of delta, to tie the closed forms to the printout.
        assert_relative_eq!(
            result[0].delta,
            2.186_586_179_131_163_4,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            result[1].delta,
            -0.336_472_236_621_212_84,
            max_relative = 1e-12
        );
        assert_relative_eq!(
            result[2].delta,
            -2.079_441_541_679_835_7,
            max_relative = 1e-12
        );
    }

    #[test]
    fn log_odds_swapping_groups_negates_delta_and_z() {
        let cases: [(&[f64], &[f64], &[f64]); 3] = [
            (&[5.0, 2.0, 0.0], &[1.0, 3.0, 4.0], &[0.5, 0.5, 1.0]),
            (&[10.0, 0.0, 7.0, 1.0], &[2.0, 9.0, 7.0, 0.0], &[0.1; 4]),
            // different lengths: padded with zeros
            (&[3.0, 1.0], &[0.0, 2.0, 5.0], &[1.0, 1.0, 1.0]),
        ];
        for (a, b, alpha) in cases {
            let ab = log_odds_dirichlet(a, b, alpha);
            let ba = log_odds_dirichlet(b, a, alpha);
            assert_eq!(ab.len(), ba.len());
            for (x, y) in ab.iter().zip(&ba) {
                assert_abs_diff_eq!(x.delta, -y.delta, epsilon = 1e-12);
                assert_abs_diff_eq!(x.z, -y.z, epsilon = 1e-12);
                assert_abs_diff_eq!(x.variance, y.variance, epsilon = 1e-12);
            }
        }
        // equal counts: no difference at all
        for w in log_odds_dirichlet(&[4.0, 1.0], &[4.0, 1.0], &[1.0, 1.0]) {
            assert_eq!((w.delta, w.z), (0.0, 0.0));
        }
    }

    #[test]
    fn log_odds_empty_and_padding() {
        assert!(log_odds_dirichlet(&[], &[], &[]).is_empty());
        let padded = log_odds_dirichlet(&[3.0, 1.0], &[0.0, 2.0, 5.0], &[1.0, 1.0, 1.0]);
        let explicit = log_odds_dirichlet(&[3.0, 1.0, 0.0], &[0.0, 2.0, 5.0], &[1.0, 1.0, 1.0]);
        assert_eq!(padded, explicit);
    }

    /// α_w = α₀ · b_w / Σ b, by hand: background [6, 5, 4] (Σ = 15), α₀ = 3 → [1.2, 1.0, 0.8].
    #[test]
    fn informative_prior_scales_background() {
        let alpha = informative_prior(&[6.0, 5.0, 4.0], 3.0);
        for (got, want) in alpha.iter().zip([1.2, 1.0, 0.8]) {
            assert_abs_diff_eq!(*got, want, epsilon = 1e-12);
        }
        assert_abs_diff_eq!(alpha.iter().sum::<f64>(), 3.0, epsilon = 1e-12);
        // raw background counts as pseudo-counts
        assert_eq!(informative_prior(&[6.0, 5.0, 4.0], 15.0), [6.0, 5.0, 4.0]);
        // degenerate inputs: all zeros, same length
        assert_eq!(informative_prior(&[0.0, 0.0], 10.0), [0.0, 0.0]);
        assert_eq!(informative_prior(&[1.0, 2.0], 0.0), [0.0, 0.0]);
        assert_eq!(informative_prior(&[1.0, -1.0], 2.0), [2.0, 0.0]);
        assert!(informative_prior(&[], 10.0).is_empty());
    }

    /// Expected values computed with numpy 2.4.6:
    /// `np.percentile([3, 1, 4, 1, 5, 9, 2, 6], [2.5, 97.5, 50, 0, 100, 33.3])`.
    #[test]
    fn quantile_matches_numpy_linear() {
        let mut x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        x.sort_by(f64::total_cmp);
        let cases = [
            (0.025, 1.0),
            (0.975, 8.475_000_000_000_001),
            (0.5, 3.5),
            (0.0, 1.0),
            (1.0, 9.0),
            (0.333, 2.330_999_999_999_999_5),
        ];
        for (q, want) in cases {
            assert_abs_diff_eq!(quantile_sorted(&x, q), want, epsilon = 1e-12);
        }
        assert_eq!(quantile_sorted(&[7.0], 0.3), 7.0);
        assert_eq!(quantile_sorted(&[1.0, f64::INFINITY], 0.0), 1.0);
    }

    fn mean_of(values: &[f64]) -> impl Fn(&[usize]) -> f64 + '_ {
        move |idx: &[usize]| idx.iter().map(|&i| values[i]).sum::<f64>() / idx.len() as f64
    }

    #[test]
    fn bootstrap_of_a_constant_is_that_constant() {
        // 2.5 and its multiples up to 2.5 · 50 are exact in binary, so every replicate is 2.5.
        let data = [2.5; 50];
        assert_eq!(bootstrap_ci(50, mean_of(&data), 500, 0.95, 1), (2.5, 2.5));
    }

    /// 0/1 data, n = 200, p = 0.3: the normal approximation width is
    /// 2 · 1.959964 · sqrt(0.3 · 0.7 / 200) = 0.127020 (Python 3.11 `math`).
    #[test]
    fn bootstrap_of_a_proportion_is_close_to_the_normal_width() {
        let data: Vec<f64> = (0..200)
            .map(|i| if i % 10 < 3 { 1.0 } else { 0.0 })
            .collect();
        let p = mean(&data);
        assert_abs_diff_eq!(p, 0.3, epsilon = 1e-12);
        let normal_width = 2.0 * normal_quantile(0.975) * (p * (1.0 - p) / 200.0).sqrt();
        assert_abs_diff_eq!(normal_width, 0.127_020_183_620_223_6, epsilon = 1e-12);
        for seed in [7, 42, 2024] {
            let (lo, hi) = bootstrap_ci(200, mean_of(&data), 2000, 0.95, seed);
            assert!(lo < p && p < hi, "seed {seed}: ({lo}, {hi})");
            let width = hi - lo;
            assert!(
                (width / normal_width - 1.0).abs() < 0.2,
                "seed {seed}: width {width} vs {normal_width}"
            );
        }
    }

    #[test]
    fn bootstrap_is_deterministic_given_the_seed() {
        let data: Vec<f64> = (0..60).map(|i| ((i * 37) % 11) as f64).collect();
        let first = bootstrap_ci(60, mean_of(&data), 300, 0.9, 99);
        assert_eq!(bootstrap_ci(60, mean_of(&data), 300, 0.9, 99), first);
        assert_ne!(bootstrap_ci(60, mean_of(&data), 300, 0.9, 100), first);
    }

    #[test]
    fn bootstrap_degenerate_inputs_give_nan() {
        let data = [1.0, 2.0, 3.0];
        let cases = [
            (0, 100, 0.95), // no documents
            (3, 0, 0.95),   // no resamples
            (3, 100, 0.0),  // bad levels
            (3, 100, 1.0),
            (3, 100, f64::NAN),
        ];
        for (n_docs, n_boot, level) in cases {
            let (lo, hi) = bootstrap_ci(n_docs, mean_of(&data), n_boot, level, 0);
            assert!(lo.is_nan() && hi.is_nan(), "{n_docs} {n_boot} {level}");
        }
        let (lo, hi) = bootstrap_ci(3, |_: &[usize]| f64::NAN, 100, 0.95, 0);
        assert!(lo.is_nan() && hi.is_nan());
    }

    #[test]
    fn bootstrap_replicates_are_the_draws_of_bootstrap_ci() {
        let data: Vec<f64> = (0..40).map(|i| ((i * 17) % 13) as f64).collect();
        let single = bootstrap_ci(40, mean_of(&data), 250, 0.9, 5);
        // two components: the mean and twice the mean, on the same resamples
        let mut reps = bootstrap_replicates(
            40,
            2,
            |idx: &[usize], out: &mut [f64]| {
                out[0] = mean_of(&data)(idx);
                out[1] = 2.0 * out[0];
            },
            250,
            5,
        );
        assert_eq!(reps.len(), 500);
        let (mut first, mut second): (Vec<f64>, Vec<f64>) =
            reps.chunks_exact(2).map(|r| (r[0], r[1])).unzip();
        assert_eq!(percentile_interval(&mut first, 0.9), single);
        let (lo, hi) = percentile_interval(&mut second, 0.9);
        assert_eq!((lo, hi), (2.0 * single.0, 2.0 * single.1));
        assert!(bootstrap_replicates(0, 2, |_: &[usize], _: &mut [f64]| {}, 10, 0).is_empty());
        reps.clear();
        assert!(percentile_interval(&mut reps, 0.95).0.is_nan());
        let mut with_nan = vec![f64::NAN, 1.0, 3.0];
        // numpy.nanpercentile([nan, 1, 3], [25, 75]) = [1.5, 2.5]
        assert_eq!(percentile_interval(&mut with_nan, 0.5), (1.5, 2.5));
    }

    #[test]
    fn permutation_tests_share_the_draws_of_permutation_test() {
        let values: Vec<f64> = (0..30).map(|i| ((i * 13) % 7) as f64).collect();
        let single = permutation_test(12, 18, mean_gap(&values), 400, 8);
        let many = permutation_tests(
            12,
            18,
            2,
            |a: &[usize], b: &[usize], out: &mut [f64]| {
                out[0] = mean_gap(&values)(a, b);
                out[1] = -out[0];
            },
            400,
            8,
        );
        assert_eq!(many[0], single);
        // the negated gap is at least its observed value whenever the gap is at most its own
        assert!(many[1].p_value >= 1.0 - single.p_value);
        assert!(
            permutation_tests(0, 3, 2, |_: &[usize], _: &[usize], _: &mut [f64]| {}, 10, 0)
                .iter()
                .all(|r| r.p_value.is_nan())
        );
    }

    /// Absolute difference of the group means of `values`.
    fn mean_gap(values: &[f64]) -> impl Fn(&[usize], &[usize]) -> f64 + '_ {
        move |a: &[usize], b: &[usize]| (mean_of(values)(a) - mean_of(values)(b)).abs()
    }

    #[test]
    fn permutation_test_identical_groups_give_a_large_p_value() {
        // alternating 0/1: both groups hold ten 0s and ten 1s
        let alternating: Vec<f64> = (0..40).map(|i| (i % 2) as f64).collect();
        let r = permutation_test(20, 20, mean_gap(&alternating), 999, 3);
        assert_eq!(r.observed, 0.0);
        assert!(r.p_value > 0.2, "{r:?}");
        // label distributions (frame 0, 1 or 2 per document) compared by JSD
        let frames: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let jsd = |a: &[usize], b: &[usize]| {
            let hist = |g: &[usize]| {
                let mut h = [0.0; 3];
                for &d in g {
                    h[frames[d]] += 1.0;
                }
                h
            };
            js_divergence(&hist(a), &hist(b))
        };
        let r = permutation_test(30, 30, jsd, 999, 3);
        assert_eq!(r.observed, 0.0);
        assert!(r.p_value > 0.2, "{r:?}");
    }

    /// Group A has 11 ones in 20 documents, group B 9 in 20. Under permutation the number X of
    /// ones in A is hypergeometric (40 documents, 20 ones, 20 drawn) and |mean_a − mean_b| ≥ 0.1
    /// iff X ≠ 10, so the exact p-value is 1 − P(X = 10) = 0.752371 (scipy 1.17.1:
    /// `1 - hypergeom(40, 20, 20).pmf(10)`). With 5000 permutations the Monte Carlo standard error
    /// is about 0.006.
    #[test]
    fn permutation_test_matches_the_exact_hypergeometric_p_value() {
        let values: Vec<f64> = (0..40)
            .map(|i| {
                if i < 11 || (20..29).contains(&i) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let r = permutation_test(20, 20, mean_gap(&values), 5000, 11);
        assert_abs_diff_eq!(r.observed, 0.1, epsilon = 1e-12);
        assert_abs_diff_eq!(r.p_value, 0.752_371_134_563_909_1, epsilon = 0.025);
    }

    #[test]
    fn permutation_test_separated_groups_give_the_smallest_p_value() {
        // all zeros against all ones: only the actual split (or its mirror) reaches a gap of 1,
        // with probability 2 / C(40, 20) ≈ 1.4e-11 per permutation
        let values: Vec<f64> = (0..40).map(|i| if i < 20 { 0.0 } else { 1.0 }).collect();
        for n_perm in [99, 999] {
            let r = permutation_test(20, 20, mean_gap(&values), n_perm, 5);
            assert_eq!(r.observed, 1.0);
            assert_eq!(r.p_value, 1.0 / (1 + n_perm) as f64);
        }
    }

    #[test]
    fn permutation_test_is_deterministic_given_the_seed() {
        let values: Vec<f64> = (0..30).map(|i| ((i * 13) % 7) as f64).collect();
        let first = permutation_test(12, 18, mean_gap(&values), 500, 8);
        assert_eq!(permutation_test(12, 18, mean_gap(&values), 500, 8), first);
    }

    #[test]
    fn permutation_test_edge_cases() {
        let values = [1.0, 2.0, 3.0];
        for (n_a, n_b) in [(0, 3), (3, 0), (0, 0)] {
            let r = permutation_test(n_a, n_b, mean_gap(&values), 100, 0);
            assert!(r.observed.is_nan() && r.p_value.is_nan(), "{n_a} {n_b}");
        }
        let r = permutation_test(1, 2, |_: &[usize], _: &[usize]| f64::NAN, 100, 0);
        assert!(r.p_value.is_nan());
        assert_eq!(permutation_test(1, 2, mean_gap(&values), 0, 0).p_value, 1.0);
        // the statistic sees every document exactly once, each group sorted
        let r = permutation_test(
            4,
            5,
            |a: &[usize], b: &[usize]| {
                let mut all: Vec<usize> = a.iter().chain(b).copied().collect();
                assert!(a.windows(2).all(|w| w[0] < w[1]));
                assert!(b.windows(2).all(|w| w[0] < w[1]));
                assert_eq!((a.len(), b.len()), (4, 5));
                all.sort_unstable();
                assert_eq!(all, (0..9).collect::<Vec<_>>());
                0.0
            },
            200,
            1,
        );
        assert_eq!(r.p_value, 1.0);
    }

    #[test]
    fn mean_of_slices() {
        assert_eq!(mean(&[1.0, 2.0, 3.0, 6.0]), 3.0);
        assert_eq!(mean(&[-4.0]), -4.0);
        assert!(mean(&[]).is_nan());
    }

    /// Expected values computed with scipy 1.17.1:
    /// `binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")`, which implements
    /// the formula documented on [`wilson_interval`] (no continuity correction).
    #[test]
    fn wilson_matches_scipy() {
        let cases = [
            (0, 10, 0.95, 0.0, 0.277_532_799_862_889_26),
            (5, 10, 0.95, 0.236_593_090_512_564, 0.763_406_909_487_436_1),
            (
                95,
                100,
                0.95,
                0.888_249_530_768_080_9,
                0.978_456_320_845_632,
            ),
            (
                3,
                7,
                0.90,
                0.186_443_190_363_956_07,
                0.710_522_908_986_407_1,
            ),
            (10, 10, 0.99, 0.601_145_906_695_091_9, 1.0),
        ];
        for (k, n, level, lo, hi) in cases {
            let (got_lo, got_hi) = wilson_interval(k, n, level);
            assert_abs_diff_eq!(got_lo, lo, epsilon = 1e-12);
            assert_abs_diff_eq!(got_hi, hi, epsilon = 1e-12);
            let s = share(k, n, level);
            assert_eq!((s.k, s.n, s.lo, s.hi), (k, n, got_lo, got_hi));
            assert_abs_diff_eq!(s.value, k as f64 / n as f64, epsilon = 1e-15);
        }
        // exact ends at k = 0 and k = n
        assert_eq!(wilson_interval(0, 10, 0.95).0, 0.0);
        assert_eq!(wilson_interval(10, 10, 0.99).1, 1.0);
    }

    #[test]
    fn wilson_degenerate_inputs_give_nan() {
        for (k, n, level) in [(0, 0, 0.95), (4, 3, 0.95), (1, 3, 0.0), (1, 3, 1.0)] {
            let (lo, hi) = wilson_interval(k, n, level);
            assert!(lo.is_nan() && hi.is_nan(), "{k} {n} {level}");
            assert!(share(k, n, level).lo.is_nan());
        }
        assert!(share(0, 0, 0.95).value.is_nan());
        assert!(share(4, 3, 0.95).value.is_nan());
        assert_eq!(share(1, 4, 0.0).value, 0.25);
    }

    /// Expected values computed with scipy 1.17.1: `scipy.stats.norm.ppf(p)`. The cases cover
    /// the three branches of AS 241 (centre; tail with r ≤ 5; far tail with r > 5, i.e.
    /// p < e⁻²⁵ ≈ 1.4e-11).
    #[test]
    fn normal_quantile_matches_scipy() {
        let cases = [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.995, 2.575_829_303_548_900_4),
            (0.025, -1.959_963_984_540_054_5),
            (1e-6, -4.753_424_308_822_899),
            (0.3, -0.524_400_512_708_040_9),
            (0.9, 1.281_551_565_544_600_4),
            (1e-20, -9.262_340_089_798_409),
            (1.0 - 1e-12, 7.034_486_910_047_835_6),
        ];
        for (p, want) in cases {
            let got = normal_quantile(p);
            // 1e-8 relative is the requirement; AS 241 is good to ~1e-15
            assert_relative_eq!(got, want, max_relative = 1e-12, epsilon = 1e-15);
        }
    }

    #[test]
    fn normal_quantile_edges_and_symmetry() {
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
        for p in [-0.1, 1.1, f64::NAN, f64::INFINITY] {
            assert!(normal_quantile(p).is_nan(), "{p}");
        }
        for p in [0.01, 0.0625, 0.2, 0.25, 0.4, 0.49] {
            assert_relative_eq!(
                normal_quantile(p),
                -normal_quantile(1.0 - p),
                max_relative = 1e-12
            );
        }
    }
}
