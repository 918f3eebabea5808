//! `rhetor score`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::util::*;

const ARTICLE: &str = "articles/harbour-herald-congestion-charge.txt";

/// One `--format jsonl` row.
#[derive(Debug, Deserialize)]
struct Row {
    doc: String,
    id: Option<String>,
    paragraph: usize,
    start: usize,
    end: usize,
    role: String,
    labels: BTreeMap<String, Value>,
    scores: BTreeMap<String, BTreeMap<String, f64>>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

fn unicode_width(s: &str) -> usize {
    s.chars().count()
}

fn rows(out: &std::process::Output) -> Vec<Row> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSONL row {l:?}: {e}")))
        .collect()
}

fn score(args: &[&str]) -> std::process::Output {
    let mut cmd = rhetor(["score", "-m"]);
    cmd.arg(tiny_model()).args(args);
    ok(cmd)
}

#[test]
fn one_row_per_paragraph_with_spans_into_the_article() {
    let path = corpus(ARTICLE);
    let text = std::fs::read_to_string(&path).unwrap();
    let out = score(&["--format", "jsonl", path.to_str().unwrap()]);
    let rows = rows(&out);
    let expected: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    assert_eq!(rows.len(), expected.len());
    let roles: Vec<&str> = rows.iter().map(|r| r.role.as_str()).collect();
    let mut want = vec!["headline", "byline"];
    want.extend(["body"; 9]);
    want.push("boilerplate");
    assert_eq!(roles, want);
    for (i, (row, para)) in rows.iter().zip(&expected).enumerate() {
        assert_eq!(row.paragraph, i);
        assert_eq!(&text[row.start..row.end], *para, "row {i}");
        assert_eq!(row.doc, path.display().to_string());
        if row.role != "body" {
            assert!(row.labels.is_empty() && row.scores.is_empty(), "row {i}");
            continue;
        }
        // stance: one label, scores summing to one; frame and technique: lists.
        assert!(row.labels["stance"].is_string());
        let total: f64 = row.scores["stance"].values().sum();
        assert!((total - 1.0).abs() < 1e-3, "stance scores sum to {total}");
        assert!(row.labels["technique"].is_array() && row.labels["frame"].is_array());
        assert_eq!(row.scores["technique"].len(), 23);
        for p in row.scores.values().flat_map(|m| m.values()) {
            assert!((0.0..=1.0).contains(p));
        }
        // Predicted multi-labels are the ones at or above their threshold: at least present in scores.
        for l in row.labels["frame"].as_array().unwrap() {
            assert!(row.scores["frame"].contains_key(l.as_str().unwrap()));
        }
    }
}

#[test]
fn jsonl_input_passes_fields_through() {
    let out = score(&[
        "--input",
        "jsonl",
        "--format",
        "jsonl",
        "corpus/examples.jsonl",
    ]);
    let rows = rows(&out);
    assert_eq!(
        rows.len(),
        94,
        "every record of examples.jsonl is one paragraph"
    );
    let first = rows
        .iter()
        .find(|r| r.id.as_deref() == Some("harbour-herald-congestion-charge:0"))
        .expect("the headline of the Harbour Herald article");
    assert_eq!(first.doc, "harbour-herald-congestion-charge");
    assert_eq!(
        first.extra["outlet"],
        Value::String("The Harbour Herald".into())
    );
    assert_eq!(first.role, "headline", "a record's own role is used");
    assert_eq!(
        first.extra["target"],
        Value::String("the Portmere congestion charge".into()),
        "the stance target is carried through"
    );
    assert!(first.labels.is_empty(), "headlines are not labelled");
    let body = rows.iter().filter(|r| r.role == "body").count();
    assert_eq!(body, 72);
    assert!(
        !first.extra.contains_key("text"),
        "text only with --with-text"
    );
}

#[test]
fn records_without_text_and_replaced_fields_are_reported() {
    let dir = Dir::new();
    let input = dir.write(
        "in.jsonl",
        "{\"id\": \"a\", \"text\": \"The council voted.\", \"start\": 3, \"labels\": {}}\n\
         {\"id\": \"b\", \"text\": \"\"}\n\
         {\"id\": \"c\", \"text\": \"  \\n\\n \"}\n\
         {\"id\": \"d\", \"text\": \"Fares rose.\"}\n",
    );
    let out = score(&[
        "--input",
        "jsonl",
        "--format",
        "jsonl",
        input.to_str().unwrap(),
    ]);
    let ids: Vec<Option<String>> = rows(&out).into_iter().map(|r| r.id).collect();
    assert_eq!(ids, [Some("a".to_string()), Some("d".to_string())]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "2 record(s) with no text (first at {}:2) have no output line",
            input.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "input field(s) labels, start not carried through: the output has its own field of \
             that name (first at {}:1)",
            input.display()
        )),
        "{err}"
    );
}

