//! `rhetor compare`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::browser::{body_number, Browser};
use crate::util::*;

/// The JSON report, as far as the tests read it.
#[derive(Debug, Deserialize)]
struct Report {
    input: String,
    group_by: Option<String>,
    documents: usize,
    groups: Vec<Group>,
    mode: String,
    comparisons: Vec<Comparison>,
    keyness: KeynessInfo,
    time: Option<Time>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
struct Estimate {
    value: Option<f64>,
    lo: Option<f64>,
    hi: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Roles {
    headline: u32,
    byline: u32,
    boilerplate: u32,
    body: u32,
}

#[derive(Debug, Deserialize)]
struct Group {
    name: String,
    documents: usize,
    roles: Roles,
    body_words: u64,
    tasks: Vec<TaskProfile>,
}

#[derive(Debug, Deserialize)]
struct TaskProfile {
    task: String,
    kind: String,
    labels: Vec<LabelProfile>,
    labels_per_100_paragraphs: Option<Estimate>,
}

#[derive(Debug, Deserialize)]
struct LabelProfile {
    label: String,
    paragraphs: u64,
    share: Estimate,
    mean_prob: Estimate,
    per_100_paragraphs: Estimate,
    per_1000_words: Estimate,
}

#[derive(Debug, Deserialize)]
struct Comparison {
    group: String,
    versus: String,
    versus_rest: bool,
    documents: usize,
    documents_versus: usize,
    tasks: Vec<TaskComparison>,
    keyness: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct TaskComparison {
    task: String,
    jsd: f64,
    p_value: Option<f64>,
    labels: Vec<LabelDifference>,
}

#[derive(Debug, Deserialize)]
struct LabelDifference {
    label: String,
    share: Option<f64>,
    share_versus: Option<f64>,
    difference: Estimate,
}

#[derive(Debug, Deserialize)]
struct KeynessInfo {
    available: bool,
    paragraphs_without_text: u64,
}

#[derive(Debug, Deserialize)]
struct Time {
    buckets: Vec<String>,
    undated: usize,
    series: Vec<Series>,
}

#[derive(Debug, Deserialize)]
struct Series {
    name: String,
    points: Vec<Point>,
}

#[derive(Debug, Deserialize)]
struct Point {
    bucket: String,
    documents: usize,
}

fn report(out: &std::process::Output) -> Report {
    let text = stdout(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON report ({e}):\n{text}"))
}

/// `rhetor compare` with the test model and few resamples (fast), JSON out.
fn compare_json(args: &[&str]) -> Report {
    let mut cmd = rhetor(["compare", "--format", "json", "--bootstrap", "200"]);
    cmd.args(["--permutations", "200", "-m"])
        .arg(tiny_model())
        .args(args);
    report(&ok(cmd))
}

/// Jensen–Shannon divergence in bits as H(m) − (H(p) + H(q)) / 2, a different route from the
/// library's sum of two Kullback–Leibler terms.
fn jsd_by_entropy(p: &[f64], q: &[f64]) -> f64 {
    let norm = |v: &[f64]| {
        let s: f64 = v.iter().sum();
        v.iter().map(|x| x / s).collect::<Vec<_>>()
    };
    let h = |v: &[f64]| -> f64 { v.iter().filter(|&&x| x > 0.0).map(|&x| -x * x.log2()).sum() };
    let (p, q) = (norm(p), norm(q));
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
    h(&m) - (h(&p) + h(&q)) / 2.0
}

/// The corpus records' `id` → (`outlet`, `role`).
fn corpus_records() -> BTreeMap<String, (String, String)> {
    std::fs::read_to_string(corpus("examples.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap().to_string();
            (s("id"), (s("outlet"), s("role")))
        })
        .collect()
}

/// Group shares and divergences recomputed from `rhetor score`'s rows: per outlet, the body
/// paragraphs given each label over all its body paragraphs (roles from the corpus records),
/// and the divergence of each outlet's label counts from all other outlets' together.
#[test]
fn group_shares_and_divergences_match_a_recount_of_score_rows() {
    let records = corpus_records();
    let mut cmd = rhetor(["score", "--input", "jsonl", "--format", "jsonl", "-m"]);
    cmd.arg(tiny_model()).arg(corpus("examples.jsonl"));
    let rows = stdout(&ok(cmd));
    // outlet → task → label → paragraphs; outlet → body paragraphs
    let mut counts: BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>> = BTreeMap::new();
    let mut body: BTreeMap<String, f64> = BTreeMap::new();
    for line in rows.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let (outlet, role) = &records[v["id"].as_str().unwrap()];
        if role != "body" {
            continue;
        }
        *body.entry(outlet.clone()).or_default() += 1.0;
        for (task, scores) in v["scores"].as_object().unwrap() {
            let given: Vec<&str> = match &v["labels"][task] {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().map(|x| x.as_str().unwrap()).collect(),
                other => panic!("labels of {task}: {other}"),
            };
            let t = counts
                .entry(outlet.clone())
                .or_default()
                .entry(task.clone())
                .or_default();
            for label in scores.as_object().unwrap().keys() {
                *t.entry(label.clone()).or_default() += f64::from(given.contains(&label.as_str()));
            }
        }
    }

    let r = compare_json(&[
        "--input",
        "jsonl",
        "--group-by",
        "outlet",
        corpus("examples.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(
        (r.input.as_str(), r.group_by.as_deref()),
        ("jsonl", Some("outlet"))
    );
    assert_eq!(r.documents, 8);
    let names: Vec<&str> = r.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, body.keys().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.mode, "one_vs_rest");
    for g in &r.groups {
        assert_eq!(f64::from(g.roles.body), body[&g.name], "{}", g.name);
        for tp in &g.tasks {
            for lp in &tp.labels {
                let k = counts[&g.name][&tp.task][&lp.label];
                assert_eq!(
                    lp.paragraphs as f64, k,
                    "{} {} {}",
                    g.name, tp.task, lp.label
                );
                let share = lp.share.value.unwrap();
                assert!((share - k / body[&g.name]).abs() < 1e-12);
                assert!((lp.per_100_paragraphs.value.unwrap() - 100.0 * share).abs() < 1e-9);
                if let (Some(lo), Some(hi)) = (lp.share.lo, lp.share.hi) {
                    assert!(g.documents >= 2);
                    assert!(
                        (0.0..=1.0).contains(&lo) && lo <= share + 1e-12 && share <= hi + 1e-12,
                        "{} {}: {share} not in [{lo}, {hi}]",
                        g.name,
                        lp.label
                    );
                } else {
                    assert_eq!(g.documents, 1, "only single documents lack intervals");
                }
            }
        }
    }
    // Each outlet against the others: divergence of label counts.
    assert_eq!(r.comparisons.len(), 5);
    for c in &r.comparisons {
        assert!(c.versus_rest && c.versus == "all others");
        assert_eq!(c.documents + c.documents_versus, 8);
        for tc in &c.tasks {
            let labels: Vec<&String> = counts[&c.group][&tc.task].keys().collect();
            let own: Vec<f64> = labels
                .iter()
                .map(|l| counts[&c.group][&tc.task][*l])
                .collect();
            let rest: Vec<f64> = labels
                .iter()
                .map(|l| {
                    counts
                        .iter()
                        .filter(|(o, _)| **o != c.group)
                        .map(|(_, t)| t[&tc.task][*l])
                        .sum()
                })
                .collect();
            let want = jsd_by_entropy(&own, &rest);
            assert!(
                (tc.jsd - want).abs() < 1e-9,
                "{} {}: {} vs {want}",
                c.group,
                tc.task,
                tc.jsd
            );
            let p = tc.p_value.unwrap();
            assert!(p > 0.0 && p <= 1.0);
        }
    }
}

/// Scored paragraphs written by hand (no model): group A has documents with (body paragraphs,
/// paragraphs given frame `econ`) = (4, 2), (6, 3), (10, 1), group B (5, 0), (5, 1); every
/// paragraph has ten words, and stance `favor` exactly where `econ` is given. By hand: A's share
/// of `econ` is 6/20 = 0.3 and B's 1/10; A's rate is 1000 · 6 / 200 = 30 per 1,000 words. A's
/// bootstrap interval is [0.1, 0.5] exactly (enumerated with numpy: the extreme resamples, the
/// third document three times and any draw of the first two only, have probabilities 1/27 and
/// 8/27, both above 2.5%). The stance divergence is
/// `scipy.spatial.distance.jensenshannon([14, 6], [9, 1], base=2)**2` = 0.04678484847737535
/// (scipy 1.17.1).
#[test]
fn hand_scored_paragraphs_give_hand_computed_statistics() {
    let dir = Dir::new();
    let mut lines = String::new();
    for (group, docs) in [
        ("A", [(4, 2), (6, 3), (10, 1)].as_slice()),
        ("B", &[(5, 0), (5, 1)]),
    ] {
        for (d, &(n, k)) in docs.iter().enumerate() {
            lines.push_str(&format!(
                "{{\"outlet\":\"{group}\",\"doc\":\"{group}{d}\",\"paragraph\":{n},\"role\":\"headline\",\
                 \"labels\":{{\"stance\":\"against\",\"frame\":[]}},\
                 \"scores\":{{\"stance\":{{\"against\":0.9,\"favor\":0.1}},\"frame\":{{\"econ\":0.1,\"health\":0.1}}}},\
                 \"text\":\"Headline\"}}\n"
            ));
            for i in 0..n {
                let yes = i < k;
                lines.push_str(&format!(
                    "{{\"outlet\":\"{group}\",\"doc\":\"{group}{d}\",\"paragraph\":{i},\"role\":\"body\",\
                     \"labels\":{{\"stance\":\"{}\",\"frame\":{}}},\
                     \"scores\":{{\"stance\":{{\"against\":{},\"favor\":{}}},\"frame\":{{\"econ\":{},\"health\":0.1}}}},\
                     \"text\":\"one two three four five six seven eight nine ten\"}}\n",
                    if yes { "favor" } else { "against" },
                    if yes { "[\"econ\"]" } else { "[]" },
                    if yes { 0.2 } else { 0.8 },
                    if yes { 0.8 } else { 0.2 },
                    if yes { 0.8 } else { 0.2 },
                ));
            }
        }
    }
    let file = dir.write("scored.jsonl", &lines);
    let mut cmd = rhetor(["compare", "--input", "scored", "--group-by", "outlet"]);
    cmd.args([
        "--format",
        "json",
        "--bootstrap",
        "4000",
        "--permutations",
        "500",
    ])
    .arg(&file);
    let r = report(&ok(cmd));
    assert_eq!(r.mode, "pair");
    let a = &r.groups[0];
    assert_eq!((a.name.as_str(), a.documents), ("A", 3));
    assert_eq!((a.roles.headline, a.roles.body, a.body_words), (3, 20, 200));
    let frame = a.tasks.iter().find(|t| t.task == "frame").unwrap();
    assert_eq!(frame.kind, "multi");
    let econ = &frame.labels[0];
    assert_eq!((econ.label.as_str(), econ.paragraphs), ("econ", 6));
    let close = |x: Option<f64>, y: f64| (x.unwrap() - y).abs() < 1e-9;
    assert!(close(econ.share.value, 0.3));
    assert!(
        close(econ.share.lo, 0.1) && close(econ.share.hi, 0.5),
        "{:?}",
        econ.share
    );
    // probabilities are f32 inside rhetor
    let mean = econ.mean_prob.value.unwrap();
    assert!(
        (mean - (6.0 * 0.8 + 14.0 * 0.2) / 20.0).abs() < 1e-6,
        "{mean}"
    );
    assert!(close(econ.per_1000_words.value, 30.0));
    assert!(close(frame.labels_per_100_paragraphs.unwrap().value, 30.0));
    let b_frame = r.groups[1]
        .tasks
        .iter()
        .find(|t| t.task == "frame")
        .unwrap();
    assert!(close(b_frame.labels[0].share.value, 0.1));

    let c = &r.comparisons[0];
    assert_eq!(
        (c.group.as_str(), c.versus.as_str(), c.versus_rest),
        ("A", "B", false)
    );
    let stance = c.tasks.iter().find(|t| t.task == "stance").unwrap();
    assert!(
        (stance.jsd - 0.046_784_848_477_375_35).abs() < 1e-12,
        "{}",
        stance.jsd
    );
    let econ_diff = &c.tasks.iter().find(|t| t.task == "frame").unwrap().labels[0];
    assert_eq!(econ_diff.label, "econ");
    assert!(close(econ_diff.share, 0.3) && close(econ_diff.share_versus, 0.1));
    assert!(close(econ_diff.difference.value, 0.2));
    let (lo, hi) = (
        econ_diff.difference.lo.unwrap(),
        econ_diff.difference.hi.unwrap(),
    );
    // A's replicates lie in [0.1, 0.5] and B's in [0, 0.2]
    assert!(
        (-0.1..=0.2).contains(&lo) && (0.2..=0.5).contains(&hi),
        "[{lo}, {hi}]"
    );
    assert!(r.keyness.available);
}

#[test]
fn scored_input_gives_the_report_of_jsonl_input_without_scoring_again() {
    let dir = Dir::new();
    let mut cmd = rhetor([
        "score",
        "--input",
        "jsonl",
        "--format",
        "jsonl",
        "--with-text",
        "-m",
    ]);
    cmd.arg(tiny_model()).arg(corpus("examples.jsonl"));
    let scored = dir.write("scored.jsonl", ok(cmd).stdout);
    let args = |input: &str, file: &std::path::Path| {
        let mut cmd = rhetor(["compare", "--format", "json", "--group-by", "outlet"]);
        cmd.args(["--input", input, "--by-time", "date"]).arg(file);
        cmd
    };
    let mut from_jsonl = args("jsonl", &corpus("examples.jsonl"));
    from_jsonl.arg("-m").arg(tiny_model());
    let jsonl: Value = serde_json::from_slice(&ok(from_jsonl).stdout).unwrap();
    let scored: Value = serde_json::from_slice(&ok(args("scored", &scored)).stdout).unwrap();
    // Scored output rounds probabilities to four decimals: mean probabilities may differ by
    // that much, everything else (counts, shares, divergences, words, time) is the same.
    fn same(a: &Value, b: &Value, path: &str) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys = |m: &serde_json::Map<String, Value>| {
                    m.keys()
                        .filter(|k| *k != "input")
                        .cloned()
                        .collect::<Vec<_>>()
                };
                assert_eq!(keys(x), keys(y), "{path}");
                for k in keys(x) {
                    same(&x[&k], &y[&k], &format!("{path}.{k}"));
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{path}");
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    same(p, q, &format!("{path}[{i}]"));
                }
            }
            (Value::Number(x), Value::Number(y)) if path.contains(".mean_prob") => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() < 1e-4, "{path}: {x} vs {y}");
            }
            _ => assert_eq!(a, b, "{path}"),
        }
    }
    same(&jsonl, &scored, "");
    assert_eq!(scored["input"], "scored");
}

