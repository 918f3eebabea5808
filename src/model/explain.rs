//! Why a label was given: the terms of a paragraph that pushed its score most.
//!
//! A head's calibrated logit for a label is `a · (w · x + b) + c`, with `x` the paragraph's
//! TF-IDF row, `w` the label's weights and `a` its calibration slope. The contribution of
//! feature `f` is `a · w_f · x_f`: exactly how much the feature moved the calibrated logit. For
//! a single-label head the classes compete, so a feature's contribution to a label is taken
//! relative to the other labels: `a_l w_lf x_f − mean_{k≠l} a_k w_kf x_f` (a feature that
//! raises every class equally explains nothing).
//!
//! Features are mapped back to the tokens they came from (an n-gram to its words, a character
//! n-gram or a rhetoric cue to its word), and features found at exactly the same places are
//! merged, so one piece of evidence is one set of places in the text with one weight.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{normalize_target, HeadBody, Model, ScoreScratch, SparseLinear, TaskScores};
use crate::features::{count_ids, sum_weights, FittedTfIdf, SparseVec};
use crate::text::{embeddings, EmbeddingBlock, Scratch, Sink, TermSource, EMBEDDING_DIM};

/// A stretch of the text that pushed a label's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The words as written at the first place (the text's bytes `spans[0]`); for the terms
    /// of the record's target itself (no place in the text), the target as given.
    pub text: String,
    /// Byte spans of every place the features occur, in text order (empty for the terms of the
    /// target itself).
    pub spans: Vec<(usize, usize)>,
    /// Contribution to the label's calibrated logit (positive: towards the label).
    pub weight: f32,
    /// The vocabulary terms merged into this evidence (stemmed n-grams, character n-grams,
    /// cues).
    pub terms: Vec<String>,
}

/// The evidence for one predicted label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelEvidence {
    /// Index of the head (task) in the model.
    pub task: usize,
    /// Index of the label in the head.
    pub label: usize,
    /// The strongest evidence, strongest first.
    pub evidence: Vec<Evidence>,
    /// What the intercepts and calibration offsets add (relative to the other labels for a
    /// single-label head).
    pub bias: f32,
    /// What every feature not listed in `evidence` adds (the sentence encoder block among
    /// them): `bias + Σ evidence + rest` is the label's calibrated logit (relative to the mean
    /// of the other labels' for a single-label head, before its top-label map if it has one).
    pub rest: f32,
}

/// Reusable buffers for [`Model::explain`].
#[derive(Debug, Default, Clone)]
pub struct ExplainScratch {
    text: Scratch,
    found: Found,
}

/// What the analyzer found in the text explained, with feature ids.
#[derive(Debug, Default, Clone)]
struct Found {
    /// (feature, where) per occurrence of a term.
    occurrences: Vec<(u32, TermSource)>,
    /// (feature, weight, where) per occurrence of a target-context term.
    context: Vec<(u32, f32, TermSource)>,
    /// (embedding block, word piece, token) per piece.
    pieces: Vec<(EmbeddingBlock, u32, usize)>,
}

/// One token's share of an embedding block's features.
struct TokenShare {
    block: EmbeddingBlock,
    /// The token's place.
    span: [(usize, usize); 1],
    /// (feature, the token's part of its value).
    values: Vec<(u32, f32)>,
}

/// Looks the analyzer's findings up in a vocabulary.
struct FoundSink<'a> {
    tfidf: &'a FittedTfIdf,
    found: &'a mut Found,
}

impl Sink for FoundSink<'_> {
    fn term(&mut self, term: &str, source: TermSource) {
        if let Some(f) = self.tfidf.id(term) {
            self.found.occurrences.push((f, source));
        }
    }

    fn context(&mut self, term: &str, weight: f32, source: TermSource) {
        if let Some(f) = self.tfidf.id(term) {
            self.found.context.push((f, weight, source));
        }
    }

    fn piece(&mut self, block: EmbeddingBlock, piece: u32, source: TermSource) {
        self.found.pieces.push((block, piece, source.first));
    }
}

