//! Compares linfa's estimators for rhetor's multi-label heads on SemEval-2023 techniques:
//! linfa-logistic and linfa-ftrl through rhetor's trainer, linfa-bayes' MultinomialNb on the same
//! chi-square-selected TF-IDF features. Every estimator is trained on `train.jsonl` and gets its
//! per-label thresholds tuned on `dev.jsonl` (the `rhetor train --dev` protocol), so the
//! comparison is like for like. Prints dev micro-F1 and training time.
//!
//! Needs the shared data beside the repository:
//! `cargo run --release --example estimators [-- ../shared/data]`
//! (MultinomialNb in linfa-bayes 0.8.1 prints its internal state to stderr on every fit; run
//! with `2>/dev/null`.)

use std::path::{Path, PathBuf};
use std::time::Instant;

use linfa::prelude::*;
use linfa::DatasetBase;
use linfa_bayes::{MultinomialNb, NaiveBayes};
use ndarray::{Array1, Array2, ShapeBuilder};
use rhetor::corpus::{read_file, OnBad, Record};
use rhetor::features::{CsrMatrix, TfIdfParams};
use rhetor::model::{chi2, top_k, train, tune_thresholds, Estimator, TrainParams};
use rhetor::text::AnalyzerParams;

const K: usize = 5000;
const TASK: &str = "technique";

fn dense(x: &CsrMatrix, features: &[u32]) -> Array2<f32> {
    let local: std::collections::HashMap<u32, usize> =
        features.iter().enumerate().map(|(i, &f)| (f, i)).collect();
    let mut m = Array2::<f32>::zeros((x.n_rows(), features.len()).f());
    for r in 0..x.n_rows() {
        let (ids, vals) = x.row(r);
        for (id, v) in ids.iter().zip(vals) {
            if let Some(&j) = local.get(id) {
                m[[r, j]] = *v;
            }
        }
    }
    m
}

fn labels_of(r: &Record) -> Vec<String> {
    r.labels[TASK].labels().map(str::to_string).collect()
}

fn naive_bayes(train_recs: &[Record], dev_recs: &[Record]) -> f32 {
    let analyzer = AnalyzerParams::default().check().unwrap().build();
    let texts: Vec<&str> = train_recs.iter().map(|r| r.text.as_str()).collect();
    let (tfidf, x) = TfIdfParams::default()
        .check()
        .unwrap()
        .fit_transform(&analyzer, &texts)
        .unwrap();
    let dev_texts: Vec<&str> = dev_recs.iter().map(|r| r.text.as_str()).collect();
    let xd = tfidf.transform(&analyzer, &dev_texts);
    let mut labels: Vec<String> = train_recs.iter().flat_map(labels_of).collect();
    labels.sort();
    labels.dedup();
    let rows: Vec<usize> = (0..x.n_rows()).collect();
    let scores: Vec<Vec<(f32, bool)>> = labels
        .iter()
        .map(|label| {
            let y: Vec<usize> = train_recs
                .iter()
                .map(|r| usize::from(labels_of(r).contains(label)))
                .collect();
            let features = top_k(&chi2(&x, &rows, &y, 2), K);
            let xt = dense(&x, &features);
            let ds = DatasetBase::new(xt.view(), Array1::from(y.clone()));
            let nb = MultinomialNb::<f32, usize>::params().fit(&ds).unwrap();
            let (proba, classes) = nb.predict_proba(dense(&xd, &features).view());
            let pos = classes.iter().position(|&&c| c == 1).unwrap();
            dev_recs
                .iter()
                .enumerate()
                .map(|(i, r)| (proba[[i, pos]], labels_of(r).contains(label)))
                .collect()
        })
        .collect();
    // Dev labels the model does not know count as misses: add them as never-scored labels.
    let known: std::collections::HashSet<&String> = labels.iter().collect();
    let mut all = scores;
    let unknown: Vec<(f32, bool)> = dev_recs
        .iter()
        .flat_map(|r| {
            labels_of(r)
                .into_iter()
                .filter(|l| !known.contains(l))
                .map(|_| (0.0, true))
        })
        .collect();
    if !unknown.is_empty() {
        all.push(unknown);
    }
    tune_thresholds(&all).1
}

fn main() {
    let data = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/data"));
    let dir = data.join("semeval2023_techniques");
    if !dir.is_dir() {
        eprintln!(
            "estimators: {} is missing; this comparison needs the shared data (../shared/data)",
            dir.display()
        );
        std::process::exit(2);
    }
    let read = |p: &Path| read_file(p, OnBad::Stop, &mut Vec::new()).unwrap();
    let train_recs = read(&dir.join("train.jsonl"));
    let dev_recs = read(&dir.join("dev.jsonl"));
    println!("| estimator | settings | dev micro-F1 | train time (s) |");
    println!("|---|---|---|---|");
    let estimators = [
        (Estimator::default(), "C = 1, tol 1e-3"),
        (
            Estimator::LinfaFtrl {
                alpha: 0.1,
                beta: 1.0,
                l1: 0.0,
                l2: 1.0,
                epochs: 3,
            },
            "alpha 0.1, l2 1, 3 epochs",
        ),
        (
            Estimator::LinfaFtrl {
                alpha: 0.5,
                beta: 1.0,
                l1: 0.0,
                l2: 0.1,
                epochs: 3,
            },
            "alpha 0.5, l2 0.1, 3 epochs",
        ),
    ];
    for (est, settings) in estimators {
        let params = TrainParams {
            estimator: est.clone(),
            tasks: vec![TASK.into()],
            ..TrainParams::default()
        }
        .check()
        .unwrap();
        let clock = Instant::now();
        let (model, _) = train(
            &params,
            &train_recs,
            Some(&dev_recs),
            vec![],
            vec![],
            &|_| {},
        )
        .unwrap();
        let secs = clock.elapsed().as_secs_f64();
        let f1 = model.evaluate(&dev_recs).tasks[TASK].micro_f1;
        println!(
            "| linfa-{} | {settings} | {f1:.4} | {secs:.1} |",
            est.name()
        );
    }
    let clock = Instant::now();
    let f1 = naive_bayes(&train_recs, &dev_recs);
    println!(
        "| linfa-bayes MultinomialNb | alpha 1 | {f1:.4} | {:.1} |",
        clock.elapsed().as_secs_f64()
    );
}
