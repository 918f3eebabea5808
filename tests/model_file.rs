//! The model file through the library: round trip, damage detection, the compatibility fixture
//! of the current format, atomic writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rhetor::error::ModelFileError;
use rhetor::model::{Model, ModelData, ScoreScratch, MODEL_FORMAT_VERSION, MODEL_MAGIC};
use serde::{Deserialize, Serialize};

use crate::util::*;

fn scores_of(model: &Model, text: &str) -> Vec<Vec<f32>> {
    let mut scratch = ScoreScratch::default();
    model
        .score(text, None, &mut scratch)
        .into_iter()
        .map(|s| s.probs)
        .collect()
}

#[test]
fn round_trip_keeps_everything() {
    let bytes = std::fs::read(tiny_model()).unwrap();
    assert_eq!(&bytes[..8], MODEL_MAGIC);
    assert_eq!(
        u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
        MODEL_FORMAT_VERSION
    );
    let model = Model::load(tiny_model()).unwrap();
    let again = ModelData::to_bytes(model.data());
    assert!(again == bytes, "decode then encode gives the same bytes");

    let dir = Dir::new();
    let copy = dir.path("copy.rhetor");
    model.save(&copy).unwrap();
    let reloaded = Model::load(&copy).unwrap();
    let text = "Ministers must stop this reckless, disastrous tax before it destroys our town!";
    assert_eq!(scores_of(&model, text), scores_of(&reloaded, text));
    assert_eq!(model.data().meta, reloaded.data().meta);
    assert_eq!(model.heads(), reloaded.heads());
}

/// What a damaged file must be reported as.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    NotAModel,
    Damaged(&'static str),
    Version(u32),
}

fn classify(e: &ModelFileError) -> String {
    match e {
        ModelFileError::NotAModel { .. } => "not a model".into(),
        ModelFileError::Damaged { detail, .. } => format!("damaged ({detail})"),
        ModelFileError::UnsupportedVersion { found, .. } => format!("version {found}"),
        other => format!("{other}"),
    }
}

#[test]
fn truncation_and_corruption_anywhere_are_detected() {
    let good = std::fs::read(tiny_model()).unwrap();
    let n = good.len();
    let path = Path::new("damaged.rhetor");
    let truncated = |len: usize| good[..len].to_vec();
    let flipped = |at: usize| {
        let mut b = good.clone();
        b[at] ^= 0x5a;
        b
    };
    let mut appended = good.clone();
    appended.push(0);
    // (what was done, bytes, expected)
    let cases: Vec<(String, Vec<u8>, Expect)> = vec![
        ("empty file".into(), Vec::new(), Expect::NotAModel),
        ("cut in the magic".into(), truncated(5), Expect::NotAModel),
        (
            "cut after the magic".into(),
            truncated(8),
            Expect::Damaged("truncated header"),
        ),
        (
            "cut in the length".into(),
            truncated(15),
            Expect::Damaged("truncated header"),
        ),
        (
            "cut after the header".into(),
            truncated(24),
            Expect::Damaged("the header announces"),
        ),
        (
            "cut in half".into(),
            truncated(n / 2),
            Expect::Damaged("the header announces"),
        ),
        (
            "last byte missing".into(),
            truncated(n - 1),
            Expect::Damaged("the header announces"),
        ),
        (
            "a byte appended".into(),
            appended,
            Expect::Damaged("the header announces"),
        ),
        ("magic flipped".into(), flipped(0), Expect::NotAModel),
        (
            "version flipped".into(),
            flipped(8),
            Expect::Version(MODEL_FORMAT_VERSION ^ 0x5a),
        ),
        (
            "length flipped".into(),
            flipped(12),
            Expect::Damaged("the header announces"),
        ),
        (
            "checksum flipped".into(),
            flipped(20),
            Expect::Damaged("checksum mismatch"),
        ),
        (
            "first payload byte flipped".into(),
            flipped(24),
            Expect::Damaged("checksum mismatch"),
        ),
        (
            "a third in flipped".into(),
            flipped(n / 3),
            Expect::Damaged("checksum mismatch"),
        ),
        (
            "middle byte flipped".into(),
            flipped(n / 2),
            Expect::Damaged("checksum mismatch"),
        ),
        (
            "last byte flipped".into(),
            flipped(n - 1),
            Expect::Damaged("checksum mismatch"),
        ),
    ];
    for (what, bytes, expected) in cases {
        let err = match ModelData::from_bytes(&bytes, path) {
            Ok(_) => panic!("{what}: the damaged file loaded"),
            Err(e) => e,
        };
        assert!(
            err.to_string().starts_with("damaged.rhetor: "),
            "{what}: the message does not name the file: {err}"
        );
        let got = classify(&err);
        let ok = match expected {
            Expect::NotAModel => got == "not a model",
            Expect::Damaged(detail) => got.starts_with(&format!("damaged ({detail}")),
            Expect::Version(v) => got == format!("version {v}"),
        };
        assert!(ok, "{what}: expected {expected:?} but got {got}: {err}");
    }
    // Every single-byte flip of the payload, sampled across the file, is caught.
    for at in (24..n).step_by((n / 97).max(1)) {
        assert!(
            ModelData::from_bytes(&flipped(at), path).is_err(),
            "a flipped byte at {at} was not detected"
        );
    }
}

