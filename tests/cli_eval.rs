//! `rhetor eval`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::util::*;

/// The documented JSON shape of `rhetor eval --format json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    tasks: BTreeMap<String, Task>,
}

#[derive(Debug, Deserialize)]
struct Task {
    kind: String,
    n: usize,
    micro_f1: f64,
    macro_f1: f64,
    accuracy: Option<f64>,
    f_avg: Option<f64>,
    labels: BTreeMap<String, Label>,
    confusion: Option<BTreeMap<String, BTreeMap<String, usize>>>,
    ece: Option<f64>,
    reliability: Vec<Bin>,
    intervals: Option<Intervals>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Intervals {
    level: f64,
    resamples: usize,
    documents: usize,
    seed: u64,
    micro_f1: Option<Interval>,
    macro_f1: Option<Interval>,
    accuracy: Option<Interval>,
    f_avg: Option<Interval>,
    ece: Option<Interval>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Interval {
    lo: f64,
    hi: f64,
}

#[derive(Debug, Deserialize)]
struct Bin {
    n: usize,
    mean_predicted: f64,
    observed: f64,
}

#[derive(Debug, Deserialize)]
struct Label {
    precision: f64,
    recall: f64,
    f1: f64,
    support: usize,
}

fn eval_json(extra: &[&str]) -> Report {
    let mut cmd = rhetor(["eval", "--format", "json", "-m"]);
    cmd.arg(tiny_model())
        .arg("corpus/examples.jsonl")
        .args(extra);
    let out = ok(cmd);
    serde_json::from_slice(&out.stdout).expect("eval JSON has the documented shape")
}

#[test]
fn json_report_has_the_documented_shape() {
    let r = eval_json(&[]);
    let stance = &r.tasks["stance"];
    assert_eq!((stance.kind.as_str(), stance.n), ("single", 72));
    let acc = stance.accuracy.expect("single-label tasks report accuracy");
    assert!(
        (stance.micro_f1 - acc).abs() < 1e-12,
        "micro-F1 equals accuracy for single-label"
    );
    assert!(
        stance.f_avg.is_none(),
        "no favor/against labels in this corpus"
    );
    let confusion = stance
        .confusion
        .as_ref()
        .expect("single-label tasks report a confusion matrix");
    let total: usize = confusion.values().flat_map(|row| row.values()).sum();
    assert_eq!(total, 72);
    let support: usize = stance.labels.values().map(|l| l.support).sum();
    assert_eq!(support, 72);

    let technique = &r.tasks["technique"];
    assert_eq!(technique.kind, "multi");
    assert_eq!(
        technique.n, 72,
        "every body record; headlines, bylines and boilerplate are left out"
    );
    assert!(technique.accuracy.is_none() && technique.confusion.is_none());
    for (name, l) in technique.labels.iter().chain(&stance.labels) {
        for v in [l.precision, l.recall, l.f1] {
            assert!((0.0..=1.0).contains(&v), "{name}: {v}");
        }
    }
    assert!((0.0..=1.0).contains(&technique.macro_f1));

    // Calibration: an expected calibration error and a reliability table per task; the bins
    // hold every scored (record, label) pair of a multi-label task, one per record otherwise.
    for (t, expected_n) in [(stance, 72), (technique, 72 * 23)] {
        let ece = t.ece.expect("ece reported");
        assert!((0.0..=1.0).contains(&ece));
        assert_eq!(t.reliability.iter().map(|b| b.n).sum::<usize>(), expected_n);
        for b in &t.reliability {
            assert!((0.0..=1.0).contains(&b.mean_predicted) && (0.0..=1.0).contains(&b.observed));
        }
    }
}

#[test]
fn bootstrap_intervals_resample_documents() {
    let r = eval_json(&[]);
    let docs = std::fs::read_to_string("corpus/examples.jsonl")
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["doc"].to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    for (name, t) in &r.tasks {
        let i = t.intervals.as_ref().expect("intervals by default");
        assert_eq!((i.level, i.resamples, i.seed), (0.95, 1000, 1), "{name}");
        assert!(
            i.documents <= docs && i.documents > 1,
            "{name}: {} of {docs}",
            i.documents
        );
        let single = t.kind == "single";
        let cases = [
            ("micro-F1", i.micro_f1.as_ref(), Some(t.micro_f1)),
            ("macro-F1", i.macro_f1.as_ref(), Some(t.macro_f1)),
            ("accuracy", i.accuracy.as_ref(), t.accuracy),
        ];
        for (what, interval, figure) in cases {
            if what == "accuracy" && !single {
                assert!(interval.is_none(), "{name}: no accuracy for multi-label");
                continue;
            }
            let (iv, figure) = (interval.expect(what), figure.unwrap());
            assert!(
                0.0 <= iv.lo && iv.lo <= figure && figure <= iv.hi && iv.hi <= 1.0,
                "{name} {what}: {figure} outside {iv:?}"
            );
            assert!(
                iv.hi - iv.lo > 0.01,
                "{name} {what}: a sample of {docs} documents varies"
            );
        }
        let ece = i.ece.as_ref().expect("ECE interval");
        assert!(0.0 <= ece.lo && ece.lo <= ece.hi, "{name}: {ece:?}");
        assert!(i.f_avg.is_none(), "no favor/against labels");
    }
    // Seeded: the same seed gives the same intervals, and 0 resamples none.
    let again = eval_json(&[]);
    assert_eq!(r.tasks["stance"].intervals, again.tasks["stance"].intervals);
    let other = eval_json(&["--seed", "2"]);
    assert_ne!(r.tasks["stance"].intervals, other.tasks["stance"].intervals);
    assert_eq!(r.tasks["stance"].macro_f1, other.tasks["stance"].macro_f1);
    let none = eval_json(&["--bootstrap", "0"]);
    assert!(none.tasks.values().all(|t| t.intervals.is_none()));
}

#[test]
fn predictions_file_holds_every_record_and_agrees_with_the_report() {
    let dir = Dir::new();
    let path = dir.path("predictions.jsonl");
    let r = eval_json(&["--predictions", path.to_str().unwrap()]);
    let text = std::fs::read_to_string(&path).unwrap();
    // Headline, byline and boilerplate records are not evaluated (nor written).
    let input: Vec<serde_json::Value> = std::fs::read_to_string("corpus/examples.jsonl")
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut rest = input.iter();
    let (mut right, mut n) = (0, 0);
    let (mut tp, mut predicted, mut gold) = (0, 0, 0);
    for line in text.lines() {
        let p: serde_json::Value = serde_json::from_str(line).unwrap();
        let record = rest
            .find(|r| r["id"] == p["id"])
            .expect("records in the order of the input");
        if let Some(s) = p["tasks"].get("stance") {
            assert_eq!(s["gold"], record["labels"]["stance"]);
            let probs = s["probabilities"].as_object().unwrap();
            let sum: f64 = probs.values().map(|v| v.as_f64().unwrap()).sum();
            assert!(
                (sum - 1.0).abs() < 1e-4,
                "single-label probabilities sum to 1: {sum}"
            );
            n += 1;
            right += usize::from(s["gold"] == s["predicted"]);
        }
        if let Some(t) = p["tasks"].get("technique") {
            let labels = |v: &serde_json::Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_string())
                    .collect()
            };
            let (g, pr) = (labels(&t["gold"]), labels(&t["predicted"]));
            tp += pr.iter().filter(|l| g.contains(l)).count();
            predicted += pr.len();
            gold += g.len();
        }
    }
    let stance = &r.tasks["stance"];
    assert_eq!((n, text.lines().count()), (stance.n, stance.n));
    assert!((right as f64 / n as f64 - stance.accuracy.unwrap()).abs() < 1e-12);
    let micro = 2.0 * tp as f64 / (predicted + gold) as f64;
    assert!(
        (micro - r.tasks["technique"].micro_f1).abs() < 1e-12,
        "{micro}"
    );

