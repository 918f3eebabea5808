//! Chi-square feature selection, per head.
//!
//! linfa's solvers take dense matrices, so each head trains on the K features most associated
//! with its labels rather than the whole vocabulary. The statistic is scikit-learn's `chi2` on
//! TF-IDF values: observed `O[c][j] = Σ_{i in c} x_ij`, expected `E[c][j] = (Σ_i x_ij)·n_c/n`,
//! `chi2_j = Σ_c (O - E)² / E`.

use crate::features::CsrMatrix;

/// Chi-square statistic of every feature below the matrix's pinned block
/// ([`CsrMatrix::pinned_from`]: selection keeps that block whole, so it is not scored) for the
/// classes `class_of[i]` of the rows `rows` of `x` (`n_classes` classes). Features that never
/// occur in those rows score 0.
pub fn chi2(x: &CsrMatrix, rows: &[usize], class_of: &[usize], n_classes: usize) -> Vec<f64> {
    debug_assert_eq!(rows.len(), class_of.len());
    let n_feat = x.pinned_from();
    let mut observed = vec![0.0f64; n_classes * n_feat];
    let mut class_n = vec![0usize; n_classes];
    for (&r, &c) in rows.iter().zip(class_of) {
        class_n[c] += 1;
        let (ids, vals) = x.row(r);
        // Ids are increasing: the pinned block is the row's tail.
        let scored = ids.partition_point(|&j| (j as usize) < n_feat);
        let (ids, vals) = (&ids[..scored], &vals[..scored]);
        let base = c * n_feat;
        for (&j, &v) in ids.iter().zip(vals) {
            observed[base + j as usize] += f64::from(v);
        }
    }
    let n = rows.len() as f64;
    (0..n_feat)
        .map(|j| {
            let total: f64 = (0..n_classes).map(|c| observed[c * n_feat + j]).sum();
            if total <= 0.0 {
                return 0.0;
            }
            (0..n_classes)
                .filter(|&c| class_n[c] > 0)
                .map(|c| {
                    let e = total * class_n[c] as f64 / n;
                    let o = observed[c * n_feat + j];
                    (o - e) * (o - e) / e
                })
                .sum()
        })
        .collect()
}

/// The ids of the `k` highest-scoring features with a positive score, in increasing id order.
/// Ties are broken by id, so the choice is deterministic.
pub fn top_k(scores: &[f64], k: usize) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..scores.len() as u32)
        .filter(|&j| scores[j as usize] > 0.0)
        .collect();
    if ids.len() > k {
        ids.select_nth_unstable_by(k, |&a, &b| {
            scores[b as usize]
                .total_cmp(&scores[a as usize])
                .then(a.cmp(&b))
        });
        ids.truncate(k);
    }
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::SparseVec;
    use approx::assert_abs_diff_eq;

    /// Expected values from scikit-learn 1.9.1:
    /// `sklearn.feature_selection.chi2(X, y)` with X = [[1, 0, 2], [0, 1, 0], [3, 0, 0], [0, 2, 1]],
    /// y = [0, 1, 0, 1] gives chi2 = [4.0, 3.0, 0.3333333].
    #[test]
    fn chi2_matches_sklearn() {
        let rows = [
            SparseVec {
                indices: vec![0, 2],
                values: vec![1.0, 2.0],
            },
            SparseVec {
                indices: vec![1],
                values: vec![1.0],
            },
            SparseVec {
                indices: vec![0],
                values: vec![3.0],
            },
            SparseVec {
                indices: vec![1, 2],
                values: vec![2.0, 1.0],
            },
        ];
        let x = CsrMatrix::from_rows(3, &rows);
        let s = chi2(&x, &[0, 1, 2, 3], &[0, 1, 0, 1], 2);
        let expected = [4.0, 3.0, 1.0 / 3.0];
        for (got, want) in s.iter().zip(expected) {
            assert_abs_diff_eq!(*got, want, epsilon = 1e-9);
        }
        assert_eq!(top_k(&s, 2), [0, 1]);
        assert_eq!(top_k(&s, 10), [0, 1, 2]);
        assert_eq!(
            top_k(&[0.0, 5.0, 5.0, 1.0], 1),
            [1],
            "ties go to the lower id"
        );
    }
}