/// A damaged file through the command line: exit status 2 and a message naming the file.
#[test]
fn damaged_model_files_through_the_command_line() {
    let dir = Dir::new();
    let good = std::fs::read(tiny_model()).unwrap();
    let mut flipped = good.clone();
    let mid = good.len() / 2;
    flipped[mid] ^= 1;
    let mut future = good.clone();
    future[8..12].copy_from_slice(&99u32.to_le_bytes());
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "truncated.rhetor",
            good[..good.len() - 100].to_vec(),
            "model file is damaged (the header announces".into(),
        ),
        (
            "flipped.rhetor",
            flipped,
            "model file is damaged (checksum mismatch)".into(),
        ),
        ("empty.rhetor", Vec::new(), "not a rhetor model file".into()),
    ];
    for (name, bytes, message) in cases {
        let path = dir.write(name, bytes);
        let mut cmd = rhetor(["score", "-m"]);
        cmd.arg(&path)
            .arg(corpus("articles/meridian-wire-hospital-funding.txt"));
        assert_contains(&fails(cmd, 2), &format!("{}: {message}", path.display()));
    }
    let mut cmd = rhetor(["score", "-m", "no-such-model.rhetor", "x.txt"]);
    cmd.current_dir(std::env::temp_dir());
    assert_contains(
        &fails(cmd, 2),
        "no-such-model.rhetor: No such file or directory",
    );
}

/// Parameters a model file may not hold (NaN, infinities, beyond ±MAX_PARAMETER: they could
/// make scores NaN) are refused when the file is loaded, even behind a valid checksum.
#[test]
fn out_of_range_parameters_are_refused_on_load() {
    use rhetor::model::{HeadBody, MAX_PARAMETER};
    let data = Model::load(tiny_model()).unwrap().data().clone();
    type Edit = fn(&mut ModelData, f32);
    let edits: [(&str, Edit); 5] = [
        ("a weight", |d, v| {
            if let HeadBody::Single { general, .. } = &mut d.heads[1].body {
                general.weights[0] = v;
            }
        }),
        ("an intercept", |d, v| {
            if let HeadBody::Multi { models, .. } = &mut d.heads[0].body {
                models[0].intercepts[0] = v;
            }
        }),
        ("a calibration slope", |d, v| {
            d.heads[2].calibration[0].a = v
        }),
        ("an offset", |d, v| d.heads[1].offsets[0] = v),
        ("a top-label slope", |d, v| {
            let h = &mut d.heads[1];
            h.offsets.iter_mut().for_each(|o| *o = 0.0);
            h.top_label = vec![rhetor::model::Platt { a: v, b: 0.0 }; h.labels.len()];
        }),
    ];
    for (what, edit) in edits {
        for value in [f32::NAN, f32::INFINITY, -f32::INFINITY, MAX_PARAMETER * 2.0] {
            let mut d = data.clone();
            edit(&mut d, value);
            let err = ModelData::from_bytes(&d.to_bytes(), Path::new("edited.rhetor"))
                .err()
                .unwrap_or_else(|| panic!("{what} of {value} was accepted"));
            assert_contains(
                &err.to_string(),
                "edited.rhetor: model file is damaged (head `",
            );
        }
        let mut d = data.clone();
        edit(&mut d, -MAX_PARAMETER);
        assert!(
            ModelData::from_bytes(&d.to_bytes(), Path::new("edited.rhetor")).is_ok(),
            "{what} at the limit is accepted"
        );
    }
}

