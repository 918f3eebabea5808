//! Sparse rows and a compressed-sparse-row matrix of `f32`.

/// One sparse row: feature ids in increasing order with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    /// Feature ids, strictly increasing.
    pub indices: Vec<u32>,
    /// Values, one per id.
    pub values: Vec<f32>,
}

impl SparseVec {
    /// Empties the row, keeping capacity.
    pub fn clear(&mut self) {
        self.indices.clear();
        self.values.clear();
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Iterates over (id, value).
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.indices
            .iter()
            .copied()
            .zip(self.values.iter().copied())
    }
}

/// A row-major sparse matrix (CSR).
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    n_cols: usize,
    /// Columns from this one on form a block that feature selection keeps whole.
    pinned_from: usize,
    /// Columns from this one on are the sentence encoder block, which heads fit apart.
    encoder_from: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl CsrMatrix {
    /// An empty matrix with `n_cols` columns.
    pub fn new(n_cols: usize) -> Self {
        CsrMatrix {
            n_cols,
            pinned_from: n_cols,
            encoder_from: n_cols,
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Marks the columns from `first` on as a block that feature selection keeps whole (the
    /// target-context block of a TF-IDF matrix).
    pub fn pin_columns_from(&mut self, first: usize) {
        self.pinned_from = first.min(self.n_cols);
    }

    /// The first column of the block that feature selection keeps whole (`n_cols` if none).
    pub fn pinned_from(&self) -> usize {
        self.pinned_from
    }

    /// Marks the columns from `first` on as the sentence encoder block, which heads fit with a
    /// model of its own (a TF-IDF matrix with an encoder block).
    pub fn set_encoder_from(&mut self, first: usize) {
        self.encoder_from = first.min(self.n_cols);
    }

    /// The first column of the sentence encoder block (`n_cols` if none).
    pub fn encoder_from(&self) -> usize {
        self.encoder_from
    }

    /// Whether the matrix has a sentence encoder block.
    pub fn has_encoder(&self) -> bool {
        self.encoder_from < self.n_cols
    }

    /// Appends a row. Ids must be increasing and below `n_cols` (checked in debug builds).
    pub fn push_row(&mut self, indices: &[u32], values: &[f32]) {
        debug_assert_eq!(indices.len(), values.len());
        debug_assert!(indices.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(indices.iter().all(|&i| (i as usize) < self.n_cols));
        self.indices.extend_from_slice(indices);
        self.values.extend_from_slice(values);
        self.indptr.push(self.indices.len());
    }

    /// Stacks rows into a matrix.
    pub fn from_rows<'a>(n_cols: usize, rows: impl IntoIterator<Item = &'a SparseVec>) -> Self {
        let mut m = CsrMatrix::new(n_cols);
        for row in rows {
            m.push_row(&row.indices, &row.values);
        }
        m
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i` as (ids, values).
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }

    /// A new matrix with the given rows, in the given order (rows may repeat).
    pub fn select_rows(&self, rows: &[usize]) -> CsrMatrix {
        let mut m = CsrMatrix::new(self.n_cols);
        m.pinned_from = self.pinned_from;
        m.encoder_from = self.encoder_from;
        for &r in rows {
            let (ids, vals) = self.row(r);
            m.push_row(ids, vals);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let a = SparseVec {
            indices: vec![0, 3],
            values: vec![1.0, 2.0],
        };
        let b = SparseVec::default();
        let c = SparseVec {
            indices: vec![1],
            values: vec![0.5],
        };
        let m = CsrMatrix::from_rows(4, [&a, &b, &c]);
        assert_eq!((m.n_rows(), m.n_cols(), m.nnz()), (3, 4, 3));
        assert_eq!(m.row(0), (&[0u32, 3][..], &[1.0f32, 2.0][..]));
        assert_eq!(m.row(1), (&[][..], &[][..]));
        let s = m.select_rows(&[2, 2, 0]);
        assert_eq!(s.n_rows(), 3);
        assert_eq!(s.row(1), (&[1u32][..], &[0.5f32][..]));
        assert_eq!(s.row(2), m.row(0));
    }
}