#[test]
fn scored_input_without_text_says_keyness_is_unavailable() {
    let dir = Dir::new();
    let mut cmd = rhetor(["score", "--input", "jsonl", "--format", "jsonl", "-m"]);
    cmd.arg(tiny_model()).arg(corpus("examples.jsonl"));
    let scored = dir.write("scored.jsonl", ok(cmd).stdout);
    let mut cmd = rhetor(["compare", "--input", "scored", "--group-by", "outlet"]);
    cmd.args(["--bootstrap", "50", "--permutations", "50"])
        .arg(&scored);
    let table = stdout(&ok(cmd));
    assert_contains(
        &table,
        "Keyness unavailable: the input has no paragraph text",
    );
    let mut cmd = rhetor(["compare", "--input", "scored", "--group-by", "outlet"]);
    cmd.args(["--format", "json", "--bootstrap", "50"])
        .arg(&scored);
    let r = report(&ok(cmd));
    assert!(!r.keyness.available);
    assert_eq!(r.keyness.paragraphs_without_text, 72);
    assert!(r.comparisons.iter().all(|c| c.keyness.is_none()));
    // no words: no rate per 1,000 words
    assert_eq!(
        r.groups[0].tasks[0].labels[0].per_1000_words.value, None,
        "undefined without text"
    );
}

