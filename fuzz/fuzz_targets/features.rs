//! The feature stage end to end: analyzer options (n-gram sizes, char n-grams, rhetoric cues,
//! stance-target masking and context windows), TF-IDF fitting, and the two ways of finding a
//! text's features — `FittedTfIdf::count_features` (the fast path: token ids, word cache) and
//! `Analyzer::for_each_term_with_target` looked up by string (the reference, as the crate's own
//! `transform_one_matches_the_string_path` test does on a few fixed texts).
//!
//! Input: byte 0 picks the language; byte 1 the options (bits 0-1: largest word n-gram 1-3 [3 if
//! 3]; bit 2: char n-grams 2-4; bit 3: rhetoric; bit 4: target mask; bits 5-7: target window
//! 0-7); the rest (cut at its first invalid UTF-8 byte) is split on `\n`: the first line is the
//! stance target (none if empty), the next ones (up to 16) the documents.
//!
//! Checks: no panic; term sources point at valid token indices; terms are deterministic; when
//! the analyzer does not use targets, giving one changes nothing; fitting with `min_df = 1`
//! puts every term of every training document in the vocabulary; the fast path counts the same
//! (feature, count) pairs as the string path, with and without the target, with a fresh and a
//! warm scratch; and the training rows of `fit_transform_with_targets` have the features of
//! those counts (and, without target features in play, equal `transform_one`'s rows).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhetor::features::{DocFreq, FittedTfIdf, SparseVec, TfIdfParams, TransformScratch};
use rhetor::text::{Analyzer, AnalyzerParams, Language, Scratch};

type Term = (String, usize, usize);

fn terms(analyzer: &Analyzer, text: &str, target: Option<&str>, scratch: &mut Scratch) -> Vec<Term> {
    let mut out = Vec::new();
    analyzer.for_each_term_with_target(text, target, scratch, |t, s| {
        out.push((t.to_string(), s.first, s.last))
    });
    out
}

/// Sorted (feature, count) pairs of the string path.
fn slow_counts(
    tfidf: &FittedTfIdf,
    analyzer: &Analyzer,
    text: &str,
    target: Option<&str>,
    scratch: &mut Scratch,
    all_known: bool,
) -> Vec<(u32, u32)> {
    let mut ids = Vec::new();
    analyzer.for_each_term_with_target(text, target, scratch, |t, _| match tfidf.id(t) {
        Some(id) => ids.push(id),
        None => assert!(!all_known, "term {t:?} of a training document is not in the vocabulary"),
    });
    ids.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for id in ids {
        match out.last_mut() {
            Some((last, n)) if *last == id => *n += 1,
            _ => out.push((id, 1)),
        }
    }
    out
}

fn fast_counts(
    tfidf: &FittedTfIdf,
    analyzer: &Analyzer,
    text: &str,
    target: Option<&str>,
    scratch: &mut TransformScratch,
) -> Vec<(u32, u32)> {
    let mut c = tfidf.count_features(analyzer, text, target, scratch).to_vec();
    c.sort_unstable();
    c
}

fuzz_target!(|data: &[u8]| {
    let [lang, opts, rest @ ..] = data else {
        return;
    };
    let rest = match std::str::from_utf8(rest) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap(),
    };
    let names = Language::NAMES;
    let language: Language = names[usize::from(*lang) % names.len()].parse().unwrap();
    let wmax = usize::from(opts & 3).clamp(1, 3);
    let params = AnalyzerParams {
        language,
        word_ngrams: (1, wmax),
        char_ngrams: (opts & 4 != 0).then_some((2, 4)),
        rhetoric: opts & 8 != 0,
        target_mask: opts & 16 != 0,
        target_window: usize::from(opts >> 5),
        ..AnalyzerParams::default()
    };
    let analyzer = params.check().expect("valid settings").build();
    let mut lines = rest.split('\n');
    let target = lines.next().filter(|t| !t.is_empty());
    let docs: Vec<&str> = lines.take(16).collect();
    if docs.is_empty() {
        return;
    }

    // Terms: sources in range, deterministic, the target ignored when the analyzer has no use
    // for it.
    let mut scratch = Scratch::default();
    for doc in &docs {
        let with = terms(&analyzer, doc, target, &mut scratch);
        let n_tok = scratch.tokens.len();
        for (t, a, b) in &with {
            assert!(a <= b && *b < n_tok, "term {t:?}: source {a}..={b} with {n_tok} tokens");
        }
        assert_eq!(
            terms(&analyzer, doc, target, &mut Scratch::default()),
            with,
            "terms differ with a fresh scratch"
        );
        if !analyzer.uses_target() {
            assert_eq!(terms(&analyzer, doc, None, &mut scratch), with, "unused target changed the terms");
        }
    }

    // Fit on the documents with their target.
    let fit_params = TfIdfParams {
        min_df: DocFreq::Count(1),
        ..TfIdfParams::default()
    }
    .check()
    .unwrap();
    let with_targets: Vec<(&str, Option<&str>)> = docs.iter().map(|d| (*d, target)).collect();
    let Ok((tfidf, matrix)) = fit_params.fit_transform_with_targets(&analyzer, &with_targets) else {
        return;
    };
    assert_eq!(matrix.n_rows(), docs.len());
    assert_eq!(matrix.n_cols(), tfidf.n_features());

    let mut fast_scratch = TransformScratch::default();
    // Two passes, the second with a warm word cache, in reverse order.
    for pass in 0..2 {
        let order: Vec<usize> = if pass == 0 {
            (0..docs.len()).collect()
        } else {
            (0..docs.len()).rev().collect()
        };
        for i in order {
            let doc = docs[i];
            let slow_t = slow_counts(&tfidf, &analyzer, doc, target, &mut scratch, true);
            let fast_t = fast_counts(&tfidf, &analyzer, doc, target, &mut fast_scratch);
            assert_eq!(fast_t, slow_t, "doc {i} {doc:?} with target {target:?}: fast path differs");
            let slow_n = slow_counts(&tfidf, &analyzer, doc, None, &mut scratch, !analyzer.uses_target() || target.is_none());
            let fast_n = fast_counts(&tfidf, &analyzer, doc, None, &mut fast_scratch);
            assert_eq!(fast_n, slow_n, "doc {i} {doc:?} without target: fast path differs");

            // The training row has exactly the features of the counts.
            let (ids, vals) = matrix.row(i);
            let want_ids: Vec<u32> = slow_t.iter().map(|&(f, _)| f).collect();
            assert_eq!(ids, &want_ids[..], "doc {i}: training row features differ");
            if target.is_none() || !analyzer.uses_target() {
                let mut row = SparseVec::default();
                tfidf.transform_one(&analyzer, doc, &mut fast_scratch, &mut row);
                assert_eq!(row.indices, ids, "doc {i}: transform_one features differ");
                assert_eq!(row.values, vals, "doc {i}: transform_one weights differ");
            }
        }
    }
});