#[test]
fn table_and_csv_formats() {
    let article = corpus(ARTICLE);
    let table = stdout(&score(&[article.to_str().unwrap()]));
    let lines: Vec<&str> = table.lines().collect();
    assert_contains(lines[0], "harbour-herald-congestion-charge.txt");
    for task in ["¶", "role", "stance", "frame", "technique"] {
        assert_contains(lines[1], task);
    }
    assert!(
        !table.contains('\u{1b}'),
        "no colour codes when not on a terminal"
    );
    // One line per paragraph at least, each starting with its index and role.
    for (i, role) in [
        (0, "headline"),
        (1, "byline"),
        (5, "body"),
        (11, "boilerplate"),
    ] {
        let prefix = format!("{i:<2}  {role}");
        assert!(
            lines.iter().any(|l| l.starts_with(&prefix)),
            "no row {prefix:?} in\n{table}"
        );
    }
    assert_contains(
        &table,
        "Summary  9 body paragraphs, 366 words (not scored: 1 headline, 1 byline, 1 boilerplate)",
    );
    for line in &lines {
        assert!(
            unicode_width(line) <= 120,
            "wider than the default 120 columns: {line}"
        );
    }

    let csv = stdout(&score(&[
        "--format",
        "csv",
        "--with-text",
        article.to_str().unwrap(),
    ]));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(
        &header[..7],
        ["doc", "id", "paragraph", "start", "end", "role", "frame"]
    );
    assert!(header.contains(&"technique:loaded_language"));
    assert_eq!(*header.last().unwrap(), "text");
    assert_eq!(csv.lines().count(), 13);
}

#[test]
fn reads_standard_input_and_crlf() {
    let mut cmd = rhetor(["score", "--format", "jsonl", "-m"]);
    cmd.arg(tiny_model()).arg("-");
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"A headline\r\n\r\nFirst paragraph,\r\nsecond line.\r\n\r\n\r\nLast one!")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let rows = rows(&out);
    let spans: Vec<(usize, usize, usize)> =
        rows.iter().map(|r| (r.paragraph, r.start, r.end)).collect();
    assert_eq!(spans, [(0, 0, 10), (1, 14, 44), (2, 50, 59)]);
    assert_eq!(rows[0].doc, "<stdin>");
}

#[test]
fn embedded_default_model_scores_without_flags() {
    let mut cmd = rhetor(["score", "--format", "jsonl"]);
    cmd.arg(corpus(ARTICLE));
    let rows = rows(&ok(cmd));
    assert_eq!(rows.len(), 12);
    for task in ["technique", "frame", "stance"] {
        assert!(
            rows[2].labels.contains_key(task),
            "default model has a `{task}` head"
        );
    }
}

fn examples_jsonl() -> String {
    std::fs::read_to_string(corpus("examples.jsonl")).unwrap()
}

#[test]
fn a_bad_line_mid_stream_stops_after_the_whole_lines_before_it() {
    let dir = Dir::new();
    let good = examples_jsonl();
    let input = dir.write("mixed.jsonl", format!("{good}{{\"text\": 5}}\n{good}"));
    let mut cmd = rhetor(["score", "--input", "jsonl", "--format", "jsonl", "-m"]);
    cmd.arg(tiny_model()).arg(&input);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_contains(
        &err,
        &format!(
            "{}:95: `text` must be a string, found a number",
            input.display()
        ),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'), "whole lines only");
    for line in text.lines() {
        serde_json::from_str::<Value>(line).expect("every line written is whole JSON");
    }

    let mut cmd = rhetor([
        "score",
        "--input",
        "jsonl",
        "--format",
        "jsonl",
        "--skip-bad",
        "-m",
    ]);
    cmd.arg(tiny_model()).arg(&input);
    let out = ok(cmd);
    assert_eq!(stdout(&out).lines().count(), 2 * 94);
    assert_contains(
        &String::from_utf8_lossy(&out.stderr),
        "skipped 1 malformed line(s)",
    );
}

#[test]
fn interrupted_runs_end_on_a_whole_line() {
    let dir = Dir::new();
    let good = examples_jsonl();
    let big = dir.write("big.jsonl", good.repeat(2000));
    let mut cmd = rhetor([
        "score",
        "--input",
        "jsonl",
        "--format",
        "jsonl",
        "--threads",
        "1",
        "-m",
    ]);
    cmd.arg(tiny_model()).arg(&big);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    // Read until some output has arrived, then interrupt.
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0u8; 4096];
    use std::io::Read;
    stdout.read_exact(&mut head).unwrap();
    // SAFETY: sending a signal to our own child process.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT sent");
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let status = child.wait().unwrap();
    head.extend(rest);
    let text = String::from_utf8(head).unwrap();
    let lines = text.lines().count();
    assert!(
        lines < 2000 * 94,
        "the run was interrupted before the end ({lines} lines)"
    );
    assert_eq!(status.code(), Some(130));
    assert!(text.ends_with('\n'), "the output ends on a whole line");
    for line in text.lines() {
        serde_json::from_str::<Value>(line).expect("every line is whole JSON");
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_contains(&err, "interrupted after");
}