#[test]
fn plain_text_articles_are_their_own_groups_and_roles_are_recognised() {
    let a = corpus("articles/harbour-herald-congestion-charge.txt");
    let b = corpus("articles/valley-courier-congestion-charge.txt");
    let r = compare_json(&[a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(r.input, "text");
    assert_eq!(r.mode, "pair");
    assert_eq!(r.groups.len(), 2);
    let records = corpus_records();
    for (g, path) in r.groups.iter().zip([&a, &b]) {
        assert_eq!(g.name, path.display().to_string());
        assert_eq!(g.documents, 1);
        let doc = path.file_stem().unwrap().to_str().unwrap();
        let role_count = |role: &str| {
            records
                .iter()
                .filter(|(id, (_, r))| id.starts_with(&format!("{doc}:")) && r == role)
                .count() as u32
        };
        assert_eq!(
            (
                g.roles.headline,
                g.roles.byline,
                g.roles.boilerplate,
                g.roles.body
            ),
            (
                role_count("headline"),
                role_count("byline"),
                role_count("boilerplate"),
                role_count("body")
            ),
            "{doc}"
        );
        let words: u64 = std::fs::read_to_string(corpus("examples.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["doc"] == doc && v["role"] == "body")
            .map(|v| rhetor::summary::word_count(v["text"].as_str().unwrap()) as u64)
            .sum();
        assert_eq!(g.body_words, words, "{doc}");
        // one document: values but no intervals
        let share = &g.tasks[0].labels[0].share;
        assert!(share.value.is_some() && share.lo.is_none());
    }
    let c = &r.comparisons[0];
    assert!(c.keyness.is_some());
    // one document against one: the two splits are the observed one and its mirror
    for tc in &c.tasks {
        assert!(tc.p_value.unwrap() >= 0.5 || tc.jsd == 0.0, "{}", tc.task);
        assert!(tc.labels.iter().all(|l| l.difference.lo.is_none()));
    }
}

#[test]
fn reports_are_the_same_for_any_number_of_threads() {
    for format in ["json", "csv", "table"] {
        let run = |threads: &str| {
            let mut cmd = rhetor(["compare", "--input", "jsonl", "--group-by", "outlet"]);
            cmd.args([
                "--by-time",
                "date",
                "--format",
                format,
                "--threads",
                threads,
            ])
            .args(["--bootstrap", "300", "--permutations", "300", "-m"])
            .arg(tiny_model())
            .arg(corpus("examples.jsonl"));
            ok(cmd).stdout
        };
        let one = run("1");
        assert!(!one.is_empty());
        assert!(one == run("2"), "{format} differs between 1 and 2 threads");
    }
    // and a different seed changes the intervals
    let seeded = |seed: &str| {
        let mut cmd = rhetor(["compare", "--input", "jsonl", "--group-by", "outlet"]);
        cmd.args([
            "--format",
            "json",
            "--bootstrap",
            "300",
            "--seed",
            seed,
            "-m",
        ])
        .arg(tiny_model())
        .arg(corpus("examples.jsonl"));
        ok(cmd).stdout
    };
    assert_ne!(seeded("1"), seeded("2"));
}

#[test]
fn csv_is_one_row_per_statistic() {
    let mut cmd = rhetor(["compare", "--input", "jsonl", "--group-by", "outlet"]);
    cmd.args(["--by-time", "date", "--bucket", "week", "--format", "csv"])
        .args(["--bootstrap", "100", "--permutations", "100", "-m"])
        .arg(tiny_model())
        .arg(corpus("examples.jsonl"));
    let csv = stdout(&ok(cmd));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("section,group,versus,bucket,task,label,word,statistic,value,lo,hi")
    );
    let mut sections = BTreeMap::new();
    let mut buckets = std::collections::BTreeSet::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 11, "{line}");
        *sections.entry(cells[0].to_string()).or_insert(0) += 1;
        if cells[0] == "time" {
            buckets.insert(cells[3].to_string());
        }
        if cells[7] == "share" && cells[0] == "group" {
            let v: f64 = cells[8].parse().unwrap();
            assert!((0.0..=1.0).contains(&v), "{line}");
        }
    }
    for s in ["group", "comparison", "keyness", "time"] {
        assert!(sections.get(s).copied().unwrap_or(0) > 0, "no {s} rows");
    }
    // ISO weeks of the corpus dates (Python: `date.isocalendar()`)
    assert_eq!(
        buckets.into_iter().collect::<Vec<_>>(),
        ["2026-W07", "2026-W16", "2026-W28", "2026-W43"]
    );
}

#[test]
fn time_series_per_group_and_undated_documents() {
    let dir = Dir::new();
    let mut text = std::fs::read_to_string(corpus("examples.jsonl")).unwrap();
    // one document loses its date
    text = text.replace("\"date\": \"2026-07-08\"", "\"date\": \"sometime in July\"");
    let file = dir.write("dated.jsonl", text);
    let r = compare_json(&[
        "--input",
        "jsonl",
        "--group-by",
        "outlet",
        "--by-time",
        "date",
        "--bucket",
        "month",
        file.to_str().unwrap(),
    ]);
    let time = r.time.expect("a time series");
    assert_eq!(time.undated, 1);
    assert_eq!(time.buckets, ["2026-02", "2026-04", "2026-07", "2026-10"]);
    let names: Vec<&str> = time.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        r.groups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>()
    );
    let courier = time
        .series
        .iter()
        .find(|s| s.name == "Valley Courier")
        .unwrap();
    let points: Vec<(&str, usize)> = courier
        .points
        .iter()
        .map(|p| (p.bucket.as_str(), p.documents))
        .collect();
    assert_eq!(points, [("2026-02", 1), ("2026-10", 1)]);
    let dated: usize = time
        .series
        .iter()
        .flat_map(|s| &s.points)
        .map(|p| p.documents)
        .sum();
    assert_eq!(dated, 7);
}

