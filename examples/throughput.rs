//! Scoring throughput of the library on texts already in memory, one thread: the counterpart
//! of scikit-learn's "vectorise + predict" figure in `benches/speed.py`.
//!
//! `cargo run --release --example throughput -- PARAGRAPHS.txt [MODEL]`
//! (one paragraph per line; default model: the embedded one). Prints paragraphs per second,
//! best of 5 passes, and the number of labels predicted (identical in every pass).

use std::time::Instant;

use rhetor::model::{Model, ScoreScratch};

const DEFAULT_MODEL: &[u8] = include_bytes!("../models/default.rhetor");

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: throughput PARAGRAPHS.txt [MODEL]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("throughput: {path}: {e}");
        std::process::exit(2);
    });
    let model = match args.next() {
        Some(m) => Model::load(m.as_ref()).expect("model"),
        None => Model::from_bytes(DEFAULT_MODEL, "default").expect("embedded model"),
    };
    let paragraphs: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut scratch = ScoreScratch::default();
    let mut out = Vec::new();
    let mut best = f64::INFINITY;
    let mut fingerprint = None;
    for _ in 0..5 {
        let clock = Instant::now();
        let mut predicted = 0usize;
        for p in &paragraphs {
            model.score_into(p, None, &mut scratch, &mut out);
            predicted += out.iter().map(|s| s.predicted.len()).sum::<usize>();
        }
        best = best.min(clock.elapsed().as_secs_f64());
        assert!(
            fingerprint.is_none_or(|f| f == predicted),
            "passes disagree"
        );
        fingerprint = Some(predicted);
    }
    println!(
        "{{\"paragraphs\": {}, \"per_s\": {:.0}, \"labels_predicted\": {}}}",
        paragraphs.len(),
        paragraphs.len() as f64 / best,
        fingerprint.unwrap_or(0)
    );
}
