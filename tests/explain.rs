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
/// the other labels' log-probabilities).
#[test]
fn evidence_adds_up_to_the_calibrated_score() {
    let model = Model::load(tiny_model()).unwrap();
    let mut scratch = ScoreScratch::default();
    let mut ex = ExplainScratch::default();
    let mut checked = 0;
    for text in PARAGRAPHS {
        let scores = model.score(text, None, &mut scratch);
        let explained = model.explain(text, None, &scores, usize::MAX, &mut ex);
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
                    if general.link != Link::Softmax {
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
                assert_eq!(ev.text, &text[ev.spans[0].0..ev.spans[0].1]);
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
    let all = model.explain(text, None, &scores, usize::MAX, &mut ex);
    let top = model.explain(text, None, &scores, 2, &mut ex);
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
