//! Criterion benchmarks of the pipeline's stages on fixed data the project holds: the texts of
//! `corpus/` (original articles and examples) and the committed default model, plus a corpus
//! generated from a fixed seed for training. Every benchmark checks its result, so a change
//! that makes a stage faster by doing less fails here instead of looking good.
//!
//! `cargo bench --bench pipeline` (results in `target/criterion/`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rhetor::corpus::{read_file, LabelValue, OnBad, Origin, Record};
use rhetor::features::{SparseVec, TransformScratch};
use rhetor::model::{train, Model, ScoreScratch, TaskScores, TrainParams};
use rhetor::text::{Scratch, Tokens};

const DEFAULT_MODEL: &[u8] = include_bytes!("../models/default.rhetor");

/// The paragraphs of the project's corpus: every record of `corpus/examples.jsonl` and
/// `corpus/train.jsonl`.
fn corpus_paragraphs() -> Vec<String> {
    let mut texts = Vec::new();
    for f in ["corpus/examples.jsonl", "corpus/train.jsonl"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f);
        let records = read_file(&path, OnBad::Stop, &mut Vec::new()).expect("corpus is readable");
        texts.extend(records.into_iter().map(|r| r.text));
    }
    assert_eq!(texts.len(), 183, "corpus/ holds 94 + 89 records");
    texts
}

fn text_stage(c: &mut Criterion) {
    let texts = corpus_paragraphs();
    let bytes: usize = texts.iter().map(String::len).sum();
    let model = Model::from_bytes(DEFAULT_MODEL, "default").unwrap();
    let analyzer = model.analyzer();
    let mut tokens = Tokens::default();
    let count = |tokens: &mut Tokens| -> usize {
        texts
            .iter()
            .map(|t| {
                analyzer.tokenize(t, tokens);
                tokens.len()
            })
            .sum()
    };
    let expected = count(&mut tokens);
    let mut g = c.benchmark_group("text");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("tokenize_and_stem", |b| {
        b.iter(|| assert_eq!(black_box(count(&mut tokens)), expected))
    });
    // Analyzer terms (word 1-2 grams as strings): the path training uses.
    let mut scratch = Scratch::default();
    let terms = |scratch: &mut Scratch| -> usize {
        let mut n = 0;
        for t in &texts {
            analyzer.for_each_term(t, scratch, |_, _| n += 1);
        }
        n
    };
    let expected_terms = terms(&mut scratch);
    g.bench_function("terms", |b| {
        b.iter(|| assert_eq!(black_box(terms(&mut scratch)), expected_terms))
    });
    g.finish();
}

fn vectorize(c: &mut Criterion) {
    let texts = corpus_paragraphs();
    let model = Model::from_bytes(DEFAULT_MODEL, "default").unwrap();
    let mut scratch = TransformScratch::default();
    let mut row = SparseVec::default();
    let run = |scratch: &mut TransformScratch, row: &mut SparseVec| -> usize {
        texts
            .iter()
            .map(|t| {
                model
                    .tfidf()
                    .transform_one(model.analyzer(), t, scratch, row);
                row.nnz()
            })
            .sum()
    };
    let expected = run(&mut scratch, &mut row);
    let mut g = c.benchmark_group("vectorize");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("tfidf_transform", |b| {
        b.iter(|| assert_eq!(black_box(run(&mut scratch, &mut row)), expected))
    });
    g.finish();
}

/// Number of predicted labels over all paragraphs: the scores' fingerprint.
fn predicted(scores: &[TaskScores]) -> usize {
    scores.iter().map(|s| s.predicted.len()).sum()
}

fn score(c: &mut Criterion) {
    let texts = corpus_paragraphs();
    let model = Model::from_bytes(DEFAULT_MODEL, "default").unwrap();
    let mut scratch = ScoreScratch::default();
    let mut out = Vec::new();
    let one_thread = |scratch: &mut ScoreScratch, out: &mut Vec<TaskScores>| -> usize {
        texts
            .iter()
            .map(|t| {
                model.score_into(t, None, scratch, out);
                predicted(out)
            })
            .sum()
    };
    let expected = one_thread(&mut scratch, &mut out);
    let mut g = c.benchmark_group("score");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("paragraphs_1_thread", |b| {
        b.iter(|| assert_eq!(black_box(one_thread(&mut scratch, &mut out)), expected))
    });
    // The same paragraphs many times over, in rayon batches on every core.
    let many: Vec<(&str, Option<&str>)> = (0..20)
        .flat_map(|_| texts.iter().map(|t| (t.as_str(), None)))
        .collect();
    g.throughput(Throughput::Elements(many.len() as u64));
    g.bench_function("paragraphs_batch_all_threads", |b| {
        b.iter(|| {
            let scores = model.score_batch(black_box(&many));
            let n: usize = scores.iter().map(|s| predicted(s)).sum();
            assert_eq!(n, expected * 20);
        })
    });
    g.finish();
}

