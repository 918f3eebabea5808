//! The feature stage: feature terms → TF-IDF weighted sparse rows.
//!
//! [`TfIdfParams`] are checked into [`TfIdfValidParams`], which fit a [`FittedTfIdf`] (fixed
//! vocabulary and IDF) and the training [`CsrMatrix`]. Only the fitted type can transform.

mod index;
mod sparse;
mod tfidf;

pub(crate) use tfidf::{count_ids, sum_weights};

pub use index::{TermIndex, WordCache};

pub use sparse::{CsrMatrix, SparseVec};
pub use tfidf::{
    DocFreq, EncodedTexts, FeatureCounts, FittedTfIdf, TfIdfParams, TfIdfValidParams,
    TransformScratch, CONTEXT_BLOCK_NORM, ENCODER_TERM, MAX_IDF,
};