/// The weight of feature `f` for output `o` of `m` (0 if the model does not use it).
fn weight_of(m: &SparseLinear, f: u32, o: usize) -> f32 {
    match m.features.binary_search(&f) {
        Ok(i) => m.weights[i * m.n_outputs() + o],
        Err(_) => 0.0,
    }
}

impl Model {
    /// For every predicted label in `scores` (as [`Model::score`] gave them for this `text` and
    /// `target`, with the scratch `scored`), the `top_k` pieces of evidence with the largest
    /// positive contributions. Labels with no positive evidence (given on the intercept alone)
    /// get an empty list. The sentence encoder's vector of the text is taken from `scored`,
    /// not computed again.
    pub fn explain(
        &self,
        text: &str,
        target: Option<&str>,
        scores: &[TaskScores],
        scored: &ScoreScratch,
        top_k: usize,
        scratch: &mut ExplainScratch,
    ) -> Vec<LabelEvidence> {
        let tfidf = self.tfidf();
        let ExplainScratch {
            text: text_scratch,
            found,
        } = scratch;
        found.occurrences.clear();
        found.context.clear();
        found.pieces.clear();
        self.analyzer()
            .analyze(text, target, text_scratch, &mut FoundSink { tfidf, found });
        let Found {
            occurrences,
            context,
            pieces,
        } = found;
        let tokens = text_scratch.tokens.tokens();
        // Each token's own vector in each embedding block, and the blocks' sums.
        let table = embeddings();
        let n_blocks = tfidf.n_embedding_blocks();
        let mut embedded = vec![0.0f32; n_blocks * EMBEDDING_DIM];
        let mut token_vectors: BTreeMap<(usize, usize), Vec<f32>> = BTreeMap::new();
        for &(block, piece, token) in pieces.iter() {
            let b = block as usize;
            if b >= n_blocks {
                continue;
            }
            table.add(
                piece,
                1.0,
                &mut embedded[b * EMBEDDING_DIM..(b + 1) * EMBEDDING_DIM],
            );
            let v = token_vectors
                .entry((b, token))
                .or_insert_with(|| vec![0.0; EMBEDDING_DIM]);
            table.add(piece, 1.0, v);
        }
        // A token's share of its block's features: the block's values are its summed vector
        // times one factor, so each token's part is its own vector times that factor.
        let scales: Vec<f32> = tfidf.embedding_scales(&embedded).collect();
        let shares: Vec<TokenShare> = token_vectors
            .iter()
            .map(|(&(block, token), v)| TokenShare {
                block: EmbeddingBlock::ALL[block],
                span: [(tokens[token].start, tokens[token].end)],
                values: v
                    .iter()
                    .enumerate()
                    .filter(|(_, &x)| x != 0.0)
                    .map(|(d, &x)| (tfidf.embedding_feature(block, d), x * scales[block]))
                    .collect(),
            })
            .collect();
        // The row, as scoring computes it.
        let mut ids: Vec<u32> = occurrences.iter().map(|&(f, _)| f).collect();
        let mut weighted: Vec<(u32, f32)> = context.iter().map(|&(f, w, _)| (f, w)).collect();
        let counts = count_ids(&mut ids);
        let context_sums = sum_weights(&mut weighted);
        let mut row = SparseVec::default();
        let transform = &scored.transform;
        let (categories, encoded) = (transform.shares(), transform.encoded());
        tfidf.weigh(
            &counts,
            &context_sums,
            &embedded,
            categories,
            encoded,
            &mut row,
        );
        // Where each feature occurs, as byte spans (none for the terms of the target itself).
        let mut places: HashMap<u32, Vec<(usize, usize)>> = HashMap::new();
        let sources = occurrences
            .iter()
            .copied()
            .chain(context.iter().map(|&(f, _, source)| (f, source)));
        for (f, source) in sources {
            let v = places.entry(f).or_default();
            if !source.in_text() {
                continue;
            }
            let span = (tokens[source.first].start, tokens[source.last].end);
            if !v.contains(&span) {
                v.push(span);
            }
        }
        places.values_mut().for_each(|v| v.sort_unstable());

        let target_text = target;
        let target = target.map(normalize_target);
        let mut out = Vec::new();
        for (t, (head, s)) in self.heads().iter().zip(scores).enumerate() {
            for &label in &s.predicted {
                // Per feature, its contribution to this label; and the bias.
                let (contribution, bias): (Box<dyn Fn(u32, f32) -> f32>, f32) = match &head.body {
                    HeadBody::Multi { models, .. } => {
                        let m = &models[label];
                        let c = head.calibration[label];
                        (
                            Box::new(move |f, x| c.a * weight_of(m, f, 0) * x),
                            c.apply(m.intercepts[0]),
                        )
                    }
                    HeadBody::Single {
                        general,
                        per_target,
                    } => {
                        let m = target
                            .as_ref()
                            .and_then(|t| {
                                per_target
                                    .binary_search_by(|(k, _)| k.as_str().cmp(t))
                                    .ok()
                                    .map(|i| &per_target[i].1)
                            })
                            .unwrap_or(general);
                        let cal = &head.calibration;
                        let n = head.labels.len();
                        // Label l's value minus the mean of the other labels' values.
                        let relative = move |value: &dyn Fn(usize) -> f32| {
                            let others = if n > 1 {
                                (0..n).filter(|&k| k != label).map(value).sum::<f32>()
                                    / (n - 1) as f32
                            } else {
                                0.0
                            };
                            value(label) - others
                        };
                        let bias = relative(&|k| cal[k].apply(m.intercepts[k]));
                        (
                            Box::new(move |f, x| relative(&|k| cal[k].a * weight_of(m, f, k)) * x),
                            bias,
                        )
                    }
                };
                // Merge features found at exactly the same places.
                let mut merged: Vec<Evidence> = Vec::new();
                let mut at: HashMap<&[(usize, usize)], usize> = HashMap::new();
                // Terms where they occur; the embedding blocks token by token. The word-category
                // and encoder blocks describe the whole text, which no word owns: their part goes
                // to `rest`.
                let whole_text: f32 = row
                    .iter()
                    .filter(|&(f, _)| tfidf.is_whole_text_dim(f))
                    .map(|(f, x)| contribution(f, x))
                    .sum();
                let terms = row
                    .iter()
                    .filter(|&(f, _)| {
                        tfidf.embedding_dim(f).is_none() && !tfidf.is_whole_text_dim(f)
                    })
                    .map(|(f, x)| (contribution(f, x), places[&f].as_slice(), tfidf.term(f)));
                let embedded = shares.iter().map(|share| {
                    let c = share.values.iter().map(|&(f, x)| contribution(f, x));
                    (c.sum::<f32>(), &share.span[..], share.block.term())
                });
                for (c, spans, term) in terms.chain(embedded) {
                    if c == 0.0 {
                        continue;
                    }
                    let i = *at.entry(spans).or_insert_with(|| {
                        merged.push(Evidence {
                            // A term of the target itself is shown as the target.
                            text: match spans.first() {
                                Some(&(a, b)) => text[a..b].to_string(),
                                None => target_text.unwrap_or_default().to_string(),
                            },
                            spans: spans.to_vec(),
                            weight: 0.0,
                            terms: Vec::new(),
                        });
                        merged.len() - 1
                    });
                    merged[i].weight += c;
                    merged[i].terms.push(term.to_string());
                }
                let total: f32 = merged.iter().map(|e| e.weight).sum();
                merged.retain(|e| e.weight > 0.0);
                merged.sort_by(|a, b| {
                    b.weight
                        .total_cmp(&a.weight)
                        .then_with(|| a.spans.cmp(&b.spans))
                });
                merged.truncate(top_k);
                let shown: f32 = merged.iter().map(|e| e.weight).sum();
                out.push(LabelEvidence {
                    task: t,
                    label,
                    evidence: merged,
                    bias,
                    rest: total - shown + whole_text,
                });
            }
        }
        out
    }
}