#[test]
fn output_file_is_written_whole_and_matches_stdout() {
    let dir = Dir::new();
    let base = |cmd: &mut std::process::Command| {
        cmd.args([
            "--input",
            "jsonl",
            "--group-by",
            "outlet",
            "--format",
            "html",
        ])
        .args(["--bootstrap", "100", "--permutations", "100", "-m"])
        .arg(tiny_model())
        .arg(corpus("examples.jsonl"));
    };
    let mut to_stdout = rhetor(["compare"]);
    base(&mut to_stdout);
    let printed = ok(to_stdout).stdout;
    let target = dir.path("report.html");
    std::fs::write(&target, "old contents").unwrap();
    let mut to_file = rhetor(["compare", "-o"]);
    to_file.arg(&target);
    base(&mut to_file);
    let out = ok(to_file);
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&target).unwrap(), printed);
    let left: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["report.html"], "no temporary file left behind");
}

#[test]
fn compare_errors_name_the_problem() {
    let dir = Dir::new();
    let article = corpus("articles/harbour-herald-congestion-charge.txt");
    let mut cmd = rhetor(["compare", "--group-by", "outlet"]);
    cmd.arg(&article);
    assert_contains(
        &fails(cmd, 2),
        "--group-by outlet: plain-text articles have no field but `doc`",
    );
    let bad = dir.write("bad.jsonl", "{\"doc\": \"d\", \"labels\": {}}\n");
    let mut cmd = rhetor(["compare", "--input", "scored"]);
    cmd.arg(&bad);
    let err = fails(cmd, 2);
    assert_contains(&err, &format!("{}:1: missing `scores`", bad.display()));
    assert_contains(&err, "--skip-bad");
    let mut cmd = rhetor(["compare", "--input", "scored", "-m"]);
    cmd.arg(tiny_model()).arg(&bad);
    assert_contains(&fails(cmd, 2), "--model is not used with --input scored");
    // --skip-bad: the bad line is reported, the good ones compared
    let mut score = rhetor(["score", "--input", "jsonl", "--format", "jsonl", "-m"]);
    score.arg(tiny_model()).arg(corpus("examples.jsonl"));
    let mut mixed = b"{oops\n".to_vec();
    mixed.extend(ok(score).stdout);
    let mixed = dir.write("mixed.jsonl", mixed);
    let mut cmd = rhetor([
        "compare",
        "--input",
        "scored",
        "--skip-bad",
        "--bootstrap",
        "20",
    ]);
    cmd.args(["--group-by", "outlet"]).arg(&mixed);
    let out = ok(cmd);
    assert_contains(
        &String::from_utf8_lossy(&out.stderr),
        "skipped 1 malformed line(s)",
    );
    assert_contains(&stdout(&out), "5 groups");
}

