//! The same data and seed give the same bytes: model files for any number of threads and any
//! run, score and eval output for any number of threads.

use std::path::PathBuf;

use crate::util::*;

/// A training run: its model file's name and the thread count.
type Run<'a> = (&'a str, &'a str);

#[test]
fn same_data_and_seed_give_byte_identical_models() {
    let dir = Dir::new();
    let encoder_target = [
        "--task",
        "stance",
        "--encoder",
        TINY_ENCODER,
        "--encoder-target",
    ];
    // (what, extra flags, file and threads of each run): two runs with the same thread count,
    // and other counts.
    let cases: [(&str, &[&str], &[Run]); 2] = [
        (
            "n-grams",
            &[],
            &[("a", "1"), ("b", "2"), ("c", "2"), ("d", "3")],
        ),
        (
            "encoder with target pooling",
            &encoder_target,
            &[("e", "1"), ("f", "2")],
        ),
    ];
    for (what, extra, runs) in cases {
        let mut models: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, threads) in runs {
            let path = dir.path(&format!("{name}.rhetor"));
            let mut cmd = rhetor(["train", "corpus/train.jsonl", "-q", "--threads", threads]);
            cmd.args(["--dev", "corpus/examples.jsonl", "-o"])
                .arg(&path)
                .args(FAST)
                .args(extra);
            ok(cmd);
            models.push((
                format!("{what}: run {name} with {threads} thread(s)"),
                std::fs::read(&path).unwrap(),
            ));
        }
        let (first_name, first) = &models[0];
        for (name, bytes) in &models[1..] {
            assert!(bytes == first, "{name} differs from {first_name}");
        }
    }
}

#[test]
fn score_and_eval_output_is_the_same_for_any_number_of_threads() {
    let articles: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(corpus("articles"))
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        v.sort();
        v
    };
    // The JSONL input repeated, so that it spans several batches and chunks.
    let dir = Dir::new();
    let jsonl = dir.write(
        "many.jsonl",
        std::fs::read_to_string(corpus("examples.jsonl"))
            .unwrap()
            .repeat(100),
    );
    // (what, arguments after `-m MODEL`)
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for format in ["table", "csv", "jsonl"] {
        let mut args = vec!["score".to_string(), "--format".into(), format.into()];
        args.extend(articles.iter().map(|p| p.display().to_string()));
        cases.push((format!("score text as {format}"), args));
        cases.push((
            format!("score jsonl as {format}"),
            vec![
                "score".into(),
                "--input".into(),
                "jsonl".into(),
                "--format".into(),
                format.into(),
                jsonl.display().to_string(),
            ],
        ));
    }
    cases.push((
        "eval json".into(),
        vec![
            "eval".into(),
            "--format".into(),
            "json".into(),
            "corpus/examples.jsonl".into(),
        ],
    ));
    for (what, args) in cases {
        let run = |threads: &str| {
            let mut cmd = rhetor(&args[..1]);
            cmd.arg("-m")
                .arg(tiny_model())
                .args(["--threads", threads])
                .args(&args[1..]);
            ok(cmd).stdout
        };
        let one = run("1");
        assert!(!one.is_empty(), "{what}: no output");
        for threads in ["2", "3"] {
            assert!(
                run(threads) == one,
                "{what}: output with {threads} threads differs from 1 thread"
            );
        }
    }
}