    // A file that cannot be created is an error naming it, and leaves nothing behind.
    let bad = dir.path("missing/predictions.jsonl");
    let mut cmd = rhetor(["eval", "-m"]);
    cmd.arg(tiny_model())
        .arg("corpus/examples.jsonl")
        .arg("--predictions")
        .arg(&bad);
    assert_contains(&fails(cmd, 2), "missing/predictions.jsonl");
    assert!(!bad.exists());
}

#[test]
fn text_report_reads_like_sklearn() {
    let mut cmd = rhetor(["eval", "-m"]);
    cmd.arg(tiny_model()).arg("corpus/examples.jsonl");
    let text = stdout(&ok(cmd));
    for needle in [
        "task stance (single-label, n = 72)",
        "precision     recall   f1-score    support",
        "accuracy",
        "macro avg",
        "weighted avg",
        "task technique (multi-label, n = 72)",
        "micro avg",
        "confusion (rows: gold, columns: predicted)",
        "expected calibration error",
        "95% bootstrap intervals (1000 resamples of the ",
    ] {
        assert_contains(&text, needle);
    }
}

#[test]
fn f_avg_appears_when_favor_and_against_exist() {
    let dir = Dir::new();
    let data = dir.write(
        "stance.jsonl",
        (0..24)
            .map(|i| {
                let label = ["favor", "against", "none"][i % 3];
                let word = ["great", "terrible", "maybe"][i % 3];
                format!("{{\"text\": \"this is {word} news number {i}\", \"labels\": {{\"stance\": \"{label}\"}}}}\n")
            })
            .collect::<String>(),
    );
    let model = dir.path("m.rhetor");
    let mut cmd = rhetor(["train", "-q", "-o"]);
    cmd.arg(&model).arg(&data).args(FAST);
    ok(cmd);
    let mut cmd = rhetor(["eval", "--format", "json", "-m"]);
    cmd.arg(&model).arg(&data);
    let r: Report = serde_json::from_slice(&ok(cmd).stdout).unwrap();
    let t = &r.tasks["stance"];
    let expected = (t.labels["favor"].f1 + t.labels["against"].f1) / 2.0;
    assert!((t.f_avg.unwrap() - expected).abs() < 1e-12);
    // Records without a `doc` are documents of their own.
    let i = t.intervals.as_ref().unwrap();
    assert_eq!(i.documents, 24);
    let f_avg = i.f_avg.as_ref().expect("an f_avg interval");
    assert!(f_avg.lo <= t.f_avg.unwrap() && t.f_avg.unwrap() <= f_avg.hi);
}

#[test]
fn min_f1_sets_exit_status_one() {
    let mut cmd = rhetor(["eval", "--min-f1", "1.01", "-m"]);
    cmd.arg(tiny_model()).arg("corpus/examples.jsonl");
    let err = fails(cmd, 1);
    assert_contains(&err, "below --min-f1 1.01");
    let mut cmd = rhetor(["eval", "--min-f1", "0", "-m"]);
    cmd.arg(tiny_model()).arg("corpus/examples.jsonl");
    ok(cmd);
}
