//! `rhetor train`.

use std::path::Path;

use crate::util::*;
use rhetor::corpus::TaskKind;
use rhetor::model::{repeat_seed, HeadBody, Model};

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
    assert_eq!(
        meta.settings.repeats, 5,
        "89 records: 5 cross-validations (auto) hold out 445 predictions, the most allowed"
    );
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
fn repeated_cross_validation_scores_the_mean_and_fits_the_first_split() {
    // The stance head at fixed settings. With --repeats 3 its cross-validated score is the
    // mean of the three plain cross-validations on the repeats' fold seeds, and its model is
    // the first one's (the seed's own folds).
    let dir = Dir::new();
    let train = |name: &str, flags: &[&str]| -> (std::path::PathBuf, String) {
        let path = dir.path(name);
        let mut cmd = rhetor(["train", "corpus/train.jsonl", "--task", "stance", "-o"]);
        cmd.arg(&path).args(FAST).args(flags);
        let summary = String::from_utf8(ok(cmd).stderr).unwrap();
        (path, summary)
    };
    let meta = |path: &Path| Model::load(path).unwrap().data().meta.clone();
    let (repeated, summary) = train("repeated.rhetor", &["--repeats", "3"]);
    assert_contains(
        &summary,
        "cross-validated scores: the mean of 3 cross-validations of 3 folds, reshuffled",
    );
    let singles: Vec<std::path::PathBuf> = (0..3)
        .map(|r| {
            let seed = repeat_seed(42, r).to_string();
            let (path, summary) = train(
                &format!("single{r}.rhetor"),
                &["--repeats", "1", "--seed", &seed],
            );
            assert!(!summary.contains("the mean of"), "{summary}");
            path
        })
        .collect();
    let scores: Vec<f64> = singles.iter().map(|p| meta(p).heads[0].cv_score).collect();
    assert!(
        scores[1] != scores[0] || scores[2] != scores[0],
        "the reshuffled folds score differently: {scores:?}"
    );
    let repeated_meta = meta(&repeated);
    assert_eq!(repeated_meta.settings.repeats, 3);
    let mean = scores.iter().sum::<f64>() / 3.0;
    assert!(
        (repeated_meta.heads[0].cv_score - mean).abs() < 1e-12,
        "{} against the mean of {scores:?}",
        repeated_meta.heads[0].cv_score
    );
    let score = |model: &Path| {
        let mut cmd = rhetor(["score", "--format", "jsonl", "-m"]);
        cmd.arg(model).arg("corpus/examples.jsonl");
        stdout(&ok(cmd))
    };
    assert_eq!(score(&repeated), score(&singles[0]));
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

/// Single-label heads of three or more labels go through the top-label stage: its nested
/// check is recorded, and the maps are kept exactly when they lowered the held-out log-loss.
#[test]
fn top_label_stage_is_checked_and_kept_only_when_it_pays() {
    let model = Model::load(tiny_model()).unwrap();
    let meta = &model.data().meta;
    for (h, hm) in model.heads().iter().zip(&meta.heads) {
        if h.kind() == TaskKind::Single && h.labels.len() >= 3 {
            let check = hm
                .top_label_check
                .unwrap_or_else(|| panic!("{}: no top-label check", h.task));
            let (l0, l1) = check.log_loss;
            let (e0, e1) = check.ece;
            assert!(l0 > 0.0 && l1 > 0.0 && l0.is_finite() && l1.is_finite());
            assert!((0.0..=1.0).contains(&e0) && (0.0..=1.0).contains(&e1));
            let kept = !h.top_label.is_empty();
            assert_eq!(kept, l1 < l0, "{}: {check:?}", h.task);
            if kept {
                assert_eq!(h.top_label.len(), h.labels.len());
            }
        } else {
            assert!(hm.top_label_check.is_none() && h.top_label.is_empty());
        }
    }
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
        (
            &["--embeddings", "20"],
            "the embedding norm 20 is outside 0..=10",
        ),
        (
            &["--search", "--embeddings-grid", "0,-1"],
            "the embedding norm -1 is outside 0..=10",
        ),
        (
            &["--lexicon", "20"],
            "the lexicon norm 20 is outside 0..=10",
        ),
        (
            &["--search", "--lexicon-grid", "0,11"],
            "the lexicon norm 11 is outside 0..=10",
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

/// Each cue setting (`--sentiment`, `--target-identity`, `--target-context`, `--embeddings`,
/// `--lexicon`) adds its features to the vocabulary, and `--search` scores the vocabulary with and without
/// it, keeps the one it chose and prints both.
#[test]
fn cue_settings_are_vocabulary_settings_the_search_tries() {
    use rhetor::text::AnalyzerParams;
    type Setting = fn(&AnalyzerParams) -> bool;
    // (flags, its search grid and values, the setting, the start of features it must add, how
    // the summary names it)
    type Row<'a> = (&'a [&'a str], [&'a str; 2], Setting, &'a str, &'a str);
    let table: [Row; 5] = [
        (
            &["--sentiment"],
            ["--sentiment-grid", "off,on"],
            |a| a.sentiment,
            "\u{2}negative",
            "sentiment",
        ),
        (
            &["--target-identity"],
            ["--target-identity-grid", "off,on"],
            |a| a.target_identity,
            "\u{2}target-is:",
            "target identity",
        ),
        (
            &["--target-context"],
            ["--target-context-grid", "off,on"],
            |a| a.target_context,
            "\u{2}near-",
            "target context",
        ),
        (
            &["--embeddings", "0.5"],
            ["--embeddings-grid", "0,0.5"],
            |a| a.embeddings > 0.0,
            "\u{2}embedding:",
            "embeddings 0.5",
        ),
        (
            &["--lexicon", "0.25"],
            ["--lexicon-grid", "0,0.25"],
            |a| a.lexicon > 0.0,
            "\u{2}category:crime",
            "word categories 0.25",
        ),
    ];
    let off = [
        ("--sentiment-grid", "off"),
        ("--target-identity-grid", "off"),
        ("--target-context-grid", "off"),
        ("--embeddings-grid", "0"),
        ("--lexicon-grid", "0"),
    ];
    let dir = Dir::new();
    for (flags, [grid, values], setting, prefix, name) in table {
        let fixed = dir.path("fixed.rhetor");
        let mut cmd = rhetor(["train", "corpus/train.jsonl", "-q", "--folds", "3"]);
        cmd.args(["--task", "stance", "--c-grid", "1"])
            .args(flags)
            .arg("-o")
            .arg(&fixed);
        ok(cmd);
        let model = Model::load(&fixed).unwrap();
        let flag = flags[0];
        assert!(setting(model.data().analyzer.params()), "{flag}");
        let tfidf = model.tfidf();
        let terms: Vec<&str> = (0..tfidf.n_features() as u32)
            .map(|f| tfidf.term(f))
            .collect();
        assert!(
            terms.iter().any(|t| t.starts_with(prefix)),
            "{flag}: a feature {prefix:?}… in the vocabulary"
        );
        // The context block sits between the terms and the embedding blocks, and only
        // --target-context makes one; only --embeddings makes embedding blocks, only --lexicon
        // the word-category block (after them).
        let n_context = tfidf.n_context();
        assert_eq!(n_context > 0, flag == "--target-context", "{flag}");
        assert_eq!(
            tfidf.n_embedding_blocks() > 0,
            flag == "--embeddings",
            "{flag}"
        );
        assert_eq!(tfidf.lexicon_norm() > 0.0, flag == "--lexicon", "{flag}");
        let categories: Vec<u32> = (0..tfidf.n_features() as u32)
            .filter(|&f| tfidf.is_category_dim(f))
            .collect();
        assert!(categories.iter().all(|&f| tfidf.embedding_dim(f).is_none()));
        assert!(categories
            .iter()
            .all(|&f| terms[f as usize].starts_with("\u{2}category:")));
        let context_first = tfidf.pinned_from() as usize;
        assert!(terms[context_first..context_first + n_context]
            .iter()
            .all(|t| t.starts_with("\u{2}near")));

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
            "0",
            "--rhetoric-grid",
            "off",
            "--features-grid",
            "5000",
            "--c-grid",
            "1",
        ]);
        for (other, none) in off {
            cmd.args([other, if other == grid { values } else { none }]);
        }
        cmd.arg("-o").arg(&searched);
        let out = ok(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let model = Model::load(&searched).unwrap();
        let points = &model.data().meta.vocabulary_search;
        // The starting point (no target features), then the target grid's one value, then
        // the setting's two values.
        let tried: Vec<(bool, bool)> = points
            .iter()
            .map(|p| (p.analyzer.target_mask, setting(&p.analyzer)))
            .collect();
        assert_eq!(
            tried,
            [(false, false), (true, false), (true, true)],
            "{grid}: both candidates scored, in grid order"
        );
        assert!(points
            .iter()
            .all(|p| p.score.is_finite() && p.n_features > 0));
        let chosen = model.data().analyzer.params();
        assert!(points.iter().any(|p| p.analyzer == *chosen));
        assert_contains(
            &stderr,
            &format!("word 1-2, char none, min_df 2, target mask window 0, {name} "),
        );
    }
}

/// `rhetor train --search` of the corpus's stance with the tiny encoder, every grid held to one
/// value but the encoder grids of `grids`: the model written to `out`, and what was printed.
fn encoder_search(grids: &[&str], out: &Path) -> (Model, String) {
    let mut cmd = rhetor(["train", "corpus/train.jsonl", "--task", "stance"]);
    cmd.args(FAST)
        .args([
            "--search",
            "--word-ngrams-grid",
            "1-2",
            "--char-ngrams-grid",
        ])
        .args(["none", "--min-df-grid", "1", "--target-grid", "none"])
        .args(["--rhetoric-grid", "off", "--sentiment-grid", "off"])
        .args([
            "--target-identity-grid",
            "off",
            "--target-context-grid",
            "off",
        ])
        .args(["--embeddings-grid", "0", "--lexicon-grid", "0"])
        .args(["--features-grid", "5000"])
        .args(["--encoder", TINY_ENCODER])
        .args(grids)
        .arg("-o")
        .arg(out);
    let printed = ok(cmd);
    let model = Model::load(out).unwrap();
    (model, String::from_utf8_lossy(&printed.stderr).into_owned())
}

/// `--encoder DIR` adds the sentence encoder's block (its dimensions after every other
/// feature, scaled to the norm), the model file carries the encoder, and scoring a text runs it:
/// the fused scoring path and the weighted row agree, and a saved and reloaded model scores the
/// same. With `--search`, the block is one more vocabulary setting, tried at each norm of
/// `--encoder-grid`.
#[test]
fn encoder_block_is_carried_by_the_model_and_searched() {
    use rhetor::features::ENCODER_TERM;
    use rhetor::model::ScoreScratch;
    let model = Model::load(tiny_encoder_model()).unwrap();
    assert_eq!(model.data().analyzer.params().encoder, 1.0);
    let tfidf = model.tfidf();
    let encoder = tfidf.encoder().expect("the vocabulary carries the encoder");
    assert_eq!(encoder.dim(), 8);
    let n = tfidf.n_features();
    let block: Vec<&str> = (n - 8..n).map(|f| tfidf.term(f as u32)).collect();
    let names: Vec<String> = (0..8).map(|d| format!("{ENCODER_TERM}:{d}")).collect();
    assert_eq!(
        block, names,
        "the encoder's dimensions close the vocabulary"
    );

    let text = "The council said the charge would raise money for buses and cut traffic.";
    let mut scratch = ScoreScratch::default();
    let fused = model.score(text, None, &mut scratch);
    model.vectorize(text, &mut scratch);
    let encoder_ids: Vec<u32> = scratch
        .row
        .iter()
        .filter(|&(f, _)| tfidf.is_encoder_dim(f))
        .map(|(f, _)| f)
        .collect();
    let last: Vec<u32> = (n - 8..n).map(|f| f as u32).collect();
    assert_eq!(encoder_ids, last, "every dimension of the block in the row");
    let from_row = model.score_vectorized(None, &mut scratch);
    for (a, b) in fused.iter().zip(&from_row) {
        for (x, y) in a.probs.iter().zip(&b.probs) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
    let dir = Dir::new();
    let copy = dir.path("copy.rhetor");
    model.save(&copy).unwrap();
    let reloaded = Model::load(&copy).unwrap();
    assert_eq!(reloaded.score(text, None, &mut scratch), fused);

    let searched = dir.path("searched.rhetor");
    let (model, stderr) = encoder_search(
        &["--encoder-grid", "0,1", "--encoder-target-grid", "off"],
        &searched,
    );
    let tried: Vec<f32> = model
        .data()
        .meta
        .vocabulary_search
        .iter()
        .map(|p| p.analyzer.encoder)
        .collect();
    assert_eq!(tried, [0.0, 1.0], "both norms scored, in grid order");
    assert_contains(&stderr, "word 1-2, char none, min_df 1, encoder 1 ");
    let chosen = model.data().analyzer.params().encoder;
    assert_eq!(model.tfidf().encoder().is_some(), chosen > 0.0);

    // Norm 0: no block, and the model carries no encoder.
    let off = dir.path("off.rhetor");
    let mut cmd = rhetor(["train", "corpus/train.jsonl", "--task", "stance", "-q"]);
    cmd.args(FAST)
        .args(["--encoder", TINY_ENCODER, "--encoder-norm", "0", "-o"])
        .arg(&off);
    ok(cmd);
    let model = Model::load(&off).unwrap();
    assert!(model.tfidf().encoder().is_none());
    assert_eq!(model.data().analyzer.params().encoder, 0.0);
}

/// `--encoder-target` widens the encoder block to the text vector and the vector of the
/// record's target mentions: the model scores one sentence differently toward two people it
/// mentions, and a reloaded model scores the same. With `--search`, target pooling is one more
/// vocabulary setting, tried once there is an encoder block.
#[test]
fn encoder_target_pools_the_mentions_and_is_searched() {
    use rhetor::model::ScoreScratch;
    let dir = Dir::new();
    let pooled = dir.path("pooled.rhetor");
    let mut cmd = rhetor(["train", "corpus/train.jsonl", "--task", "stance", "-q"]);
    cmd.args(FAST)
        .args(["--encoder", TINY_ENCODER, "--encoder-target", "-o"])
        .arg(&pooled);
    ok(cmd);
    let model = Model::load(&pooled).unwrap();
    assert!(model.data().analyzer.params().encoder_target);
    let tfidf = model.tfidf();
    assert!(tfidf.encoder_target());
    let n = tfidf.n_features();
    let block = (0..n as u32).filter(|&f| tfidf.is_encoder_dim(f)).count();
    assert_eq!(
        block, 16,
        "text and mention vectors of the tiny encoder (8 + 8)"
    );
    let text = "Mayor Ellery Voss praised the sugar levy, but the Energy Secretary attacked it.";
    let mut scratch = ScoreScratch::default();
    let voss = model.score(text, Some("Mayor Ellery Voss"), &mut scratch);
    let secretary = model.score(text, Some("the Energy Secretary"), &mut scratch);
    assert_ne!(voss, secretary, "two people in one sentence, two scorings");
    let copy = dir.path("copy.rhetor");
    model.save(&copy).unwrap();
    let reloaded = Model::load(&copy).unwrap();
    assert_eq!(
        reloaded.score(text, Some("Mayor Ellery Voss"), &mut scratch),
        voss
    );

    let searched = dir.path("searched.rhetor");
    let (model, stderr) = encoder_search(&["--encoder-grid", "1"], &searched);
    let tried: Vec<(f32, bool)> = model
        .data()
        .meta
        .vocabulary_search
        .iter()
        .map(|p| (p.analyzer.encoder, p.analyzer.encoder_target))
        .collect();
    assert_eq!(
        tried,
        [(0.0, false), (1.0, false), (1.0, true)],
        "the block, then target pooling in it"
    );
    assert_contains(&stderr, "min_df 1, encoder 1 with target ");
    let chosen = model.data().analyzer.params();
    let width = 8 * (1 + usize::from(chosen.encoder_target));
    let tfidf = model.tfidf();
    assert_eq!(tfidf.encoder_target(), chosen.encoder_target);
    let block = (0..tfidf.n_features() as u32)
        .filter(|&f| tfidf.is_encoder_dim(f))
        .count();
    assert_eq!(block, width);
}

/// What the encoder options refuse, before any data is read.
#[test]
fn encoder_options_are_checked() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--encoder-norm", "1"],
            "an encoder norm of 1 needs a sentence encoder (--encoder DIR)",
        ),
        (
            &["--encoder-target"],
            "target pooling (--encoder-target) needs a sentence encoder (--encoder DIR)",
        ),
        (
            &["--encoder", TINY_ENCODER, "--encoder-norm", "11"],
            "the encoder norm 11 is outside 0..=10",
        ),
        (
            &["--encoder", "tests/fixtures/no-such-encoder"],
            "reading the sentence encoder in tests/fixtures/no-such-encoder",
        ),
    ];
    for (args, message) in cases {
        let mut cmd = rhetor(["train", "does-not-exist.jsonl", "-o", "/nonexistent/m"]);
        cmd.args(*args);
        let err = fails(cmd, 2);
        assert_contains(&err, message);
    }
}