/// Top-label maps that do not fit their head are refused on load: one per label, only on a
/// single-label head whose decision is the plain argmax.
#[test]
fn misfitting_top_label_maps_are_refused_on_load() {
    use rhetor::model::{HeadBody, Platt};
    let data = Model::load(tiny_model()).unwrap().data().clone();
    let single = data
        .heads
        .iter()
        .position(|h| matches!(h.body, HeadBody::Single { .. }))
        .unwrap();
    let multi = data
        .heads
        .iter()
        .position(|h| matches!(h.body, HeadBody::Multi { .. }))
        .unwrap();
    type Edit = Box<dyn Fn(&mut ModelData)>;
    let cases: Vec<(&str, Edit, bool)> = vec![
        (
            "one map per label, argmax decision",
            Box::new(move |d| {
                let h = &mut d.heads[single];
                h.offsets.iter_mut().for_each(|o| *o = 0.0);
                h.top_label = vec![Platt::IDENTITY; h.labels.len()];
            }),
            true,
        ),
        (
            "one map too few",
            Box::new(move |d| {
                let h = &mut d.heads[single];
                h.offsets.iter_mut().for_each(|o| *o = 0.0);
                h.top_label = vec![Platt::IDENTITY; h.labels.len() - 1];
            }),
            false,
        ),
        (
            "with decision offsets",
            Box::new(move |d| {
                let h = &mut d.heads[single];
                h.offsets.iter_mut().for_each(|o| *o = 0.0);
                h.offsets[0] = 0.5;
                h.top_label = vec![Platt::IDENTITY; h.labels.len()];
            }),
            false,
        ),
        (
            "on a multi-label head",
            Box::new(move |d| {
                let h = &mut d.heads[multi];
                h.top_label = vec![Platt::IDENTITY; h.labels.len()];
            }),
            false,
        ),
    ];
    for (what, edit, accepted) in cases {
        let mut d = data.clone();
        edit(&mut d);
        let loaded = ModelData::from_bytes(&d.to_bytes(), Path::new("edited.rhetor"));
        assert_eq!(loaded.is_ok(), accepted, "{what}");
    }
}

// ---- The compatibility fixture -------------------------------------------------------------

/// Where the fixtures live: `tests/compat/v{N}.rhetor` with `v{N}.scores.json` beside it.
fn compat_dir() -> PathBuf {
    root().join("tests").join("compat")
}

/// The text whose scores each fixture keeps.
const COMPAT_TEXT: &str = "Ministers must scrap this reckless congestion charge now: \
    it will destroy small shops, and the council knows it!";

