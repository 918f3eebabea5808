//! Explanations through the library: the evidence adds up to the score it explains and points
//! at words of the paragraph.

use rhetor::corpus::TaskKind;
use rhetor::model::{sigmoid, ExplainScratch, Link, Model, ScoreScratch};

use crate::util::*;

const PARAGRAPHS: [&str; 4] = [
    "This bill is a disaster dressed up as protection. It is a snooper's charter, and it should \
     be thrown out.",
    "The council said the charge would raise £12m a year for buses and cut traffic by a fifth.",
    "Families are paying more every winter while ministers do nothing. Enough is enough!",
    "",
];

/// For every predicted label of every head: `bias + Σ evidence + rest` is the calibrated logit,
/// so the evidence is an exact share of the score (multi-label heads: its sigmoid is the
/// probability; single-label softmax heads: it is the label's log-probability minus the mean of
/// the other labels' log-probabilities). Also with a stance target, whose identity terms are
/// evidence without a place in the text, and whose context block has a norm of its own; and
/// with a sentence encoder block.
#[test]
fn evidence_adds_up_to_the_calibrated_score() {
    let target = "the congestion charge";
    let cases = [
        (tiny_model(), None),
        (tiny_target_model(), Some(target)),
        // The encoder block has no place in the text: its part is in `rest`.
        (tiny_encoder_model(), None),
    ];
    let mut found = Found::default();
    for (path, target) in cases {
        let model = Model::load(path).unwrap();
        check_evidence(&model, target, &mut found);
    }
    assert!(
        found.of_target > 0,
        "no evidence from the target's own terms"
    );
    assert!(found.embedded > 0, "no evidence from the embeddings");
}

/// Kinds of evidence seen.
#[derive(Default)]
struct Found {
    /// The target's own terms.
    of_target: usize,
    /// Evidence with an embedding block among its terms.
    embedded: usize,
}

/// The checks of [`evidence_adds_up_to_the_calibrated_score`] for one model.
fn check_evidence(model: &Model, target: Option<&str>, found: &mut Found) {
    let mut scratch = ScoreScratch::default();
    let mut ex = ExplainScratch::default();
    let mut checked = 0;
    for text in PARAGRAPHS {
        let scores = model.score(text, target, &mut scratch);
        let explained = model.explain(text, target, &scores, &scratch, usize::MAX, &mut ex);
        let predicted: usize = scores.iter().map(|s| s.predicted.len()).sum();
        assert_eq!(explained.len(), predicted, "one entry per predicted label");
        for e in explained {
            let head = &model.heads()[e.task];
            let probs = &scores[e.task].probs;
            let logit = e.bias + e.evidence.iter().map(|x| x.weight).sum::<f32>() + e.rest;
            match head.kind() {
                TaskKind::Multi => {
                    assert!((sigmoid(logit) - probs[e.label]).abs() < 1e-4, "{text}");
                }
                TaskKind::Single => {
                    let rhetor::model::HeadBody::Single { general, .. } = &head.body else {
                        unreachable!()
                    };
                    // The identity holds for softmax heads before any top-label map (which
                    // moves the predicted label's probability, never the label).
                    if general.link != Link::Softmax || !head.top_label.is_empty() {
                        continue;
                    }
                    let n = probs.len() as f32;
                    let others: f32 = (0..probs.len())
                        .filter(|&k| k != e.label)
                        .map(|k| probs[k].ln())
                        .sum::<f32>()
                        / (n - 1.0);
                    assert!(
                        (probs[e.label].ln() - others - logit).abs() < 1e-3,
                        "{text}"
                    );
                }
            }
            for ev in &e.evidence {
                assert!(ev.weight > 0.0);
                assert!(!ev.terms.is_empty());
                for &(s, t) in &ev.spans {
                    assert!(s < t && t <= text.len() && text.is_char_boundary(s));
                }
                match ev.spans.first() {
                    Some(&(s, t)) => assert_eq!(ev.text, &text[s..t]),
                    None => {
                        assert_eq!(Some(ev.text.as_str()), target);
                        assert!(ev.terms.iter().all(|t| t.starts_with("\u{2}target-")));
                        found.of_target += 1;
                    }
                }
                if ev.terms.iter().any(|t| t.ends_with("embedding")) {
                    // An embedding share is one token's.
                    assert_eq!(ev.spans.len(), 1);
                    found.embedded += 1;
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} labels explained");
}

#[test]
fn evidence_is_strongest_first_and_limited_to_top_k() {
    let model = Model::load(tiny_model()).unwrap();
    let mut scratch = ScoreScratch::default();
    let mut ex = ExplainScratch::default();
    let text = PARAGRAPHS[0];
    let scores = model.score(text, None, &mut scratch);
    let all = model.explain(text, None, &scores, &scratch, usize::MAX, &mut ex);
    let top = model.explain(text, None, &scores, &scratch, 2, &mut ex);
    for (a, t) in all.iter().zip(&top) {
        assert!(t.evidence.len() <= 2);
        assert_eq!(&a.evidence[..t.evidence.len()], &t.evidence[..]);
        assert!(a.evidence.windows(2).all(|w| w[0].weight >= w[1].weight));
        let sum = |e: &rhetor::model::LabelEvidence| {
            e.evidence.iter().map(|x| x.weight).sum::<f32>() + e.rest
        };
        assert!(
            (sum(a) - sum(t)).abs() < 1e-4,
            "rest holds what top-k leaves out"
        );
    }
}

/// Scoring fuses weighting, the heads' dot products and the two blocks' norms in one pass over
/// a text's counts; it gives the scores of the weighted row, with and without a target.
#[test]
fn fused_scoring_equals_scoring_the_weighted_row() {
    let model = Model::load(tiny_target_model()).unwrap();
    let mut scratch = ScoreScratch::default();
    let targets = [None, Some("the congestion charge"), Some("Bill"), Some("?")];
    let mut with_context = 0;
    for text in PARAGRAPHS {
        for target in targets {
            let fused = model.score(text, target, &mut scratch);
            model.vectorize_with_target(text, target, &mut scratch);
            let context = scratch
                .row
                .iter()
                .filter(|&(f, _)| model.tfidf().is_context(f));
            with_context += usize::from(context.count() > 0);
            let from_row = model.score_vectorized(target, &mut scratch);
            for (a, b) in fused.iter().zip(&from_row) {
                assert_eq!(a.predicted, b.predicted, "{text:?} / {target:?}");
                for (p, q) in a.probs.iter().zip(&b.probs) {
                    assert!((p - q).abs() < 1e-5, "{text:?} / {target:?}: {p} vs {q}");
                }
            }
        }
    }
    assert!(with_context > 0, "no text had target-context features");
}