/// A labelled corpus generated from a fixed seed: 4,000 paragraphs of 40 words drawn from a
/// Zipf-like vocabulary, 10 multi-label labels each signalled by its own cue words, and a
/// 3-way single-label task.
fn generated_corpus() -> Vec<Record> {
    let mut rng = Xoshiro256Plus::seed_from_u64(2026);
    // Words spelt with letters only: the tokenizer folds digit runs to `0`.
    let letters = |mut i: usize| -> String {
        let mut s = String::from("w");
        loop {
            s.push((b'a' + (i % 26) as u8) as char);
            i /= 26;
            if i == 0 {
                return s;
            }
        }
    };
    let vocab: Vec<String> = (0..6000).map(letters).collect();
    let origin = Origin {
        path: std::sync::Arc::from(std::path::Path::new("generated")),
        line: 0,
    };
    (0..4000)
        .map(|i| {
            let labels: Vec<usize> = (0..10).filter(|_| rng.gen_bool(0.12)).collect();
            let mut words: Vec<String> = (0..40)
                .map(|_| {
                    let r: f64 = rng.gen();
                    vocab[((r * r * r) * vocab.len() as f64) as usize].clone()
                })
                .collect();
            for &l in &labels {
                words[rng.gen_range(0..40)] = format!("cue{}", (b'a' + l as u8) as char);
            }
            let stance = ["pro", "con", "none"][i % 3];
            words[0] = format!("{stance}word");
            let mut labels_map = std::collections::BTreeMap::new();
            labels_map.insert(
                "tag".to_string(),
                LabelValue::Multi(labels.iter().map(|l| format!("label{l}")).collect()),
            );
            labels_map.insert("stance".to_string(), LabelValue::Single(stance.to_string()));
            Record {
                id: format!("g{i}"),
                doc: format!("d{}", i / 20),
                text: words.join(" "),
                target: None,
                labels: labels_map,
                extra: Default::default(),
                origin: origin.clone(),
            }
        })
        .collect()
}

fn training(c: &mut Criterion) {
    let records = generated_corpus();
    let params = TrainParams::default().check().unwrap();
    let mut g = c.benchmark_group("train");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("generated_4000_paragraphs_default_settings", |b| {
        b.iter(|| {
            let (model, _) =
                train(&params, black_box(&records), None, vec![], vec![], &|_| {}).unwrap();
            // The cue words make the labels learnable: the model must find them.
            let report = model.evaluate(&records);
            assert!(
                report.tasks["tag"].micro_f1 > 0.9,
                "{}",
                report.tasks["tag"].micro_f1
            );
            assert!(report.tasks["stance"].accuracy.unwrap() > 0.99);
        })
    });
    g.finish();
}

/// Loading the embedded default model: decode, verify its checksum, rebuild the vocabulary
/// lookup and the scoring index. The model file must stay under 20 MB and load in well under
/// 100 ms (the time before the first paragraph of `rhetor score` is scored).
fn load_default_model(c: &mut Criterion) {
    const MAX_BYTES: usize = 20 << 20;
    assert!(
        DEFAULT_MODEL.len() < MAX_BYTES,
        "default model is {} bytes",
        DEFAULT_MODEL.len()
    );
    let mut g = c.benchmark_group("model");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Bytes(DEFAULT_MODEL.len() as u64));
    g.bench_function("load_default", |b| {
        b.iter(|| {
            let model = Model::from_bytes(black_box(DEFAULT_MODEL), "default").unwrap();
            assert!(model.heads().len() >= 3);
            model
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    load_default_model,
    text_stage,
    vectorize,
    score,
    training
);
criterion_main!(benches);