/// `v{N}.scores.json`: the fixture's scores of [`COMPAT_TEXT`].
#[derive(Debug, Serialize, Deserialize)]
struct CompatScores {
    text: String,
    /// Per task: the predicted labels and every label's probability.
    heads: BTreeMap<String, HeadScores>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct HeadScores {
    predicted: Vec<String>,
    probs: BTreeMap<String, f32>,
}

fn compat_scores(model: &Model) -> CompatScores {
    let mut scratch = ScoreScratch::default();
    let heads = model
        .heads()
        .iter()
        .zip(model.score(COMPAT_TEXT, None, &mut scratch))
        .map(|(h, s)| {
            (
                h.task.clone(),
                HeadScores {
                    predicted: s.predicted.iter().map(|&i| h.labels[i].clone()).collect(),
                    probs: h.labels.iter().cloned().zip(s.probs).collect(),
                },
            )
        })
        .collect();
    CompatScores {
        text: COMPAT_TEXT.to_string(),
        heads,
    }
}

/// Writes the fixture of the current format (run with `BLESS=1` after a format change):
/// the documented command of `tests/compat/README.md`, run on the project's corpus.
fn bless_current_fixture(model_path: &Path) {
    let mut cmd = rhetor([
        "train",
        "corpus/train.jsonl",
        "-q",
        "--folds",
        "3",
        "--c-grid",
        "1",
    ]);
    cmd.arg("-o").arg(model_path);
    ok(cmd);
    let model = Model::load(model_path).unwrap();
    let json = serde_json::to_string_pretty(&compat_scores(&model)).unwrap();
    std::fs::write(model_path.with_extension("scores.json"), json + "\n").unwrap();
}

/// The fixture of the current format loads, re-encodes to the same bytes (the encoding did not
/// change without a version bump), and scores the fixed text as it did when it was written.
/// Fixtures of older formats are refused with a message naming both versions.
#[test]
fn compatibility_fixtures_load_and_score_as_recorded() {
    let current = compat_dir().join(format!("v{MODEL_FORMAT_VERSION}.rhetor"));
    if !current.exists() {
        if std::env::var_os("BLESS").is_some() {
            bless_current_fixture(&current);
        } else {
            panic!(
                "no compatibility fixture for model format {MODEL_FORMAT_VERSION}: {}\n\
                 help: after bumping MODEL_FORMAT_VERSION, run `BLESS=1 cargo test compat` to \
                 write it, and keep the older fixtures",
                current.display()
            );
        }
    }
    let mut seen = 0;
    for entry in std::fs::read_dir(compat_dir()).unwrap() {
        let path = entry.unwrap().path();
        let Some(version) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix('v')?.strip_suffix(".rhetor"))
        else {
            continue;
        };
        let version: u32 = version.parse().expect("fixture named v{N}.rhetor");
        seen += 1;
        let bytes = std::fs::read(&path).unwrap();
        if version != MODEL_FORMAT_VERSION {
            let err = Model::load(&path).expect_err("an older format must be refused");
            assert_contains(
                &err.to_string(),
                &format!(
                    "model format version {version} is not supported (this build reads version {MODEL_FORMAT_VERSION})"
                ),
            );
            continue;
        }
        let model = Model::load(&path)
            .unwrap_or_else(|e| panic!("the fixture of the current format does not load: {e}"));
        assert!(
            ModelData::to_bytes(model.data()) == bytes,
            "{}: the model encodes to other bytes than the fixture; a change to ModelData or its \
             encoding needs a new MODEL_FORMAT_VERSION",
            path.display()
        );
        let tasks: Vec<(&str, usize)> = model
            .heads()
            .iter()
            .map(|h| (h.task.as_str(), h.labels.len()))
            .collect();
        assert_eq!(tasks, [("frame", 15), ("stance", 3), ("technique", 23)]);

        let recorded: CompatScores = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("scores.json")).unwrap(),
        )
        .unwrap();
        let now = compat_scores(&model);
        assert_eq!(recorded.text, COMPAT_TEXT);
        assert_eq!(
            recorded.heads.keys().collect::<Vec<_>>(),
            now.heads.keys().collect::<Vec<_>>()
        );
        for (task, want) in &recorded.heads {
            let got = &now.heads[task];
            assert_eq!(
                got.predicted, want.predicted,
                "task {task}: predicted labels"
            );
            for (label, p) in &want.probs {
                let q = got.probs[label];
                assert!(
                    (p - q).abs() < 1e-5,
                    "task {task}, label {label}: recorded {p}, now {q}"
                );
            }
        }
    }
    assert!(seen >= 1);
}

// ---- Atomic writes ---------------------------------------------------------------------------

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn save_leaves_no_temporary_file_and_replaces_atomically_keeping_permissions() {
    let dir = Dir::new();
    let model = Model::load(tiny_model()).unwrap();
    let path = dir.path("m.rhetor");
    std::fs::write(&path, b"old").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    model.save(&path).unwrap();
    assert!(Model::load(&path).is_ok());
    assert_eq!(names_in(&dir.path("")), ["m.rhetor"]);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the replaced file's permissions are kept");
}