/// The HTML report, rendered by headless Chromium: the layout check in the page counted the
/// chart marks the browser laid out, and every bar drawn with a width in the source has one.
#[test]
fn compare_html_renders_in_chromium() {
    let Some(browser) = Browser::for_test("compare_html_renders_in_chromium") else {
        return;
    };
    let dir = Dir::new();
    let page = dir.path("report.html");
    let mut cmd = rhetor(["compare", "--input", "jsonl", "--group-by", "outlet"]);
    cmd.args([
        "--by-time",
        "date",
        "--format",
        "html",
        "--bootstrap",
        "200",
    ])
    .args(["--permutations", "200", "-o"])
    .arg(&page)
    .arg(corpus("examples.jsonl"));
    ok(cmd);
    let source = std::fs::read_to_string(&page).unwrap();
    let dom = browser.dump_dom(&page);

    // Bars with a non-zero width in the SVG source; the browser must have laid out each one.
    let drawn = source
        .match_indices("<rect class=\"mark bar\"")
        .filter(|(at, _)| {
            let tag = &source[*at..*at + source[*at..].find('>').unwrap()];
            let w = &tag[tag.find("width=\"").unwrap() + 7..];
            w[..w.find('"').unwrap()].parse::<f64>().unwrap() > 0.0
        })
        .count();
    assert!(drawn > 20, "only {drawn} bars drawn");
    assert_eq!(body_number(&dom, "data-rendered-bars"), drawn);
    assert_eq!(
        body_number(&dom, "data-bars"),
        source.matches("<rect class=\"mark bar\"").count()
    );
    // charts: one per task, one keyness chart per comparison, time charts
    let charts = body_number(&dom, "data-charts");
    assert_eq!(charts, source.matches("<svg class=\"chart").count());
    assert!(source.contains("class=\"chart line-chart\""));
    assert!(source.contains("class=\"chart diverging-chart\""));
    // 4 tasks + 5 keyness charts + at least one time chart
    assert!(charts >= 10, "{charts} charts");
    assert!(
        body_number(&dom, "data-rendered-marks") > drawn,
        "points and lines too"
    );
    for outlet in [
        "Meridian Wire",
        "The Harbour Herald",
        "The Lantern Review",
        "The Northgate Standard",
        "Valley Courier",
    ] {
        assert_contains(&dom, outlet);
    }
    assert_contains(&dom, "Framing comparison");
    // the page asks for nothing over the network
    let without_svg_ns = source.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_svg_ns.contains("http://") && !without_svg_ns.contains("https://"));

    let png = dir.path("report.png");
    browser.screenshot(&page, &png, 1200, 1800);
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);
}
