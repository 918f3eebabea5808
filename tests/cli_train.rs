//! `rhetor train`.

use crate::util::*;
use rhetor::corpus::TaskKind;
use rhetor::model::{HeadBody, Model};

#[test]
fn trains_a_head_per_task_in_the_labels() {
    let model = Model::load(tiny_model()).unwrap();
    let heads: Vec<(&str, TaskKind, usize)> = model
        .heads()
        .iter()
        .map(|h| (h.task.as_str(), h.kind(), h.labels.len()))
        .collect();
    // corpus/train.jsonl labels 3 stances, 15 frames and 23 techniques.
    assert_eq!(
        heads,
        [
            ("frame", TaskKind::Multi, 15),
            ("stance", TaskKind::Single, 3),
            ("technique", TaskKind::Multi, 23)
        ]
    );
    let meta = &model.data().meta;
    assert_eq!(meta.n_train_records, 89);
    assert_eq!(meta.train_files.len(), 1);
    assert_eq!(meta.train_files[0].records, 89);
    assert_eq!(meta.train_files[0].sha256.len(), 64);
    assert_eq!(meta.settings.folds, 3);
    assert!(meta.thresholds_from.starts_with("cross-validation"));
    for h in model.heads() {
        if let HeadBody::Multi { thresholds, .. } = &h.body {
            assert!(
                thresholds.iter().all(|t| *t > 0.0 && *t <= 1.0),
                "{}: {thresholds:?}",
                h.task
            );
        }
    }
}

#[test]
fn task_flag_restricts_the_heads_and_dev_tunes_thresholds() {
    let dir = Dir::new();
    let model = dir.path("m.rhetor");
    let mut cmd = rhetor([
        "train",
        "corpus/train.jsonl",
        "--task",
        "stance",
        "--task",
        "frame",
    ]);
    cmd.args(["--dev", "corpus/examples.jsonl", "-q", "-o"])
        .arg(&model)
        .args(FAST);
    ok(cmd);
    let m = Model::load(&model).unwrap();
    let tasks: Vec<&str> = m.heads().iter().map(|h| h.task.as_str()).collect();
    assert_eq!(tasks, ["stance", "frame"], "heads in the order asked for");
    let meta = &m.data().meta;
    assert_eq!(meta.thresholds_from, "dev");
    let dev = meta.dev_metrics().expect("dev metrics stored");
    assert_eq!(
        dev.tasks["stance"].n, 72,
        "72 body paragraphs carry a stance"
    );
    assert!(dev.tasks.contains_key("frame"));
}

#[test]
fn unknown_task_is_a_clear_error() {
    let dir = Dir::new();
    let mut cmd = rhetor([
        "train",
        "corpus/train.jsonl",
        "--task",
        "sentiment",
        "-q",
        "-o",
    ]);
    cmd.arg(dir.path("m.rhetor"));
    let err = fails(cmd, 2);
    assert_contains(
        &err,
        "task `sentiment` is not in the training labels (found: frame, stance, technique)",
    );
    assert!(!dir.path("m.rhetor").exists());
}

#[test]
fn bad_settings_are_rejected_before_reading_data() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--word-ngrams", "3-1"],
            "word n-gram range must satisfy 1 <= min <= max (got min = 3, max = 1)",
        ),
        (
            &["--min-df", "0"],
            "min_df must be a count >= 1 or a fraction in (0, 1] (got 0)",
        ),
        (
            &["--folds", "1"],
            "cross-validation needs at least 2 folds (got 1)",
        ),
        (&["--c=-1"], "C must be a finite number > 0 (got -1)"),
        (
            &["--features-per-head", "0"],
            "features per head must be at least 1",
        ),
    ];
    for (args, message) in cases {
        let mut cmd = rhetor([
            "train",
            "does-not-exist.jsonl",
            "-o",
            "/nonexistent/m.rhetor",
        ]);
        cmd.args(*args);
        let err = fails(cmd, 2);
        assert_contains(&err, message);
    }
}

#[test]
fn trains_from_standard_input_and_hashes_what_it_read() {
    let dir = Dir::new();
    let from_stdin = dir.path("stdin.rhetor");
    let mut cmd = rhetor(["train", "-", "-q", "-o"]);
    cmd.arg(&from_stdin).args(FAST);
    cmd.stdin(std::fs::File::open(corpus("train.jsonl")).unwrap());
    ok(cmd);
    let stdin_meta = Model::load(&from_stdin).unwrap().data().meta.clone();
    let file_meta = Model::load(tiny_model()).unwrap().data().meta.clone();
    let (s, f) = (&stdin_meta.train_files[0], &file_meta.train_files[0]);
    assert_eq!(s.path, "<stdin>");
    assert_eq!(
        (s.bytes, s.records, &s.sha256),
        (f.bytes, f.records, &f.sha256),
        "the same bytes, records and hash as the file"
    );
}

/// `--sentiment` adds the lexicon's polarity pseudo-terms to the vocabulary, and `--search`
/// scores the vocabulary with and without them, keeps the one it chose and prints both.
#[test]
fn sentiment_cues_are_a_vocabulary_setting_the_search_tries() {
    let dir = Dir::new();
    let fixed = dir.path("fixed.rhetor");
    let mut cmd = rhetor(["train", "corpus/train.jsonl", "-q", "--folds", "3"]);
    cmd.args(["--task", "stance", "--sentiment", "--c-grid", "1", "-o"])
        .arg(&fixed);
    ok(cmd);
    let model = Model::load(&fixed).unwrap();
    assert!(model.data().analyzer.params().sentiment);
    for cue in ["\u{2}negative", "\u{2}positive"] {
        assert!(model.tfidf().id(cue).is_some(), "{cue:?} in the vocabulary");
    }

    let searched = dir.path("searched.rhetor");
    let mut cmd = rhetor([
        "train",
        "corpus/train.jsonl",
        "--folds",
        "3",
        "--task",
        "stance",
    ]);
    cmd.args([
        "--search",
        "--word-ngrams-grid",
        "1-2",
        "--char-ngrams-grid",
        "none",
        "--min-df-grid",
        "2",
        "--target-grid",
        "none",
        "--rhetoric-grid",
        "off",
        "--sentiment-grid",
        "off,on",
        "--features-grid",
        "5000",
        "--c-grid",
        "1",
        "-o",
    ])
    .arg(&searched);
    let out = ok(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let model = Model::load(&searched).unwrap();
    let points = &model.data().meta.vocabulary_search;
    let tried: Vec<bool> = points.iter().map(|p| p.analyzer.sentiment).collect();
    assert_eq!(
        tried,
        [false, true],
        "both candidates scored, in grid order"
    );
    assert!(points
        .iter()
        .all(|p| p.score.is_finite() && p.n_features > 0));
    let chosen = model.data().analyzer.params();
    assert!(points.iter().any(|p| p.analyzer == *chosen));
    assert_contains(&stderr, "word 1-2, char none, min_df 2, sentiment ");
}