#[test]
fn save_through_a_symbolic_link_replaces_the_file_it_points_to() {
    let dir = Dir::new();
    let model = Model::load(tiny_model()).unwrap();
    let real = dir.write("real.rhetor", b"old");
    let link = dir.path("link.rhetor");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    model.save(&link).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is kept"
    );
    assert!(
        Model::load(&real).is_ok(),
        "the file it points to is the new model"
    );
    assert_eq!(names_in(&dir.path("")), ["link.rhetor", "real.rhetor"]);
}

/// Saving where it cannot be done fails, names the file, and leaves nothing behind (and a
/// device such as /dev/full is never replaced by a file).
#[test]
fn failed_saves_name_the_file_and_leave_nothing_behind() {
    let dir = Dir::new();
    let model = Model::load(tiny_model()).unwrap();
    let plain = dir.write("plain-file", b"x");
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            PathBuf::from("/nonexistent-dir/m.rhetor"),
            "No such file or directory",
        ),
        (plain.join("m.rhetor"), "Not a directory"),
        (
            PathBuf::from("/dev/full"),
            "exists and is not a regular file",
        ),
        (dir.path(""), "exists and is not a regular file"),
    ];
    for (path, message) in cases {
        let err = model.save(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}: ", path.display())) && err.contains(message),
            "saving to {}: expected {message:?} in {err:?}",
            path.display()
        );
    }
    assert_eq!(names_in(&dir.path("")), ["plain-file"]);
    use std::os::unix::fs::FileTypeExt;
    let dev = std::fs::metadata("/dev/full").unwrap();
    assert!(
        dev.file_type().is_char_device(),
        "/dev/full is still a device"
    );
}

// ---- Properties --------------------------------------------------------------------------------

fn fixture_model() -> &'static Model {
    static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| Model::load(tiny_model()).unwrap())
}

