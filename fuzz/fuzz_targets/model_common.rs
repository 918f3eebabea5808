//! Shared by `model_file` and `model_payload`: decode, then use what was decoded.

use std::path::Path;

use rhetor::model::{HeadBody, Model, ModelData};
use rhetor::text::CHAR_GRAM_PREFIX;

/// Builds a model file around `payload` with the layout of `src/model/file.rs`: magic,
/// u32 LE version, u64 LE payload length, u32 LE CRC-32 of the payload, payload.
#[allow(dead_code)] // used by model_payload only
pub fn wrap_payload(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + payload.len());
    out.extend_from_slice(rhetor::model::MODEL_MAGIC);
    out.extend_from_slice(&rhetor::model::MODEL_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// `ModelData::from_bytes` must not panic; errors must name the file. A model that passes its
/// checks must be usable: it re-encodes to bytes that decode again (to the same encoding), it
/// builds, and scoring texts (a fixed one, one made of its own vocabulary, with and without a
/// stance target, by both scoring paths) does not panic and gives one result per head with one
/// probability per label, each in [0, 1] (never NaN), and predicted labels in range.
pub fn check_model_bytes(bytes: &[u8]) {
    let path = Path::new("fuzz.rhetor");
    let data = match ModelData::from_bytes(bytes, path) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("fuzz.rhetor"), "error without the file name: {msg}");
            return;
        }
    };

    // Round trip.
    let encoded = data.to_bytes();
    let again = ModelData::from_bytes(&encoded, path)
        .unwrap_or_else(|e| panic!("a decoded model does not decode after re-encoding: {e}"));
    assert_eq!(again.to_bytes(), encoded, "re-encoding is not stable");
    let _ = data.meta.dev_metrics();

    // Texts that hit the vocabulary: word n-gram terms as text (they are normal forms, which
    // often tokenize back to themselves), and char n-grams without their prefix.
    let n = data.tfidf.n_features().min(64);
    let mut vocab_text = String::new();
    for id in 0..n as u32 {
        let term = data.tfidf.term(id);
        let term = term.strip_prefix(CHAR_GRAM_PREFIX).unwrap_or(term);
        vocab_text.push_str(term);
        vocab_text.push(' ');
    }
    // A stance target with its own model, if any.
    let target: Option<String> = data.heads.iter().find_map(|h| match &h.body {
        HeadBody::Single { per_target, .. } => per_target.first().map(|(t, _)| t.clone()),
        HeadBody::Multi { .. } => None,
    });

    let model = Model::from_data(data);
    let mut scratch = Default::default();
    let texts = ["a text", vocab_text.as_str(), ""];
    let targets = [None, target.as_deref(), Some("a target")];
    for text in texts {
        for t in targets {
            let scores = model.score(text, t, &mut scratch);
            model.vectorize(text, &mut scratch);
            let scores2 = model.score_vectorized(t, &mut scratch);
            for s in [&scores, &scores2] {
                assert_eq!(s.len(), model.heads().len(), "one result per head");
                for (head, ts) in model.heads().iter().zip(s.iter()) {
                    assert_eq!(ts.probs.len(), head.labels.len(), "head {}: probs", head.task);
                    assert!(
                        ts.probs.iter().all(|p| (0.0..=1.0).contains(p)),
                        "head {}: probabilities outside [0, 1] (or NaN): {:?}",
                        head.task,
                        ts.probs
                    );
                    assert!(
                        ts.predicted.iter().all(|&l| l < head.labels.len()),
                        "head {}: predicted label out of range: {:?}",
                        head.task,
                        ts.predicted
                    );
                    if matches!(head.body, HeadBody::Single { .. }) {
                        assert_eq!(ts.predicted.len(), 1, "head {}: single-label", head.task);
                    }
                }
            }
        }
    }
}