/// Any float a model file may hold, the awkward ones included (subnormals, negative zero, the
/// limits themselves).
fn parameter() -> impl proptest::strategy::Strategy<Value = f32> {
    use proptest::prelude::*;
    use rhetor::model::MAX_PARAMETER;
    prop_oneof![
        -MAX_PARAMETER..=MAX_PARAMETER,
        -1.0f32..1.0,
        proptest::num::f32::SUBNORMAL,
        prop::sample::select(vec![0.0, -0.0, MAX_PARAMETER, -MAX_PARAMETER]),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// A model with arbitrary weights, intercepts, calibration and thresholds (within the
    /// limits a model file may hold) saves and loads back to the same bytes and the same scores,
    /// bit for bit, and its probabilities are in [0, 1], never NaN.
    #[test]
    fn model_save_load_round_trip(
        edits in proptest::collection::vec((0usize..1 << 20, parameter()), 1..24),
        threshold in 0.0f32..=1.0,
    ) {
        use rhetor::model::HeadBody;
        let mut data = fixture_model().data().clone();
        for (k, (at, value)) in edits.iter().enumerate() {
            let head = &mut data.heads[at % 3];
            match k % 4 {
                0 => {
                    let c = &mut head.calibration[at % head.labels.len()];
                    if at % 2 == 0 { c.a = *value } else { c.b = *value }
                }
                _ => {
                    let model = match &mut head.body {
                        HeadBody::Single { general, .. } => general,
                        HeadBody::Multi { models, thresholds } => {
                            let l = at % models.len();
                            thresholds[l] = threshold;
                            &mut models[l]
                        }
                    };
                    if k % 4 == 1 || model.weights.is_empty() {
                        let n = model.intercepts.len();
                        model.intercepts[at % n] = *value;
                    } else {
                        let n = model.weights.len();
                        model.weights[at % n] = *value;
                    }
                }
            }
        }
        let bytes = data.to_bytes();
        let dir = Dir::new();
        let path = dir.path("edited.rhetor");
        let model = Model::from_data(data);
        model.save(&path).unwrap();
        proptest::prop_assert!(std::fs::read(&path).unwrap() == bytes, "saved bytes differ");
        let loaded = Model::load(&path).unwrap();
        proptest::prop_assert!(loaded.data().to_bytes() == bytes, "re-encoded bytes differ");
        let mut s1 = ScoreScratch::default();
        let mut s2 = ScoreScratch::default();
        for text in [COMPAT_TEXT, "", "council tax shops"] {
            let a = model.score(text, Some("the council"), &mut s1);
            let b = loaded.score(text, Some("the council"), &mut s2);
            for (x, y) in a.iter().zip(&b) {
                proptest::prop_assert!(
                    x.probs.iter().all(|p| (0.0..=1.0).contains(p)),
                    "probabilities {:?}",
                    x.probs
                );
                let bits = |v: &[f32]| v.iter().map(|p| p.to_bits()).collect::<Vec<_>>();
                proptest::prop_assert_eq!(bits(&x.probs), bits(&y.probs));
                proptest::prop_assert_eq!(&x.predicted, &y.predicted);
            }
        }
    }

    /// Any string scores without a panic: one result per head, probabilities in [0, 1].
    #[test]
    fn any_string_scores_sanely(text in "(\\PC|\\s|[\\u{0}-\\u{1f}\\u{200b}-\\u{200f}\\u{feff}\\u{301}])*", target in proptest::option::of("\\PC{0,12}")) {
        let model = fixture_model();
        let mut scratch = ScoreScratch::default();
        let scores = model.score(&text, target.as_deref(), &mut scratch);
        proptest::prop_assert_eq!(scores.len(), model.heads().len());
        for (head, s) in model.heads().iter().zip(&scores) {
            proptest::prop_assert_eq!(s.probs.len(), head.labels.len());
            proptest::prop_assert!(s.probs.iter().all(|p| (0.0..=1.0).contains(p)), "{:?}", s.probs);
            proptest::prop_assert!(s.predicted.iter().all(|&l| l < head.labels.len()));
            if head.kind() == rhetor::corpus::TaskKind::Single {
                // A distribution (after the top-label maps, if any), and with no decision
                // offsets the prediction is its first largest probability.
                let sum: f32 = s.probs.iter().sum();
                proptest::prop_assert!((sum - 1.0).abs() < 1e-4, "{:?}", s.probs);
                if head.offsets.iter().all(|&o| o == 0.0) {
                    let first_max = (0..s.probs.len())
                        .fold(0, |b, c| if s.probs[c] > s.probs[b] { c } else { b });
                    proptest::prop_assert_eq!(s.predicted[0], first_max);
                }
            }
        }
    }
}

/// Platt scaling as the compiled library does it, called from outside the crate so that the
/// release build's code is what runs under `cargo test --release` (`.ci/run` does both). A
/// release build of rustc 1.95 once returned the offset's starting value, 0, in place of the
/// fitted one, which left every multi-label probability miscalibrated while debug builds and
/// the library's own unit tests were right.
#[test]
fn calibration_survives_release_codegen() {
    use rhetor::model::Platt;
    // Logits -2.0, -1.9, ..., 1.9; positives every fourth and from 1.4 up (15 of 40).
    // Expected: scipy.optimize.minimize (BFGS, gtol 1e-12) of the same smoothed-target
    // negative log-likelihood, a = 0.53913127, b = -0.52626275.
    let pairs: Vec<(f32, bool)> = (0..40)
        .map(|i| (i as f32 / 10.0 - 2.0, i % 4 == 0 || i >= 34))
        .collect();
    let p = Platt::fit(&pairs);
    assert!((p.a - 0.539_131_3).abs() < 1e-4, "{p:?}");
    assert!((p.b + 0.526_262_8).abs() < 1e-4, "{p:?}");

    // And in a model the command-line binary trained: labels of the multi-label head are rare,
    // so their fitted offsets are far from 0.
    let model = Model::load(tiny_model()).unwrap();
    for head in model.heads() {
        let offsets: Vec<f32> = head.calibration.iter().map(|c| c.b).collect();
        assert!(
            offsets.iter().any(|&b| b.abs() > 1e-3),
            "{}: every calibration offset is 0: {offsets:?}",
            head.task
        );
    }
}
